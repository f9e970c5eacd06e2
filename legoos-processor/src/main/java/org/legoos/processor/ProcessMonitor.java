package org.legoos.processor;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.FileSystem;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.legoos.api.LegoException;
import org.legoos.api.LegoProgram;
import org.legoos.api.SegmentationFault;
import org.legoos.net.protocol.Ack;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.ProcessExited;
import org.legoos.net.protocol.pm.InputAccepted;
import org.legoos.net.protocol.pm.KillProcess;
import org.legoos.net.protocol.pm.ListProcesses;
import org.legoos.net.protocol.pm.ProcessEntry;
import org.legoos.net.protocol.pm.ProcessExit;
import org.legoos.net.protocol.pm.ProcessInput;
import org.legoos.net.protocol.pm.ProcessList;
import org.legoos.net.protocol.pm.ProcessOutput;
import org.legoos.net.protocol.pm.StartProcess;
import org.legoos.api.security.Principal;
import org.legoos.net.protocol.gm.Placement;
import org.legoos.net.protocol.gm.ProcessInfo;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.rpc.CallContext;
import org.legoos.net.rpc.RpcException;
import org.legoos.net.rpc.RpcNode;
import org.legoos.net.rpc.Status;
import org.legoos.processor.client.ProcessClient;
import org.legoos.processor.excache.ExCache;
import org.legoos.processor.excache.ExCacheStats;
import org.legoos.task.fs.FileService;
import org.legoos.task.fs.LegoFileSystemProvider;
import org.legoos.task.loader.ProgramLoader;
import org.legoos.processor.mm.ExCacheBackend;
import org.legoos.processor.mm.FileMapper;
import org.legoos.processor.mm.RemoteAddressSpace;
import org.legoos.api.ProcessorMode;
import org.legoos.processor.task.HostSupport;
import org.legoos.processor.task.TaskChannel;
import org.legoos.processor.task.TaskLauncher;
import org.legoos.task.channel.Body;
import org.legoos.task.channel.FileSyscalls;
import org.legoos.task.channel.StartMessage;
import org.legoos.task.channel.Syscall;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process monitor of a processor component (LegoOS's pComponent): it starts the processes the GPM places
 * here ({@code PM_START}), runs all their threads on this component's cores, gives each a disaggregated
 * address space cached in this component's one {@link ExCache}, keeps the stateful file API (open files,
 * positions, cwd) in front of the stateless storage, streams output back, takes the standard input the launching
 * client sends ({@code PM_INPUT}, into a bounded {@link StdinBuffer} per process) and reports the exit.
 *
 * <p>A program that faults ({@link SegmentationFault}) or throws ends with an exit code and a message;
 * the monitor keeps serving. Thread-safe.
 */
public final class ProcessMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessMonitor.class);
    /** Exit code of a process that died of a segmentation fault (128 + SIGSEGV). */
    public static final int EXIT_SEGFAULT = 139;
    /** Exit code of a killed process (128 + SIGKILL). */
    public static final int EXIT_KILLED = 137;

    private final RpcNode rpc;
    private final int managerNode;
    private final ProcessorConfig config;
    private final ProgramLoader loader;
    private final ExCache excache;
    private final ExCacheBackend backend;
    /** Process mode's ExCache: the pages resident in this component's task JVMs. */
    private final org.legoos.processor.excache.FaultExCache faultCache;
    private final ProcessClient client;
    private final LegoFileSystemProvider fsProvider = new LegoFileSystemProvider();
    private final Map<Long, LegoProcess> processes = new ConcurrentHashMap<>();
    private final AtomicInteger threadsRunning = new AtomicInteger();
    /** Starting a process calls the home memory component; never do that on a transport's I/O thread. */
    private final java.util.concurrent.ExecutorService starter = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    /** The manager's word of memory components' deaths and returns, handled one at a time in arrival order. */
    private final java.util.concurrent.ExecutorService memoryNotices = java.util.concurrent.Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("memory-notices").factory());
    /** The mode this processor runs in and why (chosen once, at construction). */
    private final HostSupport.Decision mode;
    /** Process mode: starts the tasks (null in thread mode). */
    private final TaskLauncher launcher;
    /** Process mode: the running tasks. */
    private final Map<Long, TaskProcess> tasks = new ConcurrentHashMap<>();
    /** The standard input of every running process (both modes). */
    private final Map<Long, StdinBuffer> inputs = new ConcurrentHashMap<>();
    /** The end of every process's stderr, kept after it exits ({@code PM_LOGS}). */
    private final StderrLog stderr = new StderrLog();
    /** Why recent processes take no more input (they exited), so late chunks get a clear answer rather than "no process". */
    private final Map<Long, String> endedInputs = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
            return size() > 1024;
        }
    });
    /** How long a {@code PM_INPUT} waits for room in a full buffer before answering with what it took (maybe nothing). */
    static final long INPUT_WAIT_MILLIS = 500;

    public ProcessMonitor(RpcNode rpc, int managerNode, ProcessorConfig config, ProgramLoader loader) {
        this.rpc = rpc;
        this.managerNode = managerNode;
        this.config = config;
        this.loader = loader;
        this.backend = new ExCacheBackend(rpc, config.maxProcesses() + 1);
        // a process whose home and known home replica both died finds its new home among the live memory components
        this.backend.setLiveMemories(() -> rpc.call(managerNode, new org.legoos.net.protocol.gm.MembersRequest()).members()
                .stream().filter(m -> m.role() == org.legoos.api.ComponentRole.MEMORY
                        && m.state() == org.legoos.api.ComponentState.ALIVE)
                .mapToInt(org.legoos.net.protocol.gm.ComponentInfo::nodeId).toArray());
        this.client = new ProcessClient(rpc, managerNode);
        this.mode = HostSupport.decide(config.mode());
        // the mode's ExCache alone: thread mode's holds the whole budget as one zeroed slab, which in process mode
        // (whose pages live in the tasks) doubled the component's memory for nothing
        boolean processMode = mode.mode() == ProcessorMode.PROCESS;
        this.excache = processMode ? null : new ExCache(config.excache(), backend);
        this.faultCache = processMode
                ? new org.legoos.processor.excache.FaultExCache(config.excache(), backend, config.maxProcesses() + 1) : null;
        this.launcher = mode.mode() == ProcessorMode.PROCESS
                ? new TaskLauncher(TaskLauncher.defaultCacheDir(), config.taskHeapBytes(), mode.sandboxOptional(), true,
                config.warmTasks()) : null;
        log.info("{} runs processes in {} mode ({}){}", rpc.name(), mode.mode().name().toLowerCase(java.util.Locale.ROOT),
                mode.reason(), mode.sandboxOptional() ? "; tasks run WITHOUT the sandbox: native bindings not available" : "");
        rpc.handle(StartProcess.class, (q, ctx) -> {
            checkPlacement(q, ctx.principal());
            return start(q, ctx);
        }, starter);
        rpc.handle(KillProcess.class, (q, ctx) -> {
            mayTouch(q.pid(), ctx.principal(), "PM_KILL");
            kill(q.pid());
            return Ack.INSTANCE;
        });
        rpc.handle(ListProcesses.class, (q, ctx) -> ps(ctx.principal()));
        rpc.handle(org.legoos.net.protocol.pm.ProcessLogs.class, (q, ctx) -> logs(q.pid(), ctx.principal()));
        rpc.handle(ProcessInput.class, (q, ctx) -> {
            mayTouch(q.pid(), ctx.principal(), "PM_INPUT");
            return input(q);
        }, starter);
        // the manager declared a memory component dead: what this processor waits on there fails now, and calls to it
        // fail at once while its owners, homes and file caches fail over (a hung component would hold each for the
        // whole call timeout); the failover paths take it from there as from a refused connection
        // (on a thread of their own, in arrival order: failing calls closes sockets, never on the delivery thread)
        rpc.handle(org.legoos.net.protocol.gm.MemoryFailed.class, (q, ctx) -> {
            rpc.markDown(q.node(), "memory component " + q.node() + " was declared dead by the global manager",
                    java.time.Duration.ofMillis(Failover.WAIT_MILLIS));
            return Ack.INSTANCE;
        }, memoryNotices);
        rpc.handle(org.legoos.net.protocol.gm.MemoryJoined.class, (q, ctx) -> {
            rpc.markUp(q.node());
            return Ack.INSTANCE;
        }, memoryNotices);
    }

    /**
     * {@code PM_INPUT}: takes what fits of a chunk of a process's stdin, waiting a little for room if its buffer is full.
     * A process that exited or closed its stdin refuses input (with the reason); an unknown pid is {@code NOT_FOUND}.
     */
    private InputAccepted input(ProcessInput q) throws InterruptedException {
        StdinBuffer in = inputs.get(q.pid());
        if (in == null) {
            String ended = endedInputs.get(q.pid());
            if (ended != null) {
                return new InputAccepted(q.offset(), false, ended);
            }
            throw new RpcException(Status.NOT_FOUND, "no process " + q.pid() + " on this processor");
        }
        return in.offer(q.offset(), q.data(), q.eof(), INPUT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** A process's stdin: registered until it exits. */
    private StdinBuffer openInput(long pid, boolean hasInput) {
        StdinBuffer in = new StdinBuffer(pid, StdinBuffer.DEFAULT_CAPACITY, hasInput);
        inputs.put(pid, in);
        return in;
    }

    /** The process exited: its unread input is dropped and later chunks are refused. */
    private void closeInput(long pid) {
        String why = "pid " + pid + " exited";
        endedInputs.put(pid, why);
        StdinBuffer in = inputs.remove(pid);
        if (in != null) {
            in.close(why);
        }
    }

    public ProcessorConfig config() {
        return config;
    }

    /** The mode this processor runs processes in: {@link ProcessorMode#PROCESS} or {@link ProcessorMode#THREAD}. */
    /** Process mode: the OS pids of the task JVMs started ahead and waiting for a program (empty in thread mode). */
    public List<Long> waitingTaskJvms() {
        return launcher == null ? List.of() : launcher.waitingTasks();
    }

    /** Process mode: how many processes started in a JVM that was waiting for them. */
    public long warmTaskLaunches() {
        return launcher == null ? 0 : launcher.warmLaunches();
    }

    public ProcessorMode mode() {
        return mode.mode();
    }

    /** Why it runs in {@link #mode()}. */
    public String modeReason() {
        return mode.reason();
    }

    /** The counters of this component's ExCache: the software one in thread mode, the resident task pages in process mode. */
    public ExCacheStats excacheStats() {
        return faultCache != null ? faultCache.stats() : excache.stats();
    }

    /** Starts the counters of {@link #excacheStats} from zero. */
    public void resetExCacheStats() {
        if (faultCache != null) {
            faultCache.resetStats();
        } else {
            excache.resetStats();
        }
    }

    /** The ExCache's line backend: misses and flushes to memory components, and their failover counters. */
    public ExCacheBackend backend() {
        return backend;
    }

    /** Process mode's ExCache (the resident pages of the task JVMs). */
    public org.legoos.processor.excache.FaultExCache faultCache() {
        if (faultCache == null) {
            throw new IllegalStateException(rpc.name() + " runs processes in thread mode: it has no fault-driven ExCache");
        }
        return faultCache;
    }

    /**
     * Process mode: creates the address space of process {@code pid} on its home and the monitor half of its task's
     * memory ({@link org.legoos.processor.task.TaskMemory}) for the task JVM {@code taskPid}; register it on the task's
     * channel before the task attaches.
     */
    public org.legoos.processor.task.TaskMemory openTaskMemory(long pid, org.legoos.net.protocol.gm.VNodeInfo vnode,
                                                                int home, long taskPid, FileMapper files) {
        RemoteAddressSpace space = RemoteAddressSpace.createForTask(rpc, faultCache, backend, pid, vnode.id(), home,
                vnode.memoryQuotaBytes());
        if (files != null) {
            space.attachFiles(files);
        }
        return new org.legoos.processor.task.TaskMemory(space, faultCache, taskPid, config.cores());
    }

    ProcessClient processClient() {
        return client;
    }

    void threadStarted() {
        threadsRunning.incrementAndGet();
    }

    void threadEnded() {
        threadsRunning.decrementAndGet();
    }

    /** What this component has and uses, for status reports to the managers. */
    public ComponentResources resources() {
        long taskHeaps = (long) tasks.size() * config.taskHeapBytes();
        ExCacheStats s = excacheStats();
        return new ComponentResources(config.cores(), threadsRunning.get() + tasks.size(), processes.size() + tasks.size(), 0,
                taskHeaps, 0, config.excache().capacityBytes(), mode.mode(), mode.reason(), 0, 0, s.hits(), s.misses());
    }

    private Ack start(StartProcess q, CallContext ctx) throws IOException {
        if (processes.containsKey(q.pid()) || tasks.containsKey(q.pid())) {
            throw new RpcException(Status.EXISTS, "pid " + q.pid() + " already runs here");
        }
        if (processCount() >= config.maxProcesses()) {
            throw new RpcException(Status.QUOTA, "processor runs its maximum of " + config.maxProcesses() + " processes");
        }
        if (launcher != null) {
            return startTask(q, ctx);
        }
        RemoteAddressSpace memory = RemoteAddressSpace.create(rpc, excache, backend, q.pid(), q.vnode().id(),
                q.homeMemoryNode(), q.vnode().memoryQuotaBytes());
        LegoProgram program;
        FileSystem fs;
        try {
            RemoteFileService files = RemoteFileService.of(rpc, managerNode, q.vnode());
            memory.attachFiles(fileMapper(files, q.vnode()));
            fs = fsProvider.newFileSystem(q.vnode().name(), files);
            if (ProgramLoader.runsWithRunner(q.program()) && files.stat(q.program()).directory()) {
                throw new IOException(q.program() + " is a directory");
            }
            program = loader.load(q.program(), fs);
        } catch (NoSuchFileException e) {
            memory.close();
            throw new RpcException(Status.NOT_FOUND, "program " + q.program() + " not found: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            memory.close();
            throw new RpcException(Status.INVALID_ARGUMENT, "cannot load program " + q.program() + ": " + e.getMessage());
        }
        stderr.started(q.pid(), q.vnode().name());
        Consumer<ProcessOutput> output = o -> {
            if (o.stream() == 2) {
                stderr.append(o.pid(), o.data());
            }
            ctx.sendBack(o);
        };
        StdinBuffer stdin = openInput(q.pid(), q.stdin());
        LegoProcess p = new LegoProcess(this, q.pid(), q.vnode(), q.program(), memory, fs, output, stdin);
        processes.put(q.pid(), p);
        log.info("start pid={} program={} vnode={} home=node{}", q.pid(), q.program(), q.vnode().name(), q.homeMemoryNode());
        String[] args = q.args().toArray(String[]::new);
        Thread main = new Thread(() -> p.runCounted(() -> run(p, program, args, ctx)), "pid" + q.pid() + "-main");
        main.setDaemon(true);
        main.start();
        return Ack.INSTANCE;
    }

    private void run(LegoProcess p, LegoProgram program, String[] args, CallContext ctx) {
        int code;
        String error = "";
        try {
            code = program.main(p, args);
        } catch (SegmentationFault e) {
            code = EXIT_SEGFAULT;
            error = "Segmentation fault: " + e.getMessage();
            p.err().println(error);
        } catch (Throwable t) {
            code = p.killed() ? EXIT_KILLED : 1;
            error = p.killed() ? "killed" : String.valueOf(t);
            if (!p.killed()) {
                StringWriter sw = new StringWriter();
                t.printStackTrace(new PrintWriter(sw));
                p.err().print(sw);
            }
        }
        if (p.killed()) {
            code = EXIT_KILLED;
            error = error.isEmpty() ? "killed" : error;
        }
        finish(p, code, error, ctx);
    }

    // ------------------------------------------------------------------ process mode

    /**
     * Starts a process in its own JVM: checks the program exists (a bundled program, or a jar of the vNode), launches the
     * task, serves its system calls with the process's file service and this component's process client, and reports its
     * exit when both its JVM has ended and its channel is drained.
     */
    private Ack startTask(StartProcess q, CallContext ctx) throws IOException {
        Class<? extends LegoProgram> bundled = loader.bundledClass(q.program());
        RemoteFileService files = RemoteFileService.of(rpc, managerNode, q.vnode());
        if (bundled == null || ProgramLoader.runsWithRunner(q.program())) {
            try {
                String file = bundled == null ? ProgramLoader.jarPath(q.program(), loader.bundledNames()) : q.program();
                if (files.stat(file).directory()) {
                    throw new RpcException(Status.INVALID_ARGUMENT, "cannot load program " + q.program() + ": " + file + " is a directory");
                }
            } catch (NoSuchFileException e) {
                throw new RpcException(Status.NOT_FOUND, "program " + q.program() + " not found: " + e.getMessage());
            }
        }
        TaskLauncher.Launched launched;
        try {
            launched = launcher.launch(q.pid(), bundled, bundled == null ? List.of() : loader.libraries(bundled));
        } catch (IOException e) {
            throw new RpcException(Status.INTERNAL, "cannot start a JVM for pid " + q.pid() + ": " + e.getMessage());
        }
        Process os = launched.process();
        TaskProcess[] self = new TaskProcess[1];
        TaskChannel channel = new TaskChannel("pid " + q.pid(), os.getInputStream(), os.getOutputStream(), why -> {
            TaskProcess t = self[0];
            if (t != null) {
                t.violation = why;
                t.kill();
            } else {
                os.destroyForcibly();
            }
        });
        TaskProcess t = new TaskProcess(q.pid(), q.vnode(), q.program(), launched, channel);
        self[0] = t;
        for (Syscall op : FileSyscalls.CALLS) {
            channel.handle(op, body -> FileSyscalls.serve(op, body, files));
        }
        channel.handle(Syscall.SPAWN, body -> spawnFor(t, body, ctx));
        channel.handle(Syscall.WAIT, body -> waitFor(t, body));
        StdinBuffer stdin = new StdinBuffer(q.pid(), StdinBuffer.DEFAULT_CAPACITY, q.stdin());
        channel.handle(Syscall.STDIN_READ, body -> readStdin(stdin, body));
        try {
            registerMemory(t, q, files);
        } catch (RuntimeException e) {
            os.destroyForcibly();
            throw e;
        }
        stderr.started(q.pid(), q.vnode().name());
        channel.onMessage(Syscall.STDOUT, data -> sendOutput(ctx, t.pid, 1, data));
        channel.onMessage(Syscall.STDERR, data -> sendOutput(ctx, t.pid, 2, data));
        channel.onMessage(Syscall.EXIT, body -> {
            Body.Reader r = Body.reader(body);
            int code = r.getInt();
            String error = r.getString();
            r.end();
            t.reportedError = error;
            t.reportedCode = code;
        });
        inputs.put(q.pid(), stdin);
        tasks.put(q.pid(), t);
        log.info("start pid={} program={} vnode={} home=node{} as task os pid {}", q.pid(), q.program(), q.vnode().name(),
                q.homeMemoryNode(), os.pid());
        channel.start();
        channel.send(Syscall.START, new StartMessage(q.pid(), ProcessHandle.current().pid(), q.vnode().name(), q.program(), q.args(),
                config.cores(), bundled == null ? "" : bundled.getName()).encode());
        Thread.ofVirtual().name("pid" + q.pid() + "-stderr").start(() -> t.drainStderr(data -> sendOutput(ctx, t.pid, 2, data)));
        // report the exit only after the task's last output went out: its channel drained (stdout, stderr messages) and
        // its raw stderr forwarded to the end (a JVM's dying words, e.g. the OutOfMemoryError report, come last and
        // would otherwise race the exit report, after which the launcher drops output). Either may stay open after the
        // JVM ended only if the task gave the pipe to another process: wait a little, not forever.
        os.onExit().thenCompose(p -> java.util.concurrent.CompletableFuture.allOf(channel.ended().copy(), t.stderrDrained)
                        .completeOnTimeout(null, 2, java.util.concurrent.TimeUnit.SECONDS))
                .whenComplete((v, e) -> finishTask(t, ctx));
        return Ack.INSTANCE;
    }

    /**
     * Where the memory side registers the handlers of the memory system calls ({@link Syscall#MEMORY_ATTACH},
     * {@link Syscall#MMAP} ... {@link Syscall#FAULT}) on {@code t.channel}, with what it needs of the start request (the
     * home memory component, the vNode's quota). Nothing yet: a task calling them is killed ("not served here").
     */
    private void registerMemory(TaskProcess t, StartProcess q, RemoteFileService files) {
        org.legoos.processor.task.TaskMemory memory = openTaskMemory(q.pid(), q.vnode(), q.homeMemoryNode(),
                t.process.pid(), fileMapper(files, q.vnode()));
        t.memory = memory;
        memory.register(t.channel);
    }

    /** How a process maps files of its vNode (mmap with a path): the file's size and its buffer-cache component. */
    private static FileMapper fileMapper(RemoteFileService files, org.legoos.net.protocol.gm.VNodeInfo vnode) {
        return path -> {
            FileService.Stat st = files.stat(path);
            if (st.directory()) {
                throw new java.nio.file.NoSuchFileException(path, null, "is a directory, not a file to map");
            }
            return new FileMapper.Target(vnode.id(), vnode.cacheMemoryNode(), path, st.size());
        };
    }

    private void sendOutput(CallContext ctx, long pid, int stream, byte[] data) {
        if (stream == 2) {
            stderr.append(pid, data);
        }
        for (int off = 0; off < data.length; off += StreamOutput.MAX_CHUNK) {
            int n = Math.min(StreamOutput.MAX_CHUNK, data.length - off);
            try {
                ctx.sendBack(new ProcessOutput(pid, stream, java.util.Arrays.copyOfRange(data, off, off + n)));
            } catch (RuntimeException e) {
                log.debug("pid {}: output dropped, launcher unreachable: {}", pid, e.toString());
                return;
            }
        }
    }

    /**
     * {@link Syscall#STDIN_READ}: int max (1 to {@link ProcessInput#MAX_CHUNK}); blocks until input is there and answers
     * at least one byte, or nothing at the end of input. The task reads on a thread of its own, so blocking here blocks
     * only that reader.
     */
    private static byte[] readStdin(StdinBuffer stdin, byte[] body) throws java.io.InterruptedIOException {
        Body.Reader r = Body.reader(body);
        int max = r.getInt();
        r.end();
        if (max < 1 || max > ProcessInput.MAX_CHUNK) {
            throw new IllegalArgumentException("STDIN_READ of " + max + " bytes: 1 to " + ProcessInput.MAX_CHUNK);
        }
        byte[] buf = new byte[max];
        int n = stdin.read(buf, 0, max);
        return n < 0 ? Body.EMPTY : n == max ? buf : java.util.Arrays.copyOf(buf, n);
    }

    private byte[] spawnFor(TaskProcess t, byte[] body, CallContext ctx) {
        Body.Reader r = Body.reader(body);
        String program = r.getString();
        List<String> args = r.getStrings();
        r.end();
        ProcessClient.Running child = client.start(t.vnode.name(), program, args, new TaskOutput(ctx, t.pid, 1), new TaskOutput(ctx, t.pid, 2));
        t.children.put(child.pid(), child);
        return Body.writer().putLong(child.pid()).toByteArray();
    }

    /** A child's output, written to its parent task's launcher as the parent's own output. */
    private final class TaskOutput extends java.io.OutputStream {
        private final CallContext ctx;
        private final long pid;
        private final int stream;

        TaskOutput(CallContext ctx, long pid, int stream) {
            this.ctx = ctx;
            this.pid = pid;
            this.stream = stream;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sendOutput(ctx, pid, stream, java.util.Arrays.copyOfRange(b, off, off + len));
        }
    }

    private byte[] waitFor(TaskProcess t, byte[] body) throws InterruptedException {
        Body.Reader r = Body.reader(body);
        long pid = r.getLong();
        r.end();
        ProcessClient.Running child = t.children.get(pid);
        if (child == null) {
            throw new IllegalArgumentException("pid " + pid + " is not a child of pid " + t.pid);
        }
        int code = child.waitFor();
        t.children.remove(pid);
        return Body.writer().putInt(code).toByteArray();
    }

    private void finishTask(TaskProcess t, CallContext ctx) {
        Process os = t.process;
        int status = os.exitValue();
        int code;
        String error;
        if (t.killed) {
            code = EXIT_KILLED;
            error = t.violation != null ? "killed: system-call protocol violation: " + t.violation : "killed";
        } else if (t.reportedCode != null) {
            code = t.reportedCode;
            error = t.reportedError;
        } else {
            code = status;
            String tail = t.stderrTail();
            if (tail.contains("OutOfMemoryError")) {
                error = "out of memory: the task's heap of " + org.legoos.api.Sizes.human(config.taskHeapBytes()) + " is exhausted";
            } else if (status > 128) {
                error = "task JVM died of signal " + (status - 128);
            } else {
                error = ""; // System.exit(n) by the program
            }
            if (status != 0) {
                log.warn("pid {}: task JVM (os pid {}) exited {} without an exit report; its stderr ends with:\n{}", t.pid, os.pid(),
                        status, tail.isBlank() ? "(nothing)" : tail.strip());
            }
        }
        org.legoos.processor.task.TaskMemory memory = t.memory;
        if (memory != null) {
            memory.taskExited();
            try {
                memory.space().close(); // writes shared file mappings back (through the task's memory file), frees the space
            } catch (RuntimeException e) {
                log.warn("pid {}: freeing its address space failed: {}", t.pid, e.toString());
            }
            memory.close();
        }
        t.channel.close();
        TaskLauncher.deleteTree(t.tmpDir);
        closeInput(t.pid);
        tasks.remove(t.pid);
        log.info("exit pid={} code={}{} (processor's ExCache so far: {}, write faults {}, writable ahead {}, orphan drops {}, stale frames {}, poisoned {})",
                t.pid, code, error.isEmpty() ? "" : " error=" + error, faultCache.stats(), faultCache.writeFaults(),
                faultCache.writableAhead(), faultCache.orphanDrops(), faultCache.staleFrames(),
                faultCache.poisoned());
        reportExit(t.pid, t.vnode.id(), code, error, ctx);
    }

    private void reportExit(long pid, int vnodeId, int code, String error, CallContext ctx) {
        stderr.ended(pid, code, error);
        try {
            ctx.sendBack(new ProcessExit(pid, code, error));
        } catch (RuntimeException e) {
            log.warn("pid {}: launcher unreachable for exit report: {}", pid, e.toString());
        }
        try {
            rpc.send(managerNode, new ProcessExited(pid, vnodeId));
        } catch (RuntimeException e) {
            log.warn("pid {}: manager unreachable for exit report: {}", pid, e.toString());
        }
    }

    private void finish(LegoProcess p, int code, String error, CallContext ctx) {
        Thread self = Thread.currentThread();
        for (Thread t : p.threads) {
            if (t != self) {
                t.interrupt();
            }
        }
        p.flushStreams();
        try {
            p.fs.close();
        } catch (IOException | RuntimeException e) {
            log.warn("pid {}: closing files failed: {}", p.pid, e.toString());
        }
        try {
            p.memory.close();
        } catch (LegoException e) {
            log.warn("pid {}: freeing its address space failed: {}", p.pid, e.toString());
        }
        closeInput(p.pid);
        processes.remove(p.pid);
        log.info("exit pid={} code={}{} (processor's ExCache so far: {})", p.pid, code, error.isEmpty() ? "" : " error=" + error,
                excacheStats());
        reportExit(p.pid, p.vnode.id(), code, error, ctx);
    }

    /** Kills a process: its threads are interrupted and it exits with {@link #EXIT_KILLED}. */
    public void kill(long pid) {
        TaskProcess t = tasks.get(pid);
        if (t != null) {
            log.info("kill pid={} (task os pid {})", pid, t.process.pid());
            t.kill();
            return;
        }
        LegoProcess p = processes.get(pid);
        if (p == null) {
            throw new RpcException(Status.NOT_FOUND, "no process " + pid + " on this processor");
        }
        log.info("kill pid={}", pid);
        p.kill();
    }

    /**
     * A START from an authenticated peer (TLS) must be what the manager placed: this processor, the home and the vNode
     * it recorded for the pid (asked with GM_PROCESS_INFO), in a vNode the caller may act in. So no client can run a
     * program under another process's pid (and reach its address space at its home) or another vNode's files.
     */
    private void checkPlacement(StartProcess q, Principal who) {
        if (!who.authenticated()) {
            return; // in-JVM or insecure: one trust domain
        }
        Placement placed;
        try {
            placed = rpc.call(managerNode, new ProcessInfo(q.pid()));
        } catch (RpcException e) {
            if (e.code() == Status.NOT_FOUND) {
                throw refuse("PM_START of pid " + q.pid() + " from " + who + ": the manager placed no such process");
            }
            throw e;
        }
        VNodeInfo v = placed.vnode();
        VNodeInfo asked = q.vnode();
        if (placed.processorNode() != rpc.nodeId() || placed.homeMemoryNode() != q.homeMemoryNode() || v.id() != asked.id()
                || !v.name().equals(asked.name()) || v.storageNode() != asked.storageNode()
                || v.cacheMemoryNode() != asked.cacheMemoryNode() || v.memoryQuotaBytes() != asked.memoryQuotaBytes()) {
            throw refuse("PM_START of pid " + q.pid() + " from " + who + " does not match its placement (processor node "
                    + placed.processorNode() + ", home node " + placed.homeMemoryNode() + ", vNode " + v.name() + ")");
        }
        if (!who.mayActIn(v.name())) {
            throw refuse("PM_START from " + who + ": vNode '" + v.name() + "' is not one of its vNodes");
        }
    }

    /** A vNode user may kill or feed only processes of its vNodes. */
    private void mayTouch(long pid, Principal who, String what) {
        if (!who.authenticated() || who.role() != org.legoos.api.security.Role.USER) {
            return;
        }
        TaskProcess t = tasks.get(pid);
        LegoProcess p = processes.get(pid);
        VNodeInfo v = t != null ? t.vnode : p != null ? p.vnode : null;
        if (v != null && !who.mayActIn(v.name())) {
            throw refuse(what + " of pid " + pid + " from " + who + ": it runs in vNode '" + v.name() + "'");
        }
    }

    private RpcException refuse(String message) {
        String m = rpc.name() + " refuses " + message;
        log.warn("{}", m);
        return new RpcException(Status.DENIED, m);
    }

    /** {@link #ps()} as {@code who} may see it: a vNode user sees the processes of its vNodes only. */
    public ProcessList ps(Principal who) {
        ProcessList all = ps();
        if (!who.authenticated() || who.role() != org.legoos.api.security.Role.USER) {
            return all;
        }
        java.util.Map<Integer, String> names = new java.util.HashMap<>();
        processes.values().forEach(p -> names.put(p.vnode.id(), p.vnode.name()));
        tasks.values().forEach(t -> names.put(t.vnode.id(), t.vnode.name()));
        return new ProcessList(all.processes().stream().filter(e -> who.mayActIn(names.getOrDefault(e.vnodeId(), ""))).toList());
    }

    /**
     * PM_LOGS: what is kept of a process's stderr, as {@code who} may see it (a vNode user: its vNodes' processes only).
     *
     * @throws RpcException NOT_FOUND if nothing is kept of it here (or {@code who} may not see it)
     */
    public org.legoos.net.protocol.pm.ProcessLog logs(long pid, Principal who) {
        String vnode = stderr.vnodeOf(pid);
        boolean visible = vnode != null && (!who.authenticated() || who.role() != org.legoos.api.security.Role.USER
                || who.mayActIn(vnode));
        org.legoos.net.protocol.pm.ProcessLog log = visible ? stderr.get(pid) : null;
        if (log == null) {
            throw new RpcException(Status.NOT_FOUND, "no log of pid " + pid + " on this processor");
        }
        return log;
    }

    public ProcessList ps() {
        List<ProcessEntry> list = new ArrayList<>();
        for (LegoProcess p : processes.values()) {
            list.add(new ProcessEntry(p.pid, p.vnode.id(), p.program, p.state, p.threads.size(), p.startedMillis,
                    p.memory.misses()));
        }
        for (TaskProcess t : tasks.values()) {
            list.add(new ProcessEntry(t.pid, t.vnode.id(), t.program, t.state, t.threads(), t.startedMillis,
                    t.misses()));
        }
        list.sort(java.util.Comparator.comparingLong(ProcessEntry::pid));
        return new ProcessList(list);
    }

    /** Number of processes running here. */
    public int processCount() {
        return processes.size() + tasks.size();
    }

    @Override
    public void close() {
        starter.shutdownNow();
        memoryNotices.shutdownNow();
        inputs.values().forEach(in -> in.close("processor " + rpc.name() + " stopped"));
        for (LegoProcess p : processes.values()) {
            p.kill();
        }
        for (TaskProcess t : tasks.values()) {
            t.kill();
        }
        if (launcher != null) {
            launcher.close();
        }
        if (excache != null) {
            excache.close();
        }
        if (faultCache != null) {
            faultCache.close();
        }
    }
}
