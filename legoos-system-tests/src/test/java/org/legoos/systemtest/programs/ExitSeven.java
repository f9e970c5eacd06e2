package org.legoos.systemtest.programs;

import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: prints {@code exiting with 7} and calls {@code System.exit(7)}, which must
 * end its own process only (in process mode its task JVM; the processor component keeps serving). The process's exit
 * code is 7.
 */
public final class ExitSeven implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) {
        ctx.out().println("exiting with 7");
        ctx.out().flush();
        System.exit(7);
        return 0; // not reached
    }
}
