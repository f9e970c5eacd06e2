package org.legoos.manager;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import it.unimi.dsi.fastutil.longs.LongLinkedOpenHashSet;
import java.util.regex.Pattern;
import org.legoos.net.protocol.gm.VNodeInfo;

/**
 * A vNode in the registry: the virtual server users see, with its unique id, name and virtual IP, the storage
 * component that holds its files (GSM), the memory component caching them, its quotas and its running processes.
 *
 * <p>Not thread-safe: guarded by the {@link GlobalManager}'s lock.
 */
final class VNode {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    final int id;
    final String name;
    final String virtualIp;
    final int storageNode;
    /** The memory component caching its files; another one when it dies (the manager's lock held). */
    int cacheMemoryNode;
    final long memoryQuotaBytes;
    /** Most bytes its files may take on its storage component (enforced there and by its buffer cache). */
    final long storageQuotaBytes;
    final int maxProcesses;
    /** Running processes, in launch order. */
    final LongLinkedOpenHashSet pids = new LongLinkedOpenHashSet();
    /**
     * Bytes each process maps, as its home memory component last reported ({@code MEMORY_USAGE}); the memory quota
     * holds their sum, whichever homes the processes have. Not persisted: homes report again on their next call.
     */
    private final Long2LongOpenHashMap mappedBytes = new Long2LongOpenHashMap();
    private long mappedTotal;

    VNode(int id, String name, String virtualIp, int storageNode, int cacheMemoryNode, long memoryQuotaBytes,
          long storageQuotaBytes, int maxProcesses) {
        this.id = id;
        this.name = name;
        this.virtualIp = virtualIp;
        this.storageNode = storageNode;
        this.cacheMemoryNode = cacheMemoryNode;
        this.memoryQuotaBytes = memoryQuotaBytes;
        this.storageQuotaBytes = storageQuotaBytes;
        this.maxProcesses = maxProcesses;
    }

    /** Bytes all processes of this vNode map together. */
    long mappedBytes() {
        return mappedTotal;
    }

    /** Bytes process {@code pid} maps. */
    long mappedBytes(long pid) {
        return mappedBytes.get(pid);
    }

    /** Records that process {@code pid} maps {@code bytes} (0 forgets it). */
    void setMapped(long pid, long bytes) {
        long old = bytes == 0 ? mappedBytes.remove(pid) : mappedBytes.put(pid, bytes);
        mappedTotal += bytes - old;
    }

    /** The storage component's internal directory for this vNode. */
    static String storageRoot(int id) {
        return "/vnode-" + id;
    }

    /** Why {@code name} is not a valid vNode name, or null if it is. */
    static String nameProblem(String name) {
        if (!NAME.matcher(name).matches()) {
            return "vNode name '" + name + "' is invalid: use 1 to 63 characters from a-z, 0-9 and '-', starting with a letter or digit";
        }
        if (DIGITS.matcher(name).matches()) {
            return "vNode name '" + name + "' is invalid: an all-digit name would be ambiguous with vNode ids";
        }
        return null;
    }

    VNodeInfo info() {
        return new VNodeInfo(id, name, virtualIp, storageRoot(id), storageNode, cacheMemoryNode, memoryQuotaBytes,
                storageQuotaBytes, maxProcesses, pids.size());
    }

    @Override
    public String toString() {
        return "vNode " + id + " '" + name + "'";
    }
}
