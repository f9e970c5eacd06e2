package org.legoos.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** Round trips of the unit formats; jqwik has no per-property timeout, so each try runs under one. */
class UnitTextPropertyTest {
    private static final Duration TRY_TIMEOUT = Duration.ofSeconds(5);

    @Property(tries = 300)
    void sizeFormatThenParseIsIdentity(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long bytes) {
        assertTimeoutPreemptively(TRY_TIMEOUT, () -> assertThat(ByteSize.parse(ByteSize.format(bytes))).isEqualTo(bytes));
    }

    @Property(tries = 200)
    void durationFormatThenParseIsIdentity(@ForAll @LongRange(min = 0, max = 1_000_000_000_000L) long micros) {
        Duration d = Duration.ofNanos(micros * 1000);
        assertTimeoutPreemptively(TRY_TIMEOUT, () -> assertThat(DurationText.parse(DurationText.format(d))).isEqualTo(d));
    }
}
