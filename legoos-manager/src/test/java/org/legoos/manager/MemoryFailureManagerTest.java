package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.legoos.manager.TestCluster.GIB;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentState;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.Consult;
import org.legoos.testkit.Await;

/**
 * The manager's side of memory failover: a memory component declared dead is announced to the live ones
 * (GM_MEMORY_FAILED), and when it reports again (it was only stopped) it is told it was declared dead and is not
 * chosen for anything until it has acknowledged, i.e. dropped what it held.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MemoryFailureManagerTest {
    private TestCluster c;

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
    }

    private ComponentState state(Component m) {
        return c.manager.members().stream().filter(i -> i.nodeId() == m.id).findFirst().orElseThrow().state();
    }

    @Test
    void aMemoryComponentBackFromTheDeadDropsItsStaleMemoryBeforeItIsChosenAgain() {
        c = new TestCluster(TestCluster.testConfig());
        Component p = c.processor("p1", 4, 0);
        Component s = c.storage("s1", 0);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        Component m2 = c.memory("m2", 4 * GIB, 0);
        Component m3 = c.memory("m3", 4 * GIB, 0);
        int vnode = c.createVNode("web").id();

        c.clock.addAndGet(800);
        for (Component x : java.util.List.of(p, s, m1, m3)) {
            x.report(x == p ? TestCluster.processorResources(4, 0) : x == s ? TestCluster.storageResources(0)
                    : TestCluster.memoryResources(4 * GIB, 0));
        }
        c.advanceAndTick(400); // m2 silent for 1200 ms > 1000
        assertThat(state(m2)).isEqualTo(ComponentState.DEAD);
        Await.until("the live memory components hear of it", Duration.ofSeconds(5),
                () -> m1.memoryFailed.contains(m2.id) && m3.memoryFailed.contains(m2.id));
        assertThat(m2.memoryFailed).isEmpty();

        // m2 was only stopped: it reports again, and is told it was declared dead; until it acknowledges it is not
        // chosen for anything
        CountDownLatch gate = new CountDownLatch(1);
        m2.failoverGate = gate;
        m2.report(TestCluster.memoryResources(4 * GIB, GIB));
        Await.until("m2 is told it was declared dead", Duration.ofSeconds(5), () -> m2.memoryFailed.contains(m2.id));
        assertThat(state(m2)).isEqualTo(ComponentState.JOINING);
        m2.report(TestCluster.memoryResources(4 * GIB, GIB)); // another report does not let it serve either
        for (int i = 0; i < 6; i++) {
            assertThat(m1.call(new Consult(vnode, 7, 1)).nodeId()).isNotEqualTo(m2.id);
        }
        gate.countDown();
        Await.until("m2 is ALIVE again", Duration.ofSeconds(5), () -> state(m2) == ComponentState.ALIVE);
        assertThat(m2.memoryFailed).containsExactly(m2.id);
    }

    /**
     * GM_HOME_MOVED: the manager takes a process's new home from the new home itself only, a live memory component;
     * a client, a processor or another memory component saying so, or a message for an unknown pid, changes nothing.
     */
    @Test
    void onlyTheAdoptiveHomeItselfMovesAProcessesHome() throws Exception {
        c = new TestCluster(TestCluster.testConfig());
        Component p = c.processor("p1", 4, 0);
        c.storage("s1", 0);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        Component m2 = c.memory("m2", 4 * GIB, 0);
        int vnode = c.createVNode("web").id();
        org.legoos.net.protocol.gm.Placement placed = c.call(new org.legoos.net.protocol.gm.PlaceProcess(vnode, 1));
        long pid = placed.pid();
        int home = placed.homeMemoryNode();
        Component other = home == m1.id ? m2 : m1;
        Component homeComponent = home == m1.id ? m1 : m2;
        assertThat(c.manager.homeOf(pid)).isEqualTo(home);

        c.send(new org.legoos.net.protocol.gm.HomeMoved(pid, other.id)); // a client
        p.rpc.send(GlobalManager.NODE_ID, new org.legoos.net.protocol.gm.HomeMoved(pid, other.id)); // a processor
        homeComponent.rpc.send(GlobalManager.NODE_ID, new org.legoos.net.protocol.gm.HomeMoved(pid, other.id)); // not itself
        p.rpc.send(GlobalManager.NODE_ID, new org.legoos.net.protocol.gm.HomeMoved(pid, p.id)); // not a memory component
        other.rpc.send(GlobalManager.NODE_ID, new org.legoos.net.protocol.gm.HomeMoved(pid + 1000, other.id)); // no such pid
        Thread.sleep(300); // one-way: give them time to be (not) applied
        assertThat(c.manager.homeOf(pid)).isEqualTo(home);
        assertThat(c.manager.homeOf(pid + 1000)).isEqualTo(-1);

        other.rpc.send(GlobalManager.NODE_ID, new org.legoos.net.protocol.gm.HomeMoved(pid, other.id));
        Await.until("the new home is recorded", Duration.ofSeconds(5), () -> c.manager.homeOf(pid) == other.id);
    }

    /**
     * A memory component that crashed and was restarted at its address before the heartbeat timeout (a supervisor's
     * restart) registers again: it is a new incarnation holding nothing, so the old one's memory must fail over at
     * once, the new one is fenced before it serves, and it learns which pids are not its own (pidsBefore).
     */
    @Test
    void aMemoryComponentRestartedWithinTheHeartbeatTimeoutIsFailedOverAndFenced() {
        c = new TestCluster(TestCluster.testConfig());
        c.processor("p1", 4, 0);
        c.storage("s1", 0);
        Component m1 = c.memory("m1", 4 * GIB, 0);
        Component m2 = c.memory("m2", 4 * GIB, 0);
        Component m3 = c.memory("m3", 4 * GIB, 0);
        c.createVNode("web");
        assertThat(m2.registered.pidsBefore()).as("a first registration").isZero();
        Await.until("m2 serves", Duration.ofSeconds(5), () -> state(m2) == ComponentState.ALIVE);

        m2.rpc.close(); // crashed; restarted at once, no heartbeat missed
        Component again = c.memory("m2", 4 * GIB, 0);
        assertThat(again.id).as("the old id back (vNodes refer to it)").isEqualTo(m2.id);
        assertThat(again.registered.pidsBefore()).isEqualTo(c.manager.nextPid()).isPositive();
        Await.until("the live memory components fail over its memory", Duration.ofSeconds(5),
                () -> m1.memoryFailed.contains(m2.id) && m3.memoryFailed.contains(m2.id));
        Await.until("the new incarnation is fenced, then serves", Duration.ofSeconds(5),
                () -> again.memoryFailed.contains(again.id) && state(again) == ComponentState.ALIVE);

        // a storage component restarted the same way is simply back: nothing to fail over or fence
        Component s = c.component("s1");
        s.rpc.close();
        Component s2 = c.storage("s1", 0);
        assertThat(s2.id).isEqualTo(s.id);
        assertThat(s2.registered.pidsBefore()).isZero();
        assertThat(m1.memoryFailed).containsExactly(m2.id);
    }
}
