package org.legoos.examples;

import java.io.InputStream;
import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * {@code wc} of the standard input: prints its lines, words (runs of bytes between ASCII white space) and bytes
 * ({@code 3 5 27}), like Unix {@code wc} without arguments on text. {@code lego run --vnode V wc < file} counts a local
 * file without copying it into the vNode.
 */
public final class Wc implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) throws Exception {
        InputStream in = ctx.in();
        byte[] buf = new byte[64 * 1024];
        long lines = 0;
        long words = 0;
        long bytes = 0;
        boolean inWord = false;
        int n;
        while ((n = in.read(buf)) > 0) {
            bytes += n;
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (b == '\n') {
                    lines++;
                }
                boolean space = b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == 0x0B || b == '\f';
                if (!space && !inWord) {
                    words++;
                }
                inWord = !space;
            }
        }
        ctx.out().println(lines + " " + words + " " + bytes);
        ctx.out().flush();
        return 0;
    }
}
