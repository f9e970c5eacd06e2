package org.legoos.net;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Property-style tests on plain JUnit: a property runs {@code tries} times, each try with its own {@link Gen}
 * split in order from one seed. The seed is {@code -Dlegoos.seed} if given, else the clock; it is printed when
 * the property starts and is in the message of any failure, with the try number and the inputs the try named,
 * so {@code -Dlegoos.seed=S -Dtest='Class#method'} replays the failing run exactly. There is no shrinking.
 *
 * <p>The calling test method bounds the whole run with JUnit's {@code @Timeout}; use
 * {@code threadMode = SEPARATE_THREAD} so a try stuck in a loop that ignores interrupts still fails at the
 * deadline. {@link #forAll} runs the tries on the calling thread, one after another.
 */
public final class Tries {
    private Tries() {
    }

    /** The property's seed: {@code -Dlegoos.seed}, else {@link System#nanoTime()}; printed with how to rerun. */
    public static long seed(String property) {
        long seed = Long.getLong("legoos.seed", System.nanoTime());
        System.out.println(property + " seed=" + seed + " (rerun with -Dlegoos.seed=" + seed + ")");
        return seed;
    }

    /**
     * Runs {@code property} {@code tries} times. A try fails by throwing; the failure is rethrown as an
     * {@link AssertionError} naming the property, the seed, the try and its inputs, with the original as cause.
     */
    public static void forAll(int tries, Consumer<Gen> property) {
        String name = caller();
        long seed = seed(name);
        SplittableRandom master = new SplittableRandom(seed);
        for (int i = 1; i <= tries; i++) {
            Gen g = new Gen(master.split());
            try {
                property.accept(g);
            } catch (Throwable t) {
                throw new AssertionError(name + " failed at try " + i + " of " + tries + " [seed=" + seed
                        + ", rerun with -Dlegoos.seed=" + seed + "]\n" + g.givenInputs() + "\n  failure: " + t, t);
            }
        }
    }

    /** "Class.method" of the test that called {@link #forAll}. */
    private static String caller() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(Tries.class.getName()))
                .findFirst()
                .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                .orElse("property"));
    }
}
