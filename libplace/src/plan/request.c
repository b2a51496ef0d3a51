/* request.c (plan): a request's settings by key, the one parser placerun's command line,
 * its profiles and the SPANK plugin's --place share (a key is spelled here once, with its
 * bounds and its parser, and the front ends that take it), and the parsers of its values
 * and their names: every request parser has its home here. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "plan/plan_private.h"
#include "place/parse.h"

/* ---- the request's values: defaults, names and parsers ----------------------- */

void place_request_init(place_request *req)
{
    memset(req, 0, sizeof *req);
    req->policy = PLACE_POLICY_NUMA;
    req->kinds = PLACE_KINDS_AUTO;
}

static const char *const kinds_names[PLACE_KINDS_COUNT] = {
    [PLACE_KINDS_AUTO] = "auto", [PLACE_KINDS_ALL] = "all", [PLACE_KINDS_BEST] = "best"};

const char *place_policy_name(place_policy p)
{
    return (p >= 0 && p < PLACE_POLICY_COUNT) ? plan_policies[p].name : "?";
}

const char *place_kinds_name(place_kinds k)
{
    return (k >= 0 && k < PLACE_KINDS_COUNT) ? kinds_names[k] : "?";
}

int place_policy_parse(const char *what, const char *s, place_policy *out, place_error *err)
{
    /* the names, then those users know from OMP_PROC_BIND and KMP_AFFINITY (same meaning) */
    for (int i = 0; s && i < PLACE_POLICY_COUNT; i++) {
        int hit = !strcmp(s, plan_policies[i].name);
        for (int k = 0; !hit && plan_policies[i].aliases[k]; k++)
            hit = !strcmp(s, plan_policies[i].aliases[k]);
        if (hit) {
            *out = (place_policy)i;
            return 0;
        }
    }
    /* every policy of the table with its first alias, "A, B (or b) or C (or c)" */
    char names[256] = "";
    size_t at = 0;
    for (int i = 0; i < PLACE_POLICY_COUNT && at < sizeof names; i++) {
        const char *alias = plan_policies[i].aliases[0];
        at += (size_t)snprintf(names + at, sizeof names - at, "%s%s%s%s%s",
                               i == 0                        ? ""
                               : i == PLACE_POLICY_COUNT - 1 ? " or "
                                                             : ", ",
                               plan_policies[i].name, alias ? " (or " : "", alias ? alias : "",
                               alias ? ")" : "");
    }
    return place_error_set(err, PLACE_EINVAL, "%s '%.40s': unknown; expected %s", what, s ? s : "",
                           names);
}

int place_kinds_parse(const char *what, const char *s, place_kinds *out, place_error *err)
{
    for (int i = 0; i < PLACE_KINDS_COUNT; i++)
        if (s && !strcmp(s, kinds_names[i])) {
            *out = (place_kinds)i;
            return 0;
        }
    return place_error_set(err, PLACE_EINVAL, "%s '%.40s': unknown; expected auto, all or best",
                           what, s ? s : "");
}

int place_gpus_parse(const char *what, const char *s, int *gpus_per_rank, place_error *err)
{
    if (s && !strcmp(s, "auto"))
        *gpus_per_rank = PLACE_GPUS_AUTO;
    else if (s && !strcmp(s, "none"))
        *gpus_per_rank = PLACE_GPUS_NONE;
    else
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.40s': expected auto or none (a count per "
                               "rank is --gpus-per-rank G)",
                               what, s ? s : "");
    return 0;
}

int place_gpu_bind_parse(const char *what, const char *s, place_gpu_bind *out, const char **map,
                         place_error *err)
{
    *map = NULL;
    if (s && !strcmp(s, "closest"))
        *out = PLACE_GPU_BIND_CLOSEST;
    else if (s && !strcmp(s, "none"))
        *out = PLACE_GPU_BIND_NONE;
    else if (s && !strncmp(s, "map:", 4) && s[4]) {
        *out = PLACE_GPU_BIND_MAP;
        *map = s + 4;
    } else
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.60s': expected closest, none or "
                               "map:LIST (GPU indices as --plan lists them, e.g. map:0,1,2,3)",
                               what, s ? s : "");
    return 0;
}

int place_nics_parse(const char *what, const char *s, place_nics *out, const char **list,
                     place_error *err)
{
    *list = NULL;
    if (!s || !*s)
        return place_error_set(err, PLACE_EINVAL,
                               "%s '': expected auto, none or a list of NIC "
                               "names (mlx5_0,cxi1), interfaces (ib0) or PCI bus ids",
                               what);
    if (!strcmp(s, "auto"))
        *out = PLACE_NICS_AUTO;
    else if (!strcmp(s, "none"))
        *out = PLACE_NICS_NONE;
    else {
        *out = PLACE_NICS_LIST;
        *list = s;
    }
    return 0;
}

/* ---- the keys ----------------------------------------------------------------- */

enum { K_INT, K_POLICY, K_KINDS, K_GPUS, K_GPU_BIND, K_NICS, K_RESERVE, K_STEPS, K_BOOL };

// a new row re-lays no other
// clang-format off
static const struct request_key {
    const char *key; /* placerun's long option without "--", a profile's or --place's key */
    unsigned where;  /* PLACE_KEY_* */
    int type;
    size_t field; /* K_INT: the int field of place_request */
    int lo, hi;   /* K_INT: its bounds */
} keys[] = {
    {"np", PLACE_KEY_CLI, K_INT, offsetof(place_request, ranks), 1, 1 << 30},
    {"nodes", PLACE_KEY_CLI, K_INT, offsetof(place_request, nodes), 1, 1 << 24},
    {"ranks-per-node", PLACE_KEY_CLI, K_INT, offsetof(place_request, ranks_per_node), 1, 1 << 20},
    {"threads", PLACE_KEY_CLI | PLACE_KEY_SPANK, K_INT, offsetof(place_request, threads), 1,
     1 << 20},
    {"policy", PLACE_KEY_ALL, K_POLICY, 0, 0, 0},
    {"smt", PLACE_KEY_ALL, K_INT, offsetof(place_request, smt), 1, 64},
    {"reserve-cores", PLACE_KEY_ALL, K_RESERVE, offsetof(place_request, reserve_cores), 0, 1 << 20},
    {"cpu-kinds", PLACE_KEY_ALL, K_KINDS, 0, 0, 0},
    {"gpus", PLACE_KEY_ALL, K_GPUS, 0, 0, 0},
    {"gpus-per-rank", PLACE_KEY_ALL, K_INT, offsetof(place_request, gpus_per_rank), 1, 1024},
    {"gpu-bind", PLACE_KEY_CLI | PLACE_KEY_PROFILE, K_GPU_BIND, 0, 0, 0},
    {"nics", PLACE_KEY_ALL, K_NICS, 0, 0, 0},
    {"step-us", PLACE_KEY_ALL, K_STEPS, offsetof(place_request, step_us), 1, 1 << 30},
    {"avoid-noisy", PLACE_KEY_PROFILE | PLACE_KEY_SPANK, K_BOOL,
     offsetof(place_request, avoid_noisy), 0, 1},
};
// clang-format on

static const struct request_key *find(const char *key)
{
    for (size_t i = 0; key && i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].key, key))
            return &keys[i];
    return NULL;
}

int place_request_key(const char *key, unsigned where)
{
    const struct request_key *k = find(key);
    return k && (k->where & where);
}

/* step-us: US, or US,US1,...: the step, then the step with 1, 2, ... cores fewer ('/'
 * separates them too: the SPANK plugin's --place separates its items with commas). */
static int parse_steps(place_request *req, const char *label, const char *value, int lo, int hi,
                       place_error *err)
{
    double v[9];
    int n = 0;
    char item[64];
    for (const char *at = value ? value : "";;) {
        size_t len = strcspn(at, ",/");
        if (n == 9 || len == 0 || len >= sizeof item)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.60s': expected the step in microseconds, then, "
                                   "optionally, the steps with 1, 2, ... (at most 8) cores fewer: "
                                   "US[,US1,...] (or US/US1/...)",
                                   label, value ? value : "");
        memcpy(item, at, len);
        item[len] = '\0';
        if (place_parse_double(label, item, lo, hi, &v[n++], err) < 0)
            return -1;
        if (!at[len])
            break;
        at += len + 1;
    }
    req->step_us = v[0];
    req->nstep_us_fewer = n - 1;
    for (int i = 1; i < n; i++)
        req->step_us_fewer[i - 1] = v[i];
    return 0;
}

int place_request_set(place_request *req, const char *key, const char *value, const char *label,
                      place_error *err)
{
    const struct request_key *k = find(key);
    if (!k)
        return place_error_set(err, PLACE_EINVAL, "%s: no request setting of that name", label);
    switch (k->type) {
    case K_INT:
        return place_parse_int(label, value, k->lo, k->hi, (int *)((char *)req + k->field), err);
    case K_RESERVE: /* a count, or auto: chosen by the noise profile */
        if (value && !strcmp(value, "auto")) {
            req->reserve_auto = 1;
            req->reserve_cores = 0;
            return 0;
        }
        req->reserve_auto = 0;
        if (value && *value && strspn(value, "0123456789") != strlen(value))
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.40s': expected a whole number of cores per package "
                                   "(0 to %d) or auto",
                                   label, value, k->hi);
        return place_parse_int(label, value, k->lo, k->hi, (int *)((char *)req + k->field), err);
    case K_STEPS: return parse_steps(req, label, value, k->lo, k->hi, err);
    case K_BOOL:
        if (value && (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1")))
            *(int *)((char *)req + k->field) = 1;
        else if (value && (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0")))
            *(int *)((char *)req + k->field) = 0;
        else
            return place_error_set(err, PLACE_EINVAL, "%s '%.40s': expected yes or no", label,
                                   value ? value : "");
        return 0;
    case K_POLICY: return place_policy_parse(label, value, &req->policy, err);
    case K_KINDS: return place_kinds_parse(label, value, &req->kinds, err);
    case K_GPUS: return place_gpus_parse(label, value, &req->gpus_per_rank, err);
    case K_GPU_BIND: return place_gpu_bind_parse(label, value, &req->gpu_bind, &req->gpu_map, err);
    default: return place_nics_parse(label, value, &req->nics, &req->nic_list, err);
    }
}
