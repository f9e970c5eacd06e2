package org.legoos.net.rpc;

import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;
import org.legoos.api.SegmentationFault;

/**
 * The status a reply carries. Error replies become typed exceptions in the caller ({@link #toException}):
 * a bad address becomes a {@link SegmentationFault} in the program, not a hang.
 */
public enum Status {
    OK(0),
    /** The frame or body did not follow the protocol. */
    BAD_FRAME(1),
    /** No such opcode, or no handler for it on this component. */
    UNKNOWN_OPCODE(2),
    /** The frame exceeds the configured maximum. */
    TOO_LARGE(3),
    /** The address is not mapped (or not writable for a store). */
    BAD_ADDRESS(10),
    /** Memory capacity exhausted. */
    NO_MEMORY(11),
    /** A vNode quota would be exceeded. */
    QUOTA(12),
    NOT_FOUND(20),
    EXISTS(21),
    /** Access refused: path escapes the vNode, wrong vNode, not allowed. */
    DENIED(22),
    NOT_DIRECTORY(23),
    IS_DIRECTORY(24),
    NOT_EMPTY(25),
    INVALID_ARGUMENT(26),
    IO_ERROR(27),
    /** The target component is dead, unknown, or not serving. */
    UNAVAILABLE(30),
    /** No reply within the call's timeout. */
    TIMEOUT(31),
    /**
     * The caller acted in a role another component has taken over since: a memory component declared dead while it
     * was only stopped still serves as the home or owner it was. Not the program's fault: ask where the role lives
     * now.
     */
    SUPERSEDED(32),
    /** A bug or unexpected failure in the serving component (it keeps running). */
    INTERNAL(40);

    public final int code;
    private static final Status[] BY_CODE = new Status[256];

    static {
        for (Status s : values()) {
            BY_CODE[s.code] = s;
        }
    }

    Status(int code) {
        this.code = code;
    }

    /** The status with this wire code; unknown codes read as INTERNAL. */
    public static Status of(int code) {
        Status s = code >= 0 && code < 256 ? BY_CODE[code] : null;
        return s == null ? INTERNAL : s;
    }

    /** The status of any LegoException (by its status name), INTERNAL if unrecognised. */
    public static Status of(LegoException e) {
        if (e instanceof RpcException r) {
            return r.code();
        }
        try {
            return valueOf(e.status());
        } catch (IllegalArgumentException notOurs) {
            return INTERNAL;
        }
    }

    /** The exception a caller sees for an error reply with this status. */
    public LegoException toException(String message) {
        return switch (this) {
            case BAD_ADDRESS -> new SegmentationFault(message);
            case NO_MEMORY -> new NoMemoryException(message);
            case QUOTA -> new QuotaExceededException(message);
            case UNAVAILABLE, TIMEOUT -> new ComponentUnavailableException(name(), message);
            default -> new RpcException(this, message);
        };
    }
}
