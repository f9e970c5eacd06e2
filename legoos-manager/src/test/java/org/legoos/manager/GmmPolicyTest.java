package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.manager.TestCluster.GIB;
import static org.legoos.manager.TestCluster.MIB;
import static org.legoos.manager.TestCluster.status;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.NoMemoryException;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.Consult;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class GmmPolicyTest {
    private TestCluster c;

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
    }

    private TestCluster cluster(GmmPolicy policy) {
        c = new TestCluster(TestCluster.testConfig().withMemoryPolicy(policy));
        c.processor("p1", 4, 0);
        c.storage("s1", 0);
        return c;
    }

    /** Consults as memory component {@code home} would, returning the chosen node ids. */
    private static List<Integer> consult(Component home, int vnode, long... bytes) {
        List<Integer> out = new ArrayList<>();
        for (long b : bytes) {
            out.add(home.call(new Consult(vnode, 7, b)).nodeId());
        }
        return out;
    }

    @Test
    void roundRobinSpreadsConsecutiveVRegionsOverMemoryComponents() {
        cluster(GmmPolicy.ROUND_ROBIN);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        Component m2 = c.memory("m2", 4 * GIB, 0);
        int vnode = c.createVNode("web").id();

        List<Integer> owners = consult(m1, vnode, GIB, GIB, GIB, GIB, GIB, GIB);
        for (int i = 1; i < owners.size(); i++) {
            assertThat(owners.get(i)).as("vRegion %d", i).isNotEqualTo(owners.get(i - 1));
        }
        assertThat(owners).containsOnly(m1.id, m2.id);
    }

    @Test
    void roundRobinSkipsDeadComponents() {
        cluster(GmmPolicy.ROUND_ROBIN);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        Component m2 = c.memory("m2", 4 * GIB, 0);
        Component m3 = c.memory("m3", 4 * GIB, 0);
        int vnode = c.createVNode("web").id();
        c.clock.addAndGet(800);
        for (Component m : List.of(m1, m3)) {
            m.report(TestCluster.memoryResources(4 * GIB, 0));
        }
        c.send(new org.legoos.net.protocol.gm.StatusReport(2, TestCluster.processorResources(4, 0)));
        c.advanceAndTick(400);
        assertThat(consult(m1, vnode, GIB, GIB, GIB, GIB)).doesNotContain(m2.id).containsOnly(m1.id, m3.id);
    }

    @Test
    void everyPolicyPassesOverAComponentWithoutRoomWhileAnotherHasIt() {
        for (GmmPolicy policy : List.of(GmmPolicy.ROUND_ROBIN, GmmPolicy.LEAST_REQUESTED, GmmPolicy.EVERY_4TH_LEAST_REQUESTED)) {
            if (c != null) {
                c.close();
            }
            cluster(policy);
            Component m1 = c.memory("m1", 4 * GIB, 3 * GIB + 512 * MIB); // 512 MiB free
            Component m2 = c.memory("m2", 4 * GIB, 0);
            int vnode = c.createVNode("web").id();
            assertThat(consult(m1, vnode, GIB, GIB, GIB)).as(policy.name()).containsOnly(m2.id);
            // small requests fit both again; and when neither has room the policy still chooses (the owner says no)
            assertThat(consult(m1, vnode, MIB, MIB, MIB, MIB)).as(policy.name()).contains(m1.id);
            assertThat(consult(m1, vnode, 8 * GIB)).as(policy.name()).hasSize(1);
        }
    }

    @Test
    void leastRequestedPicksTheComponentWithFewestBytesGranted() {
        cluster(GmmPolicy.LEAST_REQUESTED);
        Component m1 = c.memory("m1", 64 * GIB, 0);
        Component m2 = c.memory("m2", 64 * GIB, 0);
        int vnode = c.createVNode("web").id();

        int first = consult(m1, vnode, 3 * GIB).getFirst();
        int other = first == m1.id ? m2.id : m1.id;
        // the other one takes requests until it has been granted more than the first
        assertThat(consult(m1, vnode, GIB, GIB, 2 * GIB, GIB)).containsExactly(other, other, other, first);
    }

    @Test
    void mostFreeMemoryUsesReportedCapacityMinusUseMinusGrantsSinceTheReport() {
        cluster(GmmPolicy.MOST_FREE_MEMORY);
        Component m1 = c.memory("m1", 4 * GIB, GIB); // 3 GiB free
        Component m2 = c.memory("m2", 8 * GIB, 6 * GIB); // 2 GiB free
        int vnode = c.createVNode("web").id();

        // m1 3 -> 2 GiB free; tie at 2 GiB goes to the lower id; then m1 has 1 and m2 2
        assertThat(consult(m1, vnode, GIB, GIB, GIB)).containsExactly(m1.id, m1.id, m2.id);

        // a fresh report replaces what was granted since the previous one
        m2.report(TestCluster.memoryResources(8 * GIB, 0));
        assertThat(consult(m1, vnode, GIB)).containsExactly(m2.id);
        m1.report(TestCluster.memoryResources(4 * GIB, 4 * GIB)); // m1 is full
        m2.report(TestCluster.memoryResources(8 * GIB, 7 * GIB)); // 1 GiB free
        assertThat(consult(m1, vnode, 512 * MIB)).containsExactly(m2.id);
    }

    @Test
    void mostFreeMemoryRejectsARequestNoComponentHasRoomFor() {
        cluster(GmmPolicy.MOST_FREE_MEMORY);
        Component m1 = c.memory("m1", 4 * GIB, GIB);
        c.memory("m2", 2 * GIB, 0);
        int vnode = c.createVNode("web").id();

        assertThatThrownBy(() -> m1.call(new Consult(vnode, 7, 5 * GIB)))
                .isInstanceOf(NoMemoryException.class)
                .hasMessageContaining(String.valueOf(5 * GIB));
        // a request that fits on only one component goes there
        assertThat(consult(m1, vnode, 3 * GIB)).containsExactly(m1.id);
        assertThat(consult(m1, vnode, 2 * GIB)).containsExactly(c.manager.members().stream()
                .filter(i -> i.address().equals("m2")).findFirst().orElseThrow().nodeId());
        assertThatThrownBy(() -> m1.call(new Consult(vnode, 7, 1)))
                .isInstanceOf(NoMemoryException.class);
    }

    @Test
    void every4thRequestPicksLeastRequestedOtherwiseRoundRobin() {
        cluster(GmmPolicy.EVERY_4TH_LEAST_REQUESTED);
        Component m1 = c.memory("m1", 64 * GIB, 0);
        Component m2 = c.memory("m2", 64 * GIB, 0);
        // request 1 (round robin): m1 caches the vNode's files
        int vnode = c.createVNode("web").id();
        assertThat(c.manager.vnode("web").cacheMemoryNode()).isEqualTo(m1.id);
        // requests 2, 3 round robin; 4 least requested (m1, which got 1 MiB, not m2 with 10); 5 round robin again
        assertThat(consult(m1, vnode, 10 * MIB, MIB, MIB, MIB)).containsExactly(m2.id, m1.id, m1.id, m2.id);
    }

    @Test
    void consultErrors() {
        cluster(GmmPolicy.ROUND_ROBIN);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        int vnode = c.createVNode("web").id();
        assertThatThrownBy(() -> m1.call(new Consult(999, 7, GIB)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.NOT_FOUND));
        assertThatThrownBy(() -> m1.call(new Consult(vnode, 7, -1)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT));
        c.advanceAndTick(5_000);
        assertThatThrownBy(() -> m1.call(new Consult(vnode, 7, GIB)))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("no live memory component");
    }
}
