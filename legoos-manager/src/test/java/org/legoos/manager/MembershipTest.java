package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.manager.TestCluster.GIB;
import static org.legoos.manager.TestCluster.status;

import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.MemberList;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.Register;
import org.legoos.net.protocol.gm.StatusReport;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.testkit.Await;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MembershipTest {
    private final TestCluster c = new TestCluster(TestCluster.testConfig());

    @AfterEach
    void close() {
        c.close();
    }

    @Test
    void managerIsNodeOne() {
        assertThat(c.managerRpc.nodeId()).isEqualTo(GlobalManager.NODE_ID).isEqualTo(1);
    }

    @Test
    void idsAreAssignedFromTwoAndStableOnReRegister() {
        Component p = c.processor("p1", 4, 0);
        Component m = c.memory("m1", GIB, 0);
        Component s = c.storage("s1", 0);
        assertThat(p.id).isEqualTo(2);
        assertThat(m.id).isEqualTo(3);
        assertThat(s.id).isEqualTo(4);

        int again = p.call(new Register("processor", "p1", TestCluster.processorResources(8, 1))).nodeId();
        assertThat(again).isEqualTo(2);
        assertThat(c.manager.member(2).orElseThrow().resources().cores()).isEqualTo(8);
        assertThat(c.manager.members()).hasSize(3);
    }

    @Test
    void idsAreNeverReused() {
        c.processor("p1", 4, 0);
        c.processor("p2", 4, 0);
        c.advanceAndTick(5_000); // both dead; ids stay taken
        assertThat(c.processor("p3", 4, 0).id).isEqualTo(4);
    }

    @Test
    void deadComponentsAreForgottenAfterTheRetentionUnlessSomethingRefersToThem() {
        try (TestCluster r = new TestCluster(TestCluster.testConfig().withDeadRetentionMillis(60_000))) {
            Component p1 = r.processor("p1", 4, 0);
            Component p2 = r.processor("p2", 4, 0);
            r.memory("m1", GIB, 0);
            Component s1 = r.storage("s1", 0);
            var web = r.createVNode("web"); // refers to s1 and m1
            r.advanceAndTick(5_000); // all DEAD
            assertThat(r.manager.members()).hasSize(4).allSatisfy(m -> assertThat(m.state()).isEqualTo(ComponentState.DEAD));

            // p2 comes back within the retention at its address: same entry, same id
            int again = p2.call(new Register("processor", "p2", TestCluster.processorResources(4, 0))).nodeId();
            assertThat(again).isEqualTo(p2.id);

            r.advanceAndTick(59_000);
            assertThat(r.manager.members()).as("not yet: dead for 59 s").hasSize(4);
            r.advanceAndTick(2_000);
            assertThat(r.manager.members()).extracting(ComponentInfo::nodeId)
                    .as("p1 forgotten; p2 is back (so DEAD again only since its re-register); m1 and s1 hold vNode web")
                    .containsExactlyInAnyOrder(p2.id, web.cacheMemoryNode(), s1.id);
            assertThat(r.managerRpc.peerAddress(p1.id)).isNull();

            r.advanceAndTick(120_000);
            assertThat(r.manager.members()).extracting(ComponentInfo::nodeId)
                    .containsExactlyInAnyOrder(web.cacheMemoryNode(), s1.id);
            // once the vNode is gone nothing holds them
            r.manager.removeVNode("web");
            r.advanceAndTick(1);
            assertThat(r.manager.members()).isEmpty();
            // a forgotten component that comes back is a new member with a new id
            assertThat(p1.call(new Register("processor", "p1", TestCluster.processorResources(4, 0))).nodeId())
                    .isGreaterThan(s1.id);
        }
    }

    @Test
    void registerAddsThePeerSoTheManagerCanCallIt() {
        Component s = c.storage("s1", 0);
        assertThat(c.managerRpc.peerAddress(s.id)).isEqualTo("s1");
    }

    @Test
    void unknownRoleAndBadAddressAreRejected() {
        assertThatThrownBy(() -> c.call(new Register("gpu", "g1", TestCluster.processorResources(1, 0))))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT))
                .hasMessageContaining("gpu");
        assertThatThrownBy(() -> c.call(new Register("memory", "has space", TestCluster.memoryResources(GIB, 0))))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT));
        assertThatThrownBy(() -> c.call(new Register("memory", "", TestCluster.memoryResources(GIB, 0))))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.INVALID_ARGUMENT));
        assertThat(c.manager.members()).isEmpty();
    }

    @Test
    void sameAddressWithAnotherRoleIsRefused() {
        c.processor("p1", 4, 0);
        assertThatThrownBy(() -> c.call(new Register("memory", "p1", TestCluster.memoryResources(GIB, 0))))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.EXISTS))
                .hasMessageContaining("p1");
        assertThat(c.manager.members()).hasSize(1);
    }

    @Test
    void membersListsIdRoleAddressStateReportTimeAndResources() {
        Component p = c.processor("p1", 4, 1);
        c.clock.addAndGet(100);
        p.report(TestCluster.processorResources(4, 3));
        Component m = c.memory("m1", 2 * GIB, GIB);

        MemberList list = c.call(new MembersRequest());
        assertThat(list.members()).extracting(ComponentInfo::nodeId).containsExactly(p.id, m.id);
        ComponentInfo pi = list.members().getFirst();
        assertThat(pi.role()).isEqualTo(ComponentRole.PROCESSOR);
        assertThat(pi.address()).isEqualTo("p1");
        assertThat(pi.state()).isEqualTo(ComponentState.ALIVE);
        assertThat(pi.lastReportMillis()).isEqualTo(c.clock.get());
        assertThat(pi.resources().threadsRunning()).isEqualTo(3);
        ComponentInfo mi = list.members().get(1);
        assertThat(mi.role()).isEqualTo(ComponentRole.MEMORY);
        assertThat(mi.resources().memoryCapacityBytes()).isEqualTo(2 * GIB);
        assertThat(mi.resources().memoryUsedBytes()).isEqualTo(GIB);
    }

    @Test
    void statusReportFromUnknownNodeIsIgnored() {
        c.send(new StatusReport(42, TestCluster.processorResources(4, 0)));
        assertThat(c.manager.members()).isEmpty();
        assertThat(c.manager.member(42)).isEmpty();
    }

    @Test
    void componentMissingHeartbeatsIsMarkedDeadAndReportingRevivesIt() {
        Component p1 = c.processor("p1", 4, 0);
        Component p2 = c.processor("p2", 4, 0);
        c.clock.addAndGet(600);
        p2.report(TestCluster.processorResources(4, 0));
        c.advanceAndTick(600); // p1 silent for 1200 ms > 1000, p2 for 600 ms
        assertThat(c.manager.member(p1.id).orElseThrow().state()).isEqualTo(ComponentState.DEAD);
        assertThat(c.manager.member(p2.id).orElseThrow().state()).isEqualTo(ComponentState.ALIVE);

        p1.report(TestCluster.processorResources(4, 0));
        assertThat(c.manager.member(p1.id).orElseThrow().state()).isEqualTo(ComponentState.ALIVE);
        c.advanceAndTick(1_000); // exactly the timeout since p1's report: still alive; p2 is not
        assertThat(c.manager.member(p1.id).orElseThrow().state()).isEqualTo(ComponentState.ALIVE);
        assertThat(c.manager.member(p2.id).orElseThrow().state()).isEqualTo(ComponentState.DEAD);
    }

    @Test
    void reRegisteringRevivesADeadComponent() {
        Component p = c.processor("p1", 4, 0);
        c.advanceAndTick(2_000);
        assertThat(c.manager.member(p.id).orElseThrow().state()).isEqualTo(ComponentState.DEAD);
        int again = p.call(new Register("processor", "p1", TestCluster.processorResources(4, 0))).nodeId();
        assertThat(again).isEqualTo(p.id);
        // registered, but its monitor is not serving until it reports: nothing may be placed on it yet
        assertThat(c.manager.member(p.id).orElseThrow().state()).isEqualTo(ComponentState.JOINING);
        c.storage("s1", 0);
        c.memory("m1", 4 * GIB, 0);
        int vnode = c.createVNode("v").id();
        assertThatThrownBy(() -> c.call(new org.legoos.net.protocol.gm.PlaceProcess(vnode, 1)))
                .hasMessageContaining("processor");
        p.report(TestCluster.processorResources(4, 0));
        assertThat(c.manager.member(p.id).orElseThrow().state()).isEqualTo(ComponentState.ALIVE);
    }

    /** The pids whose address spaces the manager asks memory component {@code m} to destroy, as they come. */
    private static java.util.List<Long> destroyedOn(Component m) {
        java.util.List<Long> destroyed = new java.util.concurrent.CopyOnWriteArrayList<>();
        m.rpc.handle(org.legoos.net.protocol.p2m.DestroyAddressSpace.class, (q, ctx) -> {
            destroyed.add(q.pid());
            return org.legoos.net.protocol.Ack.INSTANCE;
        });
        return destroyed;
    }

    @Test
    void processesOfAProcessorRestartedWithinTheHeartbeatTimeoutAreReleasedAndTheirAddressSpacesFreed() {
        Component p1 = c.processor("p1", 4, 0);
        Component m = c.memory("m1", 4 * GIB, 0);
        c.storage("s1", 0);
        java.util.List<Long> destroyed = destroyedOn(m);
        int vnode = c.createVNode("web").id();
        Placement a = c.call(new PlaceProcess(vnode, 1));
        assertThat(c.manager.vnode("web").processes()).isEqualTo(1);

        p1.rpc.close(); // crashed, restarted at once: no heartbeat missed
        Component again = c.processor("p1", 4, 0);
        assertThat(again.id).isEqualTo(p1.id);
        assertThat(c.manager.vnode("web").processes()).as("the old incarnation's process is gone with it").isZero();
        Await.until("its address space is destroyed", () -> destroyed.contains(a.pid()));
        assertThat(c.manager.member(p1.id).orElseThrow().state()).isNotEqualTo(ComponentState.DEAD);
    }

    @Test
    void processesOfADeadProcessorAreReleasedAndTheirAddressSpacesFreed() throws Exception {
        Component p1 = c.processor("p1", 4, 0);
        Component m = c.memory("m1", 4 * GIB, 0);
        Component s = c.storage("s1", 0);
        java.util.List<Long> destroyed = destroyedOn(m);
        int vnode = c.createVNode("web").id();
        Placement a = c.call(new PlaceProcess(vnode, 1));
        Placement b = c.call(new PlaceProcess(vnode, 1));
        assertThat(c.manager.vnode("web").processes()).isEqualTo(2);

        c.clock.addAndGet(1_500); // p1 stops reporting; the others report
        m.report(TestCluster.memoryResources(4 * GIB, 0));
        s.report(TestCluster.storageResources(0));
        c.manager.tick(c.clock.get());

        assertThat(c.manager.member(p1.id).orElseThrow().state()).isEqualTo(ComponentState.DEAD);
        assertThat(c.manager.vnode("web").processes()).as("lost processes no longer count").isZero();
        Await.until("both lost processes are destroyed", () -> destroyed.size() >= 2);
        assertThat(destroyed).containsExactlyInAnyOrder(a.pid(), b.pid());
        c.manager.removeVNode("web"); // no longer refused: nothing runs in it
    }

    @Test
    void aComponentThatLeavesIsDeadAtOnceAndNeverChosen() throws Exception {
        Component p1 = c.processor("p1", 4, 0);
        Component p2 = c.processor("p2", 64, 0); // would win every placement
        c.memory("m1", 4 * GIB, 0);
        c.storage("s1", 0);
        int vnode = c.createVNode("web").id();
        p2.rpc.send(GlobalManager.NODE_ID, new org.legoos.net.protocol.gm.Leave(p2.id));
        Await.until("the manager marks p2 dead",
                () -> c.manager.member(p2.id).orElseThrow().state() == ComponentState.DEAD);
        assertThat(c.call(new PlaceProcess(vnode, 1)).processorNode()).isEqualTo(p1.id);
        p2.report(TestCluster.processorResources(64, 0)); // coming back: a report revives it
        assertThat(c.manager.member(p2.id).orElseThrow().state()).isEqualTo(ComponentState.ALIVE);
    }

    @Test
    void deadProcessorIsNeverChosen() {
        Component p1 = c.processor("p1", 4, 3);
        Component p2 = c.processor("p2", 64, 0); // far less loaded than p1, but about to die
        Component m = c.memory("m1", 4 * GIB, 0);
        Component s = c.storage("s1", 0);
        int vnode = c.createVNode("web").id();
        c.clock.addAndGet(1_500);
        p1.report(TestCluster.processorResources(4, 3));
        m.report(TestCluster.memoryResources(4 * GIB, 0));
        s.report(TestCluster.storageResources(0));
        c.manager.tick(c.clock.get());
        assertThat(c.manager.member(p2.id).orElseThrow().state()).isEqualTo(ComponentState.DEAD);
        for (int i = 0; i < 5; i++) {
            Placement pl = c.call(new PlaceProcess(vnode, 1));
            assertThat(pl.processorNode()).isEqualTo(p1.id);
        }
    }

    @Test
    void staleComponentIsNotChosenEvenBeforeTheNextTick() {
        c.withBasicComponents();
        int vnode = c.createVNode("web").id();
        c.clock.addAndGet(5_000); // no tick ran yet
        assertThatThrownBy(() -> c.call(new PlaceProcess(vnode, 1)))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("no live processor");
    }
}
