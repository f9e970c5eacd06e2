package org.legoos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.testkit.Await;

/** {@code lego logs}: a component's log from the run directory of {@code lego up}. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LogsCommandTest {
    @TempDir
    Path dir;

    private Path log(String name, String text) throws Exception {
        Path f = dir.resolve("logs").resolve(name + ".log");
        Files.createDirectories(f.getParent());
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void printsTheWholeLogOrItsTail() throws Exception {
        log("memory-1", "one\ntwo\nthree\n");
        Cli.Result all = Cli.run("logs", "memory-1", "--dir", dir.toString());
        assertThat(all.code()).as(all.toString()).isZero();
        assertThat(all.out()).isEqualTo("one\ntwo\nthree\n");
        assertThat(Cli.run("logs", "memory-1", "--dir", dir.toString(), "-n", "2").out()).isEqualTo("two\nthree\n");
        assertThat(Cli.run("logs", "memory-1", "--dir", dir.toString(), "-n", "9").out()).isEqualTo("one\ntwo\nthree\n");
        assertThat(Cli.run("logs", "memory-1", "--dir", dir.toString(), "-n", "0").out()).isEmpty();
        log("manager", "no newline at the end");
        assertThat(Cli.run("logs", "manager", "--dir", dir.toString(), "-n", "1").out()).isEqualTo("no newline at the end");
    }

    @Test
    void anUnknownNameIsAnErrorListingTheKnownOnes() throws Exception {
        log("manager", "");
        log("processor-1", "");
        Cli.Result r = Cli.run("logs", "procesor-1", "--dir", dir.toString());
        assertThat(r.code()).isEqualTo(Lego.EXIT_FAILURE);
        assertThat(r.err()).isEqualTo("lego: no component named 'procesor-1' in " + dir.toAbsolutePath().normalize()
                + "; known: manager, processor-1\n");
        Cli.Result escape = Cli.run("logs", "../logs/manager", "--dir", dir.toString());
        assertThat(escape.code()).isEqualTo(Lego.EXIT_FAILURE);
        Cli.Result none = Cli.run("logs", "manager", "--dir", dir.resolve("nothing").toString());
        assertThat(none.err()).contains("no logs there: start a cluster with 'lego up --dir ");
    }

    @Test
    void followPrintsWhatIsAppendedUntilInterrupted() throws Exception {
        Path f = log("storage-1", "first\n");
        Cli cli = new Cli();
        CompletableFuture<Cli.Result> run = cli.background("logs", "storage-1", "-f", "--dir", dir.toString());
        Await.until("the log so far", Duration.ofSeconds(10), () -> cli.out().equals("first\n") && cli.hasInterruptHook());
        Files.writeString(f, "second\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Await.until("the appended line", Duration.ofSeconds(10), () -> cli.out().equals("first\nsecond\n"));
        Files.writeString(f, "new\n", StandardCharsets.UTF_8); // truncated and rewritten (a restarted component)
        Await.until("the rewritten log", Duration.ofSeconds(10), () -> cli.out().equals("first\nsecond\nnew\n"));
        cli.interrupt();
        Cli.Result r = run.get(10, TimeUnit.SECONDS);
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("was truncated; from the top");
    }
}
