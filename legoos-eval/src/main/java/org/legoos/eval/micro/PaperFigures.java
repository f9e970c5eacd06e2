package org.legoos.eval.micro;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * The LegoOS paper's micro-benchmark numbers, the one place they are written down, so tables can print them next
 * to ours.
 *
 * <p>Source: Y. Shan, Y. Huang, Y. Chen, Y. Zhang, "LegoOS: A Disseminated, Distributed OS for Hardware Resource
 * Disaggregation", OSDI 2018, the "Evaluation" section's micro-benchmark results: memory performance (4 KiB sequential
 * loads on a cold ExCache, by application and memory-worker threads) and storage performance (4 KiB random and
 * sequential reads and writes against Linux on a local disk). The paper measured
 * over RDMA (InfiniBand) on real machines; LegoOS/J runs on the JVM over in-JVM frames or loopback TCP, so the
 * numbers are a reference for shape (scaling, ratios), not a target.
 *
 * <p>Immutable and thread-safe.
 */
public final class PaperFigures {
    /**
     * 4 KiB sequential loads on a cold cache, one memory component with 4 worker threads, K IOPS by application
     * threads: LegoOS over RDMA.
     */
    private static final Map<Integer, Double> MEMORY_LEGOOS_KIOPS_4_WORKERS = Map.of(1, 125.0, 4, 426.0, 8, 668.0);
    /** The same loads on Linux with local DRAM, K IOPS by threads. */
    private static final Map<Integer, Double> MEMORY_LINUX_KIOPS = Map.of(1, 1040.0, 4, 3902.0, 8, 7139.0);
    /** The worker-thread count of the memory component in the paper's memory-throughput figures. */
    public static final int MEMORY_PAPER_WORKERS = 4;

    /** 4 KiB storage operations, fsync after writes, K IOPS: Linux (local disk). */
    private static final Map<StoragePhase, Double> STORAGE_LINUX_KIOPS = Map.of(
            StoragePhase.RAND_READ, 10.6, StoragePhase.RAND_WRITE, 31.5,
            StoragePhase.SEQ_READ, 51.8, StoragePhase.SEQ_WRITE, 34.6);
    /** The same on LegoOS (storage component with its buffer cache on a memory component). */
    private static final Map<StoragePhase, Double> STORAGE_LEGOOS_KIOPS = Map.of(
            StoragePhase.RAND_READ, 8.9, StoragePhase.RAND_WRITE, 17.1,
            StoragePhase.SEQ_READ, 25.3, StoragePhase.SEQ_WRITE, 17.4);

    private PaperFigures() {
    }

    /**
     * The paper's LegoOS memory throughput in K IOPS for this cell, if it reported one (only 4 workers, and 1, 4
     * or 8 threads).
     */
    public static OptionalDouble memoryLegoKiops(int memoryWorkers, int threads) {
        if (memoryWorkers != MEMORY_PAPER_WORKERS) {
            return OptionalDouble.empty();
        }
        Double v = MEMORY_LEGOOS_KIOPS_4_WORKERS.get(threads);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** The paper's Linux local-DRAM throughput in K IOPS at {@code threads} (1, 4 or 8), if reported. */
    public static OptionalDouble memoryLinuxKiops(int threads) {
        Double v = MEMORY_LINUX_KIOPS.get(threads);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** The paper's LegoOS storage throughput for {@code phase}, K IOPS. */
    public static double storageLegoKiops(StoragePhase phase) {
        return STORAGE_LEGOOS_KIOPS.get(phase);
    }

    /** The paper's Linux storage throughput for {@code phase}, K IOPS. */
    public static double storageLinuxKiops(StoragePhase phase) {
        return STORAGE_LINUX_KIOPS.get(phase);
    }

    /** LegoOS over Linux for {@code phase} in the paper (e.g. 0.84 for random reads). */
    public static double storageRatio(StoragePhase phase) {
        return storageLegoKiops(phase) / storageLinuxKiops(phase);
    }
}
