package org.legoos.node.dashboard;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.legoos.api.ComponentRole;
import org.legoos.api.ComponentState;
import org.legoos.api.LegoException;
import org.legoos.manager.GlobalManager;
import org.legoos.net.protocol.gm.ComponentInfo;
import org.legoos.net.protocol.gm.ComponentResources;
import org.legoos.net.protocol.gm.VNodeInfo;
import org.legoos.net.protocol.p2m.MapReply;
import org.legoos.net.protocol.p2m.OwnersRequest;
import org.legoos.net.protocol.pm.ListProcesses;
import org.legoos.net.protocol.pm.ProcessEntry;
import org.legoos.net.protocol.pm.ProcessList;
import org.legoos.net.rpc.RpcNode;
import org.legoos.processor.RemoteFileService;
import org.legoos.task.fs.FileService;

/**
 * What the dashboard shows, as JSON: the manager's membership table and vNodes (copies taken under the manager's lock,
 * released at once), the processes every live processor lists ({@code PM_PS}, asked all at once from the manager's
 * endpoint, no lock held), and a vNode's top directory ({@code P2S_READDIR} at its storage component), as
 * {@code lego top} and {@code lego ls} gather them. Thread-safe: every call gathers afresh.
 */
public final class ClusterView {
    /** How long a processor may take to list its processes before the page shows it as unreachable. */
    static final Duration PS_TIMEOUT = Duration.ofSeconds(3);
    /** Files of a vNode whose size is asked (one {@code P2S_STAT} each); the rest are listed by name. */
    static final int MAX_STATS = 100;

    private final GlobalManager manager;
    private final RpcNode rpc;

    public ClusterView(GlobalManager manager, RpcNode rpc) {
        this.manager = manager;
        this.rpc = rpc;
    }

    private record Row(ComponentInfo processor, ProcessEntry process) {
    }

    private record Snapshot(List<ComponentInfo> members, List<VNodeInfo> vnodes, List<Row> rows, List<String> unreachable) {
        String vnodeName(int id) {
            for (VNodeInfo v : vnodes) {
                if (v.id() == id) {
                    return v.name();
                }
            }
            return Integer.toString(id);
        }
    }

    private Snapshot snapshot() {
        List<ComponentInfo> members = manager.members();
        List<VNodeInfo> vnodes = manager.vnodes();
        List<ComponentInfo> processors = members.stream()
                .filter(c -> c.role() == ComponentRole.PROCESSOR && c.state() == ComponentState.ALIVE).toList();
        List<CompletableFuture<ProcessList>> replies = new ArrayList<>();
        for (ComponentInfo p : processors) {
            replies.add(rpc.callAsync(p.nodeId(), new ListProcesses(), PS_TIMEOUT));
        }
        List<Row> rows = new ArrayList<>();
        List<String> unreachable = new ArrayList<>();
        for (int i = 0; i < processors.size(); i++) {
            ComponentInfo p = processors.get(i);
            try {
                for (ProcessEntry e : replies.get(i).join().processes()) {
                    rows.add(new Row(p, e));
                }
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                unreachable.add("processor node " + p.nodeId() + " (" + p.address() + "): " + cause.getMessage());
            }
        }
        rows.sort(java.util.Comparator.comparingLong(r -> r.process().pid()));
        return new Snapshot(members, vnodes, rows, unreachable);
    }

    /** {@code /api/cluster}: components, vNodes, processes, and the processors that did not answer. */
    public String cluster() {
        Snapshot s = snapshot();
        Json j = new Json().beginObject();
        j.field("timeMillis", System.currentTimeMillis());
        j.name("components").beginArray();
        for (ComponentInfo c : s.members()) {
            component(j, c);
        }
        j.endArray();
        j.name("vnodes").beginArray();
        for (VNodeInfo v : s.vnodes()) {
            vnode(j, v);
        }
        j.endArray();
        j.name("processes").beginArray();
        for (Row r : s.rows()) {
            process(j, s, r);
        }
        j.endArray();
        unreachable(j, s);
        return j.endObject().toString();
    }

    /**
     * {@code /api/process/{pid}}.
     *
     * @return null if no live processor runs it
     */
    public String process(long pid) {
        Snapshot s = snapshot();
        for (Row r : s.rows()) {
            if (r.process().pid() == pid) {
                Json j = new Json().beginObject();
                j.field("timeMillis", System.currentTimeMillis());
                j.name("process");
                process(j, s, r);
                j.name("processorComponent");
                component(j, r.processor());
                memory(j, pid);
                return j.endObject().toString();
            }
        }
        return null;
    }

    /**
     * Where pid's memory is: its home's owner map ({@code P2M_OWNERS}, read-only), as the vRegions and bytes of address
     * space each memory component owns, with the home and its replica; {@code memoryError} if the home does not answer.
     */
    private void memory(Json j, long pid) {
        int home = manager.homeOf(pid);
        if (home < 0) {
            j.field("memoryError", "the manager knows no home for pid " + pid);
            return;
        }
        MapReply map;
        try {
            map = rpc.callAsync(home, new OwnersRequest(pid), PS_TIMEOUT).join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            j.field("memoryError", "its home, memory component " + home + ", did not answer: " + cause.getMessage());
            return;
        }
        java.util.SortedMap<Integer, Integer> vregions = new java.util.TreeMap<>();
        for (int owner : map.owners()) {
            vregions.merge(owner, 1, Integer::sum);
        }
        j.name("memory").beginObject()
                .field("home", home)
                .field("homeReplica", map.homeReplica())
                .field("vregionBytes", map.vregionBytes());
        j.name("owners").beginArray();
        vregions.forEach((node, n) -> j.beginObject().field("node", node).field("vregions", n)
                .field("bytes", n * map.vregionBytes()).endObject());
        j.endArray().endObject();
    }

    /**
     * {@code /api/vnode/{name}}: the vNode, its processes and its top-level files.
     *
     * @throws LegoException NOT_FOUND if the manager knows no such vNode
     */
    public String vnode(String nameOrId) {
        VNodeInfo v = manager.vnode(nameOrId);
        Snapshot s = snapshot();
        Json j = new Json().beginObject();
        j.field("timeMillis", System.currentTimeMillis());
        j.name("vnode");
        vnode(j, v);
        j.name("processes").beginArray();
        for (Row r : s.rows()) {
            if (r.process().vnodeId() == v.id()) {
                process(j, s, r);
            }
        }
        j.endArray();
        files(j, v);
        unreachable(j, s);
        return j.endObject().toString();
    }

    private void files(Json j, VNodeInfo v) {
        RemoteFileService fs = new RemoteFileService(rpc, v.id(), v.storageNode(), v.cacheMemoryNode());
        List<FileService.DirEntry> entries;
        try {
            entries = fs.readdir("/");
        } catch (IOException | RuntimeException e) {
            j.field("filesError", "cannot list its files at storage node " + v.storageNode() + ": " + e.getMessage());
            j.name("files").beginArray().endArray();
            return;
        }
        j.name("files").beginArray();
        int stats = 0;
        for (FileService.DirEntry e : entries.stream().sorted(java.util.Comparator.comparing(FileService.DirEntry::name)).toList()) {
            j.beginObject().field("name", e.name()).field("directory", e.directory());
            if (!e.directory() && stats++ < MAX_STATS) {
                try {
                    j.field("size", fs.stat("/" + e.name()).size());
                } catch (IOException | RuntimeException ignored) {
                    // removed meanwhile: listed without a size
                }
            }
            j.endObject();
        }
        j.endArray();
    }

    private static void unreachable(Json j, Snapshot s) {
        j.name("unreachable").beginArray();
        s.unreachable().forEach(j::value);
        j.endArray();
    }

    private static void component(Json j, ComponentInfo c) {
        ComponentResources r = c.resources();
        j.beginObject()
                .field("id", c.nodeId())
                .field("role", c.role().name().toLowerCase(java.util.Locale.ROOT))
                .field("state", c.state().name().toLowerCase(java.util.Locale.ROOT))
                .field("address", c.address())
                .field("identity", c.identity())
                .field("lastReportMillis", c.lastReportMillis())
                .field("cores", r.cores())
                .field("threads", r.threadsRunning())
                .field("processes", r.processes())
                .field("memoryUsedBytes", r.memoryUsedBytes())
                .field("memoryCapacityBytes", r.memoryCapacityBytes())
                .field("storageUsedBytes", r.storageUsedBytes())
                .field("excacheBytes", r.excacheBytes())
                .field("excacheHits", r.excacheHits())
                .field("excacheMisses", r.excacheMisses())
                .field("replicaBytes", r.replicaBytes())
                .endObject();
    }

    private static void vnode(Json j, VNodeInfo v) {
        j.beginObject()
                .field("id", v.id())
                .field("name", v.name())
                .field("virtualIp", v.virtualIp())
                .field("storageNode", v.storageNode())
                .field("cacheMemoryNode", v.cacheMemoryNode())
                .field("memoryQuotaBytes", v.memoryQuotaBytes())
                .field("storageQuotaBytes", v.storageQuotaBytes())
                .field("maxProcesses", v.maxProcesses())
                .field("processes", v.processes())
                .endObject();
    }

    private void process(Json j, Snapshot s, Row r) {
        ProcessEntry e = r.process();
        j.beginObject()
                .field("pid", e.pid())
                .field("vnode", s.vnodeName(e.vnodeId()))
                .field("vnodeId", e.vnodeId())
                .field("program", e.program())
                .field("state", e.state())
                .field("processor", r.processor().nodeId())
                .field("homeMemoryNode", manager.homeOf(e.pid()))
                .field("misses", e.misses())
                .field("threads", e.threads())
                .field("startedMillis", e.startedMillis())
                .endObject();
    }

}
