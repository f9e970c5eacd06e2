package org.legoos.node.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.legoos.api.security.Role;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;

/**
 * One cluster identity for the tests of this JVM that start managers and components by hand (as an operator would
 * on several hosts): a CA and the identities components present by default ({@code manager}, {@code processor},
 * {@code memory}, {@code storage}) and the {@code admin} operator, in a temporary directory made once.
 */
public final class TestCerts {
    private static Path dir;

    private TestCerts() {
    }

    /** The directory, provisioned on first use. */
    public static synchronized Path dir() {
        if (dir == null) {
            try {
                // under the build directory, not /tmp: a test run leaves nothing behind outside the clone
                Path target = Files.createDirectories(Path.of("target"));
                dir = Files.createTempDirectory(target, "legoos-test-certs");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<ClusterSecurity.NamedRole> names = List.of(new ClusterSecurity.NamedRole("manager", Role.MANAGER),
                    new ClusterSecurity.NamedRole("processor", Role.PROCESSOR), new ClusterSecurity.NamedRole("memory", Role.MEMORY),
                    new ClusterSecurity.NamedRole("storage", Role.STORAGE));
            ClusterSecurity.provision(dir, List.of("127.0.0.1", "localhost"), names);
        }
        return dir;
    }

    /** {@code config} with security.dir pointing at {@link #dir()}. */
    public static LegoConfig with(LegoConfig config) {
        return config.with(ConfigKeys.SECURITY_DIR, dir());
    }
}
