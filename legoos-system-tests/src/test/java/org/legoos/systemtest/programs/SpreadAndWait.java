package org.legoos.systemtest.programs;

import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A user program the system tests store in a vNode as a jar (like an ELF binary on disk) and run with
 * {@code lego run --vnode V /bin/spread.jar BYTES}: maps {@code BYTES} of its address space, writes every page,
 * msyncs (so the pages live on the memory components owning their vRegions), reads them back, prints
 * {@code synced <va> <bytes>} and then runs until it is killed. Exit code 3 if a page reads back wrong, 2 for bad
 * arguments.
 *
 * <p>It depends on the LegoOS/J API only, since the processor loads it in its own class loader.
 */
public final class SpreadAndWait implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        long len;
        try {
            len = Long.parseLong(args[0]);
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            ctx.err().println("usage: spread BYTES");
            return 2;
        }
        AddressSpace m = ctx.memory();
        long va = m.mmap(len);
        for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
            m.putLong(va + off, off ^ 0x5a5a5a5aL);
        }
        m.msync(va, len);
        for (long off = 0; off < len; off += AddressSpace.PAGE_SIZE) {
            if (m.getLong(va + off) != (off ^ 0x5a5a5a5aL)) {
                ctx.err().println("bad value at offset " + off);
                return 3;
            }
        }
        ctx.out().println("synced 0x" + Long.toHexString(va) + " " + len);
        ctx.out().flush();
        while (!ctx.killed()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                // a kill interrupts us; the loop condition sees it
            }
        }
        return 0;
    }
}
