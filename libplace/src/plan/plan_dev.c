/* plan_dev.c: GPUs and NICs in a plan.
 *
 * Ranks follow the GPUs (--gpu-bind closest, the default when GPUs are asked for): the
 * node's GPUs are grouped by locality (the usable PUs of their first non-I/O ancestor);
 * each group gets ranks in proportion to its GPUs, and its ranks are planned on the
 * group's own cores by the ordinary CPU plan, so a rank's cores are always its GPUs'
 * neighbours. GPUs of a group are spread evenly over the group's ranks. With a map
 * (--gpu-bind map:LIST) the CPU plan is made first and local rank l gets GPU map[l mod n].
 * NICs go to each rank by distance from its cores (local first, then NUMA distance),
 * ties balanced over the NICs already given.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"

#define NAME_DEV(p, w) plan_field_name((p), (w))

void plan_dev_free(place_plan *p)
{
    int n = p->topo ? p->topo->ndev[0] : 0;
    for (int i = 0; i < n; i++) {
        if (p->gpu_token)
            free(p->gpu_token[i]);
        if (p->gpu_index_token)
            free(p->gpu_index_token[i]);
    }
    free(p->gpu_token);
    free(p->gpu_index_token);
    free(p->gpu_scope);
    free(p->gpu_map_s);
    free(p->nic_list_s);
    free(p->scope_from_s);
    free(p->scope_token_v);
}

/* Splits a comma list into at most `max` items of at most 63 characters. -1 if malformed. */
static int split(const char *s, char items[][64], int max)
{
    int n = 0;
    const char *at = s;
    while (*at) {
        const char *e = strchr(at, ',');
        size_t len = e ? (size_t)(e - at) : strlen(at);
        if (len == 0 || len > 63 || n == max)
            return -1;
        memcpy(items[n], at, len);
        items[n][len] = '\0';
        n++;
        if (!e)
            break;
        at = e + 1;
        if (!*at)
            return -1;
    }
    return n;
}

int plan_gpu_in_scope(const place_plan *p, int g)
{
    for (int i = 0; i < p->ngpu_scope; i++)
        if (p->gpu_scope[i] == g)
            return 1;
    return 0;
}

int plan_dev_prepare(place_plan *p, place_error *err)
{
    const place_topo *t = p->topo;
    place_request orig = p->req;
    const place_request *rq = &orig;
    /* the request's strings and arrays become the plan's own */
    p->gpu_map_s = rq->gpu_map ? place_strdup(rq->gpu_map) : NULL;
    p->nic_list_s = rq->nic_list ? place_strdup(rq->nic_list) : NULL;
    p->scope_from_s = rq->gpu_scope_from ? place_strdup(rq->gpu_scope_from) : NULL;
    if ((rq->gpu_map && !p->gpu_map_s) || (rq->nic_list && !p->nic_list_s) ||
        (rq->gpu_scope_from && !p->scope_from_s))
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    p->req.gpu_map = p->res.gpu_map = p->gpu_map_s;
    p->req.nic_list = p->res.nic_list = p->nic_list_s;
    p->req.gpu_scope_from = p->res.gpu_scope_from = p->scope_from_s;
    p->req.gpu_scope = p->res.gpu_scope = NULL;
    p->req.gpu_scope_token = p->res.gpu_scope_token = NULL;

    int want_gpus = rq->gpus_per_rank != PLACE_GPUS_NONE || rq->gpu_bind == PLACE_GPU_BIND_MAP;
    if (rq->gpus_per_rank < PLACE_GPUS_AUTO)
        return place_error_set(err, PLACE_EINVAL,
                               "%s %d: expected a GPU count of 1 or more, or auto", NAME_DEV(p, 0),
                               rq->gpus_per_rank);
    if (rq->gpu_bind < PLACE_GPU_BIND_CLOSEST || rq->gpu_bind > PLACE_GPU_BIND_MAP ||
        rq->nics < PLACE_NICS_NONE || rq->nics > PLACE_NICS_LIST)
        return place_error_set(err, PLACE_EINVAL, "%s or %s: not a known value", NAME_DEV(p, 1),
                               NAME_DEV(p, 2));
    char asked[80];
    plan_asked_gpus_text(p, asked, sizeof asked);
    if ((want_gpus || rq->nics != PLACE_NICS_NONE) && !t->devices_loaded)
        return place_error_set(err, PLACE_EINVAL,
                               "%s: the topology was loaded without its "
                               "devices (PLACE_TOPO_DEVICES)",
                               rq->gpu_bind == PLACE_GPU_BIND_MAP ? NAME_DEV(p, 1)
                               : want_gpus                        ? asked
                                                                  : NAME_DEV(p, 2));
    if (rq->nics == PLACE_NICS_LIST && !rq->nic_list)
        return place_error_set(err, PLACE_EINVAL, "%s: a list was asked for but none given",
                               NAME_DEV(p, 2));
    if (rq->gpu_bind == PLACE_GPU_BIND_MAP && !rq->gpu_map)
        return place_error_set(err, PLACE_EINVAL, "%s map: no list given", NAME_DEV(p, 1));

    int ng = t->ndev[0];
    p->gpu_token = calloc((size_t)ng + 1, sizeof(char *));
    p->gpu_index_token = calloc((size_t)ng + 1, sizeof(char *));
    p->gpu_scope = malloc(sizeof(int) * ((size_t)ng + 1));
    if (!p->gpu_token || !p->gpu_index_token || !p->gpu_scope)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    for (int g = 0; g < ng; g++) {
        char b[32];
        const place_device_info *d = &t->dev[0][g].info;
        if (d->sub >= 0)
            snprintf(b, sizeof b, "%d.%d", d->index, d->sub);
        else
            snprintf(b, sizeof b, "%d", d->index);
        if (!(p->gpu_index_token[g] = place_strdup(b)))
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    /* the scope: what the batch system left, checked against the node */
    if (rq->ngpu_scope != 0) {
        if (rq->ngpu_scope > 0 && !rq->gpu_scope)
            return place_error_set(err, PLACE_EINVAL, "request.gpu_scope: %d GPUs but no list",
                                   rq->ngpu_scope);
        for (int i = 0; i < rq->ngpu_scope; i++) {
            int g = rq->gpu_scope[i];
            if (g < 0 || g >= ng)
                return place_error_set(
                    err, PLACE_EINVAL, "%s names GPU %d; the node has GPUs 0 to %d",
                    rq->gpu_scope_from ? rq->gpu_scope_from : "the GPU scope", g, ng - 1);
            if (plan_gpu_in_scope(p, g))
                continue;
            p->gpu_scope[p->ngpu_scope++] = g;
            const char *tok = rq->gpu_scope_token ? rq->gpu_scope_token[i] : NULL;
            if (tok && !(p->gpu_token[g] = place_strdup(tok)))
                return place_error_set(err, PLACE_ENOMEM, "out of memory");
        }
    } else {
        for (int g = 0; g < ng; g++)
            p->gpu_scope[p->ngpu_scope++] = g;
    }
    /* a GPU the topology gives no runtime index (others of its vendor have one) is not
     * handed out: its runtime could not be told to use it */
    char hidden[256] = "";
    size_t hat = 0;
    int nhidden = 0;
    for (int i = 0; i < p->ngpu_scope; i++) {
        const place_device_info *d = &t->dev[0][p->gpu_scope[i]].info;
        if (d->index >= 0) {
            p->gpu_scope[i - nhidden] = p->gpu_scope[i];
            continue;
        }
        if (hat + 40 < sizeof hidden)
            hat += (size_t)snprintf(hidden + hat, sizeof hidden - hat, "%s%s", nhidden ? ", " : "",
                                    d->pci);
        nhidden++;
    }
    p->ngpu_scope -= nhidden;
    if (nhidden && want_gpus && rq->gpu_bind != PLACE_GPU_BIND_NONE)
        plan_note(p,
                  "GPU%s at %s %s no runtime device in the topology (no nvml, cuda, rsmi, ze or "
                  "opencl OS device, where other GPUs of %s vendor have one): not handed out",
                  nhidden > 1 ? "s" : "", hidden, nhidden > 1 ? "have" : "has",
                  nhidden > 1 ? "their" : "its");
    if (!want_gpus)
        goto nics;
    if (rq->gpu_bind == PLACE_GPU_BIND_NONE) {
        if (ng)
            plan_note(p,
                      "GPUs are not handed out (%s none): every rank sees all %d GPUs of its node",
                      NAME_DEV(p, 1), rq->ngpu_scope != 0 ? p->ngpu_scope : ng);
        goto nics;
    }
    if (p->ngpu_scope == 0) {
        if (rq->gpus_per_rank == PLACE_GPUS_AUTO && rq->gpu_bind != PLACE_GPU_BIND_MAP && ng == 0) {
            plan_note(p,
                      "GPUs asked for (auto), but the node has none (topology %s): none is handed "
                      "out",
                      t->source);
            goto nics;
        }
        if (ng == 0)
            return place_error_set(
                err, PLACE_EINFEASIBLE, "%s: the node has no GPU (topology %s)%s",
                rq->gpu_bind == PLACE_GPU_BIND_MAP ? NAME_DEV(p, 1) : asked, t->source,
                strcmp(t->source, "native")
                    ? ""
                    : "; hwloc found no GPU among the PCI devices in sysfs");
        return place_error_set(err, PLACE_EINFEASIBLE,
                               "GPUs asked for, but %s leaves this step "
                               "no GPU of the node's %d",
                               rq->gpu_scope_from ? rq->gpu_scope_from : "the GPU scope", ng);
    }
    p->gpus_bound = 1;
    if (rq->ngpu_scope != 0) {
        char buf[512];
        plan_note(p, "GPUs limited by %s: planning within %s",
                  rq->gpu_scope_from ? rq->gpu_scope_from : "the batch system",
                  plan_scope_gpus_text(p, buf, sizeof buf));
    }
    for (int g = 0; g < ng; g++) {
        const place_device_info *d = &t->dev[0][g].info;
        if (!d->index_from_runtime && plan_gpu_in_scope(p, g)) {
            int nrt;
            plan_note(p,
                      "%s GPUs: no %s OS device in the topology gives the runtime's numbering, so "
                      "it is taken to be PCI order",
                      d->vendor,
                      place_gpu_runtimes(&nrt)[place_gpu_runtime_named(d->runtime)].index_library);
            break;
        }
    }
    if (rq->gpu_bind == PLACE_GPU_BIND_CLOSEST) {
        p->follow = 1;
        int G = rq->gpus_per_rank == PLACE_GPUS_AUTO ? 1 : rq->gpus_per_rank;
        if (rq->ranks == 0 && rq->ranks_per_node == 0) {
            /* the GPUs a rank can be next to: a usable core in their locality */
            int near = 0;
            for (int i = 0; i < p->ngpu_scope; i++)
                near += !hwloc_bitmap_iszero(t->dev[0][p->gpu_scope[i]].locality);
            if (near < G)
                return place_error_set(err, PLACE_EINFEASIBLE,
                                       "%s: the node has %d GPU%s with a "
                                       "usable core next to %s",
                                       asked, near, near == 1 ? "" : "s",
                                       near == 1 ? "it" : "them");
            p->res.ranks_per_node = near / G;
            plan_note(p, "one rank per %s: %d rank%s per node", G == 1 ? "GPU" : "GPU share",
                      p->res.ranks_per_node, p->res.ranks_per_node == 1 ? "" : "s");
        }
    }
nics:
    if (rq->nics != PLACE_NICS_NONE && t->dev_refused)
        plan_note(p,
                  "left out of the plan, their names not device names (letters, digits, _ . : -; "
                  "a forged or damaged topology?): %s",
                  t->dev_refused);
    if (rq->nics != PLACE_NICS_NONE) {
        int hs = 0;
        for (int i = 0; i < t->ndev[1]; i++)
            hs += t->dev[1][i].info.high_speed;
        if (rq->nics == PLACE_NICS_AUTO && hs == 0) {
            char other[256] = "";
            size_t at = 0;
            for (int i = 0; i < t->ndev[1] && at + 70 < sizeof other; i++)
                at += (size_t)snprintf(other + at, sizeof other - at, "%s%s", at ? ", " : "",
                                       t->dev[1][i].name);
            plan_note(
                p,
                "%s auto: no high-speed NIC (OpenFabrics, Slingshot, InfiniBand) on the node%s%s%s",
                NAME_DEV(p, 2), at ? "; not used: " : "", other,
                at ? " (Ethernet; name it in the list to use it)" : "");
        } else {
            p->nics_bound = 1;
            for (int i = 0; rq->nics == PLACE_NICS_AUTO && i < t->ndev[1]; i++)
                if (!t->dev[1][i].info.high_speed)
                    plan_note(p, "NIC %s (%s, Ethernet) is not used by %s auto; name it to use it",
                              t->dev[1][i].name, t->dev[1][i].pci, NAME_DEV(p, 2));
        }
    }
    return 0;
}

/* ---- mapped GPUs and NICs over a node plan -------------------------------------------- */

static int rank_set(hwloc_bitmap_t set, const lrank *r)
{
    return hwloc_bitmap_list_sscanf(set, r->cpuset);
}

/* How far NIC/GPU device d is from a rank: 0 if the rank's PUs are all local to it, else
 * 1000 + the NUMA distance between them (or 2000 less the PUs it shares without one). */
static long distance(const place_topo *t, const place_dev *d, const lrank *r,
                     hwloc_const_bitmap_t rs)
{
    if (hwloc_bitmap_isincluded(rs, d->locality) && !hwloc_bitmap_iszero(rs))
        return 0;
    if (d->info.numa_os >= 0 && r->nnuma > 0) {
        int dist = place_topo_numa_distance(t, r->numa_os[0], d->info.numa_os);
        if (dist >= 0)
            return 1000 + dist;
    }
    hwloc_bitmap_t x = hwloc_bitmap_alloc();
    long shared = 0;
    if (x) {
        hwloc_bitmap_and(x, rs, d->locality);
        shared = hwloc_bitmap_weight(x);
        hwloc_bitmap_free(x);
    }
    return 2000 - (shared > 999 ? 999 : shared);
}

static int nic_matches(const place_dev *d, const char *name)
{
    return !strcmp(d->name, name) || (d->netdev && !strcmp(d->netdev, name)) ||
           !strcmp(d->pci, name);
}

int plan_dev_assign(place_plan *p, nodeplan *np, place_error *err)
{
    const place_topo *t = p->topo;
    if (p->gpus_bound && p->res.gpu_bind == PLACE_GPU_BIND_MAP) {
        char items[256][64];
        int n = split(p->gpu_map_s, items, 256), map[256];
        for (int i = 0; i < n; i++) {
            char *e;
            long v = strtol(items[i], &e, 10);
            if (*e || items[i][0] < '0' || items[i][0] > '9' || v >= t->ndev[0] ||
                !plan_gpu_in_scope(p, (int)v)) {
                char buf[512];
                return place_error_set(err, PLACE_EINVAL,
                                       "%s map:%.60s: '%s' is not a GPU of this "
                                       "step; expected indices among %s",
                                       NAME_DEV(p, 1), p->gpu_map_s, items[i],
                                       plan_scope_gpus_text(p, buf, sizeof buf));
            }
            map[i] = (int)v;
        }
        if (n <= 0)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s map:%.60s: expected GPU indices separated "
                                   "by commas, e.g. map:0,1",
                                   NAME_DEV(p, 1), p->gpu_map_s);
        hwloc_bitmap_t rs = hwloc_bitmap_alloc();
        int remote = 0, first = -1;
        for (int l = 0; rs && l < np->nranks; l++) {
            int gi = map[l % n];
            if (plan_set_gpus(&np->r[l], &gi, 1) < 0)
                break;
            rank_set(rs, &np->r[l]);
            if (distance(t, &t->dev[0][gi], &np->r[l], rs) > 0 && remote++ == 0)
                first = l;
        }
        hwloc_bitmap_free(rs);
        if (remote)
            plan_note(p,
                      "%s map: %d of %d local ranks get a GPU that is not local to their cores "
                      "(the first: local rank %d, GPU %s at %s); %s closest avoids it",
                      NAME_DEV(p, 1), remote, np->nranks, first, t->dev[0][map[first % n]].name,
                      t->dev[0][map[first % n]].pci, NAME_DEV(p, 1));
        for (int l = 0; l < np->nranks; l++)
            if (!np->r[l].gpu)
                return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    if (!p->nics_bound)
        return 0;
    int nn = t->ndev[1];
    int *cand = malloc(sizeof(int) * (size_t)(nn + 1)), nc = 0;
    int *load = calloc((size_t)nn + 1, sizeof(int));
    if (!cand || !load) {
        free(cand);
        free(load);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    if (p->res.nics == PLACE_NICS_LIST) {
        char items[64][64];
        int n = split(p->nic_list_s, items, 64);
        for (int i = 0; i < n; i++) {
            int found = -1;
            for (int k = 0; k < nn && found < 0; k++)
                if (nic_matches(&t->dev[1][k], items[i]))
                    found = k;
            if (found < 0) {
                char names[400] = "";
                size_t at = 0;
                for (int k = 0; k < nn && at + 40 < sizeof names; k++)
                    at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", k ? ", " : "",
                                           t->dev[1][k].name);
                free(cand);
                free(load);
                return place_error_set(err, PLACE_EINVAL,
                                       "%s '%.60s': no NIC '%s' on the node; "
                                       "expected names among: %s",
                                       NAME_DEV(p, 2), p->nic_list_s, items[i],
                                       nn ? names : "(none: the node has no NIC)");
            }
            cand[nc++] = found;
        }
        if (n <= 0) {
            free(cand);
            free(load);
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.60s': expected auto, none or NIC names "
                                   "separated by commas",
                                   NAME_DEV(p, 2), p->nic_list_s);
        }
    } else {
        for (int k = 0; k < nn; k++)
            if (t->dev[1][k].info.high_speed)
                cand[nc++] = k;
    }
    hwloc_bitmap_t rs = hwloc_bitmap_alloc();
    int rc = rs ? 0 : -1, far = 0;
    for (int l = 0; l < np->nranks && rc == 0; l++) {
        rank_set(rs, &np->r[l]);
        int best = -1;
        long bd = LONG_MAX;
        for (int i = 0; i < nc; i++) {
            long d = distance(t, &t->dev[1][cand[i]], &np->r[l], rs);
            if (best < 0 || d < bd || (d == bd && load[cand[i]] < load[best])) {
                bd = d;
                best = cand[i];
            }
        }
        if (best < 0)
            continue;
        load[best]++;
        np->r[l].nic = malloc(sizeof(int) * 2);
        if (!np->r[l].nic) {
            rc = -1;
            break;
        }
        np->r[l].nic[0] = best;
        np->r[l].nnic = 1;
        far += bd > 0;
    }
    if (far)
        plan_note(p,
                  "%d of %d local ranks have no NIC local to all of their cores: each gets the "
                  "nearest (by NUMA distance from its first NUMA node), balanced over equals",
                  far, np->nranks);
    hwloc_bitmap_free(rs);
    free(cand);
    free(load);
    return rc < 0 ? place_error_set(err, PLACE_ENOMEM, "out of memory") : 0;
}
