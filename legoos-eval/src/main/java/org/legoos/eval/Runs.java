package org.legoos.eval;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.legoos.examples.workload.Workload;
import org.legoos.processor.client.ProcessClient;

/** Runs one program through a {@link ProcessClient} with a time limit, for both deployments. */
final class Runs {
    /** How long a killed process gets to report its exit. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(30);

    private Runs() {
    }

    /** Starts {@code program args} in {@code vnode}, waits up to {@code limit}, kills it if it is still running. */
    static RunOutcome await(ProcessClient client, String vnode, String program, List<String> args, Duration limit)
            throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        ProcessClient.Running r = client.start(vnode, program, args, out, err);
        Integer code = r.waitFor(limit);
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean timedOut = code == null;
        if (timedOut) {
            r.kill();
            code = r.waitFor(KILL_GRACE);
            if (code == null) {
                throw new IllegalStateException(program + " (pid " + r.pid() + ") ran past its " + limit
                        + " limit and did not exit within " + KILL_GRACE + " of being killed");
            }
            seconds = limit.toNanos() / 1e9;
        }
        String stderr = err.toString(StandardCharsets.UTF_8) + (r.error() == null ? "" : r.error());
        String stdout = out.toString(StandardCharsets.UTF_8);
        return new RunOutcome(seconds, code, timedOut ? null : Workload.resultLine(stdout), null, stderr, timedOut);
    }
}
