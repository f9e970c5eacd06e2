package org.legoos.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.legoos.net.protocol.pm.ProcessLog;

/** What a processor keeps of its processes' stderr for {@code lego logs PID}. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StderrLogTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void keepsTheEndOfStderrWhileRunningAndAfterTheExit() {
        StderrLog log = new StderrLog();
        assertThat(log.get(1)).isNull();
        log.append(1, b("before start is ignored\n"));
        log.started(1, "v");
        log.append(1, b("one\n"));
        log.append(1, b("two\n"));
        ProcessLog running = log.get(1);
        assertThat(running.running()).isTrue();
        assertThat(new String(running.stderr(), StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n");
        log.ended(1, 139, "SegmentationFault: 0x0");
        ProcessLog ended = log.get(1);
        assertThat(ended.running()).isFalse();
        assertThat(ended.exitCode()).isEqualTo(139);
        assertThat(ended.truncated()).isFalse();
        assertThat(new String(ended.stderr(), StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n[SegmentationFault: 0x0]\n");
        assertThat(log.vnodeOf(1)).isEqualTo("v");
        log.append(1, b("after the end is ignored"));
        assertThat(log.get(1).stderr()).isEqualTo(ended.stderr());

        log.started(2, "v"); // a process-mode task prints its own death: not repeated
        log.append(2, b("Segmentation fault: pid 2\n"));
        log.ended(2, 139, "Segmentation fault: pid 2");
        assertThat(new String(log.get(2).stderr(), StandardCharsets.UTF_8)).isEqualTo("Segmentation fault: pid 2\n");
    }

    @Test
    void keepsOnlyTheLastBytesInOrder() {
        StderrLog log = new StderrLog();
        log.started(7, "v");
        byte[] chunk = new byte[5000];
        long total = 0;
        for (int i = 0; i < 40; i++) { // 200,000 bytes in chunks that straddle the ring's end
            java.util.Arrays.fill(chunk, (byte) ('a' + i % 26));
            log.append(7, chunk);
            total += chunk.length;
        }
        byte[] big = new byte[StderrLog.KEEP_BYTES + 10]; // a single write larger than what is kept
        java.util.Arrays.fill(big, (byte) 'z');
        big[big.length - 1] = '!';
        log.started(8, "v");
        log.append(8, big);

        ProcessLog seven = log.get(7);
        assertThat(seven.truncated()).isTrue();
        assertThat(seven.stderr()).hasSize(StderrLog.KEEP_BYTES);
        // the last byte written is the last kept, and the kept bytes are the tail of what was written, in order
        byte[] expected = new byte[(int) total];
        for (int i = 0; i < 40; i++) {
            java.util.Arrays.fill(expected, i * 5000, (i + 1) * 5000, (byte) ('a' + i % 26));
        }
        assertThat(seven.stderr()).isEqualTo(java.util.Arrays.copyOfRange(expected, expected.length - StderrLog.KEEP_BYTES,
                expected.length));
        ProcessLog eight = log.get(8);
        assertThat(eight.stderr()).hasSize(StderrLog.KEEP_BYTES);
        assertThat(eight.stderr()[StderrLog.KEEP_BYTES - 1]).isEqualTo((byte) '!');
    }

    @Test
    void forgetsTheOldestEndedProcessesBeyondItsBound() {
        StderrLog log = new StderrLog();
        for (long pid = 1; pid <= StderrLog.KEEP_ENDED + 5; pid++) {
            log.started(pid, "v");
            log.append(pid, b("pid " + pid + "\n"));
            log.ended(pid, 0, "");
        }
        for (long pid = 1; pid <= 5; pid++) {
            assertThat(log.get(pid)).as("pid " + pid).isNull();
        }
        assertThat(new String(log.get(6).stderr(), StandardCharsets.UTF_8)).isEqualTo("pid 6\n");
        assertThat(log.get(StderrLog.KEEP_ENDED + 5)).isNotNull();
    }
}
