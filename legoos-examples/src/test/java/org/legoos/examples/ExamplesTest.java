package org.legoos.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.legoos.api.LegoProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ExamplesTest {
    @Test
    void registryNamesEveryBundledProgramAndEachCanBeInstantiated() throws Exception {
        assertThat(Examples.bundled()).containsKeys("hello", "wordcount", "kvstore", "matmul", "segfault");
        for (Class<? extends LegoProgram> c : Examples.bundled().values()) {
            assertThat(c.getConstructor().newInstance()).isInstanceOf(LegoProgram.class);
        }
    }

    @Test
    void helloGreetsWithPidAndVnodeAndEchoesArgs() throws Exception {
        TestContext ctx = new TestContext(new HeapAddressSpace());
        assertThat(new Hello().main(ctx, new String[] {"a", "b c"})).isZero();
        assertThat(ctx.stdout()).isEqualTo("hello from pid 7 on vNode test-vnode" + System.lineSeparator()
                + "a b c" + System.lineSeparator());
    }

    @Test
    void wcCountsLinesWordsAndBytesOfStdin() throws Exception {
        TestContext ctx = new TestContext(new HeapAddressSpace())
                .stdin("one two\n  three\tfour five\nlast".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(new Wc().main(ctx, new String[0])).isZero();
        assertThat(ctx.stdout()).isEqualTo("2 6 30" + System.lineSeparator());
        TestContext empty = new TestContext(new HeapAddressSpace());
        assertThat(new Wc().main(empty, new String[0])).isZero();
        assertThat(empty.stdout()).isEqualTo("0 0 0" + System.lineSeparator());
    }
}
