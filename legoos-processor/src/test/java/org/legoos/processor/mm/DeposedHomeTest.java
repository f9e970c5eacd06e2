package org.legoos.processor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.p2m.AddressSpaceInfo;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.processor.excache.ExCache;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * A process's home was declared dead while it served on (stopped past the heartbeat timeout, or cut off from the
 * manager) and another memory component took over as its home. The processor does not hear of it: its VM calls still
 * reach the old home, which answers as the home it no longer is. Its owners refuse its changes ({@code SUPERSEDED}),
 * or it has dropped what it held ({@code NOT_FOUND}); either way the processor must find the new home among the live
 * memory components and carry the call out there, never hand the refusal to the program. A {@code NOT_FOUND} with no
 * other home anywhere is the answer itself, at once.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DeposedHomeTest {
    private static final int PAGE = 4096;
    private static final long VREGION = 64 << 10;
    private static final int PROCESSOR = 1;
    private static final int OLD_HOME = 10;
    private static final int BYSTANDER = 11;
    private static final int NEW_HOME = 12;
    private static final long PID = 77;
    private static final long BASE = 1L << 30;

    private final InJvmNodes nodes = new InJvmNodes();
    /** Every VM call each memory component served, as "node:Call". */
    private final List<String> served = new CopyOnWriteArrayList<>();
    /** What the old home answers a VM call with after the switch: null (served), SUPERSEDED or NOT_FOUND. */
    private volatile Status oldHomeRefuses;
    /** Whether the new home has taken over (until then it answers NOT_FOUND, as a home replica does). */
    private volatile boolean newHomeServes = true;
    private ExCache cache;
    private RemoteAddressSpace space;

    private static MapReply reply(long addr) {
        return new MapReply(addr, VREGION, new long[] {BASE / VREGION}, new int[] {NEW_HOME});
    }

    private void serveVm(RpcNode m, int id, boolean isOld) {
        m.handle(Mmap.class, (q, ctx) -> vm(id, isOld, "Mmap", BASE));
        m.handle(Munmap.class, (q, ctx) -> vm(id, isOld, "Munmap", q.addr()));
        m.handle(Brk.class, (q, ctx) -> vm(id, isOld, "Brk", 0));
        m.handle(DestroyAddressSpace.class, (q, ctx) -> {
            vm(id, isOld, "Destroy", 0);
            return Ack.INSTANCE;
        });
    }

    private MapReply vm(int id, boolean isOld, String call, long addr) {
        Status refusal = isOld ? oldHomeRefuses : newHomeServes ? null : Status.NOT_FOUND;
        if (refusal == Status.SUPERSEDED) {
            throw refusal.toException("pid " + PID + ": memory component " + id + " is not its home any more "
                    + "(memory component " + NEW_HOME + " is): change refused by memory component " + BYSTANDER);
        }
        if (refusal == Status.NOT_FOUND) {
            throw refusal.toException("memory component " + id + " is not the home of pid " + PID);
        }
        served.add(id + ":" + call);
        return reply(addr);
    }

    @BeforeEach
    void start() {
        RpcNode processor = nodes.add("processor", PROCESSOR);
        RpcNode oldHome = nodes.add("memory-" + OLD_HOME, OLD_HOME);
        oldHome.handle(CreateAddressSpace.class, (q, ctx) -> new AddressSpaceInfo(VREGION, BASE / 2));
        serveVm(oldHome, OLD_HOME, true);
        RpcNode bystander = nodes.add("memory-" + BYSTANDER, BYSTANDER); // not a home: answers VM calls NOT_FOUND
        bystander.handle(Brk.class, (q, ctx) -> {
            throw Status.NOT_FOUND.toException("memory component " + BYSTANDER + " is not the home of pid " + PID);
        });
        serveVm(nodes.add("memory-" + NEW_HOME, NEW_HOME), NEW_HOME, false);
        nodes.peerAll();
        ExCacheBackend backend = new ExCacheBackend(processor, 8);
        backend.setLiveMemories(() -> new int[] {OLD_HOME, BYSTANDER, NEW_HOME});
        cache = new ExCache(new ExCacheConfig(64L * PAGE, 4, ExCacheConfig.Policy.FIFO, 1), backend);
        space = RemoteAddressSpace.create(processor, cache, backend, PID, 3, OLD_HOME, 0);
    }

    @AfterEach
    void stop() {
        space.close();
        cache.close();
        nodes.close();
    }

    @Test
    void aChangeTheOwnersRefuseAsSupersededIsCarriedOutAtTheNewHome() {
        long va = space.mmap(0, VREGION, 3);
        assertThat(served).containsExactly(OLD_HOME + ":Mmap");
        oldHomeRefuses = Status.SUPERSEDED;

        space.munmap(va, VREGION);

        assertThat(served).endsWith(NEW_HOME + ":Brk", NEW_HOME + ":Munmap");
        space.mmap(0, VREGION, 3);
        assertThat(served).as("the new home is the home from then on").endsWith(NEW_HOME + ":Mmap");
    }

    @Test
    void aHomeThatDroppedWhatItHeldSendsTheCallToTheNewHomeAndTheExitFreesTheSpaceThere() {
        space.mmap(0, VREGION, 3);
        oldHomeRefuses = Status.NOT_FOUND;

        space.close();

        assertThat(served).as("the address space is freed where it lives now").endsWith(NEW_HOME + ":Destroy");
    }

    @Test
    void aSupersededCallWaitsForTheNewHomeToTakeOver() throws Exception {
        space.mmap(0, VREGION, 3);
        oldHomeRefuses = Status.SUPERSEDED;
        newHomeServes = false;
        Thread takeOver = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(600);
            } catch (InterruptedException e) {
                return;
            }
            newHomeServes = true;
        });

        space.munmap(BASE, VREGION);

        takeOver.join();
        assertThat(served).endsWith(NEW_HOME + ":Munmap");
    }

    @Test
    void notFoundWithNoOtherHomeIsTheAnswerAtOnce() {
        space.mmap(0, VREGION, 3);
        oldHomeRefuses = Status.NOT_FOUND;
        newHomeServes = false;
        long t0 = System.nanoTime();

        assertThatThrownBy(() -> space.munmap(BASE, VREGION)).isInstanceOfSatisfying(RpcException.class,
                e -> assertThat(e.code()).isEqualTo(Status.NOT_FOUND));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no failover wait").isLessThan(Duration.ofSeconds(5));
        newHomeServes = true; // for the exit
    }
}
