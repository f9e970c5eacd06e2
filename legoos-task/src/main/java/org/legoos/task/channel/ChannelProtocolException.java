package org.legoos.task.channel;

/** The other side broke the channel's protocol: a malformed frame or body, an unknown operation, an oversized frame. */
public final class ChannelProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChannelProtocolException(String message) {
        super(message);
    }
}
