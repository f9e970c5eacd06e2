package org.legoos.node.asmc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One step of a generated address-space program, as a readable line: {@code name arg arg ...}. Addresses are
 * expressions resolved when the step runs, so a program stays meaningful when a shrinker drops steps:
 * {@code s3+4090} (slot 3's mapping + 4090; the step is skipped while slot 3 is empty), {@code z+65536} (the
 * thread's own hint zone), {@code h+0} (the heap start), {@code a+4096} (absolute), {@code 0} (no hint).
 *
 * <pre>
 *   mmap SLOT HINT LEN PROT          munmap ADDR LEN             mremap SLOT ADDR OLDLEN NEWLEN MAYMOVE(0|1)
 *   brk ADDR                         mprotect ADDR LEN PROT      msync ADDR LEN
 *   get W ADDR   put W ADDR SEED     (W = B I L F D)
 *   read ADDR LEN   write ADDR LEN SEED
 *   readv T ADDR N   writev T ADDR N SEED   (T = L I D: readLongs/writeLongs, readInts/..., readDoubles/...)
 *   check  (compare every byte the thread has mapped)     spawn  (a child must not see the parent's pages)
 * </pre>
 */
record AsOp(String name, String[] args) {
    static AsOp of(String name, Object... args) {
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            a[i] = String.valueOf(args[i]);
        }
        return new AsOp(name, a);
    }

    static AsOp parse(String line) {
        String[] parts = line.trim().split(" +");
        return new AsOp(parts[0], Arrays.copyOfRange(parts, 1, parts.length));
    }

    String arg(int i) {
        return args[i];
    }

    long num(int i) {
        return Long.parseLong(args[i]);
    }

    @Override
    public String toString() {
        return args.length == 0 ? name : name + " " + String.join(" ", args);
    }

    /** A thread's steps as one program argument. */
    static String encode(List<AsOp> ops) {
        StringBuilder sb = new StringBuilder();
        for (AsOp op : ops) {
            if (!sb.isEmpty()) {
                sb.append(';');
            }
            sb.append(op);
        }
        return sb.toString();
    }

    static List<AsOp> decode(String text) {
        List<AsOp> out = new ArrayList<>();
        if (text.isBlank()) {
            return out;
        }
        for (String line : text.split(";")) {
            out.add(parse(line));
        }
        return out;
    }

    static String addr(String base, long offset) {
        return base + (offset >= 0 ? "+" : "") + offset;
    }
}
