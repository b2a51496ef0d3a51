/* placepin: the library that `placerun --pin-threads` preloads into an unmodified program
 * that starts its own threads (pthreads, thread-MPI as in GROMACS, an OpenMP runtime), to
 * put them on the rank's planned PUs as likwid-pin does.
 *
 * A preloaded consumer of the placerun contract: it reads PLACE_PIN_THREADS and
 * PLACE_THREAD_PUS itself, strictly, and stays free of libplace (a preloaded library must
 * not bring hwloc into every program).
 *
 * The main thread is plan thread 0; every thread the program creates through
 * pthread_create takes, in creation order, the first plan thread no live thread holds
 * (1, 2, ...; a thread that ends frees its own, so a short-lived thread that probes the
 * hardware at start does not push the compute threads beyond the plan). It starts through a
 * trampoline that binds it to its PU before the program's function runs (no instruction of
 * the program's runs elsewhere, and the caller's attributes are left as they are). Helpers
 * are bound to the rank's PUs (not to the PU of the pinned thread that created them).
 *
 * Threads beyond the plan's wrap round its PUs, as likwid-pin's do: with every plan thread
 * held, the next one created shares plan thread 0's PU (the main thread's: a main thread
 * that starts workers and waits for them, as xz -T2 and zstd -T2 do, leaves its PU to the
 * last worker), the one after plan thread 1's, and so on; said once on stderr. (Before,
 * they kept the rank's PUs: xz -T2 under -t 2 ran its second worker unpinned.)
 *
 * Helper threads of runtimes are not compute threads and take no plan slot: by default a
 * thread created from the MPI, PMIx, UCX, libfabric, verbs, CUDA/ROCm/Level Zero, NCCL or
 * libevent libraries, or from the C library itself (timers, AIO), keeps the rank's PUs (or
 * PLACE_HELPER_PUS: with --avoid-noisy, the rank's noisiest, which no compute thread has).
 * An explicit mask (PLACE_PIN_THREADS=PID:0xMASK, from --pin-skip) replaces that rule, as
 * likwid-pin's -s: bit i set skips the i-th created thread (0 is the first one created).
 * The main thread is bound when the program creates its first compute thread, not at
 * start: an OpenMP runtime counts the CPUs it may use at start, and must see the rank's.
 *
 * It acts only in the process placerun exec'd (the PID in PLACE_PIN_THREADS). A child the
 * program starts gets the rank's PUs back instead of the one PU of the thread that started
 * it: a forked child (a worker process, stress-ng's) at the fork, a program exec'd (system(),
 * posix_spawn, fork and exec) when it starts, where this library is preloaded into it too
 * (the rank's PUs are PLACE_CPUSET's).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "strictnum.h"

#define MAX_PUS 4096

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static struct {
    int on;
    pid_t pid, main_tid;
    int pus[MAX_PUS], npus;
    int explicit_mask;
    unsigned long long mask;
    int created;                 /* threads created so far (the mask's bit index) */
    unsigned char busy[MAX_PUS]; /* plan threads held by a live thread (0: the main one) */
    pthread_key_t slot_key;      /* a pinned thread's plan thread + 1, released at its exit */
    int main_bound;
    int said_beyond;
    int wrap;             /* the next plan thread a thread beyond the plan shares */
    cpu_set_t rank_set;   /* the process's CPUs at start (the rank's, as placerun bound it) */
    cpu_set_t helper_set; /* where helpers go: PLACE_HELPER_PUS (--avoid-noisy's noisiest
                             PUs of the rank), else the rank's */
    create_fn real;
} P;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Binds thread tid (0: the caller) to PU pu, or to the rank's PUs when pu < 0. */
static void bind_tid(pid_t tid, int pu)
{
    cpu_set_t cs;
    CPU_ZERO(&cs);
    if (pu >= 0 && pu < CPU_SETSIZE)
        CPU_SET(pu, &cs);
    else
        cs = P.helper_set;
    if (sched_setaffinity(tid, sizeof cs, &cs) != 0 && pu >= 0)
        fprintf(stderr, "placepin: cannot bind thread %d to PU %d: %s; it keeps the rank's PUs\n",
                (int)tid, pu, strerror(errno));
}

/* The library a return address lies in: a runtime's helper thread, or the program's? */
static int helper_creator(const void *addr)
{
    Dl_info di;
    if (!addr || !dladdr(addr, &di) || !di.dli_fname)
        return 0;
    const char *b = strrchr(di.dli_fname, '/');
    b = b ? b + 1 : di.dli_fname;
    static const char *const helpers[] = {
        "libmpi",     "libopen-pal", "libopen-rte", "libpmix", "libpmi",    "libprrte",
        "libmpich",   "libucs",      "libucp",      "libuct",  "libfabric", "libpsm",
        "libibverbs", "libmlx",      "librdmacm",   "libcuda", "libcudart", "libnccl",
        "libnvidia",  "libhsa",      "libamdhip",   "librccl", "libze_",    "libigc",
        "libevent",   "libc.so",     "libc-",       "librt",   "libanl",    "libplacemon",
        NULL};
    for (int i = 0; helpers[i]; i++)
        if (!strncmp(b, helpers[i], strlen(helpers[i])))
            return 1;
    return 0;
}

typedef struct start {
    void *(*fn)(void *);
    void *arg;
    int slot, pu;
} start;

/* A pinned thread's end (return, pthread_exit, cancellation): its plan thread is free for
 * the next thread the program creates (a short-lived thread, e.g. one that probes the
 * hardware at start, does not push the compute threads beyond the plan). */
static void release_slot(void *v)
{
    int slot = (int)(long)v - 1;
    pthread_mutex_lock(&lock);
    if (slot > 0 && slot < P.npus)
        P.busy[slot] = 0;
    pthread_mutex_unlock(&lock);
}

static void *trampoline(void *p)
{
    start s = *(start *)p;
    free(p);
    bind_tid(0, s.pu);
    if (s.slot > 0)
        pthread_setspecific(P.slot_key, (void *)(long)(s.slot + 1));
    return s.fn(s.arg);
}

static void resolve(void)
{
    P.real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
}

int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, resolve);
    if (!P.real)
        return EAGAIN;
    if (!P.on || getpid() != P.pid)
        return P.real(th, attr, fn, arg);
    const void *caller = __builtin_return_address(0);
    pthread_mutex_lock(&lock);
    int idx = P.created++, pu = -1, slot = -1;
    int skip = P.explicit_mask ? idx < 64 && (P.mask >> idx & 1) : helper_creator(caller);
    if (!skip) {
        for (int t = 1; t < P.npus && slot < 0; t++)
            if (!P.busy[t])
                slot = t;
        if (slot > 0) {
            P.busy[slot] = 1;
            pu = P.pus[slot];
        } else { /* beyond the plan: round its PUs, the main thread's first */
            pu = P.pus[P.wrap];
            P.wrap = (P.wrap + 1) % P.npus;
            if (!P.said_beyond) {
                P.said_beyond = 1;
                fprintf(stderr,
                        "placepin: the program runs more threads at once than the plan's %d; "
                        "the others share the plan's PUs in turn, the main thread's first, as "
                        "likwid-pin's do (plan more with -t)\n",
                        P.npus);
            }
        }
        if (!P.main_bound) {
            P.main_bound = 1;
            bind_tid(P.main_tid, P.pus[0]);
        }
    }
    pthread_mutex_unlock(&lock);
    /* every thread starts bound: to its PU, or (a helper, one beyond the plan) to the
     * rank's PUs, not to the PU of the pinned thread that created it */
    start *s = malloc(sizeof *s);
    if (!s)
        return P.real(th, attr, fn, arg);
    *s = (start){fn, arg, slot, pu};
    int rc = P.real(th, attr, trampoline, s);
    if (rc) {
        free(s);
        if (slot > 0)
            release_slot((void *)(long)(slot + 1));
    }
    return rc;
}

/* The rank's PUs, from PLACE_CPUSET ("0-3,8"), strictly; 0 with *cs filled, else -1. */
static int rank_cpus(cpu_set_t *cs)
{
    const char *v = getenv("PLACE_CPUSET");
    CPU_ZERO(cs);
    for (const char *p = v; p && *p;) {
        char item[32], *dash;
        size_t len = strcspn(p, ",");
        long a, b;
        if (len == 0 || len >= sizeof item)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        dash = strchr(item, '-');
        if (dash)
            *dash = '\0';
        if (strict_long(item, 0, CPU_SETSIZE - 1, &a) < 0 ||
            strict_long(dash ? dash + 1 : item, a, CPU_SETSIZE - 1, &b) < 0)
            return -1;
        for (long c = a; c <= b; c++)
            CPU_SET(c, cs);
        p += len + (p[len] == ',');
    }
    return v && CPU_COUNT(cs) > 0 ? 0 : -1;
}

/* A child the program forked: the rank's PUs, not the one PU of the thread that forked it;
 * and no pinning of its own threads (it is not the process placerun started). */
static void forked_child(void)
{
    if (!P.on)
        return;
    P.on = 0;
    sched_setaffinity(0, sizeof P.rank_set, &P.rank_set);
}

__attribute__((constructor)) static void placepin_start(void)
{
    const char *v = getenv("PLACE_PIN_THREADS"), *pus = getenv("PLACE_THREAD_PUS");
    if (!v || !*v)
        return;
    /* PID:auto or PID:0xMASK */
    char pid_s[24];
    const char *colon = strchr(v, ':');
    long pid;
    if (!colon || colon - v >= (long)sizeof pid_s)
        goto bad;
    memcpy(pid_s, v, (size_t)(colon - v));
    pid_s[colon - v] = '\0';
    if (strict_long(pid_s, 1, INT_MAX, &pid) < 0)
        goto bad;
    if (pid != (long)getpid()) { /* a program the pinned one started: the rank's PUs */
        cpu_set_t cs, now;
        if (rank_cpus(&cs) == 0 && sched_getaffinity(0, sizeof now, &now) == 0 &&
            !CPU_EQUAL(&cs, &now) && CPU_COUNT(&now) == 1) {
            CPU_AND(&now, &now, &cs);
            if (CPU_COUNT(&now) == 1) /* started by a pinned thread of the rank's */
                sched_setaffinity(0, sizeof cs, &cs);
        }
        return;
    }
    const char *m = colon + 1;
    if (!strcmp(m, "auto")) {
        P.explicit_mask = 0;
    } else if (m[0] == '0' && (m[1] == 'x' || m[1] == 'X') && m[2] && strlen(m) <= 18 &&
               strspn(m + 2, "0123456789abcdefABCDEF") == strlen(m + 2)) {
        P.explicit_mask = 1;
        P.mask = strtoull(m + 2, NULL, 16);
    } else {
        goto bad;
    }
    for (const char *p = pus; p && *p && P.npus < MAX_PUS;) {
        char item[16];
        size_t len = strcspn(p, ",");
        long pu;
        if (len == 0 || len >= sizeof item)
            goto bad_pus;
        memcpy(item, p, len);
        item[len] = '\0';
        if (strict_long(item, 0, CPU_SETSIZE - 1, &pu) < 0)
            goto bad_pus;
        P.pus[P.npus++] = (int)pu;
        p += len + (p[len] == ',');
    }
    if (P.npus == 0)
        goto bad_pus;
    if (sched_getaffinity(0, sizeof P.rank_set, &P.rank_set) != 0) {
        fprintf(stderr, "placepin: cannot read the process's CPUs (%s); threads are not pinned\n",
                strerror(errno));
        return;
    }
    /* the plan's PUs against the CPUs the process may use: a variable that lies (or a plan
     * for another cpuset) pins nothing */
    for (int i = 0; i < P.npus; i++)
        if (!CPU_ISSET(P.pus[i], &P.rank_set)) {
            fprintf(stderr,
                    "placepin: PLACE_THREAD_PUS '%.60s': PU %d is not one of the "
                    "process's CPUs; threads are not pinned\n",
                    pus, P.pus[i]);
            P.npus = 0;
            return;
        }
    /* helpers: to PLACE_HELPER_PUS where placerun gave it (inside the rank's CPUs) */
    P.helper_set = P.rank_set;
    const char *hv = getenv("PLACE_HELPER_PUS");
    if (hv && *hv) {
        cpu_set_t h;
        CPU_ZERO(&h);
        int ok = 1;
        for (const char *q = hv; *q && ok;) {
            char item[16];
            size_t len = strcspn(q, ",");
            long pu;
            ok = len > 0 && len < sizeof item;
            if (ok) {
                memcpy(item, q, len);
                item[len] = '\0';
                ok = strict_long(item, 0, CPU_SETSIZE - 1, &pu) == 0 && CPU_ISSET(pu, &P.rank_set);
                if (ok)
                    CPU_SET(pu, &h);
            }
            q += len + (q[len] == ',');
        }
        if (ok && CPU_COUNT(&h) > 0)
            P.helper_set = h;
        else
            fprintf(stderr,
                    "placepin: PLACE_HELPER_PUS '%.60s': not a list of the rank's PUs; helpers "
                    "keep the rank's PUs\n",
                    hv);
    }
    if (pthread_key_create(&P.slot_key, release_slot) != 0) {
        fprintf(stderr, "placepin: no thread-specific key left; threads are not pinned\n");
        return;
    }
    P.pid = getpid();
    P.main_tid = (pid_t)syscall(SYS_gettid);
    P.busy[0] = 1; /* the main thread */
    P.on = 1;
    pthread_atfork(NULL, NULL, forked_child);
    return;
bad:
    fprintf(stderr,
            "placepin: PLACE_PIN_THREADS '%.60s': expected PID:auto or PID:0xMASK; "
            "threads are not pinned\n",
            v);
    return;
bad_pus:
    fprintf(stderr,
            "placepin: PLACE_THREAD_PUS '%.60s': not a list of PUs; threads are not "
            "pinned\n",
            pus ? pus : "");
}
