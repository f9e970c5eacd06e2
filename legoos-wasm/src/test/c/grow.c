/*
 * grow: a test fixture that allocates BLOCKS blocks of KIB KiB each with malloc (growing the linear memory), writes
 * and checks a pattern in all of them, and prints how many it got. Exits 1 (after printing) if malloc failed first,
 * 0 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: grow BLOCKS KIB\n");
        return 2;
    }
    long blocks = atol(argv[1]);
    size_t bytes = (size_t) atol(argv[2]) * 1024;
    unsigned char **p = calloc((size_t) blocks, sizeof *p);
    long got = 0;
    for (; got < blocks; got++) {
        p[got] = malloc(bytes);
        if (p[got] == NULL) break;
        for (size_t i = 0; i < bytes; i += 512) p[got][i] = (unsigned char) (got + i / 512);
    }
    for (long b = 0; b < got; b++) {
        for (size_t i = 0; i < bytes; i += 512) {
            if (p[b][i] != (unsigned char) (b + i / 512)) {
                printf("corrupt block %ld at %zu\n", b, i);
                return 4;
            }
        }
    }
    printf("allocated %ld of %ld blocks\n", got, blocks);
    return got == blocks ? 0 : 1;
}
