package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.AddressSpace;
import org.legoos.examples.Classifier.Config;
import org.legoos.examples.workload.ClassifierWorkload;
import org.legoos.examples.workload.Workload;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClassifierTest {
    private record Run(int exit, String stdout, String stderr, long mappedAfter) {
    }

    private static Run program(AddressSpace memory, HeapAddressSpace heap, String... args) throws Exception {
        TestContext ctx = new TestContext(memory);
        int exit = new Classifier().main(ctx, args);
        return new Run(exit, ctx.stdout(), ctx.stderr(), heap.mappedBytes());
    }

    private static Run program(String... args) throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        return program(heap, heap, args);
    }

    private static String[] args(Config c) {
        return new String[] {"--images", "" + c.images(), "--test-images", "" + c.testImages(), "--hidden", "" + c.hidden(),
            "--batch", "" + c.batch(), "--epochs", "" + c.epochs(), "--lr", "" + c.lr(), "--seed", "" + c.seed(),
            "--threads", "" + c.threads()};
    }

    private static Config small(long seed, int threads) {
        return new Config(512, 256, 8, 32, 2, 0.05, seed, threads, false);
    }

    private static Config withThreads(Config c, int threads) {
        return new Config(c.images(), c.testImages(), c.hidden(), c.batch(), c.epochs(), c.lr(), c.seed(), threads, false);
    }

    /** The program's output, checked to be exactly the twin's result line and to unmap everything. */
    private static String programMatchesTwin(Config c) throws Exception {
        Run r = program(args(c));
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout().lines().toList()).as("exactly one line, the result line").hasSize(1);
        assertThat(Workload.resultLine(r.stdout())).isEqualTo(ClassifierPlain.run(c));
        assertThat(r.mappedAfter()).as("everything mapped is unmapped at exit").isZero();
        return Workload.resultLine(r.stdout());
    }

    private static double field(String line, String name) {
        Matcher m = Pattern.compile(" " + name + "=([0-9.]+)").matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void programMatchesTwinBitForBitAndThreadCountDoesNotMatter() throws Exception {
        String one = programMatchesTwin(small(5, 1));
        String two = programMatchesTwin(small(5, 2));
        assertThat(two).isEqualTo(one);
        assertThat(ClassifierPlain.run(small(5, 3))).isEqualTo(one);
        assertThat(one).matches("result images=512 test-images=256 hidden=8 batch=32 epochs=2 loss=\\d+\\.\\d{6} "
                + "accuracy=\\d\\.\\d{4} checksum=[0-9a-f]{16}");
        assertThat(field(one, "accuracy")).as(one).isGreaterThan(0.3);
    }

    @Test
    void chunkedPartsPartialBatchesAndIdleThreadsStillMatch() throws Exception {
        // hidden 256 gives chunks of 32 images, so parts of 100 and 50 images take several chunks (gradients are
        // read back and added to); 250 images leave a partial last batch of 50.
        assertThat(Classifier.chunkImages(256)).isLessThan(50);
        Config wide = new Config(250, 64, 256, 100, 1, 0.05, 9, 1, false);
        String one = programMatchesTwin(wide);
        assertThat(programMatchesTwin(withThreads(wide, 2))).isEqualTo(one);
        // More threads than images in a batch: some threads sit batches out and their stale gradients are ignored.
        Config tiny = new Config(10, 7, 3, 3, 3, 0.1, 4, 4, false);
        String idle = programMatchesTwin(tiny);
        assertThat(ClassifierPlain.run(withThreads(tiny, 1))).isEqualTo(idle);
    }

    @Test
    void workloadTwinAgreesWithProgramRunWithWorkloadArguments() throws Exception {
        ClassifierWorkload w = new ClassifierWorkload();
        assertThat(w.name()).isEqualTo("classifier");
        assertThat(w.program()).isEqualTo("classifier");
        assertThat(w.sizeUnit()).isEqualTo("images");
        assertThat(w.paperSize()).isGreaterThan(w.quickSize());
        assertThat(w.estimatedWorkingSetBytes(w.paperSize())).isGreaterThan(w.paperSize() * Classifier.PIXELS);
        List<String> args = w.programArgs(300, 11, 2);
        assertThat(args).containsExactly("--images", "300", "--seed", "11", "--threads", "2");
        Run r = program(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(Workload.resultLine(r.stdout())).isEqualTo(w.runPlain(300, 11, 2)).isEqualTo(w.runPlain(300, 11, 1));
    }

    @Test
    void quickConfigurationLearnsWellAboveChance() throws Exception {
        long seed = Long.getLong("legoos.seed", 1);
        System.out.println("quickConfigurationLearnsWellAboveChance seed=" + seed);
        String line = new ClassifierWorkload().runPlain(new ClassifierWorkload().quickSize(), seed, 2);
        System.out.println(line);
        assertThat(field(line, "accuracy")).as(line).isBetween(0.6, 0.98);
        assertThat(field(line, "loss")).as(line).isLessThan(1.2);
    }

    @Test
    void differentSeedsGiveDifferentModels() throws Exception {
        String a = ClassifierPlain.run(small(1, 2));
        String b = ClassifierPlain.run(small(2, 2));
        assertThat(a.substring(a.indexOf("checksum="))).isNotEqualTo(b.substring(b.indexOf("checksum=")));
        assertThat(ClassifierPlain.run(small(1, 1))).isEqualTo(a);
    }

    @Test
    void badArgumentsExitWith2AndExplain() throws Exception {
        String[][] bad = {{"--hidden", "0"}, {"--bogus", "1"}, {"--lr", "-1"}, {"--threads", "0"}, {"extra"},
            {"--images", "x"}, {"--batch", "9000"}, {"--hidden", "257"}};
        String[] expected = {"--hidden must be in", "unknown option --bogus", "--lr must be in", "--threads must be in",
            "unexpected argument extra", "--images must be an integer", "--batch must be in", "--hidden must be in"};
        for (int i = 0; i < bad.length; i++) {
            Run r = program(bad[i]);
            assertThat(r.exit()).as(String.join(" ", bad[i])).isEqualTo(2);
            assertThat(r.stdout()).isEmpty();
            assertThat(r.stderr()).contains(expected[i]).contains("usage: classifier");
            assertThat(r.mappedAfter()).isZero();
        }
        assertThatThrownBy(() -> new ClassifierWorkload().runPlain(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void verboseTimingsGoToStderrOnly() throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(args(small(3, 2))));
        a.add("--verbose");
        Run r = program(a.toArray(String[]::new));
        assertThat(r.exit()).isZero();
        assertThat(r.stdout().lines().toList()).hasSize(1);
        assertThat(r.stderr()).contains("train-ms=").contains("images-per-sec=");
    }

    @Test
    void tooLittleMemoryExitsWith1AndUnmaps() throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace(1 << 20);
        Run r = program(heap, heap, "--images", "1000");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains("out of disaggregated memory");
        assertThat(r.mappedAfter()).isZero();
    }

    @Test
    void killedProcessStopsAt130AndUnmaps() throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        TestContext ctx = new TestContext(heap);
        ctx.kill();
        assertThat(new Classifier().main(ctx, args(small(1, 2)))).isEqualTo(130);
        assertThat(ctx.stdout()).isEmpty();
        assertThat(heap.mappedBytes()).isZero();
    }

    @Test
    void aFailingThreadEndsTheRunWithItsOwnExceptionInsteadOfHanging() throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        AtomicInteger reads = new AtomicInteger();
        AddressSpace failing = new ForwardingAddressSpace(heap) {
            @Override
            public void read(long va, byte[] dst, int offset, int length) {
                if (Thread.currentThread().getName().equals("classifier-1") && reads.incrementAndGet() == 500) {
                    throw new IllegalStateException("injected read failure");
                }
                super.read(va, dst, offset, length);
            }
        };
        TestContext ctx = new TestContext(failing);
        assertThatThrownBy(() -> new Classifier().main(ctx, args(small(1, 2))))
                .isInstanceOf(IllegalStateException.class).hasMessage("injected read failure");
        assertThat(heap.mappedBytes()).isZero();
    }

    @Test
    void aThreadThatCannotStartDoesNotLeaveTheOthersWaiting() throws Exception {
        HeapAddressSpace heap = new HeapAddressSpace();
        Config c = small(1, 3);
        AtomicInteger started = new AtomicInteger();
        try (Classifier.Disaggregated backend = new Classifier.Disaggregated(heap, c)) {
            assertThatThrownBy(() -> Classifier.train(c, backend, (name, body) -> {
                if (started.incrementAndGet() == 2) {
                    throw new IllegalStateException("no thread for " + name);
                }
                return Thread.ofPlatform().daemon(true).name(name).start(body);
            }, () -> false)).isInstanceOf(IllegalStateException.class).hasMessage("no thread for classifier-1");
        }
        assertThat(heap.mappedBytes()).isZero();
    }

    @Test
    void generatorIsDeterministicBalancedAndVaried() {
        CifarGenerator g = new CifarGenerator(42);
        byte[] a = new byte[CifarGenerator.PIXELS];
        byte[] b = new byte[CifarGenerator.PIXELS + 5];
        int la = g.image(17, a, 0);
        int lb = new CifarGenerator(42).image(17, b, 5);
        assertThat(lb).isEqualTo(la).isEqualTo(g.label(17));
        assertThat(Arrays.copyOfRange(b, 5, b.length)).isEqualTo(a);
        byte[] other = new byte[CifarGenerator.PIXELS];
        new CifarGenerator(43).image(17, other, 0);
        assertThat(other).isNotEqualTo(a);
        int[] counts = new int[CifarGenerator.CLASSES];
        for (long i = 0; i < 20_000; i++) {
            counts[g.label(i)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(1_800, 2_200);
        }
        // Pixels use the byte range and images differ even within a class.
        int min = 255;
        int max = 0;
        for (byte p : a) {
            min = Math.min(min, p & 0xFF);
            max = Math.max(max, p & 0xFF);
        }
        assertThat(max - min).isGreaterThan(100);
        int[] firstOfClass = new int[CifarGenerator.CLASSES];
        Arrays.fill(firstOfClass, -1);
        byte[] x = new byte[CifarGenerator.PIXELS];
        byte[] y = new byte[CifarGenerator.PIXELS];
        for (int i = 0; i < 200; i++) {
            int label = g.label(i);
            if (firstOfClass[label] < 0) {
                firstOfClass[label] = i;
            } else {
                g.image(firstOfClass[label], x, 0);
                g.image(i, y, 0);
                assertThat(y).isNotEqualTo(x);
            }
        }
        assertThat(g.label(CifarGenerator.TEST_BASE)).isBetween(0, 9);
        assertThatThrownBy(() -> g.image(0, new byte[100], 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void scratchStaysWithinTheWorkloadBudgetForEveryModelSize() {
        for (int hidden : new int[] {1, 8, 32, 100, Classifier.MAX_HIDDEN}) {
            int chunk = Classifier.chunkImages(hidden);
            assertThat(chunk).isBetween(1, Classifier.MAX_CHUNK);
            assertThat(Classifier.scratchBytes(hidden, chunk)).isLessThanOrEqualTo(Classifier.SCRATCH_BUDGET);
        }
        assertThat(Classifier.chunkImages(32)).as("a default batch fits one chunk").isGreaterThanOrEqualTo(Classifier.DEFAULT_BATCH);
        // the budget leaves room for the generator's 48 KiB of templates and a 48 KiB generation block
        assertThat(Classifier.SCRATCH_BUDGET + 48 * 1024).isLessThanOrEqualTo(Workload.MAX_LOCAL_SCRATCH_BYTES);
    }

    @Test
    void batchOrderVisitsEveryBatchOnce() {
        for (int batches : new int[] {1, 2, 6, 7, 64, 1000}) {
            for (int epoch = 0; epoch < 3; epoch++) {
                Classifier.BatchOrder order = Classifier.BatchOrder.of(99, epoch, batches);
                boolean[] seen = new boolean[batches];
                for (int i = 0; i < batches; i++) {
                    int b = order.at(i);
                    assertThat(seen[b]).as("batch %d of %d visited twice", b, batches).isFalse();
                    seen[b] = true;
                }
            }
        }
    }

    @Test
    void quantisedGradientsAreExactIntegersAndNeverNegativeZero() {
        assertThat(Classifier.quantise(1.5e-6)).isEqualTo(2.0);
        assertThat(Double.doubleToRawLongBits(Classifier.quantise(-1e-9))).isEqualTo(Double.doubleToRawLongBits(0.0));
        assertThat(Classifier.quantise(Double.NaN)).isEqualTo(0.0);
        assertThat(Classifier.quantise(1e12)).isEqualTo(Classifier.GRAD_LIMIT);
        assertThat(Classifier.quantise(-1e12)).isEqualTo(-Classifier.GRAD_LIMIT);
        // the largest batch's worst-case sum stays exactly representable
        assertThat(Classifier.GRAD_LIMIT * 128 * Classifier.MAX_BATCH).isLessThan(0x1p53);
    }
}
