package org.legoos.wasm;

import org.legoos.examples.ForwardingAddressSpace;
import java.util.concurrent.atomic.AtomicLong;
import org.legoos.api.AddressSpace;

/**
 * Test-only address space that forwards to another and, once armed, throws a given throwable (the same instance each
 * time) from every load, store and bulk copy after a countdown of accesses: how a memory component's failure
 * ({@link org.legoos.api.ComponentUnavailableException}), a bad address ({@link org.legoos.api.SegmentationFault}) or a
 * poisoned page ({@link InternalError}) reaches the wasm memory. Thread-safe.
 */
final class ThrowingAddressSpace extends ForwardingAddressSpace {
    private volatile Throwable failure;
    private final AtomicLong countdown = new AtomicLong();
    private final AtomicLong thrown = new AtomicLong();

    ThrowingAddressSpace(AddressSpace delegate) {
        super(delegate);
    }

    /** From the {@code afterAccesses + 1}-th load or store on, throws {@code t} (a RuntimeException or an Error). */
    ThrowingAddressSpace arm(Throwable t, long afterAccesses) {
        if (!(t instanceof RuntimeException) && !(t instanceof Error)) {
            throw new IllegalArgumentException("only unchecked throwables: " + t);
        }
        countdown.set(afterAccesses);
        failure = t;
        return this;
    }

    /** How many times the armed throwable was thrown. */
    long thrown() {
        return thrown.get();
    }

    private void access() {
        Throwable t = failure;
        if (t != null && countdown.getAndDecrement() <= 0) {
            thrown.incrementAndGet();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) t;
        }
    }

    @Override public byte getByte(long va) { access(); return super.getByte(va); }
    @Override public void putByte(long va, byte value) { access(); super.putByte(va, value); }
    @Override public int getInt(long va) { access(); return super.getInt(va); }
    @Override public void putInt(long va, int value) { access(); super.putInt(va, value); }
    @Override public long getLong(long va) { access(); return super.getLong(va); }
    @Override public void putLong(long va, long value) { access(); super.putLong(va, value); }
    @Override public void read(long va, byte[] dst, int offset, int length) { access(); super.read(va, dst, offset, length); }
    @Override public void write(long va, byte[] src, int offset, int length) { access(); super.write(va, src, offset, length); }
}
