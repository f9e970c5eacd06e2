package org.legoos.manager;

/**
 * How the GMM (global memory manager) picks the memory component that owns a new vRegion
 * ({@code M2MM_CONSULT}), is the home of a new process, or hosts a vNode's storage buffer cache.
 * Only live components are ever candidates, and every policy passes over a component without room for the request
 * (reported capacity minus use minus what was granted since) while another one has room.
 */
public enum GmmPolicy {
    /**
     * Cycle through the live memory components in node-id order, so consecutive vRegions of one process land
     * on different components whenever there are two or more.
     */
    ROUND_ROBIN,
    /** The component with the fewest bytes granted so far (ties: fewest grants, then lowest node id). */
    LEAST_REQUESTED,
    /**
     * The component with the most free memory: reported capacity minus reported use minus the bytes granted
     * since that report. Components whose free memory is below the request are skipped; if none fits the
     * request fails with {@code NO_MEMORY}.
     */
    MOST_FREE_MEMORY,
    /**
     * The LegoOS code's mixed policy: round robin, except that every 4th request picks the least-requested
     * component.
     */
    EVERY_4TH_LEAST_REQUESTED
}
