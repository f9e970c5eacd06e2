package org.legoos.processor.task;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.legoos.api.ProcessorMode;
import org.legoos.task.sys.Sandbox;

/**
 * What this host offers process mode: userfaultfd ({@code Userfaultfd.probe()} answers null when usable) and Landlock
 * ABI 4+ ({@link Sandbox#landlockAbi()}). Works before the native bindings exist: a missing class or an
 * UnsupportedOperationException means "native bindings not available".
 */
public final class HostSupport {
    /** Landlock ABI that can forbid TCP bind and connect. */
    static final int MIN_LANDLOCK_ABI = 4;
    static final String NO_BINDINGS = "native bindings not available";

    /**
     * The mode a processor runs in, why, and whether its tasks may run without the sandbox (only when the native
     * bindings are missing and process mode was asked for explicitly).
     */
    public record Decision(ProcessorMode mode, String reason, boolean sandboxOptional) {
        public Decision {
            if (mode == ProcessorMode.AUTO) {
                throw new IllegalArgumentException("a decision is process or thread");
            }
        }
    }

    private HostSupport() {
    }

    /** Decides the mode for a configured {@code requested} mode. */
    public static Decision decide(ProcessorMode requested) {
        return switch (requested) {
            case THREAD -> new Decision(ProcessorMode.THREAD, "configured", false);
            case PROCESS -> {
                String lacking = lacking();
                yield new Decision(ProcessorMode.PROCESS, lacking == null ? "configured" : "configured (host: " + lacking + ")",
                        NO_BINDINGS.equals(lacking));
            }
            case AUTO -> {
                String lacking = lacking();
                yield lacking == null ? new Decision(ProcessorMode.PROCESS, "auto: userfaultfd and Landlock available", false)
                        : new Decision(ProcessorMode.THREAD, "auto: " + lacking, false);
            }
        };
    }

    /** Null if the host has what process mode needs, else what it lacks. */
    static String lacking() {
        String uffd;
        try {
            uffd = userfaultfdProbe();
        } catch (UnsupportedOperationException | LinkageError | ReflectiveOperationException e) {
            return NO_BINDINGS;
        } catch (RuntimeException e) {
            return "userfaultfd probe failed: " + e.getMessage();
        }
        if (uffd != null) {
            return "userfaultfd unusable: " + uffd;
        }
        int abi;
        try {
            abi = Sandbox.landlockAbi();
        } catch (UnsupportedOperationException | LinkageError e) {
            return NO_BINDINGS;
        } catch (RuntimeException e) {
            return "Landlock probe failed: " + e.getMessage();
        }
        if (abi < MIN_LANDLOCK_ABI) {
            return abi == 0 ? "no Landlock" : "Landlock ABI " + abi + " < " + MIN_LANDLOCK_ABI;
        }
        return Sandbox.socketFilterUnsupported();
    }

    /** {@code org.legoos.task.sys.Userfaultfd.probe()}, found reflectively: it lands with the native bindings. */
    private static String userfaultfdProbe() throws ReflectiveOperationException {
        Class<?> c = Class.forName("org.legoos.task.sys.Userfaultfd");
        Method probe = c.getMethod("probe");
        try {
            Object r = probe.invoke(null);
            return r == null ? null : r.toString();
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }
}
