package org.legoos.eval;

import java.util.List;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * Where the harness runs LegoOS/J programs: one processor component, one memory and one storage component, either
 * in this JVM over the in-JVM transport ({@link InJvmDeployment}) or as separate JVM processes talking TCP over
 * loopback ({@link ProcessDeployment}). The processor is restarted with each ExCache configuration, like booting the
 * pComponent with another amount of DRAM.
 *
 * <p>Not thread-safe: one run at a time.
 */
public interface Deployment extends AutoCloseable {
    /** A label for tables and plots, e.g. "in-JVM" or "TCP, processes". */
    String label();

    /** How long one run may take unless the caller says otherwise. */
    java.time.Duration DEFAULT_TIME_LIMIT = java.time.Duration.ofMinutes(10);

    /**
     * Runs {@code program args} to completion on a processor whose ExCache is {@code excache}; a run still going after
     * {@code limit} is killed and reported {@link RunOutcome#timedOut()}.
     */
    RunOutcome run(ExCacheConfig excache, String program, List<String> args, java.time.Duration limit) throws Exception;

    /** {@link #run(ExCacheConfig, String, List, java.time.Duration)} with {@link #DEFAULT_TIME_LIMIT}. */
    default RunOutcome run(ExCacheConfig excache, String program, List<String> args) throws Exception {
        return run(excache, program, args, DEFAULT_TIME_LIMIT);
    }

    /**
     * Whether each new ExCache configuration starts a fresh JVM (whose JIT is cold): the harness then runs the
     * workload once at its quick size before measuring, as the in-JVM deployment is warm from earlier runs.
     */
    default boolean coldAfterReconfigure() {
        return false;
    }

    /**
     * Whether every program runs as its own fresh JVM (process mode): its reference is then the plain twin run as its
     * own JVM ({@link PlainTwinJvm}), start-up and cold JIT included on both sides, not the warm in-harness twin.
     */
    default boolean programsInOwnJvm() {
        return false;
    }

    @Override
    void close();
}
