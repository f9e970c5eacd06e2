package org.legoos.systemtest.programs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: {@code ManyThreads N} starts {@code N} platform threads (plain
 * {@code new Thread}, not the context's factory), each blocked until all have started, then releases and joins them.
 * Prints {@code started N threads} and exits 0, or, if the JVM or the host refuses a thread,
 * {@code thread limit at K: ERROR} and exits {@value #LIMITED}. 2 for bad arguments.
 */
public final class ManyThreads implements LegoProgram {
    public static final int LIMITED = 3;

    @Override
    public int main(LegoContext ctx, String[] args) throws InterruptedException {
        int n;
        try {
            n = Integer.parseInt(args[0]);
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            ctx.err().println("usage: ManyThreads N");
            return 2;
        }
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>(n);
        Throwable limit = null;
        try {
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "many-" + i);
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        } catch (OutOfMemoryError | RuntimeException e) {
            limit = e;
        }
        int started = threads.size();
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (limit != null) {
            ctx.out().println("thread limit at " + started + ": " + limit);
            return LIMITED;
        }
        ctx.out().println("started " + started + " threads");
        return 0;
    }
}
