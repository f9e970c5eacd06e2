package org.legoos.net.rpc;

import org.legoos.api.LegoException;

/**
 * An error with a wire {@link Status}. Handlers throw it to send an error reply; callers receive it (or the
 * more specific API exception {@link Status#toException} picks) when the reply carries an error status.
 */
public class RpcException extends LegoException {
    private static final long serialVersionUID = 1L;
    private final Status code;

    public RpcException(Status code, String message) {
        super(code.name(), message);
        this.code = code;
    }

    public Status code() {
        return code;
    }
}
