package org.legoos.memory.vm;

/**
 * A virtual memory area: the page-aligned range [start, end) of an address space, mapped with {@code prot}
 * ({@link org.legoos.api.AddressSpace#PROT_READ} | {@link org.legoos.api.AddressSpace#PROT_WRITE}), anonymous
 * ({@code file == null}) or backed by a file ({@link FileBacking}, whose offset is that of {@code start}).
 * Immutable.
 */
public record Vma(long start, long end, int prot, FileBacking file) {
    public Vma {
        if (end <= start) {
            throw new IllegalArgumentException("empty area [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ")");
        }
    }

    /** An anonymous area. */
    public Vma(long start, long end, int prot) {
        this(start, end, prot, null);
    }

    /** The part [from, to) of this area (inside it), with its file offset moved along. */
    public Vma slice(long from, long to) {
        return new Vma(from, to, prot, file == null ? null : file.at(from - start));
    }

    /** This area with protection {@code p}. */
    public Vma withProt(int p) {
        return new Vma(start, end, p, file);
    }

    public long length() {
        return end - start;
    }

    public boolean contains(long addr) {
        return addr >= start && addr < end;
    }

    @Override
    public String toString() {
        return "[0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end) + ") prot " + prot
                + (file == null ? "" : " " + (file.shared() ? "shared " : "private ") + file.path() + "@" + file.offset());
    }
}
