/* spank_place: place's node plan applied by Slurm itself, at every task's start.
 *
 *   srun --place ./app                  every task bound and told its plan, as under placerun
 *   srun --place=threads=4,policy=compact,grid=256x256x256 ./app
 *   srun --place=off ./app              off, where plugstack.conf turned it on by default
 *
 * plugstack.conf:  optional /usr/local/lib/place/spank_place.so [default=on]
 *                  [noise-profile=FILE] [KEY=VALUE ...]
 *   noise-profile=FILE: the node's noise profile (placerun --profile-node -o FILE, at boot)
 *   for reserve-cores=auto and avoid-noisy
 * (default=on applies it to every step; KEY=VALUE are site defaults a job's --place
 * overrides key by key).
 *
 * In srun (local context) the option string is checked, so that a bad one fails the job
 * at submission with one line. In each task (remote context, slurm_spank_task_init: after
 * Slurm's task plugin has bound the task, before exec) the task's rank, the job's size and
 * the node's tasks come from Slurm; libplace computes the node's plan exactly as placerun's
 * shim does (place_jobplan_compute over the step's allowed PUs), writes the node's plan file,
 * binds the task to its plan (replacing Slurm's --cpu-bind, and said when that differs),
 * sets its memory policy, and sets the same variables placerun exports (PLACE_*, OMP_*,
 * and with GPUs the vendors') in the task's environment with spank_setenv.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <slurm/spank.h>
#include "place.h"

SPANK_PLUGIN(place, 1);

/* What a job asked for (site defaults, then --place). */
static struct {
    int on;
    int threads_given; /* by the job's --place (it overrides the user's OMP_*) */
    int threads_site;  /* a site default from plugstack.conf (the user's OMP_* win) */
    place_request req;
    int grid;
    int64_t n[3];
    unsigned decomp_flags;
    char membind[16];
    char policy[16], kinds[16], gpu_bind[80], nics[200];
} cfg;
static int initialised;

/* plugstack.conf's arguments were refused: the plugin places nothing */
static int broken;

static void defaults(void)
{
    if (initialised)
        return;
    initialised = 1;
    memset(&cfg, 0, sizeof cfg);
    place_request_init(&cfg.req);
    snprintf(cfg.membind, sizeof cfg.membind, "local");
}

/* One KEY=VALUE of the option string (placerun's option names without "--"). */
static int apply(const char *kv, place_error *e)
{
    char key[32];
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
    if (kl == 0 || kl >= sizeof key)
        return place_error_set(e, PLACE_EINVAL, "--place: '%.40s' is not KEY=VALUE", kv);
    memcpy(key, kv, kl);
    key[kl] = '\0';
    const char *v = eq ? eq + 1 : NULL;
    if (!strcmp(key, "off") && !v) {
        cfg.on = 0;
        return 0;
    }
    if (!strcmp(key, "on") && !v) {
        cfg.on = 1;
        return 0;
    }
    if (!v || !*v)
        return place_error_set(e, PLACE_EINVAL, "--place: '%s' needs a value (%s=...)", key, key);
    char label[48];
    snprintf(label, sizeof label, "--place %s", key);
    const char *val = v;
    if (!strcmp(key, "nics")) { /* the list points into the value: kept */
        if (strlen(v) >= sizeof cfg.nics)
            return place_error_set(e, PLACE_EINVAL, "--place nics: longer than %zu characters",
                                   sizeof cfg.nics - 1);
        snprintf(cfg.nics, sizeof cfg.nics, "%s", v);
        val = cfg.nics;
    }
    if (place_request_key(key, PLACE_KEY_SPANK)) { /* the request's keys: libplace's parser */
        if (place_request_set(&cfg.req, key, val, label, e) < 0)
            return -1;
        cfg.threads_given |= !strcmp(key, "threads");
        /* GPUs asked for: their NICs too, unless nics= said otherwise */
        if ((!strcmp(key, "gpus") || !strcmp(key, "gpus-per-rank")) &&
            cfg.req.nics == PLACE_NICS_NONE && cfg.req.gpus_per_rank)
            cfg.req.nics = PLACE_NICS_AUTO;
        return 0;
    }
    if (!strcmp(key, "grid")) {
        cfg.grid = 1;
        return place_grid_parse("--place grid", v, cfg.n, e);
    }
    if (!strcmp(key, "membind")) {
        if (strcmp(v, "local") && strcmp(v, "interleave") && strcmp(v, "none"))
            return place_error_set(e, PLACE_EINVAL,
                                   "--place membind '%.40s': expected local, "
                                   "interleave or none",
                                   v);
        snprintf(cfg.membind, sizeof cfg.membind, "%s", v);
        return 0;
    }
    return place_error_set(e, PLACE_EINVAL,
                           "--place: '%s' unknown; expected threads, policy, "
                           "smt, reserve-cores, cpu-kinds, grid, membind, gpus, gpus-per-rank, "
                           "nics, step-us, avoid-noisy, on or off",
                           key);
}

/* A comma-separated option string (the plugstack arguments are one KEY=VALUE each). */
static int apply_string(const char *s, place_error *e)
{
    char item[256];
    if (!s || !*s) {
        cfg.on = 1;
        return 0;
    }
    cfg.on = 1;
    for (const char *at = s;;) {
        size_t len = strcspn(at, ",");
        if (len == 0 || len >= sizeof item)
            return place_error_set(e, PLACE_EINVAL,
                                   "--place '%.60s': an empty or over-long item; "
                                   "expected KEY=VALUE,... (threads=4,policy=compact) or off",
                                   s);
        memcpy(item, at, len);
        item[len] = '\0';
        if (apply(item, e) < 0)
            return -1;
        if (!at[len])
            break;
        at += len + 1;
    }
    return 0;
}

// one row a line: a new row re-lays no other
// clang-format off
static const place_spelling names = {
    "srun -n",
    "srun -N",
    "srun --ntasks-per-node",
    "--place threads",
    "--place policy",
    "--place smt",
    "--place reserve-cores",
    "more CPUs from Slurm (srun -c)",
    "--place cpu-kinds",
    "the step's CPUs",
    "--place gpus-per-rank",
    "--place gpu-bind",
    "--place nics",
    "--place gpus",
};
// clang-format on

static int option_cb(int val, const char *optarg, int remote)
{
    (void)val;
    (void)remote;
    place_error e;
    if (broken) {
        const char *msg = "--place: the site's place plugin is off (its plugstack.conf "
                          "arguments were refused; the site's log says why)";
        if (spank_context() != S_CTX_REMOTE) {
            fprintf(stderr, "%s: error: %s\n", program_invocation_short_name, msg);
            exit(2);
        }
        slurm_error("%s", msg);
        return -ESPANK_BAD_ARG;
    }
    defaults();
    cfg.req.spelling = &names;
    /* srun hands the tasks only the last --place: a second one would drop the first
     * one's keys without a word */
    static char first[200];
    static int seen;
    if (spank_context() == S_CTX_LOCAL && seen++) {
        fprintf(stderr,
                "%s: error: --place given twice ('%.60s', then '%.60s'); give one "
                "--place with every key, e.g. --place=%.60s,%.60s\n",
                program_invocation_short_name, first, optarg ? optarg : "", first,
                optarg ? optarg : "");
        exit(2);
    }
    snprintf(first, sizeof first, "%s", optarg ? optarg : "");
    if (apply_string(optarg, &e) < 0) {
        if (spank_context() != S_CTX_REMOTE) {
            /* srun, sbatch, salloc: one line and a refusal before anything is allocated or
             * started (returning an error would add Slurm's own second line) */
            fprintf(stderr, "%s: error: %s\n", program_invocation_short_name, e.msg);
            exit(2);
        }
        slurm_error("%s", e.msg);
        return -ESPANK_BAD_ARG; /* Slurm fails on a negative return only */
    }
    return ESPANK_SUCCESS;
}

struct spank_option spank_options[] = {
    {"place", "[OPTS]",
     "Place every task with libplace's node plan: bind it, set its memory policy and export "
     "PLACE_*, OMP_* (and with GPUs the vendors' variables). OPTS: KEY=VALUE,... with threads, "
     "policy, smt, reserve-cores (N or auto), cpu-kinds, grid, membind, gpus, gpus-per-rank, "
     "nics, step-us, avoid-noisy; or off.",
     2, 0, option_cb},
    SPANK_OPTIONS_TABLE_END};

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    (void)sp;
    defaults();
    cfg.req.spelling = &names;
    place_error e;
    for (int i = 0; i < ac; i++) {
        if (!strcmp(av[i], "default=on")) {
            cfg.on = 1;
            continue;
        }
        if (!strcmp(av[i], "default=off")) {
            cfg.on = 0;
            continue;
        }
        if (!strncmp(av[i], "noise-profile=", 14)) { /* the site's, made at boot */
            static place_noise_profile prof;
            if (place_noise_profile_read(&prof, av[i] + 14, &e) < 0) {
                slurm_error("place: plugstack.conf argument '%s': %s; the plugin is off", av[i],
                            e.msg);
                memset(&cfg, 0, sizeof cfg);
                place_request_init(&cfg.req);
                broken = 1;
                return -ESPANK_ERROR;
            }
            char key[400];
            if (place_noise_profile_key(key, sizeof key) == 0 && strcmp(key, prof.key)) {
                slurm_info("place: noise profile '%s' (%s) was measured in another state of this "
                           "node (another boot or other CPUs online): not used",
                           av[i] + 14, prof.measured);
                place_noise_profile_fini(&prof);
            } else {
                cfg.req.noise = &prof;
            }
            continue;
        }
        int was = cfg.on;
        if (apply(av[i], &e) < 0) {
            /* all or nothing: the plugin does not load (negative: Slurm fails only on that),
             * and where Slurm keeps an `optional` plugin loaded anyway, it does nothing: the
             * arguments before the bad one are dropped with it, and --place is refused */
            slurm_error("place: plugstack.conf argument '%s': %s; the plugin is off", av[i], e.msg);
            memset(&cfg, 0, sizeof cfg);
            place_request_init(&cfg.req);
            broken = 1;
            return -ESPANK_ERROR;
        }
        cfg.on = was; /* a site default is not "on" by itself */
    }
    cfg.threads_site = cfg.threads_given; /* a site default, not the job's own */
    cfg.threads_given = 0;
    return ESPANK_SUCCESS;
}

static int item(spank_t sp, spank_item_t it, uint32_t *v)
{
    return spank_get_item(sp, it, v) == ESPANK_SUCCESS ? 0 : -1;
}

/* A job variable into this process's environment (where libplace reads it). */
static void take(spank_t sp, const char *name)
{
    char buf[4096];
    if (spank_getenv(sp, name, buf, sizeof buf) == ESPANK_SUCCESS)
        setenv(name, buf, 1);
    else
        unsetenv(name);
}

/* A failure stops the task: one line on its stderr (this process becomes the task), and
 * a negative return, on which Slurm fails the task and srun exits non-zero. */
static int fail(uint32_t rank, const place_error *e)
{
    fprintf(stderr, "place: task %u: %s\n", rank, e->msg);
    fflush(stderr);
    slurm_info("place: task %u: %s", rank, e->msg);
    return -ESPANK_ERROR;
}

static int set_env(spank_t sp, char **env, int n, uint32_t rank)
{
    for (int i = 0; i < n; i++) {
        char *eq = strchr(env[i], '=');
        *eq = '\0';
        int rc = spank_setenv(sp, env[i], eq + 1, 1);
        *eq = '=';
        if (rc != ESPANK_SUCCESS) {
            place_error e;
            place_error_set(&e, PLACE_ESYS, "cannot set %s in the task's environment", env[i]);
            return fail(rank, &e);
        }
    }
    return ESPANK_SUCCESS;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (!spank_remote(sp) || !cfg.on || broken)
        return ESPANK_SUCCESS;
    uint32_t rank = 0, size = 0, lid = 0, lsize = 0, nodeid = 0, jobid = 0, stepid = 0;
    if (item(sp, S_TASK_GLOBAL_ID, &rank) || item(sp, S_JOB_TOTAL_TASK_COUNT, &size) ||
        item(sp, S_TASK_ID, &lid) || item(sp, S_JOB_LOCAL_TASK_COUNT, &lsize) ||
        item(sp, S_JOB_NODEID, &nodeid) || item(sp, S_JOB_ID, &jobid) ||
        item(sp, S_JOB_STEPID, &stepid)) {
        place_error e;
        place_error_set(&e, PLACE_ESYS, "Slurm did not give the task's rank and the job's sizes");
        return fail(rank, &e);
    }
    place_launch l = {.launcher = "slurm",
                      .rank = (int)rank,
                      .size = (int)size,
                      .local_rank = (int)lid,
                      .local_size = (int)lsize,
                      .node = (int)nodeid};
    snprintf(l.job, sizeof l.job, "slurm-%u.%u", jobid, stepid);
    /* where the plan file goes, and the GPUs Slurm gave the step (SLURM_STEP_GPUS and each
     * GPU runtime's variables): the job's own values */
    const char *from_job[] = {place_env_name(PLACE_ENV_PLAN_DIR), "TMPDIR", "SLURM_STEP_GPUS",
                              NULL};
    for (int i = 0; from_job[i]; i++)
        take(sp, from_job[i]);
    int nrt;
    const place_gpu_runtime *rt = place_gpu_runtimes(&nrt);
    for (int k = 0; k < nrt; k++) {
        take(sp, rt[k].visible);
        if (rt[k].also)
            take(sp, rt[k].also);
    }
    place_error e;
    /* threads: the job's --place threads=, else the user's own OMP_NUM_THREADS, else the
     * site's default (said when the user's value wins over it) */
    place_request req = cfg.req;
    char user_nt[64];
    int unt = 0;
    if (!cfg.threads_given &&
        spank_getenv(sp, "OMP_NUM_THREADS", user_nt, sizeof user_nt) == ESPANK_SUCCESS &&
        place_parse_int("OMP_NUM_THREADS", user_nt, 1, 1 << 20, &unt, NULL) == 0) {
        if (cfg.threads_site && unt != req.threads && lid == 0)
            fprintf(stderr,
                    "place: note: the user's OMP_NUM_THREADS=%d wins over the site's "
                    "default threads=%d; --place threads=T sets it for the job\n",
                    unt, req.threads);
        req.threads = unt;
    }
    /* the step's CPUs bound every binding: Slurm names the step's cores (its abstract
     * numbering: cores in socket order, as hwloc's logical index), which a task cgroup may
     * not confine the task to */
    char *cores = NULL, allowed[8192] = "";
    if (spank_get_item(sp, S_STEP_ALLOC_CORES, &cores) == ESPANK_SUCCESS && cores && *cores) {
        int list[4096], n = 0;
        if (place_parse_cpulist("the step's cores (S_STEP_ALLOC_CORES)", cores, list, 4096, &n,
                                &e) < 0)
            return fail(rank, &e);
        size_t at = 0;
        for (int i = 0; i < n && at + 24 < sizeof allowed; i++)
            at += (size_t)snprintf(allowed + at, sizeof allowed - at, "%score:%d", i ? "," : "",
                                   list[i]);
    }
    place_jobplan jp;
    if (place_jobplan_compute(&jp, &l, NULL, allowed[0] ? allowed : NULL, &req,
                              cfg.grid ? cfg.n : NULL, cfg.decomp_flags, &e) < 0)
        return fail(rank, &e);
    place_assignment a;
    char *path = NULL, **env = NULL, *places = NULL, *rec = NULL;
    int n = 0, rc = ESPANK_ERROR;
    if (place_jobplan_assignment(&jp, &l, &a, &e) < 0) {
        place_jobplan_fini(&jp);
        return fail(rank, &e);
    }
    places = place_omp_places(a.thread_pu_os, a.nthreads);
    if (!places) {
        place_error_set(&e, PLACE_EINVAL,
                        "%d threads: OMP_PLACES would not fit one environment "
                        "string",
                        a.nthreads);
        goto out;
    }
    /* everything checked before anything is changed */
    if (place_env_fits(&a, &e) < 0 || place_jobplan_write(&jp, &l, &path, &e) < 0 ||
        place_env_exports(&l, &a, path, &env, &n, &e) < 0)
        goto out;
    const char *pn = place_private_dir_note(); /* another user holds the usual directory */
    if (pn && lid == 0)
        fprintf(stderr, "place: note: %s\n", pn);
    char *before = place_current_binding();
    if (before && strcmp(before, a.cpuset) && lid == 0)
        fprintf(stderr,
                "place: note: Slurm bound task %u to PUs %s; --place rebinds every task "
                "to its plan (here %s); srun --cpu-bind=none avoids the double work\n",
                rank, before, a.cpuset);
    free(before);
    if (place_bind_process(jp.topo, a.cpuset, &e) < 0 ||
        place_set_membind(cfg.membind, a.numa_os, a.nnuma, &e) < 0)
        goto out;
    if (set_env(sp, env, n, rank) != ESPANK_SUCCESS) {
        rc = ESPANK_ERROR;
        goto done;
    }
    /* OMP_*: the user's own values win unless --place threads= was given (placerun's rule
     * for -t); what is set is recorded in PLACE_OMP_SET */
    char nt[16];
    snprintf(nt, sizeof nt, "%d", a.nthreads);
    const char *keys[3] = {"OMP_NUM_THREADS", "OMP_PLACES", "OMP_PROC_BIND"};
    const char *vals[3] = {nt, places, "close"};
    const char *sk[3], *sv[3];
    int ns = 0;
    char *old = malloc((size_t)128 * 1024); /* the kernel's limit for one environment string */
    if (!old) {
        place_error_set(&e, PLACE_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < 3; i++) {
        spank_err_t got =
            cfg.threads_given ? ESPANK_ENV_NOEXIST : spank_getenv(sp, keys[i], old, 128 * 1024);
        if (got == ESPANK_SUCCESS && strcmp(old, vals[i])) {
            if (lid == 0)
                fprintf(stderr,
                        "place: note: keeping the user's %s=%.60s%s (plan: %.60s); "
                        "--place threads=T overrides it\n",
                        keys[i], old, strlen(old) > 60 ? "..." : "", vals[i]);
            continue;
        }
        sk[ns] = keys[i];
        sv[ns++] = vals[i];
    }
    free(old);
    if (place_env_omp_record(sk, sv, ns, &rec, &e) < 0)
        goto out;
    for (int i = 0; i < ns; i++)
        if (spank_setenv(sp, sk[i], sv[i], 1) != ESPANK_SUCCESS) {
            place_error_set(&e, PLACE_ESYS, "cannot set %s in the task's environment", sk[i]);
            goto out;
        }
    if (spank_setenv(sp, place_env_name(PLACE_ENV_OMP_SET), rec, 1) != ESPANK_SUCCESS) {
        place_error_set(&e, PLACE_ESYS, "cannot set the task's environment");
        goto out;
    }
    rc = ESPANK_SUCCESS;
    goto done;
out:
    rc = fail(rank, &e);
done:
    free(rec);
    free(places);
    free(path);
    place_env_list_free(env, n);
    place_assignment_fini(&a);
    place_jobplan_fini(&jp);
    return rc;
}
