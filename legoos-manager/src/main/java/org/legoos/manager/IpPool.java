package org.legoos.manager;

import java.util.Set;

/**
 * An IPv4 CIDR block from which vNodes get their virtual IPs, e.g. {@code 10.77.0.0/16}. For prefixes up to
 * /30 the network and broadcast addresses are not handed out; a /31 has two usable addresses, a /32 one.
 *
 * <p>Immutable and thread-safe; the allocation cursor and the set of addresses in use belong to the caller.
 */
final class IpPool {
    private final String cidr;
    private final long first;
    private final long size;

    private IpPool(String cidr, long first, long size) {
        this.cidr = cidr;
        this.first = first;
        this.size = size;
    }

    /** Parses {@code a.b.c.d/n}; the host bits must be zero. */
    static IpPool parse(String cidr) {
        if (cidr == null) {
            throw new IllegalArgumentException("vnodeIpPool must be set (a CIDR block such as 10.77.0.0/16)");
        }
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("vnodeIpPool '" + cidr + "' is not a CIDR block: expected a.b.c.d/prefix, e.g. 10.77.0.0/16");
        }
        long base = parseIp(cidr.substring(0, slash));
        if (base < 0) {
            throw new IllegalArgumentException("vnodeIpPool '" + cidr + "': '" + cidr.substring(0, slash) + "' is not an IPv4 address");
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("vnodeIpPool '" + cidr + "': prefix length must be 0..32");
        }
        long blockSize = 1L << (32 - prefix);
        if ((base & (blockSize - 1)) != 0) {
            throw new IllegalArgumentException("vnodeIpPool '" + cidr + "' has host bits set; did you mean "
                    + format(base & ~(blockSize - 1) & 0xFFFF_FFFFL) + "/" + prefix + "?");
        }
        if (prefix <= 30) {
            return new IpPool(cidr, base + 1, blockSize - 2);
        }
        return new IpPool(cidr, base, blockSize);
    }

    /** The number of addresses that can be handed out. */
    long size() {
        return size;
    }

    /** The {@code offset}-th usable address. */
    String addressAt(long offset) {
        if (offset < 0 || offset >= size) {
            throw new IndexOutOfBoundsException(offset + " outside pool " + cidr);
        }
        return format(first + offset);
    }

    /**
     * The first address at or after {@code cursor} (wrapping) that is not in {@code inUse}, as an offset, or -1
     * if every address of the pool is in use.
     */
    long allocate(long cursor, Set<String> inUse) {
        long used = inUse.stream().filter(this::contains).count();
        if (used >= size) {
            return -1;
        }
        long start = Math.floorMod(cursor, size);
        for (long i = 0; i < size; i++) {
            long off = (start + i) % size;
            if (!inUse.contains(addressAt(off))) {
                return off;
            }
        }
        return -1;
    }

    boolean contains(String ip) {
        long v = parseIp(ip);
        return v >= first && v < first + size;
    }

    @Override
    public String toString() {
        return cidr;
    }

    /** The address as an unsigned 32-bit value, or -1 if {@code s} is not a dotted-quad IPv4 address. */
    static long parseIp(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return -1;
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return -1;
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                return -1;
            }
            v = v << 8 | octet;
        }
        return v;
    }

    static String format(long v) {
        return (v >>> 24 & 0xFF) + "." + (v >>> 16 & 0xFF) + "." + (v >>> 8 & 0xFF) + "." + (v & 0xFF);
    }
}
