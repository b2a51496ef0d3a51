/* placemon: the library that `placerun --monitor FILE` preloads into an unmodified
 * application.
 *
 * A checker on purpose: it reads PLACE_* itself, with its own strict parsing, instead of
 * libplace's contract module (libplace/src/contract/runenv.c). It checks what that code set up, so
 * it must not share its code, and a preloaded library stays free of libplace.
 *
 * A sampler thread wakes every PLACE_MONITOR_INTERVAL_US (default 10000) and, for every
 * thread of the process, reads the CPU it last ran on (/proc/self/task/TID/stat, field
 * 39), its affinity, and its migrations and context switches (/proc/self/task/TID/sched:
 * exact and readable without privileges, unlike perf software counters at
 * perf_event_paranoid 2, which open and read 0). At exit it writes one JSON object:
 * per thread the PU the plan gave it (when its mask is a single planned PU), the CPUs
 * seen, migrations and switches; and what the sampling cost (CPU time of the sampler per
 * sample and as a fraction of the run).
 *
 * It activates only in the process placerun exec'd (PLACE_MONITOR_PID), so that children
 * the application forks do not overwrite the file.
 *
 * The report is left however the process ends. exit() (or a return from main) writes it
 * through the destructor, "complete": true. _exit and _Exit (dash ends `sh -c` that way)
 * are interposed and write it first; SIGTERM, when the application has no handler of its
 * own, has the sampler write it before the signal takes its default course; and a snapshot
 * is kept on disk from the first sample on, at most once a second, for the ends nothing
 * can catch (SIGKILL, the OOM killer). Those reports say "complete": false and "ended_by".
 *
 * The table holds 4,096 threads; a thread that has exited gives its slot to a new one
 * when the table is full (its counters go to "exited_threads_folded"), so a program that
 * starts threads in waves is followed to its end. Threads beyond 4,096 alive at once are
 * counted once each (threads_untracked), not once per sample.
 *
 * Mask changes it did not sample are not lost: sched_setaffinity and pthread_setaffinity_np
 * are interposed, so every mask the process sets (the program, its OpenMP or MPI runtime,
 * --pin-threads' library) is seen when it is set, with the library that set it. A thread's
 * migrations are counted from its last mask change on: from right after the call for a
 * thread that set its own mask (the kernel moves it inside the call), else from the first
 * sample that finds it on a CPU of its new mask (a thread asleep is moved when it wakes).
 * Open MPI's MPI_Init setting a thread's mask to [0], [1], [0] between two samples is three
 * mask changes, not two migrations under a fixed mask. Changes made from outside the
 * process (taskset -p) are seen only when sampled.
 *
 * Worker processes a program forks (and does not exec) are followed: their CPU time is
 * sampled and the verdict says they are not watched, instead of an "ok" over threads that
 * did no work.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "strictnum.h"

#define MAX_THREADS 4096
#define MAX_CPUS 1024
#define KEPT_FDS                                                                                   \
    128 /* descriptors kept open (2 per thread, 64 threads); the rest are opened
                        per sample, so the application keeps its own descriptor budget */

#define PID_BITS (1 << 22) /* the kernel's largest pid_max */

typedef struct rec {
    int tid;
    char comm[32];
    unsigned long long seen[MAX_CPUS / 64];
    unsigned long long seen_since[MAX_CPUS / 64]; /* since its mask last changed */
    char affinity[256];
    long migrations, invol, vol;
    long mig_at_mask; /* migrations when its mask was first seen or last changed */
    int mask_changes; /* changes of its mask, seen or intercepted, after the first sample */
    int pending;      /* its mask was set from another thread or process: migrations count
                            once it is seen on a CPU of the new mask */
    unsigned ev_seq, ev_pin_seq; /* the intercepted sets of its mask taken in so far */
    int prog_sets, pin_sets;     /* sets by the program (its libraries), by --pin-threads */
    int last_setter;             /* of its mask: 0 as first sampled, 1 the program, 2
                                    --pin-threads, 3 from outside the process */
    char set_by[40];             /* the library of the program's last set */
    long long cpu_ticks;         /* utime + stime */
    long samples;
    int alive; /* seen in the sample now under way, or the last one */
    int gone;  /* missing from a whole sample: exited; its slot may go to a new thread */
    int stat_fd, sched_fd; /* kept open (the first threads): pread at 0 re-reads procfs
                              without a path lookup; -1: opened per sample */
} rec;

static struct {
    int on;
    pid_t pid;
    const char *out;
    long interval_us;
    pthread_t thread;
    pid_t sampler_tid;
    int wake[2]; /* a byte here wakes the sampler (stop, or a signal) */
    int done[2]; /* the sampler's answer to a signal: the report is written */
    volatile sig_atomic_t stop, term_sig;
    int finishing; /* the final report is being written (one writer only) */
    rec *recs;
    int nrecs;
    long samples;
    double start, sampler_cpu;
    int planned[MAX_CPUS], nplanned;
    int kept_fds;                  /* descriptors held open now */
    long untracked;                /* threads beyond MAX_THREADS, seen but not recorded: distinct */
    unsigned char *untracked_bits; /* by tid, made on the first such thread */
    long folded, folded_mig, folded_invol, folded_vol; /* exited threads whose slot went */
    int folded_unavailable;                            /* one of them had no counters */
    int kids[2]; /* a forked child writes its pid here (fork without exec) */
    int kid_pid[1024], nkids;
    long long kid_ticks[1024]; /* their CPU time while still a copy of this program */
    int kid_execd[1024];       /* it exec'd another program: not a worker of this one */
    long kids_lost;            /* forks beyond the table */
    int status, status_known;  /* the exit status, where it is known (for a lost report) */
    unsigned long long noisy[MAX_CPUS / 64]; /* PLACE_NOISY_PUS: the profile's noisy PUs */
    int have_noisy;
} M = {.wake = {-1, -1}, .done = {-1, -1}, .kids = {-1, -1}};

/* ---- masks set inside the process ------------------------------------------------------
 * Every call that sets a thread's mask, seen as it returns: per thread, how many sets by the
 * program and by --pin-threads' library, and the thread's migrations right after the call
 * when it set its own mask. The sampler takes them in. A set on another thread through
 * pthread_setaffinity_np names no tid: its mask is kept, and a thread whose mask becomes
 * that one is taken to have been set by the program. */
#define MAX_SETS 4096
typedef struct set_ev {
    int tid;
    unsigned seq, pin_seq;
    int last;       /* the last set: 1 the program's, 2 --pin-threads' */
    long mig_after; /* -1: not known (set from another thread) */
    char by[40];
} set_ev;
static set_ev sets[MAX_SETS];
static cpu_set_t foreign[16]; /* masks set on threads of unknown tid */
static unsigned nforeign;
static pthread_mutex_t sets_mu = PTHREAD_MUTEX_INITIALIZER;

typedef int (*setaff_fn)(pid_t, size_t, const cpu_set_t *);
typedef int (*psetaff_fn)(pthread_t, size_t, const cpu_set_t *);
static setaff_fn real_setaff;
static psetaff_fn real_psetaff;
static void resolve_setaff(void)
{
    real_setaff = (setaff_fn)dlsym(RTLD_NEXT, "sched_setaffinity");
    real_psetaff = (psetaff_fn)dlsym(RTLD_NEXT, "pthread_setaffinity_np");
}

static int real_setaff_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, resolve_setaff);
    return 1;
}

/* This thread's migrations (se.nr_migrations), -1 when unreadable. */
static long own_migrations(void)
{
    char buf[4096];
    int fd = open("/proc/thread-self/sched", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *p = strstr(buf, "se.nr_migrations");
    p = p ? strchr(p, ':') : NULL;
    return p ? strtol(p + 1, NULL, 10) : -1;
}

static void note_set(int tid, int self, const cpu_set_t *mask, size_t sz, const void *caller)
{
    Dl_info di;
    const char *lib = "?";
    if (caller && dladdr(caller, &di) && di.dli_fname) {
        lib = strrchr(di.dli_fname, '/');
        lib = lib ? lib + 1 : di.dli_fname;
    }
    int pin = !strncmp(lib, "libplacepin", 11);
    long mig = self ? own_migrations() : -1;
    pthread_mutex_lock(&sets_mu);
    if (tid <= 0) { /* another thread, tid unknown: its mask is remembered */
        CPU_ZERO(&foreign[nforeign % 16]);
        memcpy(&foreign[nforeign % 16], mask, sz < sizeof(cpu_set_t) ? sz : sizeof(cpu_set_t));
        nforeign++;
    } else {
        unsigned h = (unsigned)tid % MAX_SETS;
        for (int i = 0; i < MAX_SETS; i++, h = (h + 1) % MAX_SETS)
            if (sets[h].tid == tid || sets[h].tid == 0) {
                set_ev *e = &sets[h];
                e->tid = tid;
                e->last = pin ? 2 : 1;
                if (pin) {
                    e->pin_seq++;
                } else {
                    e->seq++;
                    snprintf(e->by, sizeof e->by, "%s", lib);
                }
                e->mig_after = mig;
                break;
            }
    }
    pthread_mutex_unlock(&sets_mu);
}

int sched_setaffinity(pid_t pid, size_t sz, const cpu_set_t *mask)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, resolve_setaff);
    if (!real_setaff) {
        errno = ENOSYS;
        return -1;
    }
    int rc = real_setaff(pid, sz, mask);
    if (rc == 0 && M.on && getpid() == M.pid) {
        int me = (int)syscall(SYS_gettid);
        int tid = pid == 0 ? me : (int)pid;
        note_set(tid, tid == me, mask, sz, __builtin_return_address(0));
    }
    return rc;
}

int pthread_setaffinity_np(pthread_t th, size_t sz, const cpu_set_t *mask)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, resolve_setaff);
    if (!real_psetaff)
        return ENOSYS;
    int rc = real_psetaff(th, sz, mask);
    if (rc == 0 && M.on && getpid() == M.pid) {
        int self = pthread_equal(th, pthread_self());
        note_set(self ? (int)syscall(SYS_gettid) : 0, self, mask, sz, __builtin_return_address(0));
    }
    return rc;
}

/* The lines said at the end go to a copy of the standard error taken at start: a program
 * may close its own before it exits (xz does, to check that its output was written). */
static FILE *err_out;
static FILE *errf(void)
{
    return err_out ? err_out : stderr;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int read_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, n - 1, f);
    buf[len] = '\0';
    fclose(f);
    return (int)len;
}

static int pread_all(int fd, char *buf, size_t n)
{
    ssize_t len = fd >= 0 ? pread(fd, buf, n - 1, 0) : -1;
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    return (int)len;
}

static long sched_field(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (!p)
        return -1;
    p = strchr(p, ':');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

/* A slot for a new thread: a free one, else the first exited thread's, whose counters are
 * folded into the report's totals for exited threads. NULL when all are alive. */
static rec *new_slot(void)
{
    if (M.nrecs < MAX_THREADS)
        return &M.recs[M.nrecs++];
    for (int i = 0; i < M.nrecs; i++) {
        rec *r = &M.recs[i];
        if (!r->gone)
            continue;
        if (r->migrations < 0 || r->invol < 0 || r->vol < 0)
            M.folded_unavailable = 1;
        M.folded++;
        M.folded_mig += r->migrations > 0 ? r->migrations : 0;
        M.folded_invol += r->invol > 0 ? r->invol : 0;
        M.folded_vol += r->vol > 0 ? r->vol : 0;
        return r;
    }
    return NULL;
}

static rec *find(int tid)
{
    for (int i = 0; i < M.nrecs; i++)
        if (M.recs[i].tid == tid && !M.recs[i].gone)
            return &M.recs[i];
    rec *r = new_slot();
    if (!r) {
        if (!M.untracked_bits)
            M.untracked_bits = calloc(PID_BITS / 8, 1);
        if (M.untracked_bits && tid < PID_BITS) {
            unsigned char *b = &M.untracked_bits[tid / 8], bit = (unsigned char)(1u << (tid % 8));
            if (!(*b & bit))
                M.untracked++;
            *b |= bit;
        } else {
            M.untracked++; /* no memory to tell them apart: an upper bound */
        }
        return NULL;
    }
    memset(r, 0, sizeof *r);
    r->tid = tid;
    r->migrations = r->invol = r->vol = -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
    if (read_file(path, r->comm, sizeof r->comm) > 0)
        r->comm[strcspn(r->comm, "\n")] = '\0';
    r->stat_fd = r->sched_fd = -1;
    if (M.kept_fds + 2 <= KEPT_FDS) {
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
        r->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/self/task/%d/sched", tid);
        r->sched_fd = open(path, O_RDONLY | O_CLOEXEC);
        M.kept_fds += (r->stat_fd >= 0) + (r->sched_fd >= 0);
    }
    return r;
}

/* A task's procfs file: through the kept descriptor, or opened for this sample only. */
static int read_task(int fd, int tid, const char *name, char *buf, size_t n)
{
    if (fd >= 0)
        return pread_all(fd, buf, n);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", tid, name);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    int len = pread_all(f, buf, n);
    if (f >= 0)
        close(f);
    return len;
}

/* The intercepted sets of thread tid's mask (a copy), or an empty entry. */
static set_ev events_of(int tid)
{
    set_ev e = {0, 0, 0, 0, -1, ""};
    pthread_mutex_lock(&sets_mu);
    unsigned h = (unsigned)tid % MAX_SETS;
    for (int i = 0; i < MAX_SETS && sets[h].tid; i++, h = (h + 1) % MAX_SETS)
        if (sets[h].tid == tid) {
            e = sets[h];
            break;
        }
    pthread_mutex_unlock(&sets_mu);
    return e;
}

/* Whether a mask set on a thread of unknown tid (pthread_setaffinity_np) is this one. */
static int foreign_mask(const cpu_set_t *cs)
{
    int hit = 0;
    pthread_mutex_lock(&sets_mu);
    for (unsigned i = 0; i < nforeign && i < 16 && !hit; i++)
        hit = CPU_EQUAL(&foreign[i], cs);
    pthread_mutex_unlock(&sets_mu);
    return hit;
}

/* The thread's mask as sampled (read before its counters), with the sets intercepted since
 * the last sample: what the thread does from its last mask change on is measured against
 * that mask. A set that was made by the thread itself starts the count right after the
 * call; any other change (set from another thread, or from outside) once the thread is
 * seen on a CPU of the new mask. */
static void take_mask(rec *r, int tid, const cpu_set_t *cs, int cpu)
{
    char now[sizeof r->affinity];
    size_t at = 0;
    now[0] = '\0';
    for (int i = 0; i < CPU_SETSIZE && at + 8 < sizeof now; i++)
        if (CPU_ISSET(i, cs))
            at += (size_t)snprintf(now + at, sizeof now - at, "%s%d", at ? "," : "", i);
    set_ev ev = events_of(tid);
    int changed = r->samples > 0 && strcmp(now, r->affinity);
    if (ev.seq != r->ev_seq || ev.pin_seq != r->ev_pin_seq) {
        int prog = (int)(ev.seq - r->ev_seq), pin = (int)(ev.pin_seq - r->ev_pin_seq);
        r->prog_sets += prog;
        r->pin_sets += pin;
        r->mask_changes += prog + pin;
        if (prog > 0)
            snprintf(r->set_by, sizeof r->set_by, "%s", ev.by);
        r->last_setter = ev.last;
        r->ev_seq = ev.seq;
        r->ev_pin_seq = ev.pin_seq;
        r->pending = ev.mig_after < 0;
        if (!r->pending)
            r->mig_at_mask = ev.mig_after;
    } else if (changed) { /* not set through a call seen here */
        r->mask_changes++;
        if (foreign_mask(cs)) {
            r->prog_sets++;
            r->last_setter = 1;
            snprintf(r->set_by, sizeof r->set_by, "%s", "pthread_setaffinity_np");
        } else {
            r->last_setter = 3;
        }
        r->pending = 1;
    }
    if (r->samples == 0 && !r->ev_seq && !r->ev_pin_seq)
        r->mig_at_mask = r->migrations;
    if (r->samples == 0 || changed || r->pending)
        memset(r->seen_since, 0, sizeof r->seen_since);
    memcpy(r->affinity, now, sizeof now);
    int inside = cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, cs);
    if (r->pending && inside) {
        r->pending = 0;
        r->mig_at_mask = r->migrations;
    }
    if (inside)
        r->seen_since[cpu / 64] |= 1ULL << (cpu % 64);
}

static void sample_one(int tid)
{
    char buf[4096];
    rec *r = find(tid);
    if (!r)
        return;
    /* the mask before the counters: a thread that sets its own mask is moved inside that
     * call, so a mask read first is never newer than the migration count read after it
     * (read the other way round, the move could fall between the two reads and count as a
     * migration under the new mask) */
    cpu_set_t cs;
    int have_mask = sched_getaffinity(tid, sizeof cs, &cs) == 0;
    if (read_task(r->stat_fd, tid, "stat", buf, sizeof buf) <= 0)
        return; /* exited between readdir and now */
    /* fields 14, 15 (utime, stime) and 39 (processor), counted after the ")" that closes
     * the command name */
    char *p = strrchr(buf, ')');
    int field = 2, cpu = -1;
    long long ticks = 0;
    for (; p && *p; p++)
        if (*p == ' ') {
            ++field;
            if (field != 14 && field != 15 && field != 39)
                continue;
            char *end;
            long long v = strtoll(p + 1, &end, 10);
            int ok = end > p + 1 && (*end == ' ' || !*end) && v >= 0;
            if (field == 39) {
                cpu = ok && v < MAX_CPUS ? (int)v : -1;
                break;
            }
            ticks += ok ? v : 0;
        }
    r->cpu_ticks = ticks;
    if (cpu >= 0 && cpu < MAX_CPUS)
        r->seen[cpu / 64] |= 1ULL << (cpu % 64);
    if (read_task(r->sched_fd, tid, "sched", buf, sizeof buf) > 0) {
        r->migrations = sched_field(buf, "se.nr_migrations");
        r->invol = sched_field(buf, "nr_involuntary_switches");
        r->vol = sched_field(buf, "nr_voluntary_switches");
    }
    if (have_mask)
        take_mask(r, tid, &cs, cpu);
    r->samples++;
    r->alive = 1;
}

static void sample_kids(void);

static void sample_all(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    for (int i = 0; i < M.nrecs; i++)
        M.recs[i].alive = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long tid;
        if (strict_long(e->d_name, 1, INT_MAX, &tid) == 0 && tid != M.sampler_tid)
            sample_one((int)tid);
    }
    closedir(d);
    for (int i = 0; i < M.nrecs; i++)
        M.recs[i].gone |= !M.recs[i].alive;
    sample_kids();
    for (int i = 0; i < M.nrecs; i++)
        if (!M.recs[i].alive && (M.recs[i].stat_fd >= 0 || M.recs[i].sched_fd >= 0)) {
            M.kept_fds -= (M.recs[i].stat_fd >= 0) + (M.recs[i].sched_fd >= 0);
            if (M.recs[i].stat_fd >= 0)
                close(M.recs[i].stat_fd);
            if (M.recs[i].sched_fd >= 0)
                close(M.recs[i].sched_fd);
            M.recs[i].stat_fd = M.recs[i].sched_fd = -1;
        }
    M.samples++;
}

static int write_report(const char *ended_by, int complete, int final);

static void sampler_cpu_now(void)
{
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    M.sampler_cpu = cpu.tv_sec + cpu.tv_nsec * 1e-9;
}

/* Samples every interval; keeps a snapshot of the report on disk (the first after the
 * first sample, then at most once a second, and never more than 2% of the time); answers
 * SIGTERM (the handler wakes it) with the final report. Every signal is blocked here. */
static void sampler_placement(void);

static void *sampler(void *arg)
{
    (void)arg;
    M.sampler_tid = (pid_t)syscall(SYS_gettid);
    sampler_placement();
    double next_snap = 0;
    while (!M.stop && !M.term_sig) {
        sample_all();
        double t = mono();
        if (t >= next_snap) {
            sampler_cpu_now();
            write_report("unknown: the last snapshot taken while the process ran (a process "
                         "killed without warning, e.g. by SIGKILL, leaves this one)",
                         0, 0);
            double took = mono() - t;
            next_snap = mono() + (took * 50 > 1.0 ? took * 50 : 1.0);
        }
        struct pollfd pf = {.fd = M.wake[0], .events = POLLIN};
        int ms = (int)((M.interval_us + 999) / 1000);
        if (poll(&pf, 1, ms) > 0) {
            char buf[16];
            while (read(M.wake[0], buf, sizeof buf) > 0)
                ;
        }
    }
    if (M.term_sig && !M.stop) {
        sample_all();
        sampler_cpu_now();
        write_report(M.term_sig == SIGTERM ? "SIGTERM" : "a signal", 0, 1);
        char c = 1;
        (void)!write(M.done[1], &c, 1);
        return NULL;
    }
    sampler_cpu_now();
    return NULL;
}

static char *seen_list(const unsigned long long *bits, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < MAX_CPUS && at + 8 < n; i++)
        if (bits[i / 64] & (1ULL << (i % 64)))
            at += (size_t)snprintf(buf + at, n - at, "%s%d", at ? "," : "", i);
    return buf;
}

/* The plan's thread whose PU is this thread's only allowed CPU, or -1. */
static int planned_thread(const rec *r)
{
    if (!*r->affinity || strchr(r->affinity, ',') || strchr(r->affinity, '-'))
        return -1;
    long pu;
    if (strict_long(r->affinity, 0, 65535, &pu) < 0)
        return -1;
    for (int i = 0; i < M.nplanned; i++)
        if (M.planned[i] == pu)
            return i;
    return -1;
}

static json_t *counter(long v)
{
    return v < 0 ? json_string("unavailable") : json_integer(v);
}

/* A compute thread used at least a fifth of the CPU time of the busiest thread, and at
 * least two clock ticks; the others (the MPI and OpenMP runtimes' progress and helper
 * threads, a main thread that waits for its workers) are helpers: they take no plan thread
 * and do not count in the verdict. Relative to the busiest thread, not to the wall time: on
 * a loaded machine a worker may get a few percent of the wall time and still do the work
 * (zstd -T2 beside a co-runner). */
static long long busiest_ticks(void)
{
    long long m = 0;
    for (int i = 0; i < M.nrecs; i++)
        m = M.recs[i].cpu_ticks > m ? M.recs[i].cpu_ticks : m;
    return m;
}

static int is_compute(const rec *r, long long busiest)
{
    return r->cpu_ticks >= 2 && 5 * r->cpu_ticks >= busiest;
}

/* Migrations under the mask the thread has now (none yet while it has not run under it). */
static long since_mask(const rec *r)
{
    if (r->migrations < 0 || r->mig_at_mask < 0)
        return -1;
    long d = r->pending ? 0 : r->migrations - r->mig_at_mask;
    return d < 0 ? 0 : d;
}

/* Whether this process loaded an MPI library (a rank of a job of several that did not
 * runs alone: a thread-MPI program started twice, a serial tool under mpirun). */
static int loaded_mpi(void)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -1;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "/libmpi") != NULL;
    fclose(f);
    return found;
}

static void add_word(char *buf, size_t n, const char *w)
{
    size_t at = strlen(buf);
    snprintf(buf + at, n - at, "%s%s", at ? "; " : "", w);
}

/* The compute threads seen on a PU the noise profile calls noisy under the mask they have
 * now (not before their binding), with those PUs. */
static json_t *noisy_threads(long long busiest)
{
    json_t *noisy = json_array();
    for (int i = 0; M.have_noisy && i < M.nrecs; i++) {
        const rec *r = &M.recs[i];
        unsigned long long on[MAX_CPUS / 64];
        int any = 0;
        for (int k = 0; k < MAX_CPUS / 64; k++)
            any |= (on[k] = r->seen_since[k] & M.noisy[k]) != 0;
        char buf[1024];
        if (any && is_compute(r, busiest))
            json_array_append_new(noisy, json_pack("{s:i,s:s}", "tid", r->tid, "pus",
                                                   seen_list(on, buf, sizeof buf)));
    }
    return noisy;
}

/* The compute threads on a planned PU that another compute thread is on too. */
static json_t *sharing_threads(long long busiest, const unsigned short *on_pu)
{
    json_t *shared = json_array();
    for (int i = 0; i < M.nrecs; i++) {
        const rec *r = &M.recs[i];
        int t = planned_thread(r);
        if (t >= 0 && M.planned[t] < MAX_CPUS && on_pu[M.planned[t]] > 1 && is_compute(r, busiest))
            json_array_append_new(shared,
                                  json_pack("{s:i,s:i}", "tid", r->tid, "pu", M.planned[t]));
    }
    return shared;
}

/* The forked children that did not exec: how many, how many worked, their CPU seconds. */
static double forked_children(double hz, int *kids, int *working)
{
    double cpu_s = 0;
    for (int i = 0; i < M.nkids; i++)
        if (!M.kid_execd[i]) {
            (*kids)++;
            *working += M.kid_ticks[i] >= 2;
            cpu_s += hz > 0 ? M.kid_ticks[i] / hz : 0;
        }
    return cpu_s;
}

/* The verdict on this rank's threads: ok, or what went wrong, in one line. */
static json_t *verdict(double wall, int final, long rank)
{
    double hz = (double)sysconf(_SC_CLK_TCK);
    long long busiest = busiest_ticks();
    int ncomp = 0, nhelp = 0, nself = 0, npin = 0;
    const char *self_by = NULL;
    static unsigned short on_pu[MAX_CPUS];
    memset(on_pu, 0, sizeof on_pu);
    json_t *off = json_array(), *moved = json_array();
    for (int i = 0; i < M.nrecs; i++) {
        const rec *r = &M.recs[i];
        if (!is_compute(r, busiest)) {
            nhelp++;
            continue;
        }
        ncomp++;
        int t = planned_thread(r);
        if (t < 0) {
            json_array_append_new(off, json_pack("{s:i,s:s,s:s}", "tid", r->tid, "affinity",
                                                 r->affinity, "mask_from",
                                                 r->last_setter == 1   ? "the program"
                                                 : r->last_setter == 2 ? "--pin-threads"
                                                 : r->last_setter == 3 ? "outside the process"
                                                                       : "as first sampled"));
            if (r->last_setter == 1 && !nself++)
                self_by = r->set_by;
            npin += r->last_setter == 2;
        } else if (M.planned[t] < MAX_CPUS) {
            on_pu[M.planned[t]]++;
        }
        if (since_mask(r) > 0)
            json_array_append_new(moved, json_pack("{s:i,s:I}", "tid", r->tid, "migrations",
                                                   (json_int_t)since_mask(r)));
    }
    json_t *noisy = noisy_threads(busiest);
    json_t *shared = sharing_threads(busiest, on_pu);
    long size = 1;
    int mpi = -1;
    if (strict_long(getenv("PLACE_SIZE"), 1, INT_MAX, &size) == 0 && size > 1)
        mpi = loaded_mpi();
    int kids = 0, kids_working = 0;
    double kid_s = forked_children(hz, &kids, &kids_working);
    char sum[512] = "";
    if (M.nplanned == 0) {
        snprintf(sum, sizeof sum, "unavailable: no plan (PLACE_THREAD_PUS is not set)");
    } else {
        if (ncomp == 0)
            add_word(sum, sizeof sum, "no compute thread seen");
        if (kids_working)
            add_word(sum, sizeof sum, "workers are child processes: not watched");
        if (json_array_size(off))
            add_word(sum, sizeof sum, "threads off plan");
        if (json_array_size(shared))
            add_word(sum, sizeof sum, "threads sharing a PU");
        if (json_array_size(moved))
            add_word(sum, sizeof sum, "threads moved");
        if (mpi == 0)
            add_word(sum, sizeof sum, "not an MPI program");
        if (!sum[0])
            snprintf(sum, sizeof sum, "ok");
    }
    if (final) {
        char why[768] = "";
        if (ncomp == 0 && M.nplanned)
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; no thread of this process did work (the busiest used %.2f s of CPU in "
                     "%.2f s): its placement cannot be judged",
                     hz > 0 ? busiest / hz : 0.0, wall);
        if (kids_working)
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; %d forked child process%s used %.2f s of CPU; the monitor watches this "
                     "process's threads only",
                     kids_working, kids_working == 1 ? "" : "es", kid_s);
        if (json_array_size(off))
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; %zu compute thread%s not on "
                     "a planned PU of its own (mask %s)%s%s%s%s",
                     json_array_size(off), json_array_size(off) == 1 ? "" : "s",
                     json_string_value(json_object_get(json_array_get(off, 0), "affinity")),
                     nself ? ", set by the program itself (" : "",
                     nself ? (self_by && *self_by ? self_by : "?") : "", nself ? ")" : "",
                     npin ? ", left on the rank's PUs by --pin-threads" : "");
        if (json_array_size(shared))
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; %zu compute threads share "
                     "planned PUs",
                     json_array_size(shared));
        if (json_array_size(moved))
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; %zu compute thread%s "
                     "migrated under a fixed mask",
                     json_array_size(moved), json_array_size(moved) == 1 ? "" : "s");
        if (mpi == 0)
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; a job of %ld ranks, but "
                     "this process loaded no MPI library: each rank ran alone",
                     size);
        if (json_array_size(noisy))
            snprintf(why + strlen(why), sizeof why - strlen(why),
                     "; %zu compute thread%s ran on PUs the noise profile calls noisy (%s)",
                     json_array_size(noisy), json_array_size(noisy) == 1 ? "" : "s",
                     json_string_value(json_object_get(json_array_get(noisy, 0), "pus")));
        fprintf(errf(), "placemon: rank %ld: %s (%d compute thread%s, %d helper%s)%s\n", rank, sum,
                ncomp, ncomp == 1 ? "" : "s", nhelp, nhelp == 1 ? "" : "s", why);
    }
    json_t *v =
        json_pack("{s:s,s:i,s:i,s:o,s:o,s:o,s:i,s:o}", "summary", sum, "compute_threads", ncomp,
                  "helper_threads", nhelp, "off_plan", off, "sharing_a_pu", shared, "moved", moved,
                  "masks_set_by_program", nself, "mpi", mpi < 0 ? json_null() : json_boolean(mpi));
    if (M.have_noisy)
        json_object_set_new(v, "ran_on_noisy_pus", noisy);
    else
        json_decref(noisy);
    json_object_set_new(v, "child_processes",
                        json_pack("{s:i,s:i,s:f,s:I}", "forked", kids, "working", kids_working,
                                  "cpu_s", kid_s, "not_recorded", (json_int_t)M.kids_lost));
    return v;
}

static int write_report(const char *ended_by, int complete, int final)
{
    double wall = mono() - M.start, hz = (double)sysconf(_SC_CLK_TCK);
    long long busiest = busiest_ticks();
    json_t *threads = json_array();
    for (int i = 0; i < M.nrecs; i++) {
        const rec *r = &M.recs[i];
        int comp = is_compute(r, busiest);
        int t = comp ? planned_thread(r) : -1; /* a helper is no plan thread */
        char seen[1024], since[1024];
        json_t *o = json_pack("{s:i,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o,s:i,s:b}", "tid", r->tid,
                              "comm", r->comm, "role", comp ? "compute" : "helper", "plan_thread",
                              t >= 0 ? json_integer(t) : json_null(), "pu_planned",
                              t >= 0 ? json_integer(M.planned[t]) : json_null(), "affinity",
                              r->affinity, "cpus_seen", seen_list(r->seen, seen, sizeof seen),
                              "migrations", counter(r->migrations), "involuntary_switches",
                              counter(r->invol), "voluntary_switches", counter(r->vol), "samples",
                              (int)r->samples, "alive_at_exit", r->alive);
        json_object_set_new(o, "cpu_s", json_real(hz > 0 ? r->cpu_ticks / hz : 0));
        json_object_set_new(o, "mask_changes", json_integer(r->mask_changes));
        json_object_set_new(o, "mask_sets_by_program", json_integer(r->prog_sets));
        json_object_set_new(o, "mask_sets_by_pin_threads", json_integer(r->pin_sets));
        json_object_set_new(o, "mask_from",
                            json_string(r->last_setter == 1   ? "the program"
                                        : r->last_setter == 2 ? "--pin-threads"
                                        : r->last_setter == 3 ? "outside the process"
                                                              : "as first sampled"));
        if (r->last_setter == 1)
            json_object_set_new(o, "mask_set_by", json_string(r->set_by));
        json_object_set_new(o, "cpus_seen_since_mask",
                            json_string(seen_list(r->seen_since, since, sizeof since)));
        json_object_set_new(o, "migrations_since_mask", counter(since_mask(r)));
        json_array_append_new(threads, o);
    }
    long rank = 0;
    if (strict_long(getenv("PLACE_RANK"), 0, INT_MAX, &rank) < 0)
        rank = 0;
    json_t *o = json_pack("{s:s,s:i,s:i,s:s,s:I,s:I,s:f,s:f,s:f,s:f,s:o}", "schema",
                          "place-monitor/1", "rank", (int)rank, "pid", (int)getpid(),
                          "counters_from", "/proc/self/task/TID/sched and stat", "interval_us",
                          (json_int_t)M.interval_us, "samples", (json_int_t)M.samples, "wall_s",
                          wall, "sampler_cpu_s", M.sampler_cpu, "sampler_us_per_sample",
                          M.samples ? 1e6 * M.sampler_cpu / M.samples : 0.0, "sampler_cpu_fraction",
                          wall > 0 ? M.sampler_cpu / wall : 0.0, "threads", threads);
    /* threads beyond the report's capacity are counted, never silently left out */
    json_object_set_new(o, "threads_untracked", json_integer(M.untracked));
    json_t *fold =
        json_pack("{s:I,s:o,s:o,s:o}", "threads", (json_int_t)M.folded, "migrations",
                  counter(M.folded_unavailable ? -1 : M.folded_mig), "involuntary_switches",
                  counter(M.folded_unavailable ? -1 : M.folded_invol), "voluntary_switches",
                  counter(M.folded_unavailable ? -1 : M.folded_vol));
    json_object_set_new(o, "exited_threads_folded", fold);
    json_object_set_new(o, "complete", json_boolean(complete));
    json_object_set_new(o, "ended_by", json_string(ended_by));
    json_object_set_new(o, "verdict", verdict(wall, final, rank));
    if (M.untracked && final)
        fprintf(errf(),
                "placemon: %ld threads beyond the first %d were seen but not recorded; "
                "the report lists %d\n",
                M.untracked, MAX_THREADS, MAX_THREADS);
    /* a new temporary (O_EXCL, no symlink followed), renamed over the output only if that
     * is absent or a regular file */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", M.out);
    int fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
    int en = fd < 0 ? errno : 0;
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    struct stat st;
    const char *why = NULL;
    if (f && (json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 || fflush(f) != 0 ||
              fchmod(fd, 0644) != 0))
        en = errno ? errno : EIO;
    if (f && fclose(f) != 0 && !en)
        en = errno;
    else if (!f && fd >= 0 && !en)
        en = errno ? errno : ENOMEM;
    if (!en && lstat(M.out, &st) == 0 && !S_ISREG(st.st_mode))
        why = "it is not a regular file, and is left alone";
    if (!en && !why && rename(tmp, M.out) != 0)
        en = errno;
    int ok = !en && !why;
    if (!ok && final)
        fprintf(errf(), "placemon: cannot write the report '%s': %s; the report is lost\n", M.out,
                why ? why : strerror(en));
    if (!ok && fd >= 0)
        unlink(tmp);
    json_decref(o);
    return ok;
}

/* A child forked by the application (without exec) is not the monitored process: it has
 * no sampler, and must not write (over) the report when it exits. */
static void forked_child(void)
{
    if (M.on && M.kids[1] >= 0) {
        int pid = (int)getpid();
        (void)!write(M.kids[1], &pid, sizeof pid); /* the parent's sampler follows it */
    }
    M.on = 0;
}

/* The children forked since the last sample, and the CPU time of those that are still
 * copies of this program (a child that exec'd runs another program: no worker of this
 * one, and not counted). */
static dev_t self_dev;
static ino_t self_ino;
static void sample_kids(void)
{
    int pid;
    while (M.kids[0] >= 0 && read(M.kids[0], &pid, sizeof pid) == (ssize_t)sizeof pid) {
        if (M.nkids < 1024) {
            M.kid_pid[M.nkids] = pid;
            M.kid_ticks[M.nkids] = 0;
            M.kid_execd[M.nkids++] = 0;
        } else {
            M.kids_lost++;
        }
    }
    for (int i = 0; i < M.nkids; i++) {
        if (M.kid_execd[i])
            continue;
        char path[64], buf[1024];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%d/exe", M.kid_pid[i]);
        if (stat(path, &st) == 0 && (st.st_dev != self_dev || st.st_ino != self_ino)) {
            M.kid_execd[i] = 1;
            continue;
        }
        snprintf(path, sizeof path, "/proc/%d/stat", M.kid_pid[i]);
        if (read_file(path, buf, sizeof buf) <= 0)
            continue; /* gone: its last sample stands */
        char *p = strrchr(buf, ')');
        long long ticks = 0;
        int field = 2;
        for (; p && *p && field < 15; p++)
            if (*p == ' ' && (++field == 14 || field == 15))
                ticks += strtoll(p + 1, NULL, 10);
        if (ticks > M.kid_ticks[i])
            M.kid_ticks[i] = ticks;
    }
}

/* SIGTERM with the application's default action: the sampler writes the report (this
 * handler only wakes it and waits, at most 5 s, with async-signal-safe calls), then the
 * signal ends the process as it would have (SA_RESETHAND restored the default). */
static void on_term(int sig)
{
    int saved = errno;
    if (M.on && getpid() == M.pid && !__atomic_exchange_n(&M.finishing, 1, __ATOMIC_SEQ_CST)) {
        M.term_sig = sig;
        char c = 1;
        (void)!write(M.wake[1], &c, 1);
        struct pollfd pf = {.fd = M.done[0], .events = POLLIN};
        poll(&pf, 1, 5000);
    }
    errno = saved;
    raise(sig);
}

/* The final report, written by the thread that ends the process (exit's destructor, or
 * _exit): the sampler stopped, every thread sampled once more as it is now. */
static int finish(const char *ended_by, int complete)
{
    if (!M.on || getpid() != M.pid || __atomic_exchange_n(&M.finishing, 1, __ATOMIC_SEQ_CST))
        return 1;
    M.stop = 1;
    char c = 1;
    (void)!write(M.wake[1], &c, 1);
    pthread_join(M.thread, NULL);
    sample_all(); /* the threads as they are at the end */
    M.on = 0;
    return write_report(ended_by, complete, 1);
}

/* A report that could not be written makes a run that would have exited 0 exit 1: a lost
 * report is a failure, as placerun's own outputs are. The status is known where the
 * program returned from main or called exit (both seen here), else left as it is. */
static void lost_report_status(void)
{
    if (M.status_known && M.status == 0) {
        fflush(NULL); /* what exit would still have flushed */
        for (;;)
            syscall(SYS_exit_group, 1);
    }
}

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;
static int main_wrap(int argc, char **argv, char **envp)
{
    int rc = real_main(argc, argv, envp);
    M.status = rc;
    M.status_known = 1;
    return rc;
}

/* The program's main, wrapped to learn its return value (the exit status). */
int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end)
{
    typedef int (*lsm_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void),
                          void *);
    lsm_fn real = (lsm_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    real_main = main;
    return real(main_wrap, argc, argv, init, fini, rtld_fini, stack_end);
}

void exit(int status)
{
    typedef void (*exit_fn)(int) __attribute__((noreturn));
    M.status = status;
    M.status_known = 1;
    exit_fn real = (exit_fn)dlsym(RTLD_NEXT, "exit");
    if (real)
        real(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

/* _exit and _Exit skip the destructor (dash ends `sh -c` through _exit, Python's
 * os._exit too): the report is written first, then the process ends as glibc would. */
__attribute__((noreturn)) static void real_exit(int status)
{
    for (;;)
        syscall(SYS_exit_group, status);
}

void _exit(int status)
{
    int ok = finish("_exit (the destructors and atexit handlers were skipped)", 0);
    real_exit(!ok && status == 0 ? 1 : status);
}

void _Exit(int status)
{
    int ok = finish("_Exit (the destructors and atexit handlers were skipped)", 0);
    real_exit(!ok && status == 0 ? 1 : status);
}

/* A list of CPUs ("1,5,7") into bits; 0, or -1 if malformed. */
static int list_bits(const char *v, unsigned long long *bits)
{
    memset(bits, 0, sizeof(unsigned long long) * (MAX_CPUS / 64));
    for (const char *p = v; p && *p;) {
        char item[16];
        size_t len = strcspn(p, ",");
        long c;
        if (len == 0 || len >= sizeof item)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (strict_long(item, 0, MAX_CPUS - 1, &c) < 0)
            return -1;
        bits[c / 64] |= 1ULL << (c % 64);
        p += len + (p[len] == ',');
    }
    return 0;
}

/* The sampler is a helper thread: with --avoid-noisy it goes to PLACE_HELPER_PUS (the
 * rank's noisiest PUs, which no compute thread has). */
static void sampler_placement(void)
{
    const char *hv = getenv("PLACE_HELPER_PUS");
    unsigned long long b[MAX_CPUS / 64];
    if (!hv || !*hv)
        return;
    if (list_bits(hv, b) < 0) {
        fprintf(stderr,
                "placemon: PLACE_HELPER_PUS '%.40s': not a list of PUs; the sampler keeps "
                "the rank's PUs\n",
                hv);
        return;
    }
    cpu_set_t cs, now;
    CPU_ZERO(&cs);
    if (sched_getaffinity(0, sizeof now, &now) != 0)
        return;
    for (int c = 0; c < MAX_CPUS && c < CPU_SETSIZE; c++)
        if ((b[c / 64] >> (c % 64) & 1) && CPU_ISSET(c, &now))
            CPU_SET(c, &cs);
    if (CPU_COUNT(&cs) > 0 && real_setaff_init() && real_setaff)
        real_setaff(0, sizeof cs, &cs); /* not the program's: not recorded */
}

__attribute__((constructor)) static void placemon_start(void)
{
    const char *out = getenv("PLACE_MONITOR_OUT"), *pid = getenv("PLACE_MONITOR_PID");
    long v;
    if (!out || !*out || strict_long(pid, 1, INT_MAX, &v) < 0 || v != (long)getpid())
        return; /* not the process placerun exec'd (a child inherits the preload) */
    const char *iv = getenv("PLACE_MONITOR_INTERVAL_US");
    M.interval_us = 10000;
    if (iv && strict_long(iv, 100, 10000000, &v) < 0)
        fprintf(stderr,
                "placemon: PLACE_MONITOR_INTERVAL_US '%.40s': expected a whole number of "
                "us from 100 to 10000000; sampling every %ld us\n",
                iv, (long)M.interval_us);
    else if (iv)
        M.interval_us = v;
    const char *pus = getenv("PLACE_THREAD_PUS");
    for (const char *p = pus; p && *p && M.nplanned < MAX_CPUS;) {
        char item[16];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item)
            break;
        memcpy(item, p, len);
        item[len] = '\0';
        if (strict_long(item, 0, 65535, &v) < 0)
            break;
        M.planned[M.nplanned++] = (int)v;
        p += len + (p[len] == ',');
    }
    if (pus && M.nplanned == 0)
        fprintf(stderr,
                "placemon: PLACE_THREAD_PUS '%.40s': not a list of PUs; threads are "
                "reported without their planned PU\n",
                pus);
    const char *nv = getenv("PLACE_NOISY_PUS");
    if (nv && !(M.have_noisy = list_bits(nv, M.noisy) == 0))
        fprintf(stderr,
                "placemon: PLACE_NOISY_PUS '%.40s': not a list of PUs; the report does not say "
                "which threads ran on noisy PUs\n",
                nv);
    M.recs = calloc(MAX_THREADS, sizeof *M.recs);
    struct stat me;
    if (stat("/proc/self/exe", &me) == 0) {
        self_dev = me.st_dev;
        self_ino = me.st_ino;
    }
    if (pipe2(M.kids, O_CLOEXEC | O_NONBLOCK) != 0)
        M.kids[0] = M.kids[1] = -1; /* forked workers then go unseen */
    if (!M.recs || pipe2(M.wake, O_CLOEXEC | O_NONBLOCK) != 0 || pipe2(M.done, O_CLOEXEC) != 0) {
        fprintf(stderr, "placemon: out of memory or descriptors; no monitor report\n");
        return;
    }
    int efd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    err_out = efd >= 0 ? fdopen(efd, "w") : NULL;
    if (err_out)
        setvbuf(err_out, NULL, _IONBF, 0);
    else if (efd >= 0)
        close(efd);
    M.out = out;
    M.pid = getpid();
    M.start = mono();
    /* the sampler starts with every signal blocked: the application's signals go to its
     * own threads, and SIGTERM's handler can wait for the sampler */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    M.on = pthread_create(&M.thread, NULL, sampler, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!M.on) {
        fprintf(stderr, "placemon: cannot start the sampler thread; no monitor report\n");
        return;
    }
    pthread_atfork(NULL, NULL, forked_child);
    /* SIGTERM: only where the application left the default (its own handler replaces ours
     * whenever it installs one) */
    struct sigaction cur;
    if (sigaction(SIGTERM, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL &&
        !(cur.sa_flags & SA_SIGINFO)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
    }
}

__attribute__((destructor)) static void placemon_stop(void)
{
    if (!finish("exit", 1))
        lost_report_status();
}
