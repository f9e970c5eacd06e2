package org.legoos.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.legoos.api.ComponentState;
import org.legoos.api.LegoException;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.processor.client.ProcessClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lego run}: runs a program in a vNode (the GPM picks the processor, the GMM its home memory component),
 * streams its stdout and stderr here, and exits with its exit code. Ctrl-C (or SIGTERM) kills the remote process.
 * This command's stdin becomes the program's when it is not a terminal (piped or redirected), or always with
 * {@code -i}; never with {@code -n} (the program reads EOF at once).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a program in a vNode, streaming its output; exits with its exit code.",
                "PROGRAM is a bundled example (hello, wordcount, kvstore, matmul, segfault, corpus, wc) or a jar in the "
                + "vNode's file system (/apps/app.jar, or /apps/app.jar!com.example.Main), or a WebAssembly/WASI binary there "
                + "(/apps/prog.wasm, e.g. a C program built with scripts/wasm-build). Everything after PROGRAM is "
                + "passed to it. Ctrl-C kills the remote process. Exits 1 if the program cannot be started, 255 with a "
                + "message naming the component if its processor dies under it.",
                "Standard input is forwarded to the program when it is piped or redirected (not a terminal), e.g. "
                + "'lego run --vnode v wordcount < in.txt'; -i forwards a terminal too, -n never forwards (the program "
                + "reads end of input at once)."})
final class RunCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = "--vnode", required = true, paramLabel = "VNODE", description = "The vNode to run in (name or id).")
    String vnode;

    @Option(names = {"-i", "--stdin"}, description = "Forward this command's stdin to the program even from a terminal.")
    boolean forceStdin;

    @Option(names = {"-n", "--no-stdin"}, description = "Do not forward stdin: the program reads end of input at once.")
    boolean noStdin;

    @Parameters(index = "0", paramLabel = "PROGRAM", description = "Bundled program name, or vNode path of a jar or .wasm binary.")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the program.")
    List<String> args = new ArrayList<>();

    private final Io io;

    RunCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (forceStdin && noStdin) {
            throw new IllegalArgumentException("-i/--stdin and -n/--no-stdin exclude each other");
        }
        boolean forward = forceStdin || (!noStdin && !io.inIsTerminal());
        try (ClusterClient c = client.connect(io)) {
            ProcessClient.Running r = c.processes().start(vnode, program, args, forward ? io.in() : null, io.out(), io.err());
            try (AutoCloseable _ = io.onInterrupt(() -> interrupt(r))) {
                Integer code;
                while ((code = r.waitFor(Duration.ofSeconds(1))) == null) {
                    watchProcessor(c, r);
                }
                io.out().flush();
                io.err().flush();
                if (code < 0) {
                    throw new CliException(Lego.EXIT_FAILURE, "pid " + r.pid() + " is lost: " + r.error());
                }
                if (code == ProcessClient.EXIT_COMPONENT_DIED && !r.error().isEmpty()) {
                    // the process did not exit: its component died under it; say so (a program's own 255 has no error)
                    io.err().println("lego: pid " + r.pid() + " is lost: " + r.error());
                    io.err().flush();
                }
                return code;
            } catch (CliException | InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Fails the process if the manager declared its processor dead (its exit would never arrive). */
    private static void watchProcessor(ClusterClient c, ProcessClient.Running r) {
        try {
            for (ComponentInfo m : c.members()) {
                if (m.nodeId() == r.processorNode() && m.state() != ComponentState.ALIVE) {
                    c.processes().processorFailed(r.processorNode(), "its processor node " + r.processorNode() + " ("
                            + m.address() + ") is " + m.state());
                }
            }
        } catch (LegoException e) {
            // the manager is briefly unreachable: keep waiting for the exit
        }
    }

    /** Ctrl-C: kill the remote process and give its last output and exit a moment to arrive. */
    private void interrupt(ProcessClient.Running r) {
        try {
            r.kill();
            r.waitFor(Duration.ofSeconds(3));
        } catch (LegoException e) {
            io.err().println("lego: could not kill pid " + r.pid() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        io.err().flush();
    }
}
