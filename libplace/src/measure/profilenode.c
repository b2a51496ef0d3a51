/* profilenode.c (measure): a node's noise profile measured, written and read
 * (place/profilenode.h; the profile and its model are place/noiseprof.h's). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/base.h"
#include "place/jitter.h"
#include "place/noiseprof.h"
#include "place/profilenode.h"
#include "place/rfile.h"

#define MAX_CPU 4096

/* ---- small readers ------------------------------------------------------------------- */

static void line_of(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(buf, (int)n, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

int place_noise_profile_key(char *buf, size_t n)
{
    char boot[64], cpus[256];
    line_of("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    line_of("/sys/devices/system/cpu/online", cpus, sizeof cpus);
    int w = snprintf(buf, n, "place-noise/1 boot=%s online=%s", boot, cpus);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

int place_noise_profile_path(char *buf, size_t n, place_error *err)
{
    char key[400], dir[PATH_MAX];
    if (place_noise_profile_key(key, sizeof key) < 0)
        return place_error_set(err, PLACE_ESYS, "cannot read this node's state (boot id, CPUs)");
    if (place_private_dir(dir, sizeof dir, err) < 0)
        return -1;
    int w = snprintf(buf, n, "%s/noise-%016llx.json", dir, place_fnv1a(key, strlen(key)));
    return w > 0 && (size_t)w < n ? 0 : place_error_set(err, PLACE_EINVAL, "path too long");
}

/* A CPU list ("0-3,8") as a mark per CPU; 0, or -1 if malformed. */
static int cpulist_marks(const char *s, unsigned char *mark)
{
    memset(mark, 0, MAX_CPU);
    for (const char *p = s; p && *p && *p != '\n';) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0 || a >= MAX_CPU)
            return -1;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b >= MAX_CPU)
                return -1;
            p = end;
        }
        for (long c = a; c <= b; c++)
            mark[c] = 1;
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            return -1;
    }
    return 0;
}

/* The value of KEY= on the kernel's command line, "" if absent. */
static void cmdline_value(const char *key, char *out, size_t n)
{
    char line[4096];
    out[0] = '\0';
    line_of("/proc/cmdline", line, sizeof line);
    size_t kl = strlen(key);
    for (char *t = strtok(line, " "); t; t = strtok(NULL, " "))
        if (!strncmp(t, key, kl) && t[kl] == '=')
            snprintf(out, n, "%s", t + kl + 1);
}

/* ---- /proc/interrupts ------------------------------------------------------------------ */

typedef struct irqline {
    char label[16];
    char name[48];
    long *count; /* per CPU column */
} irqline;

typedef struct irqsnap {
    int ncol;
    int cpu_of_col[MAX_CPU];
    int n;
    irqline *l;
} irqsnap;

static void irqsnap_fini(irqsnap *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->l[i].count);
    free(s->l);
    memset(s, 0, sizeof *s);
}

static int irqsnap_read(irqsnap *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen("/proc/interrupts", "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, f) > 0) /* the header: CPU0 CPU1 ... */
        for (char *t = strtok(line, " \t\n"); t && s->ncol < MAX_CPU; t = strtok(NULL, " \t\n"))
            if (!strncmp(t, "CPU", 3)) {
                char *end;
                long v = strtol(t + 3, &end, 10);
                s->cpu_of_col[s->ncol++] = end > t + 3 && !*end && v < MAX_CPU ? (int)v : -1;
            }
    while (getline(&line, &cap, f) > 0) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        irqline L;
        memset(&L, 0, sizeof L);
        char *lab = line;
        while (*lab == ' ')
            lab++;
        snprintf(L.label, sizeof L.label, "%.*s", (int)(colon - lab), lab);
        L.count = calloc((size_t)s->ncol + 1, sizeof(long));
        if (!L.count)
            break;
        char *p = colon + 1;
        int c = 0;
        for (; c < s->ncol; c++) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            L.count[c] = v;
            p = end;
        }
        /* the rest names it: a device's IRQ ends with the device; the kernel's own lines
         * (LOC, RES, CAL, ...) with what they are */
        while (*p == ' ' || *p == '\t')
            p++;
        p[strcspn(p, "\n")] = '\0';
        int numeric = isdigit((unsigned char)L.label[0]);
        const char *last = strrchr(p, ' ');
        if (numeric)
            snprintf(L.name, sizeof L.name, "%s", last ? last + 1 : p);
        else
            snprintf(L.name, sizeof L.name, "%s (%s)", L.label, p);
        irqline *nl = realloc(s->l, sizeof *nl * (size_t)(s->n + 1));
        if (!nl) {
            free(L.count);
            break;
        }
        s->l = nl;
        s->l[s->n++] = L;
    }
    free(line);
    fclose(f);
    return 0;
}

/* ---- other threads -------------------------------------------------------------------- */

typedef struct task {
    int pid, tid, cpu, uid, kernel;
    long long ticks;
    char comm[20];
} task;

typedef struct tasksnap {
    int n, cap;
    task *t;
} tasksnap;

/* Every thread of every other process: its CPU time, the CPU it last ran on, its owner. */
static int tasks_read(tasksnap *s)
{
    memset(s, 0, sizeof *s);
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    pid_t me = getpid();
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || end == de->d_name || pid <= 0 || pid == me)
            continue;
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/proc/%ld", pid);
        if (stat(path, &st) != 0)
            continue;
        snprintf(path, sizeof path, "/proc/%ld/task", pid);
        DIR *td = opendir(path);
        struct dirent *te;
        while (td && (te = readdir(td))) {
            long tid = strtol(te->d_name, &end, 10);
            if (*end || end == te->d_name || tid <= 0)
                continue;
            char sp[96], buf[1024];
            snprintf(sp, sizeof sp, "/proc/%ld/task/%ld/stat", pid, tid);
            line_of(sp, buf, sizeof buf);
            char *open = strchr(buf, '('), *close = strrchr(buf, ')');
            if (!open || !close || close < open)
                continue;
            task t;
            memset(&t, 0, sizeof t);
            t.pid = (int)pid;
            t.tid = (int)tid;
            t.uid = (int)st.st_uid;
            snprintf(t.comm, sizeof t.comm, "%.*s", (int)(close - open - 1), open + 1);
            int field = 2;
            long ppid = -1;
            for (char *q = close + 1; *q; q++)
                if (*q == ' ') {
                    field++;
                    if (field == 4)
                        ppid = strtol(q + 1, NULL, 10);
                    else if (field == 14 || field == 15)
                        t.ticks += strtoll(q + 1, NULL, 10);
                    else if (field == 39) {
                        t.cpu = (int)strtol(q + 1, NULL, 10);
                        break;
                    }
                }
            t.kernel = pid == 2 || ppid == 2;
            if (s->n == s->cap) {
                int nc = s->cap ? 2 * s->cap : 1024;
                task *nt = realloc(s->t, sizeof *nt * (size_t)nc);
                if (!nt)
                    break;
                s->t = nt;
                s->cap = nc;
            }
            s->t[s->n++] = t;
        }
        if (td)
            closedir(td);
    }
    closedir(d);
    return 0;
}

/* Whether task (pid, tid) may run on cpu alone (its Cpus_allowed_list is that CPU). */
static int bound_to(int pid, int tid, int cpu)
{
    char path[96], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int bound = 0;
    while (fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "Cpus_allowed_list:", 18)) {
            char *v = buf + 18;
            while (*v == ' ' || *v == '\t')
                v++;
            v[strcspn(v, "\n")] = '\0';
            char want[16];
            snprintf(want, sizeof want, "%d", cpu);
            bound = !strcmp(v, want);
        }
    fclose(f);
    return bound;
}

/* ---- the measurement ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The PU's detour lengths as PLACE_NOISE_LENGTHS quantiles of what the probe kept (a uniform
 * sample of all of them). */
static void lengths_from(const place_jitter_thread *t, place_noise_pu *e)
{
    int m = t->nkept;
    if (m <= 0)
        return;
    double *x = malloc(sizeof(double) * (size_t)m);
    if (!x)
        return;
    memcpy(x, t->kept_us, sizeof(double) * (size_t)m);
    qsort(x, (size_t)m, sizeof *x, cmp_double);
    int n = m < PLACE_NOISE_LENGTHS ? m : PLACE_NOISE_LENGTHS;
    for (int i = 0; i < n; i++) {
        long j = (long)((i + 0.5) / n * m);
        e->lengths_us[i] = x[j < m ? j : m - 1];
    }
    e->nlengths = n;
    free(x);
}

/* The reasons a PU is noisy, in words, from what was seen there. */
static void explain(place_noise_profile *p, place_noise_pu *e, double median_irq_hz)
{
    char *w = e->why;
    size_t n = sizeof e->why, at = 0;
    w[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (at < n)                                                                                \
            at += (size_t)snprintf(w + at, n - at, "%s", at ? "; " : "");                          \
        if (at < n)                                                                                \
            at += (size_t)snprintf(w + at, n - at, __VA_ARGS__);                                   \
    } while (0)
    for (int i = 0; i < e->nbusy; i++)
        if (e->busy[i].cpu_fraction >= 0.02)
            ADD("%s %.20s (pid %d%s) took %.0f%% of it",
                e->busy[i].kernel ? "kernel thread" : "co-runner", e->busy[i].comm, e->busy[i].pid,
                e->busy[i].bound ? ", bound here" : "", 100 * e->busy[i].cpu_fraction);
    /* interrupts: named where this CPU serves clearly more than the others */
    double irq_hz = p->seconds > 0 ? e->interrupts / p->seconds : 0;
    if (irq_hz > 200 && irq_hz > 2 * median_irq_hz && e->nirq)
        ADD("interrupts: %.0f/s, most from %s%s%.80s", irq_hz, e->irq[0].name,
            e->devices[0] ? "; the interrupts of these devices go here: " : "", e->devices);
    if (e->housekeeping && p->isolated[0])
        ADD("a housekeeping CPU (the kernel isolates %s)", p->isolated);
#undef ADD
}

/* The interrupts each PU served during the window, the busiest sources first. */
static void take_interrupts(place_noise_profile *p, const irqsnap *i0, const irqsnap *i1)
{
    int npus = p->npus;
    /* interrupts served by each PU during the window, the busiest sources first */
    for (int l = 0; l < i1->n && l < i0->n; l++) {
        if (strcmp(i0->l[l].label, i1->l[l].label))
            continue;
        for (int c = 0; c < i1->ncol && c < i0->ncol; c++) {
            long d = i1->l[l].count[c] - i0->l[l].count[c];
            int cpu = i1->cpu_of_col[c];
            if (d <= 0 || cpu < 0)
                continue;
            for (int i = 0; i < npus; i++) {
                place_noise_pu *e = &p->pus[i];
                if (e->pu != cpu)
                    continue;
                e->interrupts += d;
                place_noise_irq q;
                snprintf(q.name, sizeof q.name, "%s", i1->l[l].name);
                q.count = d;
                /* the busiest PLACE_NOISE_IRQS, in order */
                int k = e->nirq;
                while (k > 0 && e->irq[k - 1].count < q.count) {
                    if (k < PLACE_NOISE_IRQS)
                        e->irq[k] = e->irq[k - 1];
                    k--;
                }
                if (k < PLACE_NOISE_IRQS) {
                    e->irq[k] = q;
                    e->nirq += e->nirq < PLACE_NOISE_IRQS;
                }
            }
        }
    }
}

/* The devices whose interrupts go to one CPU only (their effective affinity). */
static void take_devices(place_noise_profile *p, const irqsnap *i1)
{
    int npus = p->npus;
    /* devices whose interrupts go to one CPU */
    for (int l = 0; l < i1->n; l++) {
        if (!isdigit((unsigned char)i1->l[l].label[0]))
            continue;
        char path[96], buf[256];
        snprintf(path, sizeof path, "/proc/irq/%s/effective_affinity_list", i1->l[l].label);
        line_of(path, buf, sizeof buf);
        if (!buf[0]) {
            snprintf(path, sizeof path, "/proc/irq/%s/smp_affinity_list", i1->l[l].label);
            line_of(path, buf, sizeof buf);
        }
        char *end;
        long cpu = strtol(buf, &end, 10);
        if (end == buf || *end || cpu < 0)
            continue;
        for (int i = 0; i < npus; i++) {
            place_noise_pu *e = &p->pus[i];
            size_t at = strlen(e->devices);
            if (e->pu == cpu && !strstr(e->devices, i1->l[l].name) &&
                at + strlen(i1->l[l].name) + 2 < sizeof e->devices)
                snprintf(e->devices + at, sizeof e->devices - at, "%s%s", at ? "," : "",
                         i1->l[l].name);
        }
    }
}

/* The threads of others that ran on each PU during the window, the busiest first. */
static void take_others(place_noise_profile *p, const tasksnap *t0, const tasksnap *t1,
                        double hz_clk, double window_s)
{
    int npus = p->npus;
    /* other threads that ran on each PU during the window */
    for (int a = 0; a < t1->n; a++) {
        const task *x = &t1->t[a];
        long long before = -1;
        for (int b = 0; b < t0->n && before < 0; b++)
            if (t0->t[b].tid == x->tid && t0->t[b].pid == x->pid)
                before = t0->t[b].ticks;
        if (before < 0 || x->ticks <= before || hz_clk <= 0 || window_s <= 0)
            continue;
        /* over the snapshots' own window (the probe's start-up included); one thread takes
         * at most its CPU (clock ticks are coarse) */
        double frac = (x->ticks - before) / hz_clk / window_s;
        frac = frac > 1 ? 1 : frac;
        for (int i = 0; i < npus; i++) {
            place_noise_pu *e = &p->pus[i];
            if (e->pu != x->cpu)
                continue;
            e->others_fraction += frac;
            place_noise_busy q;
            memset(&q, 0, sizeof q);
            q.pid = x->pid;
            q.tid = x->tid;
            q.uid = x->uid;
            q.kernel = x->kernel;
            q.cpu_fraction = frac;
            snprintf(q.comm, sizeof q.comm, "%s", x->comm);
            int k = e->nbusy; /* the busiest PLACE_NOISE_BUSY, in order */
            while (k > 0 && e->busy[k - 1].cpu_fraction < q.cpu_fraction) {
                if (k < PLACE_NOISE_BUSY)
                    e->busy[k] = e->busy[k - 1];
                k--;
            }
            if (k < PLACE_NOISE_BUSY) {
                q.bound = bound_to(x->pid, x->tid, x->cpu);
                e->busy[k] = q;
                e->nbusy += e->nbusy < PLACE_NOISE_BUSY;
            }
        }
    }
}

int place_noise_profile_measure(place_noise_profile *p, const int *pus, int npus,
                                const place_jitter_opts *o, place_error *err)
{
    memset(p, 0, sizeof *p);
    if (npus <= 0)
        return place_error_set(err, PLACE_EINVAL, "no PU to profile");
    place_noise_profile_key(p->key, sizeof p->key);
    gethostname(p->host, sizeof p->host - 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(p->measured, sizeof p->measured, "%Y-%m-%dT%H:%M:%SZ", &tm);
    p->seconds = o->seconds;
    p->quantum_us = o->quantum_us;
    p->threshold_us = o->threshold_us;
    /* the kernel's isolation */
    unsigned char *iso = calloc(MAX_CPU, 1), *nohz = calloc(MAX_CPU, 1);
    p->pus = calloc((size_t)npus, sizeof *p->pus);
    if (!iso || !nohz || !p->pus) {
        free(iso);
        free(nohz);
        place_noise_profile_fini(p);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    line_of("/sys/devices/system/cpu/isolated", p->isolated, sizeof p->isolated);
    line_of("/sys/devices/system/cpu/nohz_full", p->nohz_full, sizeof p->nohz_full);
    if (!strcmp(p->nohz_full, "(null)"))
        p->nohz_full[0] = '\0';
    cmdline_value("isolcpus", p->isolcpus, sizeof p->isolcpus);
    cmdline_value("irqaffinity", p->irqaffinity, sizeof p->irqaffinity);
    if (cpulist_marks(p->isolated, iso) < 0)
        memset(iso, 0, MAX_CPU);
    if (cpulist_marks(p->nohz_full, nohz) < 0)
        memset(nohz, 0, MAX_CPU);
    irqsnap i0, i1;
    tasksnap t0, t1;
    int have_irq = irqsnap_read(&i0) == 0;
    struct timespec ts0, ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    tasks_read(&t0);
    place_jitter_result r;
    int rc = place_jitter_run(pus, npus, o, &r, err);
    have_irq &= irqsnap_read(&i1) == 0;
    tasks_read(&t1);
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    if (rc < 0)
        goto out;
    p->tick_found = r.tick.found;
    p->tick_aligned = r.tick.aligned;
    p->tick_hz = r.tick.hz;
    double hz_clk = (double)sysconf(_SC_CLK_TCK);
    p->npus = npus;
    for (int i = 0; i < npus; i++) {
        place_noise_pu *e = &p->pus[i];
        const place_jitter_thread *t = &r.t[i];
        e->pu = pus[i];
        e->detour_rate_hz = t->detour_rate_hz;
        e->noise_fraction = t->noise_fraction;
        e->len_p50_us = t->len_p50_us;
        e->len_p99_us = t->len_p99_us;
        e->len_max_us = t->len_max_us;
        lengths_from(t, e);
        if (r.tick.found && i < PLACE_TICK_MAX_THREADS && i < r.tick.nthreads) {
            e->tick = 1;
            e->tick_hz = r.tick.hz;
            e->tick_phase_us = r.tick.phase_us[i];
        }
        e->isolated = e->pu < MAX_CPU && iso[e->pu];
        e->nohz_full = e->pu < MAX_CPU && nohz[e->pu];
        e->housekeeping = !e->isolated && !e->nohz_full;
    }
    if (have_irq) {
        take_interrupts(p, &i0, &i1);
        take_devices(p, &i1);
    }
    take_others(p, &t0, &t1, hz_clk,
                (double)(ts1.tv_sec - ts0.tv_sec) + 1e-9 * (double)(ts1.tv_nsec - ts0.tv_nsec));
    /* the reasons, against the median CPU's interrupt rate */
    double *ir = malloc(sizeof(double) * (size_t)npus);
    double med = 0;
    if (ir) {
        for (int i = 0; i < npus; i++)
            ir[i] = p->pus[i].interrupts / (p->seconds > 0 ? p->seconds : 1);
        qsort(ir, (size_t)npus, sizeof *ir, cmp_double);
        med = ir[npus / 2];
        free(ir);
    }
    for (int i = 0; i < npus; i++)
        explain(p, &p->pus[i], med);
    {
        /* the housekeeping CPUs, as a list */
        size_t at = 0;
        for (int i = 0; i < npus && at + 8 < sizeof p->housekeeping; i++)
            if (p->pus[i].housekeeping)
                at += (size_t)snprintf(p->housekeeping + at, sizeof p->housekeeping - at, "%s%d",
                                       at ? "," : "", p->pus[i].pu);
    }
    place_jitter_fini(&r);
out:
    irqsnap_fini(&i0);
    irqsnap_fini(&i1);
    free(t0.t);
    free(t1.t);
    free(iso);
    free(nohz);
    if (rc < 0)
        place_noise_profile_fini(p);
    return rc;
}

/* ---- the file: place-noise/1 ----------------------------------------------------------- */

static json_t *num(double v)
{
    return json_real(isfinite(v) ? v : 0);
}

int place_noise_profile_write(const place_noise_profile *p, FILE *f, place_error *err)
{
    json_t *pus = json_array();
    for (int i = 0; i < p->npus; i++) {
        const place_noise_pu *e = &p->pus[i];
        json_t *len = json_array(), *irq = json_array(), *busy = json_array();
        for (int k = 0; k < e->nlengths; k++)
            json_array_append_new(len, num(e->lengths_us[k]));
        for (int k = 0; k < e->nirq; k++)
            json_array_append_new(irq, json_pack("{s:s,s:I}", "name", e->irq[k].name, "count",
                                                 (json_int_t)e->irq[k].count));
        for (int k = 0; k < e->nbusy; k++)
            json_array_append_new(
                busy, json_pack("{s:i,s:i,s:i,s:s,s:o,s:b,s:b}", "pid", e->busy[k].pid, "tid",
                                e->busy[k].tid, "uid", e->busy[k].uid, "comm", e->busy[k].comm,
                                "cpu_fraction", num(e->busy[k].cpu_fraction), "bound",
                                e->busy[k].bound, "kernel", e->busy[k].kernel));
        json_t *o = json_pack(
            "{s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:s,s:b,s:b,s:b,s:o,s:o,s:s}", "pu", e->pu,
            "detour_rate_hz", num(e->detour_rate_hz), "noise_fraction", num(e->noise_fraction),
            "len_p50_us", num(e->len_p50_us), "len_p99_us", num(e->len_p99_us), "len_max_us",
            num(e->len_max_us), "lengths_us", len, "interrupts", (json_int_t)e->interrupts,
            "interrupt_sources", irq, "irq_devices", e->devices, "isolated", e->isolated,
            "nohz_full", e->nohz_full, "housekeeping", e->housekeeping, "others", busy,
            "others_fraction", num(e->others_fraction), "why", e->why);
        if (e->tick)
            json_object_set_new(
                o, "tick",
                json_pack("{s:o,s:o}", "hz", num(e->tick_hz), "phase_us", num(e->tick_phase_us)));
        json_array_append_new(pus, o);
    }
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:{s:s,s:o,s:o},s:{s:s,s:s,s:s,s:s,s:s},s:{s:b,s:b,s:o},s:o}",
        "schema", PLACE_NOISE_SCHEMA, "key", p->key, "host", p->host, "measured", p->measured,
        "seconds", num(p->seconds), "probe", "mode", "fwq", "quantum_us", num(p->quantum_us),
        "threshold_us", num(p->threshold_us), "kernel", "isolated", p->isolated, "nohz_full",
        p->nohz_full, "isolcpus", p->isolcpus, "irqaffinity", p->irqaffinity, "housekeeping",
        p->housekeeping, "tick", "found", p->tick_found, "aligned", p->tick_aligned, "hz",
        num(p->tick_hz), "pus", pus);
    if (!root)
        return place_error_set(err, PLACE_ENOMEM, "out of memory for the profile");
    int bad =
        json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF;
    json_decref(root);
    return bad ? place_error_set(err, PLACE_ESYS, "writing the noise profile failed") : 0;
}

/* A number field of o within [lo, hi], into *v (absent: def, when def is not NAN). */
static int get_num(json_t *o, const char *k, double lo, double hi, double def, double *v)
{
    json_t *x = json_object_get(o, k);
    if (!x) {
        *v = def;
        return isnan(def) ? -1 : 0;
    }
    if (!json_is_number(x))
        return -1;
    *v = json_number_value(x);
    return isfinite(*v) && *v >= lo && *v <= hi ? 0 : -1;
}

static int get_str(json_t *o, const char *k, char *out, size_t n)
{
    json_t *x = json_object_get(o, k);
    out[0] = '\0';
    if (!x)
        return 0;
    if (!json_is_string(x) || strlen(json_string_value(x)) >= n)
        return -1;
    snprintf(out, n, "%s", json_string_value(x));
    for (char *c = out; *c; c++) /* text from a file, shown in plans: no control characters */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return 0;
}

static int get_bool(json_t *o, const char *k, int *v)
{
    json_t *x = json_object_get(o, k);
    *v = 0;
    if (!x)
        return 0;
    if (!json_is_boolean(x))
        return -1;
    *v = json_is_true(x);
    return 0;
}

static int read_pu(json_t *o, place_noise_pu *e, char *what, size_t wn)
{
    double v;
    memset(e, 0, sizeof *e);
    if (!json_is_object(o) || get_num(o, "pu", 0, MAX_CPU - 1, NAN, &v) < 0 || v != floor(v))
        return snprintf(what, wn, "a PU entry without a PU number (0 to %d)", MAX_CPU - 1), -1;
    e->pu = (int)v;
#define NUM(key, lo, hi, field)                                                                    \
    if (get_num(o, key, lo, hi, NAN, &e->field) < 0)                                               \
        return snprintf(what, wn, "PU %d: %s missing or out of range [%g, %g]", e->pu, key,        \
                        (double)(lo), (double)(hi)),                                               \
               -1;
    NUM("detour_rate_hz", 0, 1e7, detour_rate_hz)
    NUM("noise_fraction", 0, 1, noise_fraction)
    NUM("len_p50_us", 0, 1e9, len_p50_us)
    NUM("len_p99_us", 0, 1e9, len_p99_us)
    NUM("len_max_us", 0, 1e9, len_max_us)
    NUM("others_fraction", 0, 1e3, others_fraction)
#undef NUM
    json_t *len = json_object_get(o, "lengths_us");
    if (!json_is_array(len) || json_array_size(len) > PLACE_NOISE_LENGTHS ||
        (e->detour_rate_hz > 0 && json_array_size(len) == 0))
        return snprintf(what, wn, "PU %d: lengths_us missing, or more than %d", e->pu,
                        PLACE_NOISE_LENGTHS),
               -1;
    for (size_t k = 0; k < json_array_size(len); k++) {
        json_t *x = json_array_get(len, k);
        double l = json_is_number(x) ? json_number_value(x) : -1;
        if (!(isfinite(l) && l >= 0 && l <= 1e9))
            return snprintf(what, wn, "PU %d: lengths_us[%zu] not a length in us", e->pu, k), -1;
        e->lengths_us[e->nlengths++] = l;
    }
    if (get_num(o, "interrupts", 0, 1e15, 0, &v) < 0)
        return snprintf(what, wn, "PU %d: interrupts out of range", e->pu), -1;
    e->interrupts = (long)v;
    json_t *irq = json_object_get(o, "interrupt_sources");
    for (size_t k = 0; json_is_array(irq) && k < json_array_size(irq) && k < PLACE_NOISE_IRQS;
         k++) {
        json_t *x = json_array_get(irq, k);
        if (get_str(x, "name", e->irq[k].name, sizeof e->irq[k].name) < 0 ||
            get_num(x, "count", 0, 1e15, 0, &v) < 0)
            return snprintf(what, wn, "PU %d: interrupt_sources[%zu] malformed", e->pu, k), -1;
        e->irq[k].count = (long)v;
        e->nirq++;
    }
    json_t *busy = json_object_get(o, "others");
    for (size_t k = 0; json_is_array(busy) && k < json_array_size(busy) && k < PLACE_NOISE_BUSY;
         k++) {
        json_t *x = json_array_get(busy, k);
        place_noise_busy *b = &e->busy[k];
        double pid, tid, uid;
        if (!json_is_object(x) || get_num(x, "pid", 0, INT_MAX, 0, &pid) < 0 ||
            get_num(x, "tid", 0, INT_MAX, 0, &tid) < 0 ||
            get_num(x, "uid", 0, INT_MAX, 0, &uid) < 0 ||
            get_str(x, "comm", b->comm, sizeof b->comm) < 0 ||
            get_num(x, "cpu_fraction", 0, 1e3, 0, &b->cpu_fraction) < 0 ||
            get_bool(x, "bound", &b->bound) < 0 || get_bool(x, "kernel", &b->kernel) < 0)
            return snprintf(what, wn, "PU %d: others[%zu] malformed", e->pu, k), -1;
        b->pid = (int)pid;
        b->tid = (int)tid;
        b->uid = (int)uid;
        e->nbusy++;
    }
    json_t *tick = json_object_get(o, "tick");
    if (tick) {
        if (!json_is_object(tick) || get_num(tick, "hz", 0, 1e6, NAN, &e->tick_hz) < 0 ||
            get_num(tick, "phase_us", -1e9, 1e9, NAN, &e->tick_phase_us) < 0)
            return snprintf(what, wn, "PU %d: tick malformed", e->pu), -1;
        e->tick = 1;
    }
    if (get_str(o, "irq_devices", e->devices, sizeof e->devices) < 0 ||
        get_str(o, "why", e->why, sizeof e->why) < 0 || get_bool(o, "isolated", &e->isolated) < 0 ||
        get_bool(o, "nohz_full", &e->nohz_full) < 0 ||
        get_bool(o, "housekeeping", &e->housekeeping) < 0)
        return snprintf(what, wn, "PU %d: a text or flag malformed (or too long)", e->pu), -1;
    return 0;
}

int place_noise_profile_read(place_noise_profile *p, const char *path, place_error *err)
{
    memset(p, 0, sizeof *p);
    char *text = NULL;
    size_t len = 0;
    if (place_read_file("noise profile", path, 16u << 20, &text, &len, err) < 0)
        return -1;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    char what[200] = "";
    if (!root) {
        snprintf(what, sizeof what, "not JSON (line %d: %.80s)", je.line, je.text);
        goto bad;
    }
    json_t *schema = json_object_get(root, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), PLACE_NOISE_SCHEMA)) {
        snprintf(what, sizeof what, "schema is not %s", PLACE_NOISE_SCHEMA);
        goto bad;
    }
    json_t *probe = json_object_get(root, "probe"), *kern = json_object_get(root, "kernel"),
           *tick = json_object_get(root, "tick"), *pus = json_object_get(root, "pus");
    if (get_str(root, "key", p->key, sizeof p->key) < 0 ||
        get_str(root, "host", p->host, sizeof p->host) < 0 ||
        get_str(root, "measured", p->measured, sizeof p->measured) < 0 ||
        get_num(root, "seconds", 0.001, 1e6, NAN, &p->seconds) < 0 || !json_is_object(probe) ||
        get_num(probe, "quantum_us", 0.01, 1e7, NAN, &p->quantum_us) < 0 ||
        get_num(probe, "threshold_us", 0, 1e9, NAN, &p->threshold_us) < 0) {
        snprintf(what, sizeof what,
                 "key, host, measured, seconds or probe (quantum_us, threshold_us) missing or "
                 "out of range");
        goto bad;
    }
    if (kern &&
        (!json_is_object(kern) || get_str(kern, "isolated", p->isolated, sizeof p->isolated) < 0 ||
         get_str(kern, "nohz_full", p->nohz_full, sizeof p->nohz_full) < 0 ||
         get_str(kern, "isolcpus", p->isolcpus, sizeof p->isolcpus) < 0 ||
         get_str(kern, "irqaffinity", p->irqaffinity, sizeof p->irqaffinity) < 0 ||
         get_str(kern, "housekeeping", p->housekeeping, sizeof p->housekeeping) < 0)) {
        snprintf(what, sizeof what, "kernel: a list malformed or too long");
        goto bad;
    }
    if (tick && (!json_is_object(tick) || get_bool(tick, "found", &p->tick_found) < 0 ||
                 get_bool(tick, "aligned", &p->tick_aligned) < 0 ||
                 get_num(tick, "hz", 0, 1e6, 0, &p->tick_hz) < 0)) {
        snprintf(what, sizeof what, "tick malformed");
        goto bad;
    }
    if (!json_is_array(pus) || json_array_size(pus) == 0 || json_array_size(pus) > MAX_CPU) {
        snprintf(what, sizeof what, "pus: expected 1 to %d PU entries", MAX_CPU);
        goto bad;
    }
    p->pus = calloc(json_array_size(pus), sizeof *p->pus);
    if (!p->pus) {
        json_decref(root);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < json_array_size(pus); i++) {
        if (read_pu(json_array_get(pus, i), &p->pus[i], what, sizeof what) < 0)
            goto bad;
        for (int j = 0; j < p->npus; j++)
            if (p->pus[j].pu == p->pus[i].pu) {
                snprintf(what, sizeof what, "PU %d listed twice", p->pus[i].pu);
                goto bad;
            }
        p->npus++;
    }
    json_decref(root);
    return 0;
bad:
    json_decref(root);
    place_noise_profile_fini(p);
    return place_error_set(err, PLACE_EINVAL,
                           "noise profile '%.200s': %s; expected a file written by placerun "
                           "--profile-node (schema %s)",
                           path, what, PLACE_NOISE_SCHEMA);
}
