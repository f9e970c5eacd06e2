package org.legoos.net.protocol.m2m;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the M2M link (home node to vRegion owners): the one place that knows them. */
public enum M2mOp implements Op {
    ;

    private final int number;
    private final Class<? extends Message> type;
    private final Function<WireReader, ? extends Message> requestDecoder;
    private final Function<WireReader, ? extends Message> replyDecoder;

    M2mOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.number = number;
        this.type = type;
        this.requestDecoder = requestDecoder;
        this.replyDecoder = replyDecoder;
    }

    @Override
    public Link link() {
        return Link.M2M;
    }

    @Override
    public int number() {
        return number;
    }

    @Override
    public Class<? extends Message> requestType() {
        return type;
    }

    @Override
    public Function<WireReader, ? extends Message> requestDecoder() {
        return requestDecoder;
    }

    @Override
    public Function<WireReader, ? extends Message> replyDecoder() {
        return replyDecoder;
    }
}
