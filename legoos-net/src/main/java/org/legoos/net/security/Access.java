package org.legoos.net.security;

import static org.legoos.api.security.Role.MANAGER;
import static org.legoos.api.security.Role.MEMORY;
import static org.legoos.api.security.Role.OPERATOR;
import static org.legoos.api.security.Role.PROCESSOR;
import static org.legoos.api.security.Role.STORAGE;
import static org.legoos.api.security.Role.USER;

import java.util.EnumSet;
import java.util.Set;
import org.legoos.api.security.Role;
import org.legoos.net.protocol.Op;
import org.legoos.net.protocol.gm.GmOp;
import org.legoos.net.protocol.m2m.M2mOp;
import org.legoos.net.protocol.m2s.M2sOp;
import org.legoos.net.protocol.p2m.P2mOp;
import org.legoos.net.protocol.p2s.P2sOp;
import org.legoos.net.protocol.pm.PmOp;

/**
 * Which roles may send each request or one-way message: the one table the RPC layer checks, where the request lands,
 * before any handler sees it. The switches are exhaustive, so a new opcode does not compile until it says who may
 * send it.
 *
 * <p>This is the coarse check (role against opcode). What depends on a request's content (a vNode user acting only
 * in its vNodes, a component registering only as its own role) is checked by the handler, which sees the caller's
 * {@link org.legoos.api.security.Principal} in its {@code CallContext}.
 */
public final class Access {
    private static final Set<Role> COMPONENTS = EnumSet.of(PROCESSOR, MEMORY, STORAGE);
    private static final Set<Role> ANYONE = EnumSet.allOf(Role.class);
    /** People (operators, vNode users) and processors acting for their programs (spawn, kill, exit). */
    private static final Set<Role> PROCESS_CLIENTS = EnumSet.of(OPERATOR, USER, PROCESSOR);

    private Access() {
    }

    /** The roles that may send {@code op}. */
    public static Set<Role> senders(Op op) {
        return switch (op) {
            case GmOp g -> gm(g);
            case PmOp p -> pm(p);
            case P2mOp p -> p2m(p);
            // metadata of vNode files: processors and `lego cp|ls|rm`; a buffer cache asks a file's size
            // the manager lists a vNode's top directory for its dashboard (read-only)
            case P2sOp p -> switch (p) {
                case STAT -> EnumSet.of(PROCESSOR, MEMORY, OPERATOR, USER, MANAGER);
                case READDIR -> EnumSet.of(PROCESSOR, OPERATOR, USER, MANAGER);
                default -> EnumSet.of(PROCESSOR, OPERATOR, USER);
            };
            case M2sOp m -> EnumSet.of(MEMORY);
            case M2mOp m -> EnumSet.of(MEMORY);
            default -> throw new IllegalArgumentException("no access rule for " + op.wireName());
        };
    }

    /** True if a peer of {@code role} may send {@code op}. */
    public static boolean allows(Op op, Role role) {
        return senders(op).contains(role);
    }

    private static Set<Role> gm(GmOp op) {
        return switch (op) {
            case REGISTER, STATUS_REPORT, LEAVE -> COMPONENTS;
            case MEMBERS, VNODE_LIST, VNODE_GET -> ANYONE;
            case VNODE_CREATE, VNODE_REMOVE, CRL_PUBLISH -> EnumSet.of(OPERATOR);
            case CRL_GET -> COMPONENTS;
            case PLACE_PROCESS, PROCESS_EXIT -> PROCESS_CLIENTS;
            case CONSULT, MEMORY_USAGE, REPLICA_CONSULT, HOME_MOVED -> EnumSet.of(MEMORY);
            case PROCESS_INFO -> EnumSet.of(PROCESSOR);
            case STORAGE_ATTACH, STORAGE_DETACH, MEMORY_FAILED, MEMORY_JOINED, CRL_PUSH -> EnumSet.of(MANAGER);
        };
    }

    private static Set<Role> pm(PmOp op) {
        return switch (op) {
            case START, KILL, INPUT, LOGS -> PROCESS_CLIENTS;
            // and the manager, for its dashboard's process list (read-only)
            case PS -> EnumSet.of(OPERATOR, USER, PROCESSOR, MANAGER);
            case OUTPUT, EXIT -> EnumSet.of(PROCESSOR);
        };
    }

    private static Set<Role> p2m(P2mOp op) {
        return switch (op) {
            // file data through the vNode's buffer cache: processors, `lego cp` of operators and users, and the owner of a
            // file-backed mapping reading and writing it through another component's buffer cache
            case READ, WRITE -> EnumSet.of(PROCESSOR, MEMORY, OPERATOR, USER);
            case WRITEV, FSYNC, CLOSE -> EnumSet.of(PROCESSOR, OPERATOR, USER);
            // the manager frees the address space of a process whose processor died
            case DESTROY_AS -> EnumSet.of(PROCESSOR, MANAGER);
            // read-only: the manager's dashboard shows where a process's memory is
            case OWNERS -> EnumSet.of(PROCESSOR, MANAGER);
            case PCACHE_MISS, PCACHE_FLUSH, CREATE_AS, MMAP, MUNMAP, MREMAP, BRK, MSYNC, MPROTECT, MMAP_FILE,
                 PCACHE_FILE_FILL, RELOCATE -> EnumSet.of(PROCESSOR);
        };
    }
}
