package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.legoos.api.QuotaExceededException;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private final TestCluster c = new TestCluster(TestCluster.testConfig());
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void close() {
        pool.shutdownNow();
        c.close();
    }

    @Test
    void concurrentPlacementsGetUniquePidsAndNeverExceedTheProcessLimit() throws Exception {
        c.withBasicComponents();
        c.processor("p2", 4, 0);
        int vnode = c.call(new VNodeCreate("web", 0, 0, 100)).id();
        Set<Long> pids = ConcurrentHashMap.newKeySet();
        AtomicInteger refused = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 20; i++) {
                    try {
                        assertThat(pids.add(c.call(new PlaceProcess(vnode, 1)).pid())).isTrue();
                    } catch (QuotaExceededException e) {
                        refused.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get();
        }
        assertThat(pids).hasSize(100);
        assertThat(refused).hasValue(60);
        assertThat(c.manager.vnode("web").processes()).isEqualTo(100);
    }

    @Test
    void concurrentCreatesOfOneNameLetExactlyOneWin() throws Exception {
        c.withBasicComponents();
        AtomicInteger won = new AtomicInteger();
        AtomicInteger exists = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            futures.add(pool.submit(() -> {
                start.await();
                try {
                    c.createVNode("web");
                    won.incrementAndGet();
                } catch (org.legoos.api.LegoException e) {
                    assertThat(TestCluster.status(e)).isEqualTo(Status.EXISTS);
                    exists.incrementAndGet();
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get();
        }
        assertThat(won).hasValue(1);
        assertThat(exists).hasValue(7);
        assertThat(c.manager.vnodes()).hasSize(1);
        assertThat(c.component("s1").attaches).hasSize(1);
    }
}
