package org.legoos.net.protocol.p2m;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the P2M link: the one place that knows them. */
public enum P2mOp implements Op {
    /** ExCache miss for `pages` consecutive pages from vaddr (page aligned); a dirty victim (victim non-empty, 4096 bytes at victimVaddr) rides along (piggyback). */
    PCACHE_MISS(1, PcacheMiss.class, PcacheMiss::decode, PageData::decode),
    /** write back dirty lines: data holds 4096 bytes per vaddr, in order. */
    PCACHE_FLUSH(2, PcacheFlush.class, PcacheFlush::decode, org.legoos.net.protocol.Ack::decode),
    /** make this memory component the home of a new process address space. */
    CREATE_AS(3, CreateAddressSpace.class, CreateAddressSpace::decode, AddressSpaceInfo::decode),
    /** process exit: free every page and area of the address space on every owner. */
    DESTROY_AS(4, DestroyAddressSpace.class, DestroyAddressSpace::decode, org.legoos.net.protocol.Ack::decode),
    /** map anonymous memory (to the home node). */
    MMAP(5, Mmap.class, Mmap::decode, MapReply::decode),
    /** unmap pages (to the home node). */
    MUNMAP(6, Munmap.class, Munmap::decode, MapReply::decode),
    /** grow/shrink/move a mapping (to the home node). */
    MREMAP(7, Mremap.class, Mremap::decode, MapReply::decode),
    /** set (or with 0 read) the program break (to the home node). */
    BRK(8, Brk.class, Brk::decode, MapReply::decode),
    /** barrier after the processor flushed a range; validates the range. */
    MSYNC(9, Msync.class, Msync::decode, org.legoos.net.protocol.Ack::decode),
    /** read file data through the storage buffer cache. */
    READ(10, FileRead.class, FileRead::decode, org.legoos.net.protocol.p2s.FileData::decode),
    /** write file data into the storage buffer cache. */
    WRITE(11, FileWrite.class, FileWrite::decode, org.legoos.net.protocol.Ack::decode),
    /** write back the file's dirty cache chunks durably; drop them too if invalidate. */
    FSYNC(12, FileSync.class, FileSync::decode, org.legoos.net.protocol.Ack::decode),
    /** a process closed its last handle: write back the file's dirty chunks. */
    CLOSE(13, FileClose.class, FileClose::decode, org.legoos.net.protocol.Ack::decode),
    /** several writes of one file in one message, applied in order (a processor's write-behind flush). */
    WRITEV(14, FileWriteBatch.class, FileWriteBatch::decode, org.legoos.net.protocol.Ack::decode),
    /** set the protection of a fully mapped range (to the home node), which tells the owners. */
    MPROTECT(15, Mprotect.class, Mprotect::decode, MapReply::decode),
    /** map a file of the vNode, shared or private (to the home node), which tells the owners. */
    MMAP_FILE(16, MmapFile.class, MmapFile::decode, MapReply::decode),
    /** ExCache miss on a never written-back page of a file-backed area: the owner reads it from the file. */
    PCACHE_FILE_FILL(17, PcacheFileFill.class, PcacheFileFill::decode, PageData::decode),
    /** the owner of these pages has no room for them (NO_MEMORY): the home moves their vRegions to a component with room. */
    RELOCATE(18, Relocate.class, Relocate::decode, MapReply::decode),
    /** read the owner map of a process's address space at its home, changing nothing (the manager's dashboard). */
    OWNERS(19, OwnersRequest.class, OwnersRequest::decode, MapReply::decode);

    private final Info info;

    P2mOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.info = new Info(Link.P2M, number, type, requestDecoder, replyDecoder);
    }

    @Override
    public Info info() {
        return info;
    }
}
