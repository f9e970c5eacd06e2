package org.legoos.examples;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.legoos.api.LegoProgram;

/**
 * The programs bundled with LegoOS/J, by the short name a user gives to {@code lego run}. Every class has a
 * public no-argument constructor, so a process monitor can load and instantiate it. Immutable and thread-safe.
 */
public final class Examples {
    private static final Map<String, Class<? extends LegoProgram>> BUNDLED;

    static {
        Map<String, Class<? extends LegoProgram>> m = new LinkedHashMap<>();
        m.put("hello", Hello.class);
        m.put("wordcount", WordCount.class);
        m.put("kvstore", KvStore.class);
        m.put("matmul", MatMul.class);
        m.put("segfault", Segfault.class);
        m.put("corpus", CorpusGenerator.class);
        m.put("classifier", Classifier.class);
        m.put("pagerank", PageRank.class);
        m.put("mapsum", MappedFileSum.class);
        m.put("wc", Wc.class);
        BUNDLED = Collections.unmodifiableMap(m);
    }

    private Examples() {
    }

    /** Short name to program class, in a stable order. */
    public static Map<String, Class<? extends LegoProgram>> bundled() {
        return BUNDLED;
    }
}
