/*
 * envimport: a test fixture that imports functions WASI does not provide (env.host_add, env.host_log): the runtime
 * must refuse to start it and name them.
 */
#include <stdio.h>

__attribute__((import_module("env"), import_name("host_add"))) int host_add(int a, int b);
__attribute__((import_module("env"), import_name("host_log"))) void host_log(int x);

int main(void) {
    int r = host_add(1, 2);
    host_log(r);
    printf("%d\n", r);
    return 0;
}
