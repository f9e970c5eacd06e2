package org.legoos.examples;

import org.legoos.api.AddressSpace;

/** Test-only decorator forwarding every call to another address space; subclasses override what they intercept. */
public class ForwardingAddressSpace implements AddressSpace {
    protected final AddressSpace delegate;

    public ForwardingAddressSpace(AddressSpace delegate) {
        this.delegate = delegate;
    }

    @Override public long mmap(long hint, long length, int prot) { return delegate.mmap(hint, length, prot); }
    @Override public void munmap(long addr, long length) { delegate.munmap(addr, length); }
    @Override public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
        return delegate.mremap(oldAddr, oldLength, newLength, mayMove);
    }
    @Override public long mmap(long hint, long length, int prot, int flags, String path, long offset) {
        return delegate.mmap(hint, length, prot, flags, path, offset);
    }
    @Override public void mprotect(long addr, long length, int prot) { delegate.mprotect(addr, length, prot); }
    @Override public long brk(long newBreak) { return delegate.brk(newBreak); }
    @Override public void msync(long addr, long length) { delegate.msync(addr, length); }
    @Override public byte getByte(long va) { return delegate.getByte(va); }
    @Override public void putByte(long va, byte value) { delegate.putByte(va, value); }
    @Override public int getInt(long va) { return delegate.getInt(va); }
    @Override public void putInt(long va, int value) { delegate.putInt(va, value); }
    @Override public long getLong(long va) { return delegate.getLong(va); }
    @Override public void putLong(long va, long value) { delegate.putLong(va, value); }
    @Override public void read(long va, byte[] dst, int offset, int length) { delegate.read(va, dst, offset, length); }
    @Override public void write(long va, byte[] src, int offset, int length) { delegate.write(va, src, offset, length); }
}
