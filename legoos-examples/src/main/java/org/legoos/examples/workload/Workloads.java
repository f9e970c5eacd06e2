package org.legoos.examples.workload;

import java.util.List;
import java.util.stream.Collectors;

/** The workloads of the paper's evaluation, in the order {@code lego bench} runs them. Immutable. */
public final class Workloads {
    private static final List<Workload> ALL = List.of(new WordCountWorkload(), new ClassifierWorkload(),
            new KvStoreWorkload(), new PageRankWorkload());

    private Workloads() {
    }

    public static List<Workload> all() {
        return ALL;
    }

    /** The workload called {@code name}; IllegalArgumentException naming the known ones otherwise. */
    public static Workload byName(String name) {
        for (Workload w : ALL) {
            if (w.name().equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("no workload named '" + name + "'; known: "
                + ALL.stream().map(Workload::name).collect(Collectors.joining(", ")));
    }
}
