package org.legoos.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Maps a file of its vNode into its address space ({@code mmap} of the file, private and read-only) and reads it
 * through memory: its pages come from storage through a memory component's buffer cache straight into the
 * process's disaggregated memory, never copied whole to the processor. Prints
 * {@code result bytes=N lines=L checksum=C} where {@code lines} counts newline bytes and {@code checksum} is a
 * position-weighted sum of the bytes, the same as {@link #plain} computes over a local file.
 *
 * <pre>lego run --vnode V mapsum /data/big.bin [--chunk BYTES]</pre>
 */
public final class MappedFileSum implements LegoProgram {
    /** The running result: byte count, newline count and checksum. */
    public record Result(long bytes, long lines, long checksum) {
        @Override
        public String toString() {
            return "result bytes=" + bytes + " lines=" + lines + " checksum=" + Long.toHexString(checksum);
        }
    }

    private static final class Sum {
        long bytes;
        long lines;
        long checksum;

        void add(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                int v = b[i] & 0xFF;
                if (v == '\n') {
                    lines++;
                }
                checksum = checksum * 31 + v + bytes;
                bytes++;
            }
        }

        Result result() {
            return new Result(bytes, lines, checksum);
        }
    }

    @Override
    public int main(LegoContext ctx, String[] argv) {
        Args args = Args.parse(argv, Set.of());
        if (args.positional().size() != 1) {
            ctx.err().println("usage: mapsum FILE [--chunk BYTES]");
            return 2;
        }
        String file = args.positional().get(0);
        int chunk = (int) args.longValue("chunk", 256 << 10, AddressSpace.PAGE_SIZE, 1 << 24);
        long size;
        try {
            size = Files.size(ctx.fileSystem().getPath(file));
        } catch (IOException e) {
            ctx.err().println("mapsum: " + file + ": " + e);
            return 1;
        }
        Sum sum = new Sum();
        if (size > 0) {
            AddressSpace m = ctx.memory();
            long va = m.mmap(0, size, AddressSpace.PROT_READ, AddressSpace.MAP_PRIVATE, file, 0);
            byte[] buf = new byte[chunk];
            for (long off = 0; off < size; off += chunk) {
                int n = (int) Math.min(chunk, size - off);
                m.read(va + off, buf, 0, n);
                sum.add(buf, n);
            }
            m.munmap(va, size);
        }
        ctx.out().println(sum.result());
        return 0;
    }

    /** The same result over a local file, read with plain Java I/O: the twin the program is checked against. */
    public static Result plain(Path file) throws IOException {
        Sum sum = new Sum();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sum.add(buf, n);
            }
        }
        return sum.result();
    }
}
