/* bench.h: what the benchmarks share: checks that stay in release builds (assert is
 * compiled out under NDEBUG), a monotonic clock, and the comparison for sorting timings
 * (the benchmarks report medians). */
#ifndef PLACE_BENCH_H
#define PLACE_BENCH_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
#endif
