package org.legoos.memory.vm;

/**
 * A virtual memory area: the page-aligned range [start, end) of an address space, mapped with {@code prot}
 * ({@link org.legoos.api.AddressSpace#PROT_READ} | {@link org.legoos.api.AddressSpace#PROT_WRITE}).
 * Immutable.
 */
public record Vma(long start, long end, int prot) {
    public Vma {
        if (end <= start) {
            throw new IllegalArgumentException("empty area [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")");
        }
    }

    public long length() {
        return end - start;
    }

    public boolean contains(long addr) {
        return addr >= start && addr < end;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") prot " + prot;
    }
}
