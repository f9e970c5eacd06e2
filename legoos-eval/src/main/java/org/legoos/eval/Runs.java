package org.legoos.eval;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.legoos.examples.workload.Workload;
import org.legoos.processor.client.ProcessClient;

/** Runs one program through a {@link ProcessClient} with a time limit: for both deployments and the micro drivers. */
public final class Runs {
    /** How long a killed process gets to report its exit. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(30);

    /**
     * How a run ended.
     *
     * @param error why the process died, from its processor (empty if it exited by itself)
     * @param seconds wall time; the limit if it {@code timedOut}
     */
    public record Finished(int exitCode, String stdout, String stderr, String error, double seconds, boolean timedOut) {
    }

    private Runs() {
    }

    /**
     * Starts {@code program args} in {@code vnode}, waits up to {@code limit}, and kills it if it is still running.
     *
     * @throws IllegalStateException if a killed process does not report its exit within 30 s
     */
    public static Finished run(ProcessClient client, String vnode, String program, List<String> args, Duration limit)
            throws InterruptedException {
        return run(client, vnode, program, args, limit, () -> { });
    }

    /**
     * {@link #run}, calling {@code beforeKill} when the program ran past {@code limit}, before it is killed (to record
     * what the cluster was doing: a hang's evidence dies with the process).
     */
    public static Finished run(ProcessClient client, String vnode, String program, List<String> args, Duration limit,
            Runnable beforeKill) throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        ProcessClient.Running r = client.start(vnode, program, args, out, err);
        Integer code = r.waitFor(limit);
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean timedOut = code == null;
        if (timedOut) {
            beforeKill.run();
            r.kill();
            code = r.waitFor(KILL_GRACE);
            if (code == null) {
                throw new IllegalStateException(program + " (pid " + r.pid() + ") ran past its " + limit
                        + " limit and did not exit within " + KILL_GRACE + " of being killed");
            }
            seconds = limit.toNanos() / 1e9;
        }
        return new Finished(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                r.error() == null ? "" : r.error(), seconds, timedOut);
    }

    /** {@link #run} as a workload run: its result line, no ExCache counters. */
    static RunOutcome await(ProcessClient client, String vnode, String program, List<String> args, Duration limit)
            throws InterruptedException {
        return await(client, vnode, program, args, limit, () -> { });
    }

    /** {@link #await} with a hook run before a program past its limit is killed. */
    static RunOutcome await(ProcessClient client, String vnode, String program, List<String> args, Duration limit,
            Runnable beforeKill) throws InterruptedException {
        Finished f = run(client, vnode, program, args, limit, beforeKill);
        return new RunOutcome(f.seconds(), f.exitCode(), f.timedOut() ? null : Workload.resultLine(f.stdout()), null,
                f.stderr() + f.error(), f.timedOut());
    }
}
