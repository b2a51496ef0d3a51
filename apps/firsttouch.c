/* firsttouch: the seeds' scenario, measured. One thread per PU (PLACE_THREAD_PUS under
 * placerun, else every CPU this process may use), each owning a contiguous part of an
 * array of doubles (schedule(static)), each part owned by its thread's NUMA node.
 *
 *   case "first touch": every thread initialises its own part (the right default);
 *   case "one thread":  thread 0 initialises everything (all pages on its node);
 *   case "repaired":    the one-thread array after migrating misplaced pages to owners.
 *
 * For each: the page locality (move_pages) and the time per sweep (each thread updates
 * its part; the sweep ends when the slowest does). Before repairing, the cost model
 * decides with the measured remote slowdown and migration bandwidth (a first, small
 * migration measures the bandwidth), and prints its numbers.
 *   firsttouch [--mib M] [--sweeps S] [--repair] [--assert]
 * --repair: migrate even when the model says it does not pay (to show the third case).
 * --assert: exit 1 unless first touch puts >= 99% of each part on its owner's node, one
 * thread puts every page on its own node, repair brings >= 99% back, and the kernel's
 * pgmigrate_success counter grew by the pages moved.
 */
#define _GNU_SOURCE
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "place.h"

static int T, cpu[256], node[256];
static place_array A;
static place_partition P;
static pthread_barrier_t bar;
static int mode; /* 0 touch own part, 1 thread 0 touches all, 2 sweep */
static int sweeps = 5;
static double sweep_s;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *worker(void *arg)
{
    int t = (int)(long)arg;
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(cpu[t], &cs);
    sched_setaffinity(0, sizeof cs, &cs);
    double *x = A.ptr;
    size_t lo = P.off[t] / sizeof(double), hi = P.off[t + 1] / sizeof(double);
    if (mode == 0) {
        for (size_t i = lo; i < hi; i++)
            x[i] = 1.0;
    } else if (mode == 1) {
        if (t == 0)
            for (size_t i = 0; i < A.bytes / sizeof(double); i++)
                x[i] = 1.0;
    } else {
        double best = 1e30;
        for (int s = 0; s < sweeps; s++) {
            pthread_barrier_wait(&bar);
            double t0 = now();
            for (size_t i = lo; i < hi; i++)
                x[i] = x[i] * 1.0000001 + 1e-7;
            pthread_barrier_wait(&bar); /* the sweep ends with the slowest thread */
            double dt = now() - t0;
            best = dt < best ? dt : best;
        }
        if (t == 0)
            sweep_s = best;
    }
    return NULL;
}

static void run(int m)
{
    mode = m;
    pthread_t th[256];
    for (int t = 0; t < T; t++)
        pthread_create(&th[t], NULL, worker, (void *)(long)t);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
}

static double locality(const char *name, double *min_part)
{
    place_locality l;
    place_error e;
    if (place_locality_query(&A, &P, &l, &e) < 0) {
        fprintf(stderr, "firsttouch: %s\n", e.msg);
        exit(1);
    }
    double mn = 1;
    for (int i = 0; i < T; i++) {
        int64_t tot = l.part_local[i] + l.part_remote[i];
        double f = tot ? (double)l.part_local[i] / (double)tot : 1;
        mn = f < mn ? f : mn;
    }
    run(2);
    printf("%-12s  local %6.2f%%  (worst part %6.2f%%)  pages per node:", name,
           100 * l.local_fraction, 100 * mn);
    for (int n = 0; n <= l.max_node; n++)
        printf(" %d:%lld", n, (long long)l.on_node[n]);
    double gbs = 2.0 * (double)A.bytes / sweep_s * 1e-9;
    printf("  sweep %.3f ms (%.2f GB/s)\n", sweep_s * 1e3, gbs);
    if (min_part)
        *min_part = mn;
    double lf = l.local_fraction;
    place_locality_fini(&l);
    return lf;
}

int main(int argc, char **argv)
{
    double mib = 64;
    int check = 0, force = 0;
    for (int i = 1; i < argc; i++) {
        place_error pe;
        if (!strcmp(argv[i], "--mib") && i + 1 < argc) {
            if (place_parse_double("--mib", argv[++i], 0.01, 1 << 20, &mib, &pe) < 0) {
                fprintf(stderr, "firsttouch: %s\n", pe.msg);
                return 2;
            }
        } else if (!strcmp(argv[i], "--sweeps") && i + 1 < argc) {
            if (place_parse_int("--sweeps", argv[++i], 1, 1 << 20, &sweeps, &pe) < 0) {
                fprintf(stderr, "firsttouch: %s\n", pe.msg);
                return 2;
            }
        } else if (!strcmp(argv[i], "--assert"))
            check = 1;
        else if (!strcmp(argv[i], "--repair"))
            force = 1;
        else {
            fprintf(stderr,
                    "firsttouch: '%s': unknown; expected --mib M, --sweeps S, --repair, --assert\n",
                    argv[i]);
            return 2;
        }
    }
    if (numa_available() < 0) {
        fprintf(stderr, "firsttouch: libnuma says NUMA is not available here\n");
        return 2;
    }
    if (place_env_placed()) { /* under placerun: the plan's thread PUs */
        place_assignment a;
        place_error ae;
        if (place_assignment_from_env(&a, &ae) < 0) {
            fprintf(stderr, "firsttouch: %s\n", ae.msg);
            return 2;
        }
        for (T = 0; T < a.nthreads && T < 256; T++)
            cpu[T] = a.thread_pu_os[T];
        place_assignment_fini(&a);
    } else {
        cpu_set_t cs;
        sched_getaffinity(0, sizeof cs, &cs);
        for (int c = 0; c < CPU_SETSIZE && T < 256; c++)
            if (CPU_ISSET(c, &cs))
                cpu[T++] = c;
    }
    for (int t = 0; t < T; t++)
        node[t] = numa_node_of_cpu(cpu[t]);
    size_t n = (size_t)(mib * (1 << 20)) / sizeof(double);
    place_error e;
    if (place_array_alloc(&A, n * sizeof(double), 0, &e) ||
        place_partition_static(&P, n, sizeof(double), T, node, &e)) {
        fprintf(stderr, "firsttouch: %s\n", e.msg);
        return 1;
    }
    pthread_barrier_init(&bar, NULL, (unsigned)T);
    printf("# %d threads on PUs", T);
    for (int t = 0; t < T; t++)
        printf(" %d(node %d)", cpu[t], node[t]);
    printf("; %.0f MiB of doubles, best of %d sweeps\n", mib, sweeps);
    int bad = 0;

    double worst;
    run(0);
    locality("first touch", &worst);
    double t_local = sweep_s;
    if (check && worst < 0.99) {
        printf("ASSERT: first touch left a part %.2f%% local (< 99%%)\n", 100 * worst);
        bad++;
    }
    place_array_fini(&A);
    place_array_alloc(&A, n * sizeof(double), 0, &e);

    run(1);
    locality("one thread", NULL);
    double t_remote = sweep_s;
    place_locality l;
    place_locality_query(&A, NULL, &l, &e);
    if (check && l.on_node[node[0]] != l.pages - l.untouched) {
        printf("ASSERT: one thread's pages are not all on node %d\n", node[0]);
        bad++;
    }
    place_locality_fini(&l);

    /* The decision comes first: the remote slowdown is measured (one thread vs first
     * touch), the migration bandwidth by moving a 4 MiB trial array between two nodes. */
    double sigma = t_remote / t_local - 1, trial_gbs = 0;
    int other = -1;
    for (int t = 0; t < T; t++)
        if (node[t] != node[0])
            other = node[t];
    if (other >= 0) {
        place_array tr;
        place_partition tp;
        size_t tn = (4u << 20) / sizeof(double);
        place_array_alloc(&tr, tn * sizeof(double), 0, &e);
        memset(tr.ptr, 1, tr.bytes); /* on this thread's node */
        int owner = other == numa_node_of_cpu(sched_getcpu()) ? node[0] : other;
        place_partition_static(&tp, tn, sizeof(double), 1, &owner, &e);
        place_migration tm;
        if (place_migrate_parts(&tr, &tp, &tm, &e) == 0)
            trial_gbs = tm.bandwidth_gbs;
        place_partition_fini(&tp);
        place_array_fini(&tr);
    }
    place_locality_query(&A, &P, &l, &e);
    char line[400];
    int go = place_migration_decide(l.remote, A.page, trial_gbs, 100 * t_remote,
                                    sigma < 0 ? 0 : sigma, line, sizeof line);
    place_locality_fini(&l);
    printf("# decision for 100 more sweeps (trial migration %.2f GB/s): %s\n", trial_gbs, line);
    if (!go && !check && !force) {
        place_partition_fini(&P);
        place_array_fini(&A);
        return 0;
    }
    if (!go)
        printf("# %s: repairing anyway\n", check ? "--assert" : "--repair");
    long long before = place_vmstat_pgmigrate_success();
    place_migration m;
    if (place_migrate_parts(&A, &P, &m, &e) < 0) {
        fprintf(stderr, "firsttouch: %s\n", e.msg);
        return 1;
    }
    long long after = place_vmstat_pgmigrate_success();
    printf("# migrated %lld of %lld misplaced pages (%lld refused) in %.4f s, %.2f GB/s; "
           "pgmigrate_success +%lld\n",
           (long long)m.moved, (long long)m.misplaced, (long long)m.failed, m.seconds,
           m.bandwidth_gbs, after - before);
    locality("repaired", &worst);
    if (check && worst < 0.99) {
        printf("ASSERT: after repair a part is %.2f%% local (< 99%%)\n", 100 * worst);
        bad++;
    }
    if (check && (before < 0 || after - before != m.moved)) {
        printf("ASSERT: pgmigrate_success grew by %lld, pages moved %lld\n", after - before,
               (long long)m.moved);
        bad++;
    }
    if (check)
        printf("%s\n", bad ? "FIRSTTOUCH ASSERTIONS FAILED" : "FIRSTTOUCH OK");
    place_partition_fini(&P);
    place_array_fini(&A);
    return bad ? 1 : 0;
}
