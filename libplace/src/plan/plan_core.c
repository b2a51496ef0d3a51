/* plan_core.c (plan): the pieces every node plan is built from, shared by the CPU plan
 * (plan.c), the device localities (plan_dev.c) and the GPU search (plan_gpus.c): ranks
 * filled with PUs, cores selected by kind, a selection tried and scored, the spans said. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"

/* The name of request field F in messages: the caller's spelling, else "request.F". */
// one row a line: a new row re-lays no other
// clang-format off
const place_spelling plan_c_names = {
    "request.ranks",
    "request.nodes",
    "request.ranks_per_node",
    "request.threads",
    "request.policy",
    "request.smt",
    "request.reserve_cores",
    "request.oversubscribe",
    "request.kinds",
    "place_topo_restrict",
    "request.gpus_per_rank",
    "request.gpu_bind",
    "request.nics",
    "request.gpus_per_rank",
};
// clang-format on
const char *plan_field_name(const place_plan *p, int which)
{
    switch (which) {
    case 0: return NAME(p, gpus);
    case 1: return NAME(p, gpu_bind);
    case 2: return NAME(p, nics);
    case 3: return NAME(p, threads);
    default: return NAME(p, gpus_auto);
    }
}

const char *plan_asked_gpus_text(const place_plan *p, char *buf, size_t n)
{
    if (p->req.gpus_per_rank == PLACE_GPUS_AUTO)
        snprintf(buf, n, "%s auto", NAME(p, gpus_auto));
    else
        snprintf(buf, n, "%s %d", NAME(p, gpus), p->req.gpus_per_rank);
    return buf;
}

static void lrank_free(lrank *r)
{
    free(r->gpu);
    free(r->nic);
    free(r->cpuset);
    free(r->numa_os);
    free(r->pu_os);
    free(r->core_l);
}

void plan_nodeplan_free(nodeplan *np)
{
    for (int i = 0; i < np->nranks && np->r; i++)
        lrank_free(&np->r[i]);
    free(np->r);
    np->r = NULL;
    np->nranks = 0;
}

/* Fills rank r's cpuset, NUMA list and threads from its PUs. `pus` holds `npus` PUs in
 * thread order; thread t gets pus[t]. */
int plan_fill_rank(const place_topo *t, lrank *r, const int *pus, const int *cores, int nthreads,
                   hwloc_bitmap_t cpuset)
{
    r->nthreads = nthreads;
    r->pu_os = malloc(sizeof(int) * (size_t)(nthreads + 1));
    r->core_l = malloc(sizeof(int) * (size_t)(nthreads + 1));
    r->numa_os = malloc(sizeof(int) * (size_t)(t->ndom + 1));
    r->cpuset = place_bitmap_list(cpuset);
    if (!r->pu_os || !r->core_l || !r->numa_os || !r->cpuset)
        return -1;
    for (int i = 0; i < nthreads; i++) {
        r->pu_os[i] = pus[i];
        r->core_l[i] = t->cores[cores[i]].core_l;
    }
    r->ncpus = hwloc_bitmap_weight(cpuset);
    /* NUMA domains touched, in domain order. */
    r->nnuma = 0;
    for (int d = 0; d < t->ndom; d++) {
        const place_domain *dom = &t->dom[d];
        for (int c = dom->first_core; c < dom->first_core + dom->ncores; c++) {
            const place_core *pc = &t->cores[c];
            int hit = 0;
            for (int q = 0; q < pc->npu; q++)
                if (hwloc_bitmap_isset(cpuset, (unsigned)t->pu_pool[pc->pu_first + q]))
                    hit = 1;
            if (hit) { /* borrowed domains share their node with its own cores' domain */
                int dup = 0;
                for (int k = 0; k < r->nnuma; k++)
                    dup |= r->numa_os[k] == dom->numa_os;
                if (!dup)
                    r->numa_os[r->nnuma++] = dom->numa_os;
                break;
            }
        }
    }
    return 0;
}

/* Threads of a rank fill its cores breadth-first: the first PU of every core, then the
 * second, so that no SMT sibling is used while a core of the rank is free. A unit's PU
 * q is the core's sibling number (s + q), where s counts the earlier units of the same
 * core in the range (per-PU units of one core are adjacent). */
static int build_from_ranges(const place_topo *t, const attempt *a, nodeplan *np)
{
    if (a->R <= 0)
        return -1;
    np->nranks = a->R;
    np->r = calloc((size_t)a->R, sizeof *np->r);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int maxslots = 0;
    for (int i = 0; i < a->R; i++) {
        int s = plan_slots_in(a, a->out[i]);
        if (s > maxslots)
            maxslots = s;
    }
    int *pus = malloc(sizeof(int) * (size_t)(maxslots + 1));
    int *cores = malloc(sizeof(int) * (size_t)(maxslots + 1));
    int *sib = malloc(sizeof(int) * (size_t)(a->nu + 1));
    int rc = (np->r && set && pus && cores && sib) ? 0 : -1;
    for (int i = 0; i < a->R && rc == 0; i++) {
        range rg = a->out[i];
        int n = 0, maxpass = 0;
        hwloc_bitmap_zero(set);
        for (int u = rg.first; u < rg.first + rg.n; u++) {
            const unit *un = &a->u[u];
            sib[u] =
                (u > rg.first && a->u[u - 1].core == un->core) ? sib[u - 1] + a->u[u - 1].npu : 0;
            if (sib[u] + un->npu > maxpass)
                maxpass = sib[u] + un->npu;
            for (int q = 0; q < un->npu; q++)
                hwloc_bitmap_set(set, (unsigned)plan_unit_pu(t, un, q));
        }
        for (int pass = 0; pass < maxpass; pass++)
            for (int u = rg.first; u < rg.first + rg.n; u++) {
                int q = pass - sib[u];
                if (q >= 0 && q < a->u[u].npu) {
                    pus[n] = plan_unit_pu(t, &a->u[u], q);
                    cores[n] = a->u[u].core;
                    n++;
                }
            }
        int nthreads = a->T ? a->T : n;
        rc = plan_fill_rank(t, &np->r[i], pus, cores, nthreads, set);
    }
    free(pus);
    free(cores);
    free(sib);
    hwloc_bitmap_free(set);
    return rc;
}

/* ---- the node plan --------------------------------------------------------------- */

/* Selects usable cores: minus the reserved last cores of each package (or the cores the
 * request excludes: --reserve-cores auto's choice), and (kinds filter) only cores of kind
 * `kind` when kind >= 0. Returns the count. */
int plan_select_cores(const place_topo *t, const place_request *req, int kind, int *sel)
{
    int n = 0, reserve = req->reserve_auto ? 0 : req->reserve_cores;
    for (int i = 0; i < t->ncores; i++) {
        const place_core *c = &t->cores[i];
        if (kind >= 0 && c->kind != kind)
            continue;
        int out = 0;
        for (int x = 0; x < req->nexclude_cores && !out; x++)
            out = req->exclude_cores[x] == i;
        if (out)
            continue;
        if (reserve > 0) {
            /* Reserved: among the usable cores of its package, one of the last `reserve`
             * by logical index. */
            int later = 0;
            for (int j = 0; j < t->ncores; j++)
                if (t->cores[j].package_l == c->package_l && t->cores[j].core_l > c->core_l)
                    later++;
            if (later < reserve)
                continue;
        }
        sel[n++] = i;
    }
    return n;
}

/* Every rank of a node plan that spans several NUMA nodes is named: as straddling when it
 * shares one of them with another rank, else as spanning whole NUMA nodes. */
void plan_span_notes(place_plan *p, const nodeplan *np)
{
    int maxn = 0;
    for (int i = 0; i < np->nranks; i++)
        for (int k = 0; k < np->r[i].nnuma; k++)
            maxn = np->r[i].numa_os[k] > maxn ? np->r[i].numa_os[k] : maxn;
    int *users = calloc((size_t)maxn + 1, sizeof(int));
    if (!users)
        return;
    for (int i = 0; i < np->nranks; i++)
        for (int k = 0; k < np->r[i].nnuma; k++)
            users[np->r[i].numa_os[k]]++;
    const char *who = p->res.nodes > 1 ? "local rank" : "rank";
    for (int kind = 0; kind < 2; kind++) { /* 0: straddling, 1: whole */
        size_t cap = 256, at = 0;
        char *buf = malloc(cap);
        int n = 0;
        for (int i = 0; buf && i < np->nranks; i++) {
            const lrank *r = &np->r[i];
            if (r->nnuma < 2)
                continue;
            int shared = 0;
            for (int k = 0; k < r->nnuma; k++)
                shared |= users[r->numa_os[k]] > 1;
            if (shared != !kind)
                continue;
            if (cap - at < 96 + 12 * (size_t)r->nnuma) {
                cap = 2 * cap + 12 * (size_t)r->nnuma;
                char *nb = realloc(buf, cap);
                if (!nb)
                    break;
                buf = nb;
            }
            at += (size_t)snprintf(buf + at, cap - at, "%s%d (NUMA ", n ? ", " : "", i);
            for (int k = 0; k < r->nnuma; k++)
                at += (size_t)snprintf(buf + at, cap - at, "%s%d", k ? "," : "", r->numa_os[k]);
            /* a run is consecutive among the NUMA nodes with usable cores: NUMA nodes it
             * skips in the topology's numbering that have none are said, so that the run
             * does not read as straddling them */
            int skipped = 0;
            for (int k = 1; k < r->nnuma; k++)
                for (int x = r->numa_os[k - 1] + 1; x < r->numa_os[k]; x++) {
                    int has_cores = 0;
                    for (int d = 0; d < p->topo->ndom && !has_cores; d++)
                        has_cores = p->topo->dom[d].numa_os == x && p->topo->dom[d].ncores > 0;
                    skipped += !has_cores;
                }
            if (skipped && kind == 1)
                at += (size_t)snprintf(buf + at, cap - at,
                                       "; the NUMA nodes between have no usable core");
            at += (size_t)snprintf(buf + at, cap - at, ")");
            n++;
        }
        if (buf && n && kind == 0)
            plan_note(p, "%ss straddling NUMA nodes they share with other ranks: %s", who, buf);
        else if (buf && n)
            plan_note(p, "%ss spanning several whole NUMA nodes (no other rank on them): %s", who,
                      buf);
        free(buf);
    }
    free(users);
}

/* Tries every attempt on the selected cores. Returns 1 if a plan was built, 0 if
 * nothing fits, -1 on allocation failure. */
int plan_try_selection(place_plan *p, const int *sel, int nsel, int R, nodeplan *np)
{
    const place_topo *t = p->topo;
    const place_request *req = &p->res;
    int maxs = 0;
    for (int i = 0; i < nsel; i++)
        if (t->cores[sel[i]].npu > maxs)
            maxs = t->cores[sel[i]].npu;
    int kmin = req->smt ? (req->smt < maxs ? req->smt : maxs) : 1;
    int kmax = req->smt ? kmin : maxs;
    attempt a = {0};
    a.R = R;
    a.T = req->threads;
    a.policy = req->policy;
    a.out = calloc((size_t)R, sizeof *a.out);
    a.group = calloc((size_t)R, sizeof *a.group);
    if (!a.out || !a.group) {
        free(a.out);
        free(a.group);
        return -1;
    }
    int result = 0;
    for (int per_pu = 0; per_pu <= 1 && !result; per_pu++) {
        for (int k = per_pu ? kmax : kmin; k <= kmax && !result; k++) {
            unit *u = NULL;
            a.nu = plan_make_units(t, sel, nsel, k, per_pu, &u);
            if (a.nu < 0) {
                free(a.out);
                free(a.group);
                return -1;
            }
            a.u = a.base = u;
            a.k = per_pu ? 1 : k;
            /* Siblings are in use when units carry several PUs of which threads need more
             * than one, or when ranks share cores (per-PU units). */
            int smt_in_use = !req->smt && (per_pu ? kmax > 1 : (a.T && k > 1));
            if (plan_assign(&a, smt_in_use)) {
                result = build_from_ranges(t, &a, np) == 0 ? 1 : -1;
                if (result == 1) {
                    if (k > p->smt_used)
                        p->smt_used = k;
                    if (per_pu && kmax > 1)
                        plan_note(p,
                                  "%d ranks exceed the %d usable cores: ranks share cores through "
                                  "SMT siblings",
                                  R, nsel);
                    else if (k > 1 && !req->smt)
                        plan_note(p, "threads exceed the cores: using %d PUs per core (SMT)", k);
                    const char *what = per_pu ? "PUs" : "cores";
                    if (a.rule == RULE_STRADDLE)
                        plan_note(p,
                                  "%d ranks of %d threads do not fit inside NUMA nodes: as many as "
                                  "fit stay inside one, the fewest straddle",
                                  R, req->threads);
                    if (a.rule == RULE_EQUAL_UNEQUAL_NODES)
                        plan_note(p,
                                  "NUMA nodes of %d to %d usable %s: equal shares of %d %s fit "
                                  "inside them, so every rank gets %d",
                                  a.lo, a.hi, what, a.equal_q, what, a.equal_q);
                    if (a.rule == RULE_RUNS)
                        plan_note(
                            p,
                            "%d ranks of %d threads do not fit inside NUMA nodes: %d hold runs "
                            "of small NUMA nodes alone, %d straddle (the fewest possible)",
                            R, req->threads, a.lo, a.hi);
                    if (a.rule == RULE_OPTIMAL && R == 1 && !p->in_group)
                        plan_note(p,
                                  "one rank takes every usable %s (%d) across NUMA nodes: memory "
                                  "policy local keeps each thread's first touch on its own NUMA "
                                  "node",
                                  per_pu ? "PU" : "core", a.hi);
                    else if (a.rule == RULE_OPTIMAL && R == 1)
                        ; /* a GPU plan's rank holding several localities: said there */
                    else if (a.rule == RULE_OPTIMAL && a.idle)
                        plan_note(
                            p,
                            "shares of %d to %d %s, no rank straddling NUMA nodes (the largest "
                            "smallest share, then the fewest idle %s); %d %s idle in NUMA "
                            "nodes smaller than a share",
                            a.lo, a.hi, what, what, a.idle, what);
                    else if (a.rule == RULE_OPTIMAL)
                        plan_note(
                            p,
                            "shares of %d to %d %s, no rank straddling NUMA nodes (the largest "
                            "smallest share, then the fewest idle %s): every %s is used",
                            a.lo, a.hi, what, what, per_pu ? "PU" : "core");
                    if (a.rule == RULE_UNEQUAL)
                        plan_note(
                            p,
                            "equal shares of %d %s would straddle NUMA nodes, so each rank "
                            "takes the largest share inside its NUMA node(s): %d to %d %s; %d "
                            "%s idle",
                            a.equal_q, what, a.lo, a.hi, what, a.idle, what);
                    else if (a.idle && !a.T)
                        plan_note(p, "%d of %d %s left idle so that every rank gets an equal share",
                                  a.idle, a.nu, what);
                    if (!p->in_group)
                        plan_span_notes(p, np);
                    if (a.widened)
                        plan_note(
                            p,
                            "SMT siblings are in use, so no core is left idle: cpusets differ "
                            "by up to one %s",
                            per_pu ? "PU" : "core");
                }
            }
            free(u);
            free(a.owned);
            a.owned = NULL;
        }
    }
    free(a.out);
    free(a.group);
    return result;
}

const char *plan_scope_gpus_text(const place_plan *p, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->ngpu_scope && at + 24 < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? "," : "",
                               p->topo->dev[0][p->gpu_scope[i]].name);
    return buf;
}
