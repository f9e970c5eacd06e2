package org.legoos.net.protocol.pm;

import org.legoos.net.protocol.WireReader;
import org.legoos.net.protocol.WireWriter;

/**
 * The answer to {@link ProcessInput}: the processor holds the process's input up to (not including) stream offset
 * {@code received} (the client continues from there), and {@code eof} once it has taken the end of the input.
 * {@code refused} is empty unless the process takes no more input (it exited, or closed its stdin): the client stops
 * sending then.
 */
public record InputAccepted(long received, boolean eof, String refused) implements org.legoos.net.protocol.Message {
    public InputAccepted {
        java.util.Objects.requireNonNull(refused, "refused");
    }

    @Override
    public void encode(WireWriter out) {
        out.putLong(received);
        out.putBoolean(eof);
        out.putString(refused);
    }

    public static InputAccepted decode(WireReader in) {
        return new InputAccepted(in.getLong(), in.getBoolean(), in.getString());
    }
}
