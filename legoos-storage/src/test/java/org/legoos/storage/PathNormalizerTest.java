package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.Status;

/**
 * Properties of the storage monitor's lexical path normaliser: an accepted path never leaves the vNode's
 * root, means what the host's own lexical normalisation says it means, and is a fixed point; a refused one
 * really does climb above the root at some point. Each property runs 2000 seeded tries; the seed
 * ({@code -Dlegoos.seed}, else the clock) is printed at the start and in any failure with the failing path, so
 * the run can be replayed.
 */
class PathNormalizerTest {
    private static final Path VNODE_ROOT = Path.of("/srv/storage/vnode-1");
    private static final int TRIES = 2000;
    private static final String[] SEGMENTS = {"a", "b", "c", ".", "..", "", "vnode-2", "...", ".x", "x.."};
    /** Characters that mean something to a path normaliser or a host file system. */
    private static final String SPECIAL = "/./..\\\0:~ *?a";

    /** "/" then 0 to 12 segments, many of them dot segments, joined by "/" (empty segments give "//"). */
    private static String path(SplittableRandom r) {
        int n = r.nextInt(10) == 0 ? 12 : r.nextInt(13);
        List<String> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            parts.add(SEGMENTS[r.nextInt(SEGMENTS.length)]);
        }
        return "/" + String.join("/", parts);
    }

    /** Any string of 0 to 255 UTF-16 chars, half of them drawn from {@link #SPECIAL}. */
    private static String anyString(SplittableRandom r) {
        int n = switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 255;
            default -> r.nextInt(256);
        };
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(r.nextBoolean() ? SPECIAL.charAt(r.nextInt(SPECIAL.length())) : (char) r.nextInt(0x10000));
        }
        return sb.toString();
    }

    /**
     * Runs {@code property} on {@link #TRIES} inputs drawn by {@code gen} from one seeded generator; a failure
     * names the seed, the try and the input.
     */
    private static void forAll(String name, Function<SplittableRandom, String> gen, Consumer<String> property) {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("PathNormalizerTest." + name + " seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 1; i <= TRIES; i++) {
            String raw = gen.apply(r);
            try {
                property.accept(raw);
            } catch (Throwable t) {
                throw new AssertionError(name + " failed at try " + i + " of " + TRIES + " [seed=" + seed
                        + ", rerun with -Dlegoos.seed=" + seed + "] on path " + escaped(raw) + ": " + t, t);
            }
        }
    }

    private static String escaped(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.chars().forEach(c -> sb.append(c < 0x20 || c > 0x7E ? String.format("\\u%04X", c) : Character.toString(c)));
        return sb.append('"').toString();
    }

    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void acceptedPathsStayInsideTheVnodeAndAgreeWithHostNormalisation() {
        forAll("acceptedPathsStayInsideTheVnodeAndAgreeWithHostNormalisation", PathNormalizerTest::path,
                PathNormalizerTest::staysInsideAndAgreesWithHost);
    }

    private static void staysInsideAndAgreesWithHost(String raw) {
        String norm;
        try {
            norm = PathNormalizer.normalize(raw);
        } catch (RpcException e) {
            assertThat(e.code()).isEqualTo(Status.DENIED);
            assertThat(someprefixEscapes(raw)).as("a refused path climbs above the root somewhere: %s", raw).isTrue();
            return;
        }
        assertThat(norm).startsWith("/").doesNotContain("//");
        assertThat(norm.equals("/") || !norm.endsWith("/")).isTrue();
        for (String name : norm.substring(1).split("/")) {
            assertThat(name).isNotIn(".", "..");
        }
        Path resolved = VNODE_ROOT.resolve(norm.substring(1));
        assertThat(resolved.normalize()).isEqualTo(resolved);
        assertThat(resolved.startsWith(VNODE_ROOT)).isTrue();
        assertThat(VNODE_ROOT.resolve(relative(raw)).normalize()).isEqualTo(resolved);
        assertThat(someprefixEscapes(raw)).isFalse();
    }

    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void normalisationIsIdempotent() {
        forAll("normalisationIsIdempotent", PathNormalizerTest::path, raw -> {
            String once;
            try {
                once = PathNormalizer.normalize(raw);
            } catch (RpcException e) {
                return;
            }
            assertThat(PathNormalizer.normalize(once)).isEqualTo(once);
        });
    }

    @Test
    @Timeout(value = 30, threadMode = ThreadMode.SEPARATE_THREAD)
    void arbitraryStringsAreAcceptedOrRefusedWithAStatusNeverACrash() {
        forAll("arbitraryStringsAreAcceptedOrRefusedWithAStatusNeverACrash", PathNormalizerTest::anyString, raw -> {
            try {
                String norm = PathNormalizer.normalize(raw);
                assertThat(norm).startsWith("/").doesNotContain("\0");
                assertThat(PathNormalizer.normalize(norm)).isEqualTo(norm);
            } catch (RpcException e) {
                assertThat(e.code()).isIn(Status.INVALID_ARGUMENT, Status.DENIED);
            }
        });
    }

    @Test
    @Timeout(10)
    void examplesFromTheContract() {
        assertThat(PathNormalizer.normalize("/a/./b//c/../d")).isEqualTo("/a/b/d");
        assertThat(PathNormalizer.normalize("/")).isEqualTo("/");
        assertThat(PathNormalizer.normalize("///")).isEqualTo("/");
        assertThat(PathNormalizer.normalize("/a/..")).isEqualTo("/");
        assertThat(PathNormalizer.normalize("/a/b/")).isEqualTo("/a/b");
        for (String escape : List.of("/..", "/../vnode-2/x", "/a/../../x", "/a/b/../../..")) {
            try {
                PathNormalizer.normalize(escape);
                throw new AssertionError(escape + " was accepted");
            } catch (RpcException e) {
                assertThat(e.code()).isEqualTo(Status.DENIED);
            }
        }
    }

    /** The path's names after the leading '/', as a relative host path ("" for the root). */
    private static String relative(String raw) {
        return raw.replaceAll("^/+", "");
    }

    /** Independent check: does the host's lexical normalisation of some prefix of the path leave the root? */
    private static boolean someprefixEscapes(String raw) {
        String[] parts = relative(raw).split("/");
        StringBuilder prefix = new StringBuilder();
        for (String part : parts) {
            if (part.isEmpty()) {
                continue;
            }
            prefix.append(part).append('/');
            if (!VNODE_ROOT.resolve(prefix.toString()).normalize().startsWith(VNODE_ROOT)) {
                return true;
            }
        }
        return false;
    }
}
