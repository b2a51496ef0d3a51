/* pin_probe: a program that starts its own threads and knows nothing of place, for
 * placerun --pin-threads. `pin_probe pthread N [short]`: the main thread and N threads it
 * creates with pthread_create (after one that ends at once, with "short"); `pin_probe omp`: an OpenMP parallel region (OMP_NUM_THREADS as the
 * user set it, else the runtime's default). Every thread spins 50 ms and prints one line:
 * its index (0 the main thread, then in creation order), the CPUs it may run on and the
 * CPU it ran on last. `pin_probe hop MS`: see hop(). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;

static void report(int idx)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile double x = 1;
    do {
        for (int i = 0; i < 10000; i++)
            x = x * 1.0000001 + 1e-9;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) * 1e-6 < 50);
    cpu_set_t cs;
    char list[256] = "";
    size_t at = 0;
    if (sched_getaffinity(0, sizeof cs, &cs) == 0)
        for (int c = 0; c < CPU_SETSIZE && at + 8 < sizeof list; c++)
            if (CPU_ISSET(c, &cs))
                at += (size_t)snprintf(list + at, sizeof list - at, "%s%d", at ? "," : "", c);
    pthread_mutex_lock(&out);
    printf("thread %d: allowed %s cpu %d\n", idx, list, sched_getcpu());
    fflush(stdout);
    pthread_mutex_unlock(&out);
}

static void *quiet(void *arg)
{
    return arg;
}

static void *run(void *arg)
{
    report((int)(long)arg);
    return NULL;
}

/* `hop MS`: the main thread spins MS ms under its own mask, and every 20 ms moves to the
 * next CPU of it and back to the whole mask at once (the mask a sampler sees is the same
 * throughout; the thread migrated): a forced migration for the monitor's verdict. */
static int hop(long ms)
{
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) < 2)
        return 2;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile double x = 1;
    int hops = 0;
    for (;;) {
        for (int i = 0; i < 200000; i++)
            x = x * 1.0000001 + 1e-9;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double el = (t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) * 1e-6;
        if (el >= ms)
            break;
        if (el >= 20.0 * (hops + 1)) {
            int here = sched_getcpu(), c = here;
            do
                c = (c + 1) % CPU_SETSIZE;
            while (!CPU_ISSET(c, &all));
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            sched_setaffinity(0, sizeof one, &one);
            sched_setaffinity(0, sizeof all, &all);
            hops++;
        }
    }
    printf("hops %d\n", hops);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "hop"))
        return hop(strtol(argv[2], NULL, 10));
    if (argc >= 3 && !strcmp(argv[1], "pthread")) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end || n < 0 || n > 256)
            return 2;
        pthread_t th[256];
        if (argc >= 4 && !strcmp(argv[3], "short")) { /* a thread that ends before the rest */
            pthread_t s;
            if (pthread_create(&s, NULL, quiet, NULL) != 0 || pthread_join(s, NULL) != 0)
                return 1;
        }
        for (long i = 0; i < n; i++)
            if (pthread_create(&th[i], NULL, run, (void *)(i + 1)) != 0)
                return 1;
        report(0);
        for (long i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        return 0;
    }
#ifdef _OPENMP
    if (argc >= 2 && !strcmp(argv[1], "omp")) {
#pragma omp parallel
        report(omp_get_thread_num());
        return 0;
    }
#endif
    fprintf(stderr, "usage: pin_probe pthread N [short] | omp | hop MS\n");
    return 2;
}
