/* fuzz.h: helpers shared by the libFuzzer harnesses (tests/fuzz/README.md). */
#ifndef PLACE_FUZZ_H
#define PLACE_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The input as a NUL-terminated string (a NUL inside ends it, as it would in argv). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A file holding the input, for parsers that take a path; one per harness process,
 * rewritten for every input. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/place-fuzz-%d%s", (int)getpid(), suffix);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    return path;
}

/* Splits s in place at every sep into at most max fields; returns the count. */
static inline int fuzz_split(char *s, char sep, char **out, int max)
{
    int n = 0;
    out[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == sep) {
            *p = '\0';
            out[n++] = p + 1;
        }
    return n;
}
#endif
