package org.legoos.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();

        Await.until("the third poll", () -> polls.incrementAndGet() >= 3);

        assertThat(polls.get()).isEqualTo(3);
    }

    @Test
    void returnsTheFirstNonNullValue() {
        AtomicInteger polls = new AtomicInteger();

        String v = Await.value("a value", () -> polls.incrementAndGet() < 2 ? null : "got " + polls.get());

        assertThat(v).isEqualTo("got 2");
    }

    @Test
    void aTimeoutFailsNamingWhatWasAwaited() {
        assertThatThrownBy(() -> Await.until("the impossible", Duration.ofMillis(20), () -> false))
                .isInstanceOf(AssertionError.class)
                .hasMessage("timed out after 20 ms waiting for: the impossible");
    }

    @Test
    void anInterruptFailsAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Await.until("anything", () -> false))
                    .isInstanceOf(AssertionError.class)
                    .hasMessage("interrupted waiting for: anything");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
