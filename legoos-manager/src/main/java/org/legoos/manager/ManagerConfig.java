package org.legoos.manager;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of the {@link GlobalManager} (GPM, GMM, GSM and membership). Validated on construction: a bad
 * value is an {@link IllegalArgumentException} naming the field.
 *
 * @param memoryPolicy how the GMM picks memory components
 * @param heartbeatTimeoutMillis a component whose last REGISTER or STATUS_REPORT is older than this is marked
 *     DEAD and never chosen until it reports again
 * @param tickPeriodMillis how often the manager's own thread runs {@link GlobalManager#tick(long)}; 0 means no
 *     thread is started and the owner (typically a test) drives {@code tick} itself
 * @param stateDir where vNodes, component registrations, next ids and the pid counter persist across a
 *     manager restart; null keeps everything in memory
 * @param vnodeIpPool IPv4 CIDR block (e.g. {@code 10.77.0.0/16}) from which vNodes get their virtual IPs
 * @param defaultMemoryQuotaBytes memory quota of a vNode created with quota 0
 * @param defaultMaxProcesses process limit of a vNode created with limit 0
 * @param defaultStorageQuotaBytes storage quota of a vNode created with quota 0 (also of a vNode saved before storage
 *     quotas existed)
 * @param storageCallTimeoutMillis how long VNODE_CREATE waits for the storage component's STORAGE_ATTACH reply
 * @param deadRetentionMillis how long a DEAD component stays in the membership table before the manager forgets
 *     it, unless a vNode or process still refers to it (a component that comes back within it, at the same
 *     address, keeps its node id); 0 forgets it at the first heartbeat check after its death
 */
public record ManagerConfig(GmmPolicy memoryPolicy, long heartbeatTimeoutMillis, long tickPeriodMillis, Path stateDir,
                            String vnodeIpPool, long defaultMemoryQuotaBytes, int defaultMaxProcesses,
                            long storageCallTimeoutMillis, long deadRetentionMillis, long defaultStorageQuotaBytes) {
    /** Default of {@code deadRetentionMillis} (10 minutes); {@code manager.deadRetention} in lego.yaml. */
    public static final long DEFAULT_DEAD_RETENTION_MILLIS = 600_000;
    /** Default of {@code defaultMemoryQuotaBytes} (1 GiB); {@code manager.defaultMemoryQuotaBytes} in lego.yaml. */
    public static final long DEFAULT_MEMORY_QUOTA_BYTES = 1L << 30;
    /** Default of {@code defaultMaxProcesses}; {@code manager.defaultMaxProcesses} in lego.yaml. */
    public static final int DEFAULT_MAX_PROCESSES = 64;
    /** Default of {@code defaultStorageQuotaBytes} (16 GiB); {@code manager.defaultStorageQuotaBytes} in lego.yaml. */
    public static final long DEFAULT_STORAGE_QUOTA_BYTES = 16L << 30;

    /** As the canonical constructor, with the default {@code deadRetentionMillis}. */
    public ManagerConfig(GmmPolicy memoryPolicy, long heartbeatTimeoutMillis, long tickPeriodMillis, Path stateDir,
                         String vnodeIpPool, long defaultMemoryQuotaBytes, int defaultMaxProcesses,
                         long storageCallTimeoutMillis) {
        this(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool, defaultMemoryQuotaBytes,
                defaultMaxProcesses, storageCallTimeoutMillis, DEFAULT_DEAD_RETENTION_MILLIS, DEFAULT_STORAGE_QUOTA_BYTES);
    }

    /**
     * Round robin, 3 s heartbeat timeout checked every 500 ms, no persistence, pool 10.77.0.0/16, 1 GiB and 64
     * processes and 16 GiB of files per vNode, 10 s for storage to attach a vNode, DEAD components forgotten after 10 minutes.
     */
    public static ManagerConfig defaults() {
        return new ManagerConfig(GmmPolicy.ROUND_ROBIN, 3_000, 500, null, "10.77.0.0/16", DEFAULT_MEMORY_QUOTA_BYTES,
                DEFAULT_MAX_PROCESSES, 10_000);
    }

    public ManagerConfig {
        Objects.requireNonNull(memoryPolicy, "memoryPolicy");
        if (heartbeatTimeoutMillis <= 0) {
            throw new IllegalArgumentException("heartbeatTimeoutMillis must be positive, got " + heartbeatTimeoutMillis);
        }
        if (tickPeriodMillis < 0) {
            throw new IllegalArgumentException("tickPeriodMillis must be 0 (no thread) or positive, got " + tickPeriodMillis);
        }
        IpPool.parse(vnodeIpPool);
        if (defaultMemoryQuotaBytes <= 0) {
            throw new IllegalArgumentException("defaultMemoryQuotaBytes must be positive, got " + defaultMemoryQuotaBytes);
        }
        if (defaultStorageQuotaBytes <= 0) {
            throw new IllegalArgumentException("defaultStorageQuotaBytes must be positive, got " + defaultStorageQuotaBytes);
        }
        if (defaultMaxProcesses <= 0) {
            throw new IllegalArgumentException("defaultMaxProcesses must be positive, got " + defaultMaxProcesses);
        }
        if (storageCallTimeoutMillis <= 0) {
            throw new IllegalArgumentException("storageCallTimeoutMillis must be positive, got " + storageCallTimeoutMillis);
        }
        if (deadRetentionMillis < 0) {
            throw new IllegalArgumentException("deadRetentionMillis must not be negative, got " + deadRetentionMillis);
        }
    }

    public ManagerConfig withMemoryPolicy(GmmPolicy v) {
        return new ManagerConfig(v, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool, defaultMemoryQuotaBytes,
                defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withHeartbeatTimeoutMillis(long v) {
        return new ManagerConfig(memoryPolicy, v, tickPeriodMillis, stateDir, vnodeIpPool, defaultMemoryQuotaBytes,
                defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withTickPeriodMillis(long v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, v, stateDir, vnodeIpPool, defaultMemoryQuotaBytes,
                defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withStateDir(Path v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, v, vnodeIpPool, defaultMemoryQuotaBytes,
                defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withVnodeIpPool(String v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, v, defaultMemoryQuotaBytes,
                defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withDefaultMemoryQuotaBytes(long v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool, v,
                defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withDefaultMaxProcesses(int v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool,
                defaultMemoryQuotaBytes, v, storageCallTimeoutMillis, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withStorageCallTimeoutMillis(long v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool,
                defaultMemoryQuotaBytes, defaultMaxProcesses, v, deadRetentionMillis, defaultStorageQuotaBytes);
    }

    public ManagerConfig withDeadRetentionMillis(long v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool,
                defaultMemoryQuotaBytes, defaultMaxProcesses, storageCallTimeoutMillis, v, defaultStorageQuotaBytes);
    }

    public ManagerConfig withDefaultStorageQuotaBytes(long v) {
        return new ManagerConfig(memoryPolicy, heartbeatTimeoutMillis, tickPeriodMillis, stateDir, vnodeIpPool,
                defaultMemoryQuotaBytes, defaultMaxProcesses, storageCallTimeoutMillis, deadRetentionMillis, v);
    }
}
