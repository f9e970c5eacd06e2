package org.legoos.task.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileSystems;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.junit.jupiter.api.Test;

/** How a program name becomes a program: bundled names, runners of files ({@code .wasm}), jars. */
class ProgramLoaderTest {
    /** Stands for the wasm runner: returns the number of its arguments and keeps them. */
    public static final class Runner implements LegoProgram {
        static volatile String[] seen;

        @Override
        public int main(LegoContext ctx, String[] args) {
            seen = args.clone();
            return args.length;
        }
    }

    @Test
    void aWasmPathRunsWithTheBundledRunnerItsPathFirst() throws Exception {
        ProgramLoader loader = new ProgramLoader(Map.of("wasm", Runner.class), Map.of(Runner.class, List.of(Test.class)));
        assertThat(loader.bundledClass("/apps/wc.wasm")).isEqualTo(Runner.class);
        assertThat(loader.libraries(Runner.class)).containsExactly(Test.class);
        assertThat(loader.libraries(ProgramLoaderTest.class)).isEmpty();
        LegoProgram p = loader.load("/apps/wc.wasm", FileSystems.getDefault());
        assertThat(p.main(null, new String[] {"in.txt", "5"})).isEqualTo(3);
        assertThat(Runner.seen).containsExactly("/apps/wc.wasm", "in.txt", "5");
        // the runner by its own name takes its arguments as given
        assertThat(loader.load("wasm", FileSystems.getDefault()).main(null, new String[] {"/x.wasm"})).isEqualTo(1);
    }

    @Test
    void aNameThatIsNeitherBundledNorAFileOfARunnerNorAJarIsNotFound() {
        ProgramLoader loader = new ProgramLoader(Map.of("hello", Runner.class));
        assertThat(ProgramLoader.bundledName("wc.wasm")).as("a bare name is a program name, not a path").isEqualTo("wc.wasm");
        assertThat(ProgramLoader.runsWithRunner("/a/wc.wasm")).isTrue();
        assertThat(ProgramLoader.runsWithRunner("/a/app.jar")).isFalse();
        assertThatThrownBy(() -> loader.load("/apps/wc.wasm", FileSystems.getDefault()))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("no runner");
        assertThatThrownBy(() -> loader.load("nosuch", FileSystems.getDefault()))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("bundled: [hello]");
    }
}
