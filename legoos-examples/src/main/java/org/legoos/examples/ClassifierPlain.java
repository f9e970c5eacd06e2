package org.legoos.examples;

import java.util.Arrays;
import org.legoos.examples.Classifier.Config;
import org.legoos.examples.Classifier.Result;

/**
 * The plain-Java twin of {@link Classifier}: the same training of the same MLP on the same generated images, on
 * heap arrays of one JVM and plain platform threads. It runs {@link Classifier}'s driver and kernels, so the two
 * compute bit-identical results; only where the data lives differs. The kernels run directly on the heap arrays
 * (images, weights, per-thread gradients); the one copy is the per-block transpose of a chunk's pixels that the
 * vectorised forward kernel wants, which any fast implementation makes (a GEMM packs its panels the same way).
 * Images are held in arrays of at most 2<sup>18</sup> images (768 MiB) each, so data sets beyond 2 GiB fit.
 *
 * <p>Thread-safe: every call builds its own state.
 */
public final class ClassifierPlain {
    private static final int IMAGES_PER_ARRAY = 1 << 18;

    private ClassifierPlain() {
    }

    /**
     * Trains with the program's defaults on {@code images} images and returns the result line that
     * {@code classifier --images <images> --seed <seed> --threads <threads>} prints.
     */
    public static String run(long images, long seed, int threads) throws Exception {
        return run(Config.of(images, seed, threads));
    }

    /** Trains with {@code c} and returns the result line. */
    static String run(Config c) throws Exception {
        Result r = train(c);
        if (c.verbose()) {
            Classifier.printTimings(System.err, c, r);
        }
        return c.resultLine(r);
    }

    static Result train(Config c) throws Exception {
        return Classifier.train(c, new Heap(c), (name, body) -> Thread.ofPlatform().name(name).daemon(true).start(body),
                () -> false);
    }

    /** A data set of images on the heap, split over arrays of {@link #IMAGES_PER_ARRAY} images. */
    private static final class Images {
        final byte[][] arrays;
        final byte[] labels;

        Images(int count) {
            arrays = new byte[(count + IMAGES_PER_ARRAY - 1) / IMAGES_PER_ARRAY][];
            for (int a = 0; a < arrays.length; a++) {
                arrays[a] = new byte[Math.min(IMAGES_PER_ARRAY, count - a * IMAGES_PER_ARRAY) * Classifier.PIXELS];
            }
            labels = new byte[count];
        }

        byte[] array(int image) {
            return arrays[image / IMAGES_PER_ARRAY];
        }

        static int offset(int image) {
            return (image % IMAGES_PER_ARRAY) * Classifier.PIXELS;
        }

        /** How many images from {@code image} on lie in the same array. */
        static int run(int image) {
            return IMAGES_PER_ARRAY - image % IMAGES_PER_ARRAY;
        }

        void generate(CifarGenerator generator, long indexBase, int from, int to) {
            for (int i = from; i < to; i++) {
                byte[] a = array(i);
                int off = offset(i);
                labels[i] = (byte) generator.image(indexBase + i, a, off);
                Classifier.center(a, off, Classifier.PIXELS);
            }
        }
    }

    /** Everything on the heap: {@code params} as in the program's mapping, one gradient array per thread. */
    private static final class Heap implements Classifier.Backend {
        private final Config c;
        private final CifarGenerator generator;
        private final Images train;
        private final Images test;
        private final float[] params;
        private final double[][] grads;

        Heap(Config c) {
            this.c = c;
            this.generator = new CifarGenerator(c.seed());
            this.train = new Images(c.images());
            this.test = new Images(c.testImages());
            this.params = new float[c.params()];
            this.grads = new double[c.threads()][c.params()];
        }

        @Override
        public Classifier.Worker worker(int t) {
            return new HeapWorker(t);
        }

        @Override
        public long checksum() {
            return Mix.fmix64(Classifier.hash(Classifier.HASH_SEED, params, 0, params.length));
        }

        private final class HeapWorker implements Classifier.Worker {
            private final int thread;
            private final int hidden = c.hidden();
            private final int chunk = c.chunk();
            private final byte[] blockT = new byte[chunk * Classifier.K_BLOCK];
            private final float[] z = new float[chunk * hidden];
            private final double[] q = new double[chunk * hidden];
            private final float[] act = new float[hidden];
            private final double[] out = new double[Classifier.CLASSES];

            HeapWorker(int thread) {
                this.thread = thread;
            }

            @Override
            public void generate(int from, int to) {
                train.generate(generator, 0, from, to);
            }

            @Override
            public void generateTest(int from, int to) {
                test.generate(generator, CifarGenerator.TEST_BASE, from, to);
            }

            @Override
            public void initialise(int from, int to) {
                for (int j = from; j < to; j++) {
                    params[j] = Classifier.initialParam(c.seed(), hidden, j);
                }
            }

            /** Pre-activation sums of the m images at {@code x[off..]} into {@code z} (unit-major: z[h * m + i]). */
            private void forward(byte[] x, int off, int m) {
                Arrays.fill(z, 0, hidden * m, 0f);
                for (int k0 = 0; k0 < Classifier.PIXELS; k0 += Classifier.K_BLOCK) {
                    Classifier.transpose(x, off + k0, Classifier.PIXELS, m, Classifier.K_BLOCK, blockT);
                    for (int h = 0; h < hidden; h++) {
                        Classifier.forwardRow(params, h * Classifier.PIXELS + k0, blockT, m, Classifier.K_BLOCK, z, h * m);
                    }
                }
            }

            @Override
            public long train(int first, int count) {
                double[] g = grads[thread];
                Arrays.fill(g, 0.0);
                int small = c.smallOffset();
                long loss = 0;
                for (int i0 = first, end = first + count; i0 < end; ) {
                    int m = Math.min(Math.min(chunk, end - i0), Images.run(i0));
                    byte[] x = train.array(i0);
                    int off = Images.offset(i0);
                    forward(x, off, m);
                    for (int i = 0; i < m; i++) {
                        loss += Classifier.lossFixed(Classifier.head(z, i, m, hidden, params, small, train.labels[i0 + i],
                                act, out, q, i * hidden, g, small));
                    }
                    for (int h = 0; h < hidden; h++) {
                        Classifier.backwardRow(q, h, hidden, x, off, Classifier.PIXELS, m, Classifier.PIXELS,
                                g, h * Classifier.PIXELS);
                    }
                    i0 += m;
                }
                return loss;
            }

            @Override
            public void update(int from, int to, int n) {
                int threads = c.threads();
                int first = 0;
                while (!Classifier.active(n, first, threads)) {
                    first++;
                }
                double[] sum = grads[first];
                for (int u = first + 1; u < threads; u++) {
                    if (Classifier.active(n, u, threads)) {
                        Classifier.accumulate(sum, from, grads[u], from, to - from);
                    }
                }
                int boundary = Math.max(from, Math.min(to, c.smallOffset()));
                Classifier.update(params, from, sum, from, boundary - from, Classifier.step(c, from, n));
                Classifier.update(params, boundary, sum, boundary, to - boundary, Classifier.step(c, boundary, n));
            }

            @Override
            public long evaluate(int from, int to) {
                int small = c.smallOffset();
                long right = 0;
                for (int i0 = from; i0 < to; ) {
                    int m = Math.min(Math.min(chunk, to - i0), Images.run(i0));
                    forward(test.array(i0), Images.offset(i0), m);
                    for (int i = 0; i < m; i++) {
                        if (Classifier.logits(z, i, m, hidden, params, small, act, out) == test.labels[i0 + i]) {
                            right++;
                        }
                    }
                    i0 += m;
                }
                return right;
            }
        }
    }
}
