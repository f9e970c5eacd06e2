package org.legoos.eval;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A table that prints as aligned text (terminal: columns two spaces apart, no cell padded at the end of a line), as
 * Markdown (docs/PERFORMANCE.md) and as CSV (for plotting elsewhere). Column names starting with '>' are
 * right-aligned (numbers). Used by {@code lego bench} and by the {@code lego} commands that print tables
 * ({@code status}, {@code ps}...). Not thread-safe.
 */
public final class ResultTable {
    private final String title;
    private final String[] header;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    /** @param title printed above the table, or null for none */
    public ResultTable(String title, String... header) {
        this.title = title;
        this.header = new String[header.length];
        this.right = new boolean[header.length];
        for (int i = 0; i < header.length; i++) {
            right[i] = header[i].startsWith(">");
            this.header[i] = right[i] ? header[i].substring(1) : header[i];
        }
    }

    public ResultTable row(Object... cells) {
        if (cells.length != header.length) {
            throw new IllegalArgumentException("row of " + cells.length + " cells for " + header.length + " columns");
        }
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    public String title() {
        return title;
    }

    public int size() {
        return rows.size();
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Aligned text with the title above it. */
    public void print(PrintStream out) {
        int[] w = widths();
        if (title != null) {
            out.println(title);
        }
        out.println(line(header, w, "  "));
        for (String[] r : rows) {
            out.println(line(r, w, "  "));
        }
        out.flush();
    }

    /** A Markdown table (no title). */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (boolean r : right) {
            b.append(r ? "---:|" : "---|");
        }
        b.append('\n');
        for (String[] r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return b.toString();
    }

    /** Writes RFC 4180 CSV: header then rows. */
    public void writeCsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append(csvLine(header));
        for (String[] r : rows) {
            b.append(csvLine(r));
        }
        Files.writeString(file, b, StandardCharsets.UTF_8);
    }

    private static String csvLine(String[] cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i];
            if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\n') >= 0) {
                c = '"' + c.replace("\"", "\"\"") + '"';
            }
            b.append(i == 0 ? "" : ",").append(c);
        }
        return b.append("\r\n").toString();
    }

    private int[] widths() {
        int[] w = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            w[i] = header[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        return w;
    }

    private String line(String[] cells, int[] w, String sep) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            String pad = " ".repeat(w[i] - cells[i].length());
            b.append(i == 0 ? "" : sep).append(right[i] ? pad + cells[i] : (i == cells.length - 1 ? cells[i] : cells[i] + pad));
        }
        return b.toString();
    }
}
