package org.legoos.memory.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The VMA tree: merging, splitting, gaps and first fit. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VmaTreeTest {
    static final long P = 4096;

    @Test
    void adjacentAreasWithTheSameProtectionMerge() {
        VmaTree t = new VmaTree();
        t.add(0, P, 3);
        t.add(2 * P, 3 * P, 3);
        t.add(P, 2 * P, 3);
        assertThat(t.areas()).containsExactly(new Vma(0, 3 * P, 3));
        t.add(3 * P, 4 * P, 1);
        assertThat(t.areas()).hasSize(2);
        assertThat(t.mappedBytes()).isEqualTo(4 * P);
        assertThatThrownBy(() -> t.add(2 * P, 5 * P, 3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void removeSplitsAndReturnsTheRemovedPieces() {
        VmaTree t = new VmaTree();
        t.add(0, 10 * P, 3);
        t.add(20 * P, 30 * P, 1);
        List<Vma> removed = t.remove(5 * P, 25 * P);
        assertThat(removed).containsExactly(new Vma(5 * P, 10 * P, 3), new Vma(20 * P, 25 * P, 1));
        assertThat(t.areas()).containsExactly(new Vma(0, 5 * P, 3), new Vma(25 * P, 30 * P, 1));
        assertThat(t.remove(2 * P, 3 * P)).containsExactly(new Vma(2 * P, 3 * P, 3));
        assertThat(t.areas()).containsExactly(new Vma(0, 2 * P, 3), new Vma(3 * P, 5 * P, 3), new Vma(25 * P, 30 * P, 1));
        assertThat(t.remove(100 * P, 200 * P)).isEmpty();
        assertThat(t.mappedBytes()).isEqualTo(9 * P);
    }

    @Test
    void queriesSeeGapsAndCoverage() {
        VmaTree t = new VmaTree();
        t.add(P, 3 * P, 3);
        t.add(3 * P, 4 * P, 1);
        t.add(6 * P, 7 * P, 0);
        assertThat(t.isFree(0, P)).isTrue();
        assertThat(t.isFree(0, P + 1)).isFalse();
        assertThat(t.isFree(4 * P, 6 * P)).isTrue();
        assertThat(t.isMapped(P, 4 * P)).isTrue();
        assertThat(t.isMapped(P, 5 * P)).isFalse();
        assertThat(t.covering(P, 3 * P)).isEqualTo(new Vma(P, 3 * P, 3));
        assertThat(t.covering(P, 4 * P)).isNull();
        assertThat(t.accessiblePages(P, 10, 3)).isEqualTo(3);
        assertThat(t.accessiblePages(P, 10, 2)).isEqualTo(2);
        assertThat(t.accessiblePages(6 * P, 1, 3)).isZero();
        assertThat(t.firstFit(0, 100 * P, P)).isZero();
        assertThat(t.firstFit(P, 100 * P, 2 * P)).isEqualTo(4 * P);
        assertThat(t.firstFit(P, 100 * P, 3 * P)).isEqualTo(7 * P);
        assertThat(t.firstFit(P, 9 * P, 3 * P)).isEqualTo(-1);
        assertThat(t.firstFit(2 * P, 10 * P, 3 * P)).isEqualTo(7 * P);
    }

    @Test
    void randomAddsAndRemovesMatchABitmapModel() {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println("VmaTreeTest seed = " + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        Random rnd = new Random(seed);
        int pages = 200;
        int[] model = new int[pages]; // prot + 1, 0 = unmapped
        VmaTree t = new VmaTree();
        for (int op = 0; op < 2000; op++) {
            int a = rnd.nextInt(pages);
            int b = a + 1 + rnd.nextInt(Math.min(20, pages - a));
            if (rnd.nextBoolean()) {
                int prot = rnd.nextInt(4);
                boolean free = true;
                for (int i = a; i < b; i++) {
                    free &= model[i] == 0;
                }
                assertThat(t.isFree(a * P, b * P)).as("seed %d op %d", seed, op).isEqualTo(free);
                if (free) {
                    t.add(a * P, b * P, prot);
                    for (int i = a; i < b; i++) {
                        model[i] = prot + 1;
                    }
                }
            } else {
                t.remove(a * P, b * P);
                for (int i = a; i < b; i++) {
                    model[i] = 0;
                }
            }
            long mapped = 0;
            for (int i = 0; i < pages; i++) {
                Vma v = t.find(i * P);
                assertThat(v == null ? 0 : v.prot() + 1).as("seed %d op %d page %d", seed, op, i).isEqualTo(model[i]);
                mapped += model[i] != 0 ? P : 0;
            }
            assertThat(t.mappedBytes()).isEqualTo(mapped);
            List<Vma> areas = t.areas();
            for (int i = 1; i < areas.size(); i++) {
                Vma prev = areas.get(i - 1);
                Vma cur = areas.get(i);
                assertThat(prev.end() == cur.start() && prev.prot() == cur.prot()).as("unmerged neighbours").isFalse();
            }
        }
    }
}
