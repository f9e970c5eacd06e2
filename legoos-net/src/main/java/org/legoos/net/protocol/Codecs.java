package org.legoos.net.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Helpers for repeated fields, shared by every message codec. Counts are bounded by what is left to read. */
public final class Codecs {
    private Codecs() {
    }

    public static long[] readLongs(WireReader in) {
        int n = in.getCount(in.remaining() / 8, "long array");
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.getLong();
        }
        return a;
    }

    public static int[] readInts(WireReader in) {
        int n = in.getCount(in.remaining() / 4, "int array");
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.getInt();
        }
        return a;
    }

    /** A list whose elements each take at least one byte. */
    public static <T> List<T> readList(WireReader in, Function<WireReader, T> element) {
        int n = in.getCount(in.remaining(), "list");
        // the count is only bounded by the body size; grow as elements actually decode
        List<T> out = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            out.add(element.apply(in));
        }
        return out;
    }
}
