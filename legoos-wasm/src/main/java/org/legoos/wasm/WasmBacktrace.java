package org.legoos.wasm;

import com.dylibso.chicory.wasm.types.NameCustomSection;
import java.util.ArrayList;
import java.util.List;

/**
 * The wasm call stack of a trap, recovered from the JVM stack trace of its exception: Chicory's compiler turns wasm
 * function {@code i} (the index in the module's function space, imports included) into a method {@code func_i} of its
 * generated classes ({@code com.dylibso.chicory.$gen.*}), so the JVM frames of those methods are the wasm frames,
 * innermost first. Names come from the module's {@code name} section when it has one (binaries linked with
 * {@code --strip-all} have none; {@code scripts/wasm-build} links with {@code --strip-debug}, which keeps it). Runs of
 * the same frame (deep recursion, a stack overflow) are folded into one line.
 *
 * <p>Functions Chicory runs in its interpreter (bodies too large for one JVM method) leave no frame of their own.
 * Stateless; thread-safe.
 */
final class WasmBacktrace {
    /** Prefix of the classes Chicory's compiler generates. */
    private static final String GENERATED = "com.dylibso.chicory.$gen.";
    private static final String FUNC = "func_";
    /** Lines printed at most; the rest is summarised. */
    static final int MAX_LINES = 40;

    private WasmBacktrace() {
    }

    /**
     * The wasm function indices on the stack of {@code t}, innermost first: from the throwable in its cause chain with
     * the most wasm frames (a stack overflow's own trace is deeper than that of the exception Chicory wraps it in).
     */
    static List<Integer> functions(Throwable t) {
        List<Integer> best = List.of();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            List<Integer> frames = new ArrayList<>();
            for (StackTraceElement e : c.getStackTrace()) {
                int f = functionIndex(e);
                if (f >= 0) {
                    frames.add(f);
                }
            }
            if (frames.size() > best.size()) {
                best = frames;
            }
        }
        return best;
    }

    /** The wasm function index of a JVM frame of compiled wasm, or -1 for any other frame. */
    static int functionIndex(StackTraceElement e) {
        String m = e.getMethodName();
        if (!m.startsWith(FUNC) || !e.getClassName().startsWith(GENERATED)) {
            return -1;
        }
        try {
            return Integer.parseInt(m, FUNC.length(), m.length(), 10);
        } catch (NumberFormatException notOurs) {
            return -1;
        }
    }

    /**
     * The backtrace as lines {@code "  #k func[i] name"}, innermost first, repeated frames folded ({@code "(x N)"}).
     * Empty if the stack holds no compiled wasm frame.
     */
    static List<String> format(Throwable t, NameCustomSection names) {
        List<Integer> frames = functions(t);
        List<String> lines = new ArrayList<>();
        int k = 0;
        for (int i = 0; i < frames.size(); ) {
            int f = frames.get(i);
            int run = 1;
            while (i + run < frames.size() && frames.get(i + run) == f) {
                run++;
            }
            if (lines.size() == MAX_LINES) {
                lines.add("  ... " + (frames.size() - i) + " more frames");
                break;
            }
            String name = names == null ? null : names.nameOfFunction(f);
            lines.add("  #" + k + " func[" + f + "]" + (name == null ? "" : " " + name)
                    + (run > 1 ? " (x " + run + ")" : ""));
            k += run;
            i += run;
        }
        return lines;
    }
}
