/* runenv.c: the PLACE_* environment, written by placerun and read by applications.
 *
 * Their export and their strict reading (the table of names is base/envnames.c, a rank's
 * device variables devenv.c, the GPUs a batch system left gpuscope.c). The plan file they
 * point to is planfile.c's; together they are the whole placerun-application contract
 * (docs/design.md, "The launcher environment").
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include "contract/contract_private.h"
#include "place/parse.h"
#include "place/runenv.h"

/* ---- export ------------------------------------------------------------------------ */

static int set(place_env_var v, const char *value, place_error *err)
{
    if (setenv(place_env_name(v), value, 1) != 0)
        return place_error_set(err, PLACE_ENOMEM, "cannot set %s: out of memory",
                               place_env_name(v));
    return 0;
}

static int set_long(place_env_var v, long x, place_error *err)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", x);
    return set(v, b, err);
}

static int push_long(char ***env, int *n, place_env_var v, long x)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", x);
    return place_env_push(env, n, place_env_name(v), b);
}

int place_env_exports(const place_launch *l, const place_assignment *a, const char *plan_path,
                      char ***env, int *n, place_error *err)
{
    *env = NULL;
    *n = 0;
    char *numa = place_int_list_string(a->numa_os, a->nnuma, "", ""),
         *pus = place_int_list_string(a->thread_pu_os, a->nthreads, "", "");
    int ok = numa && pus && push_long(env, n, PLACE_ENV_RANK, a->rank) == 0 &&
             push_long(env, n, PLACE_ENV_SIZE, a->size) == 0 &&
             push_long(env, n, PLACE_ENV_LOCAL_RANK, a->local_rank) == 0 &&
             push_long(env, n, PLACE_ENV_LOCAL_SIZE, a->local_size) == 0 &&
             push_long(env, n, PLACE_ENV_NODE, a->node) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_LAUNCHER), l->launcher) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_CPUSET), a->cpuset) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_NUMA), numa) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_THREAD_PUS), pus) == 0 &&
             push_long(env, n, PLACE_ENV_NTHREADS, a->nthreads) == 0 &&
             (!plan_path || place_env_push(env, n, place_env_name(PLACE_ENV_PLAN), plan_path) == 0);
    if (ok && a->has_grid) {
        char s[200];
        const place_box *b = &a->box;
        snprintf(s, sizeof s, "%d,%d,%d", a->dims[0], a->dims[1], a->dims[2]);
        ok = place_env_push(env, n, place_env_name(PLACE_ENV_DIMS), s) == 0;
        snprintf(s, sizeof s, "%d,%d,%d", b->coords[0], b->coords[1], b->coords[2]);
        ok = ok && place_env_push(env, n, place_env_name(PLACE_ENV_COORDS), s) == 0;
        snprintf(s, sizeof s, "%lld:%lld,%lld:%lld,%lld:%lld", (long long)b->lo[0],
                 (long long)b->hi[0], (long long)b->lo[1], (long long)b->hi[1], (long long)b->lo[2],
                 (long long)b->hi[2]);
        ok = ok && place_env_push(env, n, place_env_name(PLACE_ENV_BOX), s) == 0;
    }
    if (ok && a->gpus)
        ok = place_env_push(env, n, place_env_name(PLACE_ENV_GPUS), a->gpus) == 0;
    if (ok && a->nics)
        ok = place_env_push(env, n, place_env_name(PLACE_ENV_NICS), a->nics) == 0;
    for (int i = 0; ok && i < a->ndevenv; i++) {
        char *eq = strchr(a->devenv[i], '=');
        if (!eq)
            continue;
        *eq = '\0';
        ok = place_env_push(env, n, a->devenv[i], eq + 1) == 0;
        *eq = '=';
    }
    free(numa);
    free(pus);
    if (!ok) {
        place_env_list_free(*env, *n);
        *env = NULL;
        *n = 0;
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    return 0;
}

int place_env_export(const place_launch *l, const place_assignment *a, const char *plan_path,
                     place_error *err)
{
    char **env;
    int n;
    if (place_env_exports(l, a, plan_path, &env, &n, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char *eq = strchr(env[i], '=');
        *eq = '\0';
        if (setenv(env[i], eq + 1, 1) != 0)
            rc = place_error_set(err, PLACE_ENOMEM, "cannot set %s: out of memory", env[i]);
    }
    place_env_list_free(env, n);
    return rc;
}

int place_env_omp_record(const char *const *names, const char *const *values, int n, char **rec,
                         place_error *err)
{
    size_t len = 1;
    *rec = NULL;
    for (int i = 0; i < n; i++) {
        if (strchr(values[i], ';') || strchr(names[i], '='))
            return place_error_set(err, PLACE_EINVAL,
                                   "%s='%.40s': a ';' in an OpenMP variable "
                                   "placerun sets",
                                   names[i], values[i]);
        len += strlen(names[i]) + strlen(values[i]) + 2;
    }
    char *r = malloc(len);
    if (!r)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    size_t at = 0;
    r[0] = '\0';
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(r + at, len - at, "%s%s=%s", i ? ";" : "", names[i], values[i]);
    *rec = r;
    return 0;
}

int place_env_export_omp(const char *const *names, const char *const *values, int n,
                         place_error *err)
{
    char *rec;
    if (place_env_omp_record(names, values, n, &rec, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (setenv(names[i], values[i], 1) != 0)
            rc = place_error_set(err, PLACE_ENOMEM, "cannot set %s: out of memory", names[i]);
    if (rc == 0)
        rc = set(PLACE_ENV_OMP_SET, rec, err);
    free(rec);
    return rc;
}

int place_env_omp_by_placerun(const char *name, const char *value)
{
    const char *rec = getenv(place_env_name(PLACE_ENV_OMP_SET));
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

#define ENV_STRING_MAX 131072 /* 32 x 4 KiB: the kernel's MAX_ARG_STRLEN on 4 KiB pages */

int place_env_fits(const place_assignment *a, place_error *err)
{
    char *pus = place_int_list_string(a->thread_pu_os, a->nthreads, "", "");
    char *numa = place_int_list_string(a->numa_os, a->nnuma, "", "");
    int rc = 0;
    if (!pus || !numa)
        rc = place_error_set(err, PLACE_ENOMEM, "out of memory");
    else if (strlen(place_env_name(PLACE_ENV_THREAD_PUS)) + strlen(pus) + 2 > ENV_STRING_MAX ||
             strlen(place_env_name(PLACE_ENV_CPUSET)) + strlen(a->cpuset) + 2 > ENV_STRING_MAX ||
             strlen(place_env_name(PLACE_ENV_NUMA)) + strlen(numa) + 2 > ENV_STRING_MAX)
        rc = place_error_set(err, PLACE_EINVAL,
                             "%d threads on PUs %.60s...: %s or %s would exceed "
                             "the kernel's %d bytes for one environment string; expected fewer "
                             "threads per rank",
                             a->nthreads, a->cpuset, place_env_name(PLACE_ENV_THREAD_PUS),
                             place_env_name(PLACE_ENV_CPUSET), ENV_STRING_MAX);
    free(pus);
    free(numa);
    return rc;
}

int place_env_export_pin(long pid, const char *skip, place_error *err)
{
    char v[64];
    snprintf(v, sizeof v, "%ld:%.40s", pid, skip ? skip : "auto");
    return set(PLACE_ENV_PIN_THREADS, v, err);
}

int place_env_export_noise(const char *noisy, const char *helpers, place_error *err)
{
    if (set(PLACE_ENV_NOISY_PUS, noisy ? noisy : "", err) < 0)
        return -1;
    return helpers ? set(PLACE_ENV_HELPER_PUS, helpers, err) : 0;
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
    const char *s = getenv(place_env_name(v));
    if (!s)
        return place_error_set(err, PLACE_EINVAL,
                               "%s is not set, though PLACE_RANK is; expected "
                               "every variable placerun exports",
                               place_env_name(v));
    return place_parse_int(place_env_name(v), s, min, max, out, err);
}

static int differs(place_env_var v, const char *path, place_error *err)
{
    return place_error_set(err, PLACE_EINVAL,
                           "%s='%.60s' differs from the plan file '%.200s'; "
                           "expected the values placerun exported with it",
                           place_env_name(v), getenv(place_env_name(v)), path);
}

int place_assignment_from_env(place_assignment *a, place_error *err)
{
    memset(a, 0, sizeof *a);
    if (!place_env_placed())
        return place_error_set(err, PLACE_ENOTPLACED,
                               "PLACE_RANK is not set: not running under "
                               "placerun, which exports the node's plan");
    int rank, size, nthreads, local_rank = -1, local_size = -1, job = -1;
    if (env_int(PLACE_ENV_RANK, 0, PLACE_MAX_RANKS - 1, &rank, err) < 0)
        return -1;
    const char *path = getenv(place_env_name(PLACE_ENV_PLAN));
    if (!path || !*path)
        return place_error_set(err, PLACE_EINVAL,
                               "PLACE_PLAN is not set, though PLACE_RANK is; "
                               "expected the node's plan file from placerun");
    /* a node's own plan (ranks not in node blocks) is numbered by local rank */
    if (getenv(place_env_name(PLACE_ENV_LOCAL_RANK)) &&
        getenv(place_env_name(PLACE_ENV_LOCAL_SIZE)) && getenv(place_env_name(PLACE_ENV_SIZE)) &&
        (env_int(PLACE_ENV_LOCAL_RANK, 0, PLACE_MAX_RANKS - 1, &local_rank, err) < 0 ||
         env_int(PLACE_ENV_LOCAL_SIZE, 1, PLACE_MAX_RANKS, &local_size, err) < 0 ||
         env_int(PLACE_ENV_SIZE, 1, PLACE_MAX_RANKS, &job, err) < 0))
        return -1;
    if (place_assignment_load_job(a, path, rank, local_rank, local_size, job, err) < 0)
        return -1;
    if (env_int(PLACE_ENV_SIZE, 1, PLACE_MAX_RANKS, &size, err) < 0 ||
        env_int(PLACE_ENV_NTHREADS, 1, PLACE_MAX_PU_INDEX + 1, &nthreads, err) < 0) {
        place_assignment_fini(a);
        return -1;
    }
    /* the variables and the file must tell the same story */
    const char *cpuset = getenv(place_env_name(PLACE_ENV_CPUSET));
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
    if (place_parse_int_list(place_env_name(PLACE_ENV_THREAD_PUS),
                             getenv(place_env_name(PLACE_ENV_THREAD_PUS)), 0, PLACE_MAX_PU_INDEX,
                             pus, nthreads, &npus, err) < 0)
        goto out;
    if (npus != a->nthreads || memcmp(pus, a->thread_pu_os, sizeof(int) * (size_t)npus)) {
        differs(PLACE_ENV_THREAD_PUS, path, err);
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        place_env_var v = k ? PLACE_ENV_NICS : PLACE_ENV_GPUS;
        const char *e = getenv(place_env_name(v)), *f = k ? a->nics : a->gpus;
        if ((e || f) && (!e || !f || strcmp(e, f))) {
            if (e)
                differs(v, path, err);
            else
                place_error_set(err, PLACE_EINVAL,
                                "%s is not set, though the plan file '%.200s' "
                                "hands out %s",
                                place_env_name(v), path, k ? "NICs" : "GPUs");
            goto out;
        }
    }
    rc = 0;
out:
    free(pus);
    if (rc)
        place_assignment_fini(a);
    return rc;
}

/* The thread PUs of PLACE_THREAD_PUS alone (for binding without reading the file). */
int place_env_thread_pu(int t, int *pu, place_error *err)
{
    if (!place_env_placed())
        return place_error_set(err, PLACE_ENOTPLACED,
                               "PLACE_RANK is not set: not running under "
                               "placerun; pass the place_subdomain of place_subdomain_get, which "
                               "plans threads with or without placerun");
    const char *v = getenv(place_env_name(PLACE_ENV_THREAD_PUS));
    int cap = 4096, n = 0, *pus = malloc(sizeof(int) * (size_t)cap);
    if (!pus)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    int rc = place_parse_int_list(place_env_name(PLACE_ENV_THREAD_PUS), v, 0, PLACE_MAX_PU_INDEX,
                                  pus, cap, &n, err);
    if (rc == 0 && (t < 0 || t >= n))
        rc = place_error_set(err, PLACE_EINVAL,
                             "thread %d: the plan has threads 0 to %d "
                             "(PLACE_THREAD_PUS=%.60s)",
                             t, n - 1, v);
    if (rc == 0)
        *pu = pus[t];
    free(pus);
    return rc;
}

/* ---- OMP_PLACES ---------------------------------------------------------------------- */

char *place_omp_places(const int *pu, int n)
{
    char *plain = place_int_list_string(pu, n, "{", "}");
    if (!plain || strlen(plain) + sizeof "OMP_PLACES=" < ENV_STRING_MAX)
        return plain;
    free(plain);
    size_t cap = (size_t)n * 24 + 1, at = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n;) {
        int j = i + 1;
        if (j < n) {
            int stride = pu[j] - pu[i];
            while (j + 1 < n && pu[j + 1] - pu[j] == stride)
                j++;
            j++;
            at += (size_t)snprintf(s + at, cap - at, "%s{%d}:%d:%d", i ? "," : "", pu[i], j - i,
                                   stride);
        } else {
            at += (size_t)snprintf(s + at, cap - at, "%s{%d}", i ? "," : "", pu[i]);
        }
        i = j;
    }
    if (at + sizeof "OMP_PLACES=" >= ENV_STRING_MAX) {
        free(s);
        return NULL;
    }
    return s;
}
