package org.legoos.systemtest.programs;

import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * {@code TouchMemory BYTES}: maps {@code BYTES} of disaggregated memory and writes one long per page, page after page,
 * round after round, until it is killed. With {@code BYTES} larger than its processor's ExCache nearly every store
 * misses (a page fault the processor component serves from a memory component), so a processor component killed
 * under it dies mid-fault. Prints {@code touching <va> <bytes>} first and {@code round N} after each round. Exit code 2
 * for bad arguments.
 */
public final class TouchMemory implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) {
        long len;
        try {
            len = Long.parseLong(args[0]);
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            ctx.err().println("usage: TouchMemory BYTES");
            return 2;
        }
        AddressSpace m = ctx.memory();
        long va = m.mmap(len);
        ctx.out().println("touching 0x" + Long.toHexString(va) + " " + len);
        ctx.out().flush();
        for (long round = 1; !ctx.killed(); round++) {
            for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
                m.putLong(va + off, round ^ off);
            }
            ctx.out().println("round " + round);
            ctx.out().flush();
        }
        return 0;
    }
}
