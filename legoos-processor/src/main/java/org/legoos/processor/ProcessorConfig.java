package org.legoos.processor;

import org.legoos.processor.excache.ExCacheConfig;

/**
 * Configuration of a processor component.
 *
 * @param cores cores application threads may use (LegoOS reserves others for the monitor); the GPM places by
 *     threads per core
 * @param excache the ExCache geometry and policy (its capacity is this component's "DRAM")
 * @param maxProcesses processes this component runs at once
 * @param killGraceMillis how long a killed process's threads get to notice before the process is reported dead
 */
public record ProcessorConfig(int cores, ExCacheConfig excache, int maxProcesses, long killGraceMillis) {
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
    }

    /** {@code cores} cores and an ExCache of {@code excacheBytes} with LegoOS's defaults. */
    public static ProcessorConfig of(int cores, long excacheBytes) {
        return new ProcessorConfig(cores, ExCacheConfig.of(excacheBytes), 256, 2000);
    }
}
