package org.legoos.api;

/** A typed view of doubles in a process's disaggregated {@link AddressSpace}; see {@link TypedArray}. */
public final class DoubleArray extends TypedArray {
    /** A view of {@code length} doubles starting at {@code base}, which must already be mapped. */
    public DoubleArray(AddressSpace memory, long base, long length) {
        super(memory, base, length, 8);
    }

    public double get(long index) {
        return memory.getDouble(addressOf(index));
    }

    public void set(long index, double value) {
        memory.putDouble(addressOf(index), value);
    }
}
