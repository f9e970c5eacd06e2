package org.legoos.api;

import java.util.Objects;

/**
 * A typed view of bytes laid out contiguously in a process's disaggregated {@link AddressSpace}. The view
 * itself is a small heap object (base address and length); every element lives on memory components.
 *
 * <p>Index checks throw {@link IndexOutOfBoundsException} before any memory access. Thread-safety is
 * that of the address space.
 */
public final class ByteArray {
    private final AddressSpace memory;
    private final long base;
    private final long length;

    /** A view of {@code length} bytes starting at {@code base}, which must already be mapped. */
    public ByteArray(AddressSpace memory, long base, long length) {
        this.memory = Objects.requireNonNull(memory, "memory");
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        this.base = base;
        this.length = length;
    }

    public long length() {
        return length;
    }

    /** Virtual address of element 0. */
    public long address() {
        return base;
    }

    public byte get(long index) {
        return memory.getByte(base + Objects.checkIndex(index, length) * 1L);
    }

    public void set(long index, byte value) {
        memory.putByte(base + Objects.checkIndex(index, length) * 1L, value);
    }

    /** Unmaps the array's memory; the view must not be used afterwards. */
    public void free() {
        memory.munmap(base, Math.max(length * 1L, 1));
    }
}
