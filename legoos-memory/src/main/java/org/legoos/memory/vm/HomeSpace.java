package org.legoos.memory.vm;

import it.unimi.dsi.fastutil.longs.Long2IntRBTreeMap;

/**
 * What the home memory component keeps of one process's address space: the authoritative VMA tree, the
 * program break, the vRegion to owner map and the quota. Guarded by its own monitor: the home serialises the
 * VM calls of one process (they come from its one processor anyway).
 */
final class HomeSpace {
    final long pid;
    final int vnodeId;
    /**
     * The memory quota of the process's vNode (which the GMM holds over all its processes, see
     * {@code HomeNode.reserveQuota}); 0 for no limit.
     */
    final long quotaBytes;
    final VmaTree areas = new VmaTree();
    /** vRegion index to owner node, sorted by index. */
    final Long2IntRBTreeMap owners = new Long2IntRBTreeMap();
    /** Raised with every change of {@link #owners}, so processors keep the newest map (see MapReply). */
    long ownersVersion;
    /**
     * Owner node to the node holding the replica of this process's vRegions there (-1: none), for every owner the
     * home has asked the GMM about.
     */
    final it.unimi.dsi.fastutil.ints.Int2IntOpenHashMap replicaOf = new it.unimi.dsi.fastutil.ints.Int2IntOpenHashMap();
    long brk;
    boolean destroyed;
    /** The memory component holding a copy of this metadata (M2M_HOME_SYNC), -1 for none. */
    int homeReplica = -1;
    /** Changes sent to {@link #homeReplica} so far, and the state last sent (a call that changed nothing sends none). */
    long syncSeq;
    /** Numbers each pairing of an owner with a replica (M2M_SET_REPLICA, M2M_PROMOTE); only grows, also across adoption. */
    long epoch;
    /** After the GMM found no replica for an owner, when to ask again (System.nanoTime). */
    long askReplicaAfterNanos;
    byte[] lastSynced;
    /**
     * Owners whose new replica is being sent their pages outside this space's lock (see {@code HomeNode#nameReplica}),
     * and the memory components declared dead meanwhile (a pairing that involves one is not recorded). Not replicated:
     * a home that takes over starts with none, and names replicas again at the next join.
     */
    final it.unimi.dsi.fastutil.ints.IntOpenHashSet seeding = new it.unimi.dsi.fastutil.ints.IntOpenHashSet();
    final it.unimi.dsi.fastutil.ints.IntOpenHashSet deadWhileSeeding = new it.unimi.dsi.fastutil.ints.IntOpenHashSet();
    /**
     * Memory components declared dead while they held vRegions of this space without a replica: those pages are lost,
     * and processors are told so in every owner map (so they fail an access there at once). Replicated with the rest.
     */
    final it.unimi.dsi.fastutil.ints.IntOpenHashSet lostOwners = new it.unimi.dsi.fastutil.ints.IntOpenHashSet();
    /**
     * Owners that an adoption's {@code M2M_SET_HOME} did not reach (see {@code HomeNode#adoptHomesOf}): they still
     * take pid's changes from the old home only, so a refusal from one is answered by telling it again. Not replicated.
     */
    final it.unimi.dsi.fastutil.ints.IntOpenHashSet ownersToTell = new it.unimi.dsi.fastutil.ints.IntOpenHashSet();
    /**
     * Dead owners whose failover failed (their replica did not answer) and is to be tried again
     * ({@code HomeNode#retryFailover}). Not replicated: a home that takes over fails over anew.
     */
    final it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap<FailedFailover> failedFailovers =
            new it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap<>();
    /** Bytes the GMM counts against the vNode's memory quota for this process (reserved or reported). */
    long reportedBytes;

    /** A dead owner's failover that failed: the attempts made, and whether the next one is scheduled. */
    static final class FailedFailover {
        int attempts;
        boolean scheduled;
    }

    HomeSpace(long pid, int vnodeId, long quotaBytes, long heapStart) {
        this.pid = pid;
        this.vnodeId = vnodeId;
        this.quotaBytes = quotaBytes;
        this.brk = heapStart;
        owners.defaultReturnValue(-1);
        replicaOf.defaultReturnValue(-1);
    }
}
