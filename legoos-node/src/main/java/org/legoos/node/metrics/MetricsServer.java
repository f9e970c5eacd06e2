package org.legoos.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.legoos.node.config.ConfigKeys;

/**
 * The HTTP endpoint of a component's metrics ({@code metrics.listen}): {@code GET /metrics} answers the Prometheus
 * text format (version 0.0.4) of whatever {@link #serve} was given, other paths 404. It binds in {@link #start}, before
 * the component joins, so a port in use fails the start at once; until {@link #serve} it answers 503.
 *
 * <p>The JDK's HTTP server on one daemon thread: a scrape is served after the previous one, so a slow scraper cannot
 * pile up work in the component. Thread-safe; {@link #close()} stops it.
 */
public final class MetricsServer implements AutoCloseable {
    /** The content type of the Prometheus text format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final String url;
    private volatile Supplier<String> scrape;

    private MetricsServer(HttpServer server, ExecutorService executor, String url) {
        this.server = server;
        this.executor = executor;
        this.url = url;
    }

    /**
     * Listens at {@code listen} (host:port, port 0 for any free port).
     *
     * @param name for the thread's name ({@code memory}, {@code manager}...)
     * @throws IllegalStateException naming {@code metrics.listen} if the address cannot be bound (in use, not this host's)
     */
    public static MetricsServer start(String listen, String name) {
        int colon = listen.lastIndexOf(':');
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(listen.substring(colon + 1));
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalStateException(ConfigKeys.METRICS_LISTEN.id() + " " + listen + ": cannot resolve host " + host);
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IllegalStateException(ConfigKeys.METRICS_LISTEN.id() + " " + listen + ": cannot listen there: "
                    + e.getMessage() + " (choose another port, port 0 for any free one, or off)", e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-" + name);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        InetSocketAddress bound = server.getAddress();
        String shownHost = bound.getAddress().getHostAddress();
        if (shownHost.contains(":")) {
            shownHost = "[" + shownHost + "]";
        }
        MetricsServer m = new MetricsServer(server, executor, "http://" + shownHost + ":" + bound.getPort() + "/metrics");
        server.createContext("/", m::handle);
        server.start();
        return m;
    }

    /** From now on {@code GET /metrics} answers {@code scrape.get()}. */
    public void serve(Supplier<String> scrape) {
        this.scrape = scrape;
    }

    /** {@code http://host:port/metrics}, with the port bound. */
    public String url() {
        return url;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            int status;
            String body;
            String type = "text/plain; charset=utf-8";
            Supplier<String> s = scrape;
            if (!ex.getRequestURI().getPath().equals("/metrics")) {
                status = 404;
                body = "metrics are at /metrics\n";
            } else if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                status = 405;
                body = "GET /metrics\n";
            } else if (s == null) {
                status = 503;
                body = "starting: not a member of the cluster yet\n";
            } else {
                try {
                    body = s.get();
                    status = 200;
                    type = CONTENT_TYPE;
                } catch (RuntimeException e) {
                    status = 500;
                    body = "cannot collect metrics: " + e + "\n";
                }
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** Stops listening at once. Idempotent. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
