package org.legoos.net.protocol.p2s;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;
import static org.legoos.net.protocol.Codecs.*;

/** Directory entries (names) and for each 1 if it is a directory. */
public record DirList(java.util.List<String> names, int[] directoryFlags) implements org.legoos.net.protocol.Message {
    public DirList {
        java.util.Objects.requireNonNull(names, "names");
        java.util.Objects.requireNonNull(directoryFlags, "directoryFlags");
    }

    @Override
    public void encode(WireWriter out) {
        out.putStrings(names);
        out.putInt(directoryFlags.length); for (int v : directoryFlags) { out.putInt(v); }
    }

    public static DirList decode(WireReader in) {
        return new DirList(in.getStrings(1 << 20), readInts(in));
    }
}
