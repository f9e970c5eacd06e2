/*
 * exitcode: a test fixture that prints its arguments (argv[0] included) on stdout, a line on stderr, and exits with
 * the status given as its first argument (through exit(), so through WASI's proc_exit).
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    fprintf(stderr, "exiting with %s\n", argc > 1 ? argv[1] : "0");
    exit(argc > 1 ? atoi(argv[1]) : 0);
}
