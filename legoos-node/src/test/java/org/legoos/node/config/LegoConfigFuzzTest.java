package org.legoos.node.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzzing (Jazzer) of the configuration loader: any bytes as {@code lego.yaml}, read as
 * {@link LegoConfig#load} reads a file, and any {@code --set key=value} overrides after it, as {@code lego} applies
 * them. The input is the file's bytes (UTF-8 text, or refused as not UTF-8);
 * each of its lines that starts with {@value #SET} (a YAML comment, so the file stays what it was) is an override,
 * applied in order after the file.
 *
 * <p>Properties, for every input:
 * <ul>
 *   <li>the text, the overrides and {@link LegoConfig#validate()} either give a configuration or refuse with the
 *       loader's own {@link ConfigException}, whose message is one line and says where: the file (and line) for the
 *       file, the key for an override or a constraint between keys, and is not much longer than
 *       {@value ConfigException#MAX_LENGTH} characters whatever was given; never another exception or error (a
 *       NullPointerException, a ClassCastException, a stack overflow, a YAML bomb running out of memory);</li>
 *   <li>a configuration that validates gives every monitor's configuration without any exception;</li>
 *   <li>it round-trips: {@link LegoConfig#toYaml} (with and without comments) parses back to the same values, and so
 *       does every value given back as {@code --set section.key=value} and as {@code section.kebab-key}.</li>
 * </ul>
 *
 * <p>Without {@code JAZZER_FUZZ} this runs every input in {@code LegoConfigFuzzTestInputs/load/} (test resources)
 * once, as a regression test: valid configurations, YAML oddities and bombs, bad values, and the inputs that found
 * the defects fixed so far. {@code scripts/fuzz} fuzzes it.
 */
class LegoConfigFuzzTest {
    /** A line of the input that starts with this is an override: {@code #set memory.capacityBytes=2GiB}. */
    static final String SET = "#set ";
    private static final String SOURCE = "fuzz.yaml";
    private static final int MAX_OVERRIDES = 64;
    private static long inputs;
    private static long valid;

    @FuzzTest
    @Timeout(10)
    void load(byte[] input) {
        inputs++;
        String text = new String(input, StandardCharsets.UTF_8); // for messages, and the overrides once it is UTF-8
        LegoConfig c;
        try {
            c = LegoConfig.parse(input, SOURCE); // what LegoConfig.load does with the file's bytes
        } catch (ConfigException e) {
            checkMessage(e, "the file", text, true);
            return;
        } catch (Throwable t) {
            throw new AssertionError("parsing threw " + t + " instead of a ConfigException on " + show(text), t);
        }
        for (String assignment : overrides(text)) {
            try {
                c = c.withAssignment(assignment);
            } catch (ConfigException e) {
                checkMessage(e, "--set " + assignment, text, false);
                return;
            } catch (Throwable t) {
                throw new AssertionError("--set " + show(assignment) + " threw " + t + " instead of a ConfigException", t);
            }
        }
        try {
            c.validate();
        } catch (ConfigException e) {
            checkMessage(e, "validating", text, false);
            if (e.key() == null) {
                throw new AssertionError("a refused configuration does not name the key at fault: " + e.getMessage(), e);
            }
            return;
        } catch (Throwable t) {
            throw new AssertionError("validating threw " + t + " instead of a ConfigException on " + show(text), t);
        }
        try {
            c.managerConfig();
            c.processorConfig();
            c.memoryConfig();
            c.storageConfig();
        } catch (Throwable t) {
            throw new AssertionError("a configuration that validates does not make the monitors' configurations: " + t
                    + " on " + show(text), t);
        }
        roundTrip(c, text);
        valid++;
    }

    /** How much was tried: scripts/fuzz shows this line. */
    @AfterAll
    static void summary() {
        System.out.println("fuzz summary: LegoConfigFuzzTest: " + inputs + " inputs, " + valid
                + " valid configurations (round-tripped), the others refused");
    }

    /** The overrides in the text: its lines that start with {@link #SET}, at most {@link #MAX_OVERRIDES}. */
    static List<String> overrides(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.startsWith(SET) && out.size() < MAX_OVERRIDES) {
                out.add(line.substring(SET.length()));
            }
        }
        return out;
    }

    private static void checkMessage(ConfigException e, String what, String text, boolean fromFile) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            throw new AssertionError(what + " refused without a message: " + show(text), e);
        }
        if (m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0) {
            throw new AssertionError(what + " refused with a message of more than one line: " + show(m), e);
        }
        if (m.length() > ConfigException.MAX_LENGTH + SOURCE.length() + 16) {
            throw new AssertionError(what + " refused with a message of " + m.length() + " characters: "
                    + show(m.substring(0, 200)) + "...", e);
        }
        if (fromFile && !m.startsWith(SOURCE)) {
            throw new AssertionError(what + " refused without naming the file: " + show(m), e);
        }
    }

    private static void roundTrip(LegoConfig c, String text) {
        for (boolean comments : new boolean[] {false, true}) {
            String yaml = c.toYaml(comments);
            LegoConfig back;
            try {
                back = LegoConfig.parse(yaml, "written.yaml").validate();
            } catch (Throwable t) {
                throw new AssertionError("the configuration of " + show(text) + " written as YAML does not load back: "
                        + t + "\n" + yaml, t);
            }
            assertSame(c, back, "written as YAML" + (comments ? " with comments" : "") + " and read back", text);
        }
        LegoConfig camel = LegoConfig.defaults();
        LegoConfig kebab = LegoConfig.defaults();
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            String value = c.text(k);
            try {
                camel = camel.withAssignment(k.id() + "=" + value);
                kebab = kebab.with(k.optionName().substring(2), value);
            } catch (Throwable t) {
                throw new AssertionError(k.id() + " = " + show(value) + ", from " + show(text)
                        + ", is refused when given back: " + t, t);
            }
        }
        assertSame(c, camel, "given back as --set section.key=value", text);
        assertSame(c, kebab, "given back as section.kebab-key value", text);
    }

    private static void assertSame(LegoConfig expected, LegoConfig actual, String how, String text) {
        if (expected.equals(actual)) {
            return;
        }
        for (ConfigKey<?> k : ConfigKeys.ALL) {
            if (!java.util.Objects.equals(expected.get(k), actual.get(k))) {
                throw new AssertionError(k.id() + " = " + show(expected.text(k)) + " (from " + show(text) + ") " + how
                        + " is " + show(actual.text(k)));
            }
        }
        throw new AssertionError("the configuration of " + show(text) + " differs when " + how);
    }

    /** Text as a Java literal, cut at 2000 chars. */
    static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(2000).forEach(cp -> {
            if (cp == '"' || cp == '\\') {
                b.append('\\').appendCodePoint(cp);
            } else if (cp >= 0x20 && cp < 0x7F) {
                b.appendCodePoint(cp);
            } else if (cp == '\n') {
                b.append("\\n");
            } else {
                b.append(cp > 0xFFFF ? String.format("\\U%08x", cp) : String.format("\\u%04x", cp));
            }
        });
        return b.append(s.codePointCount(0, s.length()) > 2000 ? "...\"" : "\"").toString();
    }
}
