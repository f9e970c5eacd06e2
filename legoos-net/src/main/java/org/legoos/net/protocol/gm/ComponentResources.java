package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** What a component has and uses, as reported to the managers. */
public record ComponentResources(int cores, int threadsRunning, int processes, long memoryCapacityBytes, long memoryUsedBytes, long storageUsedBytes, long excacheBytes) implements org.legoos.net.protocol.Message {
    @Override
    public void encode(WireWriter out) {
        out.putInt(cores);
        out.putInt(threadsRunning);
        out.putInt(processes);
        out.putLong(memoryCapacityBytes);
        out.putLong(memoryUsedBytes);
        out.putLong(storageUsedBytes);
        out.putLong(excacheBytes);
    }

    public static ComponentResources decode(WireReader in) {
        return new ComponentResources(in.getInt(), in.getInt(), in.getInt(), in.getLong(), in.getLong(), in.getLong(), in.getLong());
    }
}
