package org.legoos.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.legoos.node.cluster.ComponentNode;
import org.legoos.node.cluster.ManagerNode;
import org.legoos.node.cluster.NodeRole;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code lego manager|processor|memory|storage}: runs one component of a cluster in the foreground over TCP until
 * SIGTERM or Ctrl-C, then leaves cleanly. Prints one "ready" line on stdout once it serves; logs one line per event
 * that matters (join, leave, dead, placement) on stderr, at INFO unless {@code LEGO_LOG} says otherwise.
 */
abstract class ComponentCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    private final Io io;
    private final NodeRole role;
    private final CountDownLatch stopped = new CountDownLatch(1);

    ComponentCommand(Io io, NodeRole role) {
        this.io = io;
        this.role = role;
    }

    NodeRole role() {
        return role;
    }

    @Override
    public Integer call() throws Exception {
        LegoConfig cfg = config.resolve();
        if (io.isSystem() && System.getenv("LEGO_LOG") == null) {
            logAtInfo();
        }
        AutoCloseable node;
        String ready;
        if (role == NodeRole.MANAGER) {
            ManagerNode m = ManagerNode.start(cfg);
            node = m;
            ready = "manager ready at " + m.address() + " (state " + (cfg.get(ConfigKeys.MANAGER_STATE_DIR) == null ? "in memory only"
                    : "in " + cfg.get(ConfigKeys.MANAGER_STATE_DIR)) + ")" + (m.metricsUrl() == null ? "" : ", metrics " + m.metricsUrl())
                    + (m.dashboardUrl() == null ? "" : ", dashboard " + m.dashboardUrl() + " (token in "
                    + cfg.get(ConfigKeys.DASHBOARD_TOKEN_FILE) + ")");
        } else {
            ComponentNode c = ComponentNode.start(role, cfg);
            node = c;
            ready = role.wireName() + " node " + c.nodeId() + " ready at " + c.address() + " (manager "
                    + cfg.get(ConfigKeys.MANAGER_ADDRESS) + ")" + (c.metricsUrl() == null ? "" : ", metrics " + c.metricsUrl());
        }
        try (AutoCloseable _ = io.onInterrupt(() -> stop(node))) {
            io.out().println(ready);
            io.out().flush();
            stopped.await();
        } finally {
            stop(node);
        }
        return Lego.EXIT_OK;
    }

    private void stop(AutoCloseable node) {
        try {
            node.close();
        } catch (Exception e) {
            io.err().println("lego: stopping " + role.wireName() + ": " + e.getMessage());
        } finally {
            stopped.countDown();
        }
    }

    /** Waits until the component has stopped (for tests). */
    void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    private static void logAtInfo() {
        org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(ch.qos.logback.classic.Level.INFO);
        }
    }

    @Command(name = "manager", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
            description = {"Runs the global managers (GPM, GMM, GSM) in the foreground.",
                "Listens on manager.address and keeps the membership table and the vNode registry. With "
                + "manager.stateDir set, vNodes and component registrations survive a restart. Prints one 'ready' line "
                + "on stdout, logs joins, deaths and placements on stderr, and stops cleanly on SIGTERM or Ctrl-C."})
    static final class Manager extends ComponentCommand {
        Manager(Io io) {
            super(io, NodeRole.MANAGER);
        }
    }

    @Command(name = "processor", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
            description = {"Runs a processor component (process monitor, ExCache) in the foreground.",
                "Joins the manager at manager.address (waiting up to manager.joinTimeout for it) and runs the "
                + "processes the GPM places here; their memory lives on memory components, cached in an ExCache of "
                + "processor.excacheBytes. Stops cleanly on SIGTERM or Ctrl-C."})
    static final class Processor extends ComponentCommand {
        Processor(Io io) {
            super(io, NodeRole.PROCESSOR);
        }
    }

    @Command(name = "memory", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
            description = {"Runs a memory component (vRegion owner, process home, buffer cache) in the foreground.",
                "Joins the manager at manager.address; from then on the GMM gives it new vRegions, process homes and "
                + "vNode file caches. Stops cleanly on SIGTERM or Ctrl-C."})
    static final class Memory extends ComponentCommand {
        Memory(Io io) {
            super(io, NodeRole.MEMORY);
        }
    }

    @Command(name = "storage", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
            description = {"Runs a storage component (stateless file service) in the foreground.",
                "Joins the manager at manager.address and keeps one directory per vNode under storage.root; from then "
                + "on the GSM may give it new vNodes. Stops cleanly on SIGTERM or Ctrl-C."})
    static final class Storage extends ComponentCommand {
        Storage(Io io) {
            super(io, NodeRole.STORAGE);
        }
    }
}
