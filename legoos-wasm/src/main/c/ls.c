/*
 * ls DIR: lists a directory like a tiny ls -l, in byte order of names, one line per entry:
 *   "d <name>/" for a directory, "f <name> <size>" for a file (size from stat(2)), then "total <entries> <bytes>".
 * It exercises what wordcount does not: opendir/readdir and stat (WASI fd_readdir, path_filestat_get).
 * Exit status: 0, 2 on a usage error, 1 if DIR or an entry cannot be read (message on stderr).
 */
#define _POSIX_C_SOURCE 200809L /* strdup, opendir, stat under -std=c11 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: ls DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "ls: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (n == cap) {
            cap *= 2;
            char **more = realloc(names, cap * sizeof *names);
            if (more == NULL) {
                free(names);
                names = NULL;
                break;
            }
            names = more;
        }
        names[n] = strdup(e->d_name);
        if (names[n++] == NULL) {
            names = NULL; /* out of memory: reported below */
        }
    }
    closedir(d);
    if (names == NULL) {
        fprintf(stderr, "ls: out of memory\n");
        return 1;
    }
    qsort(names, n, sizeof *names, by_name);
    long long bytes = 0;
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (path == NULL) {
            fprintf(stderr, "ls: out of memory\n");
            return 1;
        }
        snprintf(path, len, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(stderr, "ls: %s: %s\n", path, strerror(errno));
            status = 1;
        } else if (S_ISDIR(st.st_mode)) {
            printf("d %s/\n", names[i]);
        } else {
            printf("f %s %lld\n", names[i], (long long)st.st_size);
            bytes += st.st_size;
        }
        free(path);
        free(names[i]);
    }
    free(names);
    printf("total %zu %lld\n", n, bytes);
    return status;
}
