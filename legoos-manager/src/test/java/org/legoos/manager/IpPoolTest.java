package org.legoos.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 5, unit = TimeUnit.SECONDS)
class IpPoolTest {
    @Test
    void excludesNetworkAndBroadcastUpToSlash30() {
        IpPool p = IpPool.parse("10.77.0.0/16");
        assertThat(p.size()).isEqualTo(65_534);
        assertThat(p.addressAt(0)).isEqualTo("10.77.0.1");
        assertThat(p.addressAt(p.size() - 1)).isEqualTo("10.77.255.254");
        assertThat(IpPool.parse("192.168.1.0/30").size()).isEqualTo(2);
        assertThat(IpPool.parse("192.168.1.0/31").size()).isEqualTo(2);
        assertThat(IpPool.parse("192.168.1.7/32").addressAt(0)).isEqualTo("192.168.1.7");
        assertThat(IpPool.parse("0.0.0.0/0").size()).isEqualTo((1L << 32) - 2);
    }

    @Test
    void allocatesTheNextFreeAddressFromTheCursorAndWraps() {
        IpPool p = IpPool.parse("10.0.0.0/29"); // .1 .. .6
        assertThat(p.allocate(0, Set.of())).isEqualTo(0);
        assertThat(p.allocate(2, Set.of("10.0.0.3", "10.0.0.4"))).isEqualTo(4);
        assertThat(p.allocate(5, Set.of("10.0.0.6"))).isEqualTo(0);
        assertThat(p.allocate(0, Set.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6")))
                .isEqualTo(-1);
        // addresses outside the pool do not count as using it up
        assertThat(p.allocate(0, Set.of("10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4", "10.0.1.5", "10.0.1.6")))
                .isEqualTo(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.77.0.0", "10.77.0.0/33", "10.77.0.0/-1", "10.77.0/16", "10.77.0.256/24", "a.b.c.d/8",
            "10.77.0.1/16", "10.77.0.0/x", "::1/64"})
    void badBlocksAreRejectedWithTheirText(String cidr) {
        assertThatThrownBy(() -> IpPool.parse(cidr))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(cidr);
    }

    @Test
    void hostBitsErrorSuggestsTheNetwork() {
        assertThatThrownBy(() -> IpPool.parse("10.77.3.4/16")).hasMessageContaining("10.77.0.0/16");
    }
}
