/* stream_triad: a[i] = b[i] + s c[i] over arrays of doubles (the STREAM triad, counted as
 * 24 bytes per element), OpenMP static schedule with first touch by the same threads.
 *   stream_triad TOTAL_MIB [repetitions]   prints the best bandwidth in GB/s (10^9 B/s)
 * The arrays ask for transparent huge pages, as fdtd3d's fields do by default (a rank on
 * one NUMA node), so that the roofline is what the memory gives either code. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static double *huge_alloc(size_t n)
{
    void *p = NULL;
    size_t bytes = (n * sizeof(double) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
    if (n == 0 || posix_memalign(&p, 2u << 20, bytes) != 0)
        return NULL;
    madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

int main(int argc, char **argv)
{
    double mib = 1024;
    long reps = 10;
    char *end = NULL;
    if (argc > 1 && (mib = strtod(argv[1], &end), *end || !(mib > 0 && mib < 1e7)))
        return fprintf(stderr, "stream_triad: TOTAL_MIB '%s': expected a number of MiB\n", argv[1]), 2;
    if (argc > 2 && (reps = strtol(argv[2], &end, 10), *end || reps < 1 || reps > 100000))
        return fprintf(stderr, "stream_triad: repetitions '%s': expected 1 to 100000\n", argv[2]), 2;
    size_t n = (size_t)(mib * (1 << 20) / 24);
    double *a = huge_alloc(n), *b = huge_alloc(n), *c = huge_alloc(n);
    if (!a || !b || !c || n < 1 || reps < 1) {
        fprintf(stderr, "stream_triad: cannot allocate %.0f MiB\n", mib);
        return 1;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        a[i] = 0, b[i] = 1, c[i] = 2;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + 3.0 * c[i];
        double t = omp_get_wtime() - t0;
        best = t < best ? t : best;
    }
    double check = 0;
    for (size_t i = 0; i < n; i += n / 17 + 1)
        check += a[i];
    printf("%.3f\n", 24.0 * (double)n / best * 1e-9);
    fprintf(stderr, "stream_triad: %.0f MiB, %d threads, best of %d: %.3f GB/s (check %.0f)\n", mib,
            omp_get_max_threads(), (int)reps, 24.0 * (double)n / best * 1e-9, check);
    free(a);
    free(b);
    free(c);
    return check > 0 ? 0 : 1;
}
