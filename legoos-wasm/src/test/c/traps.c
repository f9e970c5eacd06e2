/*
 * traps: a test fixture that ends in the wasm trap its argument names, from inside named functions so the
 * backtrace can be checked.
 *
 *   traps unreachable   __builtin_trap() (the "unreachable" instruction) two calls deep
 *   traps divzero       an integer division by zero
 *   traps oob           a store far beyond the end of the linear memory
 *   traps recurse N     recursion N deep (no trap for a small N; prints the depth reached)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static void fixture_inner_trap(int why) {
    if (why) __builtin_trap();
}

__attribute__((noinline)) static void fixture_outer_trap(int why) {
    fixture_inner_trap(why);
    printf("not reached\n");
}

__attribute__((noinline)) static int fixture_divide(int a, int b) {
    return a / b;
}

__attribute__((noinline)) static void fixture_store_far(volatile int *p) {
    *p = 42;
}

__attribute__((noinline)) static long fixture_recurse(long n) {
    volatile long keep = n;
    return n == 0 ? 0 : 1 + fixture_recurse(keep - 1);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: traps unreachable|divzero|oob|recurse N\n");
        return 2;
    }
    printf("before the trap\n");
    fflush(stdout);
    if (strcmp(argv[1], "unreachable") == 0) {
        fixture_outer_trap(1);
    } else if (strcmp(argv[1], "divzero") == 0) {
        printf("%d\n", fixture_divide(7, argc - 2));
    } else if (strcmp(argv[1], "oob") == 0) {
        fixture_store_far((volatile int *) (uintptr_t) 0x7ffffff0u);
    } else if (strcmp(argv[1], "recurse") == 0 && argc == 3) {
        printf("depth %ld\n", fixture_recurse(atol(argv[2])));
        return 0;
    }
    fprintf(stderr, "no trap for %s\n", argv[1]);
    return 3;
}
