package org.legoos.node.dashboard;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.legoos.api.LegoException;
import org.legoos.node.config.ConfigKeys;

/**
 * The manager's read-only web dashboard ({@code dashboard.listen}): a page of static HTML and JavaScript from this
 * jar's resources and a JSON API over a {@link ClusterView}, served by Javalin (Jetty) on a few daemon threads.
 *
 * <p>Every request must carry the access token: as {@code ?token=} once (the server then sets an HttpOnly,
 * SameSite=Strict cookie and redirects to the same page without it) or as that cookie. Anything else is answered 401.
 * The token is made here ({@link #newToken()}, 128 random bits from {@link SecureRandom}) by whoever starts the
 * manager. Thread-safe; {@link #close()} stops it.
 */
public final class DashboardServer implements AutoCloseable {
    /** The cookie holding the token. */
    public static final String COOKIE = "legoos_dashboard";
    private static final String RESOURCES = "/org/legoos/node/dashboard/";
    private static final Map<String, String> STATIC = Map.of(
            "dashboard.js", "text/javascript; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8");

    private final byte[] token;
    private Javalin app;
    private String url;
    private volatile ClusterView view;

    private DashboardServer(byte[] token) {
        this.token = token;
    }

    /** A fresh access token: 128 bits from {@link SecureRandom}, as 32 hex digits. */
    public static String newToken() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Listens at {@code listen} (host:port, port 0 for any free port); until {@link #serve} the API answers 503.
     *
     * @throws IllegalStateException naming {@code dashboard.listen} if the address cannot be bound (in use, not this
     *     host's)
     */
    public static DashboardServer start(String listen, String token) {
        if (token == null || token.length() < 32) {
            throw new IllegalArgumentException("a dashboard token has at least 128 bits (32 hex digits)");
        }
        int colon = listen.lastIndexOf(':');
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(listen.substring(colon + 1));
        if (new InetSocketAddress(host, port).isUnresolved()) {
            throw new IllegalStateException(ConfigKeys.DASHBOARD_LISTEN.id() + " " + listen + ": cannot resolve host " + host);
        }
        DashboardServer d = new DashboardServer(token.getBytes(StandardCharsets.UTF_8));
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("dashboard");
        threads.setDaemon(true);
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.threadPool = threads;
            config.routes.before(ctx -> d.authorize(ctx));
            config.routes.get("/", ctx -> d.resource(ctx, "index.html", "text/html; charset=utf-8"));
            config.routes.get("/static/{name}", ctx -> {
                String type = STATIC.get(ctx.pathParam("name"));
                if (type == null) {
                    ctx.status(404).result("no such file\n");
                } else {
                    d.resource(ctx, ctx.pathParam("name"), type);
                }
            });
            config.routes.get("/api/cluster", ctx -> d.api(ctx, v -> v.cluster()));
            config.routes.get("/api/process/{pid}", ctx -> {
                long pid;
                try {
                    pid = Long.parseLong(ctx.pathParam("pid"));
                } catch (NumberFormatException e) {
                    ctx.status(400).contentType("application/json").result("{\"error\":\"a pid is a number\"}");
                    return;
                }
                d.api(ctx, v -> v.process(pid));
            });
            config.routes.get("/api/vnode/{name}", ctx -> d.api(ctx, v -> v.vnode(ctx.pathParam("name"))));
        });
        String shownHost;
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(ConfigKeys.DASHBOARD_LISTEN.id() + " " + listen + ": cannot listen there: "
                    + cause.getMessage() + " (choose another port, port 0 for any free one, or off)", e);
        }
        shownHost = host.contains(":") ? "[" + host + "]" : host;
        if (shownHost.equals("0.0.0.0") || shownHost.equals("[::]")) {
            shownHost = "127.0.0.1";
        }
        d.app = app;
        d.url = "http://" + shownHost + ":" + app.port() + "/";
        return d;
    }

    /** From now on the API answers from {@code view}. */
    public void serve(ClusterView view) {
        this.view = view;
    }

    /** {@code http://host:port/}, with the port bound (without the token). */
    public String url() {
        return url;
    }

    /** The URL that opens the dashboard, carrying {@code token} once. */
    public static String urlWithToken(String url, String token) {
        return url + "?token=" + token;
    }

    private boolean valid(String presented) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token);
    }

    private void authorize(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        String query = ctx.queryParam("token");
        if (valid(query)) {
            ctx.header("Set-Cookie", COOKIE + "=" + query + "; Path=/; HttpOnly; SameSite=Strict");
            if (ctx.method() == io.javalin.http.HandlerType.GET && !ctx.path().startsWith("/api/")) {
                ctx.redirect(ctx.path()); // the token leaves the address bar and the history
                ctx.skipRemainingHandlers();
            }
            return;
        }
        if (!valid(ctx.cookie(COOKIE))) {
            ctx.status(401).contentType("text/plain; charset=utf-8")
                    .result("401: the dashboard needs its token: open the URL 'lego up' or 'lego dashboard' prints\n");
            ctx.skipRemainingHandlers();
        }
    }

    private void resource(Context ctx, String name, String type) throws IOException {
        try (InputStream in = DashboardServer.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                ctx.status(404).result("no such file\n");
                return;
            }
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    private void api(Context ctx, java.util.function.Function<ClusterView, String> answer) {
        ctx.contentType("application/json");
        ClusterView v = view;
        if (v == null) {
            ctx.status(503).result("{\"error\":\"starting\"}");
            return;
        }
        try {
            String body = answer.apply(v);
            if (body == null) {
                ctx.status(404).result("{\"error\":\"no such process on a live processor\"}");
            } else {
                ctx.result(body);
            }
        } catch (LegoException e) {
            ctx.status(org.legoos.net.rpc.Status.NOT_FOUND.name().equals(e.status()) ? 404 : 502)
                    .result(new Json().beginObject().field("error", e.getMessage()).endObject().toString());
        } catch (RuntimeException e) {
            ctx.status(500).result(new Json().beginObject().field("error", String.valueOf(e)).endObject().toString());
        }
    }

    /** Stops listening. Idempotent. */
    @Override
    public void close() {
        app.stop();
    }
}
