package org.legoos.systemtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@code lego} client command did: its arguments, exit code and output.
 *
 * <p>Immutable.
 */
record CliResult(List<String> args, int exitCode, String stdout, String stderr) {

    /** Fails with the command and its output unless it exited 0; returns this. */
    CliResult ok() {
        if (exitCode != 0) {
            throw new AssertionError(this + " failed");
        }
        return this;
    }

    /**
     * The rows of a table the command printed ({@code lego status}, {@code lego ps}, {@code lego vnode list}): the
     * header line is the first line starting with {@code headerStart}; columns are separated by two or more spaces
     * (no cell holds two spaces in a row). Each row maps column name to cell.
     */
    List<Map<String, String>> table(String headerStart) {
        String[] lines = stdout.split("\n");
        int h = 0;
        while (h < lines.length && !lines[h].strip().startsWith(headerStart)) {
            h++;
        }
        if (h == lines.length) {
            throw new AssertionError("no table with header '" + headerStart + "...' in the output of " + this);
        }
        String[] names = lines[h].strip().split("\\s{2,}");
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = h + 1; i < lines.length && !lines[i].isBlank(); i++) {
            String[] cells = lines[i].strip().split("\\s{2,}");
            if (cells.length != names.length) {
                throw new AssertionError("row '" + lines[i] + "' does not have the " + names.length + " columns of "
                        + List.of(names) + " in " + this);
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < names.length; c++) {
                row.put(names[c], cells[c]);
            }
            rows.add(row);
        }
        return rows;
    }

    @Override
    public String toString() {
        return "lego " + String.join(" ", args) + " (exit " + exitCode + ")\n--- stdout:\n" + clip(stdout) + "--- stderr:\n"
                + clip(stderr);
    }

    private static String clip(String s) {
        String t = s.length() > 4000 ? s.substring(0, 2000) + "\n[...]\n" + s.substring(s.length() - 2000) : s;
        return t.endsWith("\n") || t.isEmpty() ? t : t + "\n";
    }
}
