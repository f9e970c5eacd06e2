package org.legoos.net.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.api.ComponentUnavailableException;
import org.legoos.api.LegoException;
import org.legoos.api.NoMemoryException;
import org.legoos.api.QuotaExceededException;
import org.legoos.api.SegmentationFault;

/** Wire status codes and the exceptions they become. */
@Timeout(10)
class StatusTest {

    @Test
    void codesAreUniqueBytesAndReadBack() {
        assertThat(Arrays.stream(Status.values()).mapToInt(s -> s.code).distinct().count()).isEqualTo(Status.values().length);
        for (Status s : Status.values()) {
            assertThat(s.code).isBetween(0, 255);
            assertThat(Status.of(s.code)).isSameAs(s);
        }
        assertThat(Status.OK.code).isZero();
    }

    @Test
    void unknownCodesReadAsInternal() {
        for (int code : new int[] {-1, 4, 99, 255, 256, Integer.MAX_VALUE}) {
            assertThat(Status.of(code)).isSameAs(Status.INTERNAL);
        }
    }

    @Test
    void statusesBecomeTheApiExceptionsProgramsCatch() {
        assertThat(Status.BAD_ADDRESS.toException("m")).isExactlyInstanceOf(SegmentationFault.class).hasMessage("m");
        assertThat(Status.NO_MEMORY.toException("m")).isExactlyInstanceOf(NoMemoryException.class);
        assertThat(Status.QUOTA.toException("m")).isExactlyInstanceOf(QuotaExceededException.class);
        assertThat(Status.UNAVAILABLE.toException("m")).isExactlyInstanceOf(ComponentUnavailableException.class);
        assertThat(Status.TIMEOUT.toException("m").status()).isEqualTo("TIMEOUT");
        assertThat(Status.NOT_FOUND.toException("m")).isInstanceOfSatisfying(RpcException.class,
                e -> assertThat(e.code()).isEqualTo(Status.NOT_FOUND));
    }

    @Test
    void everyExceptionMapsBackToItsStatus() {
        for (Status s : Status.values()) {
            if (s != Status.OK) {
                assertThat(Status.of(s.toException("m"))).as(s.name()).isSameAs(s);
            }
        }
        assertThat(Status.of(new LegoException("SOMETHING_ELSE", "m"))).isSameAs(Status.INTERNAL);
        assertThat(Status.of(new SegmentationFault("m"))).isSameAs(Status.BAD_ADDRESS);
    }
}
