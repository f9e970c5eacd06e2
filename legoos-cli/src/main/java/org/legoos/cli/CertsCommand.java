package org.legoos.cli;

import java.nio.file.Path;
import java.text.SimpleDateFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.legoos.api.security.Role;
import org.legoos.net.security.ClusterCa;
import org.legoos.net.security.SecurityConfigException;
import org.legoos.node.config.ConfigKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lego certs}: the cluster's identity, as operators of CockroachDB or etcd know it: a CA, then certificates
 * for components, operators and vNode users, revocation and a listing. {@code lego up} runs the same code for its
 * own cluster, so two commands still start one.
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
        description = {"Creates the cluster's CA and issues, revokes and lists its certificates.",
                "Every TCP link of a cluster is mutual TLS 1.3 with these (security.mode: tls, the default). Components"
                        + " present a component certificate (role manager, processor, memory or storage, with the host"
                        + " names or addresses others dial them at); 'lego' clients an operator certificate (admin by"
                        + " default) or a vNode user's, which may act only inside its vNodes. Keys are written"
                        + " owner-only. 'lego up' creates what its cluster needs under its run directory."},
        subcommands = {CertsCommand.CreateCa.class, CertsCommand.CreateComponent.class, CertsCommand.CreateOperator.class,
                CertsCommand.CreateUser.class, CertsCommand.Revoke.class, CertsCommand.Publish.class,
                CertsCommand.ListCerts.class})
final class CertsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: create-ca, create-component, create-operator, create-user, revoke, publish or list");
    }

    /** Where the certificates live: --dir, else security.dir of the configuration (default .lego/certs). */
    static class DirOption {
        @Option(names = "--dir", paramLabel = "DIR",
                description = "Security directory (default: security.dir of the configuration, else .lego/certs).")
        Path dir;

        @CommandLine.Mixin
        ClientOptions client = new ClientOptions();

        ClusterCa ca() {
            Path d = dir != null ? dir : client.configuration().get(ConfigKeys.SECURITY_DIR);
            return ClusterCa.in(d);
        }
    }

    /** Runs an issuing action with the CLI's error conventions. */
    static int run(Io io, java.util.function.Supplier<String> action) {
        try {
            io.out().println(action.get());
            return Lego.EXIT_OK;
        } catch (SecurityConfigException e) {
            throw new CliException(Lego.EXIT_FAILURE, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CliException(Lego.EXIT_USAGE, e.getMessage());
        }
    }

    @Command(name = "create-ca", mixinStandardHelpOptions = true, description = "Creates the cluster's CA (once per cluster).")
    static final class CreateCa implements Callable<Integer> {
        @CommandLine.Mixin
        DirOption where = new DirOption();
        @Option(names = "--name", paramLabel = "NAME", defaultValue = "cluster", description = "Names the CA (default: ${DEFAULT-VALUE}).")
        String name;
        private final Io io;

        CreateCa(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            return run(io, () -> {
                ClusterCa ca = where.ca();
                ca.create(name);
                return "created the cluster CA in " + ca.directory() + " (its key, ca.key, signs every certificate: keep it"
                        + " on the operator's machine only)";
            });
        }
    }

    /** What issuing a certificate takes: the directory, the identity's name, a validity; the subclass adds its own. */
    abstract static class Issue implements Callable<Integer> {
        @CommandLine.Mixin
        DirOption where = new DirOption();
        @Parameters(paramLabel = "NAME", description = "The identity (NAME.crt and NAME.key), e.g. memory-3 or alice.")
        String name;
        @Option(names = "--days", paramLabel = "N", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;
        private final Io io;

        Issue(Io io) {
            this.io = io;
        }

        /** Issues the certificate with {@code ca}; returns what to tell the operator. */
        abstract String issue(ClusterCa ca, Duration validity);

        @Override
        public Integer call() {
            return run(io, () -> issue(where.ca(), Duration.ofDays(days)));
        }
    }

    @Command(name = "create-component", mixinStandardHelpOptions = true,
            description = "Issues a component certificate: NAME.crt and NAME.key, for security.identity: NAME.")
    static final class CreateComponent extends Issue {
        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "manager, processor, memory or storage.")
        String role;
        @Option(names = "--host", required = true, paramLabel = "HOST", split = ",",
                description = "Host names or IP addresses others dial it at (repeat or comma-separate).")
        List<String> hosts;

        CreateComponent(Io io) {
            super(io);
        }

        @Override
        String issue(ClusterCa ca, Duration validity) {
            Role r = Role.byWireName(role);
            if (r == null || !r.isComponent()) {
                throw new CliException(Lego.EXIT_USAGE, "--role takes manager, processor, memory or storage, got '" + role + "'");
            }
            ca.issue(name, r, hosts, List.of(), validity);
            return "issued " + r.wireName() + " certificate '" + name + "' for " + String.join(", ", hosts);
        }
    }

    @Command(name = "create-operator", mixinStandardHelpOptions = true,
            description = "Issues an operator certificate: manages vNodes and components, runs and copies anywhere.")
    static final class CreateOperator extends Issue {
        CreateOperator(Io io) {
            super(io);
        }

        @Override
        String issue(ClusterCa ca, Duration validity) {
            ca.issue(name, Role.OPERATOR, List.of(), List.of(), validity);
            return "issued operator certificate '" + name + "' (use it with --identity " + name + ")";
        }
    }

    @Command(name = "create-user", mixinStandardHelpOptions = true,
            description = "Issues a vNode user certificate: may run, list, kill and copy files only in the vNodes named.")
    static final class CreateUser extends Issue {
        @Option(names = "--vnode", required = true, paramLabel = "VNODE", split = ",", description = "vNodes it may act in.")
        List<String> vnodes;

        CreateUser(Io io) {
            super(io);
        }

        @Override
        String issue(ClusterCa ca, Duration validity) {
            ca.issue(name, Role.USER, List.of(), vnodes, validity);
            return "issued user certificate '" + name + "' for vNodes " + String.join(", ", vnodes)
                    + " (use it with --identity " + name + ")";
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revokes a certificate: every process of the cluster refuses new connections with it.")
    static final class Revoke implements Callable<Integer> {
        @CommandLine.Mixin
        DirOption where = new DirOption();
        @Parameters(paramLabel = "NAME")
        String name;
        private final Io io;

        Revoke(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            ClusterCa ca = where.ca();
            int code = run(io, () -> ca.revoke(name) ? "revoked '" + name + "'" : "'" + name + "' was revoked already");
            publish(where, ca, io, true);
            return code;
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Hands the manager the revocation list: it serves it and pushes it to every component.")
    static final class Publish implements Callable<Integer> {
        @CommandLine.Mixin
        DirOption where = new DirOption();
        private final Io io;

        Publish(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            publish(where, where.ca(), io, false);
            return Lego.EXIT_OK;
        }
    }

    /**
     * Publishes {@code ca}'s revocation list to the manager. After a revoke ({@code bestEffort}) an unreachable manager
     * is a note, not a failure: the list is written, and 'lego certs publish' hands it over later.
     */
    static void publish(DirOption where, ClusterCa ca, Io io, boolean bestEffort) {
        Path file = ca.directory().resolve(org.legoos.net.security.CertificateNames.CRL);
        byte[] list;
        try {
            list = java.nio.file.Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException(Lego.EXIT_FAILURE, "no revocation list in " + ca.directory() + ": nothing was revoked");
        } catch (java.io.IOException e) {
            throw new CliException(Lego.EXIT_FAILURE, "cannot read " + file + ": " + e.getMessage());
        }
        try (org.legoos.node.cluster.ClusterClient c = where.client.connect(io)) {
            c.publishRevocations(list);
            io.out().println("published the revocation list to the manager at " + c.managerAddress()
                    + ": every component refuses the revoked certificates and closes their connections");
        } catch (org.legoos.node.cluster.ClusterUnreachableException e) {
            if (!bestEffort) {
                throw e;
            }
            io.out().println("not published: " + e.getMessage() + "; once the manager runs: lego certs publish");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the certificates issued in the directory.")
    static final class ListCerts implements Callable<Integer> {
        @CommandLine.Mixin
        DirOption where = new DirOption();
        private final Io io;

        ListCerts(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            return run(io, () -> {
                SimpleDateFormat day = new SimpleDateFormat("yyyy-MM-dd");
                List<String> lines = new ArrayList<>();
                lines.add(String.format("%-20s %-10s %-11s %-8s %s", "NAME", "ROLE", "EXPIRES", "STATE", "HOSTS/VNODES"));
                for (ClusterCa.Issued i : where.ca().list()) {
                    String state = i.revoked() ? "revoked" : i.notAfter().before(new java.util.Date()) ? "expired" : "valid";
                    lines.add(String.format("%-20s %-10s %-11s %-8s %s", i.name(), i.role().wireName(), day.format(i.notAfter()),
                            state, i.role() == Role.USER ? String.join(",", i.vnodes()) : String.join(",", i.hosts())));
                }
                return String.join(System.lineSeparator(), lines);
            });
        }
    }
}
