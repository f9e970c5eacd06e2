package org.legoos.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.Status;

/**
 * Properties of the storage monitor's lexical path normaliser: an accepted path never leaves the vNode's
 * root, means what the host's own lexical normalisation says it means, and is a fixed point; a refused one
 * really does climb above the root at some point. jqwik prints the seed of any failing run.
 */
class PathNormalizerTest {
    private static final Path VNODE_ROOT = Path.of("/srv/storage/vnode-1");

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> segment = Arbitraries.of("a", "b", "c", ".", "..", "", "vnode-2", "...", ".x", "x..");
        return segment.list().ofMaxSize(12).map(parts -> "/" + String.join("/", parts));
    }

    @Property(tries = 2000)
    void acceptedPathsStayInsideTheVnodeAndAgreeWithHostNormalisation(@ForAll("paths") String raw) {
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

    @Property(tries = 2000)
    void normalisationIsIdempotent(@ForAll("paths") String raw) {
        String once;
        try {
            once = PathNormalizer.normalize(raw);
        } catch (RpcException e) {
            return;
        }
        assertThat(PathNormalizer.normalize(once)).isEqualTo(once);
    }

    @Property(tries = 2000)
    void arbitraryStringsAreAcceptedOrRefusedWithAStatusNeverACrash(@ForAll String raw) {
        try {
            String norm = PathNormalizer.normalize(raw);
            assertThat(norm).startsWith("/").doesNotContain("\0");
            assertThat(PathNormalizer.normalize(norm)).isEqualTo(norm);
        } catch (RpcException e) {
            assertThat(e.code()).isIn(Status.INVALID_ARGUMENT, Status.DENIED);
        }
    }

    @Example
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
