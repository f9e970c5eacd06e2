package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.manager.TestCluster.GIB;
import static org.legoos.manager.TestCluster.status;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.QuotaExceededException;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.gm.VNodeCreate;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class GpmTest {
    private final TestCluster c = new TestCluster(TestCluster.testConfig());

    @AfterEach
    void close() {
        c.close();
    }

    private List<Integer> place(int vnode, int n, int threads) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(c.call(new PlaceProcess(vnode, threads)).processorNode());
        }
        return out;
    }

    @Test
    void picksTheProcessorWithFewestThreadsPerCore() {
        Component busySmall = c.processor("p1", 2, 2); // 1.0 per core
        Component big = c.processor("p2", 8, 4); // 0.5 per core
        Component medium = c.processor("p3", 4, 3); // 0.75 per core
        c.memory("m1", GIB, 0);
        c.storage("s1", 0);
        int vnode = c.createVNode("web").id();

        assertThat(place(vnode, 1, 1)).containsExactly(big.id);
        busySmall.report(TestCluster.processorResources(2, 0));
        assertThat(place(vnode, 1, 1)).containsExactly(busySmall.id);
        assertThat(medium.id).isPositive();
    }

    @Test
    void aBurstOfLaunchesSpreadsBeforeTheNextReport() {
        Component p1 = c.processor("p1", 4, 0);
        Component p2 = c.processor("p2", 4, 0);
        c.memory("m1", GIB, 0);
        c.storage("s1", 0);
        int vnode = c.createVNode("web").id();

        assertThat(place(vnode, 4, 2)).containsExactly(p1.id, p2.id, p1.id, p2.id);
        // p1 reports that its processes finished: it is the least loaded again
        p1.report(TestCluster.processorResources(4, 0));
        assertThat(place(vnode, 2, 1)).containsExactly(p1.id, p1.id);
    }

    @Test
    void aBurstSpreadsInProportionToCores() {
        Component p1 = c.processor("p1", 8, 0);
        Component p2 = c.processor("p2", 4, 0);
        c.memory("m1", GIB, 0);
        c.storage("s1", 0);
        int vnode = c.createVNode("web").id();

        List<Integer> nodes = place(vnode, 6, 1);
        assertThat(nodes).filteredOn(n -> n == p1.id).hasSize(4);
        assertThat(nodes).filteredOn(n -> n == p2.id).hasSize(2);
    }

    @Test
    void homeMemoryComponentIsChosenByTheGmm() {
        c.processor("p1", 4, 0);
        Component m1 = c.memory("m1", GIB, 0);
        Component m2 = c.memory("m2", GIB, 0);
        c.storage("s1", 0);
        int vnode = c.createVNode("web").id(); // round robin: m1 caches its files
        Placement a = c.call(new PlaceProcess(vnode, 1));
        Placement b = c.call(new PlaceProcess(vnode, 1));
        assertThat(List.of(a.homeMemoryNode(), b.homeMemoryNode())).containsExactly(m2.id, m1.id);
    }

    @Test
    void pidsAreClusterUniqueAndIncreasing() {
        c.withBasicComponents();
        int web = c.createVNode("web").id();
        int db = c.createVNode("db").id();
        long p1 = c.call(new PlaceProcess(web, 1)).pid();
        long p2 = c.call(new PlaceProcess(db, 1)).pid();
        long p3 = c.call(new PlaceProcess(web, 1)).pid();
        assertThat(p2).isGreaterThan(p1);
        assertThat(p3).isGreaterThan(p2);
        assertThat(c.manager.nextPid()).isGreaterThan(p3);
    }

    @Test
    void placementCarriesTheVNodeAndCountsTheProcess() {
        c.withBasicComponents();
        VNodeInfo created = c.createVNode("web");
        Placement pl = c.call(new PlaceProcess(created.id(), 1));
        assertThat(pl.vnode().id()).isEqualTo(created.id());
        assertThat(pl.vnode().name()).isEqualTo("web");
        assertThat(pl.vnode().processes()).isEqualTo(1);
        assertThat(c.manager.vnode("web").processes()).isEqualTo(1);
    }

    @Test
    void processLimitOfTheVNodeIsEnforcedAndExitReleasesIt() {
        c.withBasicComponents();
        VNodeInfo v = c.call(new VNodeCreate("small", 0, 0, 2));
        long first = c.call(new PlaceProcess(v.id(), 1)).pid();
        c.call(new PlaceProcess(v.id(), 1));
        assertThatThrownBy(() -> c.call(new PlaceProcess(v.id(), 1)))
                .isInstanceOf(QuotaExceededException.class)
                .hasMessageContaining("small")
                .hasMessageContaining("2");

        c.send(new ProcessExited(first, v.id()));
        assertThat(c.manager.vnode("small").processes()).isEqualTo(1);
        assertThat(c.call(new PlaceProcess(v.id(), 1)).pid()).isPositive();
    }

    @Test
    void exitOfUnknownPidOrFromTheWrongVNodeIsIgnored() {
        c.withBasicComponents();
        int web = c.createVNode("web").id();
        int db = c.createVNode("db").id();
        long pid = c.call(new PlaceProcess(web, 1)).pid();
        c.send(new ProcessExited(pid + 100, web));
        c.send(new ProcessExited(pid, db));
        assertThat(c.manager.vnode("web").processes()).isEqualTo(1);
    }

    @Test
    void noLiveProcessorOrMemoryIsUnavailable() {
        Component p = c.processor("p1", 4, 0);
        Component m = c.memory("m1", GIB, 0);
        Component s = c.storage("s1", 0);
        int vnode = c.createVNode("web").id();

        c.clock.addAndGet(1_500);
        m.report(TestCluster.memoryResources(GIB, 0));
        s.report(TestCluster.storageResources(0));
        c.manager.tick(c.clock.get());
        assertThatThrownBy(() -> c.call(new PlaceProcess(vnode, 1)))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("no live processor");

        p.report(TestCluster.processorResources(4, 0));
        c.clock.addAndGet(800);
        p.report(TestCluster.processorResources(4, 0));
        c.advanceAndTick(800); // m's report is 1600 ms old
        assertThatThrownBy(() -> c.call(new PlaceProcess(vnode, 1)))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("no live memory component");
        assertThat(c.manager.vnode("web").processes()).isZero();
    }

    @Test
    void badPlacementRequestsAreRejected() {
        c.withBasicComponents();
        int vnode = c.createVNode("web").id();
        assertThatThrownBy(() -> c.call(new PlaceProcess(999, 1)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
        assertThatThrownBy(() -> c.call(new PlaceProcess(vnode, -1)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT));
    }
}
