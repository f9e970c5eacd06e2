package org.legoos.node.task;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.util.Random;
import org.legoos.api.AddressSpace;
import org.legoos.api.SegmentationFault;
import org.legoos.task.TaskAddressSpace;
import org.legoos.task.channel.SyscallClient;

/**
 * A task JVM for {@link TaskMemoryTest}: attaches its address space over the channel on stdin/stdout, then checks
 * what a program sees of its memory, printing {@code OK} (or what went wrong) on stderr.
 */
public final class MemoryTaskMain {
    private MemoryTaskMain() {
    }

    public static void main(String[] args) throws Exception {
        SyscallClient c = new SyscallClient(System.in, new FileOutputStream(FileDescriptor.out));
        c.start((op, body) -> { }, reason -> Runtime.getRuntime().halt(3));
        System.err.println("attaching");
        TaskAddressSpace m = TaskAddressSpace.attach(c);
        System.err.println("attached");
        int pages = Integer.parseInt(args[0]);
        long seed = Long.parseLong(args[1]);
        try {
            check(m, pages, seed);
            System.err.println("OK");
            System.err.flush();
            Runtime.getRuntime().halt(0);
        } catch (Throwable t) {
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static void check(AddressSpace m, int pages, long seed) throws Exception {
        long len = (long) pages * AddressSpace.PAGE_SIZE;
        final long T0 = System.nanoTime();
        long a = m.mmap(len);
        System.err.println("mapped at 0x" + Long.toHexString(a));
        // never written: zeros
        require(m.getLong(a + 8) == 0, "fresh page not zero");
        for (long off = 0; off < len; off += 8) {
            m.putLong(a + off, off * 7 + 1);
        }
        for (long off = 0; off < len; off += 8) {
            long v = m.getLong(a + off);
            require(v == off * 7 + 1, "sequential: at +" + off + " read " + v);
        }
        System.err.println("sequential ok " + (System.nanoTime() - T0) / 1_000_000 + " ms");
        Random rnd = new Random(seed);
        long[] model = new long[(int) (len / 8)];
        for (int i = 0; i < model.length; i++) {
            model[i] = i * 56L + 1;
        }
        // two threads, random stores and loads on disjoint halves, with GCs in between
        Thread[] ts = new Thread[2];
        Throwable[] err = new Throwable[2];
        for (int t = 0; t < 2; t++) {
            int ti = t;
            ts[t] = new Thread(() -> {
                try {
                    Random r = new Random(seed + ti);
                    int half = model.length / 2;
                    for (int step = 0; step < 3_000; step++) {
                        int i = ti * half + r.nextInt(half);
                        if (r.nextBoolean()) {
                            long v = r.nextLong();
                            m.putLong(a + 8L * i, v);
                            model[i] = v;
                        } else {
                            long v = m.getLong(a + 8L * i);
                            require(v == model[i], "random: word " + i + " read " + v + " expected " + model[i]);
                        }
                        if (step % 1000 == 0) {
                            System.gc();
                        }
                    }
                } catch (Throwable e) {
                    err[ti] = e;
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        for (Throwable e : err) {
            if (e != null) {
                throw new AssertionError(e);
            }
        }
        System.err.println("random ok " + (System.nanoTime() - T0) / 1_000_000 + " ms");
        // bulk copies across pages
        byte[] buf = new byte[3 * AddressSpace.PAGE_SIZE + 100];
        m.read(a + 4000, buf, 0, buf.length);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        require(bb.getLong(96) == model[(int) ((4000 + 96) / 8)], "bulk read");
        // a segment over the mapping is the same memory
        java.lang.foreign.MemorySegment seg = m.segment(a, len);
        require(seg.address() == a, "segment address");
        require(seg.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 16) == model[2], "segment load");
        // msync, then read-only and back: the data stays (a store to a read-only page is poisoned; the JVM raises the
        // InternalError of a poisoned access asynchronously, so that case is not checked here: see the issue note)
        m.msync(a, len);
        m.mprotect(a, AddressSpace.PAGE_SIZE, AddressSpace.PROT_READ);
        require(m.getLong(a) == model[0], "read-only page lost its data");
        m.mprotect(a, AddressSpace.PAGE_SIZE, AddressSpace.PROT_RW);
        m.putLong(a, 5);
        require(m.getLong(a) == 5, "store after mprotect RW");
        m.munmap(a, len);
        boolean faulted;
        // a new mapping at the same place starts from zeros
        long b = m.mmap(a, len, AddressSpace.PROT_RW);
        require(m.getLong(b + 64) == 0, "remapped page not zero");
        // grow with mremap: contents move
        m.putLong(b, 77);
        long c = m.mremap(b, len, 2 * len, true);
        require(m.getLong(c) == 77, "mremap lost the contents");
        // brk
        long brk0 = m.brk(0);
        long brk1 = m.brk(brk0 + 3 * AddressSpace.PAGE_SIZE);
        m.putLong(brk0 + 8, 9);
        require(m.getLong(brk0 + 8) == 9 && brk1 >= brk0 + 3 * AddressSpace.PAGE_SIZE, "brk");
        // outside the user address space
        faulted = false;
        try {
            m.getLong(0x1000);
        } catch (SegmentationFault expected) {
            faulted = true;
        }
        require(faulted, "page 1 did not fault");
    }
}
