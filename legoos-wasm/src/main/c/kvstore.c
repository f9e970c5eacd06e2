/*
 * kvstore: a hash-table key-value workload that checks itself.
 *
 *   kvstore KEYS OPS SEED
 *       Inserts KEYS keys (8-byte keys, 64-byte values derived from the key and its version) into a hash table of
 *       its own (open addressing, linear probing, deletion by backward shift; it starts small and doubles, so the
 *       heap grows), then runs OPS operations: 50% get, 45% put (update, or re-insert of a deleted key), 5% delete,
 *       on keys drawn from a skewed distribution (90% of the operations go to the hottest 10% of the keys). Every
 *       get is checked against what it must return (a version counter per key tells the expected value, or that
 *       the key is absent), so is every put and delete (whether the key was there), and at the end the whole table.
 *       Prints
 *           keys <KEYS> ops <OPS> hits <gets that found the key> misses <gets that did not> checksum <hex64>
 *       where the checksum folds in every operation and every value read. Deterministic for a given SEED.
 *
 * Exit status: 0 on success, 1 on a mismatch or when out of memory (with a message on stderr), 2 on a usage error.
 * Plain C11 with the standard library only, so that it builds both for wasm32-wasi and natively.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_BYTES 64

static const char *prog = "kvstore";

_Noreturn static void usage(void) {
    fprintf(stderr, "usage: %s KEYS OPS SEED   (KEYS >= 1)\n", prog);
    exit(2);
}

_Noreturn static void out_of_memory(uint64_t bytes) {
    fprintf(stderr, "%s: out of memory (cannot allocate %" PRIu64 " bytes)\n", prog, bytes);
    exit(1);
}

static void *xcalloc(uint64_t n, size_t size) {
    if (n > SIZE_MAX / size) out_of_memory(n * size);
    void *p = calloc((size_t)n, size);
    if (p == NULL) out_of_memory(n * size);
    return p;
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

/* a bijection of the 64-bit integers (splitmix64's finalizer) */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------------ the table */

typedef struct {
    unsigned char key[8];
    unsigned char value[VALUE_BYTES];
} Slot;

static Slot *slots;
static unsigned char *used;
static size_t cap, mask, live;

static uint64_t load64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void store64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++, v >>= 8) p[i] = (unsigned char)v;
}

static size_t home(const unsigned char *key) { return (size_t)mix64(load64(key) ^ 0x5851F42D4C957F2DULL) & mask; }

static void table_init(size_t c) {
    cap = c;
    mask = c - 1;
    live = 0;
    slots = xcalloc(cap, sizeof(Slot));
    used = xcalloc(cap, 1);
}

/* the slot holding key, or SIZE_MAX */
static size_t table_find(const unsigned char *key) {
    for (size_t i = home(key);; i = (i + 1) & mask) {
        if (!used[i]) return SIZE_MAX;
        if (memcmp(slots[i].key, key, 8) == 0) return i;
    }
}

static void table_grow(void) {
    Slot *old = slots;
    unsigned char *old_used = used;
    size_t old_cap = cap;
    if (cap > SIZE_MAX / 2) out_of_memory(UINT64_MAX);
    table_init(cap * 2);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old_used[i]) continue;
        size_t j = home(old[i].key);
        while (used[j]) j = (j + 1) & mask;
        slots[j] = old[i];
        used[j] = 1;
        live++;
    }
    free(old);
    free(old_used);
}

/* inserts or updates; returns whether the key was there */
static int table_put(const unsigned char *key, const unsigned char *value) {
    size_t i = home(key);
    for (; used[i]; i = (i + 1) & mask) {
        if (memcmp(slots[i].key, key, 8) == 0) {
            memcpy(slots[i].value, value, VALUE_BYTES);
            return 1;
        }
    }
    memcpy(slots[i].key, key, 8);
    memcpy(slots[i].value, value, VALUE_BYTES);
    used[i] = 1;
    live++;
    if (live > cap / 2) table_grow(); /* load factor at most 1/2 */
    return 0;
}

/* removes; returns whether the key was there */
static int table_delete(const unsigned char *key) {
    size_t i = table_find(key);
    if (i == SIZE_MAX) return 0;
    /* backward shift: move up each later entry of the run whose home is not in (i, j] */
    for (size_t j = (i + 1) & mask; used[j]; j = (j + 1) & mask) {
        size_t k = home(slots[j].key);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            slots[i] = slots[j];
            i = j;
        }
    }
    used[i] = 0;
    live--;
    return 1;
}

/* ------------------------------------------------------------ the workload */

static uint64_t key_seed;

static void key_of(uint64_t id, unsigned char *key) { store64(key, mix64(id ^ key_seed)); } /* injective in id */

static void value_of(const unsigned char *key, uint32_t version, unsigned char *value) {
    uint64_t s = load64(key) ^ ((uint64_t)version * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < VALUE_BYTES; i += 8) store64(value + i, splitmix64(&s));
}

static uint64_t checksum;

static void fold(uint64_t x) { checksum = mix64(checksum ^ x) + 0x9E3779B97F4A7C15ULL; }

_Noreturn static void mismatch(uint64_t op, const char *what, const unsigned char *key) {
    fprintf(stderr, "%s: mismatch at operation %" PRIu64 " on key %016" PRIx64 ": %s\n", prog, op, load64(key), what);
    exit(1);
}

int main(int argc, char **argv) {
    uint64_t keys, ops, seed;
    if (argc != 4 || !parse_u64(argv[1], &keys) || !parse_u64(argv[2], &ops) || !parse_u64(argv[3], &seed) ||
        keys == 0)
        usage();
    if (keys > UINT32_MAX) {
        fprintf(stderr, "%s: KEYS must be at most %" PRIu32 "\n", prog, UINT32_MAX);
        return 2;
    }

    uint64_t rng = seed;
    key_seed = splitmix64(&rng);
    checksum = splitmix64(&rng);
    uint32_t *version = xcalloc(keys, sizeof(uint32_t)); /* how many times the key was put */
    unsigned char *present = xcalloc(keys, 1);           /* whether the table must hold it */
    unsigned char key[8], value[VALUE_BYTES];

    table_init(16);
    for (uint64_t id = 0; id < keys; id++) {
        key_of(id, key);
        version[id] = 1;
        present[id] = 1;
        value_of(key, 1, value);
        if (table_put(key, value)) mismatch(0, "inserted twice", key);
    }

    uint64_t hot = keys / 10 > 0 ? keys / 10 : 1, hits = 0, misses = 0;
    for (uint64_t op = 1; op <= ops; op++) {
        uint64_t r = splitmix64(&rng);
        uint64_t kind = r % 100;
        uint64_t k = splitmix64(&rng);
        uint64_t id = k % 10 < 9 ? (k >> 8) % hot : (k >> 8) % keys;
        key_of(id, key);
        if (kind < 50) { /* get */
            size_t i = table_find(key);
            if (present[id]) {
                if (i == SIZE_MAX) mismatch(op, "get: not found, but it was put and not deleted", key);
                value_of(key, version[id], value);
                if (memcmp(slots[i].value, value, VALUE_BYTES) != 0) mismatch(op, "get: wrong value", key);
                hits++;
                for (int b = 0; b < VALUE_BYTES; b += 8) fold(load64(slots[i].value + b));
            } else {
                if (i != SIZE_MAX) mismatch(op, "get: found, but it was deleted", key);
                misses++;
                fold(load64(key) ^ 1);
            }
        } else if (kind < 95) { /* put */
            version[id]++;
            value_of(key, version[id], value);
            if (table_put(key, value) != present[id])
                mismatch(op, present[id] ? "put: key was not there" : "put: deleted key was there", key);
            present[id] = 1;
            fold(load64(key) ^ 2 ^ ((uint64_t)version[id] << 8));
        } else { /* delete */
            if (table_delete(key) != present[id])
                mismatch(op, present[id] ? "delete: key was not there" : "delete: deleted key was there", key);
            present[id] = 0;
            fold(load64(key) ^ 3);
        }
    }

    /* the whole table must be what the versions say */
    size_t expected_live = 0;
    for (uint64_t id = 0; id < keys; id++) {
        if (!present[id]) continue;
        expected_live++;
        key_of(id, key);
        size_t i = table_find(key);
        if (i == SIZE_MAX) mismatch(ops, "final check: not found", key);
        value_of(key, version[id], value);
        if (memcmp(slots[i].value, value, VALUE_BYTES) != 0) mismatch(ops, "final check: wrong value", key);
    }
    if (expected_live != live) {
        fprintf(stderr, "%s: mismatch in the final check: the table holds %zu keys, expected %zu\n", prog, live,
                expected_live);
        return 1;
    }
    fold(live);

    printf("keys %" PRIu64 " ops %" PRIu64 " hits %" PRIu64 " misses %" PRIu64 " checksum %016" PRIx64 "\n", keys,
           ops, hits, misses, checksum);
    free(version);
    free(present);
    free(slots);
    free(used);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error writing the output\n", prog);
        return 1;
    }
    return 0;
}
