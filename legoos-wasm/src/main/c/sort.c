/*
 * sort: sorts N pseudo-random 64-bit integers in place and checks the result.
 *
 *   sort N SEED
 *       Fills an array of N unsigned 64-bit integers (one malloc of N*8 bytes) with pseudo-random values from a
 *       splitmix64 generator seeded with SEED (15 in 16 are uniform over 0..2^64-1, 1 in 16 is below 1000, so there
 *       are duplicates and a crowded bucket), sorts it in place with an MSD radix sort of its own (American flag
 *       sort: 8 bits a pass, no second buffer; insertion sort for runs shorter than 32), then checks that it is
 *       sorted and that the multiset is unchanged (the sum, the xor and a hash-sum of the values, each compared
 *       with its value before sorting). Prints
 *           n <N> min <smallest> max <largest> checksum <hex64> sorted ok
 *       where the checksum is the hash-sum (the sum of a 64-bit mix of each value, modulo 2^64): it depends only on
 *       the multiset, so the same for every correct sort. N up to about 250 million fits in a 2 GiB wasm memory.
 *
 * Exit status: 0 on success; 1 if the array cannot be allocated ("cannot allocate ... bytes") or the check fails;
 * 2 on a usage error. Plain C11 with the standard library only, so that it builds both for wasm32-wasi and natively.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "sort";

_Noreturn static void usage(void) {
    fprintf(stderr, "usage: %s N SEED\n", prog);
    exit(2);
}

static int parse_u64(const char *s, uint64_t *out) {
    uint64_t v = 0;
    if (*s == '\0') return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------ the sort */

#define SMALL 32
#define LEVELS 8 /* bytes in a key */

/* per level, the bucket boundaries and the next free place of each bucket: static, not on the (small) wasm stack */
static size_t bucket_start[LEVELS][257];
static size_t bucket_next[LEVELS][256];

static void insertion_sort(uint64_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* sorts a[0..n) whose values agree on all bytes above byte `level` (level 0 is the most significant) */
static void flag_sort(uint64_t *a, size_t n, int level) {
    if (n < SMALL) {
        insertion_sort(a, n);
        return;
    }
    const int shift = 56 - 8 * level;
    size_t *start = bucket_start[level], *next = bucket_next[level];
    static size_t count[256]; /* used up before the recursion, so one for all levels */
    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < n; i++) count[(a[i] >> shift) & 255]++;
    start[0] = 0;
    for (int b = 0; b < 256; b++) {
        start[b + 1] = start[b] + count[b];
        next[b] = start[b];
    }
    /* permute in place: take the first misplaced value of bucket b and chase the cycle it starts */
    for (int b = 0; b < 256; b++) {
        while (next[b] < start[b + 1]) {
            uint64_t v = a[next[b]];
            unsigned d = (unsigned)(v >> shift) & 255;
            while (d != (unsigned)b) {
                uint64_t t = a[next[d]];
                a[next[d]++] = v;
                v = t;
                d = (unsigned)(v >> shift) & 255;
            }
            a[next[b]++] = v;
        }
    }
    if (level + 1 < LEVELS)
        for (int b = 0; b < 256; b++) flag_sort(a + start[b], start[b + 1] - start[b], level + 1);
}

/* ------------------------------------------------------------ main */

typedef struct {
    uint64_t sum, xors, hashsum;
} Digest;

static Digest digest(const uint64_t *a, size_t n) {
    Digest d = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        d.sum += a[i];
        d.xors ^= a[i];
        d.hashsum += mix64(a[i]);
    }
    return d;
}

int main(int argc, char **argv) {
    uint64_t n64, seed;
    if (argc != 3 || !parse_u64(argv[1], &n64) || !parse_u64(argv[2], &seed)) usage();

    uint64_t *a = NULL;
    size_t n = 0;
    if (n64 > 0) {
        if (n64 > SIZE_MAX / 8 || (a = malloc((size_t)n64 * 8)) == NULL) {
            if (n64 <= UINT64_MAX / 8)
                fprintf(stderr, "%s: cannot allocate %" PRIu64 "*8 bytes (%" PRIu64 " bytes)\n", prog, n64, n64 * 8);
            else
                fprintf(stderr, "%s: cannot allocate %" PRIu64 "*8 bytes\n", prog, n64);
            return 1;
        }
        n = (size_t)n64;
    }

    uint64_t rng = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = splitmix64(&rng);
        a[i] = (r & 15) == 0 ? (r >> 4) % 1000 : r;
    }
    Digest before = digest(a, n);

    flag_sort(a, n, 0);

    for (size_t i = 1; i < n; i++) {
        if (a[i - 1] > a[i]) {
            fprintf(stderr, "%s: not sorted at index %zu: %" PRIu64 " > %" PRIu64 "\n", prog, i, a[i - 1], a[i]);
            return 1;
        }
    }
    Digest after = digest(a, n);
    if (after.sum != before.sum || after.xors != before.xors || after.hashsum != before.hashsum) {
        fprintf(stderr, "%s: the values changed while sorting (checksum %016" PRIx64 " before, %016" PRIx64 " after)\n",
                prog, before.hashsum, after.hashsum);
        return 1;
    }

    printf("n %" PRIu64 " min %" PRIu64 " max %" PRIu64 " checksum %016" PRIx64 " sorted ok\n", n64,
           n > 0 ? a[0] : 0, n > 0 ? a[n - 1] : 0, after.hashsum);
    free(a);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error writing the output\n", prog);
        return 1;
    }
    return 0;
}
