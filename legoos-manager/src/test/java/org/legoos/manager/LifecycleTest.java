package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.legoos.manager.TestCluster.status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.legoos.api.ComponentState;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.manager.TestCluster.Component;
import org.legoos.net.protocol.gm.MembersRequest;
import org.legoos.net.protocol.gm.PlaceProcess;
import org.legoos.net.protocol.gm.VNodeRemove;
import org.legoos.net.rpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.testkit.Await;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LifecycleTest {
    @TempDir
    Path dir;
    private TestCluster c;

    @AfterEach
    void close() {
        if (c != null) {
            c.close();
        }
    }

    @Test
    void theManagersOwnThreadMarksSilentComponentsDead() {
        c = new TestCluster(TestCluster.testConfig().withTickPeriodMillis(5));
        Component p = c.processor("p1", 4, 0);
        c.clock.addAndGet(5_000);
        Await.until("the manager's tick marks p1 no longer alive",
                () -> c.manager.member(p.id).orElseThrow().state() != ComponentState.ALIVE);
        assertThat(c.manager.member(p.id).orElseThrow().state()).isEqualTo(ComponentState.DEAD);
    }

    @Test
    void aClosedManagerRefusesRequests() {
        c = new TestCluster(TestCluster.testConfig());
        c.withBasicComponents();
        c.manager.close();
        assertThatThrownBy(() -> c.call(new MembersRequest()))
                .isInstanceOf(ComponentUnavailableException.class);
        assertThatThrownBy(() -> c.manager.placeProcess(new PlaceProcess(1, 1)))
                .isInstanceOf(ComponentUnavailableException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aFailedSaveLeavesTheStateAsItWas() throws IOException {
        c = new TestCluster(TestCluster.testConfig().withStateDir(dir));
        c.withBasicComponents();
        int vnode = c.createVNode("web").id();
        // the temporary file cannot be created while a directory has its name
        Files.createDirectory(dir.resolve(StateStore.FILE_NAME + ".tmp"));

        assertThatThrownBy(() -> c.createVNode("db"))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.IO_ERROR))
                .hasMessageContaining(dir.toString());
        assertThatThrownBy(() -> c.call(new PlaceProcess(vnode, 1)))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.IO_ERROR));
        assertThatThrownBy(() -> c.call(new VNodeRemove("web")))
                .satisfies(e -> assertThat(status(e)).isEqualTo(Status.IO_ERROR));
        assertThat(c.manager.vnodes()).hasSize(1);
        assertThat(c.manager.vnode("web").processes()).isZero();
        assertThat(c.manager.members()).hasSize(3);

        Files.delete(dir.resolve(StateStore.FILE_NAME + ".tmp"));
        assertThat(c.call(new PlaceProcess(vnode, 1)).pid()).isPositive();
        assertThat(c.createVNode("db").name()).isEqualTo("db");
        c.restartManager();
        assertThat(c.manager.vnodes()).hasSize(2);
        assertThat(c.manager.vnode("web").processes()).isEqualTo(1);
    }
}
