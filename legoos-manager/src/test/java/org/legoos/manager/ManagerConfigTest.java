package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 5, unit = TimeUnit.SECONDS)
class ManagerConfigTest {
    @Test
    void defaultsAreValidAndWithersChangeOneField() {
        ManagerConfig d = ManagerConfig.defaults();
        assertThat(d.stateDir()).isNull();
        ManagerConfig c = d.withMemoryPolicy(GmmPolicy.MOST_FREE_MEMORY).withStateDir(Path.of("/tmp/x"))
                .withHeartbeatTimeoutMillis(5).withTickPeriodMillis(0).withVnodeIpPool("10.1.0.0/24")
                .withDefaultMemoryQuotaBytes(7).withDefaultMaxProcesses(3).withStorageCallTimeoutMillis(9)
                .withDefaultStorageQuotaBytes(11);
        assertThat(c).isEqualTo(new ManagerConfig(GmmPolicy.MOST_FREE_MEMORY, 5, 0, Path.of("/tmp/x"), "10.1.0.0/24", 7, 3, 9,
                ManagerConfig.DEFAULT_DEAD_RETENTION_MILLIS, 11));
    }

    @Test
    void badValuesNameTheField() {
        ManagerConfig d = ManagerConfig.defaults();
        assertThatThrownBy(() -> d.withHeartbeatTimeoutMillis(0)).hasMessageContaining("heartbeatTimeoutMillis");
        assertThatThrownBy(() -> d.withTickPeriodMillis(-1)).hasMessageContaining("tickPeriodMillis");
        assertThatThrownBy(() -> d.withVnodeIpPool("nonsense")).hasMessageContaining("vnodeIpPool");
        assertThatThrownBy(() -> d.withVnodeIpPool(null)).hasMessageContaining("vnodeIpPool");
        assertThatThrownBy(() -> d.withDefaultMemoryQuotaBytes(0)).hasMessageContaining("defaultMemoryQuotaBytes");
        assertThatThrownBy(() -> d.withDefaultMaxProcesses(0)).hasMessageContaining("defaultMaxProcesses");
        assertThatThrownBy(() -> d.withDefaultStorageQuotaBytes(0)).hasMessageContaining("defaultStorageQuotaBytes");
        assertThatThrownBy(() -> d.withStorageCallTimeoutMillis(0)).hasMessageContaining("storageCallTimeoutMillis");
        assertThatThrownBy(() -> d.withMemoryPolicy(null)).hasMessageContaining("memoryPolicy");
    }
}
