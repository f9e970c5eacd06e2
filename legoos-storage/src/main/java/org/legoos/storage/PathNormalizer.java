package org.legoos.storage;

import java.util.ArrayList;
import java.util.List;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.Status;

/**
 * Turns the full path a request carries into the one canonical key of a vNode's file: absolute, no empty,
 * "." or ".." components, no trailing '/' ({@code "/a/./b//c/../d"} becomes {@code "/a/b/d"}; {@code "/"} is
 * the vNode's root). Purely lexical, like the process monitor's own normalisation: the storage monitor
 * never asks the disk what a name means before it knows the name stays inside the vNode.
 *
 * <p>A ".." that would climb above the vNode's root at any point is an escape and is refused with
 * {@link Status#DENIED}, even if later components would come back down ({@code "/../vnode-2/x"},
 * {@code "/a/../../x"}). Syntax errors (null, empty, relative, NUL bytes, too long) are
 * {@link Status#INVALID_ARGUMENT}.
 *
 * <p>Stateless and thread-safe.
 */
final class PathNormalizer {
    /** Longest full path accepted, in chars (Linux PATH_MAX). */
    static final int MAX_PATH_CHARS = 4096;
    /** Longest single name accepted, in chars (Linux NAME_MAX). */
    static final int MAX_NAME_CHARS = 255;

    private PathNormalizer() {
    }

    /**
     * The canonical form of {@code path}.
     *
     * @throws RpcException INVALID_ARGUMENT for a malformed path, DENIED for one that escapes the vNode root
     */
    static String normalize(String path) {
        if (path == null || path.isEmpty()) {
            throw new RpcException(Status.INVALID_ARGUMENT, "empty path");
        }
        if (path.length() > MAX_PATH_CHARS) {
            throw new RpcException(Status.INVALID_ARGUMENT, "path of " + path.length() + " chars is longer than " + MAX_PATH_CHARS);
        }
        if (path.charAt(0) != '/') {
            throw new RpcException(Status.INVALID_ARGUMENT, "path must be absolute (start with '/'): " + printable(path));
        }
        if (path.indexOf('\0') >= 0) {
            throw new RpcException(Status.INVALID_ARGUMENT, "path contains a NUL byte: " + printable(path));
        }
        if (isNormal(path)) {
            return path; // the common case: the caller already sends canonical paths; no allocation
        }
        List<String> names = new ArrayList<>();
        int i = 1;
        int n = path.length();
        while (i <= n) {
            int slash = path.indexOf('/', i);
            int end = slash < 0 ? n : slash;
            String name = path.substring(i, end);
            i = end + 1;
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                if (names.isEmpty()) {
                    throw new RpcException(Status.DENIED, "path escapes the vNode root: " + printable(path));
                }
                names.removeLast();
                continue;
            }
            if (name.length() > MAX_NAME_CHARS) {
                throw new RpcException(Status.INVALID_ARGUMENT, "name of " + name.length() + " chars is longer than "
                        + MAX_NAME_CHARS + " in " + printable(path));
            }
            names.add(name);
        }
        return names.isEmpty() ? "/" : "/" + String.join("/", names);
    }

    /** True if {@code path} (absolute, NUL-free) is already canonical and every name is short enough. */
    private static boolean isNormal(String path) {
        int n = path.length();
        if (n == 1) {
            return true; // "/"
        }
        int start = 1;
        for (int i = 1; i <= n; i++) {
            if (i == n || path.charAt(i) == '/') {
                int len = i - start;
                if (len == 0 || len > MAX_NAME_CHARS
                        || (path.charAt(start) == '.' && (len == 1 || (len == 2 && path.charAt(start + 1) == '.')))) {
                    return false;
                }
                start = i + 1;
            }
        }
        return true;
    }

    /** The parent of a normalised path ("/" for a top-level name); null for "/". */
    static String parent(String normalized) {
        if (normalized.equals("/")) {
            return null;
        }
        int slash = normalized.lastIndexOf('/');
        return slash == 0 ? "/" : normalized.substring(0, slash);
    }

    /** True if normalised {@code path} is {@code dir} or lies below it. */
    static boolean isSameOrBelow(String path, String dir) {
        if (dir.equals("/")) {
            return true;
        }
        return path.equals(dir) || (path.startsWith(dir) && path.charAt(dir.length()) == '/');
    }

    /** The path with control characters escaped, short enough for an error message. */
    static String printable(String path) {
        StringBuilder sb = new StringBuilder(Math.min(path.length(), 200) + 2).append('"');
        for (int k = 0; k < path.length() && k < 200; k++) {
            char c = path.charAt(k);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (path.length() > 200) {
            sb.append("...");
        }
        return sb.append('"').toString();
    }
}
