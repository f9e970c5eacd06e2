package org.legoos.net.protocol;

/**
 * A frame or message body that does not follow the protocol: truncated, too long, unknown opcode, or a
 * field out of range. Thrown by decoders; the RPC layer turns it into an error reply or closes the
 * connection, never into a crash of the monitor.
 */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message, null, false, false);
    }
}
