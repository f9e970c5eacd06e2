package org.legoos.examples;

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
 * Test-only {@link LegoContext}: a given address space (usually a {@link HeapAddressSpace}), the default file
 * system (tests pass absolute paths under a JUnit temp directory), captured stdout/stderr, and plain platform
 * threads. Thread-safe as far as its parts are.
 */
public final class TestContext implements LegoContext {
    private final AddressSpace memory;
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
    private volatile boolean killed;

    private byte[] stdin = new byte[0];

    public TestContext(AddressSpace memory) {
        this.memory = memory;
    }

    /** Everything the program printed on stdout so far. */
    public String stdout() {
        return new String(stdoutBytes(), StandardCharsets.UTF_8);
    }

    /** Everything the program printed on stdout so far, as bytes. */
    public byte[] stdoutBytes() {
        out.flush();
        return outBytes.toByteArray();
    }

    public String stderr() {
        err.flush();
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    public void kill() {
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

    /** What {@link #in()} reads (nothing unless set). */
    public TestContext stdin(byte[] input) {
        this.stdin = input.clone();
        return this;
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
