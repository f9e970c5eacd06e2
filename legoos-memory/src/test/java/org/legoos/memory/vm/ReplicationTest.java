package org.legoos.memory.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoException;
import org.legoos.memory.pagestore.PageStore;
import org.legoos.net.protocol.Message;
import org.legoos.net.protocol.m2m.OwnerDestroy;
import org.legoos.net.protocol.m2m.OwnerMap;
import org.legoos.net.protocol.m2m.OwnerMovePages;
import org.legoos.net.protocol.m2m.OwnerProtect;
import org.legoos.net.protocol.m2m.OwnerUnmap;
import org.legoos.net.protocol.m2m.OwnerWritePages;
import org.legoos.net.protocol.m2m.Promote;
import org.legoos.net.protocol.m2m.Replicate;
import org.legoos.net.protocol.m2m.SetHome;
import org.legoos.net.protocol.m2m.SetReplica;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;

/**
 * The owner role's replication: a primary sends every change of a replicated address space to its replica before it
 * acknowledges it, and the replica, once promoted, holds exactly what the primary held. Two owners in one JVM, the
 * primary's replicator calling the replica directly (with injected delays and failures).
 */
@Timeout(60)
class ReplicationTest {
    private static final int PRIMARY = 1;
    private static final int REPLICA = 2;
    private static final long PID = 42;
    private static final int VNODE = 7;
    private static final int PAGE = 4096;
    private static final long BASE = 1L << 40;
    private static final int PAGES = 64;
    private static final ByteBuffer NO_VICTIM = ByteBuffer.allocate(0);

    private final List<PageStore> stores = new ArrayList<>();
    /** When set, the replicator sleeps a random few hundred microseconds first (reorders concurrent sends). */
    private volatile boolean jitter;
    /** When set, the replica is unreachable. */
    private final AtomicBoolean replicaDown = new AtomicBoolean();
    private VRegionOwner replica;
    private VRegionOwner primary;
    /** When set, the replicator waits for it (a replica that is slow to answer). */
    private volatile java.util.concurrent.CountDownLatch holdReplicator;

    private void start(long replicaCapacity) {
        PageStore ps = new PageStore(64L << 20);
        PageStore rs = new PageStore(replicaCapacity);
        stores.add(ps);
        stores.add(rs);
        replica = new VRegionOwner(rs, () -> REPLICA);
        primary = new VRegionOwner(ps, () -> PRIMARY, VRegionOwner.Files.NONE, (node, change) -> {
            assertThat(node).isEqualTo(REPLICA);
            if (replicaDown.get()) {
                throw org.legoos.net.rpc.Status.UNAVAILABLE.toException("replica down");
            }
            java.util.concurrent.CountDownLatch hold = holdReplicator;
            if (hold != null) {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (jitter && ThreadLocalRandom.current().nextBoolean()) {
                sleepMicros(ThreadLocalRandom.current().nextInt(50, 400));
            }
            // the wire: what the replica applies is what was encoded, not the primary's objects
            replica.replicate(roundTrip(change));
        });
        primary.setReplica(new SetReplica(PID, VNODE, REPLICA, 1));
    }

    private static Replicate roundTrip(Replicate r) {
        org.legoos.net.protocol.WireWriter w = new org.legoos.net.protocol.WireWriter(r.sizeHint());
        r.encode(w);
        ByteBuffer b = w.finish();
        org.legoos.net.protocol.WireReader in = new org.legoos.net.protocol.WireReader(b);
        Replicate back = Replicate.decode(in);
        in.expectEnd();
        return back;
    }

    private static void sleepMicros(int micros) {
        try {
            TimeUnit.MICROSECONDS.sleep(micros);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @AfterEach
    void free() {
        stores.forEach(PageStore::close);
    }

    private static ByteBuffer page(long seed) {
        byte[] b = new byte[PAGE];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private static long va(int page) {
        return BASE + (long) page * PAGE;
    }

    /** The page at {@code va} as a miss on {@code o} sees it, or null if the miss is refused. */
    private static byte[] read(VRegionOwner o, long va) {
        try {
            PageData d = o.miss(new PcacheMiss(PID, va, 1, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE));
            byte[] out = new byte[PAGE];
            d.data().duplicate().get(out);
            return out;
        } catch (LegoException e) {
            return null;
        }
    }

    /** Whether a flush of {@code va} is accepted by {@code o} (writable area), without changing it: flushes itself. */
    private static boolean writable(VRegionOwner o, long va) {
        byte[] now = read(o, va);
        if (now == null) {
            return false;
        }
        try {
            o.flush(new PcacheFlush(PID, new long[] {va}, ByteBuffer.wrap(now)));
            return true;
        } catch (LegoException e) {
            return false;
        }
    }

    private void promote() {
        replica.promote(new Promote(PID, VNODE, PRIMARY, -1, 2));
    }

    /** After promotion, the replica serves every page of the range as the primary does, with the same protection. */
    private void assertReplicaEqualsPrimary() {
        promote();
        for (int p = 0; p < PAGES; p++) {
            byte[] a = read(primary, va(p));
            byte[] b = read(replica, va(p));
            assertThat(b).as("page %d", p).isEqualTo(a);
        }
        jitter = false;
        replicaDown.set(true); // from here the primary must not send: it is checked locally only
        primary.setReplica(new SetReplica(PID, VNODE, -1, 3));
        for (int p = 0; p < PAGES; p++) {
            assertThat(writable(replica, va(p))).as("page %d writable", p).isEqualTo(writable(primary, va(p)));
        }
    }

    @Test
    void aFlushIsOnTheReplicaBeforeItIsAcknowledgedAndSurvivesPromotion() {
        start(64L << 20);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        for (int p = 0; p < PAGES; p += 3) {
            primary.flush(new PcacheFlush(PID, new long[] {va(p)}, page(p)));
        }
        // a piggybacked victim is a write too
        primary.miss(new PcacheMiss(PID, va(1), 1, va(2), page(1002), PcacheMiss.CONSECUTIVE));
        assertThat(replica.replicaBytes()).isEqualTo((PAGES / 3 + 1 + 1) * (long) PAGE);
        assertThat(primary.counters().changesReplicated()).isPositive();

        promote();
        for (int p = 0; p < PAGES; p += 3) {
            assertThat(read(replica, va(p))).isEqualTo(page(p).array());
        }
        assertThat(read(replica, va(2))).isEqualTo(page(1002).array());
        assertThat(read(replica, va(4))).as("never written: zeros").isEqualTo(new byte[PAGE]);
        assertThat(replica.replicaBytes()).isZero();
        assertThat(replica.counters().promotions()).isEqualTo(1);
    }

    /**
     * A miss served on an event loop ({@code missWithoutWaiting}) must never wait: with a piggybacked victim (storing
     * it waits for the replica) or while a writer holds the space (here a new replica being sent the areas, a call
     * that hangs) it declines, changing nothing; otherwise it answers as {@code miss} does.
     */
    @Test
    void aMissWithoutWaitingDeclinesWhatWouldWaitAndOtherwiseAnswersAsAMiss() throws Exception {
        start(64L << 20);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        primary.flush(new PcacheFlush(PID, new long[] {va(0)}, page(1)));
        PcacheMiss clean = new PcacheMiss(PID, va(0), 2, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE);
        PageData inline = primary.missWithoutWaiting(clean);
        assertThat(inline.data()).isEqualTo(primary.miss(clean).data());
        assertThatThrownBy(() -> primary.missWithoutWaiting(new PcacheMiss(PID, BASE - PAGE, 1, 0, NO_VICTIM,
                PcacheMiss.CONSECUTIVE))).isInstanceOf(org.legoos.api.SegmentationFault.class);

        assertThat(primary.missWithoutWaiting(new PcacheMiss(PID, va(1), 1, va(0), page(2), PcacheMiss.CONSECUTIVE)))
                .as("a victim to store and replicate").isNull();
        assertThat(read(primary, va(0))).as("the victim was not stored").isEqualTo(page(1).array());

        holdReplicator = new java.util.concurrent.CountDownLatch(1);
        Thread pairing = Thread.ofPlatform().start(() -> primary.setReplica(new SetReplica(PID, VNODE, REPLICA, 5)));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (pairing.getState() != Thread.State.WAITING) { // in the replicator, the space's write lock held
                assertThat(System.nanoTime() - deadline).as("the new pairing reaches the replicator").isNegative();
                Thread.sleep(1);
            }
            assertThat(primary.missWithoutWaiting(clean)).as("a writer holds the space").isNull();
        } finally {
            holdReplicator.countDown();
            holdReplicator = null;
        }
        pairing.join();
        assertThat(primary.missWithoutWaiting(clean)).isNotNull();
    }

    @Test
    void aPromotedReplicaRefusesTheOldPrimarysChangesSoAStalePrimaryCannotAcknowledgeAWrite() {
        start(64L << 20);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        primary.flush(new PcacheFlush(PID, new long[] {va(0)}, page(1)));
        promote();
        // the old primary was only slow: its next flush is not acknowledged (the processor retries at the new owner)
        assertThatThrownBy(() -> primary.flush(new PcacheFlush(PID, new long[] {va(0)}, page(2))))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"))
                .hasMessageContaining("took over");
        assertThat(read(replica, va(0))).isEqualTo(page(1).array());
        // and a second PROMOTE changes nothing
        promote();
        assertThat(read(replica, va(0))).isEqualTo(page(1).array());
        // once the home pairs the old primary with that replica again (it came back and owns pid's vRegions anew), a
        // newer pairing starts a fresh copy and is accepted
        primary.setReplica(new SetReplica(PID, VNODE, REPLICA, 7));
        primary.flush(new PcacheFlush(PID, new long[] {va(3)}, page(3)));
        assertThat(replica.replicaBytes()).as("the stale primary's pages, sent whole, then the flush").isEqualTo(2L * PAGE);
    }

    /**
     * An owner takes pid's changes from one home: the first that sent one (its epoch unknown) until an
     * {@code M2M_SET_HOME} of a higher epoch names another. A deposed home cannot claim pid back with its own, lower,
     * epoch, nor can a home of an equal one.
     */
    @Test
    void anOwnerFollowsTheHomeOfTheHighestEpochAndRefusesTheOthers() {
        PageStore ps = new PageStore(8L << 20);
        stores.add(ps);
        VRegionOwner o = new VRegionOwner(ps, () -> 9);
        o.checkHome(PID, 3); // the first home, recorded from its area change
        o.setHome(new SetHome(PID, 4, 1_000_005)); // its home replica took over
        assertThatThrownBy(() -> o.checkHome(PID, 3)).isInstanceOfSatisfying(LegoException.class,
                e -> assertThat(e.status()).isEqualTo("SUPERSEDED"));
        o.checkHome(PID, 4);
        // the deposed home, and another claiming the same epoch, are refused and change nothing
        assertThatThrownBy(() -> o.setHome(new SetHome(PID, 3, 12))).isInstanceOfSatisfying(LegoException.class,
                e -> assertThat(e.status()).isEqualTo("SUPERSEDED"));
        assertThatThrownBy(() -> o.setHome(new SetHome(PID, 5, 1_000_005))).isInstanceOfSatisfying(LegoException.class,
                e -> assertThat(e.status()).isEqualTo("SUPERSEDED"));
        o.checkHome(PID, 4);
        // the same home telling again is no change; a later adoption (a higher epoch) wins
        o.setHome(new SetHome(PID, 4, 1_000_005));
        o.setHome(new SetHome(PID, 5, 2_000_009));
        assertThatThrownBy(() -> o.checkHome(PID, 4)).isInstanceOf(LegoException.class);
        o.checkHome(PID, 5);
        // an owner that never heard of pid takes the first home that names itself, whatever its epoch
        o.setHome(new SetHome(PID + 1, 6, 0));
        o.checkHome(PID + 1, 6);
    }

    @Test
    void aChangeTheReplicaDidNotAcknowledgeFailsAndIsAcknowledgedOnceRetried() {
        start(64L << 20);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        replicaDown.set(true);
        assertThatThrownBy(() -> primary.flush(new PcacheFlush(PID, new long[] {va(5)}, page(5))))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
        replicaDown.set(false);
        primary.flush(new PcacheFlush(PID, new long[] {va(5)}, page(5)));
        promote();
        assertThat(read(replica, va(5))).isEqualTo(page(5).array());
    }

    @Test
    void aFullReplicaGivesItsCopyUpTheProcessRunsOnWithoutOneAndTheCopyIsNeverPromoted() {
        start(4L * PAGE);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        for (int p = 0; p < 8; p++) {
            primary.flush(new PcacheFlush(PID, new long[] {va(p)}, page(p))); // never refused: the primary has room
        }
        assertThat(primary.spacesWithoutReplica()).isEqualTo(1);
        assertThat(replica.replicaBytes()).as("the incomplete copy is freed").isZero();
        assertThatThrownBy(this::promote).isInstanceOfSatisfying(LegoException.class,
                e -> assertThat(e.status()).isEqualTo("NOT_FOUND"));
        assertThat(read(primary, va(7))).isEqualTo(page(7).array());
    }

    @Test
    void aComponentFencedAfterBeingDeclaredDeadDropsEverythingAndSendsProcessorsBackToTheHome() {
        start(64L << 20);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        primary.flush(new PcacheFlush(PID, new long[] {va(0)}, page(1)));
        assertThat(replica.replicaBytes()).isEqualTo(PAGE);
        replica.fence(); // the replica was the one declared dead: its copy is stale
        assertThat(replica.replicaBytes()).isZero();
        primary.fence();
        assertThat(primary.spaces()).isZero();
        assertThatThrownBy(() -> primary.miss(new PcacheMiss(PID, va(0), 1, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE)))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"))
                .hasMessageContaining("declared dead");
        // another process's new areas are served as usual
        primary.setReplica(new SetReplica(PID + 1, VNODE, -1, 1));
        primary.map(new OwnerMap(PID + 1, VNODE, BASE, PAGE, AddressSpace.PROT_RW));
        assertThat(primary.miss(new PcacheMiss(PID + 1, BASE, 1, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE)).data().remaining())
                .isEqualTo(PAGE);
    }

    @Test
    void aRestartedComponentSendsRequestsForTheEarlierIncarnationsPidsBackToTheHome() {
        start(64L << 20);
        replica.forgetPidsBefore(PID + 1); // restarted at its address: PID may have had pages on the old incarnation
        assertThatThrownBy(() -> replica.miss(new PcacheMiss(PID, va(0), 1, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE)))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"))
                .hasMessageContaining("restarted");
        assertThatThrownBy(() -> replica.flush(new PcacheFlush(PID, new long[] {va(0)}, page(0))))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));
        // a later process with no area here is the program's own fault, as on any component
        assertThatThrownBy(() -> replica.miss(new PcacheMiss(PID + 1, va(0), 1, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE)))
                .isInstanceOfSatisfying(LegoException.class, e -> assertThat(e.status()).isNotEqualTo("UNAVAILABLE"));
        // and once the old pid's vRegion is given to it (a failover, a move), it is served as usual
        replica.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        assertThat(replica.miss(new PcacheMiss(PID, va(0), 1, 0, NO_VICTIM, PcacheMiss.CONSECUTIVE)).data().remaining())
                .isEqualTo(PAGE);
    }

    @Test
    void aNewReplicaIsSentThePagesNoFasterThanTheReReplicationRateAndGetsThemAll() {
        start(64L << 20);
        int pages = 512; // two batches of 256
        primary.setReplica(new SetReplica(PID, VNODE, -1, 2)); // running without one
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) pages * PAGE, AddressSpace.PROT_RW));
        for (int p = 0; p < pages; p++) {
            primary.flush(new PcacheFlush(PID, new long[] {va(p)}, page(p)));
        }
        primary.seedRate(4L << 20); // 2 MiB at 4 MiB/s: half a second at least
        long t0 = System.nanoTime();
        primary.setReplica(new SetReplica(PID, VNODE, REPLICA, 3));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("paced").isGreaterThanOrEqualTo(450);
        assertThat(replica.replicaBytes()).isEqualTo((long) pages * PAGE);
        promote();
        for (int p = 0; p < pages; p += 37) {
            assertThat(read(replica, va(p))).isEqualTo(page(p).array());
        }
        assertThatThrownBy(() -> primary.seedRate(100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReplicaNamedWhileTheProcessWritesGetsEveryPageInItsLatestVersion() throws Exception {
        start(64L << 20);
        primary.setReplica(new SetReplica(PID, VNODE, -1, 2)); // running without one
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        for (int p = 0; p < PAGES; p++) {
            primary.flush(new PcacheFlush(PID, new long[] {va(p)}, page(p)));
        }
        jitter = true;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicBoolean seeding = new AtomicBoolean(true);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    Random r = new Random(thread);
                    for (int i = 0; seeding.get() || i < 50; i++) {
                        int p = r.nextInt(PAGES);
                        primary.flush(new PcacheFlush(PID, new long[] {va(p)}, page(1000L * thread + i)));
                    }
                    return null;
                }));
            }
            primary.setReplica(new SetReplica(PID, VNODE, REPLICA, 3)); // the copy is made while they write
            seeding.set(false);
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertReplicaEqualsPrimary();
    }

    @Test
    void concurrentFlushesOfTheSamePagesReachTheReplicaInTheOrderTheyWereApplied() throws Exception {
        start(64L << 20);
        primary.map(new OwnerMap(PID, VNODE, BASE, (long) PAGES * PAGE, AddressSpace.PROT_RW));
        jitter = true;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    Random r = new Random(thread);
                    for (int i = 0; i < 300; i++) {
                        int first = r.nextInt(8); // 8 hot pages, runs of 1-3
                        int n = 1 + r.nextInt(3);
                        long[] vaddrs = new long[n];
                        ByteBuffer data = ByteBuffer.allocate(n * PAGE);
                        for (int k = 0; k < n; k++) {
                            vaddrs[k] = va((first + k * 5) % 8);
                            data.put(k * PAGE, page(thread * 100_000L + i * 10L + k), 0, PAGE);
                        }
                        primary.flush(new PcacheFlush(PID, vaddrs, data));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertReplicaEqualsPrimary();
    }

    @Test
    void randomAreaAndPageChangesLeaveTheReplicaEqualToThePrimary() {
        for (long seed = 1; seed <= 20; seed++) {
            stores.forEach(PageStore::close);
            stores.clear();
            replicaDown.set(false);
            start(64L << 20);
            Random r = new Random(seed);
            for (int step = 0; step < 200; step++) {
                int at = r.nextInt(PAGES);
                int len = 1 + r.nextInt(Math.min(8, PAGES - at));
                long start = va(at);
                long bytes = (long) len * PAGE;
                Message change = switch (r.nextInt(7)) {
                    case 0 -> new OwnerMap(PID, VNODE, start, bytes, r.nextBoolean() ? AddressSpace.PROT_RW : AddressSpace.PROT_READ);
                    case 1 -> new OwnerUnmap(PID, start, bytes);
                    case 2 -> new OwnerProtect(PID, start, bytes, r.nextBoolean() ? AddressSpace.PROT_RW : AddressSpace.PROT_READ);
                    case 3 -> {
                        int to = r.nextInt(PAGES - len + 1);
                        yield Math.abs(to - at) >= len ? new OwnerMovePages(PID, start, va(to), bytes) : null;
                    }
                    case 4 -> {
                        long[] vaddrs = new long[len];
                        ByteBuffer data = ByteBuffer.allocate(len * PAGE);
                        for (int k = 0; k < len; k++) {
                            vaddrs[k] = va(at + k);
                            data.put(k * PAGE, page(seed * 1_000_000 + step * 10L + k), 0, PAGE);
                        }
                        yield new OwnerWritePages(PID, vaddrs, data);
                    }
                    default -> new PcacheFlush(PID, new long[] {start}, page(seed * 1_000_000 + step));
                };
                if (change == null) {
                    continue;
                }
                try {
                    switch (change) {
                        case OwnerMap m -> primary.map(m);
                        case OwnerUnmap m -> primary.unmap(m);
                        case OwnerProtect m -> primary.protect(m);
                        case OwnerMovePages m -> primary.movePages(m);
                        case OwnerWritePages m -> primary.writePages(m);
                        case PcacheFlush m -> primary.flush(m);
                        default -> throw new AssertionError(change);
                    }
                } catch (LegoException refused) {
                    // refused by the primary (unmapped, read-only): nothing changed, nothing replicated
                }
            }
            assertReplicaEqualsPrimary();
            primary.destroy(new OwnerDestroy(PID));
        }
    }
}
