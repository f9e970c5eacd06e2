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
import org.legoos.net.protocol.pm.KillProcess;
import org.legoos.net.protocol.pm.ListProcesses;
import org.legoos.net.protocol.pm.ProcessEntry;
import org.legoos.net.protocol.pm.ProcessExit;
import org.legoos.net.protocol.pm.ProcessList;
import org.legoos.net.protocol.pm.ProcessOutput;
import org.legoos.net.protocol.pm.StartProcess;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process monitor of a processor component (LegoOS's pComponent): it starts the processes the GPM places
 * here ({@code PM_START}), runs all their threads on this component's cores, gives each a disaggregated
 * address space cached in this component's one {@link ExCache}, keeps the stateful file API (open files,
 * positions, cwd) in front of the stateless storage, streams output back and reports the exit.
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

    public ProcessMonitor(RpcNode rpc, int managerNode, ProcessorConfig config, ProgramLoader loader) {
        this.rpc = rpc;
        this.managerNode = managerNode;
        this.config = config;
        this.loader = loader;
        this.backend = new ExCacheBackend(rpc, config.maxProcesses() + 1);
        this.excache = new ExCache(config.excache(), backend);
        this.faultCache = new org.legoos.processor.excache.FaultExCache(config.excache(), backend, config.maxProcesses() + 1);
        this.client = new ProcessClient(rpc, managerNode);
        rpc.handle(StartProcess.class, this::start, starter);
        rpc.handle(KillProcess.class, (q, ctx) -> {
            kill(q.pid());
            return Ack.INSTANCE;
        });
        rpc.handle(ListProcesses.class, (q, ctx) -> ps());
    }

    public ProcessorConfig config() {
        return config;
    }

    public ExCache excache() {
        return excache;
    }

    public ExCacheStats excacheStats() {
        return excache.stats();
    }

    /** Process mode's ExCache (the resident pages of the task JVMs). */
    public org.legoos.processor.excache.FaultExCache faultCache() {
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
        return new org.legoos.processor.task.TaskMemory(space, faultCache, taskPid);
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
        return new ComponentResources(config.cores(), threadsRunning.get(), processes.size(), 0, 0, 0,
                config.excache().capacityBytes());
    }

    private Ack start(StartProcess q, CallContext ctx) throws IOException {
        if (processes.containsKey(q.pid())) {
            throw new RpcException(Status.EXISTS, "pid " + q.pid() + " already runs here");
        }
        if (processes.size() >= config.maxProcesses()) {
            throw new RpcException(Status.QUOTA, "processor runs its maximum of " + config.maxProcesses() + " processes");
        }
        RemoteAddressSpace memory = RemoteAddressSpace.create(rpc, excache, backend, q.pid(), q.vnode().id(),
                q.homeMemoryNode(), q.vnode().memoryQuotaBytes());
        LegoProgram program;
        FileSystem fs;
        try {
            RemoteFileService files = new RemoteFileService(rpc, q.vnode().id(), q.vnode().storageNode(),
                    q.vnode().cacheMemoryNode());
            memory.attachFiles(path -> {
                FileService.Stat st = files.stat(path);
                if (st.directory()) {
                    throw new java.nio.file.NoSuchFileException(path, null, "is a directory, not a file to map");
                }
                return new FileMapper.Target(q.vnode().id(), q.vnode().cacheMemoryNode(), path, st.size());
            });
            fs = fsProvider.newFileSystem(q.vnode().name(), files);
            program = loader.load(q.program(), fs);
        } catch (NoSuchFileException e) {
            memory.close();
            throw new RpcException(Status.NOT_FOUND, "program " + q.program() + " not found: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            memory.close();
            throw new RpcException(Status.INVALID_ARGUMENT, "cannot load program " + q.program() + ": " + e.getMessage());
        }
        Consumer<ProcessOutput> output = ctx::sendBack;
        LegoProcess p = new LegoProcess(this, q.pid(), q.vnode(), q.program(), memory, fs, output);
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
        processes.remove(p.pid);
        log.info("exit pid={} code={}{}", p.pid, code, error.isEmpty() ? "" : " error=" + error);
        try {
            ctx.sendBack(new ProcessExit(p.pid, code, error));
        } catch (RuntimeException e) {
            log.warn("pid {}: launcher unreachable for exit report: {}", p.pid, e.toString());
        }
        try {
            rpc.send(managerNode, new ProcessExited(p.pid, p.vnode.id()));
        } catch (RuntimeException e) {
            log.warn("pid {}: manager unreachable for exit report: {}", p.pid, e.toString());
        }
    }

    /** Kills a process: its threads are interrupted and it exits with {@link #EXIT_KILLED}. */
    public void kill(long pid) {
        LegoProcess p = processes.get(pid);
        if (p == null) {
            throw new RpcException(Status.NOT_FOUND, "no process " + pid + " on this processor");
        }
        log.info("kill pid={}", pid);
        p.kill();
    }

    public ProcessList ps() {
        List<ProcessEntry> list = new ArrayList<>();
        for (LegoProcess p : processes.values()) {
            list.add(new ProcessEntry(p.pid, p.vnode.id(), p.program, p.state, p.threads.size(), p.startedMillis));
        }
        list.sort(java.util.Comparator.comparingLong(ProcessEntry::pid));
        return new ProcessList(list);
    }

    /** Number of processes running here. */
    public int processCount() {
        return processes.size();
    }

    @Override
    public void close() {
        starter.shutdownNow();
        for (LegoProcess p : processes.values()) {
            p.kill();
        }
        excache.close();
    }
}
