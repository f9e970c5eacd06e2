package org.legoos.net.transport;

/**
 * A network for the transport-neutral test suites ({@link AbstractTransportTest}, {@code AbstractRpcNodeTest}):
 * it makes transports that reach each other, and says which addresses to listen on. One per test; closing it
 * closes whatever it made. A TCP transport joins the suites by providing its own network and an empty test
 * subclass per suite, as {@code LocalTransportTest} does.
 */
public interface TestNetwork extends AutoCloseable {
    /** A new transport (one component's) on this network. */
    Transport newTransport();

    /**
     * The address a component called {@code name} asks to listen on ({@code "memory-1"} in-JVM,
     * {@code "127.0.0.1:0"} over TCP); {@link Transport#listen} returns the address peers use.
     */
    String listenAddress(String name);

    /** An address nothing listens on; connecting there must fail with ComponentUnavailableException. */
    String unreachableAddress();

    /**
     * Whether any buffer handed to {@link Connection#send} arrives whole as one frame, even if it is not a
     * well-formed frame (true in-JVM). Stream transports find frame boundaries from the header, so tests that
     * send headerless or length-lying buffers are skipped for them.
     */
    boolean deliversMalformedBuffers();

    @Override
    void close();

    /** Mixed into an abstract suite by a concrete test class to say which network it runs on (Ratis style). */
    interface Factory {
        TestNetwork newNetwork();
    }
}
