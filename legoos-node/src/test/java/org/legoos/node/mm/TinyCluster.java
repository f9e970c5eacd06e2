package org.legoos.node.mm;

import java.util.Map;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoProgram;
import org.legoos.api.SegmentationFault;
import org.legoos.memory.MemoryConfig;
import org.legoos.node.LocalCluster;
import org.legoos.processor.ProcessorConfig;
import org.legoos.processor.excache.ExCacheConfig;

/**
 * The cluster the address-space end-to-end tests run on: a 64-line ExCache (16 sets of 4 ways), 3 memory components
 * and 64 KiB vRegions, so pages are evicted, written back and fetched again, and ranges span owners.
 */
public final class TinyCluster {
    private TinyCluster() {
    }

    static LocalCluster start(int processors, Map<String, Class<? extends LegoProgram>> programs) {
        ExCacheConfig tiny = new ExCacheConfig(64 * AddressSpace.PAGE_SIZE, 4, ExCacheConfig.Policy.FIFO, 3);
        return LocalCluster.start(LocalCluster.Spec.defaults().withCounts(processors, 3, 1)
                        .withMemory(MemoryConfig.of(1L << 30).withVregionBytes(64 << 10))
                        .withProcessor(new ProcessorConfig(2, tiny, 16, 2000)),
                programs);
    }

    /** Whether {@code access} is a segmentation fault (for the test programs' checks). */
    public static boolean faults(Runnable access) {
        try {
            access.run();
            return false;
        } catch (SegmentationFault expected) {
            return true;
        }
    }
}
