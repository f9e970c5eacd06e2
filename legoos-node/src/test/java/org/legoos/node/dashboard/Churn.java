package org.legoos.node.dashboard;

import java.util.concurrent.TimeUnit;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Misses steadily until killed (at most three minutes): writes and reads 4 MiB page by page, over and over, through a
 * 1 MiB ExCache, pausing a little every 64 pages so that it does not hog a loaded machine. Prints "running" once.
 */
public final class Churn implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        AddressSpace m = ctx.memory();
        long len = 4L << 20;
        long va = m.mmap(len);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        boolean said = false;
        for (long round = 0; !ctx.killed() && System.nanoTime() < deadline; round++) {
            for (long off = 0; off < len && !ctx.killed(); off += AddressSpace.PAGE_SIZE) {
                m.putLong(va + off, off + round);
                if (m.getLong(va + off) != off + round) {
                    return 3;
                }
                if ((off / AddressSpace.PAGE_SIZE) % 64 == 63) {
                    Thread.sleep(5);
                }
            }
            if (!said) {
                ctx.out().println("running");
                ctx.out().flush();
                said = true;
            }
        }
        return 0;
    }
}
