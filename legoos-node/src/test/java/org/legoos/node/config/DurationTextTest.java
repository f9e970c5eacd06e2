package org.legoos.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sizes are tested in legoos-api ({@code SizesTest}); this is the config's duration text. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DurationTextTest {
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
