package org.legoos.systemtest.programs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * A hostile program of the isolation suite: {@code ConnectToComponent HOST:PORT...} tries to open a TCP connection to
 * each address (a component's port: the processor running it, the manager) and to listen on a TCP port of loopback.
 * Prints one line per attempt, {@code denied: ...} or {@code CONNECTED ...} / {@code LISTENING ...}. Exit code
 * {@value #ALL_DENIED} if every attempt was denied, 0 if any succeeded (a sandbox breach), 2 for bad arguments.
 */
public final class ConnectToComponent implements LegoProgram {
    public static final int ALL_DENIED = 44;

    @Override
    public int main(LegoContext ctx, String[] args) {
        if (args.length == 0) {
            ctx.err().println("usage: ConnectToComponent HOST:PORT...");
            return 2;
        }
        int succeeded = 0;
        for (String a : args) {
            int colon = a.lastIndexOf(':');
            InetSocketAddress to = new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1)));
            try (Socket s = new Socket()) {
                s.connect(to, 5000);
                ctx.out().println("CONNECTED to " + a + " from " + s.getLocalSocketAddress());
                succeeded++;
            } catch (IOException | SecurityException e) {
                ctx.out().println("denied: connect to " + a + ": " + e);
            }
        }
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ctx.out().println("LISTENING on " + ss.getLocalSocketAddress());
            succeeded++;
        } catch (IOException | SecurityException e) {
            ctx.out().println("denied: listen on loopback: " + e);
        }
        return succeeded == 0 ? ALL_DENIED : 0;
    }
}
