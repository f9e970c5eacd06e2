package org.legoos.manager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import org.legoos.api.ComponentRole;

/**
 * The global managers' durable state in {@code <stateDir>/manager.state}: component registrations, vNodes,
 * running processes and the id, pid and IP counters. Only what must survive a manager restart is kept;
 * liveness and resources are rebuilt from status reports.
 *
 * <p>The file is a line-oriented text file (readable with {@code cat}) ending in a CRC-32 of everything before
 * it, so a truncated or edited file is detected. Every save writes a temporary file, forces it to disk and
 * renames it over the old one with {@code ATOMIC_MOVE}: a crash leaves either the old or the new state.
 * The directory is locked ({@code manager.lock}) so that two managers cannot share it.
 *
 * <p>Not thread-safe: guarded by the {@link GlobalManager}'s lock.
 */
final class StateStore implements AutoCloseable {
    static final String FILE_NAME = "manager.state";
    private static final String HEADER = "legoos-manager-state 1";

    record ComponentRow(int id, ComponentRole role, String address) {
    }

    /** A vNode; {@code storageQuotaBytes} is 0 in a row written before storage quotas existed (the default applies). */
    record VNodeRow(int id, String name, String virtualIp, int storageNode, int cacheMemoryNode, long memoryQuotaBytes,
                    int maxProcesses, long storageQuotaBytes) {
    }

    record ProcessRow(long pid, int vnodeId, int processorNode, int homeMemoryNode) {
    }

    record Snapshot(int nextNodeId, int nextVnodeId, long nextPid, long ipCursor, List<ComponentRow> components,
                    List<VNodeRow> vnodes, List<ProcessRow> processes) {
    }

    private final Path file;
    private final Path tmp;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private StateStore(Path file, Path tmp, FileChannel lockChannel, FileLock lock) {
        this.file = file;
        this.tmp = tmp;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Opens (creating if needed) and locks {@code dir}. */
    static StateStore open(Path dir) {
        Path lockFile = dir.resolve("manager.lock");
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw new ManagerStateException("manager state directory " + dir + " is in use by another manager ("
                        + lockFile + " is locked)");
            }
            return new StateStore(dir.resolve(FILE_NAME), dir.resolve(FILE_NAME + ".tmp"), ch, l);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ManagerStateException("cannot open manager state directory " + dir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    Path file() {
        return file;
    }

    /** The saved state, or null if none was ever saved. */
    Snapshot load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new ManagerStateException("cannot read manager state file " + file + ": " + e, e);
        }
        return new Parser(file, new String(bytes, StandardCharsets.UTF_8)).parse();
    }

    /** Replaces the saved state with {@code s}, atomically. */
    void save(Snapshot s) throws IOException {
        StringBuilder b = new StringBuilder(256);
        b.append(HEADER).append('\n');
        b.append("next-node-id ").append(s.nextNodeId()).append('\n');
        b.append("next-vnode-id ").append(s.nextVnodeId()).append('\n');
        b.append("next-pid ").append(s.nextPid()).append('\n');
        b.append("ip-cursor ").append(s.ipCursor()).append('\n');
        for (ComponentRow c : s.components()) {
            b.append("component ").append(c.id()).append(' ').append(c.role().wireName()).append(' ').append(c.address()).append('\n');
        }
        for (VNodeRow v : s.vnodes()) {
            b.append("vnode ").append(v.id()).append(' ').append(v.name()).append(' ').append(v.virtualIp()).append(' ')
                    .append(v.storageNode()).append(' ').append(v.cacheMemoryNode()).append(' ')
                    .append(v.memoryQuotaBytes()).append(' ').append(v.maxProcesses()).append(' ')
                    .append(v.storageQuotaBytes()).append('\n');
        }
        for (ProcessRow p : s.processes()) {
            b.append("process ").append(p.pid()).append(' ').append(p.vnodeId()).append(' ').append(p.processorNode())
                    .append(' ').append(p.homeMemoryNode()).append('\n');
        }
        byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(body);
        byte[] end = ("end " + Long.toHexString(crc.getValue()) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(body.length + end.length).put(body).put(end).flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + file + " cannot rename atomically; choose another stateDir", e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it anyway
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing useful to do
            }
        }
    }

    /** Reads and checks one state file; every problem names the file and line. */
    private static final class Parser {
        private final Path file;
        private final String text;
        private int lineNo;

        Parser(Path file, String text) {
            this.file = file;
            this.text = text;
        }

        Snapshot parse() {
            int endAt = text.lastIndexOf("\nend ");
            if (endAt < 0) {
                throw corrupt("truncated: no 'end' line with a checksum");
            }
            String body = text.substring(0, endAt + 1);
            String trailer = text.substring(endAt + 1);
            if (!trailer.endsWith("\n") || trailer.indexOf('\n') != trailer.length() - 1) {
                throw corrupt("unexpected text after the 'end' line");
            }
            CRC32 crc = new CRC32();
            crc.update(body.getBytes(StandardCharsets.UTF_8));
            String expected = Long.toHexString(crc.getValue());
            String found = trailer.substring(4, trailer.length() - 1);
            if (!expected.equals(found)) {
                throw corrupt("checksum mismatch (file says " + found + ", content has " + expected
                        + "): the file was truncated or edited");
            }
            String[] lines = body.split("\n", -1);
            Long nextNodeId = null;
            Long nextVnodeId = null;
            Long nextPid = null;
            Long ipCursor = null;
            List<ComponentRow> components = new ArrayList<>();
            List<VNodeRow> vnodes = new ArrayList<>();
            List<ProcessRow> processes = new ArrayList<>();
            for (int i = 0; i < lines.length - 1; i++) {
                lineNo = i + 1;
                String line = lines[i];
                if (i == 0) {
                    if (!line.equals(HEADER)) {
                        throw corrupt("first line must be '" + HEADER + "', found '" + abbreviate(line) + "'");
                    }
                    continue;
                }
                String[] f = line.split(" ", -1);
                switch (f[0]) {
                    case "next-node-id" -> nextNodeId = once(nextNodeId, number(f, 1, 2, Integer.MAX_VALUE));
                    case "next-vnode-id" -> nextVnodeId = once(nextVnodeId, number(f, 1, 1, Integer.MAX_VALUE));
                    case "next-pid" -> nextPid = once(nextPid, number(f, 1, 1, Long.MAX_VALUE));
                    case "ip-cursor" -> ipCursor = once(ipCursor, number(f, 1, 0, Long.MAX_VALUE));
                    case "component" -> {
                        fields(f, 4);
                        ComponentRole role = ComponentRole.byWireName(f[2]);
                        if (role == null) {
                            throw corrupt("unknown role '" + abbreviate(f[2]) + "'");
                        }
                        components.add(new ComponentRow((int) number(f, 1, 2, Integer.MAX_VALUE), role, f[3]));
                    }
                    case "vnode" -> {
                        if (f.length != 8) { // 8: written before storage quotas
                            fields(f, 9);
                        }
                        String problem = VNode.nameProblem(f[2]);
                        if (problem != null) {
                            throw corrupt(problem);
                        }
                        if (IpPool.parseIp(f[3]) < 0) {
                            throw corrupt("'" + abbreviate(f[3]) + "' is not an IPv4 address");
                        }
                        vnodes.add(new VNodeRow((int) number(f, 1, 1, Integer.MAX_VALUE), f[2], f[3],
                                (int) number(f, 4, 0, Integer.MAX_VALUE), (int) number(f, 5, 0, Integer.MAX_VALUE),
                                number(f, 6, 1, Long.MAX_VALUE), (int) number(f, 7, 1, Integer.MAX_VALUE),
                                f.length == 8 ? 0 : number(f, 8, 1, Long.MAX_VALUE)));
                    }
                    case "process" -> {
                        fields(f, 5);
                        processes.add(new ProcessRow(number(f, 1, 1, Long.MAX_VALUE), (int) number(f, 2, 1, Integer.MAX_VALUE),
                                (int) number(f, 3, 0, Integer.MAX_VALUE), (int) number(f, 4, 0, Integer.MAX_VALUE)));
                    }
                    default -> throw corrupt("unknown record '" + abbreviate(f[0]) + "'");
                }
            }
            lineNo = 0;
            if (nextNodeId == null || nextVnodeId == null || nextPid == null || ipCursor == null) {
                throw corrupt("missing one of next-node-id, next-vnode-id, next-pid, ip-cursor");
            }
            Snapshot s = new Snapshot(nextNodeId.intValue(), nextVnodeId.intValue(), nextPid, ipCursor,
                    List.copyOf(components), List.copyOf(vnodes), List.copyOf(processes));
            checkConsistent(s);
            return s;
        }

        private void checkConsistent(Snapshot s) {
            Set<Integer> ids = new HashSet<>();
            Set<String> addresses = new HashSet<>();
            for (ComponentRow c : s.components()) {
                if (c.id() >= s.nextNodeId()) {
                    throw corrupt("component " + c.id() + " is not below next-node-id " + s.nextNodeId());
                }
                if (!ids.add(c.id()) || !addresses.add(c.address())) {
                    throw corrupt("component " + c.id() + " (" + c.address() + ") is listed twice");
                }
            }
            Set<Integer> vnodeIds = new HashSet<>();
            Set<String> names = new HashSet<>();
            Set<String> ips = new HashSet<>();
            for (VNodeRow v : s.vnodes()) {
                if (v.id() >= s.nextVnodeId()) {
                    throw corrupt("vNode " + v.id() + " is not below next-vnode-id " + s.nextVnodeId());
                }
                if (!vnodeIds.add(v.id()) || !names.add(v.name()) || !ips.add(v.virtualIp())) {
                    throw corrupt("vNode " + v.id() + " '" + v.name() + "' repeats an id, name or IP of another vNode");
                }
                if (!ids.contains(v.storageNode()) || !ids.contains(v.cacheMemoryNode())) {
                    throw corrupt("vNode " + v.id() + " refers to unknown component " + v.storageNode() + " or " + v.cacheMemoryNode());
                }
            }
            Set<Long> pids = new HashSet<>();
            for (ProcessRow p : s.processes()) {
                if (p.pid() >= s.nextPid()) {
                    throw corrupt("pid " + p.pid() + " is not below next-pid " + s.nextPid());
                }
                if (!pids.add(p.pid())) {
                    throw corrupt("pid " + p.pid() + " is listed twice");
                }
                if (!vnodeIds.contains(p.vnodeId())) {
                    throw corrupt("pid " + p.pid() + " belongs to unknown vNode " + p.vnodeId());
                }
            }
        }

        private Long once(Long old, long v) {
            if (old != null) {
                throw corrupt("counter repeated");
            }
            return v;
        }

        private void fields(String[] f, int n) {
            if (f.length != n) {
                throw corrupt("'" + f[0] + "' needs " + (n - 1) + " fields, found " + (f.length - 1));
            }
        }

        private long number(String[] f, int i, long min, long max) {
            if (i >= f.length) {
                throw corrupt("'" + f[0] + "' is missing field " + i);
            }
            long v;
            try {
                v = Long.parseLong(f[i]);
            } catch (NumberFormatException e) {
                throw corrupt("'" + f[0] + "' field " + i + " is not a number: '" + abbreviate(f[i]) + "'");
            }
            if (v < min || v > max) {
                throw corrupt("'" + f[0] + "' field " + i + " = " + v + " is outside " + min + ".." + max);
            }
            return v;
        }

        private ManagerStateException corrupt(String why) {
            return new ManagerStateException("corrupt manager state file " + file + (lineNo > 0 ? " line " + lineNo : "")
                    + ": " + why + ". Restore it from a backup or move it away to start with empty state.");
        }

        private static String abbreviate(String s) {
            return s.length() <= 40 ? s : s.substring(0, 40) + "...";
        }
    }
}
