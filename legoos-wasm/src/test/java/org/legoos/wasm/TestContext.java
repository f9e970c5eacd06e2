package org.legoos.wasm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.util.concurrent.ThreadFactory;
import org.legoos.api.AddressSpace;
import org.legoos.api.LegoContext;

/**
 * Test-only {@link LegoContext} (adapted from legoos-examples): a given address space (a {@link HeapAddressSpace} for
 * thread mode's call-only accesses, a {@link SegmentAddressSpace} for process mode's segments), the default file system
 * (tests pass absolute paths under a JUnit temp directory; the wasm guest's {@code /} is the host's), captured stdout
 * and stderr as bytes, a settable stdin, and plain platform threads. Thread-safe as far as its parts are.
 */
final class TestContext implements LegoContext {
    private final AddressSpace memory;
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private volatile boolean killed;
    private byte[] stdin = new byte[0];

    TestContext(AddressSpace memory) {
        this.memory = memory;
    }

    /** Everything the program printed on stdout so far, as bytes. */
    byte[] stdoutBytes() {
        out.flush();
        return outBytes.toByteArray();
    }

    /** Everything the program printed on stdout so far. */
    String stdout() {
        return new String(stdoutBytes(), StandardCharsets.UTF_8);
    }

    String stderr() {
        err.flush();
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    /** What {@link #in()} reads (nothing unless set). */
    TestContext stdin(byte[] input) {
        this.stdin = input.clone();
        return this;
    }

    void kill() {
        killed = true;
    }

    @Override
    public long pid() {
        return 7;
    }

    @Override
    public String vnode() {
        return "test-vnode";
    }

    @Override
    public AddressSpace memory() {
        return memory;
    }

    @Override
    public FileSystem fileSystem() {
        return FileSystems.getDefault();
    }

    @Override
    public PrintStream out() {
        return out;
    }

    @Override
    public PrintStream err() {
        return err;
    }

    @Override
    public InputStream in() {
        return new ByteArrayInputStream(stdin);
    }

    @Override
    public int cores() {
        return 2;
    }

    @Override
    public Thread startThread(String name, Runnable body) {
        return Thread.ofPlatform().name(name).daemon(true).start(body);
    }

    @Override
    public ThreadFactory threadFactory(String namePrefix) {
        return Thread.ofPlatform().name(namePrefix, 0).daemon(true).factory();
    }

    @Override
    public ChildProcess spawn(String program, String... args) {
        throw new UnsupportedOperationException("spawn is not modelled in unit tests");
    }

    @Override
    public boolean killed() {
        return killed;
    }
}
