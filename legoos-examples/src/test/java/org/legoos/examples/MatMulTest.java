package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.legoos.api.AddressSpace;
import org.legoos.api.DoubleArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MatMulTest {
    @ParameterizedTest
    @CsvSource({"1,1,64", "7,3,4", "70,3,16", "64,2,64", "33,1,1000"})
    void tiledProductEqualsHeapTripleLoop(int n, int threads, int block) throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        long seed = 17;
        DoubleArray a = mem.allocateDoubles((long) n * n);
        DoubleArray b = mem.allocateDoubles((long) n * n);
        DoubleArray c = mem.allocateDoubles((long) n * n);
        MatMul.fill(mem, a, n, seed, 0, 0, n);
        MatMul.fill(mem, b, n, seed, 1, 0, n);
        Workers.run(ctx, "mm", threads, t -> MatMul.multiply(ctx, a, b, c, n, block, t, threads));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double want = 0;
                for (int k = 0; k < n; k++) {
                    want += MatMul.element(seed, 0, i, k) * MatMul.element(seed, 1, k, j);
                }
                assertThat(c.get((long) i * n + j)).as("C[%d][%d]", i, j).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-10 * n));
            }
        }
    }

    @Test
    void programVerifiesAndChecksumIsThreadCountIndependent() throws Exception {
        String one = runOk("--n", "90", "--threads", "1", "--block", "16", "--seed", "3");
        String three = runOk("--n", "90", "--threads", "3", "--block", "16", "--seed", "3");
        assertThat(checksumLine(one)).contains("verified=64/64").isEqualTo(checksumLine(three));
        assertThat(checksumLine(runOk("--n", "90", "--threads", "1", "--block", "16", "--seed", "4")))
                .isNotEqualTo(checksumLine(one));
    }

    @Test
    void corruptedProductIsDetected() throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        long[] cBase = {0};
        // The third mapping is C; corrupt every tile write into it by adding 1 to its first element.
        AddressSpace corrupting = new ForwardingAddressSpace(heap) {
            int maps;

            @Override
            public long mmap(long hint, long length, int prot) {
                long va = super.mmap(hint, length, prot);
                if (++maps == 3) {
                    cBase[0] = va;
                }
                return va;
            }

            @Override
            public void write(long va, byte[] src, int offset, int length) {
                super.write(va, src, offset, length);
                if (cBase[0] != 0 && va >= cBase[0]) {
                    delegate.putDouble(va, delegate.getDouble(va) + 1.0);
                }
            }
        };
        TestContext ctx = new TestContext(corrupting);
        int exit = new MatMul().main(ctx, new String[] {"--n", "8", "--threads", "1", "--block", "8", "--samples", "200"});
        assertThat(exit).isEqualTo(1);
        assertThat(ctx.stderr()).contains("direct dot product gives");
    }

    @Test
    void badArgumentsExitWith2() throws Exception {
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new MatMul().main(ctx, new String[] {"--n", "0"})).isEqualTo(2);
        assertThat(new MatMul().main(ctx, new String[] {"extra"})).isEqualTo(2);
        assertThat(ctx.stderr()).contains("usage: matmul");
    }

    private static String runOk(String... args) throws Exception {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        assertThat(new MatMul().main(ctx, args)).as(ctx.stderr()).isZero();
        assertThat(mem.mappedBytes()).isZero();
        return ctx.stdout();
    }

    private static String checksumLine(String stdout) {
        return stdout.lines().filter(l -> l.startsWith("checksum=")).findFirst().orElseThrow();
    }
}
