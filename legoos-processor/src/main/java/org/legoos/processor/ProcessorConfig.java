package org.legoos.processor;

import org.legoos.api.ProcessorMode;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Configuration of a processor component.
 *
 * @param cores cores application threads may use (LegoOS reserves others for the monitor); the GPM places by
 *     threads per core
 * @param excache the ExCache geometry and policy (its capacity is this component's "DRAM")
 * @param maxProcesses processes this component runs at once
 * @param killGraceMillis how long a killed process's threads get to notice before the process is reported dead
 * @param mode process mode (a JVM per process), thread mode, or auto (process mode where the host supports it)
 * @param taskHeapBytes the heap bound ({@code -Xmx}) of each process-mode task, counted against this component
 */
public record ProcessorConfig(int cores, ExCacheConfig excache, int maxProcesses, long killGraceMillis, ProcessorMode mode,
                              long taskHeapBytes, int warmTasks) {
    /** Default mode: process mode where the host supports it (the configuration key's default too). */
    public static final ProcessorMode DEFAULT_MODE = ProcessorMode.AUTO;
    /** Default heap of a process-mode task. */
    public static final long DEFAULT_TASK_HEAP_BYTES = 256L << 20;
    /** Default number of task JVMs kept started and waiting for a program, per class path in use (process mode). */
    public static final int DEFAULT_WARM_TASKS = 1;
    /** Most warm task JVMs per class path. */
    public static final int MAX_WARM_TASKS = 16;

    /** With {@link #DEFAULT_WARM_TASKS} warm task JVMs. */
    public ProcessorConfig(int cores, ExCacheConfig excache, int maxProcesses, long killGraceMillis, ProcessorMode mode,
                           long taskHeapBytes) {
        this(cores, excache, maxProcesses, killGraceMillis, mode, taskHeapBytes, DEFAULT_WARM_TASKS);
    }

    /** A configuration in the {@link #DEFAULT_MODE default mode} with the default task heap. */
    public ProcessorConfig(int cores, ExCacheConfig excache, int maxProcesses, long killGraceMillis) {
        this(cores, excache, maxProcesses, killGraceMillis, DEFAULT_MODE, DEFAULT_TASK_HEAP_BYTES);
    }

    public ProcessorConfig {
        if (cores < 1) {
            throw new IllegalArgumentException("processor cores must be at least 1, got " + cores);
        }
        java.util.Objects.requireNonNull(excache, "excache");
        if (maxProcesses < 1 || maxProcesses > 1 << 16) {
            throw new IllegalArgumentException("processor maxProcesses must be in [1, 65536], got " + maxProcesses);
        }
        if (killGraceMillis < 0) {
            throw new IllegalArgumentException("processor killGraceMillis must not be negative, got " + killGraceMillis);
        }
        java.util.Objects.requireNonNull(mode, "mode");
        if (taskHeapBytes < (16L << 20)) {
            throw new IllegalArgumentException("processor taskHeapBytes must be at least 16MiB, got " + taskHeapBytes);
        }
        if (warmTasks < 0 || warmTasks > MAX_WARM_TASKS) {
            throw new IllegalArgumentException("processor warmTasks must be in [0, " + MAX_WARM_TASKS + "], got " + warmTasks);
        }
    }

    /** This configuration in {@code mode}. */
    public ProcessorConfig withMode(ProcessorMode mode) {
        return new ProcessorConfig(cores, excache, maxProcesses, killGraceMillis, mode, taskHeapBytes, warmTasks);
    }

    /** This configuration with {@code n} warm task JVMs per class path (0: every task JVM starts when asked for). */
    public ProcessorConfig withWarmTasks(int n) {
        return new ProcessorConfig(cores, excache, maxProcesses, killGraceMillis, mode, taskHeapBytes, n);
    }

    /** {@code cores} cores and an ExCache of {@code excacheBytes} with LegoOS's defaults. */
    public static ProcessorConfig of(int cores, long excacheBytes) {
        return new ProcessorConfig(cores, ExCacheConfig.of(excacheBytes), 256, 2000);
    }
}
