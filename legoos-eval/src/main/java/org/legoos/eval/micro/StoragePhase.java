package org.legoos.eval.micro;

/**
 * The four phases of the storage micro-benchmark, in the order they run: each does one 4 KiB operation per block
 * of the file. The write phases end with an fsync, timed with them.
 */
public enum StoragePhase {
    /** Every block in order, then fsync. */
    SEQ_WRITE("seq-write", true),
    /** As many writes as blocks, at block-aligned offsets from a seeded RNG, then fsync. */
    RAND_WRITE("rand-write", true),
    /** Every block in order. */
    SEQ_READ("seq-read", false),
    /** As many reads as blocks, at block-aligned offsets from a seeded RNG. */
    RAND_READ("rand-read", false);

    private final String label;
    private final boolean write;

    StoragePhase(String label, boolean write) {
        this.label = label;
        this.write = write;
    }

    /** The name in the program's output and in tables, e.g. {@code seq-write}. */
    public String label() {
        return label;
    }

    /** True for the two write phases (which end with an fsync). */
    public boolean isWrite() {
        return write;
    }

    /**
     * The phase printed as {@code label}.
     *
     * @throws IllegalArgumentException for an unknown label
     */
    public static StoragePhase ofLabel(String label) {
        for (StoragePhase p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown storage phase '" + label + "' (expected seq-write, rand-write, seq-read or rand-read)");
    }
}
