package org.legoos.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lego logs NAME [-f]}: the log of a component of a cluster started by {@code lego up} ({@code
 * DIR/logs/NAME.log}: {@code manager}, {@code memory-1}, ...). {@code -f} keeps printing what is appended until
 * Ctrl-C, starting again from the top if the file is truncated. {@code lego logs PID}: what the process's processor
 * kept of its stderr (the last 64 KiB, also after it ended, for the last 64 processes that ended there).
 */
@Command(name = "logs", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the log of a component of a cluster started by 'lego up'.",
                "NAME is the component's name as 'lego up' and 'lego down' print it: manager, storage-1, memory-1, "
                + "processor-1, ... With -f it keeps printing what the component logs until Ctrl-C."})
final class LogsCommand implements Callable<Integer> {
    /** How often -f looks for more. */
    static final long POLL_MILLIS = 200;

    @Parameters(index = "0", paramLabel = "NAME|PID", description = "The component (manager, memory-1, ...) or a process's pid.")
    String name;

    @picocli.CommandLine.Mixin
    ClientOptions client = new ClientOptions();

    @Option(names = {"-f", "--follow"}, description = "Keep printing what is appended, until Ctrl-C.")
    boolean follow;

    @Option(names = {"-n", "--tail"}, paramLabel = "LINES", defaultValue = "-1",
            description = "Print only the last LINES lines first (default: the whole log).")
    int tail;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".lego",
            description = "Run directory of the cluster (default: ${DEFAULT-VALUE}).")
    Path dir;

    private final Io io;

    LogsCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws Exception {
        if (name.matches("\\d{1,18}")) {
            return processLog(Long.parseLong(name));
        }
        RunDir run = new RunDir(dir);
        Path log = run.log(name);
        if (name.contains("/") || name.contains("\\") || !Files.isRegularFile(log)) {
            List<String> known = known(run);
            throw new CliException(Lego.EXIT_FAILURE, "no component named '" + name + "' in " + run.dir()
                    + (known.isEmpty() ? " (no logs there: start a cluster with 'lego up" + (dir.equals(Path.of(".lego")) ? ""
                    : " --dir " + dir) + "')" : "; known: " + String.join(", ", known)));
        }
        long offset = tail < 0 ? 0 : tailOffset(log, tail);
        offset = copy(log, offset);
        if (!follow) {
            return Lego.EXIT_OK;
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (AutoCloseable _ = io.onInterrupt(stop::countDown)) {
            while (!stop.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                long size = Files.size(log);
                if (size < offset) {
                    io.err().println("lego logs: " + log + " was truncated; from the top");
                    offset = 0;
                }
                offset = copy(log, offset);
            }
        }
        return Lego.EXIT_OK;
    }

    /** {@code lego logs PID}: the process's stderr as its processor kept it, and how it ended. */
    private int processLog(long pid) {
        if (follow) {
            throw new CliException(Lego.EXIT_USAGE, "-f follows a component's log; for a process, 'lego run' shows its output as it comes");
        }
        org.legoos.net.protocol.pm.ProcessLog log;
        try (org.legoos.node.cluster.ClusterClient c = client.connect(io)) {
            log = c.processLog(pid);
        }
        byte[] bytes = log.stderr();
        int from = 0;
        if (tail >= 0) {
            int lines = 0;
            from = bytes.length;
            for (int i = bytes.length - 1; i >= 0; i--) {
                if (bytes[i] == '\n' && i != bytes.length - 1 && ++lines == tail) {
                    break;
                }
                from = i;
            }
            if (tail == 0) {
                from = bytes.length;
            }
        }
        if (log.truncated() && from == 0) {
            io.err().println("lego logs: pid " + pid + ": earlier output dropped; the last " + bytes.length + " bytes follow");
        }
        io.out().write(bytes, from, bytes.length - from);
        io.out().flush();
        io.err().println("lego logs: pid " + pid + (log.running() ? " is running" : " exited with code " + log.exitCode()));
        return Lego.EXIT_OK;
    }

    /** Names with a log in the run directory, sorted. */
    static List<String> known(RunDir run) throws IOException {
        Path logs = run.dir().resolve("logs");
        if (!Files.isDirectory(logs)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(logs)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".log"))
                    .map(n -> n.substring(0, n.length() - 4)).collect(java.util.stream.Collectors.toCollection(TreeSet::new))
                    .stream().toList();
        }
    }

    /** Writes the log from {@code offset} to its current end on stdout; returns the new offset. */
    private long copy(Path log, long offset) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(log)) {
            ch.position(offset);
            InputStream in = Channels.newInputStream(ch);
            long copied = in.transferTo(io.out());
            io.out().flush();
            return offset + copied;
        }
    }

    /** Where the last {@code lines} lines of the log start. */
    private static long tailOffset(Path log, int lines) throws IOException {
        if (lines == 0) {
            return Files.size(log);
        }
        try (SeekableByteChannel ch = Files.newByteChannel(log)) {
            long pos = ch.size();
            int newlines = 0;
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
            boolean first = true;
            while (pos > 0) {
                int n = (int) Math.min(buf.capacity(), pos);
                pos -= n;
                buf.clear().limit(n);
                ch.position(pos);
                while (buf.hasRemaining() && ch.read(buf) >= 0) {
                    // fill
                }
                for (int i = n - 1; i >= 0; i--) {
                    if (buf.get(i) == '\n') {
                        if (first && pos + i == ch.size() - 1) {
                            first = false;
                            continue; // the newline ending the last line
                        }
                        first = false;
                        if (++newlines == lines) {
                            return pos + i + 1;
                        }
                    } else {
                        first = false;
                    }
                }
            }
            return 0;
        }
    }
}
