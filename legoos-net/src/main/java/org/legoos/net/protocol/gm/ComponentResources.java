package org.legoos.net.protocol.gm;

import org.legoos.api.ProcessorMode;
import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/**
 * What a component has and uses, as reported to the managers. For a processor component, {@code processorMode} is how it
 * runs processes and {@code modeReason} why (null and empty for other roles); {@code memoryUsedBytes} of a processor is
 * the heap reserved by its process-mode tasks. For a memory component, {@code replicaBytes} of {@code memoryUsedBytes}
 * hold replicas of other components' pages, and {@code unreplicatedSpaces} address spaces owned there have no replica.
 * {@code excacheHits} and {@code excacheMisses} are a processor's ExCache counters since it started (0 elsewhere).
 */
public record ComponentResources(int cores, int threadsRunning, int processes, long memoryCapacityBytes, long memoryUsedBytes,
                                 long storageUsedBytes, long excacheBytes, ProcessorMode processorMode, String modeReason,
                                 long replicaBytes, int unreplicatedSpaces, long excacheHits, long excacheMisses)
        implements org.legoos.net.protocol.Message {
    private static final ProcessorMode[] MODES = ProcessorMode.values();

    public ComponentResources {
        java.util.Objects.requireNonNull(modeReason, "modeReason");
    }

    /** A component that runs no processes (no processor mode). */
    public ComponentResources(int cores, int threadsRunning, int processes, long memoryCapacityBytes, long memoryUsedBytes,
                              long storageUsedBytes, long excacheBytes) {
        this(cores, threadsRunning, processes, memoryCapacityBytes, memoryUsedBytes, storageUsedBytes, excacheBytes, null, "");
    }

    /** Without replicas (any role but memory). */
    public ComponentResources(int cores, int threadsRunning, int processes, long memoryCapacityBytes, long memoryUsedBytes,
                              long storageUsedBytes, long excacheBytes, ProcessorMode processorMode, String modeReason) {
        this(cores, threadsRunning, processes, memoryCapacityBytes, memoryUsedBytes, storageUsedBytes, excacheBytes,
                processorMode, modeReason, 0, 0);
    }

    /** Without ExCache counters (any role but processor). */
    public ComponentResources(int cores, int threadsRunning, int processes, long memoryCapacityBytes, long memoryUsedBytes,
                              long storageUsedBytes, long excacheBytes, ProcessorMode processorMode, String modeReason,
                              long replicaBytes, int unreplicatedSpaces) {
        this(cores, threadsRunning, processes, memoryCapacityBytes, memoryUsedBytes, storageUsedBytes, excacheBytes,
                processorMode, modeReason, replicaBytes, unreplicatedSpaces, 0, 0);
    }

    @Override
    public void encode(WireWriter out) {
        out.putInt(cores);
        out.putInt(threadsRunning);
        out.putInt(processes);
        out.putLong(memoryCapacityBytes);
        out.putLong(memoryUsedBytes);
        out.putLong(storageUsedBytes);
        out.putLong(excacheBytes);
        out.putByte(processorMode == null ? -1 : processorMode.ordinal());
        out.putString(modeReason);
        out.putLong(replicaBytes);
        out.putInt(unreplicatedSpaces);
        out.putLong(excacheHits);
        out.putLong(excacheMisses);
    }

    public static ComponentResources decode(WireReader in) {
        int cores = in.getInt();
        int threads = in.getInt();
        int processes = in.getInt();
        long cap = in.getLong();
        long used = in.getLong();
        long storage = in.getLong();
        long excache = in.getLong();
        int mode = in.getByte();
        if (mode < -1 || mode >= MODES.length) {
            throw new org.legoos.net.protocol.ProtocolException("bad processor mode " + mode);
        }
        return new ComponentResources(cores, threads, processes, cap, used, storage, excache, mode < 0 ? null : MODES[mode],
                in.getString(), in.getLong(), in.getInt(), in.getLong(), in.getLong());
    }
}
