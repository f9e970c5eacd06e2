package org.legoos.net.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.legoos.api.security.Role;
import org.legoos.net.protocol.Link;
import org.legoos.net.protocol.Op;
import org.legoos.net.protocol.Protocol;
import org.legoos.net.protocol.gm.GmOp;
import org.legoos.net.protocol.p2m.P2mOp;
import org.legoos.net.protocol.p2s.P2sOp;
import org.legoos.net.protocol.pm.PmOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The role table: every opcode has senders, and the lines the threat model (docs/SECURITY.md) draws hold. */
class AccessTest {
    @Test
    void everyOpcodeSaysWhoMaySendIt() {
        for (Op op : Protocol.all()) {
            assertThat(Access.senders(op)).as(op.wireName()).isNotEmpty();
        }
    }

    @Test
    void peopleReachOnlyTheirRequestsAndNeverTheLinksBetweenComponents() {
        for (Op op : Protocol.all()) {
            boolean people = op.link() == Link.PM && op != PmOp.OUTPUT && op != PmOp.EXIT
                    || op == P2mOp.READ || op == P2mOp.WRITE || op == P2mOp.WRITEV || op == P2mOp.FSYNC || op == P2mOp.CLOSE
                    || op.link() == Link.P2S
                    || op == GmOp.MEMBERS || op == GmOp.VNODE_LIST || op == GmOp.VNODE_GET || op == GmOp.PLACE_PROCESS
                    || op == GmOp.PROCESS_EXIT;
            assertThat(Access.allows(op, Role.USER)).as("user may send " + op.wireName()).isEqualTo(people);
            if (op.link() == Link.M2M || op.link() == Link.M2S) {
                assertThat(Access.senders(op)).as(op.wireName()).containsOnly(Role.MEMORY);
            }
        }
        assertThat(Access.allows(GmOp.VNODE_CREATE, Role.OPERATOR)).isTrue();
        assertThat(Access.senders(GmOp.VNODE_CREATE)).containsOnly(Role.OPERATOR);
        assertThat(Access.senders(GmOp.MEMORY_FAILED)).containsOnly(Role.MANAGER);
        assertThat(Access.senders(GmOp.REGISTER)).containsOnly(Role.PROCESSOR, Role.MEMORY, Role.STORAGE);
        assertThat(Access.allows(P2sOp.UNLINK, Role.MEMORY)).isFalse();
        // the manager's dashboard reads (process lists, a vNode's top directory) and changes nothing
        assertThat(Access.allows(org.legoos.net.protocol.pm.PmOp.PS, Role.MANAGER)).isTrue();
        assertThat(Access.allows(P2sOp.READDIR, Role.MANAGER)).isTrue();
        assertThat(Access.allows(P2sOp.STAT, Role.MANAGER)).isTrue();
        for (var op : List.of(org.legoos.net.protocol.pm.PmOp.START, org.legoos.net.protocol.pm.PmOp.KILL,
                org.legoos.net.protocol.pm.PmOp.INPUT, P2sOp.OPEN, P2sOp.UNLINK, P2sOp.TRUNCATE, P2sOp.RENAME,
                org.legoos.net.protocol.p2m.P2mOp.READ)) {
            assertThat(Access.allows(op, Role.MANAGER)).as("manager may send " + op.wireName()).isFalse();
        }
    }
}
