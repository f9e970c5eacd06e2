package org.legoos.net.protocol.gm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * GM_PROCESS_INFO: where the manager placed process {@code pid} (its processor, home and vNode), answered with the
 * same {@link Placement} PLACE_PROCESS gave. A processor asks before it starts a process a client asked for, so that
 * a client cannot start a program under another process's pid, home or vNode.
 */
public record ProcessInfo(long pid) implements org.legoos.net.protocol.Request<Placement> {
    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
    }

    public static ProcessInfo decode(WireReader in) {
        return new ProcessInfo(in.getLong());
    }
}
