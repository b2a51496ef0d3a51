/* stream_triad: a[i] = b[i] + s c[i] over arrays of doubles (the STREAM triad, counted as
 * 24 bytes per element), OpenMP static schedule with first touch by the same threads.
 *   stream_triad TOTAL_MIB [repetitions [triad|inplace6]]
 * prints the best bandwidth in GB/s (10^9 B/s). inplace6: six float arrays updated in place
 * as fdtd3d's fused sweep updates its fields, without the stencil (e += h / 2, then
 * h -= e / 2, for three pairs), counted as the 48 bytes per cell it reads and writes; it
 * shows what a core gets from memory for that pattern, where the triad's write-allocate
 * does not come in.
 * The arrays ask for transparent huge pages, as fdtd3d's fields do by default (a rank on
 * one NUMA node), so that the roofline is what the memory gives either code. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static float *huge_alloc_f(size_t n)
{
    return (float *)huge_alloc((n * sizeof(float) + sizeof(double) - 1) / sizeof(double));
}

/* One thread's part, compiled for the baseline and for AVX2 (chosen at run time, as
 * fdtd3d's sweeps are), so that the figure is the memory's and not the instruction set's. */
__attribute__((target_clones("default", "arch=x86-64-v3"))) static void inplace6_part(
    float *restrict e0, float *restrict e1, float *restrict e2, float *restrict h0,
    float *restrict h1, float *restrict h2, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        float x = e0[i] + 0.5f * h0[i], y = e1[i] + 0.5f * h1[i], z = e2[i] + 0.5f * h2[i];
        e0[i] = x, e1[i] = y, e2[i] = z;
        h0[i] -= 0.5f * x, h1[i] -= 0.5f * y, h2[i] -= 0.5f * z;
    }
}

static int inplace6(double mib, long reps)
{
    size_t n = (size_t)(mib * (1 << 20) / 24);
    float *a[6];
    for (int c = 0; c < 6; c++)
        if (n < 1 || !(a[c] = huge_alloc_f(n))) {
            fprintf(stderr, "stream_triad: cannot allocate %.0f MiB\n", mib);
            return 1;
        }
    float *restrict e0 = a[0], *restrict e1 = a[1], *restrict e2 = a[2];
    float *restrict h0 = a[3], *restrict h1 = a[4], *restrict h2 = a[5];
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        e0[i] = e1[i] = e2[i] = 1, h0[i] = h1[i] = h2[i] = 2;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime();
#pragma omp parallel
        {
            size_t T = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
            size_t lo = n / T * t + (t < n % T ? t : n % T),
                   len = n / T + (t < n % T); /* schedule(static)'s split */
            inplace6_part(e0 + lo, e1 + lo, e2 + lo, h0 + lo, h1 + lo, h2 + lo, len);
        }
        double t = omp_get_wtime() - t0;
        best = t < best ? t : best;
    }
    double check = 0;
    for (size_t i = 0; i < n; i += n / 17 + 1)
        check += (double)e0[i] + h2[i];
    printf("%.3f\n", 48.0 * (double)n / best * 1e-9);
    fprintf(
        stderr,
        "stream_triad: inplace6 %.0f MiB, %d threads, best of %d: %.3f GB/s, %.0f Mcells/s (check %g)\n",
        mib, omp_get_max_threads(), (int)reps, 48.0 * (double)n / best * 1e-9,
        (double)n / best * 1e-6, check);
    for (int c = 0; c < 6; c++)
        free(a[c]);
    return check == check ? 0 : 1;
}

int main(int argc, char **argv)
{
    double mib = 1024;
    long reps = 10;
    char *end = NULL;
    if (argc > 1 && (mib = strtod(argv[1], &end), *end || !(mib > 0 && mib < 1e7)))
        return fprintf(stderr, "stream_triad: TOTAL_MIB '%s': expected a number of MiB\n", argv[1]),
               2;
    if (argc > 2 && (reps = strtol(argv[2], &end, 10), *end || reps < 1 || reps > 100000))
        return fprintf(stderr, "stream_triad: repetitions '%s': expected 1 to 100000\n", argv[2]),
               2;
    if (argc > 3 && strcmp(argv[3], "triad") && strcmp(argv[3], "inplace6"))
        return fprintf(stderr, "stream_triad: kernel '%s': expected triad or inplace6\n", argv[3]),
               2;
    if (argc > 4)
        return fprintf(stderr,
                       "stream_triad: '%s': expected at most TOTAL_MIB, repetitions and kernel\n",
                       argv[4]),
               2;
    if (argc > 3 && !strcmp(argv[3], "inplace6"))
        return inplace6(mib, reps);
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
