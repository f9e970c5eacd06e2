package org.legoos.node.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scrape in the Prometheus text format, parsed: one {@link Sample} per series line. Strict about the lines it reads
 * (a malformed line fails the test), so a test scraping through it checks the format as well as the values.
 */
public record PrometheusText(List<Sample> samples, String contentType, String text) {
    /** One series: metric name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** GETs {@code url} (a component's {@code /metrics}) and parses the answer; fails unless it is 200. */
    public static PrometheusText scrape(String url) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("GET " + url + ": " + r.statusCode() + " " + r.body());
            }
            return parse(r.body(), r.headers().firstValue("Content-Type").orElse(""));
        }
    }

    static PrometheusText parse(String text, String contentType) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                throw new AssertionError("not a sample line: " + line);
            }
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                String body = line.substring(brace + 1, close);
                int i = 0;
                while (i < body.length()) {
                    int eq = body.indexOf('=', i);
                    int start = eq + 2; // after ="
                    StringBuilder v = new StringBuilder();
                    int j = start;
                    while (body.charAt(j) != '"') {
                        if (body.charAt(j) == '\\') {
                            j++;
                        }
                        v.append(body.charAt(j++));
                    }
                    labels.put(body.substring(i, eq), v.toString());
                    i = j + 1;
                    if (i < body.length() && body.charAt(i) == ',') {
                        i++;
                    }
                }
            } else {
                name = line.substring(0, space);
            }
            if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
                throw new AssertionError("bad metric name in: " + line);
            }
            out.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return new PrometheusText(out, contentType, text);
    }

    /** The samples of {@code name} whose labels include {@code labels} (key, value, key, value...). */
    public List<Sample> find(String name, String... labels) {
        return samples.stream().filter(s -> s.name().equals(name) && matches(s, labels)).toList();
    }

    /** The value of the one sample of {@code name} with {@code labels}; fails if there is none or several. */
    public double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + name + " " + List.of(labels) + " in:\n" + text);
        }
        return found.getFirst().value();
    }

    private static boolean matches(Sample s, String[] labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }
}
