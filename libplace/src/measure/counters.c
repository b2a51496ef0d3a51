/* counters.c: per-thread migrations, switches, faults and CPU time from several backends.
 *
 * Each backend is trusted only after it proved itself: a helper thread pins itself to
 * CPU a, opens the backend, hops a -> b once, and the backend must read exactly one
 * migration. This catches perf_event software counters that an unprivileged user opens
 * at perf_event_paranoid 2 and that then read 0 forever, and a PAPI whose perf_event
 * component is disabled (no PMU in a VM). The helper widens its own affinity within the
 * cgroup, so the probe works even when the caller is pinned to one PU.
 *
 * Counter -> backend preference: PAPI, perf_event, /proc, getrusage, for the counters
 * each offers (perf counts all context switches together, so it does not give the
 * voluntary/involuntary split; getrusage has no migrations).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "base/base.h"
#include "place/counters.h"
#include "place/envnames.h"
#include "place/measure.h"
#include "measure/measure_private.h"

static const char *ctr_names[PLACE_NCTR] = {"migrations",         "involuntary_switches",
                                            "voluntary_switches", "minor_faults",
                                            "major_faults",       "cpu_time_ns"};
static const char *backend_names[PLACE_NBACKEND] = {"none", "papi", "perf_event", "proc",
                                                    "getrusage"};

const char *place_ctr_name(place_ctr c)
{
    return (c >= 0 && c < PLACE_NCTR) ? ctr_names[c] : "?";
}
const char *place_backend_name(place_backend b)
{
    return (b >= 0 && b < PLACE_NBACKEND) ? backend_names[b] : "?";
}

/* Which counters each backend can give at all. */
static const int offers[PLACE_NBACKEND][PLACE_NCTR] = {
    [PLACE_BACKEND_PAPI] = {1, 0, 0, 1, 1, 1},
    [PLACE_BACKEND_PERF] = {1, 0, 0, 1, 1, 1},
    [PLACE_BACKEND_PROC] = {1, 1, 1, 1, 1, 1},
    [PLACE_BACKEND_RUSAGE] = {0, 1, 1, 1, 1, 1},
};

/* perf software events for the counters perf offers. */
static const uint64_t perf_cfg[PLACE_NCTR] = {PERF_COUNT_SW_CPU_MIGRATIONS,
                                              0,
                                              0,
                                              PERF_COUNT_SW_PAGE_FAULTS_MIN,
                                              PERF_COUNT_SW_PAGE_FAULTS_MAJ,
                                              PERF_COUNT_SW_TASK_CLOCK};

struct place_counters {
    pid_t tid;
    int perf_fd[PLACE_NCTR];
    int perf_errno;     /* why the first perf_event_open failed, 0 if none did */
    int perf_user_only; /* opened with exclude_kernel: migrations will read 0 */
    int sched_fd, stat_fd, schedstat_fd;
#ifdef PLACE_HAVE_PAPI
    int papi_set;
    int papi_index[PLACE_NCTR]; /* position in the event set, -1 if absent */
    long long papi_base[PLACE_NCTR];
#endif
};

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static int probed;
static place_backend_status status[PLACE_NBACKEND];
static place_backend choice[PLACE_NCTR];

/* ---- reading one backend -------------------------------------------------------- */

static int pread_text(int fd, char *buf, size_t n)
{
    ssize_t len = fd >= 0 ? pread(fd, buf, n - 1, 0) : -1;
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    return 0;
}

static int64_t sched_value(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p || !(p = strchr(p, ':')))
        return PLACE_UNAVAILABLE;
    return strtoll(p + 1, NULL, 10);
}

static int64_t read_proc(place_counters *c, place_ctr k)
{
    char buf[4096];
    switch (k) {
    case PLACE_CTR_MIGRATIONS:
    case PLACE_CTR_INVOL_SWITCHES:
    case PLACE_CTR_VOL_SWITCHES:
        if (pread_text(c->sched_fd, buf, sizeof buf) < 0)
            return PLACE_UNAVAILABLE;
        return sched_value(buf, k == PLACE_CTR_MIGRATIONS       ? "se.nr_migrations"
                                : k == PLACE_CTR_INVOL_SWITCHES ? "nr_involuntary_switches"
                                                                : "nr_voluntary_switches");
    case PLACE_CTR_MINOR_FAULTS:
    case PLACE_CTR_MAJOR_FAULTS: {
        if (pread_text(c->stat_fd, buf, sizeof buf) < 0)
            return PLACE_UNAVAILABLE;
        /* fields after the command name: 3 state ... 10 minflt, 12 majflt */
        char *p = strrchr(buf, ')');
        int field = 2;
        for (; p && *p; p++)
            if (*p == ' ' && ++field == (k == PLACE_CTR_MINOR_FAULTS ? 10 : 12))
                return strtoll(p + 1, NULL, 10);
        return PLACE_UNAVAILABLE;
    }
    case PLACE_CTR_CPU_TIME_NS:
        if (pread_text(c->schedstat_fd, buf, sizeof buf) < 0)
            return PLACE_UNAVAILABLE;
        return strtoll(buf, NULL, 10);
    default: return PLACE_UNAVAILABLE;
    }
}

static int64_t read_rusage(place_ctr k)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) < 0)
        return PLACE_UNAVAILABLE;
    switch (k) {
    case PLACE_CTR_INVOL_SWITCHES: return ru.ru_nivcsw;
    case PLACE_CTR_VOL_SWITCHES: return ru.ru_nvcsw;
    case PLACE_CTR_MINOR_FAULTS: return ru.ru_minflt;
    case PLACE_CTR_MAJOR_FAULTS: return ru.ru_majflt;
    case PLACE_CTR_CPU_TIME_NS:
        return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
               (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    default: return PLACE_UNAVAILABLE;
    }
}

static int64_t read_perf(place_counters *c, place_ctr k)
{
    uint64_t v;
    if (c->perf_fd[k] < 0 || read(c->perf_fd[k], &v, sizeof v) != sizeof v)
        return PLACE_UNAVAILABLE;
    return (int64_t)v;
}

#ifdef PLACE_HAVE_PAPI
static const place_papi_lib *papi_fn; /* PAPI, once loaded (papi_ready) */

static int64_t read_papi(place_counters *c, place_ctr k)
{
    long long v[PLACE_NCTR];
    if (c->papi_set == PAPI_NULL || c->papi_index[k] < 0 || !papi_fn ||
        papi_fn->read(c->papi_set, v) != PAPI_OK)
        return PLACE_UNAVAILABLE;
    return v[c->papi_index[k]] - c->papi_base[k];
}
#endif

int64_t place_counters_read_backend(place_counters *c, place_backend b, place_ctr k)
{
    if (!c || k < 0 || k >= PLACE_NCTR || !offers[b][k])
        return PLACE_UNAVAILABLE;
    switch (b) {
    case PLACE_BACKEND_PROC: return read_proc(c, k);
    case PLACE_BACKEND_RUSAGE: return read_rusage(k);
    case PLACE_BACKEND_PERF: return read_perf(c, k);
#ifdef PLACE_HAVE_PAPI
    case PLACE_BACKEND_PAPI: return read_papi(c, k);
#endif
    default: return PLACE_UNAVAILABLE;
    }
}

/* ---- opening ---------------------------------------------------------------------- */

/* Opens a software event counting the calling thread. Migrations happen in the kernel,
 * so the event must include kernel mode; at perf_event_paranoid 2 an unprivileged user
 * may only open user-mode events, which then never count a migration: that fallback is
 * taken (as other tools do) and the probe catches it by reading 0. */
static int perf_open(uint64_t config, place_counters *c)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = config;
    int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EPERM)) {
        a.exclude_kernel = 1;
        a.exclude_hv = 1;
        fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd >= 0)
            c->perf_user_only = 1;
    }
    if (fd < 0 && !c->perf_errno)
        c->perf_errno = errno;
    return fd;
}

#ifdef PLACE_HAVE_PAPI
/* PAPI event names per counter; PLACE_PAPI_EVENTS overrides ("migrations=NAME,..."). */
static void papi_event_name(place_ctr k, char *out, size_t n)
{
    static const char *def[PLACE_NCTR] = {
        "perf::CPU-MIGRATIONS", NULL, NULL, "perf::MINOR-FAULTS", "perf::MAJOR-FAULTS",
        "perf::TASK-CLOCK"};
    out[0] = '\0';
    if (def[k])
        snprintf(out, n, "%s", def[k]);
    const char *env = place_env_get(PLACE_ENV_PAPI_EVENTS);
    if (!env)
        return;
    size_t kl = strlen(ctr_names[k]);
    for (const char *p = env; *p;) {
        size_t len = strcspn(p, ",");
        if (len > kl && !strncmp(p, ctr_names[k], kl) && p[kl] == '=')
            snprintf(out, n, "%.*s", (int)(len - kl - 1), p + kl + 1);
        p += len + (p[len] == ',');
    }
}

/* PAPI's initialisation, once per process (pthread_once: two threads opening counters at
 * once do not both initialise it), and why it failed. */
static int papi_state; /* 1 ready, -1 not */
static char papi_reason[160];

static void papi_init_once(void)
{
    int state = 0, v = 0;
    const place_papi_lib *P = place_papi_lib_get(papi_reason, sizeof papi_reason);
    if (!P)
        state = -1; /* the library itself is not there: the reason says which file */
    else if ((v = P->library_init(PAPI_VER_CURRENT)) != PAPI_VER_CURRENT && v != PAPI_OK) {
        snprintf(papi_reason, sizeof papi_reason, "PAPI_library_init failed: %s", P->error_text(v));
        state = -1;
    } else if (P->thread_init((unsigned long (*)(void))pthread_self) != PAPI_OK) {
        snprintf(papi_reason, sizeof papi_reason, "PAPI_thread_init failed");
        state = -1;
    } else {
        int cid = P->get_component_index("perf_event");
        const PAPI_component_info_t *ci = cid >= 0 ? P->get_component_info(cid) : NULL;
        if (!ci)
            snprintf(papi_reason, sizeof papi_reason, "PAPI has no perf_event component"),
                state = -1;
        else if (ci->disabled)
            snprintf(papi_reason, sizeof papi_reason,
                     "PAPI component perf_event is disabled: %.100s", ci->disabled_reason),
                state = -1;
        else
            state = 1;
    }
    papi_fn = state > 0 ? P : NULL;
    papi_state = state;
}

static int papi_ready(char *why, size_t n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, papi_init_once);
    if (papi_state < 0 && why)
        snprintf(why, n, "%s", papi_reason);
    return papi_state > 0;
}
#endif

int place_counters_open(place_counters **out, place_error *err)
{
    place_counters *c = calloc(1, sizeof *c);
    if (!c)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    c->tid = (pid_t)syscall(SYS_gettid);
    char path[80];
    snprintf(path, sizeof path, "/proc/self/task/%d/sched", (int)c->tid);
    c->sched_fd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)c->tid);
    c->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)c->tid);
    c->schedstat_fd = open(path, O_RDONLY | O_CLOEXEC);
    for (int k = 0; k < PLACE_NCTR; k++)
        c->perf_fd[k] = offers[PLACE_BACKEND_PERF][k] ? perf_open(perf_cfg[k], c) : -1;
#ifdef PLACE_HAVE_PAPI
    c->papi_set = PAPI_NULL;
    for (int k = 0; k < PLACE_NCTR; k++)
        c->papi_index[k] = -1;
    if (papi_ready(NULL, 0) && papi_fn->create_eventset(&c->papi_set) == PAPI_OK) {
        int n = 0;
        for (int k = 0; k < PLACE_NCTR; k++) {
            char name[128];
            papi_event_name((place_ctr)k, name, sizeof name);
            if (*name && papi_fn->add_named_event(c->papi_set, name) == PAPI_OK)
                c->papi_index[k] = n++;
        }
        if (n == 0 || papi_fn->start(c->papi_set) != PAPI_OK) {
            papi_fn->cleanup_eventset(c->papi_set);
            papi_fn->destroy_eventset(&c->papi_set);
            c->papi_set = PAPI_NULL;
        } else {
            for (int k = 0; k < PLACE_NCTR; k++)
                c->papi_base[k] = 0;
        }
    }
#endif
    *out = c;
    return 0;
}

void place_counters_free(place_counters *c)
{
    if (!c)
        return;
    for (int k = 0; k < PLACE_NCTR; k++)
        if (c->perf_fd[k] >= 0)
            close(c->perf_fd[k]);
    if (c->sched_fd >= 0)
        close(c->sched_fd);
    if (c->stat_fd >= 0)
        close(c->stat_fd);
    if (c->schedstat_fd >= 0)
        close(c->schedstat_fd);
#ifdef PLACE_HAVE_PAPI
    if (c->papi_set != PAPI_NULL && papi_fn) {
        long long v[PLACE_NCTR];
        papi_fn->stop(c->papi_set, v);
        papi_fn->cleanup_eventset(c->papi_set);
        papi_fn->destroy_eventset(&c->papi_set);
    }
#endif
    free(c);
}

/* ---- the probe -------------------------------------------------------------------- */

/* Two CPUs this thread may run on (within the cgroup): found by trying to pin. */
static int two_cpus(int *a, int *b)
{
    int found = 0;
    cpu_set_t cs;
    for (int i = 0; i < CPU_SETSIZE && found < 2; i++) {
        CPU_ZERO(&cs);
        CPU_SET(i, &cs);
        if (sched_setaffinity(0, sizeof cs, &cs) == 0)
            (found++ ? (*b = i) : (*a = i));
    }
    return found == 2 ? 0 : -1;
}

static void pin(int cpu)
{
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(cpu, &cs);
    sched_setaffinity(0, sizeof cs, &cs);
    sched_yield();
}

static void *probe_thread(void *arg)
{
    (void)arg;
    for (int b = 0; b < PLACE_NBACKEND; b++)
        status[b].usable = 0;
    int a, b;
    if (two_cpus(&a, &b) < 0) {
        for (int k = PLACE_BACKEND_PAPI; k < PLACE_NBACKEND; k++)
            snprintf(status[k].why, sizeof status[k].why,
                     "only one CPU is allowed: no migration can be forced to verify the backend");
        status[PLACE_BACKEND_RUSAGE].usable = 1; /* has no migrations to verify */
        status[PLACE_BACKEND_RUSAGE].why[0] = '\0';
        return NULL;
    }
    pin(a);
    place_counters *c;
    if (place_counters_open(&c, NULL) < 0)
        return NULL;
    int64_t before[PLACE_NBACKEND], after[PLACE_NBACKEND];
    for (int k = PLACE_BACKEND_PAPI; k < PLACE_NBACKEND; k++)
        before[k] = place_counters_read_backend(c, (place_backend)k, PLACE_CTR_MIGRATIONS);
    pin(b);
    for (int k = PLACE_BACKEND_PAPI; k < PLACE_NBACKEND; k++)
        after[k] = place_counters_read_backend(c, (place_backend)k, PLACE_CTR_MIGRATIONS);
    for (int k = PLACE_BACKEND_PAPI; k <= PLACE_BACKEND_PROC; k++) {
        place_backend_status *s = &status[k];
        if (before[k] == PLACE_UNAVAILABLE || after[k] == PLACE_UNAVAILABLE) {
            if (k == PLACE_BACKEND_PERF)
                snprintf(s->why, sizeof s->why, "perf_event_open of software events failed: %s",
                         strerror(c->perf_errno));
            else if (k == PLACE_BACKEND_PROC)
                snprintf(s->why, sizeof s->why, "/proc/self/task/TID/sched is not readable");
#ifdef PLACE_HAVE_PAPI
            else if (!papi_ready(s->why, sizeof s->why - 1))
                ;
            else
                snprintf(s->why, sizeof s->why,
                         "PAPI has no migration event (set PLACE_PAPI_EVENTS)");
#else
            else
                snprintf(s->why, sizeof s->why,
                         "built without PAPI (-DPLACE_WITH_PAPI=ON needs libpapi-dev)");
#endif
            continue;
        }
        int64_t d = after[k] - before[k];
        s->usable = d == 1;
        if (!s->usable)
            snprintf(
                s->why, sizeof s->why, "a forced migration (CPU %d -> %d) read %lld, not 1%s", a, b,
                (long long)d,
                k == PLACE_BACKEND_PERF && c->perf_user_only
                    ? " (opened user-mode only: perf_event_paranoid forbids kernel events without privileges)"
                    : "");
    }
    status[PLACE_BACKEND_RUSAGE].usable = read_rusage(PLACE_CTR_VOL_SWITCHES) != PLACE_UNAVAILABLE;
    if (!status[PLACE_BACKEND_RUSAGE].usable)
        snprintf(status[PLACE_BACKEND_RUSAGE].why, sizeof status[0].why,
                 "getrusage(RUSAGE_THREAD) failed");
    place_counters_free(c);
    return NULL;
}

void place_counters_reprobe(void)
{
    pthread_mutex_lock(&probe_lock);
    probed = 0;
    pthread_mutex_unlock(&probe_lock);
}

void place_counters_probe(place_backend_status st[PLACE_NBACKEND], place_backend chosen[PLACE_NCTR])
{
    pthread_mutex_lock(&probe_lock);
    if (!probed) {
        memset(status, 0, sizeof status);
        snprintf(status[PLACE_BACKEND_NONE].why, sizeof status[0].why, "no backend");
        pthread_t th;
        if (pthread_create(&th, NULL, probe_thread, NULL) == 0)
            pthread_join(th, NULL);
        for (int k = 0; k < PLACE_NCTR; k++) {
            choice[k] = PLACE_BACKEND_NONE;
            for (int b = PLACE_BACKEND_PAPI; b < PLACE_NBACKEND; b++)
                if (status[b].usable && offers[b][k]) {
                    choice[k] = (place_backend)b;
                    break;
                }
        }
        probed = 1;
    }
    if (st)
        memcpy(st, status, sizeof status);
    if (chosen)
        memcpy(chosen, choice, sizeof choice);
    pthread_mutex_unlock(&probe_lock);
}

void place_counters_read_some(place_counters *c, int64_t v[PLACE_NCTR], unsigned mask)
{
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(NULL, chosen);
    /* /proc/.../sched holds migrations and both switch counts: read it once */
    unsigned sched_mask = (1u << PLACE_CTR_MIGRATIONS) | (1u << PLACE_CTR_INVOL_SWITCHES) |
                          (1u << PLACE_CTR_VOL_SWITCHES);
    int sched_read = 0;
    char buf[4096];
    for (int k = 0; k < PLACE_NCTR; k++) {
        if (!(mask & (1u << k)))
            continue;
        if (chosen[k] == PLACE_BACKEND_NONE) {
            v[k] = PLACE_UNAVAILABLE;
        } else if (chosen[k] == PLACE_BACKEND_PROC && (sched_mask & (1u << k))) {
            if (!sched_read)
                sched_read = pread_text(c->sched_fd, buf, sizeof buf) == 0 ? 1 : -1;
            v[k] = sched_read < 0 ? PLACE_UNAVAILABLE
                                  : sched_value(buf, k == PLACE_CTR_MIGRATIONS ? "se.nr_migrations"
                                                     : k == PLACE_CTR_INVOL_SWITCHES
                                                         ? "nr_involuntary_switches"
                                                         : "nr_voluntary_switches");
        } else {
            v[k] = place_counters_read_backend(c, chosen[k], (place_ctr)k);
        }
    }
}

void place_counters_read(place_counters *c, int64_t v[PLACE_NCTR])
{
    place_counters_read_some(c, v, (1u << PLACE_NCTR) - 1);
}
