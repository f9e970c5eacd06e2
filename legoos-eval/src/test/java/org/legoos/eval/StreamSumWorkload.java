package org.legoos.eval;

import java.util.List;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.examples.workload.Workload;

/**
 * A small test workload: fills {@code size} longs in disaggregated memory, then sums them twice (sequential, then a
 * fixed pseudo-random order). Its twin does the same on a {@code long[]}.
 */
class StreamSumWorkload implements Workload {
    /** The program, registered as "streamsum" via the deployment's extra programs. */
    public static final class Program implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            int n = Integer.parseInt(args[0]);
            long seed = Long.parseLong(args[1]);
            AddressSpace m = ctx.memory();
            long base = m.mmap((long) n * 8);
            for (int i = 0; i < n; i++) {
                m.putLong(base + 8L * i, value(seed, i));
            }
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += m.getLong(base + 8L * i);
            }
            for (int i = 0, j = 0; i < n; i++, j = (int) ((j + 7919L) % n)) {
                sum = sum * 31 + m.getLong(base + 8L * j);
            }
            ctx.out().println("result n=" + n + " sum=" + Long.toHexString(sum));
            return 0;
        }
    }

    static long value(long seed, int i) {
        return (seed + i) * 0x9E3779B97F4A7C15L;
    }

    @Override
    public String name() {
        return "streamsum";
    }

    @Override
    public String description() {
        return "test: fill and sum longs";
    }

    @Override
    public String program() {
        return "streamsum";
    }

    @Override
    public String sizeUnit() {
        return "longs";
    }

    @Override
    public long quickSize() {
        return 1 << 18;
    }

    @Override
    public long paperSize() {
        return 1 << 20;
    }

    @Override
    public long estimatedWorkingSetBytes(long size) {
        return size * 8 + (64 << 10);
    }

    @Override
    public List<String> programArgs(long size, long seed, int threads) {
        return List.of(Long.toString(size), Long.toString(seed));
    }

    @Override
    public String runPlain(long size, long seed, int threads) {
        int n = (int) size;
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = value(seed, i);
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += a[i];
        }
        for (int i = 0, j = 0; i < n; i++, j = (int) ((j + 7919L) % n)) {
            sum = sum * 31 + a[j];
        }
        return "result n=" + n + " sum=" + Long.toHexString(sum);
    }
}
