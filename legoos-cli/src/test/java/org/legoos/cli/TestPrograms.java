package org.legoos.cli;

import java.util.Map;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/** Programs the CLI tests run on their cluster. */
final class TestPrograms {
    private TestPrograms() {
    }

    static Map<String, Class<? extends LegoProgram>> all() {
        return Map.of("exit", Exit.class, "sleep", Sleep.class, "chatty", Chatty.class, "upper", Upper.class, "sum", Sum.class,
                "churn", Churn.class);
    }

    /** Prints "started", then writes every page of {@code args[0]} bytes over and over (missing in a smaller ExCache) until killed. */
    public static final class Churn implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            long len = Long.parseLong(args[0]);
            var m = ctx.memory();
            long va = m.mmap(len);
            ctx.out().println("started");
            ctx.out().flush();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            for (long round = 0; !ctx.killed() && System.nanoTime() < deadline; round++) {
                for (long off = 0; off < len && !ctx.killed(); off += org.legoos.api.AddressSpace.PAGE_SIZE) {
                    m.putLong(va + off, round);
                }
            }
            return 0;
        }
    }

    /** Uppercasing cat of stdin, line by line. */
    public static final class Upper implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            var r = new java.io.BufferedReader(new java.io.InputStreamReader(ctx.in(), java.nio.charset.StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                ctx.out().println(line.toUpperCase(java.util.Locale.ROOT));
            }
            return 0;
        }
    }

    /** Prints {@code bytes N crc C} of stdin. */
    public static final class Sum implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws Exception {
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            byte[] buf = new byte[10_000];
            long bytes = 0;
            int n;
            while ((n = ctx.in().read(buf)) > 0) {
                crc.update(buf, 0, n);
                bytes += n;
            }
            ctx.out().printf("bytes %d crc %08x%n", bytes, crc.getValue());
            return 0;
        }
    }

    /** Prints {@code out: ARGS} and {@code err: ARGS}, exits with {@code args[0]}. */
    public static final class Exit implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            String rest = String.join(" ", java.util.Arrays.copyOfRange(args, 1, args.length));
            ctx.out().println("out: " + rest);
            ctx.err().println("err: " + rest);
            ctx.out().flush();
            ctx.err().flush();
            return Integer.parseInt(args[0]);
        }
    }

    /** Prints "started", then runs until killed. */
    public static final class Sleep implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) {
            ctx.out().println("started");
            ctx.out().flush();
            while (!ctx.killed()) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    // a kill interrupts; the loop sees it
                }
            }
            return 0;
        }
    }

    /** Prints {@code args[0]} numbered lines, flushing each, a few milliseconds apart. */
    public static final class Chatty implements LegoProgram {
        @Override
        public int main(LegoContext ctx, String[] args) throws InterruptedException {
            int n = Integer.parseInt(args[0]);
            for (int i = 1; i <= n; i++) {
                ctx.out().println("line " + i);
                ctx.out().flush();
                Thread.sleep(2);
            }
            return 0;
        }
    }
}
