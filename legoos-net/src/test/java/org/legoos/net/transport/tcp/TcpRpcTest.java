package org.legoos.net.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.p2m.PageData;
import org.legoos.net.protocol.p2m.PcacheFlush;
import org.legoos.net.protocol.p2m.PcacheMiss;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.transport.Connection;
import org.legoos.net.transport.FrameSink;
import org.legoos.net.transport.Transport;

/**
 * ExCache traffic between two {@link RpcNode}s over TCP: {@code P2M_PCACHE_MISS} with a 4 KiB reply (and a
 * piggybacked dirty victim), many callers at once, and what a caller sees when the memory component dies and
 * comes back.
 */
@Timeout(30)
class TcpRpcTest {
    static {
        LeakCheck.install();
    }

    private static final int PROCESSOR = 1;
    private static final int MEMORY = 2;
    private static final int PAGE = 4096;
    private static final RpcNode.Config RPC = new RpcNode.Config(1 << 20, Duration.ofSeconds(10));

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final AtomicInteger victims = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong victimLastLong = new java.util.concurrent.atomic.AtomicLong();
    private RpcNode memory;
    private RpcNode processor;
    private String memoryAddress;

    private RpcNode node(String name, int id, Transport transport) {
        RpcNode n = new RpcNode(name, transport, RPC);
        n.setNodeId(id);
        closing.add(n);
        return n;
    }

    /** A memory component whose pages hold their own address in every long. */
    private RpcNode startMemory(String address) {
        RpcNode m = node("memory", MEMORY, new TcpTransport("memory", TcpTestNetwork.testConfig()));
        m.handle(PcacheMiss.class, (q, ctx) -> {
            if (q.victim().remaining() == PAGE) {
                ByteBuffer v = q.victim().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                victimLastLong.set(v.getLong(v.position() + PAGE - 8));
                victims.incrementAndGet();
            }
            return new PageData(page(q.vaddr()));
        });
        m.handle(PcacheFlush.class, (q, ctx) -> Ack.INSTANCE);
        memoryAddress = m.listen(address);
        return m;
    }

    private static ByteBuffer page(long vaddr) {
        ByteBuffer p = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < PAGE; i += 8) {
            p.putLong(i, vaddr + i);
        }
        return p;
    }

    private static void assertIsPage(PageData d, long vaddr) {
        ByteBuffer b = d.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.remaining()).isEqualTo(PAGE);
        for (int i = 0; i < PAGE; i += 512) {
            assertThat(b.getLong(b.position() + i)).isEqualTo(vaddr + i);
        }
    }

    @BeforeEach
    void start() {
        memory = startMemory("127.0.0.1:0");
        processor = node("processor", PROCESSOR, new TcpTransport("processor", TcpTestNetwork.testConfig()));
        processor.addPeer(MEMORY, memoryAddress);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    @AfterAll
    static void noBufferLeaked() {
        LeakCheck.assertNoLeaks();
    }

    @Test
    void aMissOverTcpReturnsTheFourKilobytePage() {
        long vaddr = 0x7f00_0000_1000L;

        PageData d = processor.call(MEMORY, new PcacheMiss(9, vaddr, 1, 0, ByteBuffer.allocate(0)));

        assertIsPage(d, vaddr);
    }

    @Test
    void aMissCarryingADirtyVictimDeliversBoth() {
        long vaddr = 0x1000;
        long victimVaddr = 0x9000;

        PageData d = processor.call(MEMORY, new PcacheMiss(9, vaddr, 1, victimVaddr, page(victimVaddr)));

        assertIsPage(d, vaddr);
        assertThat(victims.get()).isEqualTo(1);
        assertThat(victimLastLong.get()).as("the victim's last long").isEqualTo(victimVaddr + PAGE - 8);
    }

    @Test
    void eightThreadsMakingTwoThousandMissesEachGetTheirOwnPages() throws Exception {
        int threads = 8;
        int calls = 2000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        closing.add(pool::shutdownNow);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long base = (long) (t + 1) << 32;
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < calls; i++) {
                    long vaddr = base + (long) i * PAGE;
                    assertIsPage(processor.call(MEMORY, new PcacheMiss(1, vaddr, 1, 0, ByteBuffer.allocate(0))), vaddr);
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(25, TimeUnit.SECONDS);
        }
    }

    @Test
    void callsFailFastWhileTheMemoryComponentIsDownAndWorkAfterItRestarts() throws Exception {
        long vaddr = 0x2000;
        assertIsPage(processor.call(MEMORY, new PcacheMiss(1, vaddr, 1, 0, ByteBuffer.allocate(0))), vaddr);

        memory.close();
        // UNAVAILABLE, not TIMEOUT (and the call timeout is beyond the test's): failed fast
        assertThatThrownBy(() -> processor.call(MEMORY, new PcacheMiss(1, vaddr, 1, 0, ByteBuffer.allocate(0)), Duration.ofMinutes(10)))
                .isInstanceOfSatisfying(ComponentUnavailableException.class,
                        e -> assertThat(e.status()).isEqualTo("UNAVAILABLE"));

        startMemory(memoryAddress); // same port: the component restarted
        assertIsPage(processor.call(MEMORY, new PcacheMiss(1, vaddr, 1, 0, ByteBuffer.allocate(0))), vaddr);
    }

    @Test
    void theDisconnectHookLetsCallsWaitingOnADroppedConnectionFailAtOnce() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        ExecutorService stuck = Executors.newSingleThreadExecutor();
        closing.add(() -> {
            never.countDown();
            stuck.shutdown();
        });
        memory.handle(org.legoos.net.protocol.p2m.Msync.class, (q, ctx) -> {
            never.await(); // the memory component hangs on this call, then dies
            return Ack.INSTANCE;
        }, stuck);
        // How RpcNode would use the hook: fail the calls to a node when its connection drops.
        TcpTransport tcp = new TcpTransport("hooked", TcpTestNetwork.testConfig());
        RpcNode[] self = new RpcNode[1];
        Transport hooked = new Transport() {
            @Override
            public String listen(String address, FrameSink inbound) {
                return tcp.listen(address, inbound);
            }

            @Override
            public Connection connect(String address, FrameSink inbound) {
                TcpConnection c = tcp.connect(address, inbound);
                c.onDisconnect(() -> self[0].failCallsTo(MEMORY, "connection to " + address + " lost"));
                return c;
            }

            @Override
            public void close() {
                tcp.close();
            }
        };
        RpcNode caller = node("hooked-processor", 3, hooked);
        self[0] = caller;
        caller.addPeer(MEMORY, memoryAddress);
        CompletableFuture<Ack> pending = caller.callAsync(MEMORY, new org.legoos.net.protocol.p2m.Msync(1, 0x1000, PAGE),
                Duration.ofMinutes(10)); // beyond the test's timeout: only the hook can end it in time

        memory.close();

        assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("lost");
    }
}
