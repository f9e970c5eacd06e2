package org.legoos.examples;

import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Demonstrates fault isolation: maps a page, stores to it, unmaps it, then loads from it. The load reaches the
 * memory component owning the address, which answers BAD_ADDRESS; the program sees a
 * {@link org.legoos.api.SegmentationFault} (uncaught, so the process exits with 139) while every component
 * of the cluster keeps running. Takes no arguments.
 */
public final class Segfault implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) {
        AddressSpace memory = ctx.memory();
        long va = memory.mmap(AddressSpace.PAGE_SIZE);
        memory.putLong(va, 42);
        ctx.out().printf("segfault: mapped a page at 0x%x and stored %d there%n", va, memory.getLong(va));
        memory.munmap(va, AddressSpace.PAGE_SIZE);
        ctx.out().printf("segfault: unmapped it; loading from 0x%x now (expect a SegmentationFault)%n", va);
        ctx.out().flush();
        long v = memory.getLong(va);
        ctx.out().printf("segfault: BUG: the load from an unmapped page returned %d%n", v);
        return 1;
    }
}
