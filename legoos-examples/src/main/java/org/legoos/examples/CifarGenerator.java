package org.legoos.examples;

/**
 * A deterministic stand-in for CIFAR-10 (the data set of the LegoOS paper's TensorFlow workload): labelled
 * 32x32 RGB images of unsigned bytes in CIFAR's binary layout (three 1024-byte channel planes, red, green,
 * blue, each row-major), ten classes, every image a pure function of {@code (seed, index)}.
 *
 * <p><b>What an image looks like.</b> Each class has a mean colour and, per channel, a smooth template: a sum
 * of four low-frequency 2-D cosine waves (0 to 3 cycles across the image) whose shapes are shared by the
 * three channels with per-channel amplitudes, so a class is "a coloured pattern". Image {@code index} of
 * class {@code label(index)} is that template shifted by up to {@value #MAX_SHIFT} pixels in x and y and
 * scaled by a contrast in [0.5, 1.5), plus a brightness offset (up to +-64 per image, +-16 more per channel),
 * plus a clutter template of a random class (its own shift, weight up to 1), plus per-pixel triangular noise,
 * clamped to [0, 255]. Labels are uniform over the ten classes. A linear model or small MLP learns it
 * well above chance (10%) but not perfectly (an MLP 3072-32-10 reaches about 80% after two epochs over 4096
 * images, about 90% over 16384): brightness, shift, clutter and noise hide part of the signal.
 *
 * <p>Training image {@code i} is index {@code i}, test image {@code j} is index {@link #TEST_BASE}{@code + j},
 * so the test set never overlaps the training set and does not change with the training set's size.
 *
 * <p>Immutable after construction and thread-safe: any thread may generate any image, in any order, so
 * generation can be split over threads and written straight into disaggregated memory in blocks.
 */
final class CifarGenerator {
    static final int SIDE = 32;
    static final int CHANNELS = 3;
    static final int PLANE = SIDE * SIDE;
    /** Bytes of one image: 3072. */
    static final int PIXELS = PLANE * CHANNELS;
    static final int CLASSES = 10;
    /** Index of test image 0. */
    static final long TEST_BASE = 1L << 48;
    static final int MAX_SHIFT = 4;
    private static final int SPAN = SIDE + 2 * MAX_SHIFT;
    private static final int COMPONENTS = 4;
    private static final int NOISE = 48;
    /** Largest amplitude of one cosine component of a template. */
    private static final int AMPLITUDE = 20;

    private final long seed;
    /** [class][channel][SPAN][SPAN], signed template values in [-127, 127]; the image origin is at (MAX_SHIFT, MAX_SHIFT). */
    private final byte[] templates = new byte[CLASSES * CHANNELS * SPAN * SPAN];
    /** [class][channel] mean level. */
    private final int[] means = new int[CLASSES * CHANNELS];

    CifarGenerator(long seed) {
        this.seed = seed;
        double[] cx = new double[SPAN];
        double[] cy = new double[SPAN];
        double[] sum = new double[CHANNELS * SPAN * SPAN];
        for (int c = 0; c < CLASSES; c++) {
            long s = Mix.fmix64(seed ^ (0x7E3A_9C11_0000L + c));
            java.util.Arrays.fill(sum, 0);
            for (int ch = 0; ch < CHANNELS; ch++) {
                s += Mix.GOLDEN;
                means[c * CHANNELS + ch] = 88 + (int) (Mix.unit(Mix.splitmix(s)) * 80);
            }
            for (int j = 0; j < COMPONENTS; j++) {
                s += Mix.GOLDEN;
                long r = Mix.splitmix(s);
                int fx = (int) (r & 3);
                int fy = (int) ((r >>> 2) & 3);
                if (fx == 0 && fy == 0) {
                    fx = 1 + (int) ((r >>> 4) & 1);
                }
                s += Mix.GOLDEN;
                double px = Mix.unit(Mix.splitmix(s)) * 2 * Math.PI;
                s += Mix.GOLDEN;
                double py = Mix.unit(Mix.splitmix(s)) * 2 * Math.PI;
                for (int u = 0; u < SPAN; u++) {
                    double t = 2 * Math.PI * (u - MAX_SHIFT) / SIDE;
                    cx[u] = StrictMath.cos(fx * t + px);
                    cy[u] = StrictMath.cos(fy * t + py);
                }
                for (int ch = 0; ch < CHANNELS; ch++) {
                    s += Mix.GOLDEN;
                    double amplitude = (Mix.unit(Mix.splitmix(s)) * 2 - 1) * AMPLITUDE;
                    int base = ch * SPAN * SPAN;
                    for (int y = 0; y < SPAN; y++) {
                        for (int x = 0; x < SPAN; x++) {
                            sum[base + y * SPAN + x] += amplitude * cy[y] * cx[x];
                        }
                    }
                }
            }
            int base = c * CHANNELS * SPAN * SPAN;
            for (int i = 0; i < sum.length; i++) {
                templates[base + i] = (byte) Math.max(-127, Math.min(127, Math.round(sum[i])));
            }
        }
    }

    long seed() {
        return seed;
    }

    /** The label of image {@code index}, uniform in [0, 10). */
    int label(long index) {
        return labelOf(imageKey(index));
    }

    private long imageKey(long index) {
        return Mix.fmix64(seed ^ Mix.fmix64(index * Mix.GOLDEN + 0x51ED_2701L));
    }

    private static int labelOf(long key) {
        return (int) (((key >>> 32) * CLASSES) >>> 32);
    }

    /**
     * Writes the {@value #PIXELS} bytes of image {@code index} to {@code dst[off..]} and returns its label.
     */
    int image(long index, byte[] dst, int off) {
        java.util.Objects.checkFromIndexSize(off, PIXELS, dst.length);
        long key = imageKey(index);
        int label = labelOf(key);
        long s = key;
        s += Mix.GOLDEN;
        long r = Mix.splitmix(s);
        int dx = (int) ((r & 0xFFFF) * (2 * MAX_SHIFT + 1) >>> 16) - MAX_SHIFT;
        int dy = (int) (((r >>> 16) & 0xFFFF) * (2 * MAX_SHIFT + 1) >>> 16) - MAX_SHIFT;
        int contrast = 128 + (int) ((r >>> 32) & 0xFF); // [128, 384) / 256
        int brightness = (int) ((r >>> 40) & 0x7F) - 64;
        int clutterClass = (int) ((((r >>> 47) & 0xFFFF) * CLASSES) >>> 16);
        s += Mix.GOLDEN;
        r = Mix.splitmix(s);
        int cdx = (int) ((r & 0xFFFF) * (2 * MAX_SHIFT + 1) >>> 16) - MAX_SHIFT;
        int cdy = (int) (((r >>> 16) & 0xFFFF) * (2 * MAX_SHIFT + 1) >>> 16) - MAX_SHIFT;
        int clutter = (int) ((r >>> 40) & 0xFF); // [0, 1) * 256
        for (int ch = 0; ch < CHANNELS; ch++) {
            s += Mix.GOLDEN;
            int level = means[label * CHANNELS + ch] + brightness + (int) (Mix.splitmix(s) & 0x1F) - 16;
            int t = (label * CHANNELS + ch) * SPAN * SPAN + (MAX_SHIFT + dy) * SPAN + MAX_SHIFT + dx;
            int u = (clutterClass * CHANNELS + ch) * SPAN * SPAN + (MAX_SHIFT + cdy) * SPAN + MAX_SHIFT + cdx;
            int o = off + ch * PLANE;
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x += 8) {
                    s += Mix.GOLDEN;
                    long noise = Mix.splitmix(s);
                    for (int b = 0; b < 8; b++, noise >>>= 8) {
                        // two 4-bit uniforms summed: triangular in [-15, 15], scaled to about +-NOISE
                        int tri = (int) (noise & 0xF) + (int) ((noise >>> 4) & 0xF) - 15;
                        int v = level + ((contrast * templates[t + x + b] + clutter * templates[u + x + b]) >> 8)
                                + tri * NOISE / 15;
                        dst[o + x + b] = (byte) (v < 0 ? 0 : Math.min(v, 255));
                    }
                }
                t += SPAN;
                u += SPAN;
                o += SIDE;
            }
        }
        return label;
    }
}
