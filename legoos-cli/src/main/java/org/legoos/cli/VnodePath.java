package org.legoos.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A path inside a vNode as written on the command line: {@code NAME:/dir/file} (like {@code host:path} for scp).
 * {@code NAME:} alone is the vNode's root and a relative path is taken from the root. Anything else is a local path
 * (write {@code ./a:b} for a local file whose name has a colon).
 *
 * @param vnode the vNode's name
 * @param path absolute, normalised ({@code /}, {@code /a/b}), without {@code .} or {@code ..}
 */
record VnodePath(String vnode, String path) {
    private static final Pattern FORM = Pattern.compile("([a-z0-9][a-z0-9-]{0,62}):(.*)", Pattern.DOTALL);

    /** The vNode path {@code arg} names, or null if it is a local path. */
    static VnodePath parse(String arg) {
        Matcher m = FORM.matcher(arg);
        if (!m.matches()) {
            return null;
        }
        return new VnodePath(m.group(1), normalise(m.group(2), arg));
    }

    /** Parses a vNode path or fails with a usage error naming {@code what}. */
    static VnodePath require(String arg, String what) {
        VnodePath p = parse(arg);
        if (p == null) {
            throw new CliException(Lego.EXIT_USAGE, what + " '" + arg + "' is not a vNode path: write VNODE:/path, e.g. web:/data/in.txt");
        }
        return p;
    }

    private static String normalise(String path, String arg) {
        StringBuilder b = new StringBuilder();
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String s : path.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (parts.isEmpty()) {
                    throw new CliException(Lego.EXIT_USAGE, "'" + arg + "' leaves the vNode's root");
                }
                parts.removeLast();
            } else {
                parts.addLast(s);
            }
        }
        for (String s : parts) {
            b.append('/').append(s);
        }
        return b.isEmpty() ? "/" : b.toString();
    }

    /** The last path element ("" for the root). */
    String fileName() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The parent directory ("/" for a top-level entry, null for the root). */
    String parent() {
        if (path.equals("/")) {
            return null;
        }
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }

    /** {@code path/name}. */
    VnodePath child(String name) {
        return new VnodePath(vnode, path.equals("/") ? "/" + name : path + "/" + name);
    }

    @Override
    public String toString() {
        return vnode + ":" + path;
    }
}
