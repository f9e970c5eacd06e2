package org.legoos.node.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;
import org.legoos.api.ProcessorMode;
import org.legoos.api.SegmentationFault;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;
import org.legoos.processor.task.HostSupport;

/**
 * The typed bulk copies ({@code readLongs}, {@code writeInts}, ...) as a program sees them in both modes: little-endian
 * values at unaligned addresses across page boundaries, through an ExCache of 16 pages for 64 (so copies meet evicted
 * pages), read back value by value and in bulk, with a copy that runs off its mapping's end refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedBulkCopyTest {
    static final int PAGES = 64;

    public static final class BulkCopies implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            AddressSpace m = ctx.memory();
            long a = m.mmap((long) PAGES * AddressSpace.PAGE_SIZE);
            int n = 3000; // 24 KB of longs from an odd address: crosses 6 pages
            long[] longs = new long[n + 5];
            int[] ints = new int[n + 5];
            double[] doubles = new double[n + 5];
            for (int i = 0; i < longs.length; i++) {
                longs[i] = 0x0102030405060708L * (i + 1);
                ints[i] = 0x01020304 * (i + 7);
                doubles[i] = i * 1.25 - 7;
            }
            long la = a + 3;
            long ia = a + 20 * AddressSpace.PAGE_SIZE + 4093;
            long da = a + 40 * AddressSpace.PAGE_SIZE + 5;
            m.writeLongs(la, longs, 5, n);
            m.writeInts(ia, ints, 5, n);
            m.writeDoubles(da, doubles, 5, n);
            StringBuilder bad = new StringBuilder();
            for (int i = 0; i < n; i++) { // value by value, little-endian bytes
                if (m.getLong(la + 8L * i) != longs[5 + i] || m.getByte(la + 8L * i) != (byte) longs[5 + i]) {
                    bad.append(" long").append(i);
                }
                if (m.getInt(ia + 4L * i) != ints[5 + i] || m.getByte(ia + 4L * i) != (byte) ints[5 + i]) {
                    bad.append(" int").append(i);
                }
                if (m.getDouble(da + 8L * i) != doubles[5 + i]) {
                    bad.append(" double").append(i);
                }
            }
            long[] l2 = new long[n + 2];
            int[] i2 = new int[n + 2];
            double[] d2 = new double[n + 2];
            m.readLongs(la, l2, 2, n);
            m.readInts(ia, i2, 2, n);
            m.readDoubles(da, d2, 2, n);
            for (int i = 0; i < n; i++) {
                if (l2[2 + i] != longs[5 + i] || i2[2 + i] != ints[5 + i] || d2[2 + i] != doubles[5 + i]) {
                    bad.append(" bulk").append(i);
                }
            }
            String refused;
            try {
                m.readLongs(a + (long) PAGES * AddressSpace.PAGE_SIZE - 16, l2, 0, 4); // runs off the mapping's end
                refused = "no";
            } catch (SegmentationFault e) {
                refused = "yes";
            }
            ctx.out().println("mismatches:" + (bad.isEmpty() ? " none" : bad) + " refused " + refused
                    + " untouched " + (l2[0] == 0 && l2[1] == 0));
            return 0;
        }
    }

    private LocalCluster thread;
    private LocalCluster process;

    private static LocalCluster cluster(ProcessorMode mode) {
        ExCacheConfig cache = new ExCacheConfig(16 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 3);
        LocalCluster c = LocalCluster.start(LocalCluster.Spec.defaults().withCounts(1, 1, 1)
                        .withProcessor(new ProcessorConfig(2, cache, 16, 2000, mode, 64L << 20)),
                Map.of("bulk", BulkCopies.class));
        c.createVNode("b");
        return c;
    }

    @BeforeAll
    void start() {
        thread = cluster(ProcessorMode.THREAD);
        if (HostSupport.decide(ProcessorMode.AUTO).mode() == ProcessorMode.PROCESS) {
            process = cluster(ProcessorMode.PROCESS);
        }
    }

    @AfterAll
    void stop() {
        for (LocalCluster c : new LocalCluster[] {thread, process}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorMode.class, names = {"THREAD", "PROCESS"})
    void typedBulkCopiesRoundTripAcrossPagesAndEvictions(ProcessorMode mode) throws Exception {
        LocalCluster c = mode == ProcessorMode.THREAD ? thread : process;
        Assumptions.assumeTrue(c != null, "no process mode on this host");
        var r = c.run("b", "bulk");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout().strip()).isEqualTo("mismatches: none refused yes untouched true");
    }
}
