package org.legoos.net.protocol;

/**
 * The links messages travel on, as in LegoOS ({@code P2M_PCACHE_MISS}, {@code M2S_READ}, ...). An opcode
 * on the wire is {@code link.id << 8 | number}, so each link's enum owns its numbers.
 */
public enum Link {
    /** processor to memory: ExCache misses and flushes, address-space calls, file data through the buffer cache. */
    P2M(1),
    /** processor to storage: file metadata and directory operations. */
    P2S(2),
    /** memory to storage: buffer-cache fills and write-backs. */
    M2S(3),
    /** memory to memory: home node to vRegion owners. */
    M2M(4),
    /** any component or client to the global managers (GPM, GMM, GSM) and membership. */
    GM(5),
    /** process management: launching, streaming, killing processes on a processor component. */
    PM(6);

    public final int id;

    Link(int id) {
        this.id = id;
    }
}
