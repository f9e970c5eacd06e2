package org.legoos.node.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.node.cluster.ManagerNode;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.node.config.ConfigException;
import org.legoos.node.config.LegoConfig;
import org.legoos.processor.client.ProcessClient;
import org.legoos.testkit.Await;

/** The dashboard's HTTP side without a browser: the token, the JSON API over a mutual-TLS cluster, bad configuration. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardServerTest {
    static LegoConfig config(Path dir) {
        return LegoConfig.defaults()
                .with("dashboard.listen", "127.0.0.1:0")
                .with("dashboard.tokenFile", dir.resolve("dashboard.token").toString())
                .with("manager.heartbeatTimeout", "10s").with("manager.reportInterval", "100ms")
                .with("manager.joinTimeout", "10s")
                .with("processor.excacheBytes", "1MiB").with("processor.excacheWays", "16").with("processor.cores", "2")
                .with("processor.excachePrefetchPages", "0")
                .with("memory.capacityBytes", "64MiB").with("memory.vregionBytes", "1MiB").with("memory.workers", "2")
                .with("memory.bufferCacheBytes", "4MiB");
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static HttpResponse<String> get(String url, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GETs {@code url} until its answer has status 200 and contains {@code text} (a loaded processor may answer PM_PS late). */
    static HttpResponse<String> getUntil(String url, String cookie, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            HttpResponse<String> r = get(url, cookie);
            if ((r.statusCode() == 200 && r.body().contains(text)) || System.nanoTime() - deadline > 0) {
                return r;
            }
            Thread.sleep(200);
        }
    }

    @Test
    void theTokenGuardsEveryPathAndTheApiShowsTheCluster(@TempDir Path dir) throws Exception {
        try (TcpCluster cluster = TcpCluster.start(config(dir), 1, 2, 1, Map.of("churn", Churn.class));
             var client = cluster.client()) {
            ManagerNode manager = cluster.manager();
            String url = manager.dashboardUrl();
            String token = manager.dashboardToken();
            assertThat(url).startsWith("http://127.0.0.1:").endsWith("/");
            assertThat(token).matches("[0-9a-f]{32}");
            Path tokenFile = dir.resolve("dashboard.token");
            assertThat(Files.readString(tokenFile).trim()).isEqualTo(token);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");

            for (String path : List.of("", "api/cluster", "static/dashboard.js", "api/process/1", "nothing")) {
                HttpResponse<String> r = get(url + path, null);
                assertThat(r.statusCode()).as(path).isEqualTo(401);
                assertThat(r.body()).contains("token");
                assertThat(get(url + path + "?token=" + "0".repeat(32), null).statusCode()).as(path).isEqualTo(401);
                assertThat(get(url + path, DashboardServer.COOKIE + "=" + token.substring(1) + "x").statusCode()).isEqualTo(401);
            }
            // the token once in the URL: a cookie, and the same page without the token
            HttpResponse<String> first = get(url + "?token=" + token, null);
            assertThat(first.statusCode()).isEqualTo(302);
            assertThat(first.headers().firstValue("Location")).hasValue("/");
            String setCookie = first.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(setCookie).startsWith(DashboardServer.COOKIE + "=" + token).contains("HttpOnly").contains("SameSite=Strict");
            String cookie = DashboardServer.COOKIE + "=" + token;
            HttpResponse<String> page = get(url, cookie);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("/static/dashboard.js");
            assertThat(page.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(get(url + "static/dashboard.js", cookie).body()).contains("clusterView");
            assertThat(get(url + "static/other.js", cookie).statusCode()).isEqualTo(404);

            client.createVNode("w", 0, 0);
            var files = client.files("w");
            files.create("/input.txt", true);
            files.write("/input.txt", 0, ByteBuffer.wrap("to be or not to be\n".getBytes(StandardCharsets.UTF_8)));
            files.close("/input.txt");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ProcessClient.Running churn = client.processes().start("w", "churn", List.of(), out, OutputStream.nullOutputStream());
            Await.until("churn runs", Duration.ofSeconds(60), () -> out.toString(StandardCharsets.UTF_8).contains("running"));
            long pid = churn.pid();

            // over mutual TLS, the manager asks the processor (PM_PS) and the storage component (P2S_READDIR)
            String cluster1 = getUntil(url + "api/cluster", cookie, "\"pid\":" + pid).body();
            assertThat(cluster1).contains("\"role\":\"processor\"").contains("\"role\":\"memory\"").contains("\"role\":\"storage\"")
                    .contains("\"state\":\"alive\"").contains("\"pid\":" + pid).contains("\"program\":\"churn\"")
                    .contains("\"vnode\":\"w\"");
            HttpResponse<String> process = getUntil(url + "api/process/" + pid, cookie, "\"pid\":" + pid);
            assertThat(process.statusCode()).isEqualTo(200);
            assertThat(process.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
            assertThat(process.body()).contains("\"pid\":" + pid).contains("\"misses\":").contains("\"homeMemoryNode\":");
            // its memory spread, read at its home over TLS (P2M_OWNERS, which the manager's certificate may send)
            assertThat(process.body()).contains("\"memory\":{\"home\":").contains("\"owners\":[{\"node\":")
                    .contains("\"vregions\":").doesNotContain("memoryError");
            assertThat(get(url + "api/process/999999", cookie).statusCode()).isEqualTo(404);
            assertThat(get(url + "api/process/abc", cookie).statusCode()).isEqualTo(400);
            HttpResponse<String> vnode = getUntil(url + "api/vnode/w", cookie, "\"pid\":" + pid);
            assertThat(vnode.statusCode()).isEqualTo(200);
            assertThat(vnode.body()).contains("{\"name\":\"input.txt\",\"directory\":false,\"size\":19}")
                    .contains("\"pid\":" + pid).doesNotContain("filesError");
            assertThat(get(url + "api/vnode/nope", cookie).statusCode()).isEqualTo(404);

            churn.kill();
        }
    }

    @Test
    void badConfigurationIsRefusedWithTheKeyNamed(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> config(dir).with("dashboard.listen", "nonsense").validate())
                .isInstanceOf(ConfigException.class).hasMessageContaining("dashboard.listen").hasMessageContaining("nonsense");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            LegoConfig c = config(dir).with("dashboard.listen", address).with("manager.address", "127.0.0.1:0")
                    .with("manager.stateDir", "").with("security.mode", "insecure");
            assertThatThrownBy(() -> ManagerNode.start(c))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("dashboard.listen " + address + ": cannot listen there");
        }
    }

    @Test
    void theDashboardIsOffByDefault() throws Exception {
        LegoConfig c = LegoConfig.defaults().with("manager.address", "127.0.0.1:0").with("manager.stateDir", "")
                .with("security.mode", "insecure");
        try (ManagerNode m = ManagerNode.start(c)) {
            assertThat(m.dashboardUrl()).isNull();
            assertThat(m.dashboardToken()).isNull();
        }
    }
}
