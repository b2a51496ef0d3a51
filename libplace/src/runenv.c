/* runenv.c: the PLACE_* environment, written by placerun and read by applications.
 *
 * The one table of variables, their export, and their strict reading. The plan file
 * they point to is planfile.c's; together they are the whole placerun-application
 * contract (docs/design.md, "The launcher environment").
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "place/parse.h"
#include "place/runenv.h"

static const char *const names[PLACE_ENV_COUNT] = {
    [PLACE_ENV_RANK] = "PLACE_RANK",
    [PLACE_ENV_SIZE] = "PLACE_SIZE",
    [PLACE_ENV_LOCAL_RANK] = "PLACE_LOCAL_RANK",
    [PLACE_ENV_LOCAL_SIZE] = "PLACE_LOCAL_SIZE",
    [PLACE_ENV_NODE] = "PLACE_NODE",
    [PLACE_ENV_LAUNCHER] = "PLACE_LAUNCHER",
    [PLACE_ENV_CPUSET] = "PLACE_CPUSET",
    [PLACE_ENV_NUMA] = "PLACE_NUMA",
    [PLACE_ENV_THREAD_PUS] = "PLACE_THREAD_PUS",
    [PLACE_ENV_NTHREADS] = "PLACE_NTHREADS",
    [PLACE_ENV_PLAN] = "PLACE_PLAN",
    [PLACE_ENV_DIMS] = "PLACE_DIMS",
    [PLACE_ENV_COORDS] = "PLACE_COORDS",
    [PLACE_ENV_BOX] = "PLACE_BOX",
    [PLACE_ENV_OMP_SET] = "PLACE_OMP_SET",
    [PLACE_ENV_MONITOR_OUT] = "PLACE_MONITOR_OUT",
    [PLACE_ENV_MONITOR_PID] = "PLACE_MONITOR_PID",
    [PLACE_ENV_MONITOR_INTERVAL_US] = "PLACE_MONITOR_INTERVAL_US",
    [PLACE_ENV_PLAN_DIR] = "PLACE_PLAN_DIR",
    [PLACE_ENV_CONFIG] = "PLACE_CONFIG",
    [PLACE_ENV_PAPI_EVENTS] = "PLACE_PAPI_EVENTS",
};

const char *place_env_name(place_env_var v)
{
    return (unsigned)v < PLACE_ENV_COUNT ? names[v] : "PLACE_?";
}

const char *place_env_get(place_env_var v)
{
    return (unsigned)v < PLACE_ENV_COUNT ? getenv(names[v]) : NULL;
}

int place_env_placed(void)
{
    const char *r = getenv(names[PLACE_ENV_RANK]);
    return r && *r;
}

/* ---- export ------------------------------------------------------------------------ */

static int set(place_env_var v, const char *value, place_error *err)
{
    if (setenv(names[v], value, 1) != 0)
        return place_error_set(err, PLACE_ENOMEM, "cannot set %s: out of memory", names[v]);
    return 0;
}

static int set_long(place_env_var v, long x, place_error *err)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", x);
    return set(v, b, err);
}

int place_env_export(const place_launch *l, const place_assignment *a, const char *plan_path,
                     place_error *err)
{
    char *numa = place_int_list_string(a->numa_os, a->nnuma, "", ""),
         *pus = place_int_list_string(a->thread_pu_os, a->nthreads, "", "");
    int rc = -1;
    if (!numa || !pus) {
        place_error_set(err, PLACE_ENOMEM, "out of memory");
        goto out;
    }
    if (set_long(PLACE_ENV_RANK, a->rank, err) || set_long(PLACE_ENV_SIZE, a->size, err) ||
        set_long(PLACE_ENV_LOCAL_RANK, a->local_rank, err) ||
        set_long(PLACE_ENV_LOCAL_SIZE, a->local_size, err) || set_long(PLACE_ENV_NODE, a->node, err) ||
        set(PLACE_ENV_LAUNCHER, l->launcher, err) || set(PLACE_ENV_CPUSET, a->cpuset, err) ||
        set(PLACE_ENV_NUMA, numa, err) || set(PLACE_ENV_THREAD_PUS, pus, err) ||
        set_long(PLACE_ENV_NTHREADS, a->nthreads, err))
        goto out;
    if (plan_path && set(PLACE_ENV_PLAN, plan_path, err))
        goto out;
    if (a->has_grid) {
        char s[200];
        const place_box *b = &a->box;
        snprintf(s, sizeof s, "%d,%d,%d", a->dims[0], a->dims[1], a->dims[2]);
        if (set(PLACE_ENV_DIMS, s, err))
            goto out;
        snprintf(s, sizeof s, "%d,%d,%d", b->coords[0], b->coords[1], b->coords[2]);
        if (set(PLACE_ENV_COORDS, s, err))
            goto out;
        snprintf(s, sizeof s, "%lld:%lld,%lld:%lld,%lld:%lld", (long long)b->lo[0],
                 (long long)b->hi[0], (long long)b->lo[1], (long long)b->hi[1], (long long)b->lo[2],
                 (long long)b->hi[2]);
        if (set(PLACE_ENV_BOX, s, err))
            goto out;
    }
    rc = 0;
out:
    free(numa);
    free(pus);
    return rc;
}

int place_env_export_omp(const char *const *names, const char *const *values, int n,
                         place_error *err)
{
    size_t len = 1;
    for (int i = 0; i < n; i++) {
        if (strchr(values[i], ';') || strchr(names[i], '='))
            return place_error_set(err, PLACE_EINVAL, "%s='%.40s': a ';' in an OpenMP variable "
                                   "placerun sets", names[i], values[i]);
        len += strlen(names[i]) + strlen(values[i]) + 2;
    }
    char *rec = malloc(len);
    if (!rec)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    size_t at = 0;
    rec[0] = '\0';
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        at += (size_t)snprintf(rec + at, len - at, "%s%s=%s", i ? ";" : "", names[i], values[i]);
        if (setenv(names[i], values[i], 1) != 0)
            rc = place_error_set(err, PLACE_ENOMEM, "cannot set %s: out of memory", names[i]);
    }
    if (rc == 0)
        rc = set(PLACE_ENV_OMP_SET, rec, err);
    free(rec);
    return rc;
}

int place_env_omp_by_placerun(const char *name, const char *value)
{
    const char *rec = getenv(names[PLACE_ENV_OMP_SET]);
    size_t nl = strlen(name), vl = strlen(value);
    for (const char *p = rec; p && *p;) {
        size_t len = strcspn(p, ";");
        if (len == nl + 1 + vl && !strncmp(p, name, nl) && p[nl] == '=' &&
            !strncmp(p + nl + 1, value, vl))
            return 1;
        p += len + (p[len] == ';');
    }
    return 0;
}

#define ENV_STRING_MAX (32 * 4096) /* the kernel's MAX_ARG_STRLEN on 4 KiB pages */

int place_env_fits(const place_assignment *a, place_error *err)
{
    char *pus = place_int_list_string(a->thread_pu_os, a->nthreads, "", "");
    char *numa = place_int_list_string(a->numa_os, a->nnuma, "", "");
    int rc = 0;
    if (!pus || !numa)
        rc = place_error_set(err, PLACE_ENOMEM, "out of memory");
    else if (strlen(names[PLACE_ENV_THREAD_PUS]) + strlen(pus) + 2 > ENV_STRING_MAX ||
             strlen(names[PLACE_ENV_CPUSET]) + strlen(a->cpuset) + 2 > ENV_STRING_MAX ||
             strlen(names[PLACE_ENV_NUMA]) + strlen(numa) + 2 > ENV_STRING_MAX)
        rc = place_error_set(err, PLACE_EINVAL, "%d threads on PUs %.60s...: %s or %s would exceed "
                             "the kernel's %d bytes for one environment string; expected fewer "
                             "threads per rank", a->nthreads, a->cpuset,
                             names[PLACE_ENV_THREAD_PUS], names[PLACE_ENV_CPUSET], ENV_STRING_MAX);
    free(pus);
    free(numa);
    return rc;
}

int place_env_export_monitor(const char *out, long pid, place_error *err)
{
    if (set(PLACE_ENV_MONITOR_OUT, out, err) < 0)
        return -1;
    return set_long(PLACE_ENV_MONITOR_PID, pid, err);
}

/* ---- strict reading ------------------------------------------------------------------ */

static int env_int(place_env_var v, long min, long max, int *out, place_error *err)
{
    const char *s = getenv(names[v]);
    if (!s)
        return place_error_set(err, PLACE_EINVAL, "%s is not set, though PLACE_RANK is; expected "
                               "every variable placerun exports", names[v]);
    return place_parse_int(names[v], s, min, max, out, err);
}

static int differs(place_env_var v, const char *path, place_error *err)
{
    return place_error_set(err, PLACE_EINVAL, "%s='%.60s' differs from the plan file '%.200s'; "
                           "expected the values placerun exported with it", names[v],
                           getenv(names[v]), path);
}

int place_assignment_from_env(place_assignment *a, place_error *err)
{
    memset(a, 0, sizeof *a);
    if (!place_env_placed())
        return place_error_set(err, PLACE_ENOTPLACED, "PLACE_RANK is not set: not running under "
                               "placerun, which exports the node's plan");
    int rank, size, nthreads, local_rank = -1, local_size = -1, job = -1;
    if (env_int(PLACE_ENV_RANK, 0, PLACE_MAX_RANKS - 1, &rank, err) < 0)
        return -1;
    const char *path = getenv(names[PLACE_ENV_PLAN]);
    if (!path || !*path)
        return place_error_set(err, PLACE_EINVAL, "PLACE_PLAN is not set, though PLACE_RANK is; "
                               "expected the node's plan file from placerun");
    /* a node's own plan (ranks not in node blocks) is numbered by local rank */
    if (getenv(names[PLACE_ENV_LOCAL_RANK]) && getenv(names[PLACE_ENV_LOCAL_SIZE]) &&
        getenv(names[PLACE_ENV_SIZE]) &&
        (env_int(PLACE_ENV_LOCAL_RANK, 0, PLACE_MAX_RANKS - 1, &local_rank, err) < 0 ||
         env_int(PLACE_ENV_LOCAL_SIZE, 1, PLACE_MAX_RANKS, &local_size, err) < 0 ||
         env_int(PLACE_ENV_SIZE, 1, PLACE_MAX_RANKS, &job, err) < 0))
        return -1;
    if (place_assignment_load_job(a, path, rank, local_rank, local_size, job, err) < 0)
        return -1;
    if (env_int(PLACE_ENV_SIZE, 1, PLACE_MAX_RANKS, &size, err) < 0 ||
        env_int(PLACE_ENV_NTHREADS, 1, PLACE_MAX_PU_INDEX + 1, &nthreads, err) < 0) {
        place_assignment_free(a);
        return -1;
    }
    /* the variables and the file must tell the same story */
    const char *cpuset = getenv(names[PLACE_ENV_CPUSET]);
    int *pus = malloc(sizeof(int) * (size_t)nthreads), npus = 0;
    int rc = -1;
    if (!pus) {
        place_error_set(err, PLACE_ENOMEM, "out of memory");
        goto out;
    }
    if (a->size != size || rank >= size) {
        differs(PLACE_ENV_SIZE, path, err);
        goto out;
    }
    if (!cpuset || strcmp(cpuset, a->cpuset)) {
        differs(PLACE_ENV_CPUSET, path, err);
        goto out;
    }
    if (place_parse_int_list(names[PLACE_ENV_THREAD_PUS], getenv(names[PLACE_ENV_THREAD_PUS]), 0,
                   PLACE_MAX_PU_INDEX, pus, nthreads, &npus, err) < 0)
        goto out;
    if (npus != a->nthreads || memcmp(pus, a->thread_pu_os, sizeof(int) * (size_t)npus)) {
        differs(PLACE_ENV_THREAD_PUS, path, err);
        goto out;
    }
    rc = 0;
out:
    free(pus);
    if (rc)
        place_assignment_free(a);
    return rc;
}

/* The thread PUs of PLACE_THREAD_PUS alone (for binding without reading the file). */
int place_env_thread_pu(int t, int *pu, place_error *err)
{
    if (!place_env_placed())
        return place_error_set(err, PLACE_ENOTPLACED, "PLACE_RANK is not set: not running under "
                               "placerun; pass the place_subdomain of place_subdomain_get, which "
                               "plans threads with or without placerun");
    const char *v = getenv(names[PLACE_ENV_THREAD_PUS]);
    int cap = 4096, n = 0, *pus = malloc(sizeof(int) * (size_t)cap);
    if (!pus)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    int rc = place_parse_int_list(names[PLACE_ENV_THREAD_PUS], v, 0, PLACE_MAX_PU_INDEX, pus, cap, &n, err);
    if (rc == 0 && (t < 0 || t >= n))
        rc = place_error_set(err, PLACE_EINVAL, "thread %d: the plan has threads 0 to %d "
                             "(PLACE_THREAD_PUS=%.60s)", t, n - 1, v);
    if (rc == 0)
        *pu = pus[t];
    free(pus);
    return rc;
}
