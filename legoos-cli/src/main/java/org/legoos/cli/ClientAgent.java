package org.legoos.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.legoos.net.security.ClusterTls;
import org.legoos.node.cluster.ClusterClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client agent: one warm JVM per run directory that runs client commands ({@code lego run}, {@code status},
 * {@code ps}, {@code cp}, ...) for the {@code lego} launcher, over one TLS connection per cluster and identity kept
 * open between commands. A command then costs the launcher a few loopback connections instead of a JVM start, a key
 * load and a TLS handshake (about 0.9 s of a {@code lego run hello} here).
 *
 * <p>The launcher starts the agent in the background the first time a client command runs in a directory with a
 * {@code .lego/} run directory, and uses it from the next command on; {@code lego down}, an idle period, a rebuilt
 * {@code lego.jar} or a removed agent file end it. It listens on 127.0.0.1 only, and its port and a random secret are
 * in {@code .lego/agent} (readable by its owner alone): whoever can read that file can already read the certificates
 * next to it. It runs commands in its own working directory, which is the launcher's (the agent of another directory
 * refuses), so relative paths mean what they mean to a JVM started there.
 *
 * <p>The protocol, written by a bash launcher with {@code /dev/tcp} and {@code printf}: every connection starts with
 * NUL-terminated fields, {@link #PROTOCOL}, the secret, and a kind:
 * <ul>
 *   <li>{@code run}, stdin ({@code tty} or {@code pipe}), stderr ({@code tty} or {@code pipe}), the terminal's width in
 *       columns for usage help ({@code 0}: unknown, 80 then), the working directory, the argument count, the arguments:
 *       the agent answers {@code OK <id>} (a line) and waits for the launcher to
 *       connect the command's stdout and stderr; {@code REFUSED} or {@code ELSEWHERE} (a line) mean "run it
 *       yourself", before anything ran. While the command runs the agent may send {@code IN} (the command reads its
 *       stdin: connect it) and the launcher may send {@code KILL} (Ctrl-C or SIGTERM: the command's interrupt
 *       actions run, as a JVM's shutdown hooks would); a launcher that goes away counts as a {@code KILL}. When the
 *       command is done, the agent closes its stdout and stderr and sends {@code EXIT <code>}.</li>
 *   <li>{@code out} / {@code err}, the id: this connection carries the command's stdout / stderr, raw bytes, until the
 *       agent closes it.</li>
 *   <li>{@code in}, the id: this connection carries the command's stdin, raw bytes, until the launcher closes it.</li>
 *   <li>{@code stop}: the agent answers {@code STOPPED} and exits.</li>
 * </ul>
 * A wrong protocol or secret gets {@code DENIED} and nothing else.
 */
final class ClientAgent implements Closeable {
    static final String PROTOCOL = "lego-agent/2";

    /** The agent's port, secret and pid, in the run directory. */
    static final String FILE = "agent";

    /**
     * The commands the agent runs: those that only talk to the cluster and print (never start or stop components), and
     * help and version.
     */
    static final Set<String> COMMANDS = Set.of("run", "status", "ps", "kill", "ls", "cat", "cp", "rm", "vnode",
            "help", "--help", "-h", "--version", "-V");

    /** The widest terminal the agent lays help out for; a wider claim is refused as garbage. */
    private static final int MAX_COLUMNS = 10_000;

    /** How long the launcher has to connect a command's streams after {@code OK}. */
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(10);

    /** The longest field the agent reads (a path, an argument): bounds what a confused peer can make it buffer. */
    private static final int MAX_FIELD = 1 << 20;
    private static final int MAX_ARGS = 4096;

    private static final Logger log = LoggerFactory.getLogger(ClientAgent.class);

    private final Path runDir;
    private final Path cwd;
    private final ServerSocket server;
    private final byte[] secret;
    private final Duration idle;
    private final FileLock lock;
    private final Connections connections = new Connections();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong lastActive = new AtomicLong(System.nanoTime());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    private ClientAgent(Path runDir, Path cwd, ServerSocket server, byte[] secret, Duration idle, FileLock lock) {
        this.runDir = runDir;
        this.cwd = cwd;
        this.server = server;
        this.secret = secret;
        this.idle = idle;
        this.lock = lock;
    }

    /**
     * Starts the agent of {@code runDir} (listening, its file written), commands running in {@code cwd}; empty if
     * another agent of that directory runs (the first one's file stands).
     */
    static Optional<ClientAgent> start(Path runDir, Path cwd, Duration idle) throws IOException {
        Files.createDirectories(runDir);
        FileChannel lockFile = FileChannel.open(runDir.resolve(FILE + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // this JVM holds it: another agent of this directory runs here
        }
        if (lock == null) {
            lockFile.close();
            return Optional.empty();
        }
        ServerSocket server = null;
        try {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            ClientAgent agent = new ClientAgent(runDir, cwd.toAbsolutePath().normalize(), server, secret, idle, lock);
            agent.writeFile();
            return Optional.of(agent);
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            lock.release();
            lockFile.close();
            throw e;
        }
    }

    /** {@code port secret pid}, one line, owner-only, replaced atomically (a launcher never reads half of it). */
    private void writeFile() throws IOException {
        Path file = runDir.resolve(FILE);
        Path tmp = runDir.resolve(FILE + "." + ProcessHandle.current().pid() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + tmp, e);
        }
        Files.writeString(tmp, port() + " " + HexFormat.of().formatHex(secret) + " " + ProcessHandle.current().pid() + "\n");
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    int port() {
        return server.getLocalPort();
    }

    /** The secret, as the agent file has it. */
    String secretHex() {
        return HexFormat.of().formatHex(secret);
    }

    /**
     * Serves until stopped: by a {@code stop} request, after {@code idle} without a command, or when its file no
     * longer names it (removed, or another agent's).
     */
    void serve() {
        Thread.ofPlatform().daemon().name("agent-watch").start(this::watch);
        while (!closed.get()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    log.warn("agent: accept failed, stopping: {}", e.toString());
                    close();
                }
                break;
            }
            Thread.ofVirtual().name("agent-conn").start(() -> handle(s));
        }
        stopped.join();
    }

    private void watch() {
        String mine = port() + " " + secretHex() + " ";
        while (!closed.get()) {
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            }
            String why = null;
            if (running.get() == 0 && System.nanoTime() - lastActive.get() > idle.toNanos()) {
                why = "idle for " + idle.toSeconds() + " s";
            } else {
                try {
                    if (!Files.readString(runDir.resolve(FILE)).startsWith(mine)) {
                        why = "its file names another agent";
                    }
                } catch (IOException e) {
                    why = "its file is gone";
                }
            }
            if (why != null) {
                log.info("agent: stopping ({})", why);
                close();
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            String protocol = field(in);
            String given = field(in);
            if (!PROTOCOL.equals(protocol) || !MessageDigest.isEqual(given.getBytes(StandardCharsets.US_ASCII),
                    secretHex().getBytes(StandardCharsets.US_ASCII))) {
                line(s, "DENIED");
                return;
            }
            String kind = field(in);
            switch (kind) {
                case "run" -> run(s, in);
                case "out", "err", "in" -> {
                    Session session = sessions.get(field(in));
                    if (session == null) {
                        return;
                    }
                    if (kind.equals("in")) {
                        session.stdin = in; // what it read past the request's fields is the stdin's first bytes
                    }
                    CompletableFuture<Socket> slot = kind.equals("out") ? session.out : kind.equals("err") ? session.err : session.in;
                    if (slot.complete(s)) {
                        session.done.join(); // the session owns the socket until its command is done
                    }
                }
                case "stop" -> {
                    line(s, "STOPPED");
                    close();
                }
                default -> line(s, "DENIED");
            }
        } catch (IOException e) {
            log.debug("agent: connection ended: {}", e.toString());
        } catch (RuntimeException e) {
            log.warn("agent: connection failed", e);
        }
    }

    private void run(Socket control, InputStream in) throws IOException {
        boolean inTty = "tty".equals(field(in));
        boolean errTty = "tty".equals(field(in));
        String columnsField = field(in);
        String dir = field(in);
        int argc;
        int columns;
        try {
            argc = Integer.parseInt(field(in));
            columns = Integer.parseInt(columnsField);
        } catch (NumberFormatException e) {
            line(control, "DENIED");
            return;
        }
        if (argc < 1 || argc > MAX_ARGS || columns < 0 || columns > MAX_COLUMNS) {
            line(control, "DENIED");
            return;
        }
        String[] args = new String[argc];
        for (int i = 0; i < argc; i++) {
            args[i] = field(in);
        }
        if (!sameDirectory(dir)) {
            line(control, "ELSEWHERE");
            return;
        }
        if (!COMMANDS.contains(args[0])) {
            line(control, "REFUSED");
            return;
        }
        Session session = new Session(Integer.toString(nextId.incrementAndGet()), control);
        running.incrementAndGet();
        sessions.put(session.id, session);
        try {
            line(control, "OK " + session.id);
            Socket out;
            Socket err;
            try {
                out = session.out.get(ATTACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                err = session.err.get(ATTACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException | InterruptedException e) {
                log.warn("agent: the launcher of '{}' did not connect its output in {} s", args[0], ATTACH_TIMEOUT.toSeconds());
                return;
            }
            Thread.ofVirtual().name("agent-control").start(() -> session.listen(in));
            int code = session.run(args, inTty, errTty, columns, out, err);
            line(control, "EXIT " + code);
        } finally {
            sessions.remove(session.id);
            session.done.complete(null);
            session.in.complete(null);
            closeQuietly(session.in.getNow(null));
            lastActive.set(System.nanoTime());
            running.decrementAndGet();
        }
    }

    /** Whether the launcher's working directory is the agent's (symbolic links resolved: bash keeps them in $PWD). */
    private boolean sameDirectory(String dir) {
        try {
            return Path.of(dir).toRealPath().equals(cwd.toRealPath());
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** One command: its connections, its interrupt actions, the thread that runs it. */
    private final class Session {
        final String id;
        final Socket control;
        final CompletableFuture<Socket> out = new CompletableFuture<>();
        final CompletableFuture<Socket> err = new CompletableFuture<>();
        final CompletableFuture<Socket> in = new CompletableFuture<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final List<Runnable> hooks = new CopyOnWriteArrayList<>();
        final AtomicBoolean interrupted = new AtomicBoolean();
        volatile Thread thread;
        /** The stdin connection's stream, set before {@link #in} completes. */
        volatile InputStream stdin;

        Session(String id, Socket control) {
            this.id = id;
            this.control = control;
        }

        int run(String[] args, boolean inTty, boolean errTty, int columns, Socket outSocket, Socket errSocket) {
            thread = Thread.currentThread();
            Charset charset = outputCharset();
            int code;
            try (outSocket; errSocket) {
                PrintStream out = new PrintStream(new BufferedOutputStream(outSocket.getOutputStream()), true, charset);
                PrintStream err = new PrintStream(new BufferedOutputStream(errSocket.getOutputStream()), true, charset);
                Io io = new Io(new Stdin(this), inTty, out, err, errTty, false, this::onInterrupt, connections)
                        .withHelpColumns(columns);
                try {
                    code = Lego.run(io, args);
                } catch (RuntimeException | Error e) {
                    log.warn("agent: 'lego {}' failed", args[0], e);
                    err.println("lego: " + e);
                    code = Lego.EXIT_FAILURE;
                }
                out.flush();
                err.flush();
            } catch (IOException e) {
                log.debug("agent: the launcher's output went away: {}", e.toString());
                code = Lego.EXIT_FAILURE;
            } finally {
                thread = null;
                Thread.interrupted(); // a KILL that came late must not reach the next use of this thread
            }
            return code;
        }

        private AutoCloseable onInterrupt(Runnable action) {
            hooks.add(action);
            return () -> hooks.remove(action);
        }

        /** The launcher's side of the control connection: KILL lines, or its end (the launcher is gone). */
        void listen(InputStream control) {
            try {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                int b;
                while ((b = control.read()) >= 0) {
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    if (line.toString(StandardCharsets.US_ASCII).equals("KILL")) {
                        interrupt();
                    }
                    line.reset();
                }
            } catch (IOException e) {
                // the connection ended
            }
            if (!done.isDone()) {
                interrupt(); // the launcher went away (killed): as if interrupted
            }
        }

        /** What a JVM does on SIGINT: its shutdown hooks; a command without one is interrupted. */
        void interrupt() {
            if (!interrupted.compareAndSet(false, true)) {
                return;
            }
            List<Runnable> actions = new ArrayList<>(hooks);
            if (actions.isEmpty()) {
                Thread t = thread;
                if (t != null) {
                    t.interrupt();
                }
                return;
            }
            for (Runnable a : actions) {
                try {
                    a.run();
                } catch (RuntimeException e) {
                    log.warn("agent: an interrupt action failed", e);
                }
            }
        }

        /** The command reads its stdin: ask the launcher to connect it (once), then read it. */
        InputStream stdin() throws IOException {
            synchronized (this) {
                if (!askedForInput) {
                    askedForInput = true;
                    line(control, "IN");
                }
            }
            try {
                Socket s = in.get(ATTACH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (s == null) {
                    return InputStream.nullInputStream();
                }
                return stdin;
            } catch (TimeoutException e) {
                throw new IOException("the launcher did not connect stdin in " + ATTACH_TIMEOUT.toSeconds() + " s");
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for stdin");
            }
        }

        private boolean askedForInput;
    }

    /** A command's stdin, connected on its first read. */
    private static final class Stdin extends InputStream {
        private final Session session;
        private InputStream in;

        Stdin(Session session) {
            this.session = session;
        }

        private synchronized InputStream in() throws IOException {
            if (in == null) {
                in = session.stdin();
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            return in().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in().read(b, off, len);
        }

        @Override
        public int available() throws IOException {
            return in == null ? 0 : in.available();
        }
    }

    /** The charset a {@code lego} JVM started like this one prints with. */
    private static Charset outputCharset() {
        String name = System.getProperty("stdout.encoding", System.getProperty("native.encoding"));
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    /** Reads one NUL-terminated field. */
    private static String field(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != 0) {
            if (c < 0) {
                throw new java.io.EOFException("the launcher's request ended early");
            }
            if (b.size() >= MAX_FIELD) {
                throw new IOException("a request field longer than " + MAX_FIELD + " bytes");
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static void line(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        synchronized (s) {
            out.write((text + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    /** Stops serving: the port closes, the file goes (if still this agent's), kept connections close. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
        try {
            Path file = runDir.resolve(FILE);
            if (Files.readString(file).startsWith(port() + " " + secretHex() + " ")) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // gone already
        }
        connections.close();
        try {
            lock.release();
            lock.channel().close();
        } catch (IOException e) {
            // nothing to do
        }
        stopped.complete(null);
    }

    /**
     * Tells the agent of {@code runDir} to stop, if one runs; true if one did. Never fails: an agent file naming
     * nothing that listens is removed.
     */
    static boolean stop(Path runDir) {
        Path file = runDir.resolve(FILE);
        String[] f;
        try {
            f = Files.readString(file).trim().split(" ");
        } catch (IOException e) {
            return false;
        }
        if (f.length < 2) {
            return false;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(f[0])), 1_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write((PROTOCOL + "\0" + f[1] + "\0stop\0").getBytes(StandardCharsets.US_ASCII));
            byte[] answer = s.getInputStream().readNBytes(8);
            return new String(answer, StandardCharsets.US_ASCII).startsWith("STOPPED");
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // nothing to do
            }
            return false;
        }
    }

    /**
     * The agent's connections: one per manager address and identity, checked with a members request before each
     * command (a restarted or moved manager gets a new one), handed out as {@link ClusterClient#borrowed() views}
     * that leave it open.
     */
    static final class Connections implements ClusterConnector, Closeable {
        /** One connection per key; the first command to need one makes it (outside any lock), the others wait for it. */
        private final Map<String, CompletableFuture<ClusterClient>> clients = new ConcurrentHashMap<>();
        private volatile boolean closed;

        @Override
        public ClusterClient connect(String address, ClusterTls tls) {
            String key = address + "|" + (tls == null ? "insecure" : tls.directory().toAbsolutePath() + "|" + tls.self().name());
            for (int attempt = 0; ; attempt++) {
                if (closed) {
                    throw new IllegalStateException("the client agent is stopping");
                }
                CompletableFuture<ClusterClient> mine = new CompletableFuture<>();
                CompletableFuture<ClusterClient> kept = clients.putIfAbsent(key, mine);
                if (kept == null) {
                    try {
                        ClusterClient c = ClusterConnector.DIRECT.connect(address, tls);
                        mine.complete(c);
                        if (closed && clients.remove(key, mine)) {
                            c.close();
                            throw new IllegalStateException("the client agent is stopping");
                        }
                        return c.borrowed();
                    } catch (RuntimeException e) {
                        clients.remove(key, mine);
                        mine.completeExceptionally(e);
                        throw e;
                    }
                }
                ClusterClient c;
                try {
                    c = kept.join();
                } catch (java.util.concurrent.CompletionException e) {
                    clients.remove(key, kept);
                    if (attempt >= 2) {
                        throw e.getCause() instanceof RuntimeException r ? r : e;
                    }
                    continue; // that connect failed: try one of our own
                }
                try {
                    // still connected to a manager that answers, within what a JVM of its own waits to connect
                    c.ping(ClusterClient.DEFAULT_CONNECT_TIMEOUT);
                    return c.borrowed();
                } catch (RuntimeException e) {
                    if (clients.remove(key, kept)) {
                        log.info("agent: the connection to {} is gone ({}); connecting again", address, e.toString());
                        c.close();
                    }
                    if (attempt >= 2) {
                        throw e;
                    }
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            for (String key : List.copyOf(clients.keySet())) {
                CompletableFuture<ClusterClient> f = clients.remove(key);
                if (f != null) {
                    f.thenAccept(ClusterClient::close);
                }
            }
        }
    }
}
