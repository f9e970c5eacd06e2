package org.legoos.api;

import java.util.Objects;

/**
 * A typed view of doubles laid out contiguously in a process's disaggregated {@link AddressSpace}. The view
 * itself is a small heap object (base address and length); every element lives on memory components.
 *
 * <p>Index checks throw {@link IndexOutOfBoundsException} before any memory access. Thread-safety is
 * that of the address space.
 */
public final class DoubleArray {
    private final AddressSpace memory;
    private final long base;
    private final long length;

    /** A view of {@code length} doubles starting at {@code base}, which must already be mapped. */
    public DoubleArray(AddressSpace memory, long base, long length) {
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

    public double get(long index) {
        return memory.getDouble(base + Objects.checkIndex(index, length) * 8L);
    }

    public void set(long index, double value) {
        memory.putDouble(base + Objects.checkIndex(index, length) * 8L, value);
    }

    /** Unmaps the array's memory; the view must not be used afterwards. */
    public void free() {
        memory.munmap(base, Math.max(length * 8L, 1));
    }
}
