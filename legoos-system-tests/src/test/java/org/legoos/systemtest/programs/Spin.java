package org.legoos.systemtest.programs;

import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: prints {@code spinning} and then spins on one core forever, never looking at
 * {@link LegoContext#killed()} nor sleeping, so only a real kill (SIGKILL of its task JVM) ends it.
 */
public final class Spin implements LegoProgram {
    private static volatile long sink;

    @Override
    public int main(LegoContext ctx, String[] args) {
        ctx.out().println("spinning");
        ctx.out().flush();
        long x = 1;
        while (true) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            if (x == 0) {
                sink = x; // never (in practice); keeps the loop from being removed
            }
        }
    }
}
