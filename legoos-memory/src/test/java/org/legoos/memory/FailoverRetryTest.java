package org.legoos.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.legoos.memory.Proc.PAGE;
import static org.legoos.memory.Proc.page;
import static org.legoos.memory.Proc.seedOf;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.gm.MemoryFailed;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.OwnersRequest;
import org.legoos.net.rpc.RpcNode;
import org.legoos.testkit.Await;

/**
 * A failover is a conversation with the dead owner's replica ({@code M2M_PROMOTE}); when that conversation fails
 * (a lost message, a reset connection, a replica slow to answer), the replica still holds every page, so the home must
 * try again rather than give the pages up or leave the process pointing at the dead owner for good.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FailoverRetryTest {
    static final long VREGION = 1 << 20;

    @Test
    void aFailoverWhoseReplicaDidNotAnswerItsPromotionIsTriedAgainAndLosesNoPage() throws Exception {
        try (TestCluster c = new TestCluster(3, new MemoryConfig(64L << 20, VREGION, 0, 1 << 20, 64 << 10, 2))) {
            int home = TestCluster.memoryNode(0);
            int dead = TestCluster.memoryNode(1);
            int replica = TestCluster.memoryNode(2); // the test manager's replica of a vRegion is on the next node
            Proc p = Proc.create(c, home, 1, 0);
            long a = p.mmap(3 * VREGION);
            long onDead = -1;
            for (long va = a; va < a + 3 * VREGION; va += VREGION) {
                if (p.requireOwner(va) == dead) {
                    onDead = va;
                }
            }
            assertThat(onDead).as("a vRegion on the component that dies").isNotNegative();
            for (int i = 0; i < 16; i++) {
                p.flush(onDead + i * PAGE, page(onDead + i)); // acknowledged once the replica holds it too
            }
            assertThat(c.monitor(replica).stats().replicaBytes()).isGreaterThanOrEqualTo(16L * PAGE);

            // the owner crashes; the home's link to the replica is broken while the manager declares the owner dead
            c.memoryRpcs.get(1).close();
            RpcNode homeRpc = c.memoryRpcs.get(0);
            homeRpc.faults().dropTo(replica);
            CompletableFuture<?> declared = CompletableFuture.runAsync(() -> {
                for (int m : new int[] {home, replica}) {
                    c.manager.call(m, new MemoryFailed(dead), Duration.ofSeconds(30));
                }
            });
            // every promotion the home sends in the next second and a half fails at once (a reset connection)
            long until = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() - until < 0) {
                homeRpc.failCallsTo(replica, "test: the connection to the replica was reset");
                Thread.sleep(20);
            }
            assertThat(c.monitor(home).stats().failovers()).as("no failover could have succeeded yet").isZero();
            homeRpc.faults().heal();
            declared.get(30, TimeUnit.SECONDS);

            Await.until("the home moved the vRegion to its replica", Duration.ofSeconds(20),
                    () -> c.monitor(home).stats().failovers() == 1);
            MapReply now = c.call(home, new OwnersRequest(p.pid));
            assertThat(now.lostOwners()).as("nothing was lost").isEmpty();
            long region = onDead / now.vregionBytes();
            int newOwner = -1;
            for (int i = 0; i < now.regions().length; i++) {
                if (now.regions()[i] == region) {
                    newOwner = now.owners()[i];
                }
            }
            assertThat(newOwner).isEqualTo(replica);
            for (int i = 0; i < 16; i++) {
                assertThat(seedOf(p.missAt(replica, onDead + i * PAGE, 1))).as("page %d", i).isEqualTo(onDead + i);
            }
        }
    }
}
