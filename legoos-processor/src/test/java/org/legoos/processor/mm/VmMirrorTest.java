package org.legoos.processor.mm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.legoos.api.AddressSpace;
import org.legoos.net.protocol.p2m.MapReply;

/** The processor's mirror of an address space: what it must never forget. */
class VmMirrorTest {
    private static final long VREGION = 1L << 16;
    private static final long PAGE = 4096;

    private static MapReply reply(long version, long... regionsThenOwners) {
        int n = regionsThenOwners.length / 2;
        long[] regions = new long[n];
        int[] owners = new int[n];
        for (int i = 0; i < n; i++) {
            regions[i] = regionsThenOwners[2 * i];
            owners[i] = (int) regionsThenOwners[2 * i + 1];
        }
        return new MapReply(0, VREGION, regions, owners, version);
    }

    @Test
    void anOlderOwnerMapArrivingLateDoesNotTakeOwnersAway() {
        VmMirror vm = new VmMirror(VREGION);
        vm.updateOwners(reply(2, 1, 5, 2, 6)); // the newer reply of two concurrent mmaps arrives first
        vm.updateOwners(reply(1, 1, 5));
        assertThat(vm.ownerOf(2 * VREGION)).isEqualTo(6);
        vm.updateOwners(reply(3, 1, 5, 2, 6, 3, 7));
        assertThat(vm.ownerOf(3 * VREGION)).isEqualTo(7);
    }

    @Test
    void growingInPlaceKeepsTheWrittenBackMarks() {
        VmMirror vm = new VmMirror(VREGION);
        long a = 1L << 40;
        vm.map(a, a + 8 * PAGE, AddressSpace.PROT_RW);
        for (long p = 0; p < 8; p++) {
            vm.markMaterialised((a >>> 12) + p);
        }
        vm.remap(a, 8 * PAGE, a, 16 * PAGE, AddressSpace.PROT_RW);
        for (long p = 0; p < 8; p++) {
            assertThat(vm.pageState((a >>> 12) + p)).isEqualTo(VmMirror.PageState.MATERIALISED);
        }
        assertThat(vm.pageState((a >>> 12) + 8)).isEqualTo(VmMirror.PageState.NEVER_WRITTEN);
        assertThat(vm.mappedBytes()).isEqualTo(16 * PAGE);
    }

    @Test
    void movingCarriesTheMarksToTheNewAddressAndForgetsTheOldRange() {
        VmMirror vm = new VmMirror(VREGION);
        long a = 1L << 40;
        long b = a + 64 * PAGE;
        vm.map(a, a + 8 * PAGE, AddressSpace.PROT_READ);
        vm.markMaterialised((a >>> 12) + 3);
        vm.markMaterialised((b >>> 12) + 12); // stale mark of whatever was at b before
        vm.remap(a, 8 * PAGE, b, 16 * PAGE, AddressSpace.PROT_READ);
        assertThat(vm.pageState((b >>> 12) + 3)).isEqualTo(VmMirror.PageState.MATERIALISED);
        assertThat(vm.pageState((b >>> 12) + 2)).isEqualTo(VmMirror.PageState.NEVER_WRITTEN);
        assertThat(vm.pageState((b >>> 12) + 12)).isEqualTo(VmMirror.PageState.NEVER_WRITTEN);
        assertThat(vm.pageState((a >>> 12) + 3)).isEqualTo(VmMirror.PageState.UNMAPPED);
        assertThat(vm.protAt(b + 15 * PAGE)).isEqualTo(AddressSpace.PROT_READ);
        assertThat(vm.mappedBytes()).isEqualTo(16 * PAGE);
    }

    @Test
    void protectionSplitsAndRestores() {
        VmMirror vm = new VmMirror(VREGION);
        long a = 1L << 40;
        vm.map(a, a + 8 * PAGE, AddressSpace.PROT_RW);
        var before = vm.protect(a + 2 * PAGE, a + 4 * PAGE, AddressSpace.PROT_NONE);
        assertThat(vm.pageState((a >>> 12) + 2)).isEqualTo(VmMirror.PageState.NO_ACCESS);
        assertThat(vm.protAt(a + PAGE)).isEqualTo(AddressSpace.PROT_RW);
        vm.restore(before);
        assertThat(vm.protAt(a + 3 * PAGE)).isEqualTo(AddressSpace.PROT_RW);
        assertThat(vm.covering(a, a + 8 * PAGE)).isNotNull();
    }
}
