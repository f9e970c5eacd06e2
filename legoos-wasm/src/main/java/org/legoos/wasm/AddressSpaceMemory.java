package org.legoos.wasm;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.legoos.api.AddressSpace;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;

/**
 * A WebAssembly linear memory kept in a LegoOS/J process's disaggregated address space: one anonymous mapping of the
 * process ({@link AddressSpace#mmap}), wasm address {@code a} being virtual address {@code base + a}. Every byte of the
 * wasm program's heap, stack and data thus lives on memory components, with the hot lines in the processor's ExCache,
 * exactly like the memory of a Java LegoOS/J program.
 *
 * <p><b>Accesses.</b> When the address space hands out segments ({@link AddressSpace#hasSegments()}, process mode),
 * loads and stores are plain accesses of a little-endian {@link MemorySegment} view of the mapping, whose own bounds
 * check is the wasm bounds check (hardware speed; the view is re-sliced when the memory grows). Otherwise (thread
 * mode) they are calls of the address space ({@link AddressSpace#getInt} and friends, little-endian as
 * {@link AddressSpace} specifies), after an explicit bounds check; 16-bit values are composed from those calls.
 *
 * <p><b>Traps.</b> An access outside {@code [0, pages * 64 KiB)} throws the same exception as Chicory's own
 * {@code ByteBufferMemory}: a {@link WasmRuntimeException} whose message starts with {@code "out of bounds memory
 * access"} (an {@link UninstantiableException} for an active data segment that does not fit). Bulk operations check
 * the whole range before they touch anything, so a trapping {@code memory.fill}, {@code memory.copy} or
 * {@code memory.init} writes nothing, as the spec requires. The address space's own errors pass through unchanged:
 * {@link org.legoos.api.SegmentationFault}, {@link org.legoos.api.ComponentUnavailableException} and, in process
 * mode, the {@link InternalError} of a poisoned page are never caught, wrapped or turned into traps here.
 *
 * <p><b>Growth.</b> {@code memory.grow} extends the mapping with {@link AddressSpace#mremap} allowing a move (wasm
 * addresses are offsets from the base, so a move is invisible to the program). Reserving the 2 GiB maximum up front
 * is not an option: an anonymous mapping is charged in full against the vNode's memory quota when it is made (the
 * home memory component reserves its whole length), so a reservation would take the quota of every other process of
 * the vNode for pages the program may never use. To spare the many small grows of a C allocator a VM call each, the
 * mapping runs ahead of the wasm size: a grow that needs more than is mapped maps up to twice as much (at most
 * {@link #MAX_AHEAD_BYTES} more than needed), and falls back to exactly what is needed when that much is refused.
 * A grow that cannot be mapped at all ({@link NoMemoryException} or {@link QuotaExceededException}) returns -1, as
 * the spec says, and leaves the memory as it was. The mapped but not yet grown pages are never touched (wasm cannot
 * reach them), so they cost the memory components nothing until the program grows into them.
 *
 * <p><b>Limits.</b> Chicory addresses are Java {@code int}s: at most {@link Memory#RUNTIME_MAX_PAGES} pages (2 GiB
 * less one page) per memory, fewer if the module declares a smaller maximum. A module whose initial memory exceeds
 * that, or that asks for a shared memory (wasm threads, which WASI preview 1 does not have), is refused with an
 * {@link IllegalArgumentException} naming the problem.
 *
 * <p>Not thread-safe: confined to the thread that runs its instance (shared memories are refused, so no other wasm
 * thread can see it). {@link #close()} unmaps it.
 */
public final class AddressSpaceMemory implements Memory, AutoCloseable {
    /** How far (bytes) a grow may map beyond what it needs, to save VM calls on later grows. */
    public static final long MAX_AHEAD_BYTES = 64L << 20;
    /** Largest memory in bytes: {@link Memory#RUNTIME_MAX_PAGES} pages. */
    public static final long MAX_BYTES = (long) RUNTIME_MAX_PAGES * PAGE_SIZE;
    /** Staging buffer size of thread mode's bulk fill and copy. */
    private static final int CHUNK_BYTES = 64 * 1024;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private final AddressSpace space;
    private final MemoryLimits limits;
    private final int maxPages;
    /** Process mode: accesses go through {@link #segment}; else through the address space's calls. */
    private final boolean segments;

    /** The instance's data segments (for {@code memory.init} and {@code data.drop}); set by {@link #initialize}. */
    private DataSegment[] dataSegments;
    private int pages;
    /** {@code pages * PAGE_SIZE}: the bound of every access. */
    private int sizeBytes;
    /** Virtual address of wasm address 0; meaningless while {@link #mappedBytes} is 0. */
    private long base;
    /** Length of the mapping at {@link #base} (a multiple of the wasm page size, at least {@link #sizeBytes}). */
    private long mappedBytes;
    /** Segment mode: {@code [base, base + sizeBytes)}; the empty {@link MemorySegment#NULL} while nothing is mapped. */
    private MemorySegment segment = MemorySegment.NULL;

    /**
     * Maps the initial pages of a memory of {@code limits} in {@code space}.
     *
     * @throws IllegalArgumentException if the initial size exceeds {@link Memory#RUNTIME_MAX_PAGES} pages or the
     *     memory is shared
     * @throws NoMemoryException        if the address space cannot map the initial pages (a
     *     {@link QuotaExceededException} if the vNode's quota is the limit)
     */
    public AddressSpaceMemory(AddressSpace space, MemoryLimits limits) {
        this.space = Objects.requireNonNull(space, "space");
        this.limits = Objects.requireNonNull(limits, "limits");
        if (limits.shared()) {
            throw new IllegalArgumentException("shared linear memory (wasm threads) is not supported: WASI preview 1 "
                    + "has no threads");
        }
        if (limits.initialPages() > RUNTIME_MAX_PAGES) {
            throw new IllegalArgumentException(tooLarge(limits.initialPages()));
        }
        this.maxPages = Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
        this.segments = space.hasSegments();
        int initial = limits.initialPages();
        if (initial > 0) {
            long bytes = (long) initial * PAGE_SIZE;
            base = space.mmap(0, bytes, AddressSpace.PROT_RW);
            mappedBytes = bytes;
        }
        resize(initial);
    }

    /** The error for a memory of {@code pages} initial pages beyond the runtime's limit. */
    static String tooLarge(long pages) {
        return "an initial linear memory of " + pages + " pages (" + (pages * PAGE_SIZE >> 20) + " MiB) exceeds the "
                + "limit of " + RUNTIME_MAX_PAGES + " pages (2 GiB) of this runtime";
    }

    /** Virtual address of wasm address 0 in the address space (0 while no page is mapped). */
    public long baseAddress() {
        return mappedBytes == 0 ? 0 : base;
    }

    /** Bytes of the address space mapped for this memory: at least {@code pages() * PAGE_SIZE}, see the class doc. */
    public long mappedBytes() {
        return mappedBytes;
    }

    // ------------------------------------------------------------------ size

    @Override
    public int pages() {
        return pages;
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return maxPages;
    }

    @Override
    public boolean shared() {
        return false;
    }

    /**
     * {@code memory.grow}: adds {@code delta} zeroed pages and returns the previous page count, or -1 (changing
     * nothing) if the memory would exceed its maximum or the address space cannot map the pages.
     */
    @Override
    public int grow(int delta) {
        int old = pages;
        if (delta < 0 || delta > maxPages - old) {
            return -1; // a negative int is an unsigned delta of 2 GiB or more: beyond any maximum
        }
        if (delta == 0) {
            return old;
        }
        long needed = (long) (old + delta) * PAGE_SIZE;
        if (needed > mappedBytes) {
            long ahead = Math.min((long) maxPages * PAGE_SIZE,
                    Math.max(needed, mappedBytes + Math.min(mappedBytes, MAX_AHEAD_BYTES)));
            if (!(ahead > needed && tryMap(ahead)) && !tryMap(needed)) {
                return -1;
            }
        }
        resize(old + delta);
        return old;
    }

    /** Maps {@code length} bytes in all (a first mmap, or an mremap that may move); false if there is no room. */
    private boolean tryMap(long length) {
        try {
            base = mappedBytes == 0 ? space.mmap(0, length, AddressSpace.PROT_RW)
                    : space.mremap(base, mappedBytes, length, true);
        } catch (NoMemoryException | QuotaExceededException noRoom) {
            return false; // the VM calls fail before they have any effect: the old mapping is intact
        }
        mappedBytes = length;
        return true;
    }

    private void resize(int newPages) {
        pages = newPages;
        sizeBytes = newPages * PAGE_SIZE;
        if (segments) {
            segment = sizeBytes == 0 ? MemorySegment.NULL : space.segment(base, sizeBytes);
        }
    }

    /**
     * Zeroes the whole memory by mapping it afresh (anonymous memory is zero-filled): no page is written, and pages
     * that were never touched stay untouched. Chicory calls this once when it instantiates a module.
     */
    @Override
    public void zero() {
        if (mappedBytes == 0) {
            return;
        }
        long length = mappedBytes;
        long at = base;
        space.munmap(at, length);
        mappedBytes = 0;
        int keep = pages;
        resize(0); // until the new mapping is there, every access traps
        base = space.mmap(at, length, AddressSpace.PROT_RW); // the range was just freed: usually the same place
        mappedBytes = length;
        resize(keep);
    }

    /** Unmaps the memory; every later access traps as out of bounds. Idempotent. */
    @Override
    public void close() {
        if (mappedBytes != 0) {
            long length = mappedBytes;
            mappedBytes = 0;
            resize(0);
            space.munmap(base, length);
        } else {
            resize(0);
        }
    }

    // ------------------------------------------------------------------ bounds

    private WasmRuntimeException outOfBounds(long addr, long size) {
        return new WasmRuntimeException(outOfBoundsMessage(addr, size));
    }

    private String outOfBoundsMessage(long addr, long size) {
        return "out of bounds memory access: attempted to access address: " + addr + " but limit is: " + sizeBytes
                + " and size: " + size;
    }

    /** Thread mode's check of a typed access of {@code size} bytes. */
    private void check(int addr, int size) {
        if (addr < 0 || addr > sizeBytes - size) {
            throw outOfBounds(addr, size);
        }
    }

    /** The check of a bulk access of {@code [addr, addr + length)}; zero bytes at the very end are in bounds. */
    private void checkRange(int addr, int length) {
        if (addr < 0 || length < 0 || (long) addr + length > sizeBytes) {
            throw outOfBounds(addr, length);
        }
    }

    // ------------------------------------------------------------------ data segments

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    /** Copies the active data segments of memory {@code memoryIndex} to their offsets and keeps all for later. */
    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        this.dataSegments = dataSegments;
        if (dataSegments == null) {
            return;
        }
        for (DataSegment s : dataSegments) {
            if (s instanceof ActiveDataSegment active) {
                if (active.index() != memoryIndex) {
                    continue;
                }
                int offset = (int) ConstantEvaluators.computeConstantValue(instance, active.offsetInstructions())[0];
                byte[] data = active.data();
                if (offset < 0 || (long) offset + data.length > sizeBytes) {
                    throw new UninstantiableException(outOfBoundsMessage(offset, data.length));
                }
                write(offset, data, 0, data.length);
            } else if (!(s instanceof PassiveDataSegment)) {
                throw new ChicoryException("Data segment should be active or passive: " + s);
            }
        }
    }

    /** {@code memory.init}: copies {@code size} bytes of data segment {@code segmentId} from {@code offset}. */
    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        if (dataSegments == null || segmentId < 0 || segmentId >= dataSegments.length) {
            throw new WasmRuntimeException("unknown data segment " + segmentId);
        }
        write(dest, dataSegments[segmentId].data(), offset, size);
    }

    /** {@code data.drop}: the segment reads as empty from now on. */
    @Override
    public void drop(int segment) {
        if (dataSegments == null || segment < 0 || segment >= dataSegments.length) {
            throw new WasmRuntimeException("unknown data segment " + segment);
        }
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    // ------------------------------------------------------------------ bulk

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        if (offset < 0 || size < 0 || (long) offset + size > data.length) {
            throw new WasmRuntimeException("out of bounds memory access: attempted to access address: " + offset
                    + " but limit is: " + data.length + " and size: " + size);
        }
        checkRange(addr, size);
        if (size == 0) {
            return;
        }
        if (segments) {
            MemorySegment.copy(data, offset, segment, BYTE, addr, size);
        } else {
            space.write(base + addr, data, offset, size);
        }
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkRange(addr, len);
        byte[] result = new byte[len];
        if (len == 0) {
            return result;
        }
        if (segments) {
            MemorySegment.copy(segment, BYTE, addr, result, 0, len);
        } else {
            space.read(base + addr, result, 0, len);
        }
        return result;
    }

    /** {@code memory.fill} of {@code [fromIndex, toIndex)}; traps (writing nothing) if any of it is out of bounds. */
    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int length = toIndex - fromIndex; // as ByteBufferMemory: the compiled code passes toIndex = from + size
        checkRange(fromIndex, length);
        if (length == 0) {
            return;
        }
        if (segments) {
            segment.asSlice(fromIndex, length).fill(value);
            return;
        }
        byte[] chunk = new byte[Math.min(length, CHUNK_BYTES)];
        if (value != 0) {
            Arrays.fill(chunk, value);
        }
        for (int done = 0; done < length; ) {
            int n = Math.min(chunk.length, length - done);
            space.write(base + fromIndex + done, chunk, 0, n);
            done += n;
        }
    }

    /** {@code memory.copy}, with {@code memmove} semantics for overlapping ranges. */
    @Override
    public void copy(int dest, int src, int size) {
        checkRange(dest, size);
        checkRange(src, size);
        if (size == 0 || dest == src) {
            return;
        }
        if (segments) {
            MemorySegment.copy(segment, src, segment, dest, size); // overlap-safe
            return;
        }
        byte[] chunk = new byte[Math.min(size, CHUNK_BYTES)];
        if (dest > src && dest < src + size) {
            // the destination overlaps the source's end: copy backwards so no source byte is overwritten unread
            for (int left = size; left > 0; ) {
                int n = Math.min(chunk.length, left);
                left -= n;
                space.read(base + src + left, chunk, 0, n);
                space.write(base + dest + left, chunk, 0, n);
            }
        } else {
            for (int done = 0; done < size; ) {
                int n = Math.min(chunk.length, size - done);
                space.read(base + src + done, chunk, 0, n);
                space.write(base + dest + done, chunk, 0, n);
                done += n;
            }
        }
    }

    // ------------------------------------------------------------------ typed loads and stores

    @Override
    public byte read(int addr) {
        if (segments) {
            try {
                return segment.get(BYTE, addr);
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 1);
            }
        }
        check(addr, 1);
        return space.getByte(base + addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        if (segments) {
            try {
                segment.set(BYTE, addr, data);
                return;
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 1);
            }
        }
        check(addr, 1);
        space.putByte(base + addr, data);
    }

    @Override
    public short readShort(int addr) {
        if (segments) {
            try {
                return segment.get(SHORT, addr);
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 2);
            }
        }
        check(addr, 2);
        // one call instead of two byte loads: the int at addr, or (at the very end) the int ending at addr + 2
        return addr <= sizeBytes - 4 ? (short) space.getInt(base + addr)
                : (short) (space.getInt(base + addr - 2) >>> 16);
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public void writeShort(int addr, short data) {
        if (segments) {
            try {
                segment.set(SHORT, addr, data);
                return;
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 2);
            }
        }
        check(addr, 2);
        space.putByte(base + addr, (byte) data);
        space.putByte(base + addr + 1, (byte) (data >>> 8));
    }

    @Override
    public int readInt(int addr) {
        if (segments) {
            try {
                return segment.get(INT, addr);
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 4);
            }
        }
        check(addr, 4);
        return space.getInt(base + addr);
    }

    @Override
    public void writeI32(int addr, int data) {
        if (segments) {
            try {
                segment.set(INT, addr, data);
                return;
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 4);
            }
        }
        check(addr, 4);
        space.putInt(base + addr, data);
    }

    @Override
    public long readLong(int addr) {
        if (segments) {
            try {
                return segment.get(LONG, addr);
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 8);
            }
        }
        check(addr, 8);
        return space.getLong(base + addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        if (segments) {
            try {
                segment.set(LONG, addr, data);
                return;
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 8);
            }
        }
        check(addr, 8);
        space.putLong(base + addr, data);
    }

    @Override
    public float readFloat(int addr) {
        if (segments) {
            try {
                return segment.get(FLOAT, addr);
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 4);
            }
        }
        check(addr, 4);
        return Float.intBitsToFloat(space.getInt(base + addr));
    }

    /** The raw bits of the f32 at {@code addr}, sign-extended (as {@code ByteBufferMemory} returns them). */
    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public void writeF32(int addr, float data) {
        if (segments) {
            try {
                segment.set(FLOAT, addr, data);
                return;
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 4);
            }
        }
        check(addr, 4);
        space.putInt(base + addr, Float.floatToRawIntBits(data));
    }

    @Override
    public double readDouble(int addr) {
        if (segments) {
            try {
                return segment.get(DOUBLE, addr);
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 8);
            }
        }
        check(addr, 8);
        return Double.longBitsToDouble(space.getLong(base + addr));
    }

    /** The raw bits of the f64 at {@code addr}. */
    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        if (segments) {
            try {
                segment.set(DOUBLE, addr, data);
                return;
            } catch (IndexOutOfBoundsException e) {
                throw outOfBounds(addr, 8);
            }
        }
        check(addr, 8);
        space.putLong(base + addr, Double.doubleToRawLongBits(data));
    }

    // ------------------------------------------------------------------ atomics of an unshared memory
    //
    // The memory is never shared (the constructor refuses shared limits), so as in ByteBufferMemory: the atomic
    // read-modify-writes of Memory's defaults need no lock beyond this object's monitor, a wait traps (the spec's
    // "expected shared memory") and a notify wakes nobody.

    /** The monitor the default atomic operations hold: this memory's own (only one thread can reach it anyway). */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public Object lock(int address) {
        return this;
    }

    /** {@code memory.atomic.wait32} on an unshared memory: a trap. */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public int waitOn(int address, int expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    /** {@code memory.atomic.wait64} on an unshared memory: a trap. */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public int waitOn(int address, long expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    /** {@code memory.atomic.notify} on an unshared memory: no waiter can exist, so it wakes 0. */
    @Override
    @Deprecated(forRemoval = true)
    @SuppressWarnings("removal")
    public int notify(int address, int maxThreads) {
        return 0;
    }

    @Override
    public String toString() {
        return "AddressSpaceMemory[" + pages + " pages at 0x" + Long.toHexString(baseAddress()) + ", " + mappedBytes
                + " bytes mapped, " + (segments ? "segment" : "call") + " accesses]";
    }
}
