/* plan.c: mapping ranks to cpusets and threads to PUs.
 *
 * The node plan works on "units": a unit is a core carrying its first k usable PUs (k =
 * PUs per core in use), or, when ranks outnumber cores, a single PU. Units are listed in
 * NUMA-domain order, so a contiguous range of units is a compact set of cores that
 * straddles a domain boundary only where the range crosses one.
 *
 * Attempts, in order, stopping at the first that fits:
 *   cores with k = 1, 2, ... PUs (k rises only when --smt was not given and threads
 *   need it), then single PUs (ranks share cores through SMT siblings), then, with
 *   --oversubscribe only, threads dealt round-robin over all PUs.
 * On hybrid CPUs (kinds=auto) the whole sequence is first tried on the most efficient
 * kind alone: a bulk-synchronous code waits at every barrier for its slowest thread,
 * so mixing kinds slows everyone to the E-core pace.
 *
 * The policies' choice of a range of units per rank is in plan_assign.c; this file makes
 * node plans from those ranges, the job plan from node plans, and the notes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"

/* ---- building a node plan from ranges -------------------------------------- */

/* --oversubscribe when nothing else fits: thread g of the node (g = rank*T + t) runs on
 * PU g mod U, PUs ordered first PU of every core, then second PUs. */
static int build_oversubscribed(const place_topo *t, const int *sel, int nsel, int R, int T,
                                nodeplan *np, int *max_per_pu)
{
    int U = 0;
    for (int i = 0; i < nsel; i++)
        U += t->cores[sel[i]].npu;
    int *pus = malloc(sizeof(int) * (size_t)(U + 1));
    int *cores = malloc(sizeof(int) * (size_t)(U + 1));
    int *tp = malloc(sizeof(int) * (size_t)(T + 1));
    int *tc = malloc(sizeof(int) * (size_t)(T + 1));
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    np->nranks = R;
    np->r = calloc((size_t)R, sizeof *np->r);
    int rc = (pus && cores && tp && tc && set && np->r) ? 0 : -1;
    int n = 0;
    for (int pass = 0; rc == 0 && n < U; pass++)
        for (int i = 0; i < nsel; i++)
            if (pass < t->cores[sel[i]].npu) {
                pus[n] = t->pu_pool[t->cores[sel[i]].pu_first + pass];
                cores[n] = sel[i];
                n++;
            }
    for (int r = 0; r < R && rc == 0; r++) {
        hwloc_bitmap_zero(set);
        for (int th = 0; th < T; th++) {
            long g = ((long)r * T + th) % U;
            tp[th] = pus[g];
            tc[th] = cores[g];
            hwloc_bitmap_set(set, (unsigned)pus[g]);
        }
        rc = plan_fill_rank(t, &np->r[r], tp, tc, T, set);
    }
    *max_per_pu = (int)(((long)R * T + U - 1) / U);
    free(pus);
    free(cores);
    free(tp);
    free(tc);
    hwloc_bitmap_free(set);
    return rc;
}

static int best_kind(const place_topo *t)
{
    int best = t->nkinds - 1; /* hwloc lists kinds from least to most efficient */
    for (int k = 0; k < t->nkinds; k++)
        if (t->kinds[k].efficiency > t->kinds[best].efficiency)
            best = k;
    return best;
}

static int node_plan_cpus(place_plan *p, int R, nodeplan *np, place_error *err);

static int node_plan(place_plan *p, int R, nodeplan *np, place_error *err)
{
    int rc = plan_gpus_node(p, R, np, err);
    if (rc == 0)
        rc = node_plan_cpus(p, R, np, err) < 0 ? -1 : 1;
    return rc < 0 ? -1 : plan_dev_assign(p, np, err);
}

static int node_plan_cpus(place_plan *p, int R, nodeplan *np, place_error *err)
{
    const place_topo *t = p->topo;
    const place_request *req = &p->res;
    int *sel = malloc(sizeof(int) * (size_t)(t->ncores + 1));
    if (!sel)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    int result = 0, nsel = 0;
    int kinds_filter = t->nkinds > 1 && req->kinds != PLACE_KINDS_ALL;
    if (kinds_filter) {
        int bk = best_kind(t);
        nsel = plan_select_cores(t, req, bk, sel);
        if (nsel > 0)
            result = plan_try_selection(p, sel, nsel, R, np);
        if (result == 1 && nsel < t->ncores)
            plan_note(p,
                      "hybrid CPU: only the most efficient kind (PUs %s) is used; the other %d "
                      "cores are left idle (%s all to use them)",
                      t->kinds[bk].pus, t->ncores - nsel, NAME(p, kinds));
    }
    if (result == 0 && (!kinds_filter || req->kinds == PLACE_KINDS_AUTO)) {
        nsel = plan_select_cores(t, req, -1, sel);
        result = plan_try_selection(p, sel, nsel, R, np);
        if (result == 1 && kinds_filter)
            plan_note(p,
                      "hybrid CPU: the request does not fit on the most efficient cores alone, so "
                      "cores of every kind are mixed (ranks may wait for slower cores)");
    }
    if (result == 0 && req->oversubscribe) {
        nsel = plan_select_cores(t, req, -1, sel);
        int T = req->threads ? req->threads : 1, per = 0;
        result = build_oversubscribed(t, sel, nsel, R, T, np, &per) == 0 ? 1 : -1;
        if (result == 1) {
            p->oversub = 1;
            p->smt_used = t->max_smt;
            plan_note(p,
                      "oversubscribed: %d ranks x %d threads = %ld threads on %d PUs, up to %d "
                      "per PU",
                      R, T, (long)R * T, t->npus_usable, per);
            plan_span_notes(p, np);
        }
    }
    free(sel);
    if (result < 0)
        return place_error_set(err, PLACE_ENOMEM, "out of memory while computing the plan");
    if (result == 0) {
        int T = req->threads;
        if (T)
            return place_error_set(
                err, PLACE_EINFEASIBLE,
                "%d rank%s x %d thread%s per node do not fit: the node has %d "
                "usable PUs on %d cores (%s%s); use fewer ranks or threads, more "
                "nodes, or %s",
                R, R == 1 ? "" : "s", T, T == 1 ? "" : "s", t->npus_usable, t->ncores,
                req->smt ? NAME(p, smt) : "all SMT siblings counted",
                req->smt ? " limits PUs per core" : "", NAME(p, oversubscribe));
        return place_error_set(
            err, PLACE_EINFEASIBLE,
            "%d ranks per node do not fit: the node has %d usable PUs on %d cores; "
            "use fewer ranks, more nodes, or %s",
            R, t->npus_usable, t->ncores, NAME(p, oversubscribe));
    }
    return 0;
}

/* ---- the job plan ------------------------------------------------------------- */

/* Resolves ranks, nodes and ranks per node into the two node classes. */
static int resolve_layout(place_plan *p, place_error *err)
{
    place_request *r = &p->res;
    if (r->ranks < 0 || r->nodes < 0 || r->ranks_per_node < 0)
        return place_error_set(err, PLACE_EINVAL, "%s, %s and %s must not be negative",
                               NAME(p, ranks), NAME(p, nodes), NAME(p, ranks_per_node));
    if (r->threads < 0 || r->smt < 0 || r->reserve_cores < 0)
        return place_error_set(err, PLACE_EINVAL, "%s, %s and %s must not be negative",
                               NAME(p, threads), NAME(p, smt), NAME(p, reserve_cores));
    /* a C caller's value out of the enums: refused (it was taken for numa, silently) */
    if ((int)r->policy < 0 || r->policy >= PLACE_POLICY_COUNT)
        return place_error_set(err, PLACE_EINVAL,
                               "%s %d: no such policy; expected 0 to %d "
                               "(place_policy)",
                               NAME(p, policy), (int)r->policy, PLACE_POLICY_COUNT - 1);
    if ((int)r->kinds < 0 || r->kinds >= PLACE_KINDS_COUNT)
        return place_error_set(err, PLACE_EINVAL,
                               "%s %d: no such choice; expected 0 to %d "
                               "(place_kinds)",
                               NAME(p, kinds), (int)r->kinds, PLACE_KINDS_COUNT - 1);
    if (r->ranks == 0 && r->ranks_per_node == 0)
        r->ranks = 1;
    if (r->ranks == 0) {
        long n = (long)r->ranks_per_node * (r->nodes ? r->nodes : 1);
        if (n > PLACE_MAX_RANKS)
            return place_error_set(err, PLACE_EINVAL, "%s %d x %s %d: more than %d ranks",
                                   NAME(p, ranks_per_node), r->ranks_per_node, NAME(p, nodes),
                                   r->nodes, PLACE_MAX_RANKS);
        r->ranks = (int)n;
    }
    if (r->ranks_per_node) {
        int need = (r->ranks + r->ranks_per_node - 1) / r->ranks_per_node;
        if (r->nodes == 0)
            r->nodes = need;
        if (r->nodes != need)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s %d with %s %d needs %d nodes, but %s says %d",
                                   NAME(p, ranks), r->ranks, NAME(p, ranks_per_node),
                                   r->ranks_per_node, need, NAME(p, nodes), r->nodes);
        p->rhi = r->ranks_per_node;
        p->nhi = r->ranks / r->ranks_per_node;
        p->rlo = r->ranks % r->ranks_per_node;
    } else {
        if (r->nodes == 0)
            r->nodes = 1;
        if (r->ranks < r->nodes)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s %d on %s %d nodes: fewer ranks than nodes would leave nodes "
                                   "empty",
                                   NAME(p, ranks), r->ranks, NAME(p, nodes), r->nodes);
        p->rlo = r->ranks / r->nodes;
        p->nhi = r->ranks % r->nodes;
        p->rhi = p->rlo + 1;
        if (p->nhi == 0) {
            p->rhi = p->rlo;
            p->nhi = r->nodes;
            p->rlo = 0;
        }
    }
    return 0;
}

/* Cores the request leaves without a thread, and the option that would use them: fixed
 * threads, the GPUs' localities, the compact policy (docs/design.md, the objective). */
static void idle_notes(place_plan *p)
{
    const place_topo *t = p->topo;
    const place_request *rq = &p->req;
    if (p->oversub)
        return;
    char *used = calloc((size_t)t->ncores + 1, 1);
    int *sel = malloc(sizeof(int) * ((size_t)t->ncores + 1));
    int *core_of = NULL, maxpu = 0;
    for (int i = 0; i < t->ncores; i++)
        for (int q = 0; q < t->cores[i].npu; q++)
            maxpu = t->pu_pool[t->cores[i].pu_first + q] > maxpu
                        ? t->pu_pool[t->cores[i].pu_first + q]
                        : maxpu;
    core_of = malloc(sizeof(int) * ((size_t)maxpu + 1));
    if (!used || !sel || !core_of) {
        free(used);
        free(sel);
        free(core_of);
        return;
    }
    for (int i = 0; i < t->ncores; i++)
        for (int q = 0; q < t->cores[i].npu; q++)
            core_of[t->pu_pool[t->cores[i].pu_first + q]] = i;
    int nsel = plan_select_cores(t, &p->res, -1, sel);
    for (int c = 0; c < 2; c++) {
        const nodeplan *np = &p->np[c];
        if (!np->r)
            continue;
        memset(used, 0, (size_t)t->ncores);
        for (int i = 0; i < np->nranks; i++)
            for (int th = 0; th < np->r[i].nthreads; th++)
                used[core_of[np->r[i].pu_os[th]]] = 1;
        int idle = 0, near = 0;
        for (int i = 0; i < nsel; i++) {
            if (used[sel[i]])
                continue;
            idle++;
            unsigned pu = (unsigned)t->pu_pool[t->cores[sel[i]].pu_first];
            for (int g = 0; p->follow && g < t->ndev[0]; g++)
                if (hwloc_bitmap_isset(t->dev[0][g].locality, pu)) {
                    near++;
                    break;
                }
        }
        if (!idle)
            continue;
        const char *who = p->res.nodes > 1 ? (c == 0 ? "nodes of the larger rank count"
                                                     : "nodes of the smaller rank count")
                                           : "the node";
        if (p->res.nodes > 1 && (p->rlo == 0 || p->rlo == p->rhi))
            who = "each node";
        if (rq->threads)
            plan_note(p,
                      "%d of %d usable cores run no thread on %s: %s %d fixes %d thread%s per rank "
                      "(without it, threads fill each rank's share)",
                      idle, nsel, who, NAME(p, threads), rq->threads, rq->threads,
                      rq->threads == 1 ? "" : "s");
        else if (p->follow && near)
            plan_note(p,
                      "%d of %d usable cores run no thread on %s: %d of them are next to GPUs no "
                      "rank holds (%s auto hands every GPU out, with its cores)",
                      idle, nsel, who, near, NAME(p, gpus_auto));
        else if (p->follow)
            plan_note(p,
                      "%d of %d usable cores run no thread on %s: no GPU of the step is next to "
                      "them (%s none plans ranks on every core)",
                      idle, nsel, who, NAME(p, gpu_bind));
        else if (plan_policies[rq->policy].packs)
            plan_note(p,
                      "%d of %d usable cores run no thread on %s: the %s policy takes only "
                      "the cores the ranks need (%s %s fills the node)",
                      idle, nsel, who, plan_policies[rq->policy].name, NAME(p, policy),
                      plan_policies[PLACE_POLICY_NUMA].name);
    }
    free(used);
    free(sel);
    free(core_of);
}

/* What the machine itself holds back: PUs not allowed, offline or outside the binding,
 * NUMA nodes without cores, device memory, memory not allowed, borrowed memory. */
static void topology_notes(place_plan *p)
{
    const place_topo *t = p->topo;
    if (*t->disallowed_s)
        plan_note(p, "PUs %s are not allowed (cgroup, batch system or %s) and are not used",
                  t->disallowed_s, NAME(p, allowed));
    /* hwloc's Linux discovery leaves only offline PUs out of the topology (disallowed ones
     * stay, as not allowed); a written topology also lacks the PUs that were not allowed
     * to the process that wrote it, unless it was written with them (lstopo --disallowed) */
    if (*t->offline_s && !strcmp(t->source, "native"))
        plan_note(p, "PUs %s are offline and are not used", t->offline_s);
    else if (*t->offline_s)
        plan_note(p,
                  "PUs %s are absent from the topology (offline, or not allowed to the process "
                  "that wrote it) and are not used",
                  t->offline_s);
    if (t->unbound_s && *t->unbound_s)
        plan_note(p, "PUs %s are outside this process's binding and are not used", t->unbound_s);
    for (int i = 0; i < t->nmemonly; i++)
        plan_note(p,
                  "NUMA node P#%d has no cores of its own (memory-only): no rank is local to it; "
                  "bind memory there explicitly",
                  t->memonly_os[i]);
    if (t->ndevmem) {
        char list[256];
        int at = 0;
        for (int i = 0; i < t->ndevmem && at < (int)sizeof list - 12; i++)
            at += snprintf(list + at, sizeof list - (size_t)at, "%sP#%d", i ? ", " : "",
                           t->devmem_os[i]);
        plan_note(p,
                  "NUMA node%s %s %s device memory (GPUMemory): kept out of rank placement; the "
                  "GPU runtime places buffers there",
                  t->ndevmem > 1 ? "s" : "", list, t->ndevmem > 1 ? "are" : "is");
    }
    if (t->cache_note)
        plan_note(p, "%s", t->cache_note);
    if (t->allow_ignored)
        plan_note(p,
                  "HWLOC_ALLOW is set: ignored, the allowed PUs are those the kernel lets this job "
                  "use");
    if (t->nomem_s && *t->nomem_s) {
        int several = strchr(t->nomem_s, ',') || strchr(t->nomem_s, '-');
        plan_note(p, "NUMA node%s P#%s %s not in the allowed memory (cpuset.mems) and %s not used",
                  several ? "s" : "", t->nomem_s, several ? "are" : "is", several ? "are" : "is");
    }
    for (int d = 0; d < t->ndom; d++) {
        if (!t->dom[d].borrowed)
            continue;
        hwloc_bitmap_t cores = hwloc_bitmap_alloc();
        for (int c = t->dom[d].first_core; cores && c < t->dom[d].first_core + t->dom[d].ncores;
             c++)
            hwloc_bitmap_set(cores, (unsigned)t->cores[c].core_l);
        char *cl = cores ? place_bitmap_list(cores) : NULL;
        char own[64] = "no NUMA node in the topology";
        if (t->dom[d].own_os >= 0)
            snprintf(own, sizeof own, "NUMA node P#%d is not allowed", t->dom[d].own_os);
        plan_note(p,
                  "cores L#%s have no allowed memory of their own (%s): their memory comes from "
                  "NUMA node P#%d, the nearest allowed, and their ranks' memory policy follows it",
                  cl ? cl : "?", own, t->dom[d].numa_os);
        free(cl);
        hwloc_bitmap_free(cores);
    }
}

int plan_compute_one(place_plan **out, const place_topo *topo, const place_request *req,
                     place_error *err)
{
    *out = NULL;
    place_plan *p = calloc(1, sizeof *p);
    if (!p)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    p->topo = topo;
    p->req = *req;
    p->res = *req;
    if (plan_dev_prepare(p, err) < 0 || resolve_layout(p, err) < 0)
        goto fail;
    if (req->reserve_cores > 0) {
        /* A package left with no core by the reservation is an error, not a silent gap. */
        for (int i = 0; i < topo->ncores; i++) {
            int n = 0;
            for (int j = 0; j < topo->ncores; j++)
                n += topo->cores[j].package_l == topo->cores[i].package_l;
            if (n <= req->reserve_cores) {
                place_error_set(err, PLACE_EINFEASIBLE,
                                "%s %d leaves no core in package L#%d, which has %d "
                                "usable cores; expected fewer than %d",
                                NAME(p, reserve_cores), req->reserve_cores,
                                topo->cores[i].package_l, n, n);
                goto fail;
            }
        }
        plan_note(p, "%d cores per package reserved for the OS (the last ones)",
                  req->reserve_cores);
    }
    if (node_plan(p, p->rhi, &p->np[0], err) < 0)
        goto fail;
    if (p->rlo > 0 && p->rlo != p->rhi && node_plan(p, p->rlo, &p->np[1], err) < 0)
        goto fail;
    if (p->rlo > 0 && p->rlo != p->rhi && p->nhi == 1)
        plan_note(p, "%d ranks do not divide over %d nodes: node 0 runs %d ranks, the others %d",
                  p->res.ranks, p->res.nodes, p->rhi, p->rlo);
    else if (p->rlo > 0 && p->rlo != p->rhi)
        plan_note(p,
                  "%d ranks do not divide over %d nodes: nodes 0 to %d run %d ranks, the others %d",
                  p->res.ranks, p->res.nodes, p->nhi - 1, p->rhi, p->rlo);
    /* Resolve what was automatic, so the request printed is the one applied. */
    if (!p->res.threads) {
        int lo = INT_MAX, hi = 0;
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < p->np[c].nranks; i++) {
                int n = p->np[c].r[i].nthreads;
                lo = n < lo ? n : lo;
                hi = n > hi ? n : hi;
            }
        if (lo != hi)
            plan_note(p, "threads fill each rank's share: %d to %d per rank", lo, hi);
        p->res.threads = lo;
    }
    if (!p->res.smt)
        p->res.smt = p->smt_used;
    if (!p->res.ranks_per_node)
        p->res.ranks_per_node = p->rhi;
    idle_notes(p);
    topology_notes(p);
    *out = p;
    return 0;
fail:
    place_plan_free(p);
    return -1;
}

void place_plan_free(place_plan *p)
{
    if (!p)
        return;
    plan_nodeplan_free(&p->np[0]);
    plan_nodeplan_free(&p->np[1]);
    plan_dev_free(p);
    place_notes_free(&p->notes);
    free(p);
}

const place_request *place_plan_request(const place_plan *p)
{
    return &p->req;
}
const place_request *place_plan_resolved(const place_plan *p)
{
    return &p->res;
}
const place_topo *place_plan_topo(const place_plan *p)
{
    return p->topo;
}
int place_plan_nnotes(const place_plan *p)
{
    return p->notes.n;
}
const char *place_plan_note(const place_plan *p, int i)
{
    return place_notes_get(&p->notes, i);
}
int place_plan_oversubscribed(const place_plan *p)
{
    return p->oversub;
}

int place_plan_node_ranks(const place_plan *p, int node, int *first, int *count, place_error *err)
{
    if (node < 0 || node >= p->res.nodes)
        return place_error_set(err, PLACE_EINVAL,
                               "node %d: out of range; the plan has nodes 0 to %d", node,
                               p->res.nodes - 1);
    if (node < p->nhi) {
        *first = node * p->rhi;
        *count = p->rhi;
    } else {
        *first = p->nhi * p->rhi + (node - p->nhi) * p->rlo;
        *count = p->rlo;
    }
    return 0;
}

int place_plan_rank(const place_plan *p, int rank, place_rank_info *info, place_error *err)
{
    if (rank < 0 || rank >= p->res.ranks)
        return place_error_set(err, PLACE_EINVAL,
                               "rank %d: out of range; the plan has ranks 0 to %d", rank,
                               p->res.ranks - 1);
    long hi = (long)p->nhi * p->rhi;
    int node, lr, cls;
    if (rank < hi) {
        node = rank / p->rhi;
        lr = rank % p->rhi;
        cls = 0;
    } else {
        long r2 = rank - hi;
        node = p->nhi + (int)(r2 / p->rlo);
        lr = (int)(r2 % p->rlo);
        cls = 1;
    }
    const nodeplan *np = &p->np[cls];
    if (cls == 1 && p->rlo == p->rhi)
        np = &p->np[0];
    const lrank *r = &np->r[lr];
    info->rank = rank;
    info->node = node;
    info->local_rank = lr;
    info->local_size = np->nranks;
    info->cpuset = r->cpuset;
    info->ncpus = r->ncpus;
    info->nnuma = r->nnuma;
    info->numa_os = r->numa_os;
    info->nthreads = r->nthreads;
    info->thread_pu_os = r->pu_os;
    info->thread_core_l = r->core_l;
    info->ngpus = r->ngpu;
    info->gpu = r->gpu;
    info->nnics = r->nnic;
    info->nic = r->nic;
    return 0;
}

int place_plan_node_range(const place_plan *p, int node, int *first, int *count)
{
    return place_plan_node_ranks(p, node, first, count, NULL);
}

int place_plan_binds_gpus(const place_plan *p)
{
    return p->gpus_bound;
}
int place_plan_binds_nics(const place_plan *p)
{
    return p->nics_bound;
}

const char *place_plan_gpu_token(const place_plan *p, int gpu)
{
    if (gpu < 0 || gpu >= p->topo->ndev[0] || !p->gpu_index_token)
        return NULL;
    return p->gpu_token && p->gpu_token[gpu] ? p->gpu_token[gpu] : p->gpu_index_token[gpu];
}
