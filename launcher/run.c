/* run.c: placerun's run-time modes.
 *
 * Shim (under mpirun, srun, ...) and single process share one path: find this rank in
 * the launcher's environment, load the local topology (the cgroup's allowed PUs, not the
 * launcher's per-rank binding, so that every rank of the node computes the same node
 * plan), take this rank's line of the plan, then, in this order so that nothing starts
 * half-done: check that the application can be executed, bind, set the memory policy,
 * export OMP_* and PLACE_*, write the node's plan file, report, exec.
 *
 * Wrapper: no launcher around us and more than one rank asked for: exec mpirun or srun
 * with their own binding turned off and placerun itself as the per-rank shim.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hwloc.h>
#include "placerun.h"

static int fail(const place_error *e, int code)
{
    fprintf(stderr, "placerun: %s\n", e->msg);
    return code;
}

/* The directory holding this executable (for placecheck) or libplace (for the monitor). */
static int self_dir(char *buf, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static int lib_dir(char *buf, size_t n)
{
    Dl_info info;
    if (!dladdr((void *)place_topo_load, &info) || !info.dli_fname)
        return -1;
    snprintf(buf, n, "%s", info.dli_fname);
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

/* Finds an executable the way execvp will; fills `path`. */
static int find_executable(const char *name, char *path, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(path, n, "%s", name);
        struct stat st;
        return (access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) ? 0 : -1;
    }
    const char *p = getenv("PATH");
    if (!p)
        p = "/usr/local/bin:/usr/bin:/bin";
    while (*p) {
        size_t len = strcspn(p, ":");
        snprintf(path, n, "%.*s/%s", (int)len, p, name);
        struct stat st;
        if (access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
        p += len + (p[len] == ':');
    }
    errno = ENOENT;
    return -1;
}

/* ---- environment --------------------------------------------------------------- */

static void setenv_int(const char *k, long v)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", v);
    setenv(k, b, 1);
}

static char *join_ints(const int *v, int n, const char *pre, const char *post)
{
    size_t cap = (size_t)n * 16 + 2;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t at = 0;
    s[0] = '\0';
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%s%d%s", i ? "," : "", pre, v[i], post);
    return s;
}

/* OMP_* are the user's if already set, unless --force-env; placerun says which it kept
 * (once per node, from local rank 0). */
static void export_omp(const options *o, const place_launch *l, const place_rank_info *ri)
{
    char *places = join_ints(ri->thread_pu_os, ri->nthreads, "{", "}");
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%d", ri->nthreads);
    const char *keys[3] = {"OMP_NUM_THREADS", "OMP_PLACES", "OMP_PROC_BIND"};
    const char *vals[3] = {nthreads, places ? places : "", "close"};
    for (int i = 0; i < 3; i++) {
        const char *old = getenv(keys[i]);
        if (old && !o->force_env) {
            if (l->local_rank == 0 && strcmp(old, vals[i]))
                fprintf(stderr, "placerun: note: keeping the user's %s=%.60s (plan: %.60s); "
                        "--force-env overrides it\n", keys[i], old, vals[i]);
            continue;
        }
        setenv(keys[i], vals[i], 1);
    }
    free(places);
}

static void export_place(const place_launch *l, const place_rank_info *ri, const place_decomp *d,
                         const char *plan_path)
{
    setenv_int("PLACE_RANK", l->rank);
    setenv_int("PLACE_SIZE", l->size);
    setenv_int("PLACE_LOCAL_RANK", l->local_rank);
    setenv_int("PLACE_LOCAL_SIZE", l->local_size);
    setenv_int("PLACE_NODE", l->node);
    setenv("PLACE_LAUNCHER", l->launcher, 1);
    setenv("PLACE_CPUSET", ri->cpuset, 1);
    char *numa = join_ints(ri->numa_os, ri->nnuma, "", "");
    char *pus = join_ints(ri->thread_pu_os, ri->nthreads, "", "");
    if (numa)
        setenv("PLACE_NUMA", numa, 1);
    if (pus)
        setenv("PLACE_THREAD_PUS", pus, 1);
    free(numa);
    free(pus);
    setenv_int("PLACE_NTHREADS", ri->nthreads);
    if (plan_path)
        setenv("PLACE_PLAN", plan_path, 1);
    if (d) {
        place_box b;
        int dims[3];
        char s[160];
        place_decomp_rank(d, l->rank, &b, NULL);
        place_decomp_dims(d, dims);
        snprintf(s, sizeof s, "%d,%d,%d", dims[0], dims[1], dims[2]);
        setenv("PLACE_DIMS", s, 1);
        snprintf(s, sizeof s, "%d,%d,%d", b.coords[0], b.coords[1], b.coords[2]);
        setenv("PLACE_COORDS", s, 1);
        snprintf(s, sizeof s, "%lld:%lld,%lld:%lld,%lld:%lld", (long long)b.lo[0], (long long)b.hi[0],
                 (long long)b.lo[1], (long long)b.hi[1], (long long)b.lo[2], (long long)b.hi[2]);
        setenv("PLACE_BOX", s, 1);
    }
}

/* ---- the node's plan file ------------------------------------------------------- */

/* Every rank of the node writes the same bytes to a private temporary file and renames
 * it onto the shared name: rename is atomic, so readers never see a partial file and no
 * rank has to wait for another. */
static int write_plan_file(const place_launch *l, const place_plan *global, const place_plan *node,
                           const place_decomp *d, char *path, size_t n, place_error *e)
{
    const char *dir = getenv("PLACE_PLAN_DIR");
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    for (char *c = host; *c; c++)
        if (*c == '/')
            *c = '_';
    snprintf(path, n, "%s/place-plan-%s-node%d-%s.json", dir, l->job, l->node, host);
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return place_error_set(e, PLACE_ESYS, "cannot write the plan file in '%.200s': %s (set "
                               "PLACE_PLAN_DIR to a writable directory)", dir, strerror(errno));
    int rc = global ? place_plan_write_node_json(global, d, l->node, f, e)
                    : place_plan_write_node_json(node, NULL, 0, f, e);
    if (fclose(f) != 0 && rc == 0)
        rc = place_error_set(e, PLACE_ESYS, "writing '%.200s' failed", tmp);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = place_error_set(e, PLACE_ESYS, "cannot rename '%.200s' into place: %s", tmp,
                             strerror(errno));
    if (rc)
        unlink(tmp);
    return rc;
}

/* ---- report ---------------------------------------------------------------------- */

static void report(const options *o, const place_launch *l, const place_rank_info *ri,
                   const char *bound)
{
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    char threads[512];
    int at = 0;
    for (int t = 0; t < ri->nthreads && at < (int)sizeof threads - 24; t++)
        at += snprintf(threads + at, sizeof threads - (size_t)at, "%s%d=P#%d", t ? " " : "", t,
                       ri->thread_pu_os[t]);
    char *numa = join_ints(ri->numa_os, ri->nnuma, "", "");
    fprintf(stderr, "placerun: rank %d/%d (%s, node %d %s, local %d/%d): bound to PUs %s, NUMA %s, "
            "memory %s; threads %s\n", l->rank, l->size, l->launcher, l->node, host,
            l->local_rank, l->local_size, bound, numa ? numa : "?", o->membind, threads);
    free(numa);
}

/* ---- shim and single process ------------------------------------------------------ */

typedef struct shim {
    place_topo *topo;
    place_plan *node, *global;
    place_decomp *d;
} shim;

static void shim_free(shim *s)
{
    place_decomp_free(s->d);
    place_plan_free(s->global);
    place_plan_free(s->node);
    place_topo_free(s->topo);
}

/* Computes the node plan (what binding needs: local rank and size) and, when ranks are
 * laid out in equal blocks of nodes, the job's plan (for the plan file and the grid). */
static int shim_plans(const options *o, const place_launch *l, shim *s, place_error *e)
{
    if (place_topo_load(&s->topo, o->topology, 0, e) < 0)
        return -1;
    if (o->allowed && place_topo_restrict(s->topo, o->allowed, e) < 0)
        return -1;
    place_request q = o->req;
    q.ranks = l->local_size;
    q.nodes = 1;
    q.ranks_per_node = 0;
    if (place_plan_compute(&s->node, s->topo, &q, e) < 0)
        return -1;
    int blocks = l->node >= 0 && l->size % l->local_size == 0;
    if (blocks) {
        q.ranks = l->size;
        q.nodes = l->size / l->local_size;
        if (place_plan_compute(&s->global, s->topo, &q, e) < 0)
            return -1;
        if (o->grid && place_decomp_compute(&s->d, o->n, s->global, 0, o->decomp_flags, e) < 0)
            return -1;
    } else if (o->grid) {
        return place_error_set(e, PLACE_EINVAL, "--grid needs ranks laid out in equal blocks per "
                               "node (mpirun --map-by slot, srun -m block); here rank %d is local "
                               "rank %d of %d", l->rank, l->local_rank, l->local_size);
    }
    return 0;
}

/* --jitter: the probe on this rank's planned PUs, in this process. */
static int jitter_run(const options *o, const place_launch *l, const place_rank_info *ri)
{
    place_error e;
    place_jitter_result r;
    if (place_jitter_run(ri->thread_pu_os, ri->nthreads, &o->jopts, &r, &e) < 0)
        return fail(&e, 1);
    printf("# rank %d: %s probe, %.2f s, threshold %.1f us; detour lengths in us\n", l->rank,
           o->jopts.mode == PLACE_JITTER_FWQ ? "fwq" : "selfish", o->jopts.seconds, o->jopts.threshold_us);
    printf("%5s %4s %10s %9s %8s %8s %8s %8s %8s %9s %7s\n", "rank", "pu", "baseline_us", "detours",
           "rate_hz", "noise_%", "p50", "p90", "p99", "max", "coinc");
    for (int i = 0; i < r.nthreads; i++) {
        const place_jitter_thread *t = &r.t[i];
        printf("%5d %4d %10.2f %9lld %8.0f %8.3f %8.1f %8.1f %8.1f %9.1f %7.2f\n", l->rank, t->pu,
               t->baseline_us, (long long)t->detours, t->detour_rate_hz, 100 * t->noise_fraction,
               t->len_p50_us, t->len_p90_us, t->len_p99_us, t->len_max_us, t->coincident_fraction);
    }
    int rc = 0;
    if (o->output) {
        char path[PATH_MAX], tmp[PATH_MAX + 16];
        const char *dot = strrchr(o->output, '.');
        if (l->size > 1 && dot && !strcmp(dot, ".json"))
            snprintf(path, sizeof path, "%.*s.rank%d.json", (int)(dot - o->output), o->output, l->rank);
        else if (l->size > 1)
            snprintf(path, sizeof path, "%s.rank%d", o->output, l->rank);
        else
            snprintf(path, sizeof path, "%s", o->output);
        snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
        FILE *f = fopen(tmp, "w");
        if (!f || place_jitter_write_json(&r, f, &e) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
            fprintf(stderr, "placerun: -o '%.200s': cannot write the jitter report\n", path);
            unlink(tmp);
            rc = 1;
        }
    }
    place_jitter_free(&r);
    return rc;
}

static int shim_run(options *o, const place_launch *l)
{
    place_error e;
    shim s = {0};
    int code = 2;
    if (shim_plans(o, l, &s, &e) < 0) {
        code = (e.code == PLACE_EINFEASIBLE) ? 1 : 2;
        goto fail;
    }
    place_rank_info ri;
    place_plan_rank(s.node, l->local_rank, &ri, NULL);
    if (o->jitter) {
        int rc = jitter_run(o, l, &ri);
        shim_free(&s);
        return rc;
    }

    /* the application: checked before anything is changed */
    char app[PATH_MAX], dir[PATH_MAX - 32], probe[PATH_MAX];
    char *check_argv[2] = {probe, NULL};
    char **argv = o->app_argv;
    if (o->check) {
        if (self_dir(dir, sizeof dir) < 0)
            snprintf(dir, sizeof dir, ".");
        snprintf(probe, sizeof probe, "%s/placecheck", dir);
        argv = check_argv;
    }
    if (find_executable(argv[0], app, sizeof app) < 0) {
        place_error_set(&e, PLACE_ENOENT, "cannot execute '%.200s': %s", argv[0], strerror(errno));
        code = 127;
        goto fail;
    }

    /* the launcher's binding, if narrower than the plan, is said and replaced */
    char *before = place_current_binding();
    if (before && !strstr(l->launcher, "none")) {
        hwloc_bitmap_t want = hwloc_bitmap_alloc(), have = hwloc_bitmap_alloc();
        hwloc_bitmap_list_sscanf(want, ri.cpuset);
        hwloc_bitmap_list_sscanf(have, before);
        if (!hwloc_bitmap_isincluded(want, have))
            fprintf(stderr, "placerun: note: rank %d: the launcher bound this process to PUs %s, "
                    "narrower than the plan's %s; placerun rebinds it (turn the launcher's binding "
                    "off: mpirun --bind-to none, srun --cpu-bind=none)\n", l->rank, before, ri.cpuset);
        hwloc_bitmap_free(want);
        hwloc_bitmap_free(have);
    }
    free(before);

    if (place_bind_process(s.topo, ri.cpuset, &e) < 0) {
        if (!o->best_effort) {
            code = 1;
            goto fail;
        }
        fprintf(stderr, "placerun: warning: rank %d runs unbound (--best-effort): %s\n", l->rank, e.msg);
    }
    if (place_set_membind(o->membind, ri.numa_os, ri.nnuma, &e) < 0) {
        if (!o->best_effort) {
            code = 1;
            goto fail;
        }
        fprintf(stderr, "placerun: warning: rank %d keeps its memory policy (--best-effort): %s\n",
                l->rank, e.msg);
    }
    export_omp(o, l, &ri);
    char plan_path[PATH_MAX];
    if (write_plan_file(l, s.global, s.node, s.d, plan_path, sizeof plan_path, &e) < 0) {
        code = 1;
        goto fail;
    }
    export_place(l, &ri, s.d, plan_path);
    if (o->monitor) {
        char lib[PATH_MAX - 32], pre[PATH_MAX], out[PATH_MAX];
        if (lib_dir(lib, sizeof lib) < 0)
            snprintf(lib, sizeof lib, ".");
        snprintf(pre, sizeof pre, "%s/libplacemon.so", lib);
        if (access(pre, R_OK) != 0) {
            place_error_set(&e, PLACE_ENOENT, "--monitor: the monitor library '%.200s' is missing",
                            pre);
            code = 1;
            goto fail;
        }
        const char *old = getenv("LD_PRELOAD");
        char both[2 * PATH_MAX];
        snprintf(both, sizeof both, "%s%s%s", pre, old && *old ? ":" : "", old ? old : "");
        setenv("LD_PRELOAD", both, 1);
        const char *dot = strrchr(o->monitor, '.');
        if (l->size > 1 && dot && !strcmp(dot, ".json"))
            snprintf(out, sizeof out, "%.*s.rank%d.json", (int)(dot - o->monitor), o->monitor, l->rank);
        else if (l->size > 1)
            snprintf(out, sizeof out, "%s.rank%d", o->monitor, l->rank);
        else
            snprintf(out, sizeof out, "%s", o->monitor);
        setenv("PLACE_MONITOR_OUT", out, 1);
        setenv_int("PLACE_MONITOR_PID", getpid()); /* exec keeps the pid */
    }
    if (o->report) {
        char *now = place_current_binding();
        report(o, l, &ri, now ? now : "?");
        free(now);
    }
    shim_free(&s);
    execv(app, argv);
    fprintf(stderr, "placerun: cannot execute '%.200s': %s\n", app, strerror(errno));
    return 127;
fail:
    shim_free(&s);
    return fail(&e, code);
}

/* ---- wrapper ----------------------------------------------------------------------- */

static int is_wrapper_option(const char *a)
{
    return !strcmp(a, "--launcher") || !strncmp(a, "--launcher=", 11);
}

static int wrapper_run(options *o)
{
    const char *L = o->launcher;
    char path[PATH_MAX], self[PATH_MAX];
    if (!L)
        L = (getenv("SLURM_JOB_ID") && find_executable("srun", path, sizeof path) == 0) ? "srun"
                                                                                     : "mpirun";
    if (find_executable(L, path, sizeof path) < 0) {
        fprintf(stderr, "placerun: cannot start %s: not found in PATH (install it, or run under "
                "your launcher: %s -n N placerun ...)\n", L, L);
        return 127;
    }
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "placerun: cannot find its own executable: %s\n", strerror(errno));
        return 1;
    }
    self[len] = '\0';
    int N = o->req.ranks ? o->req.ranks : 1;
    char **args = calloc((size_t)o->argc + 16, sizeof *args);
    char np[16], per[48], nodes[16];
    int k = 0;
    args[k++] = (char *)L;
    snprintf(np, sizeof np, "%d", N);
    if (!strcmp(L, "mpirun")) {
        args[k++] = "-np";
        args[k++] = np;
        args[k++] = "--bind-to";
        args[k++] = "none";
        int R = o->req.ranks_per_node ? o->req.ranks_per_node
                : o->req.nodes ? (N + o->req.nodes - 1) / o->req.nodes : 0;
        if (R) {
            snprintf(per, sizeof per, "ppr:%d:node", R);
            args[k++] = "--map-by";
            args[k++] = per;
        }
        if (o->req.oversubscribe)
            args[k++] = "--oversubscribe";
    } else {
        args[k++] = "-n";
        args[k++] = np;
        if (o->req.nodes) {
            snprintf(nodes, sizeof nodes, "%d", o->req.nodes);
            args[k++] = "-N";
            args[k++] = nodes;
        }
        if (o->req.ranks_per_node) {
            snprintf(per, sizeof per, "--ntasks-per-node=%d", o->req.ranks_per_node);
            args[k++] = per;
        }
        args[k++] = "--cpu-bind=none";
    }
    args[k++] = self;
    /* placerun's own options, minus the wrapper's, then the application */
    int first_app = o->argc - o->app_argc;
    for (int i = 1; i < first_app; i++) {
        if (is_wrapper_option(o->argv[i])) {
            if (!strcmp(o->argv[i], "--launcher"))
                i++;
            continue;
        }
        if (!strcmp(o->argv[i], "--"))
            continue;
        args[k++] = o->argv[i];
    }
    if (o->app_argc) {
        args[k++] = "--";
        for (int i = 0; i < o->app_argc; i++)
            args[k++] = o->app_argv[i];
    }
    args[k] = NULL;
    if (o->verbose) {
        fprintf(stderr, "placerun: running:");
        for (int i = 0; args[i]; i++)
            fprintf(stderr, " %s", args[i]);
        fputc('\n', stderr);
    }
    execv(path, args);
    fprintf(stderr, "placerun: cannot start %s: %s\n", path, strerror(errno));
    free(args);
    return 127;
}

int placerun_run(options *o)
{
    place_error e;
    place_launch l;
    if (place_launch_detect(&l, &e) < 0)
        return fail(&e, 2);
    int alone = !strcmp(l.launcher, "none");
    if (alone && (o->launcher || o->req.ranks > 1 || o->req.nodes > 1 || o->req.ranks_per_node > 1))
        return wrapper_run(o);
    if (!alone && o->launcher) {
        place_error_set(&e, PLACE_EINVAL, "--launcher %s: already running under %s; drop "
                        "--launcher (it starts a launcher, it does not nest one)", o->launcher,
                        l.launcher);
        return fail(&e, 2);
    }
    if (o->ranks_given && o->req.ranks != l.size) {
        place_error_set(&e, PLACE_EINVAL, "-n %d, but the launcher (%s) started %d ranks",
                        o->req.ranks, l.launcher, l.size);
        return fail(&e, 2);
    }
    return shim_run(o, &l);
}
