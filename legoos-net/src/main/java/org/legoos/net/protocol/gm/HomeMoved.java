package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_HOME_MOVED: memory component {@code homeNode} took over as the home of process {@code pid} (its home died and
 * this component held the home's replica). The manager keeps it as the process's home: where a lost process's memory
 * is freed, what {@code lego ps} shows.
 */
public record HomeMoved(long pid, int homeNode) implements org.legoos.net.protocol.OneWay {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        out.putInt(homeNode);
    }

    public static HomeMoved decode(WireReader in) {
        return new HomeMoved(in.getLong(), in.getInt());
    }
}
