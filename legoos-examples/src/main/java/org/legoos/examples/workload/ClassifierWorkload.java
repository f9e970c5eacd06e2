package org.legoos.examples.workload;

import java.util.List;
import org.legoos.examples.ClassifierPlain;

/**
 * The paper's TensorFlow workload: the {@code classifier} program (an MLP 3072-32-10 trained by mini-batch SGD,
 * batch 64, 2 epochs, on generated CIFAR-10-shaped images, then scored on 2048 test images) against
 * {@link ClassifierPlain}. {@code size} is the number of training images (3 KiB each).
 *
 * <p>The paper's TensorFlow run had a working set of about 0.9 GB; {@link #paperSize()} is 65536 images (about
 * 200 MiB of images plus weights and gradients), sized so that a run (2 epochs) of the program takes well under a
 * minute on a 2-core machine with an ExCache larger than the working set.
 *
 * <p>Stateless and thread-safe.
 */
public final class ClassifierWorkload implements Workload {
    private static final long PIXELS = 3072;
    private static final long TEST_IMAGES = 2048;
    private static final long HIDDEN = 32;
    /** Threads assumed when estimating the per-thread gradient buffers. */
    private static final long ASSUMED_THREADS = 4;

    @Override
    public String name() {
        return "classifier";
    }

    @Override
    public String description() {
        return "MLP 3072-32-10, SGD on generated CIFAR-10-shaped images (TensorFlow-like)";
    }

    @Override
    public String program() {
        return "classifier";
    }

    @Override
    public String sizeUnit() {
        return "images";
    }

    @Override
    public long quickSize() {
        return 4096;
    }

    @Override
    public long paperSize() {
        return 65536;
    }

    /** The paper's TensorFlow point: a 256 MB ExCache for a 0.9 GB working set. */
    @Override
    public double paperCacheFraction() {
        return 0.28;
    }

    @Override
    public long estimatedWorkingSetBytes(long size) {
        long params = (PIXELS + 11) * HIDDEN + 10;
        long data = (size + TEST_IMAGES) * (PIXELS + 1);
        long model = params * 4 + ASSUMED_THREADS * params * 8;
        return data + model + (1L << 20);
    }

    @Override
    public List<String> programArgs(long size, long seed, int threads) {
        return List.of("--images", Long.toString(size), "--seed", Long.toString(seed), "--threads", Integer.toString(threads));
    }

    @Override
    public String runPlain(long size, long seed, int threads) throws Exception {
        return ClassifierPlain.run(size, seed, threads);
    }
}
