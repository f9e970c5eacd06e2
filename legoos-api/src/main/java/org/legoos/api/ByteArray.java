package org.legoos.api;

/** A typed view of bytes in a process's disaggregated {@link AddressSpace}; see {@link TypedArray}. */
public final class ByteArray extends TypedArray {
    /** A view of {@code length} bytes starting at {@code base}, which must already be mapped. */
    public ByteArray(AddressSpace memory, long base, long length) {
        super(memory, base, length, 1);
    }

    public byte get(long index) {
        return memory.getByte(addressOf(index));
    }

    public void set(long index, byte value) {
        memory.putByte(addressOf(index), value);
    }
}
