package org.legoos.wasm;

import org.legoos.examples.ForwardingAddressSpace;
import org.legoos.examples.HeapAddressSpace;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.legoos.api.AddressSpace;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.SegmentationFault;

/**
 * {@link AddressSpaceMemory} against Chicory's own {@link ByteBufferMemory} as the reference model, in both access
 * modes (thread mode's calls on a {@link HeapAddressSpace}, process mode's segments of a {@link SegmentAddressSpace}),
 * plus what the reference cannot show: growth that moves or fails, zeroing, and the address space's errors passing
 * through untouched.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AddressSpaceMemoryTest {
    private static final int PAGE = Memory.PAGE_SIZE;

    enum Mode {
        /** Thread mode: loads and stores are calls of the address space. */
        CALLS,
        /** Process mode: loads and stores go through segments. */
        SEGMENTS
    }

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeSpaces() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private AddressSpace space(Mode mode) {
        return space(mode, 32L << 20);
    }

    /** An address space of the mode holding at most {@code capacityBytes} (plus guard pages in the segment fake). */
    private AddressSpace space(Mode mode, long capacityBytes) {
        if (mode == Mode.CALLS) {
            return new HeapAddressSpace(capacityBytes);
        }
        SegmentAddressSpace s = new SegmentAddressSpace(capacityBytes);
        toClose.add(s);
        return s;
    }

    // ------------------------------------------------------------------ the reference model

    /** What one operation did: its value, or the class and message prefix of what it threw. */
    private record Outcome(Object value, Class<?> error, String message) {
        static Outcome of(Memory m, Function<Memory, Object> op) {
            try {
                return new Outcome(op.apply(m), null, null);
            } catch (RuntimeException e) {
                String msg = e.getMessage() == null ? "" : e.getMessage();
                // the address in the text may differ (ByteBufferMemory reports the byte of a page-crossing access
                // that failed), the kind of trap may not
                return new Outcome(null, e.getClass(), msg.startsWith("out of bounds memory access")
                        ? "out of bounds memory access" : msg);
            }
        }
    }

    private static final MemoryLimits[] LIMITS = {
        new MemoryLimits(1, 6), new MemoryLimits(0, 3), new MemoryLimits(2), new MemoryLimits(1, 1)};

    @ParameterizedTest
    @EnumSource(Mode.class)
    void randomOperationsMatchByteBufferMemory(Mode mode) {
        long seed = System.nanoTime();
        System.out.println("randomOperationsMatchByteBufferMemory(" + mode + ") seed " + seed);
        Random seeds = new Random(seed);
        for (MemoryLimits limits : LIMITS) {
            runAgainstReference(mode, limits, seeds.nextLong(), 3000);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void fixedSeedsMatchByteBufferMemory(Mode mode) {
        for (long seed = 1; seed <= 3; seed++) {
            runAgainstReference(mode, new MemoryLimits(1, 5), seed, 3000);
        }
    }

    private void runAgainstReference(Mode mode, MemoryLimits limits, long seed, int steps) {
        Random rnd = new Random(seed);
        ByteBufferMemory ref = new ByteBufferMemory(limits);
        AddressSpaceMemory mem = new AddressSpaceMemory(space(mode), limits);
        byte[][] passive = {randomBytes(rnd, 300), randomBytes(rnd, 70_000), new byte[0]};
        ref.initialize(null, copy(passive));
        mem.initialize(null, copy(passive));
        for (int step = 0; step < steps; step++) {
            String[] what = new String[1];
            Function<Memory, Object> op = randomOp(rnd, ref.pages(), what);
            Outcome expected = Outcome.of(ref, op);
            Outcome actual = Outcome.of(mem, op);
            String where = "seed " + seed + " " + limits + " step " + step + ": " + what[0];
            assertThat(actual).as(where).isEqualTo(expected);
            if (step % 50 == 0 || what[0].startsWith("grow") || what[0].startsWith("zero")) {
                assertSameContents(ref, mem, where);
            }
        }
        assertSameContents(ref, mem, "seed " + seed + " at the end");
        mem.close();
    }

    private static DataSegment[] copy(byte[][] passive) {
        DataSegment[] s = new DataSegment[passive.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = new PassiveDataSegment(passive[i].clone());
        }
        return s;
    }

    private static void assertSameContents(Memory ref, Memory mem, String where) {
        assertThat(mem.pages()).as(where).isEqualTo(ref.pages());
        byte[] a = ref.readBytes(0, ref.pages() * PAGE);
        byte[] b = mem.readBytes(0, mem.pages() * PAGE);
        if (!Arrays.equals(a, b)) {
            int i = Arrays.mismatch(a, b);
            throw new AssertionError(where + ": contents differ first at " + i + ": expected " + a[i] + " but was "
                    + b[i]);
        }
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    /** An address for an access of {@code width} bytes: inside, at the edges (of the memory, wasm and 4 KiB pages), beyond. */
    private static int address(Random rnd, int pages, int width) {
        int size = pages * PAGE;
        return switch (rnd.nextInt(12)) {
            case 0, 1, 2, 3 -> rnd.nextInt(size + 1);
            case 4, 5 -> size - rnd.nextInt(width + 3);
            case 6 -> PAGE * (1 + rnd.nextInt(pages + 1)) - rnd.nextInt(width + 2);
            case 7 -> 4096 * (1 + rnd.nextInt(size / 4096 + 2)) - rnd.nextInt(width + 2);
            case 8 -> size + rnd.nextInt(3 * PAGE);
            case 9 -> rnd.nextInt(64);
            case 10 -> -1 - rnd.nextInt(100);
            default -> switch (rnd.nextInt(4)) {
                case 0 -> Integer.MAX_VALUE;
                case 1 -> Integer.MIN_VALUE;
                case 2 -> Integer.MAX_VALUE - width + 1;
                default -> Memory.RUNTIME_MAX_PAGES * PAGE - rnd.nextInt(16);
            };
        };
    }

    /** A length for a bulk operation: mostly small, sometimes across pages, sometimes negative or past the end. */
    private static int length(Random rnd, int pages) {
        return switch (rnd.nextInt(10)) {
            case 0, 1, 2, 3 -> rnd.nextInt(64);
            case 4, 5 -> rnd.nextInt(5000);
            case 6 -> rnd.nextInt(2 * PAGE + 10);
            case 7 -> 0;
            case 8 -> -1 - rnd.nextInt(10);
            default -> rnd.nextInt(pages * PAGE + 2);
        };
    }

    private static Function<Memory, Object> randomOp(Random rnd, int pages, String[] what) {
        int op = rnd.nextInt(34);
        switch (op) {
            case 0, 1 -> {
                int a = address(rnd, pages, 1);
                byte v = (byte) rnd.nextInt();
                what[0] = "writeByte(" + a + ", " + v + ")";
                return m -> {
                    m.writeByte(a, v);
                    return null;
                };
            }
            case 2 -> {
                int a = address(rnd, pages, 1);
                what[0] = "read/readU8/readI8(" + a + ")";
                return m -> List.of(m.read(a), m.readU8(a), m.readI8(a));
            }
            case 3, 4 -> {
                int a = address(rnd, pages, 2);
                short v = (short) rnd.nextInt();
                what[0] = "writeShort(" + a + ", " + v + ")";
                return m -> {
                    m.writeShort(a, v);
                    return null;
                };
            }
            case 5 -> {
                int a = address(rnd, pages, 2);
                what[0] = "readShort/readU16/readI16(" + a + ")";
                return m -> List.of(m.readShort(a), m.readU16(a), m.readI16(a));
            }
            case 6, 7 -> {
                int a = address(rnd, pages, 4);
                int v = rnd.nextInt();
                what[0] = "writeI32(" + a + ", " + v + ")";
                return m -> {
                    m.writeI32(a, v);
                    return null;
                };
            }
            case 8 -> {
                int a = address(rnd, pages, 4);
                what[0] = "readInt/readI32/readU32(" + a + ")";
                return m -> List.of(m.readInt(a), m.readI32(a), m.readU32(a));
            }
            case 9, 10 -> {
                int a = address(rnd, pages, 8);
                long v = rnd.nextLong();
                what[0] = "writeLong(" + a + ", " + v + ")";
                return m -> {
                    m.writeLong(a, v);
                    return null;
                };
            }
            case 11 -> {
                int a = address(rnd, pages, 8);
                what[0] = "readLong/readI64(" + a + ")";
                return m -> List.of(m.readLong(a), m.readI64(a));
            }
            case 12 -> {
                int a = address(rnd, pages, 4);
                float v = Float.intBitsToFloat(rnd.nextInt());
                what[0] = "writeF32(" + a + ", " + v + ")";
                return m -> {
                    m.writeF32(a, v);
                    return null;
                };
            }
            case 13 -> {
                int a = address(rnd, pages, 4);
                what[0] = "readFloat/readF32(" + a + ")";
                return m -> List.of(Float.floatToRawIntBits(m.readFloat(a)), m.readF32(a));
            }
            case 14 -> {
                int a = address(rnd, pages, 8);
                double v = Double.longBitsToDouble(rnd.nextLong());
                what[0] = "writeF64(" + a + ", " + v + ")";
                return m -> {
                    m.writeF64(a, v);
                    return null;
                };
            }
            case 15 -> {
                int a = address(rnd, pages, 8);
                what[0] = "readDouble/readF64(" + a + ")";
                return m -> List.of(Double.doubleToRawLongBits(m.readDouble(a)), m.readF64(a));
            }
            case 16, 17 -> {
                byte[] data = randomBytes(rnd, rnd.nextInt(3) == 0 ? rnd.nextInt(3 * PAGE) : rnd.nextInt(100));
                int len = rnd.nextInt(8) == 0 ? length(rnd, pages) : rnd.nextInt(data.length + 1);
                int off = rnd.nextInt(8) == 0 || len < 0 || len > data.length ? rnd.nextInt(data.length + 10) - 5
                        : rnd.nextInt(data.length - len + 1);
                int a = address(rnd, pages, Math.max(1, len));
                what[0] = "write(" + a + ", byte[" + data.length + "], " + off + ", " + len + ")";
                return m -> {
                    m.write(a, data, off, len);
                    return null;
                };
            }
            case 18, 19 -> {
                int len = length(rnd, pages);
                int a = address(rnd, pages, Math.max(1, len));
                what[0] = "readBytes(" + a + ", " + len + ")";
                return m -> HexFormat.of().formatHex(m.readBytes(a, len));
            }
            case 20, 21 -> {
                int len = length(rnd, pages);
                int from = address(rnd, pages, Math.max(1, len));
                byte v = rnd.nextBoolean() ? 0 : (byte) rnd.nextInt();
                what[0] = "fill(" + v + ", " + from + ", " + from + " + " + len + ")";
                return m -> {
                    m.fill(v, from, from + len);
                    return null;
                };
            }
            case 22, 23, 24 -> {
                int len = length(rnd, pages);
                int src = address(rnd, pages, Math.max(1, len));
                // overlapping both ways often, that is where a copy goes wrong
                int dst = rnd.nextInt(3) == 0 ? address(rnd, pages, Math.max(1, len)) : src + rnd.nextInt(200) - 100;
                what[0] = "copy(" + dst + ", " + src + ", " + len + ")";
                return m -> {
                    m.copy(dst, src, len);
                    return null;
                };
            }
            case 25 -> {
                int delta = switch (rnd.nextInt(6)) {
                    case 0 -> 0;
                    case 1 -> -1;
                    case 2 -> 40_000;
                    default -> 1 + rnd.nextInt(2);
                };
                what[0] = "grow(" + delta + ")";
                return m -> List.of(m.grow(delta), m.pages());
            }
            case 26, 27 -> {
                int seg = rnd.nextInt(3);
                int len = rnd.nextInt(4) == 0 ? length(rnd, pages) : rnd.nextInt(300);
                int off = rnd.nextInt(6) == 0 ? rnd.nextInt(70_010) - 5 : rnd.nextInt(100);
                int dst = address(rnd, pages, Math.max(1, len));
                what[0] = "initPassiveSegment(" + seg + ", " + dst + ", " + off + ", " + len + ")";
                return m -> {
                    m.initPassiveSegment(seg, dst, off, len);
                    return null;
                };
            }
            case 28 -> {
                int seg = rnd.nextInt(3);
                what[0] = "drop(" + seg + ")";
                return m -> {
                    m.drop(seg);
                    return null;
                };
            }
            case 29 -> {
                int a = address(rnd, pages, 16);
                String s = "wasm\u00e9" + rnd.nextInt(1000);
                what[0] = "writeCString(" + a + ", " + s + ")";
                return m -> {
                    m.writeCString(a, s);
                    return null;
                };
            }
            case 30 -> {
                int a = address(rnd, pages, 16);
                int len = rnd.nextInt(20);
                what[0] = "readString(" + a + ", " + len + ")";
                return m -> m.readString(a, len);
            }
            case 31 -> {
                what[0] = "pages/initialPages/maximumPages/shared";
                return m -> List.of(m.pages(), m.initialPages(), m.maximumPages(), m.shared());
            }
            case 32 -> {
                int a = address(rnd, pages, 4);
                int delta = rnd.nextInt();
                what[0] = "atomicAddInt(" + a + ", " + delta + ")";
                return m -> m.atomicAddInt(a, delta);
            }
            default -> {
                if (rnd.nextInt(8) != 0) {
                    what[0] = "pages";
                    return Memory::pages;
                }
                what[0] = "zero()";
                return m -> {
                    m.zero();
                    return null;
                };
            }
        }
    }

    // ------------------------------------------------------------------ what the reference cannot show

    @ParameterizedTest
    @EnumSource(Mode.class)
    void growKeepsTheContentsWhenTheMappingMoves(Mode mode) {
        AddressSpace space = space(mode);
        AddressSpaceMemory mem = new AddressSpaceMemory(space, new MemoryLimits(2, 100));
        mem.writeLong(8, 0x1122334455667788L);
        mem.writeI32(2 * PAGE - 4, 77);
        long before = mem.baseAddress();
        long blocker = space.mmap(0, 4096, AddressSpace.PROT_RW); // right after the memory: no room to grow in place
        assertThat(blocker).isGreaterThan(before);

        assertThat(mem.grow(3)).isEqualTo(2);

        assertThat(mem.baseAddress()).as("the mapping moved").isNotEqualTo(before);
        assertThat(mem.pages()).isEqualTo(5);
        assertThat(mem.readLong(8)).isEqualTo(0x1122334455667788L);
        assertThat(mem.readInt(2 * PAGE - 4)).isEqualTo(77);
        assertThat(mem.readBytes(2 * PAGE, 3 * PAGE)).as("grown pages read as zeros").containsOnly((byte) 0);
        mem.writeI32(5 * PAGE - 4, 5);
        assertThat(mem.readInt(5 * PAGE - 4)).isEqualTo(5);
        assertThatThrownBy(() -> mem.readInt(5 * PAGE - 3)).isInstanceOf(WasmRuntimeException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void growMapsAheadToSpareVmCallsAndNeverPastTheMaximum(Mode mode) {
        AddressSpaceMemory mem = new AddressSpaceMemory(space(mode), new MemoryLimits(4, 10));
        assertThat(mem.mappedBytes()).isEqualTo(4L * PAGE);

        assertThat(mem.grow(1)).isEqualTo(4);
        assertThat(mem.mappedBytes()).as("doubled").isEqualTo(8L * PAGE);
        assertThat(mem.grow(3)).as("within the mapping: no VM call").isEqualTo(5);
        assertThat(mem.mappedBytes()).isEqualTo(8L * PAGE);
        assertThat(mem.grow(1)).isEqualTo(8);
        assertThat(mem.mappedBytes()).as("capped at the maximum").isEqualTo(10L * PAGE);
        assertThatThrownBy(() -> mem.readInt(9 * PAGE)).isInstanceOf(WasmRuntimeException.class)
                .hasMessageStartingWith("out of bounds memory access");
        assertThat(mem.grow(2)).as("beyond the maximum").isEqualTo(-1);
        assertThat(mem.grow(1)).isEqualTo(9);
        assertThat(mem.grow(1)).as("beyond the maximum").isEqualTo(-1);
        assertThat(mem.pages()).isEqualTo(10);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void growReturnsMinusOneWhenTheAddressSpaceIsFullAndTheMemoryStaysUsable(Mode mode) {
        AddressSpaceMemory mem = new AddressSpaceMemory(space(mode, 8L * PAGE), new MemoryLimits(2));
        mem.writeI32(100, 42);
        int grown = 0;
        while (mem.grow(1) != -1) {
            grown++;
            assertThat(grown).as("the space holds 8 pages").isLessThan(8);
        }
        assertThat(mem.pages()).isGreaterThanOrEqualTo(6).isLessThanOrEqualTo(8);
        assertThat(mem.grow(1)).isEqualTo(-1);
        assertThat(mem.readInt(100)).isEqualTo(42);
        int last = mem.pages() * PAGE - 8;
        mem.writeLong(last, -3L);
        assertThat(mem.readLong(last)).isEqualTo(-3L);
        assertThat(mem.grow(0)).isEqualTo(mem.pages());
    }

    @Test
    void growFallsBackToExactlyWhatIsNeededWhenMappingAheadIsRefused() {
        HeapAddressSpace space = new HeapAddressSpace(9L * PAGE);
        AddressSpaceMemory mem = new AddressSpaceMemory(space, new MemoryLimits(5));
        assertThat(mem.grow(1)).isEqualTo(5); // ahead would be 10 pages: refused, 6 fit
        assertThat(mem.mappedBytes()).isEqualTo(6L * PAGE);
        assertThat(space.mappedBytes()).isEqualTo(6L * PAGE);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void zeroClearsEverythingAndCloseUnmaps(Mode mode) {
        AddressSpace space = space(mode);
        AddressSpaceMemory mem = new AddressSpaceMemory(space, new MemoryLimits(3));
        mem.fill((byte) 7, 0, 3 * PAGE);
        mem.grow(1);
        mem.writeByte(4 * PAGE - 1, (byte) 9);

        mem.zero();

        assertThat(mem.pages()).isEqualTo(4);
        assertThat(mem.readBytes(0, 4 * PAGE)).containsOnly((byte) 0);
        mem.writeI32(0, 1);
        assertThat(mem.readInt(0)).isEqualTo(1);

        mem.close();
        assertThat(mappedBytes(space)).isZero();
        assertThatThrownBy(() -> mem.readInt(0)).isInstanceOf(WasmRuntimeException.class);
        mem.close(); // idempotent
    }

    private static long mappedBytes(AddressSpace space) {
        return space instanceof HeapAddressSpace h ? h.mappedBytes() : ((SegmentAddressSpace) space).mappedBytes();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anEmptyMemoryTrapsUntilItGrows(Mode mode) {
        AddressSpaceMemory mem = new AddressSpaceMemory(space(mode), new MemoryLimits(0, 2));
        assertThat(mem.baseAddress()).isZero();
        assertThatThrownBy(() -> mem.read(0)).isInstanceOf(WasmRuntimeException.class);
        assertThat(mem.readBytes(0, 0)).isEmpty();
        assertThat(mem.grow(1)).isZero();
        mem.writeByte(PAGE - 1, (byte) 1);
        assertThat(mem.read(PAGE - 1)).isEqualTo((byte) 1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void activeDataSegmentsAreCopiedAndOneThatDoesNotFitFailsInstantiation(Mode mode) {
        byte[] data = {1, 2, 3, 4, 5};
        DataSegment fits = active(PAGE - 5, data);
        DataSegment other = new ActiveDataSegment(1, List.of(i32Const(0), new Instruction(-1, OpCode.END,
                Instruction.EMPTY_OPERANDS)), new byte[] {9});
        AddressSpaceMemory mem = new AddressSpaceMemory(space(mode), new MemoryLimits(1));
        mem.initialize(null, new DataSegment[] {fits, other}, 0);
        assertThat(mem.readBytes(PAGE - 5, 5)).containsExactly(data);
        assertThat(mem.read(0)).as("the segment of memory 1 is not ours").isZero();

        for (int offset : new int[] {PAGE - 4, -1}) {
            ByteBufferMemory ref = new ByteBufferMemory(new MemoryLimits(1));
            DataSegment[] bad = {active(offset, data)};
            assertThatThrownBy(() -> ref.initialize(null, bad, 0)).isInstanceOf(UninstantiableException.class);
            assertThatThrownBy(() -> mem.initialize(null, bad, 0)).isInstanceOf(UninstantiableException.class)
                    .hasMessageStartingWith("out of bounds memory access");
        }
    }

    private static Instruction i32Const(int v) {
        return new Instruction(-1, OpCode.I32_CONST, new long[] {v});
    }

    private static DataSegment active(int offset, byte[] data) {
        return new ActiveDataSegment(0, List.of(i32Const(offset), new Instruction(-1, OpCode.END,
                Instruction.EMPTY_OPERANDS)), data);
    }

    @Test
    void anInitialMemoryBeyondTwoGibOrASharedOneIsRefusedClearly() {
        HeapAddressSpace space = new HeapAddressSpace();
        assertThatThrownBy(() -> new AddressSpaceMemory(space, new MemoryLimits(Memory.RUNTIME_MAX_PAGES + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32768 pages").hasMessageContaining("2 GiB");
        assertThatThrownBy(() -> new AddressSpaceMemory(space, new MemoryLimits(1, 2, true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shared");
        assertThat(space.mappedBytes()).isZero();
        AddressSpaceMemory max = new AddressSpaceMemory(space, new MemoryLimits(1, 65536));
        assertThat(max.maximumPages()).isEqualTo(Memory.RUNTIME_MAX_PAGES);
    }

    /** The memory errors of LegoOS/J: each must come out of every kind of access as the very same object. */
    static List<Throwable> memoryErrors() {
        return List.of(new SegmentationFault("address 0x10000000000 is not mapped"),
                new ComponentUnavailableException("memory component 3 is unavailable"),
                new InternalError("a fault occurred in an unsafe memory access"));
    }

    @Test
    void addressSpaceErrorsPropagateUnchangedFromEveryAccess() {
        List<Function<Memory, Object>> accesses = List.of(
                m -> m.read(10), m -> {
                    m.writeByte(10, (byte) 1);
                    return null;
                }, m -> m.readShort(10), m -> {
                    m.writeShort(10, (short) 1);
                    return null;
                }, m -> m.readInt(10), m -> {
                    m.writeI32(10, 1);
                    return null;
                }, m -> m.readLong(10), m -> {
                    m.writeLong(10, 1);
                    return null;
                }, m -> m.readFloat(10), m -> {
                    m.writeF32(10, 1f);
                    return null;
                }, m -> m.readDouble(10), m -> {
                    m.writeF64(10, 1d);
                    return null;
                }, m -> m.readBytes(10, 100), m -> {
                    m.write(10, new byte[100]);
                    return null;
                }, m -> {
                    m.fill((byte) 1, 10, 5000);
                    return null;
                }, m -> {
                    m.copy(10, 5000, 100);
                    return null;
                }, m -> {
                    m.initPassiveSegment(0, 10, 0, 3);
                    return null;
                });
        for (Throwable error : memoryErrors()) {
            for (int i = 0; i < accesses.size(); i++) {
                ThrowingAddressSpace space = new ThrowingAddressSpace(new HeapAddressSpace());
                AddressSpaceMemory mem = new AddressSpaceMemory(space, new MemoryLimits(1));
                mem.initialize(null, new DataSegment[] {new PassiveDataSegment(new byte[] {1, 2, 3})});
                space.arm(error, 0);
                Function<Memory, Object> access = accesses.get(i);
                Throwable thrown = null;
                try {
                    access.apply(mem);
                } catch (Throwable t) {
                    thrown = t;
                }
                assertThat(thrown).as("access " + i + " with " + error).isSameAs(error);
            }
        }
    }

    @Test
    void growIsMinusOneOnlyForNoRoomAndPropagatesEveryOtherVmCallError() {
        RuntimeException[] next = new RuntimeException[1];
        ForwardingAddressSpace space = new ForwardingAddressSpace(new HeapAddressSpace()) {
            @Override
            public long mremap(long oldAddr, long oldLength, long newLength, boolean mayMove) {
                throw next[0];
            }
        };
        AddressSpaceMemory mem = new AddressSpaceMemory(space, new MemoryLimits(1));
        next[0] = new org.legoos.api.QuotaExceededException("vNode quota of 1 MiB");
        assertThat(mem.grow(1)).isEqualTo(-1);
        next[0] = new org.legoos.api.NoMemoryException("memory components full");
        assertThat(mem.grow(1)).isEqualTo(-1);
        assertThat(mem.pages()).isOne();
        for (Throwable error : memoryErrors()) {
            if (error instanceof RuntimeException r) {
                next[0] = r;
                assertThatThrownBy(() -> mem.grow(1)).isSameAs(r);
            }
        }
        assertThat(mem.pages()).isOne();
    }

    @Test
    void outOfBoundsIsCheckedBeforeTheAddressSpaceIsAsked() {
        // a trap must not become a segmentation fault: the bounds check comes first
        ThrowingAddressSpace space = new ThrowingAddressSpace(new HeapAddressSpace());
        AddressSpaceMemory mem = new AddressSpaceMemory(space, new MemoryLimits(1));
        space.arm(new SegmentationFault("must not be reached"), 0);
        assertThatThrownBy(() -> mem.readInt(PAGE - 2)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> mem.fill((byte) 0, PAGE - 2, PAGE + 1)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> mem.copy(0, PAGE - 2, 3)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> mem.write(PAGE, new byte[1])).isInstanceOf(WasmRuntimeException.class);
        assertThat(Objects.requireNonNull(mem.readBytes(PAGE, 0))).isEmpty();
    }

    @Test
    void threadModeCopiesOverlappingRangesLargerThanItsStagingBuffer() {
        AddressSpaceMemory mem = new AddressSpaceMemory(new HeapAddressSpace(), new MemoryLimits(4));
        ByteBufferMemory ref = new ByteBufferMemory(new MemoryLimits(4));
        byte[] data = randomBytes(new Random(5), 4 * PAGE);
        mem.write(0, data);
        ref.write(0, data);
        for (int[] c : new int[][] {{1000, 0, 3 * PAGE}, {0, 1000, 3 * PAGE}, {7, 3, 200_000}, {3, 7, 200_000}}) {
            mem.copy(c[0], c[1], c[2]);
            ref.copy(c[0], c[1], c[2]);
            assertThat(mem.readBytes(0, 4 * PAGE)).as(Arrays.toString(c)).isEqualTo(ref.readBytes(0, 4 * PAGE));
        }
    }
}
