/* plan_optimum.c: the numa policy's objective, computed exactly (docs/design.md, "The
 * objective").
 *
 * A rank *straddles* when its units span several NUMA domains and it is not the only rank
 * on a run of consecutive domains. Over plans whose ranks are each inside one domain, the
 * only rank on a run of consecutive domains, or (fixed threads only) made of leftover
 * pieces anywhere, the numa policy wants, in order:
 *   threads left to fill (T = 0): no straddler (always possible), the largest smallest
 *     share, then the fewest idle units, then (tie-breaks) the smallest largest share and
 *     the fewest ranks spanning domains;
 *   fixed threads: the fewest straddlers.
 * The rules of plan_assign.c give the first candidate; the functions here score it and,
 * when it falls short of the optimum, replace it with an optimal plan, so that plans that
 * were already optimal stay as they were. The optimum is found by dynamic programmes over
 * the domains in order (their proof is in the comments); unit.plans_reach_the_optimum
 * checks the result against an exhaustive search.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"

/* ---- scoring a candidate ---------------------------------------------------------- */

int plan_straddlers(const int *dom, const int *off, int nr, const char *has, int nd, int *spans)
{
    int *users = calloc((size_t)nd + 1, sizeof(int));
    int *mark = malloc(sizeof(int) * ((size_t)nd + 1));
    if (!users || !mark) {
        free(users);
        free(mark);
        return -1;
    }
    for (int d = 0; d < nd; d++)
        mark[d] = -1;
    for (int i = 0; i < nr; i++)
        for (int k = off[i]; k < off[i + 1]; k++)
            if (mark[dom[k]] != i) {
                mark[dom[k]] = i;
                users[dom[k]]++;
            }
    int straddlers = 0, spanning = 0;
    for (int d = 0; d < nd; d++)
        mark[d] = -1;
    for (int i = 0; i < nr; i++) {
        int lo = INT_MAX, hi = -1, n = 0, alone = 1;
        for (int k = off[i]; k < off[i + 1]; k++) {
            int d = dom[k];
            if (mark[d] == i)
                continue;
            mark[d] = i;
            n++;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
            alone &= users[d] == 1;
        }
        if (n < 2)
            continue;
        spanning++;
        /* the only rank on them, and no domain in play between them left out */
        int gap = 0;
        for (int d = lo; d <= hi && !gap; d++)
            gap = has[d] && mark[d] != i;
        straddlers += !(alone && !gap);
    }
    free(users);
    free(mark);
    if (spans)
        *spans = spanning;
    return straddlers;
}

int plan_range_straddlers(const attempt *a, int nd)
{
    size_t total = 0;
    for (int i = 0; i < a->R; i++)
        total += (size_t)a->out[i].n;
    int *off = malloc(sizeof(int) * ((size_t)a->R + 1));
    int *dom = malloc(sizeof(int) * (total + 1));
    char *has = calloc((size_t)nd + 1, 1);
    int rc = -1;
    if (off && dom && has) {
        for (int i = 0; i < a->nu; i++)
            has[a->u[i].domain] = 1;
        off[0] = 0;
        for (int i = 0; i < a->R; i++) { /* a rank's units: out[i].first on, out[i].n of them */
            off[i + 1] = off[i];
            for (int u = a->out[i].first; u < a->out[i].first + a->out[i].n; u++)
                dom[off[i + 1]++] = a->u[u].domain;
        }
        rc = plan_straddlers(dom, off, a->R, has, nd, NULL);
    }
    free(off);
    free(dom);
    free(has);
    return rc;
}

/* ---- threads left to fill: the largest smallest share, then the fewest idle units ----- */

/* The domains that have units, in order: sizes n[0..D) and first units first[0..D). */
typedef struct seq {
    int D;
    int *id; /* domain index */
    long *n;
    int *first;
    long *pre; /* prefix sums of n, D + 1 */
} seq;

static void seq_free(seq *s)
{
    free(s->id);
    free(s->n);
    free(s->first);
    free(s->pre);
}

static int seq_make(const dominfo *d, int nd, seq *s)
{
    memset(s, 0, sizeof *s);
    s->id = malloc(sizeof(int) * ((size_t)nd + 1));
    s->n = malloc(sizeof(long) * ((size_t)nd + 1));
    s->first = malloc(sizeof(int) * ((size_t)nd + 1));
    s->pre = malloc(sizeof(long) * ((size_t)nd + 2));
    if (!s->id || !s->n || !s->first || !s->pre) {
        seq_free(s);
        return -1;
    }
    s->pre[0] = 0;
    for (int i = 0; i < nd; i++)
        if (d[i].n > 0) {
            s->id[s->D] = i;
            s->n[s->D] = d[i].n;
            s->first[s->D] = d[i].first;
            s->pre[s->D + 1] = s->pre[s->D] + d[i].n;
            s->D++;
        }
    return 0;
}

/* The most ranks that fit with every share at least m: each domain either split into
 * ranks of at least m units, left idle, or the end of a run of domains held by one rank.
 * f is nondecreasing (a prefix's plan extends by leaving the next domain idle), so the
 * best run ending at domain i starts at the last j whose run still holds m units. */
static long max_ranks(const seq *s, long m, long *f)
{
    f[0] = 0;
    int j = -1; /* the last start with pre[i] - pre[j] >= m, -1 if none yet */
    for (int i = 1; i <= s->D; i++) {
        while (j + 1 < i && s->pre[i] - s->pre[j + 1] >= m)
            j++;
        f[i] = f[i - 1] + s->n[i - 1] / m;
        if (j >= 0 && f[j] + 1 > f[i])
            f[i] = f[j] + 1;
    }
    return f[s->D];
}

/* A DP cell: the least idle units, then the fewest ranks spanning several domains, then
 * the smallest largest share, for a prefix of the domains with exactly r ranks, every
 * share at most the cap T of the search. The first two add up over the prefix, so a prefix
 * that is better by them is never worse for any way of finishing the plan; the third only
 * orders prefixes equal by both (a smaller largest share so far never hurts the end). The
 * smallest largest share of the whole plan is not a key before the spans (a maximum beside
 * sums is not exact there: a prefix with a smaller largest share and one more spanning
 * rank can lose once the rest raises the largest share anyway): it is the smallest cap T at
 * which the least idle units are still reached, found by a search over T
 * (plan_optimum_fill). */
typedef struct cell {
    long idle;
    long top; /* the largest share so far */
    int spans;
    int choice; /* 0: domain idle, k > 0: split into k ranks, -(j + 1): run from domain j */
} cell;

static int better(long idle, long top, int spans, const cell *c)
{
    if (idle != c->idle)
        return idle < c->idle;
    if (spans != c->spans)
        return spans < c->spans;
    return top < c->top;
}

/* Runs are scanned over every start up to this many domains; beyond, the best prefix by
 * the cell's order stands for all starts (exact for idle units, the criterion that counts;
 * the largest share then only a tie-break). */
#define RUN_SCAN_MAX 64

#define CELL_MAX (1 << 22) /* (D + 1) x (R + 1) cells at most: about 50 MB */

/* Lays out the optimal fill plan for minimum share m and shares of at most T units into
 * a->out (a->idle its idle units); 1 done, 2 no plan within T, 0 too large to search (the
 * rules' candidate stays), -1 out of memory. */
static int fill_layout(attempt *a, const seq *s, long m, long T)
{
    int D = s->D, R = a->R;
    if ((long)(D + 1) * (R + 1) > CELL_MAX)
        return 0;
    size_t w = (size_t)R + 1;
    cell *g = malloc(sizeof(cell) * ((size_t)D + 1) * w);
    /* pm[j][r]: the best g[j'][r] over j' <= j (for runs), and which j' */
    cell *pm = malloc(sizeof(cell) * ((size_t)D + 1) * w);
    if (!g || !pm) {
        free(g);
        free(pm);
        return -1;
    }
    const cell inf = {LONG_MAX, LONG_MAX, INT_MAX, 0};
    for (size_t x = 0; x < ((size_t)D + 1) * w; x++)
        g[x] = pm[x] = inf;
    g[0] = (cell){0, 0, 0, 0};
    pm[0] = (cell){0, 0, 0, 0};
    int jmax = -1; /* the last run start that holds m units up to domain i */
    for (int i = 1; i <= D; i++) {
        while (jmax + 1 < i && s->pre[i] - s->pre[jmax + 1] >= m)
            jmax++;
        int jrun = jmax < i - 2 ? jmax : i - 2; /* runs of two domains or more */
        long kmax = s->n[i - 1] / m;
        for (int r = 0; r <= R; r++) {
            cell *c = &g[(size_t)i * w + (size_t)r];
            for (long k = 1; k <= kmax && k <= r; k++) {
                const cell *p = &g[(size_t)(i - 1) * w + (size_t)(r - k)];
                long top = (s->n[i - 1] + k - 1) / k;
                if (top > T)
                    continue;
                top = p->top > top ? p->top : top;
                if (p->idle != LONG_MAX && better(p->idle, top, p->spans, c))
                    *c = (cell){p->idle, top, p->spans, (int)k};
            }
            const cell *p = &g[(size_t)(i - 1) * w + (size_t)r];
            if (p->idle != LONG_MAX && better(p->idle + s->n[i - 1], p->top, p->spans, c))
                *c = (cell){p->idle + s->n[i - 1], p->top, p->spans, 0};
            for (int j = jrun; r >= 1 && j >= 0; j--) {
                /* a run j..i-1; later starts (shorter runs) first */
                const cell *q = D <= RUN_SCAN_MAX ? &g[(size_t)j * w + (size_t)(r - 1)]
                                                  : &pm[(size_t)j * w + (size_t)(r - 1)];
                int from = D <= RUN_SCAN_MAX ? j : q->choice;
                if (q->idle != LONG_MAX && s->pre[i] - s->pre[from] <= T) {
                    long len = s->pre[i] - s->pre[from];
                    long top = q->top > len ? q->top : len;
                    if (better(q->idle, top, q->spans + 1, c))
                        *c = (cell){q->idle, top, q->spans + 1, -(from + 1)};
                }
                if (D > RUN_SCAN_MAX)
                    break;
            }
            /* the running best over prefixes, for runs that end later */
            cell *pc = &pm[(size_t)i * w + (size_t)r];
            *pc = pm[(size_t)(i - 1) * w + (size_t)r];
            if (c->idle != LONG_MAX && better(c->idle, c->top, c->spans, pc))
                *pc = (cell){c->idle, c->top, c->spans, i};
        }
    }
    int rc = 2;
    if (g[(size_t)D * w + (size_t)R].idle != LONG_MAX) {
        /* backtrack, laying the ranks out from the last domain to the first */
        int r = R, i = D, lo = INT_MAX, hi = 0;
        a->idle = (int)g[(size_t)D * w + (size_t)R].idle;
        while (i > 0) {
            int ch = g[(size_t)i * w + (size_t)r].choice;
            if (ch > 0) {
                long n = s->n[i - 1], q = n / ch, extra = n % ch;
                int at = s->first[i - 1] + (int)n;
                for (int k = ch - 1; k >= 0; k--) {
                    int len = (int)(q + (k < extra));
                    at -= len;
                    a->out[r - ch + k] = (range){at, len};
                    a->group[r - ch + k] = s->id[i - 1];
                    lo = len < lo ? len : lo;
                    hi = len > hi ? len : hi;
                }
                r -= ch;
                i--;
            } else if (ch == 0) {
                i--;
            } else {
                int j = -ch - 1;
                int len = (int)(s->pre[i] - s->pre[j]);
                a->out[r - 1] = (range){s->first[j], len};
                a->group[r - 1] = -2;
                lo = len < lo ? len : lo;
                hi = len > hi ? len : hi;
                r--;
                i = j;
            }
        }
        a->lo = lo;
        a->hi = hi;
        rc = 1;
    }
    free(g);
    free(pm);
    return rc;
}

/* Ranks of a plan without straddlers whose units span several domains (each then alone on
 * a run of them): a rank's units are consecutive, and so are a domain's. */
static int range_spans(const attempt *a)
{
    int n = 0;
    for (int i = 0; i < a->R; i++)
        n += a->out[i].n > 0 &&
             a->u[a->out[i].first].domain != a->u[a->out[i].first + a->out[i].n - 1].domain;
    return n;
}

int plan_optimum_fill(attempt *a, const dominfo *d, int nd)
{
    seq s;
    if (seq_make(d, nd, &s) < 0)
        return -1;
    long *f = malloc(sizeof(long) * ((size_t)s.D + 1));
    if (!f) {
        seq_free(&s);
        return -1;
    }
    /* the candidate's score: no straddler, its smallest share and idle units */
    int st = plan_range_straddlers(a, nd);
    long cmin = LONG_MAX, ctop = 0, used = 0;
    for (int i = 0; i < a->R; i++) {
        cmin = a->out[i].n < cmin ? a->out[i].n : cmin;
        ctop = a->out[i].n > ctop ? a->out[i].n : ctop;
        used += a->out[i].n;
    }
    long cidle = a->nu - used;
    /* the optimum's smallest share: the largest m at which R ranks fit (binary search;
     * max_ranks is nonincreasing in m) */
    long lo = 1, hi = a->nu / a->R;
    while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        if (max_ranks(&s, mid, f) >= a->R)
            lo = mid;
        else
            hi = mid - 1;
    }
    long m = lo;
    int rc = 0;
    if (st < 0) {
        rc = -1;
    } else if (st > 0 || cmin < m || cidle > 0 || s.D > 1) {
        /* short of the optimum, or at it with its tie-breaks still to check (the smallest
         * largest share, then the fewest ranks spanning domains): one domain alone splits
         * equally, which the rules do */
        int cspans = st > 0 ? INT_MAX : range_spans(a);
        attempt b = *a;
        range *out = malloc(sizeof(range) * (size_t)a->R);
        int *group = malloc(sizeof(int) * (size_t)a->R);
        if (!out || !group) {
            rc = -1;
        } else {
            b.out = out;
            b.group = group;
            /* the least idle units (no cap on the shares), then the smallest cap on the
             * shares that still reaches them (idle units only grow as the cap falls), and
             * at that cap the fewest ranks spanning domains */
            rc = fill_layout(&b, &s, m, LONG_MAX);
            if (rc == 1) {
                long best_idle = b.idle, tlo = m, thi = b.hi;
                while (rc == 1 && tlo < thi) {
                    long mid = tlo + (thi - tlo) / 2;
                    int r2 = fill_layout(&b, &s, m, mid);
                    if (r2 == 1 && b.idle == best_idle)
                        thi = mid;
                    else if (r2 == 1 || r2 == 2)
                        tlo = mid + 1;
                    else
                        rc = r2;
                }
                if (rc == 1)
                    rc = fill_layout(&b, &s, m, thi);
            }
            /* only a strictly better plan replaces the rules' candidate, and none that
             * leaves units idle while ranks share cores through SMT siblings */
            int better_ties =
                m == cmin && b.idle == cidle &&
                (b.hi < ctop || (b.hi == ctop && rc == 1 && range_spans(&b) < cspans));
            if (rc == 1 && (st > 0 || m > cmin || b.idle < cidle || better_ties) &&
                !(a->smt_in_use && b.idle)) {
                memcpy(a->out, out, sizeof(range) * (size_t)a->R);
                memcpy(a->group, group, sizeof(int) * (size_t)a->R);
                a->idle = b.idle;
                a->lo = b.lo;
                a->hi = b.hi;
                a->equal_q = a->nu / a->R;
                a->straddled = 0;
                a->rule = RULE_OPTIMAL;
            } else if (rc == 1 || rc == 2) {
                rc = 0;
            }
        }
        free(out);
        free(group);
    }
    free(f);
    seq_free(&s);
    return rc;
}

/* ---- fixed threads: the fewest straddlers -------------------------------------------- *
 *
 * With `need` units per rank, a domain of n >= need units holds floor(n / need) ranks
 * inside it; putting it in a run never adds a rank (the run holds one rank, the domain
 * alone at least one). So runs are made of consecutive small domains (n < need), each run
 * one rank that wastes its units beyond `need` (nobody else may use them). The other ranks
 * straddle, built from the leftovers of the domains outside runs, which are enough exactly
 * when R x need + waste <= units. So the fewest straddlers is R - min(R, B + g) for B the
 * ranks inside big domains and g the most runs whose waste fits in the slack: a DP over
 * the small domains (runs never longer than `need` domains: a longer one has an end
 * domain it can drop). */

typedef struct rcell {
    long waste;
    int from; /* the run's first small domain, or -1: domain skipped */
} rcell;

/* Chooses up to `want` runs of small domains with the least waste. Returns the number of
 * runs chosen (0..want) and marks each run's domains in run[] with the run's first domain
 * index (or -1); -1 out of memory, -2 too large to search. */
static int choose_runs(const seq *s, long need, long slack, int want, int *run)
{
    int D = s->D;
    if (want <= 0)
        return 0;
    if ((long)(D + 1) * (want + 1) > CELL_MAX)
        return -2;
    size_t w = (size_t)want + 1;
    rcell *h = malloc(sizeof(rcell) * ((size_t)D + 1) * w);
    if (!h)
        return -1;
    for (size_t x = 0; x < ((size_t)D + 1) * w; x++)
        h[x] = (rcell){LONG_MAX, -1};
    h[0] = (rcell){0, -1};
    for (int i = 1; i <= D; i++)
        for (int g = 0; g <= want; g++) {
            rcell *c = &h[(size_t)i * w + (size_t)g];
            *c = h[(size_t)(i - 1) * w + (size_t)g];
            c->from = -1;
            if (g == 0)
                continue;
            /* a run j..i-1 of small domains, at most `need` long, holding need units */
            long sum = 0;
            for (int j = i - 1; j >= 0 && s->n[j] < need && i - j <= need; j--) {
                sum += s->n[j];
                if (sum < need)
                    continue;
                const rcell *p = &h[(size_t)j * w + (size_t)(g - 1)];
                if (p->waste != LONG_MAX && p->waste + (sum - need) < c->waste)
                    *c = (rcell){p->waste + (sum - need), j};
                break; /* longer runs only waste more */
            }
        }
    int best = 0;
    for (int g = want; g > 0 && !best; g--)
        if (h[(size_t)D * w + (size_t)g].waste <= slack)
            best = g;
    for (int i = 0; i < D; i++)
        run[i] = -1;
    for (int i = D, g = best; i > 0 && g > 0;) {
        int j = h[(size_t)i * w + (size_t)g].from;
        if (j < 0) {
            i--;
            continue;
        }
        for (int k = j; k < i; k++)
            run[k] = j;
        g--;
        i = j;
    }
    free(h);
    return best;
}

static int piece_cmp(const void *x, const void *y)
{
    const piece *p = x, *q = y;
    return p->n != q->n ? q->n - p->n : p->first - q->first;
}

int plan_fill_straddler(piece *pc, int *np, int need, const unit *src, unit *perm, int *at)
{
    int got = 0;
    while (got<need && * np> 0) {
        qsort(pc, (size_t)*np, sizeof *pc, piece_cmp);
        int pick = 0, rem = need - got;
        if (got > 0)
            for (int i = *np - 1; i >= 0; i--)
                if (pc[i].n >= rem) {
                    pick = i;
                    break;
                }
        int take = pc[pick].n < rem ? pc[pick].n : rem;
        memcpy(perm + *at, src + pc[pick].first, sizeof(unit) * (size_t)take);
        *at += take;
        got += take;
        pc[pick].first += take;
        pc[pick].n -= take;
        if (pc[pick].n == 0)
            pc[pick] = pc[--*np];
    }
    return got;
}

/* Lays out runs, inside ranks and straddlers into a reordered copy of the units. */
static int fixed_layout(attempt *a, const seq *s, long need, const int *run, int nruns)
{
    int D = s->D, R = a->R;
    unit *perm = malloc(sizeof(unit) * (size_t)a->nu);
    piece *pc = malloc(sizeof(piece) * ((size_t)D + 1));
    if (!perm || !pc) {
        free(perm);
        free(pc);
        return -1;
    }
    int at = 0, rank = 0, np = 0, inside_left = R - nruns;
    for (int i = 0; i < D; i++) {
        if (run[i] == i) { /* a run starts here: its rank takes the first `need` units */
            memcpy(perm + at, a->base + s->first[i], sizeof(unit) * (size_t)need);
            a->out[rank] = (range){at, (int)need};
            a->group[rank] = -3;
            at += (int)need;
            rank++;
            continue;
        }
        if (run[i] >= 0)
            continue;
        long c = s->n[i] / need;
        if (c > inside_left)
            c = inside_left;
        for (long j = 0; j < c; j++, rank++) {
            memcpy(perm + at, a->base + s->first[i] + j * need, sizeof(unit) * (size_t)need);
            a->out[rank] = (range){at, (int)need};
            a->group[rank] = s->id[i];
            at += (int)need;
        }
        inside_left -= (int)c;
        if (s->n[i] > c * need)
            pc[np++] = (piece){s->first[i] + (int)(c * need), (int)(s->n[i] - c * need)};
    }
    while (rank < R) { /* straddlers: the largest leftover, then the smallest that completes */
        int start = at, got = plan_fill_straddler(pc, &np, (int)need, a->base, perm, &at);
        a->out[rank] = (range){start, got};
        a->group[rank] = -2;
        rank++;
    }
    /* what is left, in order: leftovers, then the unused units of runs */
    for (int i = 0; i < np; i++) {
        memcpy(perm + at, a->base + pc[i].first, sizeof(unit) * (size_t)pc[i].n);
        at += pc[i].n;
    }
    for (int i = 0; i < D; i++)
        if (run[i] >= 0) {
            /* units of the run beyond its rank's first `need` */
            long taken = 0;
            for (int j = run[i]; j < i; j++)
                taken += s->n[j];
            long from = need > taken ? need - taken : 0;
            if (from < s->n[i]) {
                memcpy(perm + at, a->base + s->first[i] + from,
                       sizeof(unit) * (size_t)(s->n[i] - from));
                at += (int)(s->n[i] - from);
            }
        }
    free(pc);
    free(a->owned);
    a->owned = perm;
    a->u = perm;
    a->idle = 0;
    return at == a->nu ? 0 : -1;
}

int plan_optimum_fixed(attempt *a, const dominfo *d, int nd, int st)
{
    long need = (a->T + a->k - 1) / a->k;
    seq s;
    if (seq_make(d, nd, &s) < 0)
        return -1;
    long B = 0;
    for (int i = 0; i < s.D; i++)
        B += s.n[i] / need;
    long slack = a->nu - (long)a->R * need;
    (void)nd;
    int rc = 0;
    if (B < a->R && slack >= 0 && st > 0) {
        int *run = malloc(sizeof(int) * ((size_t)s.D + 1));
        int want = a->R - (int)B;
        int g = run ? choose_runs(&s, need, slack, want, run) : -1;
        if (g == -1)
            rc = -1;
        else if (g >= 0 && a->R - (int)B - g < st) {
            rc = fixed_layout(a, &s, need, run, g) < 0 ? -1 : 1;
            if (rc == 1) {
                a->rule = RULE_RUNS;
                a->straddled = a->R - (int)B - g > 0;
                a->lo = g;                 /* ranks holding runs alone */
                a->hi = a->R - (int)B - g; /* straddlers */
            }
        }
        free(run);
    }
    seq_free(&s);
    return rc;
}
