package org.legoos.net.protocol;

import org.legoos.api.ComponentUnavailableException;

/**
 * A peer speaks another version of the wire protocol (or did not greet with a {@link Hello} at all): the
 * connection is refused before any frame is read. The message names both versions, e.g. {@code peer 10.0.0.7:7701
 * speaks LegoOS/J protocol version 2, this build speaks version 1: run the same LegoOS/J build on every component
 * and client}.
 */
public final class ProtocolVersionException extends ComponentUnavailableException {
    private static final long serialVersionUID = 1L;
    /** {@link #peerVersion()} of a peer that sent no hello. */
    public static final int UNKNOWN = -1;

    private final int peerVersion;
    private final int localVersion;

    public ProtocolVersionException(String peer, int peerVersion, int localVersion) {
        super(message(peer, peerVersion, localVersion));
        this.peerVersion = peerVersion;
        this.localVersion = localVersion;
    }

    private static String message(String peer, int peerVersion, int localVersion) {
        String theirs = peerVersion == UNKNOWN
                ? "did not greet with a LegoOS/J hello (a build from before protocol versions, or not LegoOS/J)"
                : "speaks LegoOS/J protocol version " + peerVersion;
        return "peer " + peer + " " + theirs + ", this build speaks version " + localVersion
                + ": run the same LegoOS/J build on every component and client";
    }

    /** The version the peer announced, or {@link #UNKNOWN}. */
    public int peerVersion() {
        return peerVersion;
    }

    /** The version this build speaks ({@link Protocol#VERSION}, or what a test transport pretends). */
    public int localVersion() {
        return localVersion;
    }
}
