package org.legoos.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SizesTest {
    @Test
    void binaryUnitsInAnyCommonSpelling() {
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("512KiB")).isEqualTo(512L << 10);
        assertThat(Sizes.parse("64k")).isEqualTo(64L << 10);
        assertThat(Sizes.parse("64MiB")).isEqualTo(64L << 20);
        assertThat(Sizes.parse("64 MB")).isEqualTo(64L << 20);
        assertThat(Sizes.parse("256MiB")).isEqualTo(256L << 20);
        assertThat(Sizes.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("2g")).isEqualTo(2L << 30);
        assertThat(Sizes.parse("1TiB")).isEqualTo(1L << 40);
        assertThat(Sizes.parse("3PiB")).isEqualTo(3L << 50);
        assertThat(Sizes.parse(" 7b ")).isEqualTo(7);
        assertThat(Sizes.parse("8191PiB")).isEqualTo(8191L << 50);
    }

    @Test
    void nonSizesAreRefusedSayingWhatASizeLooksLike() {
        for (String bad : new String[] {"", "XB", "12XB", "-1GiB", "1.5GiB", "GiB", "1 G i B", "1e6", "0x10"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("'" + bad + "' is not a size")
                    .hasMessageContaining("B, KiB, MiB, GiB, TiB or PiB").hasMessageContaining("e.g. 512MiB");
        }
        assertThatThrownBy(() -> Sizes.parse("256XB")).hasMessageStartingWith("'256XB' is not a size: unknown unit 'XB'");
        assertThatThrownBy(() -> Sizes.parse(null)).hasMessageContaining("is not a size: it is empty");
    }

    @Test
    void overflowIsRefused() {
        for (String big : new String[] {"8192PiB", "9000000PiB", "9223372036854775808", "123456789012345678901",
                "8388608TiB", "17179869184GiB"}) {
            assertThatThrownBy(() -> Sizes.parse(big)).as(big).hasMessageStartingWith("'" + big + "' is too large");
        }
        assertThat(Sizes.parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void rangesAreCheckedAndNamedInUnits() {
        assertThat(Sizes.parse("4KiB", 4096, 1L << 30)).isEqualTo(4096);
        assertThatThrownBy(() -> Sizes.parse("2GiB", 4096, 1L << 30)).hasMessage("'2GiB' must be between 4KiB and 1GiB");
    }

    @Test
    void formatPicksTheLargestExactUnit() {
        assertThat(Sizes.format(64L << 20)).isEqualTo("64MiB");
        assertThat(Sizes.format(1536L << 20)).isEqualTo("1536MiB");
        assertThat(Sizes.format(4097)).isEqualTo("4097B");
        assertThat(Sizes.format(0)).isEqualTo("0");
        assertThat(Sizes.human(1536)).isEqualTo("1.5KiB");
        assertThat(Sizes.human(200L << 20)).isEqualTo("200MiB");
        assertThat(Sizes.human(12)).isEqualTo("12B");
    }

    @Test
    void formatThenParseIsIdentity() {
        long[] samples = {1, 1023, 1024, 4097, 64L << 20, 3L << 40, (1L << 62) + 5, Long.MAX_VALUE, 8191L << 50};
        for (long b : samples) {
            assertThat(Sizes.parse(Sizes.format(b))).as("%d", b).isEqualTo(b);
        }
    }
}
