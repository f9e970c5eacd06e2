/*
 * echo: a test fixture that copies its standard input to its standard output and then reports the byte count on
 * stderr, returning 0 from main.
 */
#include <stdio.h>

int main(void) {
    char buf[4096];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    fprintf(stderr, "%zu bytes\n", total);
    return 0;
}
