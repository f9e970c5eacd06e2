/*
 * wordcount: counts the words of a text file, streaming it in chunks.
 *
 *   wordcount FILE [TOP]
 *       Words are maximal runs of ASCII letters and digits, lower-cased; every other byte (including bytes >= 128)
 *       separates words. Prints
 *           words <total> distinct <distinct>
 *       then the TOP (default 10) most frequent words, one "<count> <word>" line each, most frequent first, ties
 *       broken by the word in byte order.
 *
 *   wordcount --generate BYTES FILE SEED
 *       Writes exactly BYTES bytes of deterministic pseudo-random text to FILE: words drawn from a vocabulary of
 *       4096 words with Zipf-like frequencies (weight 1/rank), some capitalised, with punctuation, in lines of at
 *       most 80 characters, ending in a newline. The same SEED gives the same file on every platform.
 *
 * Exit status: 0 on success, 1 on an I/O error or when out of memory, 2 on a usage error.
 * Plain C11 with the standard library only, so that it builds both for wasm32-wasi and natively.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (256 * 1024)

static const char *prog = "wordcount";

_Noreturn static void usage(void) {
    fprintf(stderr, "usage: %s FILE [TOP]\n       %s --generate BYTES FILE SEED\n", prog, prog);
    exit(2);
}

_Noreturn static void out_of_memory(size_t bytes) {
    fprintf(stderr, "%s: out of memory (cannot allocate %zu bytes)\n", prog, bytes);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) out_of_memory(n);
    return p;
}

static void *xcalloc(size_t n, size_t size) {
    if (size != 0 && n > SIZE_MAX / size) out_of_memory(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) out_of_memory(n * size);
    return p;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) out_of_memory(n);
    return q;
}

/* Parses a decimal unsigned integer (digits only, no sign, no overflow). */
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

/* ---------------------------------------------------------------- counting */

typedef struct {
    uint64_t hash;
    uint64_t count; /* 0: empty slot */
    size_t off;     /* of the word in the arena */
    size_t len;
} Entry;

static Entry *table;
static size_t table_cap; /* a power of two */
static size_t distinct;
static uint64_t total;
static char *arena;
static size_t arena_len, arena_cap;

static void table_grow(void) {
    size_t ncap = table_cap * 2;
    if (ncap < table_cap || ncap > SIZE_MAX / sizeof(Entry)) out_of_memory(SIZE_MAX);
    Entry *nt = xcalloc(ncap, sizeof(Entry));
    size_t mask = ncap - 1;
    for (size_t i = 0; i < table_cap; i++) {
        if (table[i].count == 0) continue;
        size_t j = (size_t)table[i].hash & mask;
        while (nt[j].count != 0) j = (j + 1) & mask;
        nt[j] = table[i];
    }
    free(table);
    table = nt;
    table_cap = ncap;
}

static void add_word(const char *w, size_t len, uint64_t fnv) {
    uint64_t h = mix64(fnv ^ len);
    size_t mask = table_cap - 1;
    size_t i = (size_t)h & mask;
    total++;
    while (table[i].count != 0) {
        Entry *e = &table[i];
        if (e->hash == h && e->len == len && memcmp(arena + e->off, w, len) == 0) {
            e->count++;
            return;
        }
        i = (i + 1) & mask;
    }
    if (len > SIZE_MAX - arena_len) out_of_memory(SIZE_MAX);
    if (arena_len + len > arena_cap) {
        size_t ncap = arena_cap * 2;
        while (ncap < arena_len + len) ncap *= 2;
        arena = xrealloc(arena, ncap);
        arena_cap = ncap;
    }
    memcpy(arena + arena_len, w, len);
    table[i].hash = h;
    table[i].count = 1;
    table[i].off = arena_len;
    table[i].len = len;
    arena_len += len;
    distinct++;
    if (distinct > table_cap / 4 * 3) table_grow(); /* load factor at most 3/4 */
}

/* a ranks before b: more frequent, or as frequent and smaller in byte order */
static int ranks_before(const Entry *a, const Entry *b) {
    if (a->count != b->count) return a->count > b->count;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(arena + a->off, arena + b->off, n);
    if (c != 0) return c < 0;
    return a->len < b->len;
}

static int cmp_rank(const void *x, const void *y) {
    const Entry *a = *(const Entry *const *)x, *b = *(const Entry *const *)y;
    if (ranks_before(a, b)) return -1;
    if (ranks_before(b, a)) return 1;
    return 0;
}

/* heap[0] is the entry that ranks last among the kept ones */
static void sift_down(const Entry **heap, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < n && ranks_before(heap[worst], heap[l])) worst = l;
        if (r < n && ranks_before(heap[worst], heap[r])) worst = r;
        if (worst == i) return;
        const Entry *t = heap[i];
        heap[i] = heap[worst];
        heap[worst] = t;
        i = worst;
    }
}

static void sift_up(const Entry **heap, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ranks_before(heap[p], heap[i])) return;
        const Entry *t = heap[i];
        heap[i] = heap[p];
        heap[p] = t;
        i = p;
    }
}

static int count_file(const char *path, uint64_t top) {
    static unsigned char fold[256]; /* lower-cased letter or digit, 0 for a separator */
    for (int c = 0; c < 256; c++) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) fold[c] = (unsigned char)c;
        else if (c >= 'A' && c <= 'Z') fold[c] = (unsigned char)(c - 'A' + 'a');
        else fold[c] = 0;
    }

    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return 1;
    }
    table_cap = 1024;
    table = xcalloc(table_cap, sizeof(Entry));
    arena_cap = 16 * 1024;
    arena = xmalloc(arena_cap);
    unsigned char *buf = xmalloc(CHUNK);
    size_t word_cap = 64, word_len = 0; /* the current word, which may span chunks */
    char *word = xmalloc(word_cap);
    uint64_t fnv = 0xCBF29CE484222325ULL;

    size_t n;
    while ((n = fread(buf, 1, CHUNK, f)) > 0) {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = fold[buf[i]];
            if (c != 0) {
                if (word_len == word_cap) {
                    if (word_cap > SIZE_MAX / 2) out_of_memory(SIZE_MAX);
                    word_cap *= 2;
                    word = xrealloc(word, word_cap);
                }
                word[word_len++] = (char)c;
                fnv = (fnv ^ c) * 0x100000001B3ULL;
            } else if (word_len > 0) {
                add_word(word, word_len, fnv);
                word_len = 0;
                fnv = 0xCBF29CE484222325ULL;
            }
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        fclose(f);
        return 1;
    }
    fclose(f);
    if (word_len > 0) add_word(word, word_len, fnv);
    free(word);
    free(buf);

    printf("words %" PRIu64 " distinct %zu\n", total, distinct);

    size_t k = top < (uint64_t)distinct ? (size_t)top : distinct;
    if (k > 0) {
        const Entry **heap = xcalloc(k, sizeof(*heap));
        size_t m = 0;
        for (size_t i = 0; i < table_cap; i++) {
            const Entry *e = &table[i];
            if (e->count == 0) continue;
            if (m < k) {
                heap[m] = e;
                sift_up(heap, m++);
            } else if (ranks_before(e, heap[0])) {
                heap[0] = e;
                sift_down(heap, m, 0);
            }
        }
        qsort(heap, m, sizeof(*heap), cmp_rank);
        for (size_t i = 0; i < m; i++) {
            printf("%" PRIu64 " ", heap[i]->count);
            fwrite(arena + heap[i]->off, 1, heap[i]->len, stdout);
            putchar('\n');
        }
        free(heap);
    }
    free(table);
    free(arena);
    return 0;
}

/* -------------------------------------------------------------- generating */

#define VOCAB 4096
#define LINE_MAX_CHARS 80

static FILE *gen_out;
static const char *gen_path;
static unsigned char *gen_buf;
static size_t gen_fill;
static uint64_t gen_left; /* bytes still to write before the final newline */

static void gen_flush(void) {
    if (gen_fill > 0 && fwrite(gen_buf, 1, gen_fill, gen_out) != gen_fill) {
        fprintf(stderr, "%s: %s: %s\n", prog, gen_path, strerror(errno));
        exit(1);
    }
    gen_fill = 0;
}

static void gen_emit(const char *s, size_t n) {
    for (size_t i = 0; i < n && gen_left > 0; i++, gen_left--) {
        if (gen_fill == CHUNK) gen_flush();
        gen_buf[gen_fill++] = (unsigned char)s[i];
    }
}

static int generate(uint64_t bytes, const char *path, uint64_t seed) {
    static char vocab[VOCAB][12];
    static uint64_t cumulative[VOCAB];
    uint64_t rng = seed;

    /* the vocabulary: mostly lower-case words of 1..10 letters; some numbers, some letters mixed with digits */
    for (int i = 0; i < VOCAB; i++) {
        uint64_t r = splitmix64(&rng);
        int len = 1 + (int)(r % 10);
        int kind = (int)((r >> 8) % 32); /* 0: a number, 1: letters then digits, else letters */
        r = splitmix64(&rng);
        for (int j = 0; j < len; j++, r >>= 5) {
            int digit = kind == 0 || (kind == 1 && j >= (len + 1) / 2);
            vocab[i][j] = digit ? (char)('0' + (r & 31) % 10) : (char)('a' + (r & 31) % 26);
        }
        vocab[i][len] = '\0';
    }
    /* Zipf-like weights, integer only (the same on every platform): rank i has weight 2^40 / (i + 1) */
    uint64_t sum = 0;
    for (int i = 0; i < VOCAB; i++) {
        sum += (1ULL << 40) / (uint64_t)(i + 1);
        cumulative[i] = sum;
    }

    gen_path = path;
    gen_out = fopen(path, "wb");
    if (gen_out == NULL) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return 1;
    }
    gen_buf = xmalloc(CHUNK);
    gen_fill = 0;
    gen_left = bytes > 0 ? bytes - 1 : 0;

    static const char *const punct[] = {",", ".", ";", ":", "!", "?", "'s", " -", ")", "\""};
    size_t col = 0;
    char word[16];
    while (gen_left > 0) {
        uint64_t r = splitmix64(&rng);
        uint64_t x = r % sum;
        size_t lo = 0, hi = VOCAB - 1; /* the first rank whose cumulative weight exceeds x */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cumulative[mid] > x) hi = mid;
            else lo = mid + 1;
        }
        size_t len = strlen(vocab[lo]);
        memcpy(word, vocab[lo], len);
        uint64_t style = (r >> 50) & 63;
        if (style < 6) word[0] = (char)(word[0] >= 'a' && word[0] <= 'z' ? word[0] - 'a' + 'A' : word[0]);
        else if (style == 6)
            for (size_t j = 0; j < len; j++)
                if (word[j] >= 'a' && word[j] <= 'z') word[j] = (char)(word[j] - 'a' + 'A');
        if (col > 0) {
            uint64_t p = (r >> 56) & 15;
            if (p < sizeof(punct) / sizeof(punct[0])) {
                size_t pl = strlen(punct[p]);
                gen_emit(punct[p], pl);
                col += pl;
            }
            if (col + 1 + len + 2 > LINE_MAX_CHARS) { /* 2: room for the punctuation after it */
                gen_emit("\n", 1);
                col = 0;
            } else {
                gen_emit(" ", 1);
                col++;
            }
        }
        gen_emit(word, len);
        col += len;
    }
    gen_left = bytes > 0 ? 1 : 0;
    gen_emit("\n", 1);
    gen_flush();
    free(gen_buf);
    if (fclose(gen_out) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    uint64_t a, b;
    int rc;
    if (argc >= 2 && strcmp(argv[1], "--generate") == 0) {
        if (argc != 5 || !parse_u64(argv[2], &a) || !parse_u64(argv[4], &b)) usage();
        rc = generate(a, argv[3], b);
    } else {
        if (argc < 2 || argc > 3 || argv[1][0] == '\0') usage();
        a = 10;
        if (argc == 3 && !parse_u64(argv[2], &a)) usage();
        rc = count_file(argv[1], a);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error writing the output: %s\n", prog, strerror(errno));
        return 1;
    }
    return rc;
}
