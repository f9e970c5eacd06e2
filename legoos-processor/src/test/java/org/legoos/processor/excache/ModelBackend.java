package org.legoos.processor.excache;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;

import org.legoos.api.SegmentationFault;

/**
 * A {@link LineBackend} that simulates memory components with a {@code HashMap<Long, byte[]>}: pages that were
 * never written back are zero-filled (LegoOS's p-local zero-fill), and page {@code vpn} belongs to component
 * {@code (vpn / pagesPerRegion) % components}, so a dirty victim is piggybacked only when it goes to the same
 * component as the missed page. It counts every call and flags two overlapping calls for the same page, which
 * the ExCache must never make.
 *
 * <p>Prefetch as the process monitor's backend does it (switchable with {@link #prefetch(boolean)}): pages that
 * were written back, are mapped and live on the missed page's component are {@linkplain #prefetchable
 * prefetchable}; a batch writes back the dirty victims of its prefetch lines (one flush message per component),
 * then serves the missed page and the prefetch pages up to the first unmapped one (a never-written page in the
 * middle reads as zeros, as on a memory component), in one message.
 */
final class ModelBackend implements LineBackend {
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A dirty victim as the backend saw it. */
    record Victim(int asid, long vpn, byte[] data, boolean piggybacked) {
    }

    private final Map<Long, byte[]> pages = new HashMap<>(); // guarded by this
    private final ArrayDeque<Victim> victims = new ArrayDeque<>(); // the last 16, guarded by this
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final int pagesPerRegion;
    private final int components;
    private volatile LongPredicate mapped = vpn -> true;
    private volatile RuntimeException failNextFlush;
    private volatile RuntimeException failNextBatch;
    private volatile boolean prefetch = true;
    private volatile int batchLimit = Integer.MAX_VALUE;

    final AtomicLong fills = new AtomicLong();
    final AtomicLong fetches = new AtomicLong();
    final AtomicLong zeroFills = new AtomicLong();
    final AtomicLong piggybacks = new AtomicLong();
    final AtomicLong victimFlushes = new AtomicLong();
    final AtomicLong flushCalls = new AtomicLong();
    final AtomicLong overlaps = new AtomicLong();
    /** fillBatch calls (each one miss message carrying prefetch pages). */
    final AtomicLong batches = new AtomicLong();
    /** Pages served by batches besides the missed pages. */
    final AtomicLong prefetchedPages = new AtomicLong();
    /** Dirty victims of prefetch lines written back by batches. */
    final AtomicLong prefetchVictimFlushes = new AtomicLong();
    /** Flush messages: one per {@link #flush} and one per component in each batch with dirty victims. */
    final AtomicLong flushMessages = new AtomicLong();

    /** One memory component: every dirty victim is piggybacked. */
    ModelBackend() {
        this(1 << 20, 1);
    }

    ModelBackend(int pagesPerRegion, int components) {
        this.pagesPerRegion = pagesPerRegion;
        this.components = components;
    }

    /** Pages for which {@code mapped} is false fault with {@link SegmentationFault}. */
    void mapped(LongPredicate mapped) {
        this.mapped = mapped;
    }

    /** Every mapped page is anonymous and writable here. */
    @Override
    public boolean writableAnonymous(int asid, long vpn) {
        return mapped.test(vpn);
    }

    /** The next {@link #flush} throws {@code failure} without storing anything. */
    void failNextFlush(RuntimeException failure) {
        this.failNextFlush = failure;
    }

    /** Whether pages may be prefetched at all (on by default). */
    void prefetch(boolean on) {
        this.prefetch = on;
    }

    /** The next {@link #fillBatch} writes back all its victims, then throws {@code failure}, filling nothing. */
    void failNextBatch(RuntimeException failure) {
        this.failNextBatch = failure;
    }

    /** Batches serve at most {@code pages} prefetch pages (as a memory component that stops early). */
    void limitBatch(int pages) {
        this.batchLimit = pages;
    }

    /** Stores a page on the memory components, as if it had been written back. */
    synchronized void put(int asid, long vpn, byte[] page) {
        if (page.length != ExCache.LINE_SIZE) {
            throw new IllegalArgumentException("a page is 4096 bytes, got " + page.length);
        }
        pages.put(key(asid, vpn), page.clone());
    }

    int componentOf(long vpn) {
        return (int) ((vpn / pagesPerRegion) % components);
    }

    @Override
    public int prefetchable(int asid, long vpn, long strideVpns, int max) {
        if (strideVpns == 0 || max < 1) {
            throw new AssertionError("prefetchable(" + asid + ", " + vpn + ", " + strideVpns + ", " + max + ")");
        }
        if (!prefetch) {
            return 0;
        }
        synchronized (this) {
            if (!mapped.test(vpn) || !pages.containsKey(key(asid, vpn))) {
                return 0;
            }
            int n = 0;
            for (long p = vpn + strideVpns; n < max && p >= 0 && mapped.test(p) && pages.containsKey(key(asid, p))
                    && componentOf(p) == componentOf(vpn); p += strideVpns) {
                n++;
            }
            return n;
        }
    }

    @Override
    public BatchFill fillBatch(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn,
                               MemorySegment victimData, long strideVpns, List<PrefetchLine> lines) {
        if (!prefetch || lines.isEmpty()) {
            throw new AssertionError("fillBatch with prefetch " + (prefetch ? "on" : "off") + " and " + lines.size() + " lines");
        }
        fills.incrementAndGet();
        batches.incrementAndGet();
        enter(asid, vpn);
        for (int i = 0; i < lines.size(); i++) {
            PrefetchLine l = lines.get(i);
            if (l.vpn() != vpn + (i + 1) * strideVpns || l.dst().byteSize() != ExCache.LINE_SIZE) {
                throw new AssertionError("prefetch line " + i + " is " + l + " for vpn " + vpn + " stride " + strideVpns);
            }
            enter(asid, l.vpn());
            if (l.victimData() != null) {
                enter(l.victimAsid(), l.victimVpn());
            }
        }
        try {
            // The victims first: their lines are the prefetch pages' destinations.
            boolean[] component = new boolean[components];
            for (PrefetchLine l : lines) {
                if (l.victimData() != null) {
                    byte[] copy = l.victimData().toArray(ValueLayout.JAVA_BYTE);
                    synchronized (this) {
                        pages.put(key(l.victimAsid(), l.victimVpn()), copy);
                        if (victims.size() == 16) {
                            victims.removeFirst();
                        }
                        victims.addLast(new Victim(l.victimAsid(), l.victimVpn(), copy.clone(), false));
                    }
                    prefetchVictimFlushes.incrementAndGet();
                    if (!component[componentOf(l.victimVpn())]) {
                        component[componentOf(l.victimVpn())] = true;
                        flushMessages.incrementAndGet();
                    }
                }
            }
            RuntimeException failure = failNextBatch;
            if (failure != null) {
                failNextBatch = null;
                if (victimData != null) { // it made it out, the answer did not
                    byte[] copy = victimData.toArray(ValueLayout.JAVA_BYTE);
                    synchronized (this) {
                        pages.put(key(victimAsid, victimVpn), copy);
                    }
                    victimFlushes.incrementAndGet();
                }
                throw failure;
            }
            Fill fill = fillPage(asid, vpn, dst, victimAsid, victimVpn, victimData);
            if (fill == Fill.ZERO_FILLED) {
                return new BatchFill(fill, 0);
            }
            int n = 0;
            for (PrefetchLine l : lines) {
                if (n >= batchLimit || !mapped.test(l.vpn())) {
                    break;
                }
                byte[] page;
                synchronized (this) {
                    page = pages.get(key(asid, l.vpn()));
                }
                if (page == null) {
                    l.dst().fill((byte) 0);
                } else {
                    MemorySegment.copy(MemorySegment.ofArray(page), 0, l.dst(), 0, ExCache.LINE_SIZE);
                }
                n++;
            }
            prefetchedPages.addAndGet(n);
            return new BatchFill(fill, n);
        } finally {
            exit(asid, vpn);
            for (PrefetchLine l : lines) {
                exit(asid, l.vpn());
                if (l.victimData() != null) {
                    exit(l.victimAsid(), l.victimVpn());
                }
            }
        }
    }

    @Override
    public Fill fill(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
        fills.incrementAndGet();
        enter(asid, vpn);
        try {
            return fillPage(asid, vpn, dst, victimAsid, victimVpn, victimData);
        } finally {
            exit(asid, vpn);
        }
    }

    /** A miss of page (asid, vpn), entered by the caller. */
    private Fill fillPage(int asid, long vpn, MemorySegment dst, int victimAsid, long victimVpn, MemorySegment victimData) {
        if (dst.byteSize() != ExCache.LINE_SIZE) {
            throw new AssertionError("fill dst is " + dst.byteSize() + " bytes");
        }
        {
            boolean piggyback = false;
            if (victimData != null) {
                enter(victimAsid, victimVpn);
                try {
                    // Read the victim fully before dst is written: they are the same memory.
                    byte[] copy = victimData.toArray(ValueLayout.JAVA_BYTE);
                    byte[] target;
                    synchronized (this) {
                        target = pages.get(key(asid, vpn));
                    }
                    piggyback = target != null && mapped.test(vpn) && componentOf(victimVpn) == componentOf(vpn);
                    synchronized (this) {
                        pages.put(key(victimAsid, victimVpn), copy);
                        if (victims.size() == 16) {
                            victims.removeFirst();
                        }
                        victims.addLast(new Victim(victimAsid, victimVpn, copy.clone(), piggyback));
                    }
                    (piggyback ? piggybacks : victimFlushes).incrementAndGet();
                } finally {
                    exit(victimAsid, victimVpn);
                }
            }
            if (!mapped.test(vpn)) {
                throw new SegmentationFault("asid " + asid + " vpn 0x" + Long.toHexString(vpn) + " is not mapped");
            }
            byte[] page;
            synchronized (this) {
                page = pages.get(key(asid, vpn));
            }
            if (page == null) {
                dst.fill((byte) 0);
                zeroFills.incrementAndGet();
                return Fill.ZERO_FILLED;
            }
            MemorySegment.copy(MemorySegment.ofArray(page), 0, dst, 0, ExCache.LINE_SIZE);
            fetches.incrementAndGet();
            return piggyback ? Fill.FETCHED_WITH_PIGGYBACK : Fill.FETCHED;
        }
    }

    @Override
    public void flush(int asid, long vpn, MemorySegment src) {
        enter(asid, vpn);
        try {
            RuntimeException failure = failNextFlush;
            if (failure != null) {
                failNextFlush = null;
                throw failure;
            }
            byte[] copy = src.toArray(ValueLayout.JAVA_BYTE);
            synchronized (this) {
                pages.put(key(asid, vpn), copy);
            }
            flushCalls.incrementAndGet();
            flushMessages.incrementAndGet();
        } finally {
            exit(asid, vpn);
        }
    }

    /** A copy of the page as the memory components hold it, or null if it was never written back. */
    synchronized byte[] page(int asid, long vpn) {
        byte[] page = pages.get(key(asid, vpn));
        return page == null ? null : page.clone();
    }

    /** The bytes {@code [va, va+len)} as the memory components hold them (zeros where never written back). */
    byte[] bytes(int asid, long va, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; ) {
            long a = va + i;
            int inPage = (int) (a & 4095);
            int n = Math.min(len - i, 4096 - inPage);
            byte[] page = page(asid, a >>> 12);
            if (page != null) {
                System.arraycopy(page, inPage, out, i, n);
            }
            i += n;
        }
        return out;
    }

    long longAt(int asid, long va) {
        return MemorySegment.ofArray(bytes(asid, va, 8)).get(LONG_LE, 0);
    }

    /** The last 16 dirty victims, oldest first. */
    synchronized List<Victim> victims() {
        return List.copyOf(victims);
    }

    /** Total dirty lines written back, by any route. */
    long writeBacks() {
        return piggybacks.get() + victimFlushes.get() + flushCalls.get() + prefetchVictimFlushes.get();
    }

    /** Miss messages: misses that went to a memory component (zero-fills are local). */
    long missMessages() {
        return fetches.get();
    }

    private static long key(int asid, long vpn) {
        return ((long) asid << 44) ^ vpn;
    }

    private void enter(int asid, long vpn) {
        if (!inFlight.add(key(asid, vpn))) {
            overlaps.incrementAndGet();
        }
    }

    private void exit(int asid, long vpn) {
        inFlight.remove(key(asid, vpn));
    }
}
