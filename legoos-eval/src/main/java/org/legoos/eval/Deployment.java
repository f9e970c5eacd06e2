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

    /** Runs {@code program args} to completion on a processor whose ExCache is {@code excache}. */
    RunOutcome run(ExCacheConfig excache, String program, List<String> args) throws Exception;

    /**
     * Whether each new ExCache configuration starts a fresh JVM (whose JIT is cold): the harness then runs the
     * workload once at its quick size before measuring, as the in-JVM deployment is warm from earlier runs.
     */
    default boolean coldAfterReconfigure() {
        return false;
    }

    @Override
    void close();
}
