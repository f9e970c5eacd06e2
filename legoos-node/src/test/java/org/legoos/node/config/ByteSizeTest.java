package org.legoos.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ByteSizeTest {
    @Test
    void binaryUnitsInAnyCommonSpelling() {
        assertThat(ByteSize.parse("4096")).isEqualTo(4096);
        assertThat(ByteSize.parse("512KiB")).isEqualTo(512L << 10);
        assertThat(ByteSize.parse("64MiB")).isEqualTo(64L << 20);
        assertThat(ByteSize.parse("64 MB")).isEqualTo(64L << 20);
        assertThat(ByteSize.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("2g")).isEqualTo(2L << 30);
        assertThat(ByteSize.parse("1TiB")).isEqualTo(1L << 40);
        assertThat(ByteSize.parse(" 7b ")).isEqualTo(7);
    }

    @Test
    void nonSizesAreRefused() {
        for (String bad : new String[] {"", "XB", "12XB", "-1GiB", "1.5GiB", "GiB", "1 G i B"}) {
            assertThatThrownBy(() -> ByteSize.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a size");
        }
        assertThatThrownBy(() -> ByteSize.parse("9000000PiB")).hasMessageContaining("too large");
        assertThatThrownBy(() -> ByteSize.parse("123456789012345678901")).hasMessageContaining("too large");
    }

    @Test
    void formatPicksTheLargestExactUnit() {
        assertThat(ByteSize.format(64L << 20)).isEqualTo("64MiB");
        assertThat(ByteSize.format(1536L << 20)).isEqualTo("1536MiB");
        assertThat(ByteSize.format(4097)).isEqualTo("4097B");
        assertThat(ByteSize.format(0)).isEqualTo("0");
        assertThat(ByteSize.human(1536)).isEqualTo("1.5KiB");
        assertThat(ByteSize.human(200L << 20)).isEqualTo("200MiB");
        assertThat(ByteSize.human(12)).isEqualTo("12B");
    }

    @Test
    void durationsNeedAUnit() {
        assertThat(DurationText.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationText.parse("3s")).isEqualTo(Duration.ofSeconds(3));
        assertThat(DurationText.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationText.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationText.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(DurationText.parse("0")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> DurationText.parse("500")).hasMessage("'500' is not a duration (use e.g. 500ms or 3s)");
        assertThatThrownBy(() -> DurationText.parse("3 parsecs")).hasMessageContaining("is not a duration");
        assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(DurationText.format(Duration.ofSeconds(120))).isEqualTo("2m");
        assertThat(DurationText.human(Duration.ofMillis(300))).isEqualTo("0.3s");
    }
}
