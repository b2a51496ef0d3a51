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
 * With GPUs in the plan (PLACE_GPUS), each rank also lists the GPUs it can see: through
 * the vendor's runtime when its library loads (CUDA's driver API, libcuda.so.1; HIP,
 * libamdhip64.so), else through sysfs for the PCI ids placerun exported. Each GPU's NUMA
 * node and local CPUs (sysfs) give its distance from the rank's threads: "local" when every
 * thread's PU is local to it, else the NUMA distance. A GPU the runtime sees that the plan
 * does not name, or one the plan names that the runtime or sysfs does not have, is a
 * mismatch.
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
#include <ctype.h>
#include <dlfcn.h>
#include <unistd.h>
#include "place.h"

/* The PCI ids the vendor runtime sees, in its device order: CUDA's driver API, else HIP.
 * Returns the count (and the runtime's name in *rt), -1 if no runtime library loads. */
static int runtime_gpus(char ids[][32], int max, const char **rt)
{
    typedef int (*init_t)(unsigned);
    typedef int (*count_t)(int *);
    typedef int (*dev_t)(int *, int);
    typedef int (*bus_t)(char *, int, int);
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        init_t cu_init = (init_t)dlsym(h, "cuInit");
        count_t cu_count = (count_t)dlsym(h, "cuDeviceGetCount");
        dev_t cu_dev = (dev_t)dlsym(h, "cuDeviceGet");
        bus_t cu_bus = (bus_t)dlsym(h, "cuDeviceGetPCIBusId");
        int n = 0;
        *rt = "CUDA";
        if (!cu_init || !cu_count || !cu_dev || !cu_bus || cu_init(0) != 0 || cu_count(&n) != 0)
            return 0; /* the driver loads but sees no device (or none it may use) */
        for (int i = 0; i < n && i < max; i++) {
            int dev;
            if (cu_dev(&dev, i) != 0 || cu_bus(ids[i], 32, dev) != 0)
                snprintf(ids[i], 32, "?");
        }
        return n < max ? n : max;
    }
    h = dlopen("libamdhip64.so", RTLD_NOW | RTLD_LOCAL);
    if (h) {
        count_t hip_count = (count_t)dlsym(h, "hipGetDeviceCount");
        bus_t hip_bus = (bus_t)dlsym(h, "hipDeviceGetPCIBusId");
        int n = 0;
        *rt = "HIP";
        if (!hip_count || !hip_bus || hip_count(&n) != 0)
            return 0;
        for (int i = 0; i < n && i < max; i++)
            if (hip_bus(ids[i], 32, i) != 0)
                snprintf(ids[i], 32, "?");
        return n < max ? n : max;
    }
    return -1;
}

static int read_line(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)n, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* A kernel CPU list ("0-15,32-47") into cpus; -1 if malformed. */
static int cpulist(const char *s, int *cpus, int max, int *n)
{
    *n = 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s || a < 0)
            return -1;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s || b < a)
                return -1;
        }
        for (long c = a; c <= b && *n < max; c++)
            cpus[(*n)++] = (int)c;
        if (*end && *end != ',')
            return -1;
        s = *end ? end + 1 : end;
    }
    return 0;
}

/* The NUMA node of CPU c (its nodeN link in sysfs), 0 if none. */
static int numa_of_cpu(int c)
{
    for (int n = 0; n < 1024; n++) {
        char path[96];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/node%d", c, n);
        if (access(path, F_OK) == 0)
            return n;
    }
    return 0;
}

/* The GPUs of this rank: one line each; returns the mismatches. */
static int check_gpus(int rank, const char *gpus, const int *planned, int nplanned)
{
    char want[64][32], seen[64][32];
    int nw = 0;
    for (const char *at = gpus; *at && nw < 64;) {
        size_t len = strcspn(at, ",");
        if (len == 0 || len > 31) {
            printf("rank %d: PLACE_GPUS='%.60s' is not a list of PCI ids: MISMATCH\n", rank, gpus);
            return 1;
        }
        memcpy(want[nw], at, len);
        want[nw][len] = '\0';
        char *slash = strchr(want[nw], '/'); /* a sub-device: its card's PCI id */
        if (slash)
            *slash = '\0';
        nw++;
        at += len + (at[len] == ',');
    }
    const char *rt = NULL;
    int ns = runtime_gpus(seen, 64, &rt), bad = 0;
    for (int i = 0; i < ns; i++)
        for (char *c = seen[i]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    if (ns >= 0 && ns != nw) {
        printf("rank %d: %s sees %d GPU%s, the plan gives it %d: MISMATCH\n", rank, rt, ns,
               ns == 1 ? "" : "s", nw);
        bad++;
    }
    for (int i = 0; i < nw; i++) {
        char path[128], numa[32] = "-1", local[256] = "", how[96];
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/numa_node", want[i]);
        int present = read_line(path, numa, sizeof numa) == 0;
        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/local_cpulist", want[i]);
        if (present)
            read_line(path, local, sizeof local);
        int ok = present;
        if (ns >= 0) {
            /* the runtime numbers what it sees; the plan's order is that numbering */
            int at = -1;
            for (int k = 0; k < ns; k++) {
                const char *sv = seen[k];
                size_t ls = strlen(sv), lw = strlen(want[i]);
                if (ls >= lw - 5 &&
                    !strcmp(sv + (ls > lw ? ls - lw : 0), want[i] + (lw > ls ? lw - ls : 0)))
                    at = k;
            }
            ok = ok && at == i;
            if (at >= 0)
                snprintf(how, sizeof how, "%s device %d", rt, at);
            else
                snprintf(how, sizeof how, "not seen by %s", rt);
        } else {
            snprintf(how, sizeof how, "no vendor runtime here: sysfs");
        }
        char dist[160] = "distance unknown";
        if (*local) {
            static int cpus[65536];
            int nc = 0, inside = 1;
            if (cpulist(local, cpus, 65536, &nc) == 0) {
                for (int t = 0; t < nplanned; t++) {
                    int hit = 0;
                    for (int k = 0; k < nc; k++)
                        hit |= cpus[k] == planned[t];
                    inside &= hit;
                }
                if (inside)
                    snprintf(dist, sizeof dist, "local to every thread's PU");
                else {
                    char dpath[96], row[256] = "";
                    snprintf(dpath, sizeof dpath, "/sys/devices/system/node/node%d/distance",
                             planned[0] >= 0 ? numa_of_cpu(planned[0]) : 0);
                    read_line(dpath, row, sizeof row);
                    snprintf(dist, sizeof dist,
                             "not local to the threads' PUs (GPU NUMA %s; "
                             "distances from the first thread's node: %s)",
                             numa, *row ? row : "?");
                }
            }
        }
        printf("rank %d gpu %d: %s, %s, NUMA %s, %s: %s\n", rank, i, want[i], how, numa, dist,
               ok        ? "ok"
               : present ? "MISMATCH"
                         : "MISMATCH (no such PCI device)");
        bad += !ok;
    }
    return bad;
}

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
        int ok = want >= 0 && CPU_COUNT(&cs) == 1 && CPU_ISSET(want, &cs) &&
                 CPU_COUNT(&seen) == 1 && CPU_ISSET(want, &seen) && moved == 0;
        char m[128], s[128];
        mask_list(&cs, m, sizeof m);
        mask_list(&seen, s, sizeof s);
        if (t < 1024)
            snprintf(lines[t], sizeof lines[t],
                     "rank %d thread %d: planned PU %d, mask %s, ran on %s, "
                     "migrations %ld: %s",
                     rank, t, want, m, s, moved, ok ? "ok" : "MISMATCH");
        bad += !ok;
    }
    for (int t = 0; t < nthreads && t < 1024; t++)
        printf("%s\n", lines[t]);
    if (nthreads != nplanned) {
        printf("rank %d: %d threads started, the plan has %d: MISMATCH\n", rank, nthreads,
               nplanned);
        bad++;
    }
    const char *gpus = getenv("PLACE_GPUS");
    if (gpus && *gpus)
        bad += check_gpus(rank, gpus, planned, nplanned);
    printf("rank %d: %s (%d threads checked)\n", rank,
           bad ? "placement differs from the plan" : "placement as planned", nthreads);
    return bad ? 1 : 0;
}
