/* envnames.c (base): the one table of PLACE_* variables, reading them, the variable lists
 * ("NAME=VALUE") the contract builds, and PLACE_TOPO_CACHE, which the topology layer reads. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/envnames.h"

/* One row per variable: its name, who sets it, and whether place_assignment_from_env
 * checks it against the node's plan file (unit.test_runenv checks the flags against what
 * the exports and that reader do). */
static const struct {
    const char *name;
    unsigned flags;
} rows[PLACE_ENV_COUNT] = {
    [PLACE_ENV_RANK] = {"PLACE_RANK", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_SIZE] = {"PLACE_SIZE", PLACE_ENV_FROM_PLACERUN | PLACE_ENV_CHECKED},
    [PLACE_ENV_LOCAL_RANK] = {"PLACE_LOCAL_RANK", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_LOCAL_SIZE] = {"PLACE_LOCAL_SIZE", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_NODE] = {"PLACE_NODE", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_LAUNCHER] = {"PLACE_LAUNCHER", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_CPUSET] = {"PLACE_CPUSET", PLACE_ENV_FROM_PLACERUN | PLACE_ENV_CHECKED},
    [PLACE_ENV_NUMA] = {"PLACE_NUMA", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_THREAD_PUS] = {"PLACE_THREAD_PUS", PLACE_ENV_FROM_PLACERUN | PLACE_ENV_CHECKED},
    [PLACE_ENV_NTHREADS] = {"PLACE_NTHREADS", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_PLAN] = {"PLACE_PLAN", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_DIMS] = {"PLACE_DIMS", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_COORDS] = {"PLACE_COORDS", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_BOX] = {"PLACE_BOX", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_OMP_SET] = {"PLACE_OMP_SET", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_GPUS] = {"PLACE_GPUS", PLACE_ENV_FROM_PLACERUN | PLACE_ENV_CHECKED},
    [PLACE_ENV_NICS] = {"PLACE_NICS", PLACE_ENV_FROM_PLACERUN | PLACE_ENV_CHECKED},
    [PLACE_ENV_MONITOR_OUT] = {"PLACE_MONITOR_OUT", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_MONITOR_PID] = {"PLACE_MONITOR_PID", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_MONITOR_INTERVAL_US] = {"PLACE_MONITOR_INTERVAL_US", PLACE_ENV_FROM_USER},
    [PLACE_ENV_PIN_THREADS] = {"PLACE_PIN_THREADS", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_NOISY_PUS] = {"PLACE_NOISY_PUS", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_HELPER_PUS] = {"PLACE_HELPER_PUS", PLACE_ENV_FROM_PLACERUN},
    [PLACE_ENV_PLAN_DIR] = {"PLACE_PLAN_DIR", PLACE_ENV_FROM_USER},
    [PLACE_ENV_CONFIG] = {"PLACE_CONFIG", PLACE_ENV_FROM_USER},
    [PLACE_ENV_PAPI_EVENTS] = {"PLACE_PAPI_EVENTS", PLACE_ENV_FROM_USER},
    [PLACE_ENV_TOPO_CACHE] = {"PLACE_TOPO_CACHE", PLACE_ENV_FROM_USER},
};

const char *place_env_name(place_env_var v)
{
    return (unsigned)v < PLACE_ENV_COUNT ? rows[v].name : "PLACE_?";
}

unsigned place_env_flags(place_env_var v)
{
    return (unsigned)v < PLACE_ENV_COUNT ? rows[v].flags : 0;
}

const char *place_env_get(place_env_var v)
{
    return (unsigned)v < PLACE_ENV_COUNT ? getenv(rows[v].name) : NULL;
}

int place_env_placed(void)
{
    const char *r = getenv(place_env_name(PLACE_ENV_RANK));
    return r && *r;
}

int place_env_topo_cache(place_error *err)
{
    const char *v = getenv(place_env_name(PLACE_ENV_TOPO_CACHE));
    if (!v || !strcmp(v, "on"))
        return 1;
    if (!strcmp(v, "off"))
        return 0;
    return place_error_set(err, PLACE_EINVAL, "%s='%.40s': expected on or off",
                           place_env_name(PLACE_ENV_TOPO_CACHE), v);
}

int place_env_push(char ***env, int *n, const char *name, const char *value)
{
    char *kv = NULL;
    if (asprintf(&kv, "%s=%s", name, value) < 0)
        return -1;
    char **v = realloc(*env, sizeof(char *) * (size_t)(*n + 2));
    if (!v) {
        free(kv);
        return -1;
    }
    *env = v;
    v[(*n)++] = kv;
    v[*n] = NULL;
    return 0;
}

void place_env_list_free(char **env, int n)
{
    for (int i = 0; env && i < n; i++)
        free(env[i]);
    free(env);
}
