package org.legoos.processor.excache;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.legoos.processor.excache.ExCacheConfig.Policy;
import org.legoos.processor.excache.SingleThreadModel.Op;

/**
 * jqwik property: any sequence of single-threaded loads, stores, bulk copies, flushes and invalidations on a tiny
 * ExCache equals the same sequence on a plain byte[] (jqwik prints the seed of a failing run and shrinks it).
 * jqwik has no per-property timeout, so each try runs under {@code assertTimeoutPreemptively}.
 */
class ExCacheModelPropertyTest {
    private static final int DATA = SingleThreadModel.DATA;

    @Property(tries = 200)
    void anySingleThreadedOpSequenceEqualsAPlainByteArray(@ForAll("ops") List<Op> ops, @ForAll Policy policy,
            @ForAll @IntRange(min = 0, max = 3) int geometry) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> SingleThreadModel.check(ops, policy, geometry));
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> anyOffset = Arbitraries.integers().between(0, DATA - 1);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(2, Combinators.combine(offset(8), Arbitraries.longs()).as(SingleThreadModel.PutLong::new)),
                Tuple.of(3, offset(8).map(SingleThreadModel.GetLong::new)),
                Tuple.of(1, Combinators.combine(offset(4), Arbitraries.integers()).as(SingleThreadModel.PutInt::new)),
                Tuple.of(1, offset(4).map(SingleThreadModel.GetInt::new)),
                Tuple.of(1, Combinators.combine(offset(1), Arbitraries.bytes()).as(SingleThreadModel.PutByte::new)),
                Tuple.of(1, offset(1).map(SingleThreadModel.GetByte::new)),
                Tuple.of(1, anyOffset.flatMap(off -> Combinators.combine(
                        Arbitraries.integers().between(0, Math.min(DATA - off, 3 * 4096)), Arbitraries.bytes())
                        .as((len, fill) -> (Op) new SingleThreadModel.Write(off, len, fill)))),
                Tuple.of(1, anyOffset.flatMap(off -> Arbitraries.integers()
                        .between(0, Math.min(DATA - off, 3 * 4096)).map(len -> (Op) new SingleThreadModel.Read(off, len)))),
                Tuple.of(1, anyOffset.flatMap(off -> Arbitraries.integers().between(0, DATA - off)
                        .map(len -> (Op) new SingleThreadModel.Flush(off, len)))),
                Tuple.of(1, anyOffset.flatMap(off -> Arbitraries.integers().between(0, DATA - off)
                        .map(len -> (Op) new SingleThreadModel.InvalidateWithWriteBack(off, len)))),
                Tuple.of(1, Arbitraries.just(new SingleThreadModel.InvalidateAllWithWriteBack())));
        return op.list().ofMaxSize(120);
    }

    /** Offsets for values of {@code size} bytes, often straddling a page boundary. */
    private static Arbitrary<Integer> offset(int size) {
        Arbitrary<Integer> anywhere = Arbitraries.integers().between(0, DATA - size);
        Arbitrary<Integer> nearBoundary = Combinators.combine(
                Arbitraries.integers().between(1, SingleThreadModel.PAGES - 1),
                Arbitraries.integers().between(0, size))
                .as((page, back) -> page * 4096 - back);
        return Arbitraries.oneOf(anywhere, nearBoundary);
    }
}
