/* plan_assign.c: the numa, compact and spread policies: which range of units each rank of
 * a node gets (plan_private.h). The numa policy apportions ranks to domains in proportion
 * to their units and keeps equal shares when they fit inside NUMA nodes; otherwise the
 * largest share inside each rank's NUMA node(s) (threads left to fill), or the fewest
 * straddling ranks (fixed threads). docs/real-nodes.md has the rules.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"

/* ---- units -------------------------------------------------------------------- */

int plan_unit_pu(const place_topo *t, const unit *u, int i)
{
    if (i < 4)
        return u->pu[i];
    return t->pu_pool[t->cores[u->core].pu_first + i];
}

/* Units from the selected cores: one per core with up to k PUs, or (per_pu) one per PU,
 * at most k PUs of each core. */
int plan_make_units(const place_topo *t, const int *sel, int nsel, int k, int per_pu, unit **out)
{
    int n = 0;
    for (int i = 0; i < nsel; i++) {
        int m = t->cores[sel[i]].npu < k ? t->cores[sel[i]].npu : k;
        n += per_pu ? m : 1;
    }
    unit *u = calloc((size_t)n + 1, sizeof *u);
    if (!u)
        return -1;
    int j = 0;
    for (int i = 0; i < nsel; i++) {
        const place_core *c = &t->cores[sel[i]];
        int m = c->npu < k ? c->npu : k;
        if (per_pu) {
            for (int q = 0; q < m; q++) {
                u[j].domain = c->domain;
                u[j].core = sel[i];
                u[j].npu = 1;
                u[j].pu[0] = t->pu_pool[c->pu_first + q];
                j++;
            }
        } else {
            u[j].domain = c->domain;
            u[j].core = sel[i];
            u[j].npu = m;
            for (int q = 0; q < m && q < 4; q++)
                u[j].pu[q] = t->pu_pool[c->pu_first + q];
            j++;
        }
    }
    *out = u;
    return n;
}

/* ---- assignment: each rank gets a range of units ------------------------------ */

int plan_slots_in(const attempt *a, range r)
{
    int s = 0;
    for (int i = r.first; i < r.first + r.n; i++)
        s += a->u[i].npu;
    return s;
}

/* Every rank's range must hold its threads. */
static int ranges_hold_threads(const attempt *a)
{
    if (a->T == 0)
        return 1;
    for (int i = 0; i < a->R; i++)
        if (plan_slots_in(a, a->out[i]) < a->T)
            return 0;
    return 1;
}

/* Units a rank needs: for T threads, assuming full units; with threads left to fill
 * the share (T = 0), an equal share of the node, so that no core is left out. */
static int units_needed(const attempt *a)
{
    if (a->T)
        return (a->T + a->k - 1) / a->k;
    int q = a->nu / a->R;
    return q > 0 ? q : 1;
}

/* Linear packing over all units, ignoring domains: rank i gets [i*q, (i+1)*q). */
static int assign_linear(attempt *a, int q)
{
    if (q < 1 || (long)q * a->R > a->nu)
        return 0;
    for (int i = 0; i < a->R; i++) {
        a->out[i].first = i * q;
        a->out[i].n = q;
        a->group[i] = -1;
        if (a->u[(size_t)i * q].domain != a->u[(size_t)i * q + q - 1].domain)
            a->straddled = 1;
    }
    a->idle = a->nu - q * a->R;
    return ranges_hold_threads(a);
}

/* When threads must share cores through SMT siblings, an idle core would break the
 * rule "no sibling while a whole core is free": hand the idle units of each group to
 * its ranks (the first ranks get one more), relaying the ranges out in rank order. A
 * group is a domain, or -1 for the whole node (linear packing). */
static void widen(attempt *a)
{
    /* a reordered layout (assign_balanced evens it out), or the optimum (it leaves idle
     * only NUMA nodes too small for a share) */
    if (!a->idle || a->owned || a->rule == RULE_OPTIMAL)
        return;
    for (int g = -1; g < a->nu; g++) {
        int count = 0, used = 0;
        for (int i = 0; i < a->R; i++)
            if (a->group[i] == g) {
                count++;
                used += a->out[i].n;
            }
        if (!count)
            continue;
        /* The group's units: a domain's, or all of them. */
        int gfirst = 0, gn = a->nu;
        if (g >= 0) {
            gfirst = -1;
            gn = 0;
            for (int u = 0; u < a->nu; u++)
                if (a->u[u].domain == g) {
                    if (gfirst < 0)
                        gfirst = u;
                    gn++;
                }
        }
        int extra = gn - used, k = 0, pos = gfirst;
        for (int i = 0; i < a->R; i++)
            if (a->group[i] == g) {
                a->out[i].n += extra / count + (k < extra % count);
                a->out[i].first = pos;
                pos += a->out[i].n;
                if (a->u[a->out[i].first].domain != a->u[pos - 1].domain)
                    a->straddled = 1;
                k++;
            }
        if (g < 0)
            break;
    }
    a->idle = 0;
    a->widened = 1;
}

static int domain_table(const attempt *a, dominfo **out)
{
    int nd = 0;
    for (int i = 0; i < a->nu; i++)
        if (a->u[i].domain + 1 > nd)
            nd = a->u[i].domain + 1;
    dominfo *d = calloc((size_t)nd + 1, sizeof *d);
    if (!d)
        return -1;
    for (int i = 0; i < nd; i++)
        d[i].first = -1;
    for (int i = 0; i < a->nu; i++) {
        dominfo *x = &d[a->u[i].domain];
        if (x->first < 0)
            x->first = i;
        x->n++;
    }
    *out = d;
    return nd;
}

/* Largest-remainder apportionment of R ranks to domains by unit count, each domain
 * capped at d->cap. Requires sum(cap) >= R. */
static void apportion(dominfo *d, int nd, int R, int total)
{
    int given = 0;
    for (int i = 0; i < nd; i++) {
        long ideal = (long)R * d[i].n / (total ? total : 1);
        d[i].r = (int)(ideal < d[i].cap ? ideal : d[i].cap);
        given += d[i].r;
    }
    while (given < R) {
        int best = -1;
        double bestrem = -1e300;
        for (int i = 0; i < nd; i++) {
            if (d[i].r >= d[i].cap)
                continue;
            double rem = (double)R * d[i].n / total - d[i].r;
            if (rem > bestrem) {
                bestrem = rem;
                best = i;
            }
        }
        d[best].r++;
        given++;
    }
}

/* Whether the first i domains (prefix sums pre) split into at least r consecutive runs of
 * at least x units each (greedy from the left; runs beyond r merge into the last). */
static int runs_of_at_least(const long *pre, int i, int r, long x)
{
    int runs = 0;
    for (int s = 0, e = 1; e <= i && runs < r; e++)
        if (pre[e] - pre[s] >= x)
            runs++, s = e;
    return runs >= r;
}

/* With fewer ranks than domains: the split of the domains (those with units, in order)
 * into R runs of whole consecutive domains whose smallest run is largest. Returns that
 * smallest run in units (0 when there is no such split) and in *cutp the first domain of
 * each run, with *cutp[R] = nd (caller frees). The runs are chosen from the last: the last
 * run is the shortest that keeps the best smallest run of the whole split, then the same
 * for the domains before it with one run fewer (their own best smallest run, which is
 * never smaller), and so on. Each best smallest run is a binary search over run sizes
 * with a greedy check, O(D log units) per run; the dynamic programme over all prefixes
 * it replaces (the same runs) took D^2 R steps: 1.7 s for 320 ranks on 3,618 NUMA nodes. */
static int whole_domain_runs(const attempt *a, const dominfo *d, int nd, int **cutp)
{
    int D = 0;
    for (int i = 0; i < nd; i++)
        D += d[i].n > 0;
    int minB = 0, *cut = NULL;
    *cutp = NULL;
    if (a->R > 1 && a->R < D) {
        int *ids = malloc(sizeof(int) * (size_t)D), k = 0;
        long *pre = malloc(sizeof(long) * (size_t)(D + 1));
        cut = malloc(sizeof(int) * (size_t)(a->R + 1));
        if (ids && pre && cut) {
            pre[0] = 0;
            for (int i = 0; i < nd; i++)
                if (d[i].n > 0) {
                    ids[k] = i;
                    pre[k + 1] = pre[k] + d[i].n;
                    k++;
                }
            long best = 1; /* every domain has a unit and i >= r: runs of 1 always exist */
            int i = D;
            for (int r = a->R; r > 1; r--) {
                long lo = best, hi = pre[i] / r; /* the prefix's best is never below the last */
                while (lo < hi) {
                    long mid = lo + (hi - lo + 1) / 2;
                    if (runs_of_at_least(pre, i, r, mid))
                        lo = mid;
                    else
                        hi = mid - 1;
                }
                best = lo;
                if (r == a->R)
                    minB = (int)best;
                int j = i - 1; /* the shortest last run of at least best */
                while (pre[i] - pre[j] < best)
                    j--;
                cut[r - 1] = j;
                i = j;
            }
            cut[0] = 0;
            for (int r = 0; r < a->R; r++) /* as domain indices */
                cut[r] = ids[cut[r]];
            cut[a->R] = nd;
        }
        free(ids);
        free(pre);
    }
    if (minB > 0)
        *cutp = cut;
    else
        free(cut);
    return minB;
}

/* Threads left to fill (T = 0) and equal shares would straddle: NUMA nodes of unequal
 * size. Every rank stays inside its NUMA node(s) with the largest share that allows:
 * either (a) ranks inside single domains, each domain's ranks splitting it equally, the
 * ranks apportioned so that the smallest share is as large as possible, or (b) with fewer
 * ranks than domains, each rank a run of whole consecutive domains, the runs as even as
 * possible. The one with the larger smallest share wins (then the one with fewer idle
 * units). Returns 1. */
static int assign_unequal(attempt *a, dominfo *d, int nd)
{
    /* (a): the largest q with sum floor(n_d / q) >= R */
    int q = a->nu / a->R;
    for (; q > 1; q--) {
        int caps = 0;
        for (int i = 0; i < nd; i++)
            caps += d[i].n / q;
        if (caps >= a->R)
            break;
    }
    for (int i = 0; i < nd; i++)
        d[i].cap = d[i].n / q;
    apportion(d, nd, a->R, a->nu);
    int minA = INT_MAX, idleA = 0, maxA = 0;
    for (int i = 0; i < nd; i++) {
        if (!d[i].r) {
            idleA += d[i].n;
            continue;
        }
        int share = d[i].n / d[i].r;
        minA = share < minA ? share : minA;
        maxA = share > maxA ? share : maxA;
        idleA += d[i].n - d[i].r * share;
    }
    /* (b): R runs of whole domains */
    int *cut = NULL, minB = whole_domain_runs(a, d, nd, &cut);
    a->rule = RULE_UNEQUAL;
    a->equal_q = a->nu / a->R;
    if (minB > minA || (minB == minA && minB > 0 && idleA > 0)) {
        int maxB = 0;
        for (int r = 0; r < a->R; r++) {
            int first = d[cut[r]].first, n = 0;
            for (int i = cut[r]; i < cut[r + 1]; i++)
                n += d[i].n;
            for (int i = cut[r]; first < 0 && i < cut[r + 1]; i++)
                first = d[i].first;
            a->out[r].first = first;
            a->out[r].n = n;
            a->group[r] = -1;
            maxB = n > maxB ? n : maxB;
        }
        a->idle = 0;
        a->lo = minB;
        a->hi = maxB;
    } else {
        int rank = 0;
        for (int i = 0; i < nd; i++)
            for (int j = 0; j < d[i].r; j++, rank++) {
                int share = d[i].n / d[i].r;
                a->out[rank].first = d[i].first + j * share;
                a->out[rank].n = share;
                a->group[rank] = i;
            }
        a->idle = idleA;
        a->lo = minA;
        a->hi = maxA;
    }
    free(cut);
    return 1;
}

/* T threads per rank do not fit inside the NUMA nodes: as many ranks as fit stay inside
 * one domain each (`need` units), and the rest (the fewest possible) are made of the
 * domains' leftovers, largest pieces first, so that each straddles as few NUMA nodes as
 * it can. The ranges index a reordered copy of the units (a->owned). */
static int assign_fewest_straddlers(attempt *a, dominfo *d, int nd, int need)
{
    int R = a->R;
    if ((long)need * R > a->nu)
        return 0;
    unit *perm = malloc(sizeof(unit) * (size_t)a->nu);
    piece *pc = malloc(sizeof(piece) * (size_t)(nd + R + 1));
    if (!perm || !pc) {
        free(perm);
        free(pc);
        return -1;
    }
    int at = 0, rank = 0, np = 0;
    for (int i = 0; i < nd; i++) { /* the ranks that fit inside a domain */
        int c = d[i].n / need;
        for (int j = 0; j < c && rank < R; j++, rank++) {
            memcpy(perm + at, a->u + d[i].first + (size_t)j * need, sizeof(unit) * (size_t)need);
            a->out[rank].first = at;
            a->out[rank].n = need;
            a->group[rank] = i;
            at += need;
        }
        int used = 0;
        for (int r = 0; r < rank; r++)
            if (a->group[r] == i)
                used += need;
        if (d[i].n > used)
            pc[np++] = (piece){d[i].first + used, d[i].n - used};
    }
    a->straddled = rank < R;
    while (rank < R) {
        int start = at, got = plan_fill_straddler(pc, &np, need, a->u, perm, &at);
        a->out[rank].first = start;
        a->out[rank].n = got;
        a->group[rank] = -2;
        rank++;
    }
    for (int i = 0; i < np; i++) { /* idle leftovers after the ranks */
        memcpy(perm + at, a->u + pc[i].first, sizeof(unit) * (size_t)pc[i].n);
        at += pc[i].n;
    }
    free(pc);
    a->idle = 0;
    a->rule = RULE_STRADDLE;
    a->owned = perm;
    a->u = perm;
    return ranges_hold_threads(a);
}

static int assign_numa(attempt *a)
{
    dominfo *d = NULL;
    int nd = domain_table(a, &d);
    if (nd < 0)
        return -1;
    int need = units_needed(a), capsum = 0;
    for (int i = 0; i < nd; i++) {
        d[i].cap = d[i].n / need;
        capsum += d[i].cap;
    }
    int ok;
    if (capsum >= a->R) {
        apportion(d, nd, a->R, a->nu);
        int q = INT_MAX;
        for (int i = 0; i < nd; i++)
            if (d[i].r > 0 && d[i].n / d[i].r < q)
                q = d[i].n / d[i].r;
        int rank = 0;
        a->idle = 0;
        for (int i = 0; i < nd; i++) {
            for (int j = 0; j < d[i].r; j++, rank++) {
                a->out[rank].first = d[i].first + j * q;
                a->out[rank].n = q;
                a->group[rank] = i;
            }
            a->idle += d[i].n - d[i].r * q;
        }
        ok = ranges_hold_threads(a);
        /* say which rule chose when the NUMA nodes differ: equal shares cost no locality */
        int lo = INT_MAX, hi = 0;
        for (int i = 0; i < nd; i++)
            if (d[i].n > 0) {
                lo = d[i].n < lo ? d[i].n : lo;
                hi = d[i].n > hi ? d[i].n : hi;
            }
        if (a->T == 0 && a->R > 1 && lo < hi) {
            a->rule = RULE_EQUAL_UNEQUAL_NODES;
            a->lo = lo;
            a->hi = hi;
            a->equal_q = q;
        }
    } else if (a->T == 0) {
        ok = assign_unequal(a, d, nd);
    } else {
        ok = assign_fewest_straddlers(a, d, nd, need);
    }
    free(d);
    return ok;
}

/* The numa policy's objective (plan_optimum.c): where the rules' plan, as widened, falls
 * short of the optimum, the optimum replaces it. */
static int objective(attempt *a, int ok)
{
    dominfo *d = NULL;
    const unit *cur = a->u;
    a->u = a->base;
    int nd = domain_table(a, &d), rc = 0;
    a->u = cur;
    if (nd < 0)
        return -1;
    if (a->T == 0 && ok && !a->owned) {
        rc = plan_optimum_fill(a, d, nd);
    } else if (a->T) {
        int st = ok == 1 ? plan_range_straddlers(a, nd) : INT_MAX;
        rc = st < 0 ? -1 : plan_optimum_fixed(a, d, nd, st);
    }
    free(d);
    if (rc == 1)
        return ranges_hold_threads(a);
    return rc < 0 ? -1 : ok;
}

static int assign_spread(attempt *a)
{
    dominfo *d = NULL;
    int nd = domain_table(a, &d);
    if (nd < 0)
        return -1;
    /* Domains that have units, in order: rank i goes to the (i mod D)-th of them. */
    int *ids = malloc(sizeof(int) * (size_t)(nd + 1)), D = 0;
    if (!ids) {
        free(d);
        return -1;
    }
    for (int i = 0; i < nd; i++)
        if (d[i].n > 0)
            ids[D++] = i;
    for (int i = 0; i < a->R; i++)
        d[ids[i % D]].r++;
    int q = INT_MAX, need = units_needed(a);
    for (int i = 0; i < D; i++)
        if (d[ids[i]].r > 0 && d[ids[i]].n / d[ids[i]].r < q)
            q = d[ids[i]].n / d[ids[i]].r;
    int ok = 0;
    if (q >= need) {
        a->idle = 0;
        for (int i = 0; i < a->R; i++) {
            dominfo *x = &d[ids[i % D]];
            a->out[i].first = x->first + (i / D) * q;
            a->out[i].n = q;
            a->group[i] = ids[i % D];
        }
        for (int i = 0; i < D; i++)
            a->idle += d[ids[i]].n - d[ids[i]].r * q;
        ok = ranges_hold_threads(a);
    }
    if (!ok) /* a domain is too small for its share: pack linearly instead */
        ok = assign_linear(a, a->nu / a->R);
    free(ids);
    free(d);
    return ok;
}

static int assign_compact(attempt *a)
{
    if (!assign_linear(a, units_needed(a)))
        return 0;
    /* Compact takes only what it needs: unused units are expected, not "idle". */
    a->idle = 0;
    return 1;
}

/* Whether a rank uses SMT siblings while a core has no thread: inside another rank's
 * share, or in no rank's share at all. */
static int siblings_while_free(const attempt *a)
{
    int doubled = 0, spare = 0, covered = 0, total = 0;
    for (int u = 0; u < a->nu; u++)
        total += u == 0 || a->u[u].core != a->u[u - 1].core;
    for (int i = 0; i < a->R; i++) {
        int cores = 0;
        for (int u = a->out[i].first; u < a->out[i].first + a->out[i].n; u++)
            cores += u == a->out[i].first || a->u[u].core != a->u[u - 1].core;
        doubled |= a->T > cores;
        spare |= a->T < cores;
        covered += cores;
    }
    return doubled && (spare || covered < total);
}

/* SMT forced (threads outnumber cores): split ALL cores into R contiguous ranges of at
 * most T cores and at least T PUs each, so that every core runs a thread and siblings
 * double up only where cores run out. feas[i][r] says whether units i.. can be split
 * into r such ranges (computed backwards); the forward pass then picks, for each rank,
 * the feasible size closest to an equal share. Cost O(units x R x T), and R x T is at
 * most the node's PU count here. Units must be cores (not per-PU units). */
static int assign_balanced(attempt *a)
{
    int n = a->nu, R = a->R, T = a->T;
    if (!T || (long)n > (long)R * T)
        return 0;
    size_t w = (size_t)R + 1;
    char *feas = calloc(((size_t)n + 1) * w, 1);
    if (!feas)
        return 0;
    feas[(size_t)n * w] = 1;
    for (int i = n - 1; i >= 0; i--)
        for (int r = 1; r <= R; r++) {
            int slots = 0;
            for (int m = 1; m <= T && i + m <= n; m++) {
                slots += a->u[i + m - 1].npu;
                if (slots >= T && feas[(size_t)(i + m) * w + (size_t)r - 1]) {
                    feas[(size_t)i * w + (size_t)r] = 1;
                    break;
                }
            }
        }
    int ok = feas[R] != 0;
    for (int j = 0, i = 0; ok && j < R; j++) {
        int rr = R - j, target = (n - i + rr - 1) / rr, best = -1, slots = 0;
        for (int m = 1; m <= T && i + m <= n; m++) {
            slots += a->u[i + m - 1].npu;
            if (slots >= T && feas[(size_t)(i + m) * w + (size_t)rr - 1] &&
                (best < 0 || abs(m - target) < abs(best - target)))
                best = m;
        }
        a->out[j].first = i;
        a->out[j].n = best;
        a->group[j] = -1;
        if (a->u[i].domain != a->u[i + best - 1].domain)
            a->straddled = 1;
        i += best;
    }
    free(feas);
    a->idle = 0;
    a->widened = ok;
    return ok;
}

static int rule_numa(attempt *a, int *smt_in_use)
{
    (void)smt_in_use;
    return assign_numa(a);
}

static int rule_spread(attempt *a, int *smt_in_use)
{
    (void)smt_in_use;
    return assign_spread(a);
}

static int rule_compact(attempt *a, int *smt_in_use)
{
    int ok = assign_compact(a);
    if (ok && *smt_in_use) {
        /* Compact packs only what it needs; with siblings in use, take every core. */
        a->idle = a->nu - a->out[a->R - 1].first - a->out[a->R - 1].n;
        widen(a);
        *smt_in_use = 2; /* widened already */
    }
    return ok;
}

// one row a line: a new row re-lays no other
// clang-format off
const plan_policy plan_policies[PLACE_POLICY_COUNT] = {
    [PLACE_POLICY_NUMA] = {"numa", {NULL}, rule_numa, 0, 1},
    [PLACE_POLICY_COMPACT] = {"compact", {"close", NULL}, rule_compact, 1, 0},
    [PLACE_POLICY_SPREAD] = {"spread", {"scatter", "spread_numa", NULL}, rule_spread, 0, 0},
};
// clang-format on

int plan_assign(attempt *a, int smt_in_use)
{
    a->straddled = 0;
    a->idle = 0;
    a->widened = 0;
    a->rule = RULE_EQUAL;
    a->smt_in_use = smt_in_use;
    if (a->R > a->nu)
        return 0;
    const plan_policy *pol = &plan_policies[a->policy];
    int ok = pol->assign(a, &smt_in_use);
    if (ok && smt_in_use == 1)
        widen(a);
    if (pol->objective && ok >= 0)
        ok = objective(a, ok);
    if (smt_in_use && a->T && a->k > 1 && (!ok || siblings_while_free(a))) {
        /* The domains' shares would leave a core free beside a doubled-up one (or do not
         * hold the threads on cores of unequal width): balance over the whole node. */
        a->straddled = 0;
        ok = assign_balanced(a);
    }
    return ok;
}
