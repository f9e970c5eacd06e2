package org.legoos.examples;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian views of heap byte arrays, matching the byte order of {@link org.legoos.api.AddressSpace}, so
 * programs can move whole pages with one bulk {@code read}/{@code write} and decode them locally instead
 * of paying one address-space call per field. Stateless and thread-safe.
 */
final class Bytes {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle DOUBLES = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

    private Bytes() {
    }

    static long getLong(byte[] b, int offset) {
        return (long) LONGS.get(b, offset);
    }

    static void putLong(byte[] b, int offset, long v) {
        LONGS.set(b, offset, v);
    }

    static int getInt(byte[] b, int offset) {
        return (int) INTS.get(b, offset);
    }

    static void putInt(byte[] b, int offset, int v) {
        INTS.set(b, offset, v);
    }

    static double getDouble(byte[] b, int offset) {
        return (double) DOUBLES.get(b, offset);
    }

    static void putDouble(byte[] b, int offset, double v) {
        DOUBLES.set(b, offset, v);
    }
}
