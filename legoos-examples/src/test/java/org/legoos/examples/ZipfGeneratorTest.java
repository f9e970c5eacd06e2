package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ZipfGeneratorTest {
    @Test
    void rankFrequenciesFollowZipf() {
        long seed = System.nanoTime();
        System.out.println("rankFrequenciesFollowZipf seed=" + seed);
        int n = 1000;
        ZipfGenerator z = new ZipfGenerator(n, 0.99);
        long[] hist = new long[n];
        int samples = 400_000;
        long s = seed;
        for (int i = 0; i < samples; i++) {
            s += Mix.GOLDEN;
            long r = z.rank(Mix.unit(Mix.splitmix(s)));
            assertThat(r).isBetween(0L, n - 1L);
            hist[(int) r]++;
        }
        double zeta = ZipfGenerator.zeta(n, 0.99);
        assertThat(hist[0] / (double) samples).isCloseTo(1 / zeta, within(0.01));
        assertThat(hist[1] / (double) samples).isCloseTo(Math.pow(2, -0.99) / zeta, within(0.01));
        assertThat(hist[0]).isGreaterThan(hist[10]).isGreaterThan(hist[500]);
    }

    @Test
    void thetaZeroIsUniform() {
        ZipfGenerator z = new ZipfGenerator(10, 0);
        long[] hist = new long[10];
        for (int i = 0; i < 100_000; i++) {
            hist[(int) z.rank(i / 100_000.0)]++;
        }
        for (long h : hist) {
            assertThat(h).isBetween(9_000L, 11_000L);
        }
    }

    @Test
    void scrambledRanksStayInRange() {
        ZipfGenerator z = new ZipfGenerator(777, 0.99);
        for (int i = 0; i < 10_000; i++) {
            assertThat(z.scrambledRank(i / 10_000.0)).isBetween(0L, 776L);
        }
        ZipfGenerator one = new ZipfGenerator(1, 0.99);
        assertThat(one.rank(0.999)).isZero();
        assertThat(one.scrambledRank(0.5)).isZero();
        ZipfGenerator two = new ZipfGenerator(2, 0.5);
        assertThat(two.rank(0.0)).isZero();
        assertThat(two.rank(0.99)).isEqualTo(1);
    }

    @Test
    void zetaTailApproximationMatchesExactSum() {
        long n = (1L << 20) + 2_000_000;
        double exact = 0;
        for (long i = n; i >= 1; i--) {
            exact += Math.pow(i, -0.99);
        }
        assertThat(ZipfGenerator.zeta(n, 0.99)).isCloseTo(exact, within(exact * 1e-9));
    }

    @Test
    void rejectsBadParameters() {
        assertThatThrownBy(() -> new ZipfGenerator(0, 0.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ZipfGenerator(10, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ZipfGenerator(10, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
