package org.legoos.eval.micro;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ProcessorMode;

/** The hit harness's output is complete and sane in both modes; how fast the loads are is the benchmark's business. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HitLoadProgramTest {
    private static final long WORKING_SET = 64L << 10;
    private static final int ROUNDS = 3;
    private static final long WORDS = WORKING_SET / 8;

    /** The sum of every word the program stores. */
    private static String expectedSum() {
        long s = 0;
        for (long w = 0; w < WORDS; w++) {
            s += HitLoadProgram.valueOf(w);
        }
        return Long.toHexString(s);
    }

    @Test
    void threadModeMeasuresPlainAndGetLongAndHasNoSegment() throws Exception {
        HitLoads.ModeRun run = HitLoads.run(ProcessorMode.THREAD, WORKING_SET, ROUNDS, 20);
        assertThat(run.mode()).isEqualTo(ProcessorMode.THREAD);
        check(run, "thread", List.of("plain", "getLong"), List.of("segment"));
    }

    @Test
    void processModeMeasuresEveryVariant() throws Exception {
        String lacking = HitLoads.processModeUnavailable();
        Assumptions.assumeTrue(lacking == null, () -> "no process mode here: " + lacking);
        HitLoads.ModeRun run = HitLoads.run(ProcessorMode.PROCESS, WORKING_SET, ROUNDS, 20);
        assertThat(run.mode()).isEqualTo(ProcessorMode.PROCESS);
        check(run, "process", HitLoadProgram.VARIANTS, List.of());
    }

    private static void check(HitLoads.ModeRun run, String mode, List<String> measured, List<String> unsupported) {
        String out = run.stdout();
        Map<String, String> header = MicroText.findLine(out, "mode", "modeFrom", "workingSet", "loads");
        assertThat(header.get("mode")).isEqualTo(mode);
        assertThat(header.get("workingSet")).isEqualTo(String.valueOf(WORKING_SET));
        assertThat(header.get("loads")).isEqualTo(String.valueOf(WORDS));
        for (String order : HitLoadProgram.ORDERS) {
            for (String variant : measured) {
                Map<String, String> kv = HitLoads.line(out, variant, order);
                double ns = Double.parseDouble(kv.get("ns"));
                double min = Double.parseDouble(kv.get("min"));
                double max = Double.parseDouble(kv.get("max"));
                assertThat(ns).as(variant + " " + order).isPositive().isFinite();
                assertThat(min).as(variant + " " + order + " min").isPositive().isLessThanOrEqualTo(ns);
                assertThat(max).as(variant + " " + order + " max").isFinite().isGreaterThanOrEqualTo(ns);
                assertThat(kv.get("rounds")).isEqualTo(String.valueOf(ROUNDS));
                assertThat(kv.get("loads")).isEqualTo(String.valueOf(WORDS));
                assertThat(kv.get("mode")).isEqualTo(mode);
                assertThat(kv.get("sum")).as("every pass loads every stored word").isEqualTo(expectedSum());
            }
            for (String variant : unsupported) {
                Map<String, String> kv = HitLoads.line(out, variant, order);
                assertThat(kv.get("ns")).isEqualTo("n/a");
                assertThat(kv).containsKey("reason");
            }
        }
        Map<String, String> ratios = MicroText.findLine(out, "getLong/plain.seq", "getLong/plain.rand", "segment/plain.seq",
                "segment/plain.rand");
        for (String variant : List.of("getLong", "segment")) {
            for (String order : HitLoadProgram.ORDERS) {
                String r = ratios.get(variant + "/plain." + order);
                if (measured.contains(variant)) {
                    assertThat(Double.parseDouble(r)).as(variant + "/plain." + order).isPositive().isFinite();
                } else {
                    assertThat(r).isEqualTo("n/a");
                }
            }
        }
        assertThat(run.fetched()).as("the working set stays resident: every measured load is a hit").isZero();
        assertThat(HitLoads.table(List.of(run))).hasSize(1 + HitLoadProgram.VARIANTS.size() + 1);
    }
}
