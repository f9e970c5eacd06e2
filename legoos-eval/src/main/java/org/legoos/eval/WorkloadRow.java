package org.legoos.eval;

import org.legoos.processor.excache.ExCacheStats;

/**
 * One line of the workload table: a workload run in one configuration.
 *
 * @param deployment "plain Java" for the twin ({@link WorkloadBench#OWN_JVM_TWIN} for the twin in its own JVM), else
 *     the deployment's label
 * @param config "twin", "full" (ExCache larger than the working set) or the ExCache share, e.g. "25%"
 * @param cacheFraction ExCache capacity / working set (0 for the twin)
 * @param cacheBytes ExCache capacity (0 for the twin)
 * @param workingSetBytes bytes of distinct pages the workload touched (measured on the in-JVM full run)
 * @param seconds wall time
 * @param vsFull time / the same deployment's full-ExCache time (1 for full; 0 for the twin)
 * @param vsTwin time / the twin's time (the own-JVM twin's for deployments whose programs are their own JVMs)
 * @param stats ExCache counters (null for the twin and for separate processes)
 * @param correct whether the result line equals the twin's
 * @param timedOut whether the run was killed at the harness's time limit ({@code seconds} is the limit)
 */
public record WorkloadRow(String workload, long size, String deployment, String config, double cacheFraction,
                          long cacheBytes, long workingSetBytes, double seconds, double vsFull, double vsTwin,
                          ExCacheStats stats, boolean correct, boolean timedOut) {
}
