package org.legoos.processor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.SegmentationFault;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.p2m.AddressSpaceInfo;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.Msync;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.processor.excache.ExCache;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.excache.ExCacheStats;

/**
 * The process monitor's backend with prefetch, over the in-JVM transport, against two fake memory components that
 * own alternate 64 KiB vRegions and record every {@code P2M_PCACHE_MISS} and {@code P2M_PCACHE_FLUSH}: batches
 * stay within one owner and skip never-written pages, strides travel in the message, dirty victims of
 * prefetched lines go in one flush per owner, and a range unmapped while another thread streams next to it
 * never keeps stale lines.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExCacheBackendPrefetchTest {
    private static final int PAGE = 4096;
    private static final long VREGION = 64 << 10; // 16 pages
    private static final int PROCESSOR = 1;
    private static final int HOME = 10;
    private static final long PID = 77;
    private static final long MMAP_BASE = 1L << 30;

    private final InJvmNodes nodes = new InJvmNodes();
    private FakeMemory memory;
    private ExCache cache;
    private ExCacheBackend backend;
    private RemoteAddressSpace space;

    /** A miss as a memory component saw it. */
    record Miss(int node, long vaddr, int pages, long strideBytes, int served) {
    }

    /** Pages, areas and vRegion owners shared by both fake components; each serves only its own vRegions. */
    static final class FakeMemory {
        final Map<Long, byte[]> store = new ConcurrentHashMap<>();
        final Set<Long> mapped = ConcurrentHashMap.newKeySet();
        final Set<Long> regions = new ConcurrentSkipListSet<>();
        final List<Miss> misses = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<long[]> flushes = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicLong next = new AtomicLong(MMAP_BASE);
        /** Flushes of this pid are refused with NO_MEMORY (a full memory component). */
        volatile long refuseFlushesOf = -1;

        static int ownerOf(long va) {
            return HOME + (int) ((va / VREGION) % 2);
        }

        synchronized MapReply reply(long addr) {
            long[] r = regions.stream().mapToLong(Long::longValue).toArray();
            int[] o = new int[r.length];
            for (int i = 0; i < r.length; i++) {
                o[i] = ownerOf(r[i] * VREGION);
            }
            return new MapReply(addr, VREGION, r, o);
        }

        MapReply mmap(Mmap q) {
            long len = (q.length() + PAGE - 1) & -PAGE;
            long addr = q.hint() != 0 ? q.hint() : next.getAndAdd(len);
            for (long a = addr; a < addr + len; a += PAGE) {
                mapped.add(a);
                store.remove(a);
                regions.add(a / VREGION);
            }
            return reply(addr);
        }

        MapReply munmap(Munmap q) {
            long len = (q.length() + PAGE - 1) & -PAGE;
            for (long a = q.addr(); a < q.addr() + len; a += PAGE) {
                mapped.remove(a);
                store.remove(a);
            }
            return reply(q.addr());
        }

        PageData miss(int node, PcacheMiss q) {
            if (q.victim().remaining() != 0) {
                store(node, q.victimVaddr(), q.victim().duplicate());
            }
            ByteBuffer out = ByteBuffer.allocate(q.pages() * PAGE);
            int n = 0;
            for (long a = q.vaddr(); n < q.pages() && mapped.contains(a) && ownerOf(a) == node; a += q.strideBytes()) {
                byte[] page = store.get(a);
                out.put(n * PAGE, page == null ? new byte[PAGE] : page);
                n++;
            }
            misses.add(new Miss(node, q.vaddr(), q.pages(), q.strideBytes(), n));
            if (n == 0) {
                throw Status.BAD_ADDRESS.toException("0x" + Long.toHexString(q.vaddr()) + " is not on node " + node);
            }
            return new PageData(out.limit(n * PAGE));
        }

        Ack flush(int node, PcacheFlush q) {
            if (q.pid() == refuseFlushesOf) {
                throw Status.NO_MEMORY.toException("node " + node + " is full");
            }
            flushes.add(q.vaddrs().clone());
            for (int i = 0; i < q.vaddrs().length; i++) {
                store(node, q.vaddrs()[i], q.data().duplicate().position(i * PAGE).limit((i + 1) * PAGE));
            }
            return Ack.INSTANCE;
        }

        private void store(int node, long va, ByteBuffer data) {
            if (!mapped.contains(va) || ownerOf(va) != node) {
                throw Status.BAD_ADDRESS.toException("flush of 0x" + Long.toHexString(va) + " on node " + node);
            }
            byte[] page = new byte[PAGE];
            data.get(page);
            store.put(va, page);
        }
    }

    @BeforeEach
    void start() {
        memory = new FakeMemory();
        RpcNode processor = nodes.add("processor", PROCESSOR);
        for (int id : new int[] {HOME, HOME + 1}) {
            RpcNode m = nodes.add("memory-" + id, id);
            m.handle(PcacheMiss.class, (q, ctx) -> memory.miss(id, q));
            m.handle(PcacheFlush.class, (q, ctx) -> memory.flush(id, q));
        }
        RpcNode home = nodes.get(1);
        home.handle(CreateAddressSpace.class, (q, ctx) -> new AddressSpaceInfo(VREGION, MMAP_BASE / 2));
        home.handle(Mmap.class, (q, ctx) -> memory.mmap(q));
        home.handle(Munmap.class, (q, ctx) -> memory.munmap(q));
        home.handle(Msync.class, (q, ctx) -> Ack.INSTANCE);
        home.handle(DestroyAddressSpace.class, (q, ctx) -> Ack.INSTANCE);
        nodes.peerAll();
        // 64 lines: 16 sets of 4 ways, so a batch holds up to 15 pages
        backend = new ExCacheBackend(processor, 8);
        cache = new ExCache(new ExCacheConfig(64L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1), backend);
        space = RemoteAddressSpace.create(processor, cache, backend, PID, 3, HOME, 0);
    }

    @AfterEach
    void stop() {
        space.close();
        cache.close();
        nodes.close();
    }

    private static long value(long va) {
        return va * 0x9E3779B97F4A7C15L;
    }

    /** Writes one long into each of {@code pages} pages from {@code va} and makes sure they reach memory. */
    private void writePages(long va, int pages) {
        for (int p = 0; p < pages; p++) {
            space.putLong(va + (long) p * PAGE, value(va + (long) p * PAGE));
        }
        space.msync(va, (long) pages * PAGE);
    }

    /** Pushes every page of the cache out by touching 64 never-written pages elsewhere. */
    /**
     * Touches twice the cache's worth of other pages in a random order: a sequential scan would not do, its pages are
     * streamed ones and evict each other before anything else.
     */
    private void evictEverything() {
        long other = space.mmap(128L * PAGE);
        for (int p : new java.util.Random(7).ints(0, 128).distinct().limit(128).toArray()) {
            space.getLong(other + (long) p * PAGE);
        }
    }

    @Test
    void aSequentialScanGoesOutInBatchesThatNeverCrossAnOwnerOrANeverWrittenPage() {
        int pages = 256; // 16 vRegions, alternating owners
        long va = space.mmap((long) pages * PAGE);
        writePages(va, pages - 1); // the last page is never written
        evictEverything();
        memory.misses.clear();
        cache.resetStats();
        for (int p = 0; p < pages; p++) {
            long a = va + (long) p * PAGE;
            assertThat(space.getLong(a)).as("page %d", p).isEqualTo(p == pages - 1 ? 0 : value(a));
        }
        ExCacheStats stats = cache.stats();
        List<Miss> misses = List.copyOf(memory.misses);
        System.out.println("sequential: " + misses.size() + " miss messages for " + pages + " pages, " + stats);
        assertThat(misses.size()).isLessThan(pages / 5);
        for (Miss m : misses) {
            assertThat(m.strideBytes()).isEqualTo(PAGE);
            assertThat(m.served()).as("%s: every page asked for is on that owner", m).isEqualTo(m.pages());
            assertThat((m.vaddr() + (long) (m.pages() - 1) * PAGE) / VREGION).as("%s stays in one vRegion", m)
                    .isEqualTo(m.vaddr() / VREGION);
            assertThat(m.vaddr() + (long) (m.pages() - 1) * PAGE).as("%s asks for no never-written page", m)
                    .isLessThan(va + (pages - 1L) * PAGE);
        }
        assertThat(stats.prefetched()).isEqualTo(misses.stream().mapToLong(m -> m.pages() - 1).sum());
        assertThat(stats.prefetchHits()).isEqualTo(stats.prefetched());
        assertThat(stats.zeroFills()).isEqualTo(1);
    }

    @Test
    void aRunOfNeverWrittenPagesIsZeroFilledAheadWithoutAMessage() {
        int pages = 32;
        long va = space.mmap((long) pages * PAGE);
        long vpn = va >>> 12;
        space.putLong(va + 10L * PAGE, 7); // page 10 materialised, the others never written
        space.msync(va + 10L * PAGE, PAGE);
        memory.misses.clear();
        int asid = space.asid();
        assertThat(backend.zeroFillable(asid, vpn, 1, 15)).as("pages 1-9 follow page 0").isEqualTo(9);
        assertThat(backend.zeroFillable(asid, vpn + 10, 1, 15)).as("page 10 is fetched, not zero-filled").isZero();
        assertThat(backend.prefetchable(asid, vpn, 1, 15)).as("nothing to fetch ahead of a never-written page").isZero();
        assertThat(backend.zeroFillable(asid, vpn + 9, -1, 15)).as("descending from page 9").isEqualTo(9);

        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment dst = arena.allocate(PAGE);
            List<org.legoos.processor.excache.LineBackend.PrefetchLine> lines = new ArrayList<>();
            for (int i = 1; i <= 9; i++) {
                java.lang.foreign.MemorySegment line = arena.allocate(PAGE);
                line.fill((byte) 0x5a); // stale bytes a line had before
                lines.add(new org.legoos.processor.excache.LineBackend.PrefetchLine(vpn + i, line, 0, -1, null));
            }
            dst.fill((byte) 0x5a);
            var r = backend.fillBatch(asid, vpn, dst, 0, -1, null, 1, lines);
            assertThat(r.fill()).isEqualTo(org.legoos.processor.excache.LineBackend.Fill.ZERO_FILLED);
            assertThat(r.prefetched()).isEqualTo(9);
            for (var l : lines) {
                assertThat(l.dst().mismatch(arena.allocate(PAGE))).as("page %d zero-filled", l.vpn() - vpn).isEqualTo(-1);
            }
            assertThat(dst.mismatch(arena.allocate(PAGE))).isEqualTo(-1);
            assertThat(memory.misses).as("zero-fills send nothing").isEmpty();
        }
    }

    @Test
    void stridedAndDescendingStreamsTravelAsStridesInOneMessage() {
        int pages = 240;
        long va = space.mmap((long) pages * PAGE);
        writePages(va, pages);
        evictEverything();
        memory.misses.clear();
        for (int p = 0; p < pages; p += 3) {
            assertThat(space.getLong(va + (long) p * PAGE)).isEqualTo(value(va + (long) p * PAGE));
        }
        assertThat(memory.misses).anySatisfy(m -> assertThat(m.strideBytes()).isEqualTo(3 * PAGE));
        evictEverything();
        memory.misses.clear();
        for (int p = pages - 1; p >= 0; p--) {
            assertThat(space.getLong(va + (long) p * PAGE)).isEqualTo(value(va + (long) p * PAGE));
        }
        assertThat(memory.misses).anySatisfy(m -> assertThat(m.strideBytes()).isEqualTo(-PAGE))
                .allSatisfy(m -> assertThat(m.served()).isEqualTo(m.pages()));
        assertThat(memory.misses.size()).isLessThan(pages / 5);
    }

    @Test
    void dirtyVictimsOfPrefetchedLinesGoInOneFlushPerOwner() {
        long a = space.mmap(128L * PAGE);
        writePages(a, 128);
        long b = space.mmap(64L * PAGE);
        for (int p = 0; p < 64; p++) {
            space.putLong(b + (long) p * PAGE + 8, -p); // fills the cache with dirty lines
        }
        memory.flushes.clear();
        for (int p = 0; p < 128; p++) {
            assertThat(space.getLong(a + (long) p * PAGE)).isEqualTo(value(a + (long) p * PAGE));
        }
        assertThat(memory.flushes).as("batched write-backs of prefetch victims").anySatisfy(v -> assertThat(v).hasSizeGreaterThan(1));
        for (long[] vaddrs : memory.flushes) {
            assertThat(java.util.Arrays.stream(vaddrs).map(FakeMemory::ownerOf).distinct().count()).isEqualTo(1);
        }
        for (int p = 0; p < 64; p++) {
            assertThat(space.getLong(b + (long) p * PAGE + 8)).as("page %d", p).isEqualTo(-p);
        }
    }

    /**
     * One thread streams through area A and on into the adjacent area B (same owner), so its prefetches reach
     * into B, while another thread unmaps B, maps it again and checks that the new mapping reads as zeros: a
     * prefetched line of the old B that outlived the munmap would show its old contents.
     */
    @Test
    void anAreaUnmappedWhileAStreamPrefetchesIntoItKeepsNoStaleLine() throws Exception {
        long a = space.mmap(32L * PAGE);
        long b = a + 32L * PAGE;
        assertThat(space.mmap(32L * PAGE)).isEqualTo(b);
        writePages(a, 32);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread streamer = new Thread(() -> {
            try {
                while (!stop.get()) {
                    for (int p = 0; p < 64; p++) {
                        try {
                            space.getLong(a + (long) p * PAGE);
                        } catch (SegmentationFault e) {
                            // B is unmapped just now
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        streamer.start();
        try {
            for (int round = 0; round < 200 && failure.get() == null; round++) {
                writePages(b, 32); // B has data on its owner: the stream prefetches it
                space.munmap(b, 32L * PAGE);
                assertThat(space.mmap(b, 32L * PAGE, AddressSpace.PROT_RW)).isEqualTo(b); // fresh, never written
                for (int p = 0; p < 32; p++) {
                    assertThat(space.getLong(b + (long) p * PAGE)).as("round %d page %d of the new B", round, p).isZero();
                }
            }
        } finally {
            stop.set(true);
            streamer.join(10_000);
        }
        assertThat(failure.get()).isNull();
    }

    @Test
    void aClosedSpaceGetsNoMoreLines() {
        long va = space.mmap(64L * PAGE);
        writePages(va, 64);
        space.close();
        assertThatThrownBy(() -> space.getLong(va)).isInstanceOf(IllegalStateException.class);
    }

    // ---- deferred write-back of dirty victims (the victim cache) ----

    private ExCacheBackend backend() {
        return backend;
    }

    @Test
    void dirtyVictimsOfZeroFillsGoOutInBatchesAndNothingIsLost() throws Exception {
        int pages = 512; // 8x the cache, every page first written here (a zero-fill that evicts a dirty page)
        long va = space.mmap((long) pages * PAGE);
        memory.flushes.clear();
        for (int p = 0; p < pages; p++) {
            space.putLong(va + (long) p * PAGE, value(va + (long) p * PAGE));
        }
        int messages = memory.flushes.size();
        long flushedPages = memory.flushes.stream().mapToLong(v -> v.length).sum();
        assertThat(messages).as("flush messages for %d written-back pages", flushedPages).isLessThanOrEqualTo((int) (flushedPages / 16));
        assertThat(backend().deferredPages()).isLessThan(ExCacheBackend.DEFER_BATCH);
        for (int p = 0; p < pages; p++) { // deferred, written back or cached: every page reads its value
            long a = va + (long) p * PAGE;
            assertThat(space.getLong(a)).as("page %d", p).isEqualTo(value(a));
        }
        space.msync(va, (long) pages * PAGE);
        assertThat(backend().deferredPages()).isZero();
        for (int p = 0; p < pages; p++) {
            long a = va + (long) p * PAGE;
            assertThat(java.nio.ByteBuffer.wrap(memory.store.get(a)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0))
                    .as("page %d on its memory component after msync", p).isEqualTo(value(a));
        }
    }

    @Test
    void aDeferredPageIsTakenBackDirtyWithoutAMissMessage() throws Exception {
        long va = space.mmap(4L * PAGE);
        space.putLong(va, 42);
        evictEverything(); // the page is deferred (fewer than a batch are waiting)
        assertThat(backend().deferredPages()).isPositive();
        assertThat(memory.store.get(va)).as("not written back yet").isNull();
        memory.misses.clear();
        assertThat(space.getLong(va)).isEqualTo(42);
        assertThat(memory.misses).as("restored locally").isEmpty();
        space.msync(va, PAGE); // the line came back dirty: msync must write it
        assertThat(java.nio.ByteBuffer.wrap(memory.store.get(va)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0)).isEqualTo(42);
    }

    @Test
    void aRefusedMunmapHasNoEffect() {
        long va = space.mmap(4L * PAGE);
        space.putLong(va + 8, 42); // dirty, never written back
        assertThatThrownBy(() -> space.munmap(va + 8, PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not page aligned");
        assertThatThrownBy(() -> space.munmap(va, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(space.getLong(va + 8)).isEqualTo(42);
        space.msync(va, 4L * PAGE);
        assertThat(java.nio.ByteBuffer.wrap(memory.store.get(va)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(8)).isEqualTo(42);
    }

    @Test
    void aFailedWriteBackOfAnotherProcessFailsThatProcessNotTheCaller() throws Exception {
        ExCacheBackend backend = backend();
        RemoteAddressSpace other = RemoteAddressSpace.create(nodes.get(0), cache, backend, PID + 1, 3, HOME, 0);
        try {
            long theirs = other.mmap(64L * PAGE);
            for (int p = 0; p < 64; p++) {
                other.putLong(theirs + (long) p * PAGE, p + 1); // dirty lines of the other process fill the cache
            }
            memory.refuseFlushesOf = PID + 1;
            long mine = space.mmap(256L * PAGE);
            // evicts all their lines: deferred, then sent in batches by this thread (in a random order: a sequential
            // pass would be a stream, whose lines evict each other first and leave their first few lines cached)
            for (int p : new java.util.Random(11).ints(0, 256).distinct().limit(256).toArray()) {
                space.putLong(mine + (long) p * PAGE, p);
            }
            space.msync(mine, 256L * PAGE);
            for (int p = 0; p < 256; p++) {
                assertThat(space.getLong(mine + (long) p * PAGE)).isEqualTo(p);
            }
            assertThatThrownBy(() -> other.getLong(theirs)).isInstanceOf(org.legoos.api.LegoException.class)
                    .hasMessageContaining("pid " + (PID + 1)).hasMessageContaining("could not be written back");
            assertThatThrownBy(() -> other.msync(theirs, PAGE)).isInstanceOf(org.legoos.api.LegoException.class);
        } finally {
            memory.refuseFlushesOf = -1;
            other.close();
        }
    }

    @Test
    void munmapForgetsDeferredPagesSoNothingStaleLandsLater() throws Exception {
        long va = space.mmap(8L * PAGE);
        for (int p = 0; p < 8; p++) {
            space.putLong(va + (long) p * PAGE, 7 + p);
        }
        evictEverything();
        int before = backend().deferredPages();
        assertThat(before).isPositive();
        memory.flushes.clear();
        space.munmap(va, 8L * PAGE);
        assertThat(backend().deferredPages()).isEqualTo(before - 8);
        long again = space.mmap(va, 8L * PAGE, org.legoos.api.AddressSpace.PROT_RW);
        assertThat(again).isEqualTo(va);
        space.msync(again, 8L * PAGE); // settles whatever is deferred for the range: nothing may be
        for (long[] v : memory.flushes) {
            for (long a : v) {
                assertThat(a >= va && a < va + 8L * PAGE).as("page 0x%x of the unmapped range was written back", a).isFalse();
            }
        }
        for (int p = 0; p < 8; p++) {
            assertThat(space.getLong(va + (long) p * PAGE)).as("fresh mapping reads zeros").isZero();
        }
    }

    /** Caught a miss that waited for its page's write-back and then zero-filled it by a page state read before. */
    @Test
    void threadsWritingAndReadingThroughDeferredPagesNeverSeeStaleData() throws Exception {
        int pages = 256;
        long va = space.mmap((long) pages * PAGE);
        int threads = 3;
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                try {
                    java.util.SplittableRandom r = new java.util.SplittableRandom(id);
                    long[] last = new long[pages];
                    for (int i = 0; i < 20_000; i++) {
                        int p = r.nextInt(pages);
                        long slot = va + (long) p * PAGE + 8L * id; // each thread owns one long per page
                        if (r.nextBoolean()) {
                            last[p] = r.nextLong();
                            space.putLong(slot, last[p]);
                        } else {
                            long got = space.getLong(slot);
                            if (got != last[p]) {
                                throw new AssertionError("thread " + id + " page " + p + " op " + i + ": read " + got
                                        + ", expected " + last[p] + "; " + cache.stats());
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertThat(failure.get()).isNull();
    }
}
