package org.legoos.api;

/** A typed view of longs in a process's disaggregated {@link AddressSpace}; see {@link TypedArray}. */
public final class LongArray extends TypedArray {
    /** A view of {@code length} longs starting at {@code base}, which must already be mapped. */
    public LongArray(AddressSpace memory, long base, long length) {
        super(memory, base, length, 8);
    }

    public long get(long index) {
        return memory.getLong(addressOf(index));
    }

    public void set(long index, long value) {
        memory.putLong(addressOf(index), value);
    }
}
