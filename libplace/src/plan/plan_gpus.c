/* plan_gpus.c: ranks that follow the GPUs (--gpu-bind closest).
 *
 * The step's GPUs are grouped by locality (the usable PUs of their first non-I/O
 * ancestor); smaller localities claim their cores first, so a GPU behind a NUMA node keeps
 * that node's cores and one attached at the package gets what the others leave. A GPU
 * whose locality has no usable core is not handed out: no rank could hold a core next to
 * it (said in a note).
 *
 * Two candidates, scored by the objective (docs/design.md, "The objective"):
 *   the rules: ranks apportioned to localities in proportion to their GPUs, each
 *     locality's ranks planned on its own cores by the CPU plan, its GPUs spread over them;
 *     with G GPUs per rank, localities too small are widened up the topology;
 *   the search (fewer ranks than GPUs, or G per rank): the localities in core order, with
 *     the cores no GPU is local to as GPU-less localities (one per NUMA domain), each split
 *     among ranks (each at least one GPU, or G), left idle, or part of a run of
 *     consecutive localities held by one rank with their GPUs and cores; a run is whole
 *     NUMA nodes or lies inside one, so it never straddles. A dynamic programme over the
 *     localities finds the best split for each threshold of the smallest GPU count and
 *     core share, the thresholds raised as far as the earlier criteria allow.
 * The rules' plan is kept unless the search's is strictly better (so plans that were
 * already optimal stay as they were).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"

#define NAME_DEV(p, w) plan_field_name((p), (w))

typedef struct ggroup {
    hwloc_bitmap_t loc; /* the GPUs' locality */
    hwloc_bitmap_t own; /* what is left of it after smaller localities took theirs */
    int n, *gpu;        /* its GPUs, PCI order (0 for cores no GPU is local to) */
    int nsel, *sel;     /* its cores (indices into topo->cores), in core order */
    int r;              /* ranks given */
    int dlo, dhi;       /* the domains its cores are in */
} ggroup;

static int cmp_weight(const void *a, const void *b)
{
    const ggroup *x = a, *y = b;
    int wx = hwloc_bitmap_weight(x->loc), wy = hwloc_bitmap_weight(y->loc);
    return wx != wy ? (wx < wy ? -1 : 1) : (x->gpu[0] - y->gpu[0]);
}

static int cmp_first_core(const void *a, const void *b)
{
    const ggroup *x = a, *y = b;
    int fx = x->nsel ? x->sel[0] : INT_MAX, fy = y->nsel ? y->sel[0] : INT_MAX;
    int gx = x->n ? x->gpu[0] : -1, gy = y->n ? y->gpu[0] : -1;
    return fx != fy ? (fx < fy ? -1 : 1) : (gx - gy);
}

/* Largest-remainder shares of R over weights w (capped by cap when cap != NULL). */
static void shares(const int *w, const int *cap, int n, int R, int *out)
{
    long tot = 0;
    for (int i = 0; i < n; i++)
        tot += w[i];
    int given = 0;
    for (int i = 0; i < n; i++) {
        out[i] = tot ? (int)((long)R * w[i] / tot) : 0;
        if (cap && out[i] > cap[i])
            out[i] = cap[i];
        given += out[i];
    }
    while (given < R) {
        int best = -1;
        double br = -1e300;
        for (int i = 0; i < n; i++) {
            if (cap && out[i] >= cap[i])
                continue;
            double rem = tot ? (double)R * w[i] / (double)tot - out[i] : 0;
            if (rem > br) {
                br = rem;
                best = i;
            }
        }
        if (best < 0)
            break;
        out[best]++;
        given++;
    }
}

int plan_set_gpus(lrank *r, const int *g, int n)
{
    free(r->gpu);
    r->gpu = malloc(sizeof(int) * (size_t)(n + 1));
    if (!r->gpu)
        return -1;
    memcpy(r->gpu, g, sizeof(int) * (size_t)n);
    r->ngpu = n;
    return 0;
}

/* Groups the step's GPUs by locality: each GPU's first non-I/O ancestor, widened `level`
 * times (to its parent with a larger cpuset). Returns the count, -1 out of memory. */
static int make_groups(const place_plan *p, int level, ggroup *g, int *widest)
{
    const place_topo *t = p->topo;
    int ng = 0;
    *widest = 1;
    for (int i = 0; i < p->ngpu_scope; i++) {
        const place_dev *d = &t->dev[0][p->gpu_scope[i]];
        hwloc_obj_t a = d->anc;
        for (int l = 0; l < level && a && a->parent; l++) {
            hwloc_obj_t up = a->parent;
            while (up->parent && hwloc_bitmap_isequal(up->cpuset, a->cpuset))
                up = up->parent;
            a = up;
        }
        if (a && a->parent)
            *widest = 0;
        hwloc_bitmap_t loc = hwloc_bitmap_dup(a && a->cpuset ? a->cpuset : d->locality);
        if (!loc)
            return -1;
        hwloc_bitmap_and(loc, loc, t->usable);
        int k = 0;
        while (k < ng && !hwloc_bitmap_isequal(g[k].loc, loc))
            k++;
        if (k == ng) {
            g[k].loc = loc;
            g[k].own = hwloc_bitmap_alloc();
            g[k].gpu = malloc(sizeof(int) * (size_t)(p->ngpu_scope + 1));
            ng++;
            if (!g[k].own || !g[k].gpu)
                return -1;
        } else {
            hwloc_bitmap_free(loc);
        }
        g[k].gpu[g[k].n++] = p->gpu_scope[i];
    }
    return ng;
}

static void groups_clear(ggroup *g, int n)
{
    for (int i = 0; i < n; i++) {
        hwloc_bitmap_free(g[i].loc);
        hwloc_bitmap_free(g[i].own);
        free(g[i].gpu);
        free(g[i].sel);
    }
    memset(g, 0, sizeof *g * (size_t)n);
}

/* Gives every group its own cores (smaller localities first), drops the groups left
 * without a core (their GPUs are not handed out: *dropped counts them, *dropped_s lists
 * them) and sorts the rest by first core. Returns the new count, -1 out of memory. */
static int claim_cores(const place_plan *p, ggroup *g, int ng, const int *sel, int nsel,
                       int *dropped, char *dropped_s, size_t dn)
{
    const place_topo *t = p->topo;
    qsort(g, (size_t)ng, sizeof *g, cmp_weight);
    hwloc_bitmap_t claimed = hwloc_bitmap_alloc();
    if (!claimed)
        return -1;
    int bad = 0;
    for (int k = 0; k < ng && !bad; k++) {
        hwloc_bitmap_andnot(g[k].own, g[k].loc, claimed);
        hwloc_bitmap_or(claimed, claimed, g[k].loc);
        g[k].sel = malloc(sizeof(int) * (size_t)(nsel + 1));
        bad = !g[k].sel;
        for (int i = 0; !bad && i < nsel; i++) {
            const place_core *c = &t->cores[sel[i]];
            if (hwloc_bitmap_isset(g[k].own, (unsigned)t->pu_pool[c->pu_first]))
                g[k].sel[g[k].nsel++] = sel[i];
        }
    }
    hwloc_bitmap_free(claimed);
    if (bad)
        return -1;
    /* a locality whose cores smaller ones took (a GPU at the package, others at its NUMA
     * nodes): its GPUs join the largest group inside it, whose cores are next to them */
    for (int k = 0; k < ng; k++) {
        if (g[k].nsel || !g[k].n)
            continue;
        int best = -1;
        for (int j = 0; j < ng; j++)
            if (g[j].nsel && hwloc_bitmap_isincluded(g[j].own, g[k].loc) &&
                (best < 0 || g[j].nsel > g[best].nsel))
                best = j;
        if (best < 0)
            continue;
        int *ng2 = realloc(g[best].gpu, sizeof(int) * (size_t)(g[best].n + g[k].n + 1));
        if (!ng2)
            return -1;
        g[best].gpu = ng2;
        for (int i = 0; i < g[k].n; i++)
            g[best].gpu[g[best].n++] = g[k].gpu[i];
        for (int a = 1; a < g[best].n; a++) /* PCI order */
            for (int b = a; b > 0 && g[best].gpu[b] < g[best].gpu[b - 1]; b--) {
                int v = g[best].gpu[b];
                g[best].gpu[b] = g[best].gpu[b - 1];
                g[best].gpu[b - 1] = v;
            }
        g[k].n = 0;
    }
    int m = 0;
    size_t at = 0;
    *dropped = 0;
    if (dn)
        dropped_s[0] = '\0';
    for (int k = 0; k < ng; k++) {
        if (g[k].nsel) {
            g[m++] = g[k];
            continue;
        }
        for (int i = 0; i < g[k].n; i++) {
            if (at + 24 < dn)
                at += (size_t)snprintf(dropped_s + at, dn - at, "%s%s", *dropped ? "," : "",
                                       t->dev[0][g[k].gpu[i]].name);
            (*dropped)++;
        }
        hwloc_bitmap_free(g[k].loc);
        hwloc_bitmap_free(g[k].own);
        free(g[k].gpu);
        free(g[k].sel);
    }
    qsort(g, (size_t)m, sizeof *g, cmp_first_core);
    return m;
}

/* How many of rank r's PUs GPU gi is local to. */
static int overlap(const place_topo *t, int gi, hwloc_const_bitmap_t rs)
{
    hwloc_bitmap_t x = hwloc_bitmap_alloc();
    if (!x)
        return 0;
    hwloc_bitmap_and(x, rs, t->dev[0][gi].locality);
    int w = hwloc_bitmap_weight(x);
    hwloc_bitmap_free(x);
    return w;
}

/* Gives the ranks of a group its GPUs: `want[j]` each, nearest first (the most of the
 * rank's PUs local to the GPU, then PCI order). With more ranks than GPUs (share), rank j
 * gets GPU floor(j * n / r). */
static int hand_out(const place_topo *t, ggroup *g, lrank *r, int nr, const int *want, int share)
{
    char *used = calloc((size_t)g->n + 1, 1);
    int *pick = malloc(sizeof(int) * (size_t)(g->n + 1));
    hwloc_bitmap_t rs = hwloc_bitmap_alloc();
    int rc = used && pick && rs ? 0 : -1;
    for (int j = 0; j < nr && rc == 0; j++) {
        if (share) {
            int gi = g->gpu[(int)((long)j * g->n / nr)];
            rc = plan_set_gpus(&r[j], &gi, 1);
            continue;
        }
        hwloc_bitmap_list_sscanf(rs, r[j].cpuset);
        int n = 0;
        for (int k = 0; k < want[j]; k++) {
            int best = -1, bo = -1;
            for (int i = 0; i < g->n; i++) {
                int o = used[i] ? -1 : overlap(t, g->gpu[i], rs);
                if (!used[i] && o > bo) {
                    bo = o;
                    best = i;
                }
            }
            if (best < 0)
                break;
            used[best] = 1;
            pick[n++] = g->gpu[best];
        }
        /* the runtime numbers a rank's GPUs in PCI order: keep them so */
        for (int a = 1; a < n; a++)
            for (int b = a; b > 0 && pick[b] < pick[b - 1]; b--) {
                int x = pick[b];
                pick[b] = pick[b - 1];
                pick[b - 1] = x;
            }
        rc = plan_set_gpus(&r[j], pick, n);
    }
    free(used);
    free(pick);
    hwloc_bitmap_free(rs);
    return rc;
}

/* ---- scoring a node plan by the objective ---------------------------------------------- */

typedef struct gscore {
    int remote;    /* GPUs held by a rank with no thread in their locality */
    int far;       /* ranks with threads outside the localities of all their GPUs */
    int straddle;  /* ranks spanning NUMA domains, not alone on a run of consecutive ones */
    int unused;    /* GPUs of the step no rank holds */
    int min_gpus;  /* the fewest GPUs of a rank */
    int min_share; /* the fewest cores of a rank (threads left to fill), else 0 */
    int idle;      /* selected cores no rank uses */
    int spans;     /* ranks spanning several NUMA domains */
} gscore;

/* Scores ranks r[0..nr) over the selected cores sel[0..nsel); a rank is alone on a run of
 * consecutive domains when no domain of domset (NULL: those of sel) between its own is
 * left out. */
static int score_ranks(const place_plan *p, const lrank *r, int nr, const int *sel, int nsel,
                       const char *domset, gscore *s)
{
    const place_topo *t = p->topo;
    memset(s, 0, sizeof *s);
    s->min_gpus = INT_MAX;
    s->min_share = p->res.threads ? 0 : INT_MAX;
    int nd = t->ndom, maxpu = 0, nth = 0;
    for (int i = 0; i < nr; i++)
        nth += r[i].nthreads;
    int *off = malloc(sizeof(int) * ((size_t)nr + 1)),
        *dom = malloc(sizeof(int) * ((size_t)nth + 1));
    char *has = calloc((size_t)nd + 1, 1);
    char *held = calloc((size_t)t->ndev[0] + 1, 1), *coreused = calloc((size_t)t->ncores + 1, 1);
    hwloc_bitmap_t rs = hwloc_bitmap_alloc(), near = hwloc_bitmap_alloc();
    for (int i = 0; i < t->ncores; i++)
        for (int q = 0; q < t->cores[i].npu; q++)
            maxpu = t->pu_pool[t->cores[i].pu_first + q] > maxpu
                        ? t->pu_pool[t->cores[i].pu_first + q]
                        : maxpu;
    int *pucore = malloc(sizeof(int) * ((size_t)maxpu + 1)), *pudom = pucore;
    int rc = -1;
    if (!off || !dom || !has || !held || !coreused || !rs || !near || !pucore)
        goto out;
    for (int i = 0; i < t->ncores; i++)
        for (int q = 0; q < t->cores[i].npu; q++)
            pucore[t->pu_pool[t->cores[i].pu_first + q]] = i;
    for (int i = 0; i < nsel; i++)
        if (!domset || domset[t->cores[sel[i]].domain])
            has[t->cores[sel[i]].domain] = 1;
    off[0] = 0;
    for (int i = 0; i < nr; i++) { /* each rank's threads' domains, for the straddle rule */
        off[i + 1] = off[i];
        for (int th = 0; th < r[i].nthreads; th++) {
            dom[off[i + 1]++] = t->cores[pudom[r[i].pu_os[th]]].domain;
            coreused[pudom[r[i].pu_os[th]]] = 1;
        }
    }
    if ((s->straddle = plan_straddlers(dom, off, nr, has, nd, &s->spans)) < 0)
        goto out;
    for (int i = 0; i < nr; i++) {
        /* a rank's share is its cores (a core shared through SMT siblings counts once
         * for each rank on it): localities split into ranks per core and per PU compare */
        int ncores = 0;
        for (int th = 0; th < r[i].nthreads; th++) {
            int c = pudom[r[i].pu_os[th]], seen = 0;
            for (int x = 0; x < th && !seen; x++)
                seen = pudom[r[i].pu_os[x]] == c;
            ncores += !seen;
        }
        if (!p->res.threads && ncores < s->min_share)
            s->min_share = ncores;
        if (r[i].ngpu < s->min_gpus)
            s->min_gpus = r[i].ngpu;
        /* the PUs its threads run on: a GPU is near the rank when one of them is */
        hwloc_bitmap_zero(rs);
        for (int th = 0; th < r[i].nthreads; th++)
            hwloc_bitmap_set(rs, (unsigned)r[i].pu_os[th]);
        hwloc_bitmap_zero(near);
        for (int k = 0; k < r[i].ngpu; k++) {
            held[r[i].gpu[k]] = 1;
            s->remote += overlap(t, r[i].gpu[k], rs) == 0;
            hwloc_bitmap_or(near, near, t->dev[0][r[i].gpu[k]].locality);
        }
        s->far += r[i].ngpu > 0 && !hwloc_bitmap_isincluded(rs, near);
    }
    for (int i = 0; i < p->ngpu_scope; i++)
        s->unused += !held[p->gpu_scope[i]];
    for (int i = 0; i < nsel; i++)
        s->idle += !coreused[sel[i]];
    if (s->min_gpus == INT_MAX)
        s->min_gpus = 0;
    if (s->min_share == INT_MAX)
        s->min_share = 0;
    rc = 0;
out:
    free(off);
    free(dom);
    free(has);
    free(held);
    free(coreused);
    free(pucore);
    hwloc_bitmap_free(rs);
    hwloc_bitmap_free(near);
    return rc;
}

/* -1, 0, 1: whether a is worse, equal, better than b for the request's criteria. */
static int score_cmp(const place_plan *p, const gscore *a, const gscore *b)
{
    int G = p->res.gpus_per_rank == PLACE_GPUS_AUTO ? 0 : p->res.gpus_per_rank;
#define LESS(f)                                                                                    \
    if (a->f != b->f)                                                                              \
    return a->f < b->f ? 1 : -1
#define MORE(f)                                                                                    \
    if (a->f != b->f)                                                                              \
    return a->f > b->f ? 1 : -1
    LESS(remote);
    LESS(far);
    LESS(straddle);
    if (!G) {
        LESS(unused);
        MORE(min_gpus);
        MORE(min_share);
    } else {
        MORE(min_share);
        LESS(unused);
    }
    LESS(idle);
    LESS(spans);
#undef LESS
#undef MORE
    return 0;
}

/* ---- the rules ------------------------------------------------------------------------ */

/* Copies the sub-plan's ranks into np at `at` (the sub-plan's arrays move). */
static void take_ranks(nodeplan *np, int at, nodeplan *sub)
{
    memcpy(&np->r[at], sub->r, sizeof(lrank) * (size_t)sub->nranks);
    free(sub->r);
    sub->r = NULL;
    sub->nranks = 0;
}

static int follow_rules(place_plan *p, int R, const int *sel, int nsel, nodeplan *np, int *usable,
                        char *dropped_s, size_t dn, place_error *err)
{
    const place_topo *t = p->topo;
    int G = p->res.gpus_per_rank == PLACE_GPUS_AUTO ? 0 : p->res.gpus_per_rank;
    ggroup *g = calloc((size_t)p->ngpu_scope + 1, sizeof *g);
    int *w = malloc(sizeof(int) * (size_t)(p->ngpu_scope + 1));
    int *cap = malloc(sizeof(int) * (size_t)(p->ngpu_scope + 1));
    int *r = malloc(sizeof(int) * (size_t)(p->ngpu_scope + 1));
    int ng = 0, rc = -1, level = 0, widest = 0, dropped = 0;
    long capsum = 0;
    if (!g || !w || !cap || !r)
        goto oom;
    /* With G GPUs per rank, localities that hold fewer than G GPUs are widened (NUMA node,
     * then package, then machine) until they hold the ranks. */
    for (;;) {
        groups_clear(g, ng);
        if ((ng = make_groups(p, level, g, &widest)) < 0)
            goto oom;
        capsum = 0;
        for (int k = 0; k < ng; k++)
            capsum += G ? g[k].n / G : g[k].n;
        if (!G || capsum >= R || widest)
            break;
        level++;
    }
    if (level > 0)
        plan_note(p,
                  "%d GPUs per rank do not fit inside single GPU localities: ranks take GPUs of "
                  "neighbouring ones (%d level%s up the topology)",
                  G, level, level == 1 ? "" : "s");
    if ((ng = claim_cores(p, g, ng, sel, nsel, &dropped, dropped_s, dn)) < 0)
        goto oom;
    *usable = p->ngpu_scope - dropped;
    if (ng == 0) {
        char asked[80];
        rc = place_error_set(err, PLACE_EINFEASIBLE,
                             "%s: no usable core is local to any GPU "
                             "of the node",
                             plan_asked_gpus_text(p, asked, sizeof asked));
        goto out;
    }
    capsum = 0;
    for (int k = 0; k < ng; k++) {
        w[k] = G ? g[k].n / G : g[k].n;
        cap[k] = G ? g[k].n / G : INT_MAX;
        capsum += G ? cap[k] : 0;
    }
    if (G && R > capsum) {
        char buf[512];
        rc = place_error_set(err, PLACE_EINFEASIBLE,
                             "%d ranks x %d GPUs do not fit: the node "
                             "has %d GPUs (%s); use fewer ranks or a smaller %s",
                             R, G, p->ngpu_scope, plan_scope_gpus_text(p, buf, sizeof buf),
                             NAME_DEV(p, 0));
        goto out;
    }
    if (!G && R > *usable) {
        /* more ranks than GPUs: the fewest ranks per GPU that the localities' PUs allow
         * (each rank needs a PU of its GPU's locality), the shares in proportion to the
         * GPUs within that bound */
        int *pus = malloc(sizeof(int) * (size_t)(ng + 1));
        if (!pus)
            goto oom;
        long room = 0;
        for (int k = 0; k < ng; k++) {
            pus[k] = 0;
            for (int c = 0; c < g[k].nsel; c++)
                pus[k] += t->cores[g[k].sel[c]].npu;
            room += pus[k];
        }
        if (room < R) {
            free(pus);
            rc =
                place_error_set(err, PLACE_EINFEASIBLE,
                                "%d ranks do not fit next to the GPUs: "
                                "their localities hold %ld usable PUs; use fewer ranks, or %s none",
                                R, room, NAME_DEV(p, 1));
            goto out;
        }
        shares(w, NULL, ng, R, r);
        int rho = 1, worst = 0, over = 0;
        for (int k = 0; k < ng; k++) {
            worst = (r[k] + g[k].n - 1) / g[k].n > worst ? (r[k] + g[k].n - 1) / g[k].n : worst;
            over |= r[k] > pus[k];
        }
        for (;; rho++) {
            long hi = 0;
            for (int k = 0; k < ng; k++)
                hi += (long)rho * g[k].n < pus[k] ? (long)rho * g[k].n : pus[k];
            if (hi >= R)
                break;
        }
        if (over || worst > rho) {
            for (int k = 0; k < ng; k++)
                cap[k] = rho * g[k].n < pus[k] ? rho * g[k].n : pus[k];
            shares(w, cap, ng, R, r);
        }
        free(pus);
    } else {
        shares(w, G ? cap : NULL, ng, R, r);
    }
    np->nranks = R;
    np->r = calloc((size_t)R, sizeof *np->r);
    if (!np->r)
        goto oom;
    int at = 0, idle = 0, shared = 0;
    for (int k = 0; k < ng; k++) {
        g[k].r = r[k];
        if (!r[k]) {
            idle += g[k].n;
            continue;
        }
        nodeplan sub = {0, NULL};
        int res = plan_try_selection(p, g[k].sel, g[k].nsel, r[k], &sub);
        if (res <= 0) {
            free(sub.r);
            char *c = place_bitmap_list(g[k].own);
            if (res < 0)
                rc = place_error_set(err, PLACE_ENOMEM, "out of memory while computing the plan");
            else if (p->res.threads)
                rc = place_error_set(
                    err, PLACE_EINFEASIBLE,
                    "%d rank%s x %d thread%s do not fit on the %d usable cores local "
                    "to %s %s (PUs %s); use fewer threads, or %s none",
                    r[k], r[k] == 1 ? "" : "s", p->res.threads, p->res.threads == 1 ? "" : "s",
                    g[k].nsel, g[k].n == 1 ? "GPU" : "GPUs", t->dev[0][g[k].gpu[0]].name,
                    c ? c : "?", NAME_DEV(p, 1));
            else
                rc = place_error_set(
                    err, PLACE_EINFEASIBLE,
                    "%d rank%s do not fit on the %d usable cores local to %s %s (PUs "
                    "%s); use fewer ranks, or %s none",
                    r[k], r[k] == 1 ? "" : "s", g[k].nsel, g[k].n == 1 ? "GPU" : "GPUs",
                    t->dev[0][g[k].gpu[0]].name, c ? c : "?", NAME_DEV(p, 1));
            free(c);
            goto out;
        }
        int *want = malloc(sizeof(int) * (size_t)(r[k] + 1));
        if (!want) {
            plan_nodeplan_free(&sub);
            goto oom;
        }
        for (int j = 0; j < r[k]; j++)
            want[j] = G ? G : (int)((long)(j + 1) * g[k].n / r[k] - (long)j * g[k].n / r[k]);
        take_ranks(np, at, &sub);
        int sh = !G && r[k] > g[k].n;
        shared |= sh;
        int hr = hand_out(t, &g[k], &np->r[at], r[k], want, sh);
        free(want);
        if (hr < 0)
            goto oom;
        if (G)
            idle += g[k].n - r[k] * G;
        at += r[k];
    }
    plan_note(p, "ranks follow the GPUs: each rank's cores are taken from its %s locality",
              G == 1 ? "GPU's" : "GPUs'");
    if (idle)
        plan_note(p, "%d of the node's %d GPUs are left unused by %d rank%s%s%s%s", idle + dropped,
                  p->ngpu_scope, R, R == 1 ? "" : "s", G ? " (" : "", G ? NAME_DEV(p, 4) : "",
                  G ? " auto hands every GPU out)"
                    : " (ranks go to localities in proportion to their GPUs)");
    if (shared)
        plan_note(p, "more ranks than GPUs in a locality: ranks there share a GPU");
    rc = 1;
    goto out;
oom:
    rc = place_error_set(err, PLACE_ENOMEM, "out of memory while computing the plan");
out:
    groups_clear(g, ng);
    free(g);
    free(w);
    free(cap);
    free(r);
    return rc;
}

/* ---- the search ----------------------------------------------------------------------- */

/* A locality split among k ranks, planned on its own cores by the CPU plan (notes and the
 * SMT level it needs set aside: this is a trial). */
typedef struct split_eval {
    int done, ok;
    gscore s;
} split_eval;

typedef struct search {
    place_plan *p;
    int R, T, G; /* ranks, threads (0: fill), GPUs per rank (0: auto) */
    ggroup *g;
    int ng;
    const int *sel;
    int nsel;
    int *gfirst, *glast; /* per domain: the first and last group with cores there */
    int *tg, *part;      /* run_parts' scratch, one per group */
    split_eval *ev;      /* ng x (R + 1) */
} search;

static int eval_split(search *S, int i, int k, split_eval **out)
{
    split_eval *e = &S->ev[(size_t)i * (size_t)(S->R + 1) + (size_t)k];
    *out = e;
    if (e->done)
        return 0;
    place_plan *p = S->p;
    int mark = p->notes.n, smt = p->smt_used;
    place_notes trial;
    nodeplan sub = {0, NULL};
    int res = plan_try_selection(p, S->g[i].sel, S->g[i].nsel, k, &sub);
    place_notes_cut(&p->notes, mark, &trial);
    place_notes_free(&trial);
    p->smt_used = smt;
    e->done = 1;
    e->ok = res == 1;
    int rc = res < 0 ? -1 : 0;
    if (e->ok && score_ranks(p, sub.r, sub.nranks, S->g[i].sel, S->g[i].nsel, NULL, &e->s) < 0)
        rc = -1;
    plan_nodeplan_free(&sub);
    return rc;
}

/* Whether groups j..i (inclusive) may be one rank's: inside one domain, or holding every
 * group of the domains it touches (so that no other rank shares them). */
static int run_valid(const search *S, int j, int i, int *gpus, int *cores, int *ngroups)
{
    int lo = INT_MAX, hi = -1, n = 0, c = 0, k = 0;
    for (int x = j; x <= i; x++) {
        const ggroup *g = &S->g[x];
        lo = g->dlo < lo ? g->dlo : lo;
        hi = g->dhi > hi ? g->dhi : hi;
        n += g->n;
        c += g->nsel;
        k += g->n > 0;
    }
    *gpus = n;
    *cores = c;
    *ngroups = k;
    if (lo == hi)
        return 1;
    for (int d = lo; d <= hi; d++)
        if (S->glast[d] >= 0 && (S->gfirst[d] < j || S->glast[d] > i))
            return 0;
    return 1;
}

static int run_parts(const search *S, int j, int i, int *tg, int *part);

typedef struct dcell {
    int straddle, unused, idle, spans;
    int choice; /* -1 unset; 0 idle; k > 0 split into k; -(j + 2) run from group j */
} dcell;

static int dless(const dcell *a, const dcell *b)
{
    if (a->straddle != b->straddle)
        return a->straddle < b->straddle;
    if (a->unused != b->unused)
        return a->unused < b->unused;
    if (a->idle != b->idle)
        return a->idle < b->idle;
    return a->spans < b->spans;
}

/* The DP at thresholds gmin (each rank at least so many GPUs; auto only) and m (each rank
 * at least m threads; threads left to fill only). Fills tab ((ng + 1) x (R + 1)) and
 * returns 1 if R ranks fit, 0 if not, -1 out of memory. */
static int dp(search *S, int gmin, int m, dcell *tab)
{
    int R = S->R, ng = S->ng;
    size_t w = (size_t)R + 1;
    for (size_t x = 0; x < ((size_t)ng + 1) * w; x++)
        tab[x] = (dcell){INT_MAX, INT_MAX, INT_MAX, INT_MAX, -1};
    tab[0] = (dcell){0, 0, 0, 0, 0};
    for (int i = 1; i <= ng; i++) {
        const ggroup *g = &S->g[i - 1];
        for (int r = 0; r <= R; r++) {
            dcell *c = &tab[(size_t)i * w + (size_t)r], cand;
            const dcell *p = &tab[(size_t)(i - 1) * w + (size_t)r];
            if (p->straddle != INT_MAX) { /* the locality idle */
                cand = (dcell){p->straddle, p->unused + g->n, p->idle + g->nsel, p->spans, 0};
                if (dless(&cand, c))
                    *c = cand;
            }
            /* split into k ranks */
            for (int k = 1; k <= r && g->n > 0; k++) {
                if (S->G ? k * S->G > g->n : (k > g->n || g->n / k < gmin))
                    break;
                const dcell *q = &tab[(size_t)(i - 1) * w + (size_t)(r - k)];
                if (q->straddle == INT_MAX)
                    continue;
                split_eval *e;
                if (eval_split(S, i - 1, k, &e) < 0)
                    return -1;
                if (!e->ok || (!S->T && e->s.min_share < m))
                    continue;
                cand =
                    (dcell){q->straddle + e->s.straddle, q->unused + (S->G ? g->n - k * S->G : 0),
                            q->idle + e->s.idle, q->spans + e->s.spans, k};
                if (dless(&cand, c))
                    *c = cand;
            }
            /* a run of groups j..i-1 held by one rank */
            for (int j = i - 2; r >= 1 && j >= 0; j--) {
                int gpus, cores, ngr;
                if (!run_valid(S, j, i - 1, &gpus, &cores, &ngr))
                    continue;
                const dcell *q = &tab[(size_t)j * w + (size_t)(r - 1)];
                if (q->straddle == INT_MAX || gpus < 1)
                    continue;
                if (S->G ? (gpus < S->G || ngr > S->G) : gpus < gmin)
                    continue;
                if (!S->T && cores < m)
                    continue;
                if (S->T && run_parts(S, j, i - 1, S->tg, S->part) < 0)
                    continue;
                int need = S->T;
                int span = S->g[j].dlo != S->g[i - 1].dhi;
                for (int x = j; x < i && !span; x++)
                    span = S->g[x].dlo != S->g[j].dlo || S->g[x].dhi != S->g[j].dlo;
                cand = (dcell){q->straddle, q->unused + (S->G ? gpus - S->G : 0),
                               q->idle + (S->T ? cores - need : 0), q->spans + span, -(j + 2)};
                if (dless(&cand, c))
                    *c = cand;
            }
        }
    }
    return tab[(size_t)ng * w + (size_t)R].straddle != INT_MAX;
}

/* The GPUs a rank holding groups j..i takes from each (tg: all, or G taken one from each
 * locality in turn) and, with fixed threads, its threads per group (part): at least one in
 * each group that gave a GPU, the rest in proportion to the GPUs, none beyond a group's
 * PUs. Returns the GPUs taken, or -1 if the threads cannot be placed so. */
static int run_parts(const search *S, int j, int i, int *tg, int *part)
{
    const place_topo *t = S->p->topo;
    int n = i - j + 1, gpus = 0, np = 0;
    for (int x = 0; x < n; x++) {
        tg[x] = part[x] = 0;
        gpus += S->g[j + x].n;
    }
    int want = S->G ? S->G : gpus;
    for (int round = 0; np < want && round < gpus; round++)
        for (int x = 0; x < n && np < want; x++)
            if (round < S->g[j + x].n) {
                tg[x]++;
                np++;
            }
    if (np < want)
        return -1;
    if (!S->T)
        return np;
    int holders = 0, given = 0, T = S->T;
    for (int x = 0; x < n; x++)
        holders += tg[x] > 0;
    if (T < holders)
        return -1;
    int *cap = malloc(sizeof(int) * ((size_t)n + 1));
    if (!cap)
        return -1;
    for (int x = 0; x < n; x++) {
        cap[x] = 0;
        for (int c = 0; c < S->g[j + x].nsel; c++)
            cap[x] += t->cores[S->g[j + x].sel[c]].npu;
        if (tg[x]) {
            part[x] = 1 + (int)((long)(T - holders) * tg[x] / np);
            part[x] = part[x] > cap[x] ? cap[x] : part[x];
            given += part[x];
        }
    }
    for (int progress = 1; given < T && progress;) {
        progress = 0;
        for (int x = 0; x < n && given < T; x++)
            if (tg[x] && part[x] < cap[x]) {
                part[x]++;
                given++;
                progress = 1;
            }
    }
    free(cap);
    return given == T ? np : -1;
}

/* One rank holding groups j..i: all their cores (threads left to fill) or its threads
 * spread over its GPU localities (run_parts), and their GPUs. 0, -1 out of memory, -2 if
 * it does not fit after all. */
static int run_rank(search *S, int j, int i, lrank *out)
{
    place_plan *p = S->p;
    const place_topo *t = p->topo;
    int total = 0, gpus = 0;
    for (int x = j; x <= i; x++) {
        total += S->g[x].nsel;
        gpus += S->g[x].n;
    }
    int *sel = malloc(sizeof(int) * ((size_t)total + 1));
    int *pick = malloc(sizeof(int) * ((size_t)gpus + 1));
    int *tg = calloc((size_t)i - (size_t)j + 2, sizeof(int));
    int *part = calloc((size_t)i - (size_t)j + 2, sizeof(int));
    if (!sel || !pick || !tg || !part) {
        free(sel);
        free(pick);
        free(tg);
        free(part);
        return -1;
    }
    int np = run_parts(S, j, i, tg, part);
    if (np < 0) {
        free(sel);
        free(pick);
        free(tg);
        free(part);
        return -2;
    }
    np = 0;
    for (int x = j; x <= i; x++)
        for (int k = 0; k < tg[x - j]; k++)
            pick[np++] = S->g[x].gpu[k];
    for (int a = 1; a < np; a++)
        for (int b = a; b > 0 && pick[b] < pick[b - 1]; b--) {
            int v = pick[b];
            pick[b] = pick[b - 1];
            pick[b - 1] = v;
        }
    int rc = 0, n = 0;
    nodeplan sub = {0, NULL};
    if (!S->T) {
        for (int x = j; x <= i; x++)
            for (int c = 0; c < S->g[x].nsel; c++)
                sel[n++] = S->g[x].sel[c];
        /* cores in domain order, as the CPU plan expects */
        for (int a = 1; a < n; a++)
            for (int b = a; b > 0 && sel[b] < sel[b - 1]; b--) {
                int v = sel[b];
                sel[b] = sel[b - 1];
                sel[b - 1] = v;
            }
        int res = plan_try_selection(p, sel, n, 1, &sub);
        rc = res == 1 ? 0 : res < 0 ? -1 : -2;
        if (rc == 0) {
            *out = sub.r[0];
            free(sub.r);
        }
    } else {
        /* each part planned on its locality's cores */
        int T = p->res.threads;
        int *pus = malloc(sizeof(int) * ((size_t)T + 1)),
            *cores = malloc(sizeof(int) * ((size_t)T + 1));
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        rc = pus && cores && set ? 0 : -1;
        int at = 0;
        for (int x = 0; rc == 0 && x <= i - j; x++) {
            if (!part[x])
                continue;
            p->res.threads = part[x];
            nodeplan one = {0, NULL};
            int res = plan_try_selection(p, S->g[j + x].sel, S->g[j + x].nsel, 1, &one);
            if (res != 1) {
                rc = res < 0 ? -1 : -2;
            } else {
                for (int th = 0; th < one.r[0].nthreads; th++) {
                    pus[at] = one.r[0].pu_os[th];
                    cores[at] = -1;
                    for (int c = 0; c < t->ncores && cores[at] < 0; c++)
                        if (t->cores[c].core_l == one.r[0].core_l[th])
                            cores[at] = c;
                    hwloc_bitmap_set(set, (unsigned)pus[at]);
                    at++;
                }
            }
            plan_nodeplan_free(&one);
        }
        p->res.threads = T;
        memset(out, 0, sizeof *out);
        if (rc == 0)
            rc = plan_fill_rank(t, out, pus, cores, T, set);
        free(pus);
        free(cores);
        hwloc_bitmap_free(set);
    }
    if (rc == 0)
        rc = plan_set_gpus(out, pick, np);
    free(sel);
    free(pick);
    free(tg);
    free(part);
    return rc;
}

/* Lays out the plan the DP table chose. */
static int build(search *S, const dcell *tab, nodeplan *np)
{
    place_plan *p = S->p;
    size_t w = (size_t)S->R + 1;
    int *seg_end = malloc(sizeof(int) * ((size_t)S->ng + 1));
    int *seg_choice = malloc(sizeof(int) * ((size_t)S->ng + 1));
    if (!seg_end || !seg_choice) {
        free(seg_end);
        free(seg_choice);
        return -1;
    }
    int nseg = 0;
    for (int i = S->ng, r = S->R; i > 0;) {
        int ch = tab[(size_t)i * w + (size_t)r].choice;
        seg_end[nseg] = i - 1;
        seg_choice[nseg++] = ch;
        if (ch >= 0) {
            r -= ch;
            i--;
        } else {
            r--;
            i = -ch - 2;
        }
    }
    np->nranks = S->R;
    np->r = calloc((size_t)S->R, sizeof *np->r);
    int rc = np->r ? 0 : -1, at = 0;
    for (int s = nseg - 1; s >= 0 && rc == 0; s--) {
        int ch = seg_choice[s], i = seg_end[s];
        if (ch == 0)
            continue;
        if (ch < 0) {
            rc = run_rank(S, -ch - 2, i, &np->r[at]);
            at++;
            continue;
        }
        /* a locality the DP found room in must hold its ranks */
        ggroup *g = &S->g[i];
        nodeplan sub = {0, NULL};
        int res = plan_try_selection(p, g->sel, g->nsel, ch, &sub);
        if (res != 1) {
            plan_nodeplan_free(&sub);
            rc = res < 0 ? -1 : -2;
            break;
        }
        int *want = malloc(sizeof(int) * ((size_t)ch + 1));
        if (!want) {
            plan_nodeplan_free(&sub);
            rc = -1;
            break;
        }
        for (int j = 0; j < ch; j++)
            want[j] = S->G ? S->G : (int)((long)(j + 1) * g->n / ch - (long)j * g->n / ch);
        take_ranks(np, at, &sub);
        rc = hand_out(p->topo, g, &np->r[at], ch, want, 0);
        free(want);
        at += ch;
    }
    free(seg_end);
    free(seg_choice);
    return rc;
}

/* Each group's domains, and each domain's first and last group. */
static int group_domains(search *S)
{
    const place_topo *t = S->p->topo;
    S->gfirst = malloc(sizeof(int) * ((size_t)t->ndom + 1));
    S->glast = malloc(sizeof(int) * ((size_t)t->ndom + 1));
    if (!S->gfirst || !S->glast)
        return -1;
    for (int d = 0; d < t->ndom; d++) {
        S->gfirst[d] = INT_MAX;
        S->glast[d] = -1;
    }
    for (int k = 0; k < S->ng; k++) {
        ggroup *g = &S->g[k];
        g->dlo = INT_MAX;
        g->dhi = -1;
        for (int c = 0; c < g->nsel; c++) {
            int d = t->cores[g->sel[c]].domain;
            g->dlo = d < g->dlo ? d : g->dlo;
            g->dhi = d > g->dhi ? d : g->dhi;
            S->gfirst[d] = k < S->gfirst[d] ? k : S->gfirst[d];
            S->glast[d] = k > S->glast[d] ? k : S->glast[d];
        }
    }
    return 0;
}

/* The search: 1 with a plan in np, 0 if no plan of its shape holds the request, -1 out of
 * memory. */
static int follow_search(place_plan *p, int R, const int *sel, int nsel, nodeplan *np)
{
    const place_topo *t = p->topo;
    search S = {p,
                R,
                p->res.threads,
                p->res.gpus_per_rank == PLACE_GPUS_AUTO ? 0 : p->res.gpus_per_rank,
                NULL,
                0,
                sel,
                nsel,
                NULL,
                NULL,
                NULL,
                NULL,
                NULL};
    ggroup *g = calloc((size_t)p->ngpu_scope + 1, sizeof *g);
    int widest, dropped, ng = g ? make_groups(p, 0, g, &widest) : -1, rc = -1;
    char ds[8];
    dcell *tab = NULL;
    if (ng < 0 || (ng = claim_cores(p, g, ng, sel, nsel, &dropped, ds, 0)) < 0)
        goto out;
    S.g = g;
    S.ng = ng;
    S.ev = calloc(((size_t)ng + 1) * ((size_t)R + 1), sizeof *S.ev);
    S.tg = malloc(sizeof(int) * ((size_t)ng + 1));
    S.part = malloc(sizeof(int) * ((size_t)ng + 1));
    tab = malloc(sizeof *tab * ((size_t)ng + 1) * ((size_t)R + 1));
    if (!S.ev || !S.tg || !S.part || !tab || group_domains(&S) < 0)
        goto out;
    size_t last = (size_t)ng * ((size_t)R + 1) + (size_t)R;
    /* the loosest thresholds give the least straddling and unused GPUs; then the smallest
     * GPU count and core share are raised as far as those stay */
    int f = dp(&S, 1, 1, tab);
    if (f <= 0) {
        rc = f;
        goto out;
    }
    dcell best = tab[last];
    int gmin = 1, total = 0;
    for (int k = 0; k < ng; k++)
        total += g[k].n;
    for (int gg = S.G ? 1 : total / R; gg > 1; gg--) {
        if ((f = dp(&S, gg, 1, tab)) < 0)
            goto out;
        if (f && tab[last].straddle == best.straddle && tab[last].unused == best.unused) {
            gmin = gg;
            break;
        }
    }
    int lo = 1, hi = S.T ? 1 : nsel * t->max_smt;
    (void)t;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if ((f = dp(&S, gmin, mid, tab)) < 0)
            goto out;
        if (f && tab[last].straddle == best.straddle && tab[last].unused == best.unused)
            lo = mid;
        else
            hi = mid - 1;
    }
    if ((f = dp(&S, gmin, lo, tab)) <= 0) {
        rc = f;
        goto out;
    }
    rc = build(&S, tab, np);
    rc = rc == -2 ? 0 : rc < 0 ? -1 : 1; /* -2: a run did not fit after all: no plan */
    if (rc == 0)
        plan_nodeplan_free(np);
out:
    if (g)
        groups_clear(g, ng > 0 ? ng : 0);
    free(g);
    free(S.gfirst);
    free(S.glast);
    free(S.tg);
    free(S.part);
    free(S.ev);
    free(tab);
    return rc;
}

/* ---- the node plan --------------------------------------------------------------------- */

int plan_gpus_node(place_plan *p, int R, nodeplan *np, place_error *err)
{
    if (!p->follow)
        return 0;
    const place_topo *t = p->topo;
    int G = p->res.gpus_per_rank == PLACE_GPUS_AUTO ? 0 : p->res.gpus_per_rank;
    int *sel = malloc(sizeof(int) * (size_t)(t->ncores + 1));
    if (!sel)
        return place_error_set(err, PLACE_ENOMEM, "out of memory while computing the plan");
    int nsel = plan_select_cores(t, &p->res, -1, sel);
    int mark = p->notes.n, smt = p->smt_used, oom = 0;
    /* the domains with a core next to a GPU of the step: the others take no part */
    char *domset = calloc((size_t)t->ndom + 1, 1);
    hwloc_bitmap_t near = hwloc_bitmap_alloc();
    if (!domset || !near) {
        free(sel);
        free(domset);
        hwloc_bitmap_free(near);
        return place_error_set(err, PLACE_ENOMEM, "out of memory while computing the plan");
    }
    for (int i = 0; i < p->ngpu_scope; i++)
        hwloc_bitmap_or(near, near, t->dev[0][p->gpu_scope[i]].locality);
    long near_cores = 0, near_pus = 0;
    for (int i = 0; i < nsel; i++)
        if (hwloc_bitmap_isset(near, (unsigned)t->pu_pool[t->cores[sel[i]].pu_first])) {
            domset[t->cores[sel[i]].domain] = 1;
            near_cores++;
            near_pus += t->cores[sel[i]].npu;
        }
    hwloc_bitmap_free(near);
    p->in_group = 1;
    place_error rules_err;
    place_error_clear(&rules_err);
    /* the plan stands if the rules made one, unless the search finds a better one */
    int usable = p->ngpu_scope;
    char dropped_s[256] = "";
    int ok =
        follow_rules(p, R, sel, nsel, np, &usable, dropped_s, sizeof dropped_s, &rules_err) == 1;
    gscore rs = {0}, ss = {0};
    if (ok && score_ranks(p, np->r, np->nranks, sel, nsel, domset, &rs) < 0)
        oom = 1;
    /* the rules' plan is optimal, and the search needless, when it meets every bound:
     * no remote GPU, none unused, the most GPUs and cores each rank can have, no idle core
     * next to a GPU */
    int bound = ok && !G && R <= usable && !rs.remote && !rs.far && !rs.straddle &&
                rs.unused == p->ngpu_scope - usable && rs.min_gpus == usable / R &&
                rs.idle == nsel - near_cores &&
                (p->res.threads || rs.min_share == (R > near_cores ? near_pus : near_cores) / R);
    if (!oom && !bound && rules_err.code != PLACE_ENOMEM && (G || R <= usable)) {
        place_notes kept, trial;
        int smt_rules = p->smt_used;
        place_notes_cut(&p->notes, mark, &kept);
        p->smt_used = smt;
        nodeplan alt = {0, NULL};
        int s = follow_search(p, R, sel, nsel, &alt);
        if (s == 1 && score_ranks(p, alt.r, alt.nranks, sel, nsel, domset, &ss) < 0)
            s = -1;
        oom = s < 0;
        if (s == 1 && (!ok || score_cmp(p, &ss, &rs) > 0)) {
            place_notes_free(&kept);
            plan_nodeplan_free(np);
            *np = alt;
            ok = 1;
            plan_note(p,
                      "ranks follow the GPUs: each rank's cores are taken from its %s locality%s",
                      G == 1 ? "GPU's" : "GPUs'",
                      ss.spans ? " (a rank holding several localities "
                                 "takes their cores)"
                               : "");
            if (ss.unused)
                plan_note(p, "%d of the node's %d GPUs are left unused by %d rank%s%s%s%s",
                          ss.unused, p->ngpu_scope, R, R == 1 ? "" : "s", G ? " (" : "",
                          G ? NAME_DEV(p, 4) : "", G ? " auto hands every GPU out)" : "");
        } else {
            place_notes_cut(&p->notes, mark, &trial);
            place_notes_free(&trial);
            place_notes_take(&p->notes, &kept);
            p->smt_used = smt_rules;
            plan_nodeplan_free(&alt);
            if (ok && (rs.remote || rs.far)) {
                /* the rules would hand out a GPU with none of its rank's threads next to it */
                ok = 0;
                int most = 0, T = p->res.threads;
                for (int i = 0; i < p->ngpu_scope; i++) {
                    int same = 0;
                    for (int j = 0; j < p->ngpu_scope; j++)
                        same += hwloc_bitmap_isequal(t->dev[0][p->gpu_scope[i]].locality,
                                                     t->dev[0][p->gpu_scope[j]].locality);
                    most = same > most ? same : most;
                }
                int need = most ? (G + most - 1) / most : G;
                if (T && T < need)
                    place_error_set(
                        &rules_err, PLACE_EINFEASIBLE,
                        "%s %d with %s %d: a locality holds at most %d GPU%s, so a "
                        "rank's GPUs come from %d localities and its %d thread%s cannot "
                        "be next to each of them; use at least %d threads per rank, or "
                        "at most %d GPUs per rank",
                        NAME_DEV(p, 0), G, plan_field_name(p, 3), T, most, most == 1 ? "" : "s",
                        need, T, T == 1 ? "" : "s", need, most);
                else
                    place_error_set(&rules_err, PLACE_EINFEASIBLE,
                                    "%s %d: no rank can hold %d GPUs with a thread next to each of "
                                    "them without straddling NUMA nodes; use a count that single "
                                    "GPU localities, or runs of whole NUMA nodes, hold",
                                    NAME_DEV(p, 0), G, G);
            }
        }
    }
    free(sel);
    free(domset);
    p->in_group = 0;
    if (oom)
        return place_error_set(err, PLACE_ENOMEM, "out of memory while computing the plan");
    if (ok)
        plan_span_notes(p, np);
    if (usable < p->ngpu_scope)
        plan_note(p, "GPU%s %s %s no usable core in %s locality: not handed out",
                  usable + 1 < p->ngpu_scope ? "s" : "", dropped_s,
                  usable + 1 < p->ngpu_scope ? "have" : "has",
                  usable + 1 < p->ngpu_scope ? "their" : "its");
    if (!ok) {
        if (err)
            *err = rules_err;
        return -1;
    }
    return 1;
}
