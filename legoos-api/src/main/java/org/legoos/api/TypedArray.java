package org.legoos.api;

import java.util.Objects;

/**
 * What the typed views ({@link LongArray}, {@link DoubleArray}, {@link ByteArray}) share: a small heap object
 * (address space, base address, length) over elements laid out contiguously in a process's disaggregated
 * {@link AddressSpace}. Every element lives on memory components.
 *
 * <p>Index checks throw {@link IndexOutOfBoundsException} before any memory access. Thread-safety is that of
 * the address space.
 */
public abstract sealed class TypedArray permits LongArray, DoubleArray, ByteArray {
    protected final AddressSpace memory;
    private final long base;
    private final long length;
    private final int elementBytes;

    TypedArray(AddressSpace memory, long base, long length, int elementBytes) {
        this.memory = Objects.requireNonNull(memory, "memory");
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        this.base = base;
        this.length = length;
        this.elementBytes = elementBytes;
    }

    public final long length() {
        return length;
    }

    /** Virtual address of element 0. */
    public final long address() {
        return base;
    }

    /** Virtual address of element {@code index}, after the bounds check. */
    protected final long addressOf(long index) {
        return base + Objects.checkIndex(index, length) * elementBytes;
    }

    /** Unmaps the array's memory; the view must not be used afterwards. */
    public final void free() {
        memory.munmap(base, Math.max(length * elementBytes, 1));
    }
}
