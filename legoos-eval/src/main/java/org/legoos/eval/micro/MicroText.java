package org.legoos.eval.micro;

import java.util.LinkedHashMap;
import java.util.Map;
import org.legoos.api.Sizes;

/**
 * Text helpers shared by the micro-benchmark programs and drivers: reading the programs' arguments and their
 * {@code key=value} result lines. Stateless and thread-safe.
 */
final class MicroText {
    private MicroText() {
    }

    /**
     * Argument {@code index} as a size ({@code 4096}, {@code 16MiB}).
     *
     * @throws IllegalArgumentException naming the argument if it is missing or not a size
     */
    static long size(String[] args, int index, String name, String usage) {
        if (index >= args.length) {
            throw new IllegalArgumentException("missing " + name + "; usage: " + usage);
        }
        try {
            return Sizes.parse(args[index]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage() + "; usage: " + usage, e);
        }
    }

    /**
     * Argument {@code index} as an integer in {@code [min, max]}.
     *
     * @throws IllegalArgumentException naming the argument if it is missing, not a number or out of range
     */
    static long number(String[] args, int index, String name, long min, long max, String usage) {
        if (index >= args.length) {
            throw new IllegalArgumentException("missing " + name + "; usage: " + usage);
        }
        long v;
        try {
            v = Long.parseLong(args[index].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + args[index] + "' is not a number; usage: " + usage, e);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    /**
     * The {@code key=value} pairs of the first line of {@code output} that has every key in {@code required}, in
     * order of appearance.
     *
     * @throws IllegalStateException quoting the output if no line has them all
     */
    static Map<String, String> findLine(String output, String... required) {
        for (String line : output.split("\\R")) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String token : line.trim().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    kv.put(token.substring(0, eq), token.substring(eq + 1));
                }
            }
            boolean all = true;
            for (String k : required) {
                all &= kv.containsKey(k);
            }
            if (all && required.length > 0) {
                return kv;
            }
        }
        throw new IllegalStateException("no line with " + String.join(", ", required) + " in the program's output:\n" + output);
    }
}
