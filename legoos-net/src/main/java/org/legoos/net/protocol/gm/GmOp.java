package org.legoos.net.protocol.gm;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the GM link: the one place that knows them. */
public enum GmOp implements Op {
    /** a component joins the cluster; the manager assigns its node id. */
    REGISTER(1, Register.class, Register::decode, Registered::decode),
    /** periodic status and heartbeat from a monitor. */
    STATUS_REPORT(2, StatusReport.class, StatusReport::decode, null),
    /** the membership table (components, roles, addresses, states). */
    MEMBERS(3, MembersRequest.class, MembersRequest::decode, MemberList::decode),
    /** create a vNode. */
    VNODE_CREATE(4, VNodeCreate.class, VNodeCreate::decode, VNodeInfo::decode),
    /** all vNodes. */
    VNODE_LIST(5, VNodeListRequest.class, VNodeListRequest::decode, VNodeList::decode),
    /** one vNode by name or numeric id. */
    VNODE_GET(6, VNodeGet.class, VNodeGet::decode, VNodeInfo::decode),
    /** remove a vNode (refused while it has processes). */
    VNODE_REMOVE(7, VNodeRemove.class, VNodeRemove::decode, org.legoos.net.protocol.Ack::decode),
    /** GPM picks a processor, GMM a home memory component, and a cluster-unique pid is assigned. */
    PLACE_PROCESS(8, PlaceProcess.class, PlaceProcess::decode, Placement::decode),
    /** a process ended (P2PM_EXIT_PROC): release its GPM accounting. */
    PROCESS_EXIT(9, ProcessExited.class, ProcessExited::decode, null),
    /** M2MM_CONSULT: which memory component should own a new vRegion. */
    CONSULT(10, Consult.class, Consult::decode, NodeChoice::decode),
    /** GSM tells a storage component to serve a vNode (creates its directory). */
    STORAGE_ATTACH(11, StorageAttach.class, StorageAttach::decode, org.legoos.net.protocol.Ack::decode),
    /** A component leaves the cluster cleanly: it is marked DEAD at once instead of at the heartbeat timeout. */
    LEAVE(12, Leave.class, Leave::decode, null),
    /** A home memory component reserves (or reports) the bytes a process maps, for the vNode's memory quota. */
    MEMORY_USAGE(13, MemoryUsage.class, MemoryUsage::decode, org.legoos.net.protocol.Ack::decode),
    /** GSM tells a storage component a vNode was removed: stop serving it and free its files. */
    STORAGE_DETACH(14, StorageDetach.class, StorageDetach::decode, org.legoos.net.protocol.Ack::decode),
    /** A home asks where the replica of a process's vRegions on one owner should live. */
    REPLICA_CONSULT(15, ReplicaConsult.class, ReplicaConsult::decode, NodeChoice::decode),
    /** The manager tells the live memory components that one of them was declared dead (failover). */
    MEMORY_FAILED(16, MemoryFailed.class, MemoryFailed::decode, org.legoos.net.protocol.Ack::decode),
    /** The manager tells the live memory components that another one serves now (restore redundancy). */
    MEMORY_JOINED(17, MemoryJoined.class, MemoryJoined::decode, org.legoos.net.protocol.Ack::decode),
    /** A memory component took over as a process's home from a dead one (it held the home's replica). */
    HOME_MOVED(18, HomeMoved.class, HomeMoved::decode, null),
    /** Where a process was placed: a processor checks a START against it. */
    PROCESS_INFO(19, ProcessInfo.class, ProcessInfo::decode, Placement::decode),
    /** an operator publishes the cluster's revocation list: the manager serves it and pushes it to every component. */
    CRL_PUBLISH(20, CrlPublish.class, CrlPublish::decode, org.legoos.net.protocol.Ack::decode),
    /** a component that joins asks for the revocation list the manager serves. */
    CRL_GET(21, CrlGet.class, CrlGet::decode, Crl::decode),
    /** the manager gives every live component a newly published revocation list. */
    CRL_PUSH(22, CrlPush.class, CrlPush::decode, null);

    private final Info info;

    GmOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.info = new Info(Link.GM, number, type, requestDecoder, replyDecoder);
    }

    @Override
    public Info info() {
        return info;
    }
}
