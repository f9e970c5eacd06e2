package org.legoos.memory.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Page frames and page tables: allocation, free list, zero pages, range operations. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PageTableTest {
    static final int PAGE = PageStore.PAGE_SIZE;
    PageStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    static ByteBuffer page(int v) {
        byte[] b = new byte[PAGE];
        Arrays.fill(b, (byte) v);
        return ByteBuffer.wrap(b);
    }

    static int valueOf(PageTable t, long vpn) {
        byte[] b = new byte[PAGE];
        t.read(vpn, b, 0);
        for (byte x : b) {
            assertThat(x).isEqualTo(b[0]);
        }
        return b[0];
    }

    @Test
    void allocationIsAllOrNothingAndFramesAreRecycled() {
        store = new PageStore(4L * PAGE);
        int[] three = store.allocate(3);
        assertThat(three).doesNotHaveDuplicates();
        assertThat(store.allocate(2)).isNull();
        assertThat(store.usedFrames()).isEqualTo(3);
        store.free(three[1]);
        int[] two = store.allocate(2);
        assertThat(two).contains(three[1]);
        assertThat(store.usedFrames()).isEqualTo(4);
        assertThatThrownBy(() -> store.free(99)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PageStore(100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void capacityIsReservedLazily() {
        store = new PageStore(1L << 40); // 1 TiB: only the chunk holding the first frame is allocated
        int[] f = store.allocate(1);
        store.copyIn(f[0], page(3), 0);
        byte[] out = new byte[PAGE];
        store.copyOut(f[0], out, 0);
        assertThat(out).containsOnly(3);
        assertThat(store.capacityBytes()).isEqualTo(1L << 40);
    }

    @Test
    void pagesWithoutFramesReadAsZerosAndWritesAllocateOnce() {
        store = new PageStore(16L * PAGE);
        PageTable t = new PageTable(store);
        byte[] dirty = new byte[PAGE];
        Arrays.fill(dirty, (byte) 9);
        assertThat(t.read(5, dirty, 0)).isFalse();
        assertThat(dirty).containsOnly(0);
        assertThat(t.write(5, page(1), 0, null)).isTrue();
        assertThat(t.write(5, page(2), 0, null)).isTrue();
        assertThat(store.usedFrames()).isEqualTo(1);
        assertThat(valueOf(t, 5)).isEqualTo(2);
        assertThat(t.countAbsent(new long[] {5, 6, 6})).isEqualTo(2);
    }

    @Test
    void reservationsHandBackWhatIsNotUsed() {
        store = new PageStore(8L * PAGE);
        PageTable t = new PageTable(store);
        try (Reservation r = store.reserve(3)) {
            assertThat(r).isNotNull();
            t.write(1, page(1), 0, r);
            assertThat(r.remaining()).isEqualTo(2);
        }
        assertThat(store.usedFrames()).isEqualTo(1);
        assertThat(store.reserve(8)).isNull();
    }

    @Test
    void writeFailsWithoutChangesWhenNoFrameIsFree() {
        store = new PageStore(PAGE);
        PageTable t = new PageTable(store);
        assertThat(t.write(1, page(1), 0, null)).isTrue();
        assertThat(t.write(2, page(2), 0, null)).isFalse();
        assertThat(t.contains(2)).isFalse();
        assertThat(t.pages()).isEqualTo(1);
    }

    @Test
    void removeRangeFreesOnlyThatRange() {
        store = new PageStore(4096L * PAGE);
        PageTable t = new PageTable(store);
        for (long vpn = 0; vpn < 2000; vpn += 7) {
            t.write(vpn, page((int) vpn), 0, null);
        }
        long before = t.pages();
        long removed = t.removeRange(500, 1500);
        assertThat(removed).isEqualTo(before - t.pages());
        assertThat(store.usedFrames()).isEqualTo(t.pages());
        for (long vpn = 0; vpn < 2000; vpn += 7) {
            assertThat(t.contains(vpn)).as("vpn %d", vpn).isEqualTo(vpn < 500 || vpn >= 1500);
        }
        // a huge sparse range walks the leaves, not the pages
        long left = t.pages();
        assertThat(t.removeRange(0, 1L << 35)).isEqualTo(left);
        assertThat(t.pages()).isZero();
        assertThat(store.usedFrames()).isZero();
    }

    @Test
    void moveRelinksFramesAndReplacesDestinationPages() {
        store = new PageStore(64L * PAGE);
        PageTable t = new PageTable(store);
        t.write(10, page(10), 0, null);
        t.write(12, page(12), 0, null);
        t.write(1001, page(99), 0, null); // will be replaced
        assertThat(t.move(10, 1000, 3)).isEqualTo(2);
        assertThat(t.contains(10)).isFalse();
        assertThat(valueOf(t, 1000)).isEqualTo(10);
        assertThat(t.contains(1001)).isFalse();
        assertThat(valueOf(t, 1002)).isEqualTo(12);
        assertThat(store.usedFrames()).isEqualTo(2);
        assertThat(t.pages()).isEqualTo(2);
    }

    @Test
    void collectReturnsPagesInOrderAndResumes() {
        store = new PageStore(4096L * PAGE);
        PageTable t = new PageTable(store);
        long[] vpns = {3, 511, 512, 513, 4000, 70_000, 1L << 30};
        for (long v : vpns) {
            t.write(v, page((int) (v % 100)), 0, null);
        }
        PageTable.Collected c = t.collect(0, 1L << 31, 3);
        assertThat(c.vpns()).containsExactly(3, 511, 512);
        assertThat(c.nextVpn()).isEqualTo(513);
        assertThat(c.data()).hasSize(3 * PAGE);
        assertThat(c.data()[PAGE]).isEqualTo((byte) 11);
        c = t.collect(c.nextVpn(), 1L << 31, 3);
        assertThat(c.vpns()).containsExactly(513, 4000, 70_000);
        c = t.collect(c.nextVpn(), 1L << 31, 3);
        assertThat(c.vpns()).containsExactly(1L << 30);
        assertThat(c.nextVpn()).isEqualTo(1L << 31);
        assertThat(t.collect(5, 500, 10).vpns()).isEmpty();
    }

    @Test
    void randomOperationsMatchAMapModel() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("PageTableTest seed = " + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        Random rnd = new Random(seed);
        store = new PageStore(2048L * PAGE);
        PageTable t = new PageTable(store);
        Map<Long, Integer> model = new HashMap<>();
        for (int op = 0; op < 3000; op++) {
            long vpn = rnd.nextInt(3000);
            switch (rnd.nextInt(10)) {
                case 0 -> {
                    long to = vpn + rnd.nextInt(600);
                    t.removeRange(vpn, to);
                    model.keySet().removeIf(k -> k >= vpn && k < to);
                }
                case 1 -> {
                    assertThat(t.clear()).isEqualTo(model.size());
                    model.clear();
                }
                default -> {
                    int v = rnd.nextInt(100) + 1;
                    if (t.write(vpn, page(v), 0, null)) {
                        model.put(vpn, v);
                    } else {
                        assertThat(model).hasSize(2048).doesNotContainKey(vpn);
                    }
                }
            }
            if (op % 50 == 0) {
                assertThat(snapshot(t)).as("seed %d op %d", seed, op).isEqualTo(model);
            }
            assertThat(t.pages()).as("seed %d op %d", seed, op).isEqualTo(model.size());
            assertThat(store.usedFrames()).isEqualTo(model.size());
        }
        for (var e : model.entrySet()) {
            assertThat(valueOf(t, e.getKey())).isEqualTo(e.getValue().byteValue());
        }
    }

    private static Map<Long, Integer> snapshot(PageTable t) {
        Map<Long, Integer> out = new HashMap<>();
        long next = 0;
        while (next < 3000) {
            PageTable.Collected c = t.collect(next, 3000, 100);
            for (int i = 0; i < c.vpns().length; i++) {
                out.put(c.vpns()[i], (int) c.data()[i * PAGE]);
            }
            next = c.nextVpn();
        }
        return out;
    }
}
