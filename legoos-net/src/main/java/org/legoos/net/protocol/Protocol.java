package org.legoos.net.protocol;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.legoos.net.protocol.gm.GmOp;
import org.legoos.net.protocol.m2m.M2mOp;
import org.legoos.net.protocol.m2s.M2sOp;
import org.legoos.net.protocol.p2m.P2mOp;
import org.legoos.net.protocol.p2s.P2sOp;
import org.legoos.net.protocol.pm.PmOp;

/**
 * The registry of every opcode of every link: wire code to {@link Op}, and message type to {@link Op}.
 * Adding a message means adding a constant to its link's enum; nothing else needs to change.
 */
public final class Protocol {
    /**
     * The version of the wire protocol this build speaks: the single source of truth. Every connection starts with
     * a {@link Hello} carrying it, and a peer speaking another version is refused before any frame is read. Raise
     * it whenever the frame header, an opcode or a message body changes incompatibly.
     *
     * <p>2: {@code PM_START} carries whether the client sends stdin; {@code PM_INPUT} carries it.
     * <p>3: memory replication ({@code GM_REPLICA_CONSULT}, {@code GM_MEMORY_FAILED}, {@code M2M_SET_REPLICA},
     * {@code M2M_REPLICATE}, {@code M2M_PROMOTE}).
     * <p>4: moving a vRegion off a full owner ({@code P2M_RELOCATE}, {@code M2M_MOVE_OUT}, {@code GM_CONSULT}'s avoid).
     * <p>5: {@code GM_REGISTER}'s reply carries the pids a component registering again at its old address must not
     * take for its own.
     * <p>6: {@code GM_HOME_MOVED}: a memory component that adopted a process's home tells the manager.
     * <p>7: {@code GM_MEMBERS} rows carry the identity each component's certificate proved (TLS); {@code GM_PROCESS_INFO}.
     * <p>8: storage quotas per vNode ({@code GM_VNODE_CREATE} and vNode rows carry one; {@code M2S_USAGE}); the manager
     * serves the revocation list ({@code GM_CRL_PUBLISH}, {@code GM_CRL_GET}, {@code GM_CRL_PUSH}).
     * Also in 8: status reports carry the ExCache's hits and misses, {@code PM_PS} rows each process's misses (metrics,
     * {@code lego top}); {@code PM_LOGS} ({@code lego logs PID}).
     * <p>9: status {@code SUPERSEDED} (32): an owner refuses a deposed home's change, a promoted replica its old
     * primary's; a processor then looks for the process's new home. {@code P2M_OWNERS}: a process's owner map, read
     * at its home (the dashboard's memory spread).
     * <p>10: {@code M2M_SET_HOME} carries the new home's epoch; an owner refuses a lower one (SUPERSEDED). Owner maps
     * ({@code MapReply}) name the owners that died without a replica (their pages lost), so processors fail at once.
     */
    public static final int VERSION = 10;

    private static final Op[] BY_CODE = new Op[1 << 16];
    private static final Map<Class<?>, Op> BY_TYPE = new HashMap<>();
    private static final ClassValue<Op> TYPE_CACHE = new ClassValue<>() {
        @Override
        protected Op computeValue(Class<?> type) {
            return BY_TYPE.get(type);
        }
    };

    static {
        List<Op[]> links = List.of(P2mOp.values(), P2sOp.values(), M2sOp.values(), M2mOp.values(),
                GmOp.values(), PmOp.values());
        for (Op[] ops : links) {
            for (Op op : ops) {
                if (op.number() < 1 || op.number() > 255) {
                    throw new ExceptionInInitializerError(op.wireName() + ": number " + op.number() + " outside 1..255");
                }
                if (BY_CODE[op.code()] != null) {
                    throw new ExceptionInInitializerError("duplicate opcode " + op.code() + ": " + op.wireName()
                            + " and " + BY_CODE[op.code()].wireName());
                }
                BY_CODE[op.code()] = op;
                if (BY_TYPE.put(op.requestType(), op) != null) {
                    throw new ExceptionInInitializerError("message type " + op.requestType().getName() + " has two opcodes");
                }
            }
        }
    }

    private Protocol() {
    }

    /** The opcode with this wire code, or null if unknown. */
    public static Op byCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** The opcode that carries this request or one-way type. */
    public static Op of(Class<? extends Message> type) {
        Op op = TYPE_CACHE.get(type);
        if (op == null) {
            throw new IllegalArgumentException(type.getName() + " is not registered in any link's opcode enum");
        }
        return op;
    }

    /** Every registered opcode. */
    public static List<Op> all() {
        return java.util.Arrays.stream(BY_CODE).filter(java.util.Objects::nonNull).toList();
    }
}
