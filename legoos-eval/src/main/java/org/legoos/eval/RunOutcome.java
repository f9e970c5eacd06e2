package org.legoos.eval;

import org.legoos.processor.excache.ExCacheStats;

/**
 * One run of a workload program (or of its plain-Java twin).
 *
 * @param seconds wall time from start to exit as the harness saw it
 * @param exitCode the program's exit code (0 for a twin that returned)
 * @param resultLine the program's {@code "result "} line, or null if it printed none
 * @param stats the processor's ExCache counters over the run, or null where they cannot be read (separate processes,
 *     twins)
 * @param stderr what the program wrote on stderr (for error messages)
 * @param timedOut whether the harness killed the run at its time limit ({@code seconds} is then the limit)
 */
public record RunOutcome(double seconds, int exitCode, String resultLine, ExCacheStats stats, String stderr,
                         boolean timedOut) {
    /** Whether the run exited 0 and printed a result. */
    public boolean ok() {
        return exitCode == 0 && resultLine != null;
    }

    /** Bytes of distinct pages the run touched, from the counters (exact when nothing was evicted). */
    public long touchedBytes() {
        return stats == null ? -1 : stats.touchedPages() * 4096L;
    }
}
