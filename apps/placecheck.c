/* placecheck: the probe `placerun --check` runs in place of an application.
 *
 * Each rank starts its OpenMP threads (as many as OMP_NUM_THREADS says, which placerun
 * set from the plan) and each thread, for a short busy window, reads its affinity mask,
 * samples the CPU it runs on, and counts its migrations (se.nr_migrations in
 * /proc/self/task/TID/sched, exact and unprivileged). Each is compared with the plan
 * that placerun exported (PLACE_THREAD_PUS): the mask must be exactly the planned PU,
 * every CPU seen must be that PU, no migration may happen in the window, and the thread
 * count must match. One line per thread on stdout; exit 1 on any mismatch.
 *
 *   PLACECHECK_MS   length of each thread's busy window (default 50 ms)
 *
 * A checker on purpose: it reads PLACE_THREAD_PUS and PLACE_RANK itself (strictly, with
 * place_parse_*) instead of through libplace's contract module (runenv.c), whose work it
 * checks; sharing that code would let one bug hide itself.
 */
#define _GNU_SOURCE
#include <omp.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "place.h"

static long migrations(pid_t tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/sched", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "se.nr_migrations", 16)) {
            char *colon = strchr(line, ':');
            if (colon)
                v = strtol(colon + 1, NULL, 10);
        }
    fclose(f);
    return v;
}

static void mask_list(const cpu_set_t *cs, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < CPU_SETSIZE && at + 8 < n; i++)
        if (CPU_ISSET(i, cs))
            at += (size_t)snprintf(buf + at, n - at, "%s%d", at ? "," : "", i);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    const char *pus = getenv("PLACE_THREAD_PUS"), *rank_s = getenv("PLACE_RANK");
    if (!pus || !rank_s) {
        fprintf(stderr, "placecheck: PLACE_THREAD_PUS and PLACE_RANK are not set; run it as "
                "placerun --check\n");
        return 2;
    }
    int planned[1024], nplanned = 0, rank;
    double ms = 50;
    place_error e;
    const char *ms_s = getenv("PLACECHECK_MS");
    if (place_parse_int("PLACE_RANK", rank_s, 0, INT_MAX, &rank, &e) < 0 ||
        place_parse_int_list("PLACE_THREAD_PUS", pus, 0, CPU_SETSIZE - 1, planned, 1024, &nplanned,
                             &e) < 0 ||
        (ms_s && place_parse_double("PLACECHECK_MS", ms_s, 1, 60000, &ms, &e) < 0)) {
        fprintf(stderr, "placecheck: %s\n", e.msg);
        return 2;
    }
    double window = ms * 1e-3;
    int bad = 0, nthreads = 0;
    static char lines[1024][400];
#pragma omp parallel reduction(+ : bad)
    {
        int t = omp_get_thread_num();
#pragma omp single
        nthreads = omp_get_num_threads();
        pid_t tid = (pid_t)syscall(SYS_gettid);
        cpu_set_t cs;
        sched_getaffinity(0, sizeof cs, &cs);
        long m0 = migrations(tid);
        cpu_set_t seen;
        CPU_ZERO(&seen);
        double end = now() + window;
        volatile double x = 1;
        while (now() < end) {
            for (int i = 0; i < 1000; i++)
                x = x * 1.0000001 + 1e-9;
            CPU_SET(sched_getcpu(), &seen);
        }
        long moved = migrations(tid) - m0;
        int want = t < nplanned ? planned[t] : -1;
        int ok = want >= 0 && CPU_COUNT(&cs) == 1 && CPU_ISSET(want, &cs) && CPU_COUNT(&seen) == 1 &&
                 CPU_ISSET(want, &seen) && moved == 0;
        char m[128], s[128];
        mask_list(&cs, m, sizeof m);
        mask_list(&seen, s, sizeof s);
        if (t < 1024)
            snprintf(lines[t], sizeof lines[t], "rank %d thread %d: planned PU %d, mask %s, ran on %s, "
                     "migrations %ld: %s", rank, t, want, m, s, moved, ok ? "ok" : "MISMATCH");
        bad += !ok;
    }
    for (int t = 0; t < nthreads && t < 1024; t++)
        printf("%s\n", lines[t]);
    if (nthreads != nplanned) {
        printf("rank %d: %d threads started, the plan has %d: MISMATCH\n", rank, nthreads, nplanned);
        bad++;
    }
    printf("rank %d: %s (%d threads checked)\n", rank, bad ? "placement differs from the plan" : "placement as planned", nthreads);
    return bad ? 1 : 0;
}
