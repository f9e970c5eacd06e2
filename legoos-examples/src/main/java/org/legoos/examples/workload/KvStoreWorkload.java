package org.legoos.examples.workload;

import java.util.List;
import org.legoos.examples.KvStore;
import org.legoos.examples.KvStorePlain;

/**
 * The key-value store workload: a YCSB-B-like mix ({@value #GET_RATIO} gets, the rest puts, keys drawn from a
 * scrambled Zipfian of skew {@value #ZIPF}) of {@value #OPS_PER_KEY} operations per key over {@code size} keys with
 * {@value #VALUE_BYTES}-byte values, on a hash-indexed, log-structured store whose index and log live in
 * disaggregated memory ({@code kvstore}, {@link KvStore}); the twin ({@link KvStorePlain}) runs the same store on
 * heap arrays. Every get is verified, so {@code mismatches=0} in the result line is part of a correct run.
 *
 * <p>{@link #quickSize()} is 50,000 keys (about 30 MiB). {@link #paperSize()} is one million keys: about
 * 260 MiB of live records, a log of up to twice that before the cleaner reclaims it, and a 32 to 64 MiB index,
 * so about 600 MiB of disaggregated memory; one LegoOS/J run with an ExCache larger than that stays within about
 * a minute on the two-core development machine. The twin needs a heap of about the same size.
 *
 * <p>Stateless and thread-safe.
 */
public final class KvStoreWorkload implements Workload {
    public static final int VALUE_BYTES = 256;
    public static final double GET_RATIO = 0.9;
    public static final double ZIPF = 0.99;
    public static final int OPS_PER_KEY = 10;
    /** The largest key count the program accepts. */
    public static final long MAX_KEYS = Integer.MAX_VALUE - 8;

    @Override
    public String name() {
        return "kvstore";
    }

    @Override
    public String description() {
        return "key-value store, " + OPS_PER_KEY + " ops per key, " + (int) (GET_RATIO * 100) + "% gets, zipf " + ZIPF
                + ", " + VALUE_BYTES + "-byte values (hash index and log in disaggregated memory)";
    }

    @Override
    public String program() {
        return "kvstore";
    }

    @Override
    public String sizeUnit() {
        return "keys";
    }

    @Override
    public long quickSize() {
        return 50_000;
    }

    @Override
    public long paperSize() {
        return 1_000_000;
    }

    /**
     * A log of at most twice the live records ({@code 16 + 256} bytes each; the cleaner keeps garbage below the live
     * data plus a segment), an index of at most 96 bytes per key (32-byte slots at load 0.35 to 0.7, and one
     * doubling for a shard that gets more than its share of keys), plus two 1 MiB segments for each of up to 16
     * shards.
     */
    @Override
    public long estimatedWorkingSetBytes(long size) {
        checkSize(size);
        long record = (16 + VALUE_BYTES + 7) & ~7L;
        return size * (2 * record + 96) + 32L * (1 << 20);
    }

    @Override
    public List<String> programArgs(long size, long seed, int threads) {
        checkSize(size);
        return List.of("--keys", Long.toString(size), "--ops", Long.toString(ops(size)),
                "--value-bytes", Integer.toString(VALUE_BYTES), "--get-ratio", Double.toString(GET_RATIO),
                "--zipf", Double.toString(ZIPF), "--seed", Long.toString(seed), "--threads", Integer.toString(threads));
    }

    @Override
    public String runPlain(long size, long seed, int threads) throws Exception {
        checkSize(size);
        return KvStorePlain.run(size, ops(size), VALUE_BYTES, GET_RATIO, ZIPF, seed, threads);
    }

    /** Operations of a run over {@code keys} keys. */
    public static long ops(long keys) {
        return OPS_PER_KEY * keys;
    }

    private static void checkSize(long size) {
        if (size < 1 || size > MAX_KEYS) {
            throw new IllegalArgumentException("kvstore size (keys) must be in [1, " + MAX_KEYS + "], got " + size);
        }
    }
}
