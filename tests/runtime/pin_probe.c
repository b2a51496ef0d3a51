/* pin_probe: a program that starts its own threads and knows nothing of place, for
 * placerun --pin-threads. `pin_probe pthread N [short]`: the main thread and N threads it
 * creates with pthread_create (after one that ends at once, with "short"); `pin_probe omp`: an OpenMP parallel region (OMP_NUM_THREADS as the
 * user set it, else the runtime's default). Every thread spins 50 ms and prints one line:
 * its index (0 the main thread, then in creation order), the CPUs it may run on and the
 * CPU it ran on last. `pin_probe hop|flip|pushed MS`: see hop(). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
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

/* Spins MS ms; every 20 ms calls step(). */
static int spin(long ms, void (*step)(void *), void *arg)
{
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
        if (step && el >= 20.0 * (hops + 1)) {
            step(arg);
            hops++;
        }
    }
    return hops;
}

/* Sets tid's mask to the CPU after `from` in `all`, then to `back`: the thread migrates,
 * and a sampler finds the same mask before and after. */
static void detour(pid_t tid, const cpu_set_t *all, int from, const cpu_set_t *back)
{
    int c = from;
    do
        c = (c + 1) % CPU_SETSIZE;
    while (!CPU_ISSET(c, all));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    sched_setaffinity(tid, sizeof one, &one);
    sched_setaffinity(tid, sizeof *back, back);
}

static cpu_set_t all_cpus, own;
static void self_step(void *back)
{
    detour(0, &all_cpus, sched_getcpu(), back);
}

/* `hop MS`: the main thread spins MS ms under its own mask and every 20 ms moves itself to
 * the next CPU of it and back to the whole mask at once (as a runtime that binds and rebinds
 * does): mask changes of the program's own, seen by the monitor as they are made.
 * `flip MS`: the same from a single PU back to it (Open MPI's MPI_Init setting [0], [1],
 * [0]): the thread ends on its planned PU, as placed.
 * `pushed MS`: the main thread spins, and another process moves it every 20 ms to the next
 * CPU and back (taskset -p from outside): migrations under a mask that never changes as far
 * as the process can see. */
static int hop(const char *mode, long ms)
{
    if (sched_getaffinity(0, sizeof all_cpus, &all_cpus) != 0)
        return 2;
    own = all_cpus;
    if (!strcmp(mode, "flip") || !strcmp(mode, "pushed")) {
        cpu_set_t online;
        CPU_ZERO(&online);
        for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
            CPU_SET(c, &online);
        if (!strcmp(mode, "flip"))
            all_cpus = online; /* the detour leaves the planned PU */
        if (CPU_COUNT(&all_cpus) < 2)
            return 2;
    } else if (CPU_COUNT(&all_cpus) < 2) {
        return 2;
    }
    int hops;
    if (!strcmp(mode, "pushed")) {
        pid_t me = getpid(), kid = fork();
        if (kid == 0) {
            /* real-time, where allowed: nothing preempts it between its two calls, so the
             * transient mask lasts microseconds and a sampler rarely sees it */
            struct sched_param sp = {.sched_priority = 1};
            sched_setscheduler(0, SCHED_FIFO, &sp);
            struct timespec d = {0, 20 * 1000000};
            for (long k = 0; k < ms / 20; k++) {
                nanosleep(&d, NULL);
                int cpu = -1;
                char path[64], buf[1024];
                snprintf(path, sizeof path, "/proc/%d/stat", (int)me);
                FILE *f = fopen(path, "r");
                if (f && fgets(buf, sizeof buf, f)) {
                    char *p = strrchr(buf, ')');
                    for (int field = 2; p && *p; p++)
                        if (*p == ' ' && ++field == 39) {
                            cpu = (int)strtol(p + 1, NULL, 10);
                            break;
                        }
                }
                if (f)
                    fclose(f);
                detour(me, &all_cpus, cpu < 0 ? 0 : cpu, &own);
            }
            _exit(0);
        }
        hops = spin(ms, NULL, NULL);
        waitpid(kid, NULL, 0);
        hops = (int)(ms / 20);
    } else {
        hops = spin(ms, self_step, &own);
    }
    printf("hops %d\n", hops);
    return 0;
}

/* `spawn`: a created (pinned) thread forks a child that reports its mask, and runs a shell
 * through system() that reports its own: both should have the rank's PUs back. */
static void *spawner(void *arg)
{
    (void)arg;
    pid_t kid = fork();
    if (kid == 0) {
        cpu_set_t cs;
        char list[256] = "";
        size_t at = 0;
        if (sched_getaffinity(0, sizeof cs, &cs) == 0)
            for (int c = 0; c < CPU_SETSIZE && at + 8 < sizeof list; c++)
                if (CPU_ISSET(c, &cs))
                    at += (size_t)snprintf(list + at, sizeof list - at, "%s%d", at ? "," : "", c);
        printf("fork: allowed %s\n", list);
        fflush(stdout);
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    fflush(stdout);
    if (system("echo \"exec: allowed $(grep Cpus_allowed_list /proc/self/status | cut -f2)\"") != 0)
        return (void *)1;
    report(1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "spawn")) {
        pthread_t th;
        void *rc = NULL;
        if (pthread_create(&th, NULL, spawner, NULL) != 0 || pthread_join(th, &rc) != 0)
            return 1;
        report(0);
        return rc != NULL;
    }
    if (argc >= 3 &&
        (!strcmp(argv[1], "hop") || !strcmp(argv[1], "flip") || !strcmp(argv[1], "pushed")))
        return hop(argv[1], strtol(argv[2], NULL, 10));
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
