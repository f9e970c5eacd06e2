package org.legoos.node;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.zip.CRC32;
import org.legoos.task.fs.LegoFileSystem;

/**
 * A model check of a file system as a program sees it through {@link java.nio.file.Files} and
 * {@link FileChannel}: random programs of file operations ({@link #generate}) are run step by step on the file
 * system under test and on a reference (a directory of the default file system), and after every step the two
 * must have given the same outcome (the same value, or an exception of the same class) and hold the same files
 * ({@link #execute}); a failing program is shrunk by dropping operations while it still fails the same way
 * ({@link #shrink}) and printed as readable lines ({@link #show}).
 *
 * <p>The program works under one directory of each side and names paths relative to it, from a small universe
 * ({@code a, b, f} up to three deep) so that operations often meet: existing targets, files where a directory
 * is expected, non-empty directories. Up to {@link #SLOTS} channels are open at once ({@code #0..#3}), on the
 * same or different files.
 *
 * <p>Where {@code lego:} differs from Linux on purpose (documented in its javadoc, or a choice the {@link Files} and
 * {@link FileChannel} specifications leave open), the model expects lego:'s behaviour instead of the reference's:
 * <ul>
 *   <li>a handle on a file this process deleted or replaced (by a move or copy onto it) fails with
 *       {@link NoSuchFileException} instead of using the old file (documented in OpenFileTable); a transfer
 *       involving such a handle is not done on the reference (it would copy from or to the deleted file);</li>
 *   <li>{@code position()} of an APPEND channel is where its last append ended, not (as the JDK on Linux reports)
 *       the current size of the file: both are allowed by {@link FileChannel}, so it is not compared;</li>
 *   <li>a directory cannot be opened as a channel at all (Linux opens it for reading and then fails reads);</li>
 *   <li>a file where a directory is expected on the way to a path (ENOTDIR) is reported as
 *       {@link NotDirectoryException}: storage reports NOT_DIRECTORY for it ("if one is a file", StorageMonitor).
 *       The JDK on Linux reports a {@link NoSuchFileException} (calls that stat) or a plain
 *       {@link FileSystemException} "Not a directory" (calls that open or create);</li>
 *   <li>a move of a directory into itself with REPLACE_EXISTING is refused before anything is changed (the JDK
 *       on Linux deletes the target first, then fails the rename).</li>
 * </ul>
 * Not compared: the size of a directory, file times. Not generated: DELETE_ON_CLOSE, ATOMIC_MOVE, links,
 * several processes, paths with "." or "..".
 */
final class FsModel {
    static final int SLOTS = 4;
    private static final String[] NAMES = {"a", "b", "f"};
    private static final String[] GLOBS = {"*", "a*", "{a,f}", "[ab]", "?", "[!a]", "*{b,f}"};

    private FsModel() {
    }

    // ================================================================ operations

    /** How a channel is opened. */
    enum Mode {
        READ(StandardOpenOption.READ),
        WRITE(StandardOpenOption.WRITE),
        WRITE_CREATE(StandardOpenOption.WRITE, StandardOpenOption.CREATE),
        RW_CREATE(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE),
        RW(StandardOpenOption.READ, StandardOpenOption.WRITE),
        RW_CREATE_NEW(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW),
        WRITE_TRUNCATE(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
        RW_CREATE_TRUNCATE(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING),
        RW_CREATE_DSYNC(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.DSYNC),
        APPEND_CREATE(StandardOpenOption.APPEND, StandardOpenOption.CREATE),
        APPEND(StandardOpenOption.APPEND);

        final Set<OpenOption> options;

        Mode(StandardOpenOption... o) {
            this.options = Set.copyOf(EnumSet.copyOf(Arrays.asList(o)));
        }

        boolean append() {
            return options.contains(StandardOpenOption.APPEND);
        }

        boolean writable() {
            return append() || options.contains(StandardOpenOption.WRITE);
        }

        boolean readable() {
            return options.contains(StandardOpenOption.READ) || !writable();
        }

        @Override
        public String toString() {
            return options.stream().map(Object::toString).sorted().toList().toString();
        }
    }

    /** How {@link Files#write(Path, byte[], OpenOption...)} is called. */
    enum WriteMode {
        DEFAULT(), APPEND(StandardOpenOption.APPEND, StandardOpenOption.CREATE),
        CREATE_NEW(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW),
        EXISTING(StandardOpenOption.WRITE);

        final OpenOption[] options;

        WriteMode(OpenOption... o) {
            this.options = o;
        }
    }

    sealed interface Op {
        String show();
    }

    /** An operation on the channel in slot {@code slot}; on an empty slot it does nothing on either side. */
    sealed interface ChanOp extends Op {
        int slot();
    }

    record Mkdir(String p) implements Op {
        public String show() {
            return "createDirectory " + p;
        }
    }

    record Mkdirs(String p) implements Op {
        public String show() {
            return "createDirectories " + p;
        }
    }

    record CreateFile(String p) implements Op {
        public String show() {
            return "createFile " + p;
        }
    }

    record WriteFile(String p, WriteMode mode, int len, int seed) implements Op {
        public String show() {
            return "Files.write " + p + " " + len + " bytes (data " + seed + ") " + Arrays.toString(mode.options);
        }
    }

    record ReadFile(String p) implements Op {
        public String show() {
            return "readAllBytes " + p;
        }
    }

    record Delete(String p, boolean ifExists) implements Op {
        public String show() {
            return (ifExists ? "deleteIfExists " : "delete ") + p;
        }
    }

    record Move(String from, String to, boolean replace) implements Op {
        public String show() {
            return "move " + from + " -> " + to + (replace ? " REPLACE_EXISTING" : "");
        }
    }

    record Copy(String from, String to, boolean replace) implements Op {
        public String show() {
            return "copy " + from + " -> " + to + (replace ? " REPLACE_EXISTING" : "");
        }
    }

    /** Lists a directory, through a glob filter if {@code glob} is not null. */
    record ListDir(String p, String glob) implements Op {
        public String show() {
            return "list " + p + (glob == null ? "" : " matching " + glob);
        }
    }

    record Stat(String p) implements Op {
        public String show() {
            return "stat " + p;
        }
    }

    record Open(int slot, String p, Mode mode) implements ChanOp {
        public String show() {
            return "#" + slot + " = open " + p + " " + mode;
        }
    }

    /** {@code pos < 0}: a relative write at the channel's position. */
    record ChWrite(int slot, long pos, int len, int seed) implements ChanOp {
        public String show() {
            return "#" + slot + ".write " + len + " bytes (data " + seed + ")" + (pos < 0 ? "" : " at " + pos);
        }
    }

    /** Reads until {@code len} bytes or the end of the file; {@code pos < 0}: relative. */
    record ChRead(int slot, long pos, int len) implements ChanOp {
        public String show() {
            return "#" + slot + ".read " + len + " bytes" + (pos < 0 ? "" : " at " + pos);
        }
    }

    record ChTruncate(int slot, long size) implements ChanOp {
        public String show() {
            return "#" + slot + ".truncate " + size;
        }
    }

    record ChSize(int slot) implements ChanOp {
        public String show() {
            return "#" + slot + ".size";
        }
    }

    /** {@code pos < 0}: only asks the position. */
    record ChPosition(int slot, long pos) implements ChanOp {
        public String show() {
            return "#" + slot + ".position" + (pos < 0 ? "" : " " + pos);
        }
    }

    /**
     * {@code from} (slot) {@code .transferTo(pos, count, #to)}, or with {@code pull}
     * {@code #to.transferFrom(#from, pos, count)} (reading {@code #from} at its position). Nothing happens (on
     * either side) if the two channels are on the same file: overlapping copies are not specified.
     */
    record ChTransfer(int slot, int to, boolean pull, long pos, int count) implements ChanOp {
        public String show() {
            return pull ? "#" + to + ".transferFrom(#" + slot + ", " + pos + ", " + count + ")"
                    : "#" + slot + ".transferTo(" + pos + ", " + count + ", #" + to + ")";
        }
    }

    /**
     * {@code n} small positional writes (1 to 16 bytes, within the first {@code span} bytes) drawn from {@code seed}:
     * more extents than the write-behind buffer holds.
     */
    record ChScatter(int slot, int n, int span, int seed) implements ChanOp {
        public String show() {
            return "#" + slot + ".write " + n + " small pieces within " + span + " bytes (data " + seed + ")";
        }
    }

    /** Relative reads of {@code chunk} bytes from position 0 to the end (or 300 chunks): a sequential stream. */
    record ChStream(int slot, int chunk) implements ChanOp {
        public String show() {
            return "#" + slot + ".read from 0 to the end (at most " + Math.min(300_000, chunk * 300) + " bytes) in reads of "
                    + chunk + " bytes";
        }
    }

    record ChForce(int slot) implements ChanOp {
        public String show() {
            return "#" + slot + ".force";
        }
    }

    record Close(int slot) implements ChanOp {
        public String show() {
            return "#" + slot + ".close";
        }
    }

    /** Channel operations run back to back with no comparison in between (writes pile up behind). */
    record Burst(List<ChanOp> ops) implements Op {
        public String show() {
            StringBuilder sb = new StringBuilder("burst {");
            for (ChanOp o : ops) {
                sb.append(" ").append(o.show()).append(";");
            }
            return sb.append(" }").toString();
        }
    }

    /** The program as numbered lines. */
    static String show(List<Op> ops) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ops.size(); i++) {
            sb.append(String.format("  %3d  %s%n", i + 1, ops.get(i).show()));
        }
        return sb.toString();
    }

    // ================================================================ generator

    /** A random program of {@code n} operations. */
    static List<Op> generate(SplittableRandom r, int n) {
        Generator g = new Generator(r);
        List<Op> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ops.add(g.op());
        }
        return ops;
    }

    private static final class Generator {
        private final SplittableRandom r;
        private final List<String> recent = new ArrayList<>();
        private final boolean[] openGuess = new boolean[SLOTS];

        Generator(SplittableRandom r) {
            this.r = r;
        }

        Op op() {
            int p = r.nextInt(100);
            if (p < 10) {
                return open();
            }
            if (p < 26) {
                return chanOp(slotMostlyOpen());
            }
            if (p < 31) {
                return burst();
            }
            if (p < 34) {
                int s = slotMostlyOpen();
                openGuess[s] = false;
                return new Close(s);
            }
            if (p < 42) {
                return new WriteFile(path(), WriteMode.values()[r.nextInt(WriteMode.values().length)], length(), seed());
            }
            if (p < 46) {
                return new ReadFile(path());
            }
            if (p < 50) {
                return new CreateFile(path());
            }
            if (p < 57) {
                return new Mkdir(path());
            }
            if (p < 60) {
                return new Mkdirs(path());
            }
            if (p < 67) {
                return new Delete(path(), r.nextInt(4) == 0);
            }
            if (p < 76) {
                return new Move(path(), path(), r.nextBoolean());
            }
            if (p < 80) {
                return new Copy(path(), path(), r.nextBoolean());
            }
            if (p < 86) {
                return new ListDir(r.nextInt(8) == 0 ? "." : path(), r.nextInt(3) == 0 ? GLOBS[r.nextInt(GLOBS.length)] : null);
            }
            return new Stat(path());
        }

        Open open() {
            int s = r.nextInt(SLOTS);
            openGuess[s] = true;
            return new Open(s, path(), Mode.values()[r.nextInt(Mode.values().length)]);
        }

        int slotMostlyOpen() {
            List<Integer> open = new ArrayList<>();
            for (int i = 0; i < SLOTS; i++) {
                if (openGuess[i]) {
                    open.add(i);
                }
            }
            if (open.isEmpty() || r.nextInt(10) == 0) {
                return r.nextInt(SLOTS);
            }
            return open.get(r.nextInt(open.size()));
        }

        ChanOp chanOp(int s) {
            int p = r.nextInt(100);
            if (p < 42) {
                return new ChWrite(s, r.nextInt(3) == 0 ? -1 : offset(), length(), seed());
            }
            if (p < 70) {
                return new ChRead(s, r.nextInt(3) == 0 ? -1 : offset(), length());
            }
            if (p < 80) {
                return new ChTruncate(s, r.nextInt(3) == 0 ? offset() : r.nextInt(70_000));
            }
            if (p < 86) {
                return new ChSize(s);
            }
            if (p < 92) {
                return new ChPosition(s, r.nextBoolean() ? -1 : offset());
            }
            if (p < 95) {
                return new ChTransfer(s, slotMostlyOpen(), r.nextBoolean(), offset(), length());
            }
            if (p < 97) {
                return r.nextBoolean() ? new ChScatter(s, 200 + r.nextInt(1400), 1 + r.nextInt(100_000), seed())
                        : new ChStream(s, new int[] {1, 100, 4096, 10_000, 40_000}[r.nextInt(5)]);
            }
            return new ChForce(s);
        }

        Burst burst() {
            int n = 2 + r.nextInt(7);
            List<ChanOp> ops = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int s = slotMostlyOpen();
                int p = r.nextInt(10);
                ops.add(p < 6 ? new ChWrite(s, r.nextInt(3) == 0 ? -1 : offset(), length(), seed())
                        : p < 8 ? new ChRead(s, r.nextInt(3) == 0 ? -1 : offset(), length())
                        : chanOp(s));
            }
            return new Burst(List.copyOf(ops));
        }

        String path() {
            if (!recent.isEmpty() && r.nextInt(3) == 0) {
                String p = recent.get(r.nextInt(recent.size()));
                if (r.nextInt(4) == 0) {
                    p = p + "/" + NAMES[r.nextInt(NAMES.length)]; // below a path used before
                }
                return remember(p);
            }
            int depth = switch (r.nextInt(10)) {
                case 0, 1, 2, 3 -> 1;
                case 4, 5, 6, 7, 8 -> 2;
                default -> 3;
            };
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                if (i > 0) {
                    sb.append('/');
                }
                sb.append(NAMES[r.nextInt(NAMES.length)]);
            }
            return remember(sb.toString());
        }

        private String remember(String p) {
            if (p.chars().filter(c -> c == '/').count() > 3) {
                p = p.substring(0, p.lastIndexOf('/'));
            }
            recent.add(p);
            if (recent.size() > 8) {
                recent.removeFirst();
            }
            return p;
        }

        private static final long[] EDGES = {0, 1, 4095, 4096, 4097, 8191, 16384, 32767, 32768, 65535, 65536,
                65537, 131072, 262143, 262144, 262145};

        long offset() {
            int p = r.nextInt(10);
            if (p < 3) {
                return EDGES[r.nextInt(EDGES.length)];
            }
            if (p < 8) {
                return r.nextInt(20_000);
            }
            return r.nextInt(300_000);
        }

        int length() {
            int p = r.nextInt(100);
            if (p < 65) {
                return 1 + r.nextInt(600);
            }
            if (p < 88) {
                return 600 + r.nextInt(9000);
            }
            if (p < 98) {
                return 9000 + r.nextInt(60_000);
            }
            return 200_000 + r.nextInt(100_000);
        }

        int seed() {
            return r.nextInt(1000);
        }
    }

    /** Data of a write: never zero, so it cannot pass for a hole. */
    static byte[] data(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) ((((seed + 1) * 0x9E3779B1 + i * 0x85EBCA6B + (i >>> 7)) >>> 24) | 1);
        }
        return b;
    }

    // ================================================================ execution

    /** Why a program failed: at which step (1-based) and of what kind (for shrinking: the same kind). */
    static final class Mismatch extends AssertionError {
        final int step;
        final String signature;

        Mismatch(int step, String signature, String message, Throwable cause) {
            super(message, cause);
            this.step = step;
            this.signature = signature;
        }
    }

    /** What one operation gave on one side: a value or an exception. */
    record Outcome(String value, byte[] bytes, Throwable error) {
        static Outcome of(Object v) {
            if (v instanceof byte[] b) {
                return new Outcome(describe(b), b, null);
            }
            if (v instanceof ReadResult rr) {
                return new Outcome(rr.describe(), rr.bytes(), null);
            }
            return new Outcome(String.valueOf(v), null, null);
        }

        /**
         * {@code this} from lego:, {@code o} from the local file system; {@code enotdir}: a path of the operation
         * has a file where a directory should be on the way to it.
         */
        boolean sameAs(Outcome o, boolean enotdir) {
            if (error != null || o.error != null) {
                if (error == null || o.error == null) {
                    return false;
                }
                // lego: reports ENOTDIR as NotDirectoryException, the JDK on Linux as a NoSuchFileException or a
                // FileSystemException "Not a directory" depending on the call (see the class comment)
                return error.getClass() == o.error.getClass()
                        || (enotdir && error instanceof NotDirectoryException
                            && (o.error instanceof NoSuchFileException || (o.error.getClass() == FileSystemException.class
                                && "Not a directory".equals(((FileSystemException) o.error).getReason()))));
            }
            return value.equals(o.value) && Arrays.equals(bytes, o.bytes);
        }

        @Override
        public String toString() {
            return error != null ? "threw " + error : value;
        }
    }

    record ReadResult(byte[] bytes, boolean eof, String after) {
        String describe() {
            return FsModel.describe(bytes) + (eof ? " then EOF" : "") + after;
        }
    }

    static String describe(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b);
        return b.length + " bytes (crc " + Long.toHexString(crc.getValue()) + ")";
    }

    /** One side: a base directory and the channels open in each slot. */
    private static final class Side {
        final String name;
        final Function<String, Path> resolve;
        final FileChannel[] ch = new FileChannel[SLOTS];

        Side(String name, Function<String, Path> resolve) {
            this.name = name;
            this.resolve = resolve;
        }

        Path p(String rel) {
            return resolve.apply(rel);
        }
    }

    /** The model's view of an open channel. */
    private static final class Chan {
        String path;
        final Mode mode;
        boolean detached;

        Chan(String path, Mode mode) {
            this.path = path;
            this.mode = mode;
        }
    }

    /**
     * Runs {@code ops} on {@code lego} (under the absolute directory {@code legoBase}, which must not exist yet;
     * if {@code lego} is a {@link LegoFileSystem} its working directory is set there and paths are relative) and on
     * the default file system under {@code localBase} (must not exist). Throws a {@link Mismatch} on the first
     * difference. Compares the touched paths after every step and the whole tree every {@code fullEvery} steps
     * and at the end; closes all channels before returning.
     */
    static void execute(List<Op> ops, FileSystem lego, String legoBase, Path localBase, int fullEvery)
            throws IOException {
        Files.createDirectories(localBase);
        Path legoRoot = lego.getPath(legoBase);
        Files.createDirectories(legoRoot);
        Function<String, Path> legoResolve;
        if (lego instanceof LegoFileSystem l) {
            l.changeWorkingDirectory(legoRoot);
            legoResolve = rel -> lego.getPath(rel);
        } else {
            legoResolve = rel -> legoRoot.resolve(rel);
        }
        Execution ex = new Execution(new Side("lego", legoResolve), new Side("local", localBase::resolve),
                legoRoot, localBase);
        try {
            for (int i = 0; i < ops.size(); i++) {
                ex.step(i + 1, ops.get(i));
                if ((i + 1) % fullEvery == 0) {
                    ex.compareTrees(i + 1);
                }
            }
            ex.compareTrees(ops.size());
        } finally {
            ex.closeAll();
        }
    }

    private static final class Execution {
        final Side lego;
        final Side local;
        final Path legoRoot;
        final Path localRoot;
        final Chan[] chans = new Chan[SLOTS];

        Execution(Side lego, Side local, Path legoRoot, Path localRoot) {
            this.lego = lego;
            this.local = local;
            this.legoRoot = legoRoot;
            this.localRoot = localRoot;
        }

        void step(int step, Op op) throws IOException {
            Set<String> touched = new LinkedHashSet<>();
            switch (op) {
                case Burst(List<ChanOp> list) -> {
                    for (ChanOp c : list) {
                        one(step, c, touched, op);
                    }
                }
                case Open o when chans[o.slot()] != null -> {
                    one(step, new Close(o.slot()), touched, op);
                    one(step, o, touched, op);
                }
                default -> one(step, op, touched, op);
            }
            for (String p : touched) {
                comparePath(step, p, op);
            }
        }

        private void one(int step, Op op, Set<String> touched, Op top) {
            if (op instanceof ChanOp c && !(op instanceof Open)) {
                Chan chan = chans[c.slot()];
                if (chan == null) {
                    return; // nothing open in the slot (the shrinker removed the open): a no-op on both sides
                }
                touched.add(chan.path);
                if (op instanceof ChTransfer t && chans[t.to()] != null) {
                    touched.add(chans[t.to()].path);
                }
            }
            boolean wasDetached = op instanceof ChanOp c && chans[c.slot()] != null && chans[c.slot()].detached
                    || op instanceof ChTransfer t && chans[t.to()] != null && chans[t.to()].detached;
            String opened = op instanceof Open o ? o.p() : op instanceof ReadFile r ? r.p() : null;
            boolean directory = opened != null && Files.isDirectory(local.p(opened));
            Outcome expected;
            if (op instanceof ChTransfer t && wasDetached && chans[t.to()] != null) {
                // lego: fails on the detached side (or moves nothing); the local transfer would copy bytes from or
                // to a deleted file, so it is not done. Both check the access modes first (source, then target).
                Outcome actual = apply(lego, op);
                Class<?> modeError = !chans[t.slot()].mode.readable() ? NonReadableChannelException.class
                        : !chans[t.to()].mode.writable() ? NonWritableChannelException.class : null;
                boolean fine = "nothing to transfer".equals(actual.value())
                        || (modeError != null ? actual.error() != null && actual.error().getClass() == modeError
                            : actual.error() instanceof NoSuchFileException || "transferred 0".equals(actual.value()));
                if (!fine) {
                    throw mismatch(step, top, op, "outcome detached", "expected " + (modeError != null
                            ? modeError.getSimpleName() : "a NoSuchFileException (a channel's file was deleted or"
                            + " replaced by this process)") + "\n  but lego: gave: " + actual, actual.error());
                }
                return;
            }
            if (op instanceof Move(String from, String to, boolean replace) && replace
                    && norm(to).startsWith(norm(from) + "/") && Files.isDirectory(local.p(from))
                    && Files.exists(local.p(to))) {
                // lego: refuses to move a directory into itself before touching anything; the JDK on Linux first
                // deletes the (empty or file) target, then fails the rename (EINVAL)
                expected = new Outcome(null, null, new FileSystemException(from));
            } else {
                expected = apply(local, op);
            }
            Outcome actual = apply(lego, op);
            if (directory && (expected.error() == null || expected.error().getClass() == IOException.class)) {
                // lego: refuses to open a directory as a channel (Linux opens it for reading, then reads fail)
                if (op instanceof Open o) {
                    closeQuietly(local.ch[o.slot()]);
                    local.ch[o.slot()] = null;
                }
                expected = new Outcome(null, null, new FileSystemException(opened));
            }
            boolean ok = actual.sameAs(expected, fileOnTheWay(op))
                    || (wasDetached && actual.error() instanceof NoSuchFileException)
                    // the writes that failed did not move the position of lego:'s detached channel
                    || (wasDetached && op instanceof ChPosition && actual.error() == null)
                    || (op instanceof ChPosition && chans[((ChanOp) op).slot()].mode.append()
                        && expected.error() == null && actual.error() == null);
            if (!ok) {
                throw mismatch(step, top, op, "outcome " + kindOf(expected) + "/" + kindOf(actual), "expected (as on the local file system): " + expected
                        + "\n  but lego: gave: " + actual + diffOf(expected, actual), actual.error());
            }
            if (expected.error() == null) {
                track(op, touched);
            } else if (op instanceof Open o) {
                closeQuietly(lego.ch[o.slot()]);
                lego.ch[o.slot()] = null;
            }
        }

        private static String kindOf(Outcome o) {
            return o.error() == null ? "value" : o.error().getClass().getSimpleName();
        }

        /** Whether a path {@code op} names has a non-directory on the way to it (locally, before the op). */
        private boolean fileOnTheWay(Op op) {
            List<String> paths = switch (op) {
                case Move m -> List.of(m.from(), m.to());
                case Copy c -> List.of(c.from(), c.to());
                case Mkdir m -> List.of(m.p());
                case Mkdirs m -> List.of(m.p());
                case CreateFile c -> List.of(c.p());
                case WriteFile w -> List.of(w.p());
                case ReadFile r -> List.of(r.p());
                case Delete d -> List.of(d.p());
                case ListDir l -> List.of(l.p());
                case Stat st -> List.of(st.p());
                case Open o -> List.of(o.p());
                default -> List.of();
            };
            for (String p : paths) {
                for (Path a = Path.of(p).getParent(); a != null; a = a.getParent()) {
                    if (Files.exists(local.p(a.toString())) && !Files.isDirectory(local.p(a.toString()))) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** Updates the model's channels after {@code op} succeeded (as it did on both sides). */
        private void track(Op op, Set<String> touched) {
            switch (op) {
                case Open o -> {
                    chans[o.slot()] = new Chan(o.p(), o.mode());
                    touched.add(o.p());
                }
                case Close c -> chans[c.slot()] = null;
                case Delete d -> {
                    detach(d.p());
                    touched.add(d.p());
                }
                case Move m -> {
                    touched.add(m.from());
                    touched.add(m.to());
                    if (!norm(m.from()).equals(norm(m.to()))) {
                        detach(m.to());
                        String from = norm(m.from());
                        for (Chan c : chans) {
                            if (c != null && !c.detached
                                    && (c.path.equals(from) || c.path.startsWith(from + "/"))) {
                                c.path = norm(m.to()) + c.path.substring(from.length());
                            }
                        }
                    }
                }
                case Copy c -> {
                    touched.add(c.to());
                    if (!norm(c.from()).equals(norm(c.to()))) {
                        detach(c.to());
                    }
                }
                case Mkdir m -> touched.add(m.p());
                case Mkdirs m -> touched.add(m.p());
                case CreateFile c -> touched.add(c.p());
                case WriteFile w -> touched.add(w.p());
                default -> { }
            }
        }

        private void detach(String path) {
            String p = norm(path);
            for (Chan c : chans) {
                if (c != null && c.path.equals(p)) {
                    c.detached = true;
                }
            }
        }

        private static String norm(String p) {
            return Path.of(p).normalize().toString();
        }

        private Outcome apply(Side s, Op op) {
            try {
                return Outcome.of(applyOrThrow(s, op));
            } catch (Exception | AssertionError e) {
                if (e instanceof AssertionError) {
                    throw (AssertionError) e;
                }
                return new Outcome(null, null, e);
            }
        }

        private Object applyOrThrow(Side s, Op op) throws IOException {
            switch (op) {
                case Mkdir(String p) -> Files.createDirectory(s.p(p));
                case Mkdirs(String p) -> Files.createDirectories(s.p(p));
                case CreateFile(String p) -> Files.createFile(s.p(p));
                case WriteFile(String p, WriteMode mode, int len, int seed) -> Files.write(s.p(p), data(len, seed), mode.options);
                case ReadFile(String p) -> {
                    return Files.readAllBytes(s.p(p));
                }
                case Delete(String p, boolean ifExists) -> {
                    if (ifExists) {
                        return Files.deleteIfExists(s.p(p));
                    }
                    Files.delete(s.p(p));
                }
                case Move(String from, String to, boolean replace) -> Files.move(s.p(from), s.p(to), replace
                        ? new StandardCopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new StandardCopyOption[0]);
                case Copy(String from, String to, boolean replace) -> Files.copy(s.p(from), s.p(to), replace
                        ? new StandardCopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new StandardCopyOption[0]);
                case ListDir(String p, String glob) -> {
                    return glob == null ? list(s.p(p)) : list(s.p(p), glob);
                }
                case Stat(String p) -> {
                    BasicFileAttributes a = Files.readAttributes(s.p(p), BasicFileAttributes.class);
                    return a.isDirectory() ? "directory" : a.isRegularFile() ? "file of " + a.size() + " bytes"
                            : "other";
                }
                case Open(int slot, String p, Mode mode) -> s.ch[slot] = FileChannel.open(s.p(p), mode.options);
                case ChWrite(int slot, long pos, int len, int seed) -> {
                    FileChannel c = s.ch[slot];
                    ByteBuffer b = ByteBuffer.wrap(data(len, seed));
                    int n = pos < 0 ? c.write(b) : c.write(b, pos);
                    return "wrote " + n + (pos < 0 && !isAppend(slot) ? ", position " + c.position() : "");
                }
                case ChRead(int slot, long pos, int len) -> {
                    FileChannel c = s.ch[slot];
                    ByteBuffer b = ByteBuffer.allocate(len);
                    boolean eof = false;
                    while (b.hasRemaining()) {
                        int n = pos < 0 ? c.read(b) : c.read(b, pos + b.position());
                        if (n < 0) {
                            eof = true;
                            break;
                        }
                    }
                    return new ReadResult(Arrays.copyOf(b.array(), b.position()), eof,
                            pos < 0 ? ", position " + c.position() : "");
                }
                case ChTruncate(int slot, long size) -> {
                    FileChannel c = s.ch[slot];
                    c.truncate(size);
                    return isAppend(slot) ? "truncated" : "truncated, position " + c.position();
                }
                case ChSize(int slot) -> {
                    return s.ch[slot].size();
                }
                case ChPosition(int slot, long pos) -> {
                    FileChannel c = s.ch[slot];
                    if (pos >= 0) {
                        c.position(pos);
                    }
                    return c.position();
                }
                case ChTransfer(int slot, int to, boolean pull, long pos, int count) -> {
                    if (chans[to] == null || slot == to || chans[to].path.equals(chans[slot].path)) {
                        return "nothing to transfer";
                    }
                    long n = pull ? s.ch[to].transferFrom(s.ch[slot], pos, count)
                            : s.ch[slot].transferTo(pos, count, s.ch[to]);
                    return "transferred " + n;
                }
                case ChScatter(int slot, int n, int span, int seed) -> {
                    FileChannel c = s.ch[slot];
                    SplittableRandom r = new SplittableRandom(seed);
                    long total = 0;
                    for (int i = 0; i < n; i++) {
                        total += c.write(ByteBuffer.wrap(data(1 + r.nextInt(16), r.nextInt(1000))), r.nextInt(span));
                    }
                    return "wrote " + total;
                }
                case ChStream(int slot, int chunk) -> {
                    FileChannel c = s.ch[slot];
                    c.position(0);
                    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                    ByteBuffer b = ByteBuffer.allocate(chunk);
                    int cap = Math.min(300_000, chunk * 300); // bytes; reads may be short
                    while (all.size() < cap && c.read(b.clear().limit(Math.min(chunk, cap - all.size()))) >= 0) {
                        all.write(b.array(), 0, b.position());
                    }
                    return new ReadResult(all.toByteArray(), all.size() < cap, ", position " + c.position());
                }
                case ChForce(int slot) -> s.ch[slot].force(true);
                case Close(int slot) -> {
                    FileChannel c = s.ch[slot];
                    s.ch[slot] = null;
                    c.close();
                }
                case Burst b -> throw new IllegalStateException("bursts are run op by op");
            }
            return "ok";
        }

        private boolean isAppend(int slot) {
            return chans[slot] != null && chans[slot].mode.append();
        }

        private static Map<String, String> list(Path dir) throws IOException {
            return list(dir, "*");
        }

        private static Map<String, String> list(Path dir, String glob) throws IOException {
            Map<String, String> names = new TreeMap<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
                for (Path e : ds) {
                    names.put(e.getFileName().toString(), Files.isDirectory(e) ? "dir" : "file");
                }
            }
            return names;
        }

        /** The path's type and content (a file's bytes, a directory's entries) on both sides. */
        private void comparePath(int step, String rel, Op op) {
            Object want = snapshot(local.p(rel));
            Object got = snapshot(lego.p(rel));
            if (!sameSnapshot(want, got)) {
                throw mismatch(step, op, op, "content of " + rel, "after the step, " + rel + " is on the local file system: "
                        + showSnapshot(want) + "\n  but on lego: " + showSnapshot(got) + diffBytes(want, got), null);
            }
        }

        private static Object snapshot(Path p) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (a.isDirectory()) {
                    return list(p);
                }
                byte[] b = Files.readAllBytes(p);
                if (b.length != a.size()) {
                    return "size " + a.size() + " but " + b.length + " bytes read";
                }
                return b;
            } catch (NoSuchFileException | NotDirectoryException e) {
                return "absent"; // NotDirectoryException: lego:'s ENOTDIR (see the class comment)
            } catch (FileSystemException e) {
                return "Not a directory".equals(e.getReason()) ? "absent" : "unreadable: " + e;
            } catch (IOException | RuntimeException e) {
                return "unreadable: " + e;
            }
        }

        private static boolean sameSnapshot(Object a, Object b) {
            return a instanceof byte[] x && b instanceof byte[] y ? Arrays.equals(x, y) : Objects.equals(a, b);
        }

        private static String showSnapshot(Object s) {
            return s instanceof byte[] b ? "a file of " + describe(b) : s instanceof Map<?, ?> m ? "a directory " + m : String.valueOf(s);
        }

        /** Every path under both roots, compared; then the directories themselves. */
        void compareTrees(int step) {
            Map<String, Object> want = new TreeMap<>();
            Map<String, Object> got = new TreeMap<>();
            walk(local, localRoot, "", want);
            walk(lego, legoRoot, "", got);
            if (!want.keySet().equals(got.keySet())) {
                throw mismatch(step, null, null, "tree", "after step " + step + " the trees differ: local has "
                        + want.keySet() + "\n  lego: has " + got.keySet(), null);
            }
            for (String k : want.keySet()) {
                if (!sameSnapshot(want.get(k), got.get(k))) {
                    throw mismatch(step, null, null, "tree", "after step " + step + ", " + k + " is on the local file system: "
                            + showSnapshot(want.get(k)) + "\n  but on lego: " + showSnapshot(got.get(k))
                            + diffBytes(want.get(k), got.get(k)), null);
                }
            }
        }

        private static void walk(Side s, Path dir, String prefix, Map<String, Object> out) {
            Map<String, String> names;
            try {
                names = list(dir);
            } catch (IOException e) {
                out.put(prefix.isEmpty() ? "." : prefix, "unlistable: " + e);
                return;
            }
            for (var e : names.entrySet()) {
                String rel = prefix.isEmpty() ? e.getKey() : prefix + "/" + e.getKey();
                Path p = dir.resolve(e.getKey());
                if (e.getValue().equals("dir")) {
                    out.put(rel, "directory");
                    walk(s, p, rel, out);
                } else {
                    out.put(rel, snapshot(p));
                }
            }
        }

        void closeAll() {
            for (int i = 0; i < SLOTS; i++) {
                closeQuietly(lego.ch[i]);
                closeQuietly(local.ch[i]);
            }
        }

        private Mismatch mismatch(int step, Op top, Op op, String kind, String detail, Throwable cause) {
            String what = op == null ? "" : op.getClass().getSimpleName();
            String sig = kind.startsWith("content") ? "content after " + (top == null ? "" : top.getClass().getSimpleName())
                    : kind + " " + what;
            String where = op == null ? "" : " in `" + op.show() + "`" + (op != top && top != null ? " (of step `" + top.show() + "`)" : "");
            return new Mismatch(step, sig, "step " + step + where + ": " + detail, cause);
        }
    }

    private static String diffOf(Outcome want, Outcome got) {
        if (want.bytes() != null && got.bytes() != null) {
            return diffBytes(want.bytes(), got.bytes());
        }
        return "";
    }

    private static String diffBytes(Object a, Object b) {
        if (!(a instanceof byte[] x) || !(b instanceof byte[] y)) {
            return "";
        }
        int i = Arrays.mismatch(x, y);
        if (i < 0) {
            return "";
        }
        HexFormat hex = HexFormat.of();
        int from = Math.max(0, i - 4);
        return "\n  first difference at byte " + i + ": local " + hex.formatHex(x, from, Math.min(x.length, i + 12))
                + " | lego " + hex.formatHex(y, from, Math.min(y.length, i + 12)) + " (from byte " + from + ")";
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException ignored) {
                // cleanup only
            }
        }
    }

    // ================================================================ shrinking

    /**
     * Delta debugging over the program: drops chunks of operations (halves, quarters, ... single ones), then
     * single operations of bursts, keeping every removal after which {@code fails} still gives
     * {@code signature}; stops after {@code maxRuns} runs. Returns the smallest failing program found.
     */
    static List<Op> shrink(List<Op> ops, String signature, Function<List<Op>, Mismatch> run, int maxRuns) {
        List<Op> best = new ArrayList<>(ops);
        int runs = 0;
        int chunk = Math.max(1, best.size() / 2);
        while (runs < maxRuns) {
            boolean removed = false;
            for (int start = 0; start < best.size() && runs < maxRuns; ) {
                List<Op> candidate = new ArrayList<>(best.subList(0, start));
                candidate.addAll(best.subList(Math.min(best.size(), start + chunk), best.size()));
                runs++;
                if (!candidate.equals(best) && failsSame(run.apply(candidate), signature)) {
                    best = candidate;
                    removed = true;
                } else {
                    start += chunk;
                }
            }
            if (chunk == 1) {
                if (!removed) {
                    break;
                }
            } else {
                chunk = Math.max(1, chunk / 2);
            }
        }
        // inside bursts: drop sub-operations, or replace a burst of one by its operation
        for (int i = 0; i < best.size() && runs < maxRuns; i++) {
            if (!(best.get(i) instanceof Burst(List<ChanOp> inner))) {
                continue;
            }
            List<ChanOp> sub = new ArrayList<>(inner);
            for (int j = 0; j < sub.size() && runs < maxRuns; ) {
                List<ChanOp> fewer = new ArrayList<>(sub);
                fewer.remove(j);
                List<Op> candidate = new ArrayList<>(best);
                candidate.set(i, fewer.size() == 1 ? fewer.getFirst() : new Burst(List.copyOf(fewer)));
                runs++;
                if (!fewer.isEmpty() && failsSame(run.apply(candidate), signature)) {
                    sub = fewer;
                    best = candidate;
                    if (sub.size() == 1) {
                        break;
                    }
                } else {
                    j++;
                }
            }
        }
        return best;
    }

    private static boolean failsSame(Mismatch m, String signature) {
        return m != null && m.signature.equals(signature);
    }
}
