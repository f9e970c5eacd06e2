package org.legoos.task.channel;

import java.util.List;

/**
 * The {@link Syscall#START} message, the first frame the monitor sends a task: who the process is and what it runs.
 *
 * @param pid the LegoOS/J process id
 * @param monitorPid the OS pid of the processor component's JVM (the task's parent; it dies with it)
 * @param vnode the vNode's name (for the {@code lego:} file system's URIs; storage calls never carry it from the task)
 * @param program what to run: a bundled program's short name or a jar path in the vNode
 * @param args the program's arguments
 * @param cores cores of the processor component the process may use
 * @param bundledClass the class of a bundled program (on the task's class path), or empty for a jar
 */
public record StartMessage(long pid, long monitorPid, String vnode, String program, List<String> args, int cores,
                           String bundledClass) {
    public StartMessage {
        args = List.copyOf(args);
    }

    public byte[] encode() {
        return Body.writer().putLong(pid).putLong(monitorPid).putString(vnode).putString(program).putStrings(args)
                .putInt(cores).putString(bundledClass).toByteArray();
    }

    public static StartMessage decode(byte[] body) {
        Body.Reader r = Body.reader(body);
        StartMessage m = new StartMessage(r.getLong(), r.getLong(), r.getString(), r.getString(), r.getStrings(), r.getInt(),
                r.getString());
        r.end();
        return m;
    }
}
