package org.legoos.systemtest.programs;

import java.security.SecureRandom;
import java.util.UUID;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * Not hostile: what every JVM does sooner or later (a {@code File.createTempFile}, a {@code UUID.randomUUID()}, TLS)
 * must work in the sandbox without stalling: takes a seeded {@link SecureRandom} and a random UUID, and prints
 * {@code entropy: ALGORITHM in N ms}. Without read access to {@code /dev/urandom} the JDK falls back to seeding from
 * thread timing, which takes seconds.
 */
public final class Entropy implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) {
        long t0 = System.nanoTime();
        SecureRandom r = new SecureRandom();
        r.nextLong();
        UUID.randomUUID();
        ctx.out().println("entropy: " + r.getAlgorithm() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        return 0;
    }
}
