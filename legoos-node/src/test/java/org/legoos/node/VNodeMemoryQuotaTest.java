package org.legoos.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.api.QuotaExceededException;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2m.Brk;
import org.legoos.net.protocol.p2m.CreateAddressSpace;
import org.legoos.net.protocol.p2m.DestroyAddressSpace;
import org.legoos.net.protocol.p2m.Mmap;
import org.legoos.net.protocol.p2m.Mremap;
import org.legoos.net.protocol.p2m.Munmap;
import org.legoos.net.rpc.RpcNode;

/**
 * The memory quota is per vNode: the sum of what all its processes map, whichever memory components are their
 * homes. The GMM holds it; each home reserves before growing and gives back on munmap, shrink and exit.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VNodeMemoryQuotaTest {
    private static final long KiB = 1024;
    private static final long QUOTA = 1024 * KiB;
    private LocalCluster cluster;
    private RpcNode client;
    private VNodeInfo vnode;
    private int homeA;
    private int homeB;

    @BeforeEach
    void start() {
        cluster = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 2, 1));
        client = cluster.client();
        vnode = cluster.createVNode("quota", QUOTA, 4);
        List<Integer> memories = cluster.memoryNodeIds();
        homeA = memories.get(0);
        homeB = memories.get(1);
        assertThat(homeA).isNotEqualTo(homeB);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    /** A process of the vNode, placed by the GPM, whose address space lives on {@code home}. */
    private long process(int home) {
        Placement p = cluster.manager().placeProcess(new PlaceProcess(vnode.id(), 1));
        client.call(home, new CreateAddressSpace(vnode.id(), p.pid(), vnode.memoryQuotaBytes()));
        return p.pid();
    }

    private long mmap(int home, long pid, long bytes) {
        return client.call(home, new Mmap(pid, 0, bytes, AddressSpace.PROT_RW)).addr();
    }

    @Test
    void twoProcessesWithDifferentHomesShareTheVNodesQuota() {
        long a = process(homeA);
        long b = process(homeB);
        long aAddr = mmap(homeA, a, 600 * KiB);
        mmap(homeB, b, 300 * KiB);
        // each alone is well within the quota; together they would map 1100 KiB of 1024
        assertThatThrownBy(() -> mmap(homeB, b, 200 * KiB))
                .isInstanceOfSatisfying(QuotaExceededException.class, e -> assertThat(e.getMessage())
                        .contains("vNode " + vnode.id() + " 'quota'")
                        .contains("memory quota of 1MiB")
                        .contains("900KiB")
                        .contains(900 * KiB + " of " + QUOTA + " bytes"));
        mmap(homeB, b, 124 * KiB); // exactly at the quota
        assertThatThrownBy(() -> mmap(homeA, a, 4 * KiB)).isInstanceOf(QuotaExceededException.class);

        client.call(homeA, new Munmap(a, aAddr, 600 * KiB)); // munmap gives it back
        long bAddr = mmap(homeB, b, 500 * KiB);
        assertThatThrownBy(() -> mmap(homeA, a, 200 * KiB)).isInstanceOf(QuotaExceededException.class);

        client.call(homeB, new Mremap(b, bAddr, 500 * KiB, 100 * KiB, false)); // so does a shrink
        mmap(homeA, a, 200 * KiB);
        assertThatThrownBy(() -> client.call(homeB, new Mremap(b, bAddr, 100 * KiB, 500 * KiB, true)))
                .as("growing with mremap reserves too").isInstanceOf(QuotaExceededException.class);

        client.call(homeB, new DestroyAddressSpace(b)); // and exit
        mmap(homeA, a, 800 * KiB);
    }

    @Test
    void brkCountsAndTheGmmForgetsAnExitedProcessEvenIfItsHomeNeverReports() {
        long a = process(homeA);
        long b = process(homeB);
        long heap = client.call(homeA, new Brk(a, 0)).addr();
        client.call(homeA, new Brk(a, heap + 900 * KiB));
        assertThatThrownBy(() -> client.call(homeB, new Brk(b, client.call(homeB, new Brk(b, 0)).addr() + 200 * KiB)))
                .isInstanceOf(QuotaExceededException.class).hasMessageContaining("'quota'");
        // pid a exits as far as the GPM is concerned (its home is never told): its quota comes back
        cluster.manager().processExited(new ProcessExited(a, vnode.id()));
        mmap(homeB, b, 1000 * KiB);
    }
}
