package org.legoos.processor.excache;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.legoos.processor.excache.ExCacheConfig.Policy;

/** Seeded random op sequences against the plain byte[] model (same checks as {@link ExCacheModelPropertyTest}). */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ExCacheModelTest {
    @RepeatedTest(60)
    void randomSingleThreadedOpsEqualAPlainByteArray() {
        long seed = ThreadLocalRandom.current().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        Policy policy = Policy.values()[random.nextInt(Policy.values().length)];
        int geometry = random.nextInt(SingleThreadModel.GEOMETRIES.length);
        System.out.println("randomSingleThreadedOpsEqualAPlainByteArray seed=" + seed + " policy=" + policy
                + " geometry=" + geometry);
        SingleThreadModel.check(SingleThreadModel.randomOps(random, 1 + random.nextInt(150)), policy, geometry);
    }
}
