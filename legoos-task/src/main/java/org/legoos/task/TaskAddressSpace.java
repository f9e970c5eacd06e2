package org.legoos.task;

import org.legoos.api.AddressSpace;
import org.legoos.task.channel.SyscallClient;

/**
 * Placeholder for the process-mode address space (the memory side replaces this file): every call throws.
 */
public final class TaskAddressSpace implements AddressSpace {
    private TaskAddressSpace() {
    }

    /** The address space of the task whose system calls go through {@code client}. */
    public static AddressSpace attach(SyscallClient client) {
        return new TaskAddressSpace();
    }

    private static UnsupportedOperationException wip() {
        return new UnsupportedOperationException("process-mode memory: wip");
    }

    @Override
    public long mmap(long hint, long length, int prot) {
        throw wip();
    }

    @Override
    public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        throw wip();
    }

    @Override
    public void munmap(long addr, long length) {
        throw wip();
    }

    @Override
    public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        throw wip();
    }

    @Override
    public long brk(long newBreak) {
        throw wip();
    }

    @Override
    public void mprotect(long addr, long length, int prot) {
        throw wip();
    }

    @Override
    public void msync(long addr, long length) {
        throw wip();
    }

    @Override
    public byte getByte(long va) {
        throw wip();
    }

    @Override
    public void putByte(long va, byte value) {
        throw wip();
    }

    @Override
    public int getInt(long va) {
        throw wip();
    }

    @Override
    public void putInt(long va, int value) {
        throw wip();
    }

    @Override
    public long getLong(long va) {
        throw wip();
    }

    @Override
    public void putLong(long va, long value) {
        throw wip();
    }

    @Override
    public void read(long va, byte[] dst, int offset, int length) {
        throw wip();
    }

    @Override
    public void write(long va, byte[] src, int offset, int length) {
        throw wip();
    }
}
