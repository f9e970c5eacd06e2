package org.legoos.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A key-value store benchmark whose store lives entirely in disaggregated memory: hash-indexed, with
 * values in a log-structured arena ({@link KvShard}), driven by a YCSB-style Zipfian get/put mix.
 *
 * <pre>kvstore [--keys N] [--ops M] [--value-bytes B] [--get-ratio R] [--zipf THETA] [--seed S]
 *         [--threads T] [--segment-bytes BYTES]</pre>
 *
 * <p>Keys are 8 bytes: key number {@code k} in [0, N) is stored as a 64-bit bijective scramble of {@code k}.
 * Values are {@code B} bytes derived deterministically from {@code (seed, k, version)}, where version 1 is
 * written by the load phase and each put writes the next version. Operation {@code i} of the run phase is
 * a pure function of {@code (seed, i)}: a get with probability {@code R}, else a put, on the key chosen by
 * a scrambled Zipfian generator of skew {@code THETA} ({@link ZipfGenerator}). Threads take contiguous
 * ranges of operations and lock the key's shard (there are about 4 shards per thread).
 *
 * <p><b>Verification is exact.</b> The expected version of every key is kept on the heap (4 bytes per
 * key, updated under the shard lock); every get must return a record with the right key, that version, the
 * right length and exactly the derived bytes, and a final pass checks every key the same way. Because
 * the final version of a key is one plus the number of puts to it, the final store and the printed
 * {@code checksum} do not depend on thread count or scheduling. Exit code 0, 1 on any mismatch (the first
 * ten are described on stderr), 2 on bad arguments.
 *
 * <p>Output on stdout: a line echoing the configuration; the result line
 * {@code result gets=G puts=P mismatches=X checksum=<16 hex digits>} (deterministic; the plain-Java twin
 * {@link KvStorePlain} computes the same line); a line of timings and log statistics (not deterministic).
 */
public final class KvStore implements LegoProgram {
    private static final String USAGE = "usage: kvstore [--keys N] [--ops M] [--value-bytes B] [--get-ratio R] "
            + "[--zipf THETA] [--seed S] [--threads T] [--segment-bytes BYTES]";
    private static final int MAX_REPORTED = 10;

    /** Parsed arguments. */
    record Config(long keys, long ops, int valueBytes, double getRatio, double zipf, long seed, int threads,
                  long segmentBytes) {
    }

    @Override
    public int main(LegoContext ctx, String[] argv) throws Exception {
        Config c;
        try {
            Args a = Args.parse(argv, Set.of());
            if (!a.positional().isEmpty()) {
                throw new IllegalArgumentException("unexpected argument " + a.positional().get(0));
            }
            long keys = a.longValue("keys", 100_000, 1, Integer.MAX_VALUE - 8);
            long ops = a.longValue("ops", 1_000_000, 0, Long.MAX_VALUE / 4);
            int valueBytes = (int) a.size("value-bytes", 256, 1, 1 << 20);
            double getRatio = a.doubleValue("get-ratio", 0.9, 0, 1);
            double zipf = a.doubleValue("zipf", 0.99, 0, Math.nextDown(1.0));
            long seed = a.longValue("seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            int threads = a.intValue("threads", Math.max(1, ctx.cores()), 1, 1024);
            long segmentBytes = a.size("segment-bytes", defaultSegmentBytes(valueBytes),
                    AddressSpace.PAGE_SIZE, 1L << 30);
            a.finish();
            c = new Config(keys, ops, valueBytes, getRatio, zipf, seed, threads, segmentBytes);
        } catch (IllegalArgumentException e) {
            ctx.err().println("kvstore: " + e.getMessage());
            ctx.err().println(USAGE);
            return 2;
        }
        return run(ctx, c);
    }

    /** The log segment size without {@code --segment-bytes}: 1 MiB, or 16 records if they are larger. */
    static long defaultSegmentBytes(int valueBytes) {
        long recordBytes = (KvShard.HEADER + valueBytes + 7) & ~7L;
        return Math.max(1 << 20, 16 * recordBytes);
    }

    /** The stored 8-byte key of key number {@code k}: a bijection, so distinct numbers give distinct keys. */
    static long storeKey(long k) {
        return Mix.fmix64(k ^ 0x5DEECE66DL);
    }

    /** Fills {@code dst[off..off+len)} with the value of key number {@code k} at {@code version}. */
    static void fillValue(byte[] dst, int off, int len, long seed, long k, int version) {
        long s = Mix.fmix64(seed ^ Mix.fmix64(k * Mix.GOLDEN + version));
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            s += Mix.GOLDEN;
            Bytes.putLong(dst, off + i, Mix.splitmix(s));
        }
        if (i < len) {
            s += Mix.GOLDEN;
            long r = Mix.splitmix(s);
            for (; i < len; i++, r >>>= 8) {
                dst[off + i] = (byte) r;
            }
        }
    }

    /**
     * A shard as the benchmark's driver ({@link #execute}) uses it: a {@link KvShard} in disaggregated memory, or
     * the plain-Java twin's heap shard ({@link KvStorePlain}). Callers hold {@link #lock()} around every other call.
     */
    interface Shard extends AutoCloseable {
        ReentrantLock lock();

        /** Stores {@code value[offset..offset+length)} as the value of {@code key}, tagged with {@code version}. */
        void put(long key, int version, byte[] value, int offset, int length);

        /** Reads the record of {@code key} into {@code out}; false if the key was never put. */
        boolean get(long key, KvShard.Record out);

        /** Log segments in use. */
        int segmentCount();

        /** Bytes of log written and not yet reclaimed. */
        long logBytes();

        long cleanedSegments();

        @Override
        void close();
    }

    /** Runs {@code n} workers of a phase and joins them (on a process's threads, or plain ones for the twin). */
    @FunctionalInterface
    interface Fork {
        void run(String name, int n, Workers.Task task) throws Exception;
    }

    /**
     * What a run computed and how long its phases took.
     *
     * @param reported descriptions of the first mismatches
     * @param killed whether the run phase stopped early because the process was killed
     */
    record Outcome(long gets, long puts, long mismatches, long checksum, List<String> reported, long loadNanos,
                   long runNanos, long verifyNanos, boolean killed) {
        /** The benchmark's result line: {@code result gets=G puts=P mismatches=X checksum=<16 hex digits>}. */
        String resultLine() {
            return String.format("result gets=%d puts=%d mismatches=%d checksum=%016x", gets, puts, mismatches, checksum);
        }
    }

    /** About four shards per thread, a power of two, at most 1024. */
    static int shardCount(int threads) {
        return (int) Math.min(1024, Long.highestOneBit((long) threads * 4 * 2 - 1));
    }

    /** The expected keys of one shard, as the program sizes its index. */
    static long expectedKeysPerShard(Config c, int shardCount) {
        return c.keys() / shardCount + 1;
    }

    private static int run(LegoContext ctx, Config c) throws Exception {
        AddressSpace memory = ctx.memory();
        int shardCount = shardCount(c.threads());
        KvShard[] shards = new KvShard[shardCount];
        ctx.out().printf("kvstore keys=%d ops=%d value-bytes=%d get-ratio=%s zipf=%s seed=%d threads=%d%n",
                c.keys(), c.ops(), c.valueBytes(), c.getRatio(), c.zipf(), c.seed(), c.threads());
        try {
            for (int i = 0; i < shardCount; i++) {
                shards[i] = new KvShard(memory, expectedKeysPerShard(c, shardCount), c.segmentBytes());
            }
            Outcome o = execute(c, shards, (name, n, task) -> Workers.run(ctx, name, n, task), ctx::killed);
            if (o.killed()) {
                return 130;
            }
            ctx.out().println(o.resultLine());
            long segments = 0;
            long logBytes = 0;
            long cleaned = 0;
            for (KvShard s : shards) {
                segments += s.segmentCount();
                logBytes += s.logBytes();
                cleaned += s.cleanedSegments();
            }
            double runSeconds = o.runNanos() / 1e9;
            ctx.out().printf("load-ms=%.1f run-ms=%.1f verify-ms=%.1f ops-per-sec=%.0f segments=%d log-mib=%.1f cleaned-segments=%d%n",
                    o.loadNanos() / 1e6, o.runNanos() / 1e6, o.verifyNanos() / 1e6, runSeconds > 0 ? c.ops() / runSeconds : 0.0,
                    segments, logBytes / 1048576.0, cleaned);
            ctx.out().flush();
            if (o.mismatches() != 0) {
                for (String m : o.reported()) {
                    ctx.err().println("kvstore: " + m);
                }
                ctx.err().printf("kvstore: %d mismatches%n", o.mismatches());
                return 1;
            }
            return 0;
        } finally {
            for (KvShard s : shards) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    /**
     * The benchmark on given shards: the load phase (every key at version 1), the run phase (the op mix) and the
     * verify phase (every key read back and summed into the checksum), each on {@code c.threads()} workers
     * started by {@code fork}. Shared by the program and its plain-Java twin.
     */
    static Outcome execute(Config c, Shard[] shards, Fork fork, BooleanSupplier killed) throws Exception {
        int shardCount = shards.length;
        int[] versions = new int[(int) c.keys()];
        ZipfGenerator zipf = new ZipfGenerator(c.keys(), c.zipf());
        Verifier verifier = new Verifier(c);
        long seedBase = Mix.fmix64(c.seed());
        long[] gets = new long[c.threads()];
        long[] puts = new long[c.threads()];
        long[] checksums = new long[c.threads()];
        long t0 = System.nanoTime();
        fork.run("kvstore-load", c.threads(), t -> {
            byte[] value = new byte[c.valueBytes()];
            for (long k = Workers.split(c.keys(), t, c.threads()), end = Workers.split(c.keys(), t + 1, c.threads()); k < end; k++) {
                long key = storeKey(k);
                Shard shard = shards[shardOf(key, shardCount)];
                fillValue(value, 0, value.length, c.seed(), k, 1);
                shard.lock().lock();
                try {
                    versions[(int) k] = 1;
                    shard.put(key, 1, value, 0, value.length);
                } finally {
                    shard.lock().unlock();
                }
            }
        });
        long t1 = System.nanoTime();
        fork.run("kvstore-run", c.threads(), t -> {
            byte[] value = new byte[c.valueBytes()];
            KvShard.Record rec = new KvShard.Record();
            for (long i = Workers.split(c.ops(), t, c.threads()), end = Workers.split(c.ops(), t + 1, c.threads()); i < end; i++) {
                if ((i & 4095) == 0 && killed.getAsBoolean()) {
                    return;
                }
                boolean isGet = Mix.unit(Mix.splitmix(seedBase + (2 * i) * Mix.GOLDEN)) < c.getRatio();
                long k = zipf.scrambledRank(Mix.unit(Mix.splitmix(seedBase + (2 * i + 1) * Mix.GOLDEN)));
                long key = storeKey(k);
                Shard shard = shards[shardOf(key, shardCount)];
                shard.lock().lock();
                try {
                    if (isGet) {
                        gets[t]++;
                        boolean found = shard.get(key, rec);
                        verifier.check("get", k, key, versions[(int) k], found, rec);
                    } else {
                        puts[t]++;
                        int version = ++versions[(int) k];
                        fillValue(value, 0, value.length, c.seed(), k, version);
                        shard.put(key, version, value, 0, value.length);
                    }
                } finally {
                    shard.lock().unlock();
                }
            }
        });
        if (killed.getAsBoolean()) {
            return new Outcome(0, 0, 0, 0, List.of(), 0, 0, 0, true);
        }
        long t2 = System.nanoTime();
        fork.run("kvstore-verify", c.threads(), t -> {
            KvShard.Record rec = new KvShard.Record();
            long sum = 0;
            for (long k = Workers.split(c.keys(), t, c.threads()), end = Workers.split(c.keys(), t + 1, c.threads()); k < end; k++) {
                long key = storeKey(k);
                Shard shard = shards[shardOf(key, shardCount)];
                shard.lock().lock();
                try {
                    boolean found = shard.get(key, rec);
                    if (verifier.check("final", k, key, versions[(int) k], found, rec)) {
                        long h = Mix.hashBytes(rec.data, KvShard.HEADER, rec.length);
                        sum += Mix.fmix64(h ^ (k * Mix.GOLDEN) ^ ((long) rec.version << 40));
                    }
                } finally {
                    shard.lock().unlock();
                }
            }
            checksums[t] = sum;
        });
        long t3 = System.nanoTime();
        long checksum = 0;
        for (long s : checksums) {
            checksum += s;
        }
        return new Outcome(Arrays.stream(gets).sum(), Arrays.stream(puts).sum(), verifier.mismatches.get(), checksum,
                verifier.reported(), t1 - t0, t2 - t1, t3 - t2, false);
    }

    static int shardOf(long key, int shardCount) {
        return (int) (((Mix.fmix64(key) >>> 32) * shardCount) >>> 32);
    }

    /** Compares what the store returned with what was last put; counts and describes mismatches. Thread-safe. */
    private static final class Verifier {
        private final Config c;
        final AtomicLong mismatches = new AtomicLong();
        private final List<String> reported = new ArrayList<>();
        private final ThreadLocal<byte[]> expected;

        Verifier(Config c) {
            this.c = c;
            this.expected = ThreadLocal.withInitial(() -> new byte[c.valueBytes()]);
        }

        /** @return true if the record is exactly right */
        boolean check(String phase, long k, long key, int version, boolean found, KvShard.Record rec) {
            String problem = null;
            if (!found) {
                problem = "missing";
            } else if (rec.key != key) {
                problem = String.format("record at 0x%x holds key %016x", rec.address, rec.key);
            } else if (rec.version != version) {
                problem = "version " + rec.version + ", expected " + version;
            } else if (rec.length != c.valueBytes()) {
                problem = "length " + rec.length + ", expected " + c.valueBytes();
            } else {
                byte[] want = expected.get();
                fillValue(want, 0, want.length, c.seed(), k, version);
                int at = Arrays.mismatch(rec.data, KvShard.HEADER, KvShard.HEADER + want.length, want, 0, want.length);
                if (at >= 0) {
                    problem = String.format("value byte %d (at 0x%x) is %d, expected %d",
                            at, rec.address + KvShard.HEADER + at, rec.data[KvShard.HEADER + at], want[at]);
                }
            }
            if (problem == null) {
                return true;
            }
            mismatches.incrementAndGet();
            synchronized (reported) {
                if (reported.size() < MAX_REPORTED) {
                    reported.add(String.format("%s mismatch: key %d (%016x): %s", phase, k, key, problem));
                }
            }
            return false;
        }

        List<String> reported() {
            synchronized (reported) {
                return List.copyOf(reported);
            }
        }
    }
}
