package org.legoos.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scale section at test sizes: a process whose memory none of the four memory components could hold alone writes
 * and reads back every page (the probe checks every long), and its pages really are spread over the components.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScaleBenchTest {
    @Test
    void aProcessLargerThanAnyMemoryComponentSpreadsOverAllOfThemAndReadsBackWhatItWrote() throws Exception {
        long mib = 1L << 20;
        ScaleBench bench = new ScaleBench(List.of(8 * mib, 16 * mib), null, 7);
        assertThat(bench.componentCapacity()).isLessThan(16 * mib);
        List<ScaleBench.Row> rows = bench.run((what, done, total) -> { }, 0, 2);

        assertThat(rows).extracting(ScaleBench.Row::bytes).containsExactly(8 * mib, 16 * mib);
        ScaleBench.Row largest = rows.get(1);
        assertThat(largest.componentsUsed()).isEqualTo(ScaleBench.MEMORIES);
        assertThat(largest.largestShare()).isLessThanOrEqualTo(largest.componentCapacity());
        long held = 0;
        for (long b : largest.peakBytes()) {
            held += b;
        }
        // sampled every 100 ms: the last write-backs before the program unmaps may fall between two samples
        assertThat(held).as("(nearly) every page was stored on some memory component").isGreaterThanOrEqualTo(15 * mib);
        assertThat(rows).allSatisfy(r -> assertThat(r.writeSeconds() + r.verifySeconds()).isPositive());
    }
}
