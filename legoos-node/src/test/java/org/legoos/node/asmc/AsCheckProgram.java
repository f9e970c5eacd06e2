package org.legoos.node.asmc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoException;
import org.legoos.api.LegoProgram;
import org.legoos.api.NoMemoryException;
import org.legoos.api.SegmentationFault;

/**
 * The model check as a LegoOS/J program: runs a generated program (see {@link AsOp}) against its own address
 * space and against a reference model at the same time, one model per thread (each thread owns its mappings),
 * and reports the first divergence on stdout ({@code DIVERGENCE thread=T op=I sig=S} and details) with exit
 * code 2, or {@code OK ...} with exit code 0.
 *
 * <p>Arguments: {@code args[0]} a header ({@code v1 threads=N}, and {@code faults=fatal} where a load or store of a
 * page without access ends the process instead of throwing, as in process mode: such accesses are then skipped), then
 * one argument per thread with its steps.
 *
 * <p>The expected contract: argument errors (unaligned address of munmap/mremap/mprotect/msync, non-positive
 * length, unknown prot bits, brk below the heap start) throw {@link IllegalArgumentException} before any side
 * effect; a range that must be mapped and is not throws {@link SegmentationFault}; no room, or a growth that may
 * not move, throws {@link NoMemoryException}; every failed call leaves the state unchanged. A load or store that
 * touches a byte without access (unmapped, PROT_NONE, or read-only for a store) throws SegmentationFault at the
 * access; a faulting store may have written some of its bytes (it is a copy that faults part way), but never to
 * a byte it had no right to write.
 *
 * <p>File mappings: the header may name files ({@code fseed=S fsizes=N,N,...}); the program creates them as
 * {@code /asmc/fI.bin} with known contents before the steps, and {@code mmapFile}/{@code checkFile} steps map and read
 * them. The model of a file page seen through a mapping: the file's bytes (zeros after the end of the file in its
 * last page; a page wholly past it faults) until the mapping stores to it, after which the page is the mapping's
 * own (the file as it was when filled, plus the stores). Shared stores reach the file at msync, munmap (and
 * mremap's shrink) and exit, clipped to the file's size; until then the file's bytes there are unknown (the model
 * does not check them), and a page the mapping never stored to may show either version of bytes that changed
 * in the file since. Files 0 and 1 are common to all threads (mapped privately, or shared without write
 * permission); files 2+2t and 3+2t are thread t's. After the steps it writes the expected final contents (exit
 * syncs the shared mappings) to {@code /asmc/fI.exp} and which bytes are unknown to {@code /asmc/fI.unk}, which the
 * harness compares with the files once the process has exited.
 */
public final class AsCheckProgram implements LegoProgram {
    static final int PAGE = AddressSpace.PAGE_SIZE;
    static final long MMAP_BASE = 1L << 40;
    static final long TASK_SIZE = 1L << 46;
    /** Lowest mappable address (below it the task JVM lives in process mode). */
    static final long MIN_ADDR = 1L << 36;
    static final int PROT_NONE = 0;
    static final String FILE_DIR = "/asmc";
    /** Tags of file areas in {@link Areas}: {@code id << 2 | prot} with id >= 1 (anonymous areas: the prot, 0..3). */
    static final int FILE_TAG = 4;

    static String filePath(int i) {
        return FILE_DIR + "/f" + i + ".bin";
    }

    /** The initial contents of file {@code i}. */
    static byte[] fileData(long seed, int i, int size) {
        byte[] d = new byte[size];
        new SplittableRandom(seed * 31 + i * 7919L).nextBytes(d);
        return d;
    }

    /** A file as the model knows it: its bytes, and which of them are unknown (unsynced shared stores). */
    static final class FileModel {
        final int index;
        final String path;
        final byte[] data;
        final boolean[] unknown;
        /** File pages a shared mapping stored to. */
        final java.util.Set<Long> sharedWrites = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /**
         * File pages that had a shared writer while another mapping of them existed: LegoOS/J keeps no coherence
         * between two mappings of one file page (see AddressSpace.mmap), so which writer's bytes each mapping and the
         * file end with is not modelled: their bytes are unknown from then on.
         */
        final java.util.Set<Long> contested = java.util.concurrent.ConcurrentHashMap.newKeySet();

        boolean contested(long pos) {
            return contested.contains(pos / PAGE);
        }

        FileModel(int index, byte[] data) {
            this.index = index;
            this.path = filePath(index);
            this.data = data;
            this.unknown = new boolean[data.length];
        }

        int size() {
            return data.length;
        }
    }

    /** A page of a file mapping in the model. */
    static final class FPage {
        final long vpn;
        final FileModel file;
        /** The index of the file page it maps. */
        final long fpage;
        final boolean shared;
        /** The mapping stored to it: its contents are in the thread's pages, fixed (the file no longer shows through). */
        boolean own;
        /** Shared and stored to since the last sync of it. */
        boolean dirty;
        /** Bytes of this page whose value the model does not know (null: none). */
        boolean[] unknown;

        FPage(long vpn, FileModel file, long fpage, boolean shared) {
            this.vpn = vpn;
            this.file = file;
            this.fpage = fpage;
            this.shared = shared;
        }

        boolean pastEof() {
            return fpage * PAGE >= file.size();
        }

        void markUnknown(int off) {
            if (unknown == null) {
                unknown = new boolean[PAGE];
            }
            unknown[off] = true;
        }
    }

    static Map<String, String> header(String text) {
        Map<String, String> header = new HashMap<>();
        for (String kv : text.split(" ")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                header.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return header;
    }

    /** The file sizes a header names (none if it names no files). */
    static int[] fileSizes(Map<String, String> header) {
        String sizes = header.getOrDefault("fsizes", "");
        if (sizes.isBlank()) {
            return new int[0];
        }
        return java.util.Arrays.stream(sizes.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** Creates the header's files in the vNode (each written, forced and closed) and returns their models. */
    static List<FileModel> createFiles(FileSystem fs, Map<String, String> header) throws IOException {
        int[] sizes = fileSizes(header);
        List<FileModel> out = new ArrayList<>();
        if (sizes.length == 0) {
            return out;
        }
        long seed = Long.parseLong(header.getOrDefault("fseed", "0"));
        Files.createDirectories(fs.getPath(FILE_DIR));
        for (int i = 0; i < sizes.length; i++) {
            byte[] data = fileData(seed, i, sizes[i]);
            writeFile(fs, filePath(i), data);
            out.add(new FileModel(i, data));
        }
        return out;
    }

    static void writeFile(FileSystem fs, String path, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(fs.getPath(path), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    static byte[] readFile(FileSystem fs, String path) throws IOException {
        try (FileChannel ch = FileChannel.open(fs.getPath(path), StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    break;
                }
            }
            return java.util.Arrays.copyOf(b.array(), b.position());
        }
    }
    /** AddressSpace.mprotect once main has it (called reflectively so this compiles either way). */
    static final Method MPROTECT = findMprotect();

    private static Method findMprotect() {
        try {
            return AddressSpace.class.getMethod("mprotect", long.class, long.class, int.class);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** Hint zone of a thread: thread 0 below the mmap area (far above any heap), others high in the mmap area. */
    static long zoneBase(int thread) {
        return thread == 0 ? 32L << 30 : (64L << 40) + ((long) thread << 40);
    }

    /** A divergence between LegoOS/J and the model. */
    static final class Diverged extends RuntimeException {
        final String sig;

        Diverged(String sig, String message) {
            super(message);
            this.sig = sig;
        }
    }

    /** A step that cannot run (its slot is empty, or it could touch another thread's memory): not a divergence. */
    private static final class Skip extends RuntimeException {
        Skip() {
            super(null, null, false, false);
        }
    }

    private static final Skip SKIP = new Skip();

    record Failure(int thread, int op, String opText, String sig, String message) {
    }

    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        Map<String, String> header = header(args[0]);
        List<FileModel> files = createFiles(ctx.fileSystem(), header);
        int threads = Integer.parseInt(header.getOrDefault("threads", "1"));
        AddressSpace mem = ctx.memory();
        long heapStart = mem.brk(0);
        Claims claims = new Claims();
        AtomicReference<Failure> failure = new AtomicReference<>();
        List<Runner> runners = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            runners.add(new Runner(ctx, t, threads, heapStart, claims, failure, AsOp.decode(args.length > t + 1 ? args[t + 1] : ""),
                    files));
        }
        boolean faultsFatal = "fatal".equals(header.get("faults"));
        runners.forEach(r -> r.faultsFatal = faultsFatal);
        List<Thread> started = new ArrayList<>();
        for (Runner r : runners.subList(1, runners.size())) {
            started.add(ctx.startThread("asmc-" + r.thread, r));
        }
        runners.getFirst().run();
        for (Thread th : started) {
            th.join();
        }
        if (failure.get() == null) {
            // all quiet: every thread's mappings, compared once more from one thread
            for (Runner r : runners) {
                try {
                    r.opIndex = r.ops.size();
                    r.opText = "final check";
                    r.checkAll();
                } catch (Diverged d) {
                    failure.compareAndSet(null, new Failure(r.thread, r.ops.size(), "final check", d.sig, d.getMessage()));
                    break;
                } catch (Throwable e) {
                    failure.compareAndSet(null, new Failure(r.thread, r.ops.size(), "final check", "final/" + kind(e), describe(e)));
                    break;
                }
            }
        }
        Failure f = failure.get();
        if (f != null) {
            ctx.out().println("DIVERGENCE thread=" + f.thread() + " op=" + f.op() + " sig=" + f.sig());
            ctx.out().println("  step: " + f.opText());
            ctx.out().println("  " + f.message().replace("\n", "\n  "));
            ctx.out().flush();
            return 2;
        }
        // exit writes the stores of the shared mappings still mapped to their files: the expected final contents
        for (Runner r : runners) {
            r.syncModel(0, TASK_SIZE);
        }
        for (FileModel fm : files) {
            byte[] unknown = new byte[fm.size()];
            for (int i = 0; i < unknown.length; i++) {
                unknown[i] = (byte) (fm.unknown[i] || fm.contested(i) ? 1 : 0);
            }
            writeFile(ctx.fileSystem(), FILE_DIR + "/f" + fm.index + ".exp", fm.data);
            writeFile(ctx.fileSystem(), FILE_DIR + "/f" + fm.index + ".unk", unknown);
        }
        long ran = 0;
        long skipped = 0;
        Map<String, Long> outcomes = new java.util.TreeMap<>();
        for (Runner r : runners) {
            ran += r.ran;
            skipped += r.skipped;
            r.outcomes.forEach((k, v) -> outcomes.merge(k, v, Long::sum));
        }
        ctx.out().println("OK ran=" + ran + " skipped=" + skipped + " outcomes=" + outcomes);
        return 0;
    }

    static String kind(Throwable t) {
        if (t == null) {
            return "OK";
        }
        if (t instanceof IllegalArgumentException) {
            return "IAE";
        }
        if (t instanceof SegmentationFault) {
            return "SEGV";
        }
        if (t instanceof NoMemoryException) {
            return "NOMEM";
        }
        if (t instanceof UncheckedIOException u) {
            return "UIOE(" + (u.getCause() == null ? "null" : u.getCause().getClass().getSimpleName()) + ")";
        }
        if (t instanceof LegoException l) {
            return t.getClass().getSimpleName() + "(" + l.status() + ")";
        }
        return t.getClass().getSimpleName();
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        String s = w.toString();
        String[] lines = s.split("\n");
        return String.join("\n", java.util.Arrays.copyOf(lines, Math.min(lines.length, 8)));
    }

    /** One thread: its steps, its model, its slots. */
    static final class Runner implements Runnable {
        final LegoContext ctx;
        final AddressSpace mem;
        final int thread;
        final int threads;
        final long heapStart;
        final Claims claims;
        final AtomicReference<Failure> failure;
        final List<AsOp> ops;
        final Areas areas = new Areas();
        final Map<Long, byte[]> pages = new HashMap<>();
        final long[] slotAddr = new long[16];
        final long[] slotLen = new long[16];
        final boolean[] bound = new boolean[16];
        long brk;
        int opIndex;
        String opText;
        long ran;
        long skipped;
        final Map<String, Long> outcomes = new HashMap<>();
        final List<FileModel> files;
        /** The pages of this thread's file mappings, by page number. */
        final Map<Long, FPage> fpages = new HashMap<>();
        int nextFileArea;
        /** {@code faults=fatal} in the header: a faulting access would end the process (process mode). */
        boolean faultsFatal;

        Runner(LegoContext ctx, int thread, int threads, long heapStart, Claims claims, AtomicReference<Failure> failure,
               List<AsOp> ops, List<FileModel> files) {
            this.files = files;
            this.ctx = ctx;
            this.mem = ctx.memory();
            this.thread = thread;
            this.threads = threads;
            this.heapStart = heapStart;
            this.brk = heapStart;
            this.claims = claims;
            this.failure = failure;
            this.ops = ops;
        }

        @Override
        public void run() {
            for (opIndex = 0; opIndex < ops.size(); opIndex++) {
                if (failure.get() != null) {
                    return;
                }
                AsOp op = ops.get(opIndex);
                opText = op.toString();
                try {
                    step(op);
                    ran++;
                } catch (Skip s) {
                    skipped++;
                } catch (Diverged d) {
                    failure.compareAndSet(null, new Failure(thread, opIndex, opText, d.sig, d.getMessage()));
                    return;
                } catch (Throwable e) {
                    failure.compareAndSet(null, new Failure(thread, opIndex, opText, op.name() + "/harness:" + kind(e),
                            "unexpected " + describe(e)));
                    return;
                }
            }
            try {
                opText = "end-of-thread check";
                checkAll();
            } catch (Diverged d) {
                failure.compareAndSet(null, new Failure(thread, opIndex, opText, d.sig, d.getMessage()));
            } catch (Throwable e) {
                failure.compareAndSet(null, new Failure(thread, opIndex, opText, "check/" + kind(e), describe(e)));
            }
        }

        // ------------------------------------------------------------ the model

        int protAt(long addr) {
            if (addr < 0 || addr >= TASK_SIZE) {
                return -1;
            }
            Areas.Area a = areas.find(addr);
            return a == null ? -1 : a.tag() & AddressSpace.PROT_RW;
        }

        /** The protection an access sees: a page of a file mapping wholly past the end of its file faults (SIGBUS). */
        int accessProt(long addr) {
            int prot = protAt(addr);
            if (prot > 0) {
                FPage fp = fpages.get(addr >>> 12);
                if (fp != null && fp.pastEof()) {
                    return PROT_NONE;
                }
            }
            return prot;
        }

        static boolean isFileTag(int tag) {
            return tag >= FILE_TAG;
        }

        int newFileTag(int prot) {
            return (++nextFileArea << 2) | prot;
        }

        /** Whether this thread may map {@code f} so: its own files any way; the common ones only without changing them. */
        boolean mayMap(FileModel f, boolean shared, int prot) {
            if (owns(f)) {
                return true;
            }
            return f.index < 2 && (!shared || (prot & AddressSpace.PROT_WRITE) == 0);
        }

        boolean owns(FileModel f) {
            return threads == 1 || (f.index >= 2 && (f.index - 2) / 2 == thread);
        }

        static boolean readable(int prot) {
            return prot > 0; // PROT_WRITE implies read, as on x86
        }

        static boolean writable(int prot) {
            return prot >= 0 && (prot & AddressSpace.PROT_WRITE) != 0;
        }

        byte modelByte(long addr) {
            FPage fp = fpages.get(addr >>> 12);
            if (fp != null && !fp.own) {
                long pos = fp.fpage * PAGE + (addr & (PAGE - 1));
                return pos < fp.file.size() ? fp.file.data[(int) pos] : 0;
            }
            byte[] p = pages.get(addr >>> 12);
            return p == null ? 0 : p[(int) (addr & (PAGE - 1))];
        }

        /** Whether the model knows the byte at {@code addr} (file pages may show either of two versions). */
        boolean modelKnown(long addr) {
            FPage fp = fpages.get(addr >>> 12);
            if (fp == null) {
                return true;
            }
            int off = (int) (addr & (PAGE - 1));
            if (fp.unknown != null && fp.unknown[off]) {
                return false;
            }
            if (fp.file.contested.contains(fp.fpage) && fp.fpage * PAGE + off < fp.file.size()) {
                return false;
            }
            if (!fp.own) {
                long pos = fp.fpage * PAGE + off;
                return pos >= fp.file.size() || !fp.file.unknown[(int) pos];
            }
            return true;
        }

        void modelPut(long addr, byte b) {
            FPage fp = fpages.get(addr >>> 12);
            int off = (int) (addr & (PAGE - 1));
            if (fp != null) {
                materialise(fp);
                if (fp.unknown != null) {
                    fp.unknown[off] = false;
                }
                if (fp.shared) {
                    fp.dirty = true;
                    fp.file.sharedWrites.add(fp.fpage);
                    for (FPage o : fpages.values()) {
                        if (o != fp && o.file == fp.file && o.fpage == fp.fpage) {
                            fp.file.contested.add(fp.fpage);
                            break;
                        }
                    }
                    long pos = fp.fpage * PAGE + off;
                    if (pos < fp.file.size() && fp.file.data[(int) pos] != b) {
                        fp.file.unknown[(int) pos] = true; // it may reach the file at any time before the next sync
                    }
                }
            }
            byte[] p = pages.computeIfAbsent(addr >>> 12, k -> new byte[PAGE]);
            p[off] = b;
        }

        /** A store makes a file page the mapping's own: the file as it was when filled (any time since the map). */
        void materialise(FPage fp) {
            if (fp.own) {
                return;
            }
            byte[] p = new byte[PAGE];
            long base = fp.fpage * PAGE;
            for (int i = 0; i < PAGE; i++) {
                long pos = base + i;
                if (pos < fp.file.size()) {
                    p[i] = fp.file.data[(int) pos];
                    if (fp.file.unknown[(int) pos]) {
                        fp.markUnknown(i);
                    }
                }
            }
            pages.put(fp.vpn, p);
            fp.own = true;
        }

        void modelZero(long start, long end) {
            for (long p = start >>> 12; p < end >>> 12; p++) {
                pages.remove(p);
                fpages.remove(p);
            }
        }

        /**
         * What msync, munmap, mremap's shrink and exit do to the files: the stored pages of the shared file mappings
         * in [start, end) are written to their files (clipped to the file's size). A page stored to since its last
         * sync is written for sure; one stored to before may be written again; where such writers disagree (or another
         * mapping of the page has unsynced stores) the file's bytes become unknown. Pages of other mappings that
         * were never stored to may show the old or the new bytes from then on.
         */
        void syncModel(long start, long end) {
            Map<FileModel, Map<Long, List<FPage>>> groups = new HashMap<>();
            for (FPage fp : fpages.values()) {
                long va = fp.vpn << 12;
                if (fp.shared && fp.own && va >= start && va < end) {
                    groups.computeIfAbsent(fp.file, k -> new HashMap<>()).computeIfAbsent(fp.fpage, k -> new ArrayList<>()).add(fp);
                }
            }
            for (Map.Entry<FileModel, Map<Long, List<FPage>>> byFile : groups.entrySet()) {
                FileModel f = byFile.getKey();
                for (Map.Entry<Long, List<FPage>> e : byFile.getValue().entrySet()) {
                    long fpage = e.getKey();
                    List<FPage> group = e.getValue();
                    List<FPage> others = new ArrayList<>();
                    for (FPage fp : fpages.values()) {
                        if (fp.file == f && fp.fpage == fpage && !group.contains(fp)) {
                            others.add(fp);
                        }
                    }
                    boolean anyDirty = false;
                    for (FPage fp : group) {
                        anyDirty |= fp.dirty;
                    }
                    long base = fpage * PAGE;
                    int n = (int) Math.min(PAGE, f.size() - base);
                    for (int i = 0; i < n; i++) {
                        int pos = (int) (base + i);
                        Candidates c = new Candidates();
                        for (FPage fp : group) {
                            c.add(pages.get(fp.vpn)[i], fp.unknown == null || !fp.unknown[i]);
                        }
                        for (FPage fp : others) {
                            if (fp.shared && fp.own && fp.dirty) {
                                c.add(pages.get(fp.vpn)[i], fp.unknown == null || !fp.unknown[i]);
                            }
                        }
                        if (!anyDirty) {
                            c.add(f.data[pos], !f.unknown[pos]);
                        }
                        boolean changed = f.unknown[pos] || c.unknown || f.data[pos] != c.value;
                        if (!c.unknown) {
                            f.data[pos] = c.value;
                        }
                        f.unknown[pos] = c.unknown;
                        if (changed) {
                            for (FPage o : others) {
                                if (!o.own) {
                                    o.markUnknown(i);
                                }
                            }
                        }
                    }
                    for (FPage fp : group) {
                        fp.dirty = false;
                    }
                }
            }
        }

        /** The values a byte of a file may end with. */
        static final class Candidates {
            boolean any;
            boolean unknown;
            byte value;

            void add(byte v, boolean known) {
                if (!known || (any && v != value)) {
                    unknown = true;
                }
                any = true;
                value = v;
            }
        }

        /** Whether a page is in a range only this thread uses (or that is never mappable). */
        boolean exclusive(long page) {
            if (threads == 1 || page < MIN_ADDR || page >= TASK_SIZE || page < 0) {
                return true;
            }
            if (thread == 0) {
                return page < MMAP_BASE;
            }
            long zb = zoneBase(thread);
            return page >= zb && page < zb + (1L << 40);
        }

        /** Whether every page of the byte range [start, start+len) is exclusive or mapped by this thread. */
        boolean safe(long start, long len) {
            if (threads == 1) {
                return true;
            }
            long first = start & ~(long) (PAGE - 1);
            long end = start + len; // callers keep ranges far from overflow, except never-mappable ones
            if (end < start) {
                end = Long.MAX_VALUE;
            }
            for (long p = first; p < end && p >= first; p += PAGE) {
                if (!exclusive(p) && areas.find(p) == null) {
                    return false;
                }
            }
            return true;
        }

        /** With {@code faults=fatal}, an access the model says faults would end the process: it is skipped. */
        void skipIfFatal(boolean ok) {
            if (!ok && faultsFatal) {
                throw SKIP;
            }
        }

        void requireSafe(long start, long len) {
            if (!safe(start, len)) {
                throw SKIP;
            }
        }

        // ------------------------------------------------------------ failures

        Diverged diverged(String category, String message) {
            String name = opText.contains(" ") ? opText.substring(0, opText.indexOf(' ')) : opText;
            return new Diverged(name + "/" + category, message + "\n  model areas of thread " + thread + ": " + abbreviate(areas.toString()));
        }

        static String abbreviate(String s) {
            return s.length() > 600 ? s.substring(0, 600) + " ..." : s;
        }

        void expectKind(String expected, Throwable actual, String what) {
            String k = kind(actual);
            if (!k.equals(expected)) {
                throw diverged(expected + "->" + k, what + ": expected " + expected + ", got " + k + ": " + describe(actual));
            }
            outcomes.merge(opName() + ":" + k, 1L, Long::sum);
        }

        /** A range that wraps around the end of the 64-bit address space may also be refused as an argument error. */
        void expectAccess(boolean ok, long va, long n, Throwable t, String what) {
            boolean wraps = n > 0 && Long.compareUnsigned(va + n - 1, va) < 0;
            expectKind(wraps && t instanceof IllegalArgumentException ? "IAE" : ok ? "OK" : "SEGV", t, what);
        }

        String opName() {
            return opText.contains(" ") ? opText.substring(0, opText.indexOf(' ')) : opText;
        }

        // ------------------------------------------------------------ verification against the real memory

        /** Every page of [start, end) as the model says: contents if readable, a fault if not mapped or PROT_NONE. */
        void verify(long start, long end, boolean sample) {
            if (end <= start) {
                return;
            }
            long first = start & ~(long) (PAGE - 1);
            long pagesInRange = ((end - first) + PAGE - 1) / PAGE;
            SplittableRandom pick = new SplittableRandom(start ^ end);
            byte[] buf = new byte[PAGE];
            for (long i = 0; i < pagesInRange; i++) {
                if (sample && pagesInRange > 96 && i >= 16 && i < pagesInRange - 16 && pick.nextInt((int) Math.min(pagesInRange, 1 << 20)) >= 64) {
                    continue;
                }
                long p = first + i * PAGE;
                long s = Math.max(p, start);
                long e = Math.min(p + PAGE, end);
                verifyPiece(s, (int) (e - s), buf);
            }
        }

        void verifyPiece(long s, int n, byte[] buf) {
            int prot = accessProt(s);
            if (readable(prot)) {
                try {
                    mem.read(s, buf, 0, n);
                } catch (Throwable e) {
                    throw diverged("verify:" + kind(e), String.format("reading %d mapped bytes at 0x%x (prot %d) threw %s", n, s, prot, describe(e)));
                }
                for (int i = 0; i < n; i++) {
                    byte want = modelByte(s + i);
                    if (buf[i] != want && modelKnown(s + i)) {
                        throw diverged("value", String.format("byte at 0x%x: expected 0x%02x, actual 0x%02x (prot %d)%s", s + i,
                                want & 0xff, buf[i] & 0xff, prot, context(s + i, buf, i, n)));
                    }
                }
            } else if (!faultsFatal && (prot == PROT_NONE || exclusive(s & ~(long) (PAGE - 1)))) {
                Throwable t = null;
                try {
                    mem.getByte(s);
                } catch (Throwable e) {
                    t = e;
                }
                if (!(t instanceof SegmentationFault)) {
                    throw diverged("verify:SEGV->" + kind(t), String.format("a load at 0x%x should fault (%s), got %s", s,
                            prot != PROT_NONE ? "not mapped" : protAt(s) != PROT_NONE ? "past the end of its file" : "PROT_NONE",
                            describe(t)));
                }
            }
        }

        String context(long addr, byte[] buf, int i, int n) {
            int from = Math.max(0, i - 8 - (i & 7) + 8 - 8);
            int to = Math.min(n, from + 24);
            StringBuilder exp = new StringBuilder();
            for (int k = from; k < to; k++) {
                exp.append(modelKnown(addr - i + k) ? String.format("%02x", modelByte(addr - i + k) & 0xff) : "??");
            }
            return String.format("%n  bytes from 0x%x: expected %s%n  %s actual   %s", addr - i + from, exp,
                    " ".repeat(Long.toHexString(addr - i + from).length() + 2), HexFormat.of().formatHex(buf, from, to));
        }

        void checkAll() {
            for (Areas.Area a : areas.all()) {
                verify(a.start(), a.end(), false);
            }
        }

        // ------------------------------------------------------------ steps

        Long resolve(String expr) {
            if (expr.equals("0")) {
                return 0L;
            }
            int sign = Math.max(expr.indexOf('+'), expr.indexOf('-', 1));
            String base = expr.substring(0, sign);
            long off = Long.parseLong(expr.substring(sign));
            return switch (base.charAt(0)) {
                case 'a' -> off;
                case 'h' -> heapStart + off;
                case 'z' -> zoneBase(thread) + off;
                case 's' -> {
                    int s = Integer.parseInt(base.substring(1));
                    if (!bound[s]) {
                        throw SKIP;
                    }
                    yield slotAddr[s] + off;
                }
                default -> throw new IllegalArgumentException("bad address expression " + expr);
            };
        }

        static long pageUp(long n) {
            return (n + PAGE - 1) & ~(long) (PAGE - 1);
        }

        static boolean aligned(long a) {
            return (a & (PAGE - 1)) == 0;
        }

        void step(AsOp op) {
            switch (op.name()) {
                case "mmap" -> mmap(Integer.parseInt(op.arg(0)), resolve(op.arg(1)), op.num(2), (int) op.num(3));
                case "munmap" -> munmap(resolve(op.arg(0)), op.num(1));
                case "mremap" -> mremap(Integer.parseInt(op.arg(0)), resolve(op.arg(1)), op.num(2), op.num(3), op.num(4) != 0);
                case "brk" -> brk(resolve(op.arg(0)));
                case "mprotect" -> mprotect(resolve(op.arg(0)), op.num(1), (int) op.num(2));
                case "msync" -> msync(resolve(op.arg(0)), op.num(1));
                case "get" -> load(op.arg(0).charAt(0), resolve(op.arg(1)));
                case "put" -> store(op.arg(0).charAt(0), resolve(op.arg(1)), op.num(2));
                case "read" -> bulkRead(resolve(op.arg(0)), (int) op.num(1), 'B');
                case "write" -> bulkWrite(resolve(op.arg(0)), (int) op.num(1), 'B', op.num(2));
                case "readv" -> bulkRead(resolve(op.arg(1)), (int) op.num(2), op.arg(0).charAt(0));
                case "writev" -> bulkWrite(resolve(op.arg(1)), (int) op.num(2), op.arg(0).charAt(0), op.num(3));
                case "check" -> {
                    checkAll();
                    outcomes.merge("check:OK", 1L, Long::sum);
                }
                case "spawn" -> {
                    spawn();
                    outcomes.merge("spawn:OK", 1L, Long::sum);
                }
                case "mmapFile" -> mmapFile(Integer.parseInt(op.arg(0)), resolve(op.arg(1)), op.num(2), (int) op.num(3),
                        (int) op.num(4), op.arg(5), op.num(6));
                case "checkFile" -> checkFile(op.arg(0));
                default -> throw new IllegalArgumentException("unknown step " + op);
            }
        }

        Throwable attempt(Runnable r) {
            try {
                r.run();
                return null;
            } catch (Throwable t) {
                return t;
            }
        }

        void mmap(int slot, long hint, long len, int prot) {
            if (len <= 0 || (prot & ~AddressSpace.PROT_RW) != 0) {
                if (hint != 0) {
                    requireSafe(hint, 1);
                }
                Throwable t = attempt(() -> mem.mmap(hint, len, prot));
                expectKind("IAE", t, String.format("mmap(0x%x, %d, %d)", hint, len, prot));
                return;
            }
            long pl = pageUp(len);
            long r = placed(hint, pl, () -> mem.mmap(hint, len, prot), String.format("mmap(0x%x, %d, %d)", hint, len, prot));
            areas.add(r, r + pl, prot);
            modelZero(r, r + pl);
            bind(slot, r, pl);
            verify(r, r + pl, true);
        }

        /**
         * Makes a mapping call that must succeed and checks where it put the mapping: the hint if it was usable and free,
         * else a free page-aligned range of the mmap area that no other thread holds (which this thread then claims).
         */
        long placed(long hint, long pl, java.util.function.LongSupplier call, String call0) {
            boolean hintUsable = hint != 0 && aligned(hint) && hint >= MIN_ADDR && hint < TASK_SIZE && pl <= TASK_SIZE - hint;
            boolean exactExpected = hintUsable && safeExclusive(hint, pl) && areas.isFree(hint, hint + pl);
            long[] result = new long[1];
            Throwable t = attempt(() -> result[0] = call.getAsLong());
            expectKind("OK", t, call0);
            long r = result[0];
            String what = call0 + String.format(" returned 0x%x", r);
            if (exactExpected && r != hint) {
                throw diverged("address", what + ": the page-aligned hint was free and should have been honoured");
            }
            if (!aligned(r) || r < PAGE || r > TASK_SIZE - pl) {
                throw diverged("address", what + ": not a page-aligned range inside the address space");
            }
            if (r != hint && r < MMAP_BASE) {
                throw diverged("address", what + ": without a usable hint a mapping belongs in the mmap area");
            }
            if (!areas.isFree(r, r + pl)) {
                throw diverged("address", what + ": overlaps a mapping of this thread");
            }
            String conflict = claims.claim(r, r + pl, thread);
            if (conflict != null) {
                throw diverged("address", what + ": overlaps another thread's mapping: " + conflict);
            }
            return r;
        }

        /** mmap of a file: argument errors, a missing file, or a new area whose pages show the file. */
        void mmapFile(int slot, long hint, long len, int prot, int flags, String fileArg, long offset) {
            FileModel f = null;
            String path = switch (fileArg) {
                case "missing" -> FILE_DIR + "/missing.bin";
                case "dir" -> FILE_DIR;
                default -> {
                    int i = Integer.parseInt(fileArg);
                    if (i >= files.size()) {
                        throw SKIP;
                    }
                    f = files.get(i);
                    yield f.path;
                }
            };
            boolean shared = flags == AddressSpace.MAP_SHARED;
            if (f != null && !mayMap(f, shared, prot)) {
                throw SKIP; // could change a file another thread reads
            }
            String what = String.format("mmap(0x%x, %d, %d, %d, %s, %d)", hint, len, prot, flags, path, offset);
            boolean bad = len <= 0 || (prot & ~AddressSpace.PROT_RW) != 0
                    || (flags != AddressSpace.MAP_SHARED && flags != AddressSpace.MAP_PRIVATE) || offset < 0 || !aligned(offset);
            if (bad || f == null) {
                if (hint != 0) {
                    requireSafe(hint, 1);
                }
                Throwable t = attempt(() -> mem.mmap(hint, len, prot, flags, path, offset));
                expectKind(bad ? "IAE" : "UIOE(NoSuchFileException)", t, what);
                return;
            }
            long pl = pageUp(len);
            long r = placed(hint, pl, () -> mem.mmap(hint, len, prot, flags, path, offset), what);
            areas.add(r, r + pl, newFileTag(prot));
            modelZero(r, r + pl);
            for (long i = 0; i < pl / PAGE; i++) {
                long vpn = (r >>> 12) + i;
                FPage added = new FPage(vpn, f, offset / PAGE + i, shared);
                fpages.put(vpn, added);
                if (f.sharedWrites.contains(added.fpage)) {
                    f.contested.add(added.fpage);
                }
            }
            bind(slot, r, pl);
            verify(r, r + pl, true);
            outcomes.merge("mmapFile:" + (shared ? "shared" : "private"), 1L, Long::sum);
        }

        /** Reads a file through the file system: its size and every byte the model knows must match. */
        void checkFile(String fileArg) {
            int i = Integer.parseInt(fileArg);
            if (i >= files.size()) {
                throw SKIP;
            }
            FileModel f = files.get(i);
            if (!owns(f) && f.index >= 2) {
                throw SKIP; // another thread's file changes under us
            }
            byte[][] got = new byte[1][];
            Throwable t = attempt(() -> {
                try {
                    got[0] = readFile(ctx.fileSystem(), f.path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            expectKind("OK", t, "reading " + f.path);
            if (got[0].length != f.size()) {
                throw diverged("file:size", String.format("%s has %d bytes, expected %d (a mapping never changes a file's size)",
                        f.path, got[0].length, f.size()));
            }
            int unknown = 0;
            for (int pos = 0; pos < f.size(); pos++) {
                unknown += f.unknown[pos] || f.contested(pos) ? 1 : 0;
            }
            outcomes.merge("checkFile:bytes", (long) f.size(), Long::sum);
            outcomes.merge("checkFile:unknownBytes", (long) unknown, Long::sum);
            for (int pos = 0; pos < f.size(); pos++) {
                if (!f.unknown[pos] && !f.contested(pos) && got[0][pos] != f.data[pos]) {
                    throw diverged("file:value", String.format("%s: byte %d (page %d + %d): expected 0x%02x, actual 0x%02x", f.path, pos,
                            pos / PAGE, pos % PAGE, f.data[pos] & 0xff, got[0][pos] & 0xff));
                }
            }
        }

        /** Whether [start, start+len) is all in this thread's exclusive zone (so the model knows what is there). */
        boolean safeExclusive(long start, long len) {
            if (threads == 1) {
                return true;
            }
            return exclusive(start) && exclusive(start + len - 1 & ~(long) (PAGE - 1));
        }

        void bind(int slot, long addr, long len) {
            slotAddr[slot] = addr;
            slotLen[slot] = len;
            bound[slot] = true;
        }

        void munmap(long addr, long len) {
            if (len <= 0 || !aligned(addr)) {
                requireSafe(addr, Math.max(len, 1));
                Throwable t = attempt(() -> mem.munmap(addr, len));
                expectKind("IAE", t, String.format("munmap(0x%x, %d)", addr, len));
                verify(addr & ~(long) (PAGE - 1), pageUp(addr + Math.max(len, 1)), true); // unchanged
                return;
            }
            long pl = pageUp(len);
            if (addr < 0 || pl > TASK_SIZE - Math.max(addr, 0) || addr >= TASK_SIZE) {
                throw SKIP; // not generated
            }
            requireSafe(addr, pl);
            claims.release(addr, addr + pl, thread);
            Throwable t = attempt(() -> mem.munmap(addr, len));
            if (t != null) {
                for (Areas.Area a : areas.overlapping(addr, addr + pl)) {
                    claims.claim(a.start(), a.end(), thread);
                }
            }
            expectKind("OK", t, String.format("munmap(0x%x, %d)", addr, len));
            syncModel(addr, addr + pl);
            areas.remove(addr, addr + pl);
            modelZero(addr, addr + pl);
            verify(Math.max(addr - PAGE, 0), addr + pl + PAGE, true);
        }

        void mremap(int slot, long addr, long oldLen, long newLen, boolean mayMove) {
            String what = String.format("mremap(0x%x, %d, %d, %s)", addr, oldLen, newLen, mayMove);
            if (oldLen <= 0 || newLen <= 0 || !aligned(addr)) {
                requireSafe(addr, Math.max(oldLen, 1));
                Throwable t = attempt(() -> mem.mremap(addr, oldLen, newLen, mayMove));
                expectKind("IAE", t, what);
                verify(addr & ~(long) (PAGE - 1), pageUp(addr + Math.max(oldLen, 1)), true);
                return;
            }
            long oldPl = pageUp(oldLen);
            long newPl = pageUp(newLen);
            if (addr < PAGE || addr >= TASK_SIZE || oldPl > TASK_SIZE - addr) {
                throw SKIP;
            }
            requireSafe(addr, oldPl);
            Areas.Area vma = areas.covering(addr, addr + oldPl);
            if (vma == null) {
                Throwable t = attempt(() -> mem.mremap(addr, oldLen, newLen, mayMove));
                expectKind("SEGV", t, what + " of a range not inside one area");
                verify(addr, addr + oldPl, true);
                return;
            }
            if (newPl <= oldPl) {
                if (newPl < oldPl) {
                    claims.release(addr + newPl, addr + oldPl, thread);
                }
                long[] r = new long[1];
                Throwable t = attempt(() -> r[0] = mem.mremap(addr, oldLen, newLen, mayMove));
                if (t != null) {
                    claims.claim(addr + newPl, addr + oldPl, thread);
                }
                expectKind("OK", t, what);
                if (r[0] != addr) {
                    throw diverged("address", what + " returned 0x" + Long.toHexString(r[0]) + ": shrinking stays in place");
                }
                syncModel(addr + newPl, addr + oldPl); // the tail is unmapped
                areas.remove(addr + newPl, addr + oldPl);
                modelZero(addr + newPl, addr + oldPl);
                bind(slot, addr, newPl);
                verify(addr, addr + oldPl + PAGE, true);
                return;
            }
            if (isFileTag(vma.tag())) {
                expectKind("IAE", attempt(() -> mem.mremap(addr, oldLen, newLen, mayMove)), what + " (a file mapping does not grow)");
                verify(addr, addr + oldPl, true);
                return;
            }
            // growth: in place if the tail is free, else move (or NO_MEMORY)
            long tail = addr + oldPl;
            long tailEnd = addr + newPl;
            Boolean tailFree; // null: another thread may hold it, unknown
            if (newPl > TASK_SIZE - addr) {
                tailFree = false;
            } else if (safeExclusive(tail, newPl - oldPl)) {
                tailFree = areas.isFree(tail, tailEnd);
            } else {
                tailFree = areas.isFree(tail, tailEnd) ? null : Boolean.FALSE;
            }
            claims.release(addr, addr + oldPl, thread);
            long[] r = new long[1];
            Throwable t = attempt(() -> r[0] = mem.mremap(addr, oldLen, newLen, mayMove));
            if (t != null || r[0] == addr) {
                claims.claim(addr, addr + oldPl, thread);
            }
            if (Boolean.TRUE.equals(tailFree)) {
                expectKind("OK", t, what + " (the tail is free: grows in place)");
            } else if (Boolean.FALSE.equals(tailFree)) {
                expectKind(mayMove ? "OK" : "NOMEM", t, what + " (the tail is not free)");
            } else if (mayMove || t == null) {
                expectKind("OK", t, what + " (the tail may be another thread's)");
            } else {
                expectKind("NOMEM", t, what + " (the tail may be another thread's)");
            }
            if (t != null) {
                verify(addr, addr + oldPl, true); // unchanged
                return;
            }
            long n = r[0];
            String res = what + " returned 0x" + Long.toHexString(n);
            if (n == addr) {
                if (Boolean.FALSE.equals(tailFree)) {
                    throw diverged("address", res + ": grew in place over memory that is not free");
                }
                String conflict = claims.claim(tail, tailEnd, thread);
                if (conflict != null) {
                    throw diverged("address", res + ": grew in place over another thread's mapping: " + conflict);
                }
                areas.add(tail, tailEnd, vma.tag());
                modelZero(tail, tailEnd);
                bind(slot, addr, newPl);
                verify(addr, tailEnd + PAGE, true);
                return;
            }
            if (Boolean.TRUE.equals(tailFree)) {
                throw diverged("address", res + ": the tail was free, it should have grown in place");
            }
            if (!mayMove) {
                throw diverged("address", res + ": moved though mayMove is false");
            }
            if (!aligned(n) || n < MMAP_BASE || n > TASK_SIZE - newPl || !areas.isFree(n, n + newPl)) {
                throw diverged("address", res + ": not a free page-aligned range of the mmap area");
            }
            String conflict = claims.claim(n, n + newPl, thread);
            if (conflict != null) {
                throw diverged("address", res + ": moved onto another thread's mapping: " + conflict);
            }
            // contents move along; the rest is zero; the old range is unmapped
            Map<Long, byte[]> moved = new HashMap<>();
            for (long p = addr >>> 12; p < (addr + oldPl) >>> 12; p++) {
                byte[] d = pages.remove(p);
                if (d != null) {
                    moved.put(p - (addr >>> 12) + (n >>> 12), d);
                }
            }
            areas.remove(addr, addr + oldPl);
            modelZero(n, n + newPl);
            pages.putAll(moved);
            areas.add(n, n + newPl, vma.tag());
            bind(slot, n, newPl);
            verify(n, n + newPl, true);
            verify(addr, addr + oldPl, true);
        }

        void brk(long nb) {
            if (thread != 0) {
                throw SKIP;
            }
            long[] r = new long[1];
            String what = String.format("brk(0x%x)", nb);
            if (nb == 0) {
                Throwable t = attempt(() -> r[0] = mem.brk(0));
                expectKind("OK", t, what);
                if (r[0] != brk) {
                    throw diverged("value", what + " returned 0x" + Long.toHexString(r[0]) + ", the break is 0x" + Long.toHexString(brk));
                }
                return;
            }
            long oldTop = pageUp(brk);
            long newTop = pageUp(nb);
            String expected;
            if (nb < heapStart) {
                expected = "IAE";
            } else if (nb > MMAP_BASE) {
                expected = "NOMEM";
            } else if (newTop > oldTop && !areas.isFree(oldTop, newTop)) {
                expected = "NOMEM";
            } else {
                expected = "OK";
            }
            if (expected.equals("OK") && newTop < oldTop) {
                claims.release(newTop, oldTop, thread);
            }
            Throwable t = attempt(() -> r[0] = mem.brk(nb));
            expectKind(expected, t, what + " with the break at 0x" + Long.toHexString(brk));
            if (t != null) {
                long top = Math.min(Math.max(newTop, oldTop), MMAP_BASE);
                verify(Math.max(heapStart, Math.min(newTop, oldTop) - PAGE), Math.min(top + PAGE, MMAP_BASE), true);
                return;
            }
            if (r[0] != nb) {
                throw diverged("value", what + " returned 0x" + Long.toHexString(r[0]));
            }
            if (newTop > oldTop) {
                String conflict = claims.claim(oldTop, newTop, thread);
                if (conflict != null) {
                    throw diverged("address", what + ": the heap grew over another thread's mapping: " + conflict);
                }
                areas.add(oldTop, newTop, AddressSpace.PROT_RW);
                modelZero(oldTop, newTop);
            } else if (newTop < oldTop) {
                areas.remove(newTop, oldTop);
                modelZero(newTop, oldTop);
            }
            brk = nb;
            verify(Math.max(heapStart, Math.min(newTop, oldTop) - PAGE), Math.max(newTop, oldTop) + PAGE, true);
        }

        void mprotect(long addr, long len, int prot) {
            if (MPROTECT == null) {
                throw SKIP;
            }
            String what = String.format("mprotect(0x%x, %d, %d)", addr, len, prot);
            Runnable call = () -> {
                try {
                    MPROTECT.invoke(mem, addr, len, prot);
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new RuntimeException(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            };
            if (len <= 0 || !aligned(addr) || (prot & ~AddressSpace.PROT_RW) != 0) {
                requireSafe(addr, Math.max(len, 1));
                expectKind("IAE", attempt(call), what);
                verify(addr & ~(long) (PAGE - 1), pageUp(addr + Math.max(len, 1)), true);
                return;
            }
            long pl = pageUp(len);
            if (addr < 0 || addr >= TASK_SIZE || pl > TASK_SIZE - addr) {
                throw SKIP;
            }
            requireSafe(addr, pl);
            if (!areas.isMapped(addr, addr + pl)) {
                expectKind("SEGV", attempt(call), what + " of a range with unmapped parts");
                verify(addr, addr + pl, true);
                return;
            }
            if ((prot & AddressSpace.PROT_WRITE) != 0) {
                for (long p = addr >>> 12; p < (addr + pl) >>> 12; p++) {
                    FPage fp = fpages.get(p);
                    if (fp != null && fp.shared && !owns(fp.file)) {
                        throw SKIP; // would let this thread change a file other threads read
                    }
                }
            }
            expectKind("OK", attempt(call), what);
            // as the home's VMA tree: each piece gets the protection; file-backed pieces never merge
            for (Areas.Area piece : areas.overlapping(addr, addr + pl)) {
                areas.add(piece.start(), piece.end(), isFileTag(piece.tag()) ? newFileTag(prot) : prot);
            }
            verify(Math.max(addr - PAGE, 0), addr + pl + PAGE, true);
        }

        void msync(long addr, long len) {
            String what = String.format("msync(0x%x, %d)", addr, len);
            if (len <= 0 || !aligned(addr)) {
                requireSafe(addr, Math.max(len, 1));
                expectKind("IAE", attempt(() -> mem.msync(addr, len)), what);
                return;
            }
            long pl = pageUp(len);
            if (addr < 0 || addr >= TASK_SIZE || pl > TASK_SIZE - addr) {
                throw SKIP;
            }
            requireSafe(addr, pl);
            boolean mapped = areas.isMapped(addr, addr + pl);
            expectKind(mapped ? "OK" : "SEGV", attempt(() -> mem.msync(addr, len)), what);
            if (mapped) {
                syncModel(addr, addr + pl);
            }
            verify(addr, addr + pl, true);
        }

        static int width(char w) {
            return switch (w) {
                case 'B' -> 1;
                case 'I', 'F' -> 4;
                case 'L', 'D' -> 8;
                default -> throw new IllegalArgumentException("width " + w);
            };
        }

        /** Whether every byte of [va, va+n) may be read (or written). */
        boolean access(long va, long n, boolean write) {
            for (long p = va & ~(long) (PAGE - 1); p < va + n; p += PAGE) {
                int prot = accessProt(p);
                if (write ? !writable(prot) : !readable(prot)) {
                    return false;
                }
            }
            return true;
        }

        long modelValue(long va, int n) {
            long v = 0;
            for (int i = n - 1; i >= 0; i--) {
                v = (v << 8) | (modelByte(va + i) & 0xff);
            }
            return v;
        }

        /** The bits of a value of {@code n} bytes at {@code va} that the model knows. */
        long knownMask(long va, int n) {
            long m = 0;
            for (int i = n - 1; i >= 0; i--) {
                m = (m << 8) | (modelKnown(va + i) ? 0xff : 0);
            }
            return m;
        }

        void load(char w, long va) {
            int n = width(w);
            requireSafe(va, n);
            boolean ok = va >= 0 && va <= TASK_SIZE - n && access(va, n, false);
            skipIfFatal(ok);
            long[] got = new long[1];
            Throwable t = attempt(() -> got[0] = switch (w) {
                case 'B' -> mem.getByte(va) & 0xffL;
                case 'I' -> mem.getInt(va) & 0xffffffffL;
                case 'L' -> mem.getLong(va);
                case 'F' -> Float.floatToRawIntBits(mem.getFloat(va)) & 0xffffffffL;
                case 'D' -> Double.doubleToRawLongBits(mem.getDouble(va));
                default -> throw new IllegalArgumentException();
            });
            String what = String.format("get%s(0x%x)", w, va);
            expectAccess(ok, va, n, t, what);
            if (ok) {
                long want = modelValue(va, n);
                if (((got[0] ^ want) & knownMask(va, n)) != 0) {
                    throw diverged("value", String.format("%s: expected 0x%x, actual 0x%x", what, want, got[0]));
                }
            }
        }

        void store(char w, long va, long seed) {
            int n = width(w);
            requireSafe(va, n);
            long value = new SplittableRandom(seed).nextLong();
            boolean ok = va >= 0 && va <= TASK_SIZE - n && access(va, n, true);
            skipIfFatal(ok);
            Throwable t = attempt(() -> {
                switch (w) {
                    case 'B' -> mem.putByte(va, (byte) value);
                    case 'I' -> mem.putInt(va, (int) value);
                    case 'L' -> mem.putLong(va, value);
                    case 'F' -> mem.putFloat(va, Float.intBitsToFloat((int) value));
                    case 'D' -> mem.putDouble(va, Double.longBitsToDouble(value));
                    default -> throw new IllegalArgumentException();
                }
            });
            byte[] bytes = new byte[n];
            for (int i = 0; i < n; i++) {
                bytes[i] = (byte) (value >>> (8 * i));
            }
            afterStore(va, bytes, ok, t, String.format("put%s(0x%x, 0x%x)", w, va, value));
        }

        void afterStore(long va, byte[] bytes, boolean ok, Throwable t, String what) {
            expectAccess(ok, va, bytes.length, t, what);
            if (ok) {
                for (int i = 0; i < bytes.length; i++) {
                    modelPut(va + i, bytes[i]);
                }
                verify(va, va + bytes.length, false);
                return;
            }
            // a faulting store may have written part of its bytes, only where it may write
            if (va < 0 || va > TASK_SIZE - bytes.length) {
                return;
            }
            byte[] one = new byte[1];
            for (int i = 0; i < bytes.length; i++) {
                long a = va + i;
                int prot = accessProt(a);
                if (!readable(prot)) {
                    continue;
                }
                byte actual;
                try {
                    mem.read(a, one, 0, 1);
                    actual = one[0];
                } catch (Throwable e) {
                    throw diverged("verify:" + kind(e), String.format("%s faulted; reading back 0x%x (prot %d) threw %s", what, a, prot, describe(e)));
                }
                byte old = modelByte(a);
                boolean known = modelKnown(a);
                if (actual == old && known) {
                    continue;
                }
                if (actual == bytes[i] && writable(prot)) {
                    modelPut(a, actual);
                    continue;
                }
                if (!known) {
                    continue;
                }
                throw diverged("value", String.format("%s faulted; byte at 0x%x (prot %d): expected 0x%02x%s, actual 0x%02x", what, a,
                        prot, old & 0xff, writable(prot) ? String.format(" or 0x%02x", bytes[i] & 0xff) : "", actual & 0xff));
            }
        }

        void bulkRead(long va, int count, char type) {
            int size = type == 'B' ? 1 : width(type);
            long n = (long) count * size;
            requireSafe(va, Math.max(n, 1));
            boolean ok = n == 0 || (va >= 0 && va <= TASK_SIZE - n && access(va, n, false));
            skipIfFatal(ok);
            byte[] got = new byte[(int) n];
            Throwable t = attempt(() -> {
                switch (type) {
                    case 'B' -> mem.read(va, got, 0, count);
                    case 'L' -> {
                        long[] d = new long[count + 2];
                        mem.readLongs(va, d, 1, count);
                        ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(d, 1, count);
                    }
                    case 'I' -> {
                        int[] d = new int[count + 2];
                        mem.readInts(va, d, 1, count);
                        ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(d, 1, count);
                    }
                    case 'D' -> {
                        double[] d = new double[count + 2];
                        mem.readDoubles(va, d, 1, count);
                        ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(d, 1, count);
                    }
                    default -> throw new IllegalArgumentException();
                }
            });
            String what = String.format("read%s(0x%x, %d)", type == 'B' ? "" : type + "s", va, count);
            expectAccess(ok, va, n, t, what);
            if (ok) {
                for (int i = 0; i < n; i++) {
                    byte want = modelByte(va + i);
                    if (got[i] != want && modelKnown(va + i)) {
                        throw diverged("value", String.format("%s: byte at 0x%x: expected 0x%02x, actual 0x%02x%s", what, va + i,
                                want & 0xff, got[i] & 0xff, context(va + i, got, i, (int) n)));
                    }
                }
            }
        }

        void bulkWrite(long va, int count, char type, long seed) {
            int size = type == 'B' ? 1 : width(type);
            long n = (long) count * size;
            requireSafe(va, Math.max(n, 1));
            boolean ok = n == 0 || (va >= 0 && va <= TASK_SIZE - n && access(va, n, true));
            skipIfFatal(ok);
            byte[] bytes = new byte[(int) n];
            SplittableRandom rnd = new SplittableRandom(seed);
            rnd.nextBytes(bytes);
            if (type == 'D') { // keep doubles' bit patterns as written (NaN payloads are preserved by raw conversion)
                ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) {
                    b.putDouble(i * 8, rnd.nextDouble() * 1e6 - 5e5);
                }
            }
            Throwable t = attempt(() -> {
                ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                switch (type) {
                    case 'B' -> mem.write(va, bytes, 0, count);
                    case 'L' -> {
                        long[] d = new long[count + 1];
                        b.asLongBuffer().get(d, 1, count);
                        mem.writeLongs(va, d, 1, count);
                    }
                    case 'I' -> {
                        int[] d = new int[count + 1];
                        b.asIntBuffer().get(d, 1, count);
                        mem.writeInts(va, d, 1, count);
                    }
                    case 'D' -> {
                        double[] d = new double[count + 1];
                        b.asDoubleBuffer().get(d, 1, count);
                        mem.writeDoubles(va, d, 1, count);
                    }
                    default -> throw new IllegalArgumentException();
                }
            });
            afterStore(va, bytes, ok, t, String.format("write%s(0x%x, %d)", type == 'B' ? "" : type + "s", va, count));
        }

        void spawn() {
            if (thread != 0) {
                throw SKIP;
            }
            List<String> args = new ArrayList<>();
            args.add(Long.toString(heapStart));
            args.add(Long.toString(brk));
            for (Areas.Area a : areas.all()) {
                if (args.size() >= 8) {
                    break;
                }
                args.add(Long.toString(a.start()));
            }
            int code;
            try {
                code = ctx.spawn("aschild", args.toArray(String[]::new)).waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (code != 0) {
                throw diverged("child:" + code, "the child (args " + args + ") exited " + code
                        + " (3: it saw a parent page or a wrong address, see its output)");
            }
            for (int i = 2; i < args.size(); i++) {
                long a = Long.parseLong(args.get(i));
                verify(a, a + PAGE, false);
            }
        }
    }

    /**
     * The child of {@code spawn}: its fresh address space must not see its parent's pages. Arguments: the parent's
     * heap start and break, then parent mapping addresses. Exit 0 if all is as expected, 3 (with a message) if not.
     */
    public static final class Child implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long heapStart = Long.parseLong(args[0]);
            if (m.brk(0) != heapStart) {
                ctx.out().println("CHILD: brk(0) = 0x" + Long.toHexString(m.brk(0)) + ", expected the heap start 0x" + Long.toHexString(heapStart));
                return 3;
            }
            java.util.Set<Long> done = new java.util.HashSet<>();
            for (int i = 1; i < args.length; i++) {
                long a = Long.parseLong(args[i]) & ~(long) (PAGE - 1);
                if (i == 1) {
                    a = Math.max(heapStart, a - PAGE); // a page of the parent's heap
                }
                if (!done.add(a)) {
                    continue;
                }
                try {
                    long v = m.getLong(a);
                    ctx.out().println("CHILD: read 0x" + Long.toHexString(v) + " at the parent's address 0x" + Long.toHexString(a)
                            + ", which the child never mapped");
                    return 3;
                } catch (SegmentationFault expected) {
                    // good
                }
                long got = m.mmap(a, PAGE, AddressSpace.PROT_RW);
                if (got != a) {
                    ctx.out().println("CHILD: mmap hint 0x" + Long.toHexString(a) + " (free in the child) gave 0x" + Long.toHexString(got));
                    return 3;
                }
                for (int off = 0; off < PAGE; off += 8) {
                    long v = m.getLong(a + off);
                    if (v != 0) {
                        ctx.out().println("CHILD: fresh page at 0x" + Long.toHexString(a) + " reads 0x" + Long.toHexString(v)
                                + " at offset " + off + " (the parent's data?)");
                        return 3;
                    }
                }
                for (int off = 0; off < PAGE; off += 8) {
                    m.putLong(a + off, 0xC41DC41DL ^ off);
                }
                m.msync(a, PAGE);
            }
            return 0;
        }
    }
}
