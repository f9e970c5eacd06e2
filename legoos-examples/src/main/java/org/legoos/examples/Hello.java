package org.legoos.examples;

import org.legoos.api.LegoContext;
import org.legoos.api.LegoProgram;

/**
 * The smallest LegoOS/J program: prints {@code hello from pid <pid> on vNode <vnode>}, then its arguments
 * separated by spaces on a second line (only if there are any), like {@code echo}.
 */
public final class Hello implements LegoProgram {
    @Override
    public int main(LegoContext ctx, String[] args) {
        ctx.out().println("hello from pid " + ctx.pid() + " on vNode " + ctx.vnode());
        if (args.length > 0) {
            ctx.out().println(String.join(" ", args));
        }
        ctx.out().flush();
        return 0;
    }
}
