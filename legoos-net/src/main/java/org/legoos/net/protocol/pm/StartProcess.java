package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;
import org.legoos.net.protocol.gm.VNodeInfo;

/**
 * PM_START: PM2P_START_PROC: run a program; output and exit stream back over the caller's connection. {@code stdin} says
 * whether the caller will send the program's standard input ({@link ProcessInput}); if false the program sees the end of
 * its input at once.
 */
public record StartProcess(long pid, VNodeInfo vnode, int homeMemoryNode, String program, java.util.List<String> args,
                           boolean stdin) implements org.legoos.net.protocol.Request<org.legoos.net.protocol.Ack> {
    public StartProcess {
        java.util.Objects.requireNonNull(vnode, "vnode");
        java.util.Objects.requireNonNull(program, "program");
        java.util.Objects.requireNonNull(args, "args");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(pid);
        vnode.encode(out);
        out.putInt(homeMemoryNode);
        out.putString(program);
        out.putStrings(args);
        out.putBoolean(stdin);
    }

    public static StartProcess decode(WireReader in) {
        return new StartProcess(in.getLong(), VNodeInfo.decode(in), in.getInt(), in.getString(), in.getStrings(1 << 20),
                in.getBoolean());
    }
}
