package org.legoos.net.protocol.pm;

import java.util.function.Function;
import org.legoos.net.protocol.*;

/** Opcodes of the PM link: the one place that knows them. */
public enum PmOp implements Op {
    /** PM2P_START_PROC: run a program; output and exit stream back over the caller's connection. */
    START(1, StartProcess.class, StartProcess::decode, org.legoos.net.protocol.Ack::decode),
    /** a chunk of a process's stdout (1) or stderr (2). */
    OUTPUT(2, ProcessOutput.class, ProcessOutput::decode, null),
    /** a process ended; error is empty unless it died of an exception. */
    EXIT(3, ProcessExit.class, ProcessExit::decode, null),
    /** stop a process. */
    KILL(4, KillProcess.class, KillProcess::decode, org.legoos.net.protocol.Ack::decode),
    /** processes running on this processor component. */
    PS(5, ListProcesses.class, ListProcesses::decode, ProcessList::decode),
    /** a chunk of a process's stdin from the client that started it; answered with how much the processor holds. */
    INPUT(6, ProcessInput.class, ProcessInput::decode, InputAccepted::decode),
    /** the end of a process's stderr, while it runs and for a while after it exited ({@code lego logs PID}). */
    LOGS(7, ProcessLogs.class, ProcessLogs::decode, ProcessLog::decode);

    private final Info info;

    PmOp(int number, Class<? extends Message> type, Function<WireReader, ? extends Message> requestDecoder,
          Function<WireReader, ? extends Message> replyDecoder) {
        this.info = new Info(Link.PM, number, type, requestDecoder, replyDecoder);
    }

    @Override
    public Info info() {
        return info;
    }
}
