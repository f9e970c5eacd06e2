package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.legoos.api.SegmentationFault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SegfaultTest {
    @Test
    void loadFromUnmappedPageRaisesSegmentationFault() {
        HeapAddressSpace mem = new HeapAddressSpace();
        TestContext ctx = new TestContext(mem);
        assertThatThrownBy(() -> new Segfault().main(ctx, new String[0]))
                .isInstanceOf(SegmentationFault.class)
                .satisfies(e -> assertThat(((SegmentationFault) e).status()).isEqualTo("BAD_ADDRESS"));
        assertThat(ctx.stdout()).contains("stored 42").contains("expect a SegmentationFault").doesNotContain("BUG");
        assertThat(mem.mappedBytes()).isZero();
        // The address space is still usable afterwards: only the program saw the fault.
        long va = mem.mmap(4096);
        mem.putLong(va, 1);
        assertThat(mem.getLong(va)).isEqualTo(1);
    }
}
