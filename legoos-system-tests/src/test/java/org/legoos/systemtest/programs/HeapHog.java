package org.legoos.systemtest.programs;

import java.util.ArrayList;
import java.util.List;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: allocates (and keeps) 8 MiB arrays until its heap is exhausted. In process
 * mode its task JVM has a bounded heap and ends on the OutOfMemoryError (the processor component's heap is not
 * touched); if the error reaches the program instead, it exits 1 after printing it. Prints {@code hogging} first.
 */
public final class HeapHog implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) {
        ctx.out().println("hogging");
        ctx.out().flush();
        List<long[]> hog = new ArrayList<>();
        long total = 0;
        while (true) {
            long[] a = new long[1 << 20];
            a[a.length - 1] = total;
            hog.add(a);
            total += 8L * a.length;
            if (total > (1L << 40)) {
                ctx.out().println("allocated " + total + " bytes, " + hog.size() + " arrays, without running out of heap");
                return 0;
            }
        }
    }
}
