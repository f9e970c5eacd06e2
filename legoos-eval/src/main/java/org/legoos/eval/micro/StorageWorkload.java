package org.legoos.eval.micro;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;

/**
 * The storage micro-benchmark's four phases on any {@link FileChannel}: the same code runs inside
 * {@link StorageBenchProgram} on a {@code lego:} channel and in {@link StorageThroughput} on a local file, so the
 * two differ only in the channel.
 *
 * <p>Every operation moves one 4 KiB block at a block-aligned offset through one direct buffer that is reused. A
 * written block is a fixed 4 KiB pattern (from the seed) whose first 16 bytes are the block number and a version
 * (0 for the sequential write, {@code j + 1} for the {@code j}-th random write), so preparing a block costs two
 * stores and every block version has distinct contents. After the timed phases an untimed pass reads the whole
 * file back in 64 KiB pieces and compares its CRC32C with the one the final versions must give.
 *
 * <p>Not thread-safe: one run per instance, on the caller's thread.
 */
final class StorageWorkload {
    static final int BLOCK = 4096;
    private static final int VERIFY_CHUNK = 64 << 10;
    private static final int CHECK_EVERY = 1024;

    /** One timed phase. */
    record PhaseResult(StoragePhase phase, long ops, double seconds) {
        double opsPerSec() {
            return ops / seconds;
        }
    }

    /** The four phases in order, the file's CRC32C as read back and the one expected. */
    record Outcome(List<PhaseResult> phases, long checksum, long expectedChecksum) {
        boolean verified() {
            return checksum == expectedChecksum;
        }
    }

    private final FileChannel ch;
    private final long blocks;
    private final long seed;
    private final BooleanSupplier stop;
    private final int[] versions;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
    private final byte[] pattern = new byte[BLOCK];

    /**
     * @param ch open for reading and writing, positioned anywhere; the file is truncated to 0 first
     * @param fileBytes a positive multiple of 4096
     * @param stop checked every 1024 operations; when true the run ends with {@link CancellationException}
     */
    StorageWorkload(FileChannel ch, long fileBytes, long seed, BooleanSupplier stop) {
        checkFileBytes(fileBytes);
        this.ch = ch;
        this.blocks = fileBytes / BLOCK;
        this.seed = seed;
        this.stop = stop;
        this.versions = new int[(int) blocks];
        new SplittableRandom(seed ^ 0x5DEECE66DL).nextBytes(pattern);
        buf.put(pattern).clear();
    }

    /** @throws IllegalArgumentException unless {@code fileBytes} is a positive multiple of 4096 of at most 4 TiB */
    static void checkFileBytes(long fileBytes) {
        if (fileBytes < BLOCK || fileBytes % BLOCK != 0 || fileBytes / BLOCK > (1L << 30)) {
            throw new IllegalArgumentException("fileBytes must be a positive multiple of 4096 of at most 4TiB, got " + fileBytes);
        }
    }

    Outcome run() throws IOException {
        ch.truncate(0);
        List<PhaseResult> results = new ArrayList<>();
        results.add(seqWrite());
        results.add(randWrite());
        results.add(seqRead());
        results.add(randRead());
        long checksum = readBackChecksum();
        return new Outcome(results, checksum, expectedChecksum());
    }

    private PhaseResult seqWrite() throws IOException {
        long t0 = System.nanoTime();
        for (long b = 0; b < blocks; b++) {
            writeBlock(b, 0);
            check(b);
        }
        ch.force(true);
        return new PhaseResult(StoragePhase.SEQ_WRITE, blocks, (System.nanoTime() - t0) / 1e9);
    }

    private PhaseResult randWrite() throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        for (long j = 0; j < blocks; j++) {
            long b = rng.nextLong(blocks);
            int version = (int) (j + 1);
            writeBlock(b, version);
            versions[(int) b] = version;
            check(j);
        }
        ch.force(true);
        return new PhaseResult(StoragePhase.RAND_WRITE, blocks, (System.nanoTime() - t0) / 1e9);
    }

    private PhaseResult seqRead() throws IOException {
        long t0 = System.nanoTime();
        for (long b = 0; b < blocks; b++) {
            readBlock(b);
            check(b);
        }
        return new PhaseResult(StoragePhase.SEQ_READ, blocks, (System.nanoTime() - t0) / 1e9);
    }

    private PhaseResult randRead() throws IOException {
        SplittableRandom rng = new SplittableRandom(seed + 1);
        long t0 = System.nanoTime();
        for (long j = 0; j < blocks; j++) {
            readBlock(rng.nextLong(blocks));
            check(j);
        }
        return new PhaseResult(StoragePhase.RAND_READ, blocks, (System.nanoTime() - t0) / 1e9);
    }

    private void writeBlock(long block, int version) throws IOException {
        buf.clear();
        buf.putLong(0, block).putLong(8, version);
        long offset = block * BLOCK;
        while (buf.hasRemaining()) {
            ch.write(buf, offset + buf.position());
        }
    }

    private void readBlock(long block) throws IOException {
        buf.clear();
        long offset = block * BLOCK;
        while (buf.hasRemaining()) {
            if (ch.read(buf, offset + buf.position()) < 0) {
                throw new EOFException("end of file at " + (offset + buf.position()) + " reading block " + block + " of " + blocks);
            }
        }
    }

    private void check(long i) {
        if ((i % CHECK_EVERY) == 0 && stop.getAsBoolean()) {
            throw new CancellationException("storage benchmark stopped");
        }
    }

    /** Untimed: the file read back in 64 KiB pieces. */
    private long readBackChecksum() throws IOException {
        long size = ch.size();
        if (size != blocks * BLOCK) {
            throw new IOException("the file has " + size + " bytes after the run, expected " + blocks * BLOCK);
        }
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocateDirect(VERIFY_CHUNK);
        for (long off = 0; off < size; ) {
            chunk.clear().limit((int) Math.min(VERIFY_CHUNK, size - off));
            while (chunk.hasRemaining()) {
                if (ch.read(chunk, off + chunk.position()) < 0) {
                    throw new EOFException("end of file at " + (off + chunk.position()) + " while verifying");
                }
            }
            chunk.flip();
            crc.update(chunk);
            off += chunk.limit();
        }
        return crc.getValue();
    }

    /** What the file must hold: every block's pattern with its final version. */
    private long expectedChecksum() {
        CRC32C crc = new CRC32C();
        ByteBuffer block = ByteBuffer.wrap(pattern.clone());
        for (long b = 0; b < blocks; b++) {
            block.putLong(0, b).putLong(8, versions[(int) b]);
            crc.update(block.array(), 0, BLOCK);
        }
        return crc.getValue();
    }
}
