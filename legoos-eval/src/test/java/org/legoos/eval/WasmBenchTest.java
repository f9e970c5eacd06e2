package org.legoos.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wasm section at a tiny size: every row is there with positive times, and every wasm and Java run printed what
 * its reference printed; without the build script the section is skipped with the reason, not an exception.
 */
class WasmBenchTest {
    /** Built by this module's exec-maven-plugin execution of scripts/wasm-build (the bench only checks it is there). */
    private static final Path WASM = Path.of(System.getProperty("legoos.wasm.dir", "target/wasm")).toAbsolutePath();
    private static final WasmBench.Sizes TINY = new WasmBench.Sizes(1L << 20, 5_000, 20_000);

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void everyRowIsMeasuredAndTheWasmOutputEqualsTheNativeOne() throws Exception {
        Path script = WasmBench.findBuildScript();
        assertThat(script).as("scripts/wasm-build, found upward from target/classes").isNotNull();
        // thread mode, one run a row: the harness is under test here (WasmProcessTest runs wasm in both modes); process
        // mode starts some 35 task JVMs
        WasmBench.Outcome o = new WasmBench(script, WASM, TINY, 7, org.legoos.api.ProcessorMode.THREAD, 1).run(Progress.NONE);
        if (o.table() != null) {
            o.table().print(System.out);
        }

        assertThat(o.skipped()).isNull();
        assertThat(o.failures()).isEmpty();
        assertThat(o.rows()).extracting(r -> r.workload() + " | " + r.program() + " | " + r.excache()).containsExactly(
                "wordcount | C, native (local) | -",
                "wordcount | C as wasm | full", "wordcount | C as wasm | 25%",
                "wordcount | Java | full", "wordcount | Java | 25%",
                "kvstore | C, native (local) | -",
                "kvstore | C as wasm | full", "kvstore | C as wasm | 25%",
                "kvstore | Java | full", "kvstore | Java | 25%",
                "start-up | ls.wasm, cold: compiles | -",
                "start-up | ls.wasm, cached: loads the compiled classes | -",
                "start-up | Java hello (reference) | -");
        assertThat(o.rows()).allSatisfy(r -> {
            assertThat(r.best()).as(r.toString()).isPositive();
            assertThat(r.median()).as(r.toString()).isGreaterThanOrEqualTo(r.best());
            assertThat(r.correct()).as(r.toString()).isTrue();
        });
        assertThat(o.rows()).filteredOn(r -> r.program().equals("C as wasm")).allSatisfy(r -> {
            assertThat(r.result()).as("output equal to the native build's").isEqualTo("same");
            assertThat(r.workingSetBytes()).isPositive();
            assertThat(r.vsNative()).isPositive();
        });
        WasmBench.Row kvFull = o.rows().get(6);
        WasmBench.Row kvReduced = o.rows().get(7);
        assertThat(kvReduced.excacheBytes()).as("the reduced ExCache is smaller than the working set")
                .isLessThan(kvReduced.workingSetBytes()).isLessThan(kvFull.excacheBytes());
        assertThat(o.table().size()).isEqualTo(o.rows().size());
        assertThat(o.note()).contains("What this shows");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aMissingBuildScriptSkipsTheSectionAndSaysWhy(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("scripts").resolve("wasm-build");
        WasmBench.Outcome o = new WasmBench(missing, dir.resolve("wasm"), TINY, 7, null, 1).run(Progress.NONE);

        assertThat(o.skipped()).startsWith("Skipped because").contains("wasm-build").contains(missing.toString());
        assertThat(o.table()).isNull();
        assertThat(o.rows()).isEmpty();
        assertThat(o.failures()).isEmpty();
        assertThat(Files.exists(dir.resolve("wasm").resolve("data"))).isFalse();

        WasmBench.Outcome notFound = new WasmBench(null, dir.resolve("wasm"), TINY, 7, null, 1).run(Progress.NONE);
        assertThat(notFound.skipped()).startsWith("Skipped because").contains("was not found");
    }
}
