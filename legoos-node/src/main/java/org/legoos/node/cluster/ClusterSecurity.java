package org.legoos.node.cluster;

import java.nio.file.Path;
import java.util.List;
import org.legoos.api.security.Role;
import org.legoos.api.security.SecurityMode;
import org.legoos.net.security.CertificateNames;
import org.legoos.net.security.ClusterCa;
import org.legoos.net.security.ClusterTls;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;

/**
 * How a process of a cluster takes its security settings ({@code security.*}) to the TCP transport: the TLS identity
 * it presents, or none in insecure mode. Also creates a cluster's certificates where one command must set up a whole
 * cluster ({@code lego up}, {@link TcpCluster}).
 */
public final class ClusterSecurity {
    /** The identity a client presents unless told otherwise. */
    public static final String DEFAULT_CLIENT_IDENTITY = "admin";

    private ClusterSecurity() {
    }

    /**
     * The TLS identity this process presents: {@code security.identity}, else {@code defaultIdentity}; null in
     * insecure mode.
     *
     * @throws org.legoos.net.security.SecurityConfigException naming what is missing or wrong in {@code security.dir}
     */
    public static ClusterTls tls(LegoConfig config, String defaultIdentity) {
        return load(config, defaultIdentity, true);
    }

    /**
     * {@link #tls} for a short-lived client ({@code lego status}, {@code lego run}): the JDK's TLS, not BoringSSL,
     * whose native library costs a JVM about a second to load, more than a client's whole conversation.
     */
    public static ClusterTls clientTls(LegoConfig config, String defaultIdentity) {
        return load(config, defaultIdentity, false);
    }

    private static ClusterTls load(LegoConfig config, String defaultIdentity, boolean preferOpenSsl) {
        if (config.get(ConfigKeys.SECURITY_MODE) == SecurityMode.INSECURE) {
            return null;
        }
        return ClusterTls.load(config.get(ConfigKeys.SECURITY_DIR), identity(config, defaultIdentity), preferOpenSsl);
    }

    /** {@code security.identity}, else {@code defaultIdentity}. */
    public static String identity(LegoConfig config, String defaultIdentity) {
        String id = config.get(ConfigKeys.SECURITY_IDENTITY);
        return id == null || id.isEmpty() ? defaultIdentity : id;
    }

    /**
     * Creates, in {@code dir}, the CA if there is none and every identity of {@code components} (on {@code hosts}) and
     * the {@value #DEFAULT_CLIENT_IDENTITY} operator that is not there yet: what one command needs to start a whole
     * cluster on this machine. Existing files are kept, so a cluster restarted from the same directory keeps its
     * identity.
     */
    public static void provision(Path dir, List<String> hosts, List<NamedRole> components) {
        ClusterCa ca = ClusterCa.in(dir);
        if (!ca.exists()) {
            ca.create(Long.toHexString(new java.security.SecureRandom().nextLong() >>> 16)); // names it apart from others
        }
        for (NamedRole c : components) {
            if (!java.nio.file.Files.exists(CertificateNames.certificate(dir, c.name()))) {
                ca.issue(c.name(), c.role(), hosts, List.of(), ClusterCa.DEFAULT_VALIDITY);
            }
        }
        if (!java.nio.file.Files.exists(CertificateNames.certificate(dir, DEFAULT_CLIENT_IDENTITY))) {
            ca.issue(DEFAULT_CLIENT_IDENTITY, Role.OPERATOR, List.of(), List.of(), ClusterCa.DEFAULT_VALIDITY);
        }
    }

    /**
     * Goes once through what a client's TLS start-up does (parse the certificates and key, check them, build the TLS
     * contexts) on a throw-away CA, so that a run recording the CLI's AOT cache ({@code lego}'s launcher) records
     * those classes too: they are most of a TLS client's start-up.
     */
    public static void warmUp() {
        Path dir = null;
        try {
            dir = java.nio.file.Files.createTempDirectory("lego-tls-warmup");
            provision(dir, List.of("127.0.0.1"), List.of(new NamedRole("warm", Role.MEMORY)));
            ClusterTls client = ClusterTls.load(dir, DEFAULT_CLIENT_IDENTITY, false);
            client.client();
            client.jdkClient();
            ClusterTls.load(dir, "warm", false).server();
        } catch (java.io.IOException | RuntimeException e) {
            // only a warm-up: the real run reports any real problem
        } finally {
            if (dir != null) {
                try (var walk = java.nio.file.Files.walk(dir)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (java.io.IOException ignored) {
                    // a temporary directory
                }
            }
        }
    }

    /** An identity to provision. */
    public record NamedRole(String name, Role role) {
    }

    /** The default identity of a component of {@code role} started by hand: its role's name. */
    public static String defaultIdentity(NodeRole role) {
        return role.wireName();
    }
}
