package org.legoos.net.protocol.m2m;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the M2M link (home node to vRegion owners): the one place that knows them. */
public enum M2mOp implements Op {
    /** home to vRegion owner: [addr, addr+length) (page aligned, inside vRegions this owner holds) is now mapped with prot; the owner keeps it to validate accesses. */
    MMAP(1, OwnerMap.class, OwnerMap::decode, org.legoos.net.protocol.Ack::decode),
    /** home to vRegion owner: [addr, addr+length) is no longer mapped; free its areas and pages (unmapped parts are ignored). */
    MUNMAP(2, OwnerUnmap.class, OwnerUnmap::decode, org.legoos.net.protocol.Ack::decode),
    /** mremap inside one owner: move the stored pages of [from, from+length) to [to, to+length) (both mapped here) without copying their data. */
    MOVE_PAGES(3, OwnerMovePages.class, OwnerMovePages::decode, org.legoos.net.protocol.Ack::decode),
    /** mremap across owners: the stored (ever flushed) pages of [addr, addr+length), at most maxPages, in address order. */
    READ_PAGES(4, OwnerReadPages.class, OwnerReadPages::decode, PageSet::decode),
    /** mremap across owners: store 4096 bytes per vaddr (mapped here, whatever their prot); all or nothing on NO_MEMORY. */
    WRITE_PAGES(5, OwnerWritePages.class, OwnerWritePages::decode, org.legoos.net.protocol.Ack::decode),
    /** process exit: free every area and page of pid on this owner (nothing to do if none). */
    DESTROY(6, OwnerDestroy.class, OwnerDestroy::decode, org.legoos.net.protocol.Ack::decode),
    /** home to vRegion owner: the areas of [addr, addr+length) held here now have protection prot (mprotect). */
    MPROTECT(7, OwnerProtect.class, OwnerProtect::decode, org.legoos.net.protocol.Ack::decode),
    /** home to vRegion owner: a file-backed area (M2M_MMAP with the file's vNode, path, offset and cache node). */
    MMAP_FILE(8, OwnerMapFile.class, OwnerMapFile::decode, org.legoos.net.protocol.Ack::decode),
    /** home to vRegion owner: write the stored pages of shared file areas of the range back to their files. */
    FILE_SYNC(9, OwnerFileSync.class, OwnerFileSync::decode, org.legoos.net.protocol.Ack::decode),
    /** home to vRegion owner: replicate every change of pid held here to this memory component (-1: none). */
    SET_REPLICA(10, SetReplica.class, SetReplica::decode, org.legoos.net.protocol.Ack::decode),
    /** vRegion owner to replica: apply this change (an M2M request the owner has applied) to the replica's copy. */
    REPLICATE(11, Replicate.class, Replicate::decode, org.legoos.net.protocol.Ack::decode),
    /** home to replica: the owner died; take over its vRegions of pid from the replicated copy. */
    PROMOTE(12, Promote.class, Promote::decode, org.legoos.net.protocol.Ack::decode),
    /** home to the replica of its metadata of pid: the whole metadata as of a change (empty: drop the copy). */
    HOME_SYNC(13, HomeSync.class, HomeSync::decode, org.legoos.net.protocol.Ack::decode),
    /** new home to every owner of pid: accept pid's area changes only from this home from now on. */
    SET_HOME(14, SetHome.class, SetHome::decode, org.legoos.net.protocol.Ack::decode),
    /** home to vRegion owner: the range is moving away (refuse misses and flushes there) or, moving false, stays after all; replies its stored pages. */
    MOVE_OUT(15, OwnerMoveOut.class, OwnerMoveOut::decode, PageCount::decode);

    private final Info info;

    M2mOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.info = new Info(Link.M2M, number, type, requestDecoder, replyDecoder);
    }

    @Override
    public Info info() {
        return info;
    }
}
