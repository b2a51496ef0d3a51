/* plan_oracle.c: place's plans against an exhaustive search of the objective.
 *
 *     plan_oracle [--brute] MACHINE...     (an XML file, synthetic:..., or @LIST: a file
 *                                           of machines, one per line, tab-separated notes)
 *
 * The objective (docs/design.md, "The objective") ranks plans; this program enumerates
 * every plan of the shape it states and keeps the best, then checks that place's plan for
 * the same request scores exactly that:
 *   - a rank is inside one NUMA domain, or alone on a run of consecutive domains, or (fixed
 *     threads) made of leftover pieces anywhere: every way to cut the domains into runs and
 *     single domains is enumerated, and for each the best number of ranks per single domain;
 *   - with GPUs, the same over the GPU localities (each split among ranks, idle, or part of
 *     a run that no other rank shares a domain with).
 * It reads the machine with hwloc itself (each core's local NUMA node, the usable PUs), and
 * scores place's plan from what place_plan_rank returns, so it shares no code with the
 * planner's search. --brute also tries, on machines of at most 8 cores, every assignment
 * of cores to ranks, to show that no plan outside the shape does better (threads left to
 * fill and fixed threads, up to 4 ranks).
 *
 * Requests: ranks 1 to the usable cores (every count up to 24, then a spread) and a few
 * above (ranks share cores through SMT); threads left to fill, and fixed (1, 2 and the
 * equal share, where ranks x threads fit the cores); on machines with GPUs, --gpus auto
 * with 1 rank to one per GPU, and --gpus-per-rank 1, 2 and 3. Machines with CPU kinds or
 * more than 10 NUMA domains are skipped (said). It prints the counts and the time, and
 * every case where place misses the optimum; the exit status is 1 if any does.
 */
#include <hwloc.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "place.h"

#define MAXD 10 /* NUMA domains the segment search enumerates */
#define MAXG 12 /* GPU localities */
#define MAXPU 8 /* usable PUs per core */

typedef struct ocore {
    int npu, pu[MAXPU];
    int dom;
} ocore;

typedef struct mach {
    const char *spec;
    place_topo *t;
    hwloc_topology_t h;
    hwloc_bitmap_t usable;
    int nc;
    ocore *c;
    int nd;
    int maxpu;
    int *pu_core; /* PU OS index -> core, -1 */
    int ng;
    hwloc_bitmap_t *gloc;
} mach;

static long cases, failures, skipped, outside;

/* ---- the machine, read with hwloc ---------------------------------------------------- */

static int local_numa(hwloc_topology_t h, int pu)
{
    int best = -1, bw = INT_MAX, bsub = 1;
    int n = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (!o->cpuset || !hwloc_bitmap_isset(o->cpuset, (unsigned)pu))
            continue;
        int w = hwloc_bitmap_weight(o->cpuset), sub = o->subtype != NULL;
        if (w < bw || (w == bw && sub < bsub)) {
            bw = w;
            bsub = sub;
            best = (int)o->os_index;
        }
    }
    return best;
}

static int mach_load(mach *m, const char *spec)
{
    memset(m, 0, sizeof *m);
    m->spec = spec;
    place_error e;
    if (place_topo_load(&m->t, spec, PLACE_TOPO_DEVICES, &e) < 0) {
        fprintf(stderr, "plan_oracle: %s: %s\n", spec, e.msg);
        return -1;
    }
    hwloc_topology_init(&m->h);
    if (!strncmp(spec, "synthetic:", 10))
        hwloc_topology_set_synthetic(m->h, spec + 10);
    else
        hwloc_topology_set_xml(m->h, !strncmp(spec, "xml:", 4) ? spec + 4 : spec);
    hwloc_topology_set_flags(m->h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
    if (hwloc_topology_load(m->h) < 0)
        return -1;
    m->usable = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(m->h));
    hwloc_bitmap_and(m->usable, m->usable, hwloc_topology_get_topology_cpuset(m->h));
    int type = hwloc_get_nbobjs_by_type(m->h, HWLOC_OBJ_CORE) ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int n = hwloc_get_nbobjs_by_type(m->h, (hwloc_obj_type_t)type);
    m->c = calloc((size_t)n + 1, sizeof *m->c);
    m->maxpu = hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(m->h));
    m->pu_core = malloc(sizeof(int) * (size_t)(m->maxpu + 2));
    for (int i = 0; i <= m->maxpu; i++)
        m->pu_core[i] = -1;
    int key[4096], nkey = 0;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(m->h, (hwloc_obj_type_t)type, (unsigned)i);
        ocore *c = &m->c[m->nc];
        c->npu = 0;
        int pu;
        hwloc_bitmap_foreach_begin(pu, o->cpuset) if (hwloc_bitmap_isset(m->usable, (unsigned)pu) &&
                                                      c->npu < MAXPU) c->pu[c->npu++] = pu;
        hwloc_bitmap_foreach_end();
        if (!c->npu)
            continue;
        int k = local_numa(m->h, c->pu[0]);
        if (k < 0) {
            hwloc_obj_t pk = hwloc_get_ancestor_obj_by_type(m->h, HWLOC_OBJ_PACKAGE, o);
            k = 100000 + (pk ? (int)pk->logical_index : 0);
        }
        int d = 0;
        while (d < nkey && key[d] != k)
            d++;
        if (d == nkey)
            key[nkey++] = k;
        c->dom = d; /* in order of first core: cores come in logical order */
        for (int q = 0; q < c->npu; q++)
            m->pu_core[c->pu[q]] = m->nc;
        m->nc++;
    }
    m->nd = nkey;
    m->ng = place_topo_ndevices(m->t, PLACE_DEVICE_GPU);
    m->gloc = calloc((size_t)m->ng + 1, sizeof *m->gloc);
    for (int g = 0; g < m->ng; g++) {
        place_device_info di;
        place_topo_device(m->t, PLACE_DEVICE_GPU, g, &di);
        m->gloc[g] = hwloc_bitmap_alloc();
        /* a GPU without a runtime index cannot be handed out: no core is next to it */
        if (di.index >= 0)
            hwloc_bitmap_list_sscanf(m->gloc[g], di.cpuset);
    }
    return 0;
}

static void mach_free(mach *m)
{
    for (int g = 0; g < m->ng; g++)
        hwloc_bitmap_free(m->gloc[g]);
    free(m->gloc);
    free(m->c);
    free(m->pu_core);
    hwloc_bitmap_free(m->usable);
    if (m->h)
        hwloc_topology_destroy(m->h);
    place_topo_free(m->t);
}

/* ---- the CPU search: every cut of the domains into runs and single domains ----------- */

/* The smallest largest share for Rs ranks on the single domains seg[i] of sub (each
 * taking k_i ranks, 1 <= k_i <= seg_i / m, shares of seg_i / k_i rounded up at most), the
 * runs' largest runmax: the smallest T >= runmax at which the k_i fit. */
static long min_top(const long *seg, int ns, unsigned sub, int Rs, long m, long runmax)
{
    long maxseg = runmax;
    for (int i = 0; i < ns; i++)
        if (sub >> i & 1)
            maxseg = seg[i] > maxseg ? seg[i] : maxseg;
    for (long T = runmax > m ? runmax : m; T <= maxseg; T++) {
        long lo = 0, hi = 0;
        int ok = 1;
        for (int i = 0; i < ns && ok; i++)
            if (sub >> i & 1) {
                long a = (seg[i] + T - 1) / T, b = seg[i] / m;
                a = a < 1 ? 1 : a;
                ok = a <= b;
                lo += a;
                hi += b;
            }
        if (ok && lo <= Rs && Rs <= hi)
            return T;
    }
    return LONG_MAX;
}

/* Threads left to fill: the largest smallest share *m, then the fewest idle units *idle,
 * then (tie-breaks) the smallest largest share *top and the fewest ranks spanning domains
 * *spans, for R ranks on domains of n[0..D) units. Returns 0, or -1 if R ranks do not
 * fit. */
static int cpu_fill(const long *n, int D, int R, long *m, long *idle, long *top, int *spans)
{
    long bestm = 0, besti = LONG_MAX, bestt = LONG_MAX, U = 0;
    int bests = INT_MAX;
    for (int d = 0; d < D; d++)
        U += n[d];
    for (unsigned cut = 0; cut < (1u << (D - 1)); cut++) {
        /* segments: a bit i set cuts between domain i and i + 1 */
        long seg[MAXD];
        int single[MAXD], ns = 0, nr = 0;
        long runmin = LONG_MAX, sum = n[0];
        int len = 1;
        for (int d = 1; d <= D; d++) {
            if (d == D || (cut >> (d - 1) & 1)) {
                if (len == 1)
                    single[ns] = d - 1, seg[ns++] = sum;
                else
                    nr++, runmin = sum < runmin ? sum : runmin;
                if (d < D)
                    sum = n[d], len = 1;
            } else {
                sum += n[d];
                len++;
            }
        }
        int Rs = R - nr;
        if (Rs < 0)
            continue;
        (void)single;
        long runmax = 0; /* a run is one rank: its share is the run */
        {
            long sm = n[0];
            int ln = 1;
            for (int d = 1; d <= D; d++) {
                if (d == D || (cut >> (d - 1) & 1)) {
                    if (ln > 1 && sm > runmax)
                        runmax = sm;
                    if (d < D)
                        sm = n[d], ln = 1;
                } else {
                    sm += n[d];
                    ln++;
                }
            }
        }
        /* the largest m at which the single domains hold Rs ranks, runs each m */
        long best_here = 0;
        for (long mm = runmin < U ? runmin : U; mm >= 1; mm--) {
            long capsum = 0;
            int elig = 0;
            for (int i = 0; i < ns; i++)
                if (seg[i] >= mm) {
                    elig++;
                    capsum += seg[i] / mm;
                }
            if (Rs == 0 || elig >= Rs || capsum >= Rs) {
                best_here = mm;
                break;
            }
        }
        if (!best_here || best_here < bestm)
            continue;
        /* the fewest idle units at that m (which single domains take ranks), then the
         * smallest largest share */
        long mi = LONG_MAX, mt = LONG_MAX;
        for (unsigned sub = 0; sub < (1u << ns); sub++) {
            int k = 0;
            long cap = 0, id = 0, ok = 1;
            for (int i = 0; i < ns; i++) {
                if (sub >> i & 1) {
                    if (seg[i] < best_here) {
                        ok = 0;
                        break;
                    }
                    k++;
                    cap += seg[i] / best_here;
                } else {
                    id += seg[i];
                }
            }
            if (!ok || k > Rs || cap < Rs || (Rs == 0 && k > 0) || id > mi)
                continue;
            long t = min_top(seg, ns, sub, Rs, best_here, runmax);
            if (t == LONG_MAX)
                continue;
            if (id < mi || t < mt) {
                mi = id;
                mt = t;
            }
        }
        if (mi == LONG_MAX)
            continue;
        if (best_here > bestm ||
            (best_here == bestm &&
             (mi < besti || (mi == besti && (mt < bestt || (mt == bestt && nr < bests)))))) {
            bestm = best_here;
            besti = mi;
            bestt = mt;
            bests = nr;
        }
    }
    if (!bestm)
        return -1;
    *m = bestm;
    *idle = besti;
    *top = bestt;
    *spans = bests;
    return 0;
}

/* Fixed threads of `need` units: the fewest straddlers, -1 if R ranks do not fit. */
static int cpu_fixed(const long *n, int D, int R, long need)
{
    long U = 0;
    for (int d = 0; d < D; d++)
        U += n[d];
    if ((long)R * need > U)
        return -1;
    int best = INT_MAX;
    for (unsigned cut = 0; cut < (1u << (D - 1)); cut++) {
        long sum = n[0], inside = 0, waste = 0;
        int len = 1, nr = 0, ok = 1;
        for (int d = 1; d <= D && ok; d++) {
            if (d == D || (cut >> (d - 1) & 1)) {
                if (len == 1) {
                    inside += sum / need;
                } else if (sum >= need) {
                    nr++;
                    waste += sum - need;
                } else {
                    ok = 0;
                }
                if (d < D)
                    sum = n[d], len = 1;
            } else {
                sum += n[d];
                len++;
            }
        }
        if (!ok || nr > R || (long)R * need + waste > U)
            continue;
        long x = nr + inside;
        int st = (int)(x >= R ? 0 : R - x);
        best = st < best ? st : best;
    }
    return best == INT_MAX ? -1 : best;
}

/* ---- scoring a plan of place --------------------------------------------------------- */

typedef struct score {
    int ok; /* the request was planned */
    int remote, far, straddle, unused, min_gpus;
    long min_share, idle;
    long max_share; /* the largest share */
    int spans;      /* ranks alone on several domains */
    int max_per_gpu;
} score;

/* domset: the domains that count for "consecutive" (NULL: all) */
static void score_plan(const mach *m, const place_plan *p, int per_pu, const char *domset, score *s)
{
    /* GPU plans (domset given) count a rank's share in cores; CPU plans in threads (cores,
     * or PUs when ranks outnumber the cores) */
    memset(s, 0, sizeof *s);
    s->ok = 1;
    s->min_gpus = INT_MAX;
    s->min_share = LONG_MAX;
    int first, R;
    place_plan_node_range(p, 0, &first, &R);
    char *used = calloc((size_t)m->maxpu + 2, 1), *cused = calloc((size_t)m->nc + 1, 1);
    int users[MAXD] = {0}, nr = R;
    char *dm = calloc((size_t)R * MAXD + 1, 1);
    int *gcount = calloc((size_t)m->ng + 1, sizeof(int));
    place_rank_info *ri = calloc((size_t)R, sizeof *ri);
    for (int r = 0; r < R; r++) {
        place_rank_info *x = &ri[r];
        place_plan_rank(p, first + r, x, NULL);
        char *doms = dm + (size_t)r * MAXD;
        for (int t = 0; t < x->nthreads; t++) {
            int pu = x->thread_pu_os[t];
            int c = pu <= m->maxpu ? m->pu_core[pu] : -1;
            if (c < 0) {
                s->ok = 0;
                continue;
            }
            used[pu] = 1;
            cused[c] = 1;
            doms[m->c[c].dom] = 1;
        }
        for (int d = 0; d < m->nd; d++)
            users[d] += doms[d];
        long share = x->nthreads;
        if (domset) {
            share = 0;
            for (int t = 0; t < x->nthreads; t++) {
                int c = m->pu_core[x->thread_pu_os[t]], seen = 0;
                for (int y = 0; y < t && !seen; y++)
                    seen = m->pu_core[x->thread_pu_os[y]] == c;
                share += !seen;
            }
        }
        if (share < s->min_share)
            s->min_share = share;
        if (share > s->max_share)
            s->max_share = share;
        if (x->ngpus < s->min_gpus)
            s->min_gpus = x->ngpus;
        hwloc_bitmap_t rs = hwloc_bitmap_alloc(), near = hwloc_bitmap_alloc();
        for (int t = 0; t < x->nthreads; t++)
            hwloc_bitmap_set(rs, (unsigned)x->thread_pu_os[t]);
        for (int k = 0; k < x->ngpus; k++) {
            gcount[x->gpu[k]]++;
            s->remote += !hwloc_bitmap_intersects(rs, m->gloc[x->gpu[k]]);
            hwloc_bitmap_or(near, near, m->gloc[x->gpu[k]]);
        }
        s->far += x->ngpus > 0 && !hwloc_bitmap_isincluded(rs, near);
        hwloc_bitmap_free(rs);
        hwloc_bitmap_free(near);
    }
    char has[64] = {0};
    for (int c = 0; c < m->nc; c++)
        has[m->c[c].dom] = domset ? domset[m->c[c].dom] : 1;
    for (int r = 0; r < nr; r++) {
        int lo = -1, hi = -1, cnt = 0, alone = 1;
        for (int d = 0; d < m->nd; d++)
            if (dm[(size_t)r * MAXD + (size_t)d]) {
                lo = lo < 0 ? d : lo;
                hi = d;
                cnt++;
                alone &= users[d] == 1;
            }
        int gap = 0;
        for (int d = lo; cnt > 1 && d <= hi; d++)
            gap |= has[d] && !dm[(size_t)r * MAXD + (size_t)d];
        s->straddle += cnt > 1 && !(alone && !gap);
        s->spans += cnt > 1 && alone && !gap;
    }
    for (int g = 0; g < m->ng; g++) {
        s->unused += gcount[g] == 0;
        s->max_per_gpu = gcount[g] > s->max_per_gpu ? gcount[g] : s->max_per_gpu;
    }
    for (int c = 0; c < m->nc; c++) {
        if (per_pu)
            for (int q = 0; q < m->c[c].npu; q++)
                s->idle += !used[m->c[c].pu[q]];
        else
            s->idle += !cused[c];
    }
    if (s->min_gpus == INT_MAX)
        s->min_gpus = 0;
    free(used);
    free(cused);
    free(gcount);
    free(ri);
    free(dm);
}

static int plan_for(const mach *m, int R, int T, int gpus, place_plan **p, place_error *e)
{
    place_request q;
    place_request_init(&q);
    q.ranks = R;
    q.threads = T;
    q.gpus_per_rank = gpus;
    return place_plan_compute(p, m->t, &q, e);
}

static void fail(const mach *m, const char *what, int R, int T, int gpus, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void fail(const mach *m, const char *what, int R, int T, int gpus, const char *fmt, ...)
{
    failures++;
    if (failures > 40)
        return;
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("MISS %s -n %d -t %d %s%d (%s): %s\n", m->spec, R, T,
           gpus == PLACE_GPUS_AUTO ? "--gpus auto"
           : gpus                  ? "--gpus-per-rank "
                                   : "gpus ",
           gpus == PLACE_GPUS_AUTO ? 0 : gpus, what, buf);
}

/* ---- CPU requests --------------------------------------------------------------------- */

static void cpu_cases(const mach *m)
{
    long dc[MAXD] = {0}, dp[MAXD] = {0};
    int pus = 0;
    for (int c = 0; c < m->nc; c++) {
        dc[m->c[c].dom]++;
        dp[m->c[c].dom] += m->c[c].npu;
        pus += m->c[c].npu;
    }
    int Rs[256], nR = 0;
    for (int R = 1; R <= m->nc && R <= 24; R++)
        Rs[nR++] = R;
    int extra[] = {m->nc / 3, m->nc / 2, m->nc - 1, m->nc, m->nc + 1, (m->nc + pus) / 2, pus};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        int dup = extra[i] < 1 || extra[i] > pus;
        for (int k = 0; k < nR && !dup; k++)
            dup = Rs[k] == extra[i];
        if (!dup)
            Rs[nR++] = extra[i];
    }
    for (int k = 0; k < nR; k++) {
        int R = Rs[k], per_pu = R > m->nc;
        const long *n = per_pu ? dp : dc;
        /* threads left to fill */
        place_plan *p = NULL;
        place_error e;
        long om, oi, ot;
        int osp;
        int orc = cpu_fill(n, m->nd, R, &om, &oi, &ot, &osp);
        int prc = plan_for(m, R, 0, 0, &p, &e);
        cases++;
        if (orc < 0 || prc < 0) {
            if ((orc < 0) != (prc < 0))
                fail(m, "fill", R, 0, 0, "oracle %s, place %s", orc < 0 ? "no plan" : "a plan",
                     prc < 0 ? e.msg : "a plan");
        } else {
            score s;
            score_plan(m, p, per_pu, NULL, &s);
            if (!s.ok || s.straddle || s.min_share != om || s.idle != oi || s.max_share != ot ||
                s.spans != osp)
                fail(m, "fill", R, 0, 0,
                     "place: %d straddling, smallest share %ld, %ld idle, largest share %ld, "
                     "%d spanning; optimum: 0, %ld, %ld, %ld, %d",
                     s.straddle, s.min_share, s.idle, s.max_share, s.spans, om, oi, ot, osp);
        }
        place_plan_free(p);
        /* fixed threads that fit the cores */
        int Ts[3] = {1, 2, m->nc / R};
        for (int j = 0; j < 3 && !per_pu; j++) {
            int T = Ts[j];
            if (T < 1 || (long)R * T > m->nc || (j == 2 && (T == 1 || T == 2)))
                continue;
            p = NULL;
            int os = cpu_fixed(dc, m->nd, R, T);
            prc = plan_for(m, R, T, 0, &p, &e);
            cases++;
            if (os < 0 || prc < 0) {
                if ((os < 0) != (prc < 0))
                    fail(m, "fixed", R, T, 0, "oracle %s, place %s", os < 0 ? "no plan" : "a plan",
                         prc < 0 ? e.msg : "a plan");
            } else {
                score s;
                score_plan(m, p, 0, NULL, &s);
                if (!s.ok || s.straddle != os)
                    fail(m, "fixed", R, T, 0, "place: %d straddling; optimum %d", s.straddle, os);
            }
            place_plan_free(p);
        }
    }
}

/* ---- GPU requests: every cut of the GPU localities ------------------------------------ */

typedef struct grp {
    int n, gpu[64];
    hwloc_bitmap_t loc, own;
    int nc, *cores;
    int dlo, dhi;
    int nd;
    long dc[MAXD], dp[MAXD]; /* cores and PUs per domain of the group, in order */
} grp;

typedef struct gcase {
    int R, T, G; /* G 0: auto */
    int ng;
    grp *g;
    int gfirst[MAXD], glast[MAXD];
    long other_idle; /* usable cores in no group */
    int dropped;     /* GPUs whose locality has no usable core */
    /* memo per group and k: fill share and idle, fixed straddlers */
    long mshare[MAXG][65], midle[MAXG][65];
    int mstr[MAXG][65], mdone[MAXG][65];
} gcase;

static int cmp_w(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    int wx = hwloc_bitmap_weight(x->loc), wy = hwloc_bitmap_weight(y->loc);
    return wx != wy ? (wx < wy ? -1 : 1) : x->gpu[0] - y->gpu[0];
}

static int cmp_first(const void *a, const void *b)
{
    const grp *x = a, *y = b;
    return x->cores[0] != y->cores[0] ? x->cores[0] - y->cores[0] : x->gpu[0] - y->gpu[0];
}

static int make_groups(const mach *m, grp *g, char *domset)
{
    int ng = 0;
    for (int i = 0; i < m->ng; i++) {
        int k = 0;
        while (k < ng && !hwloc_bitmap_isequal(g[k].loc, m->gloc[i]))
            k++;
        if (k == ng) {
            memset(&g[k], 0, sizeof g[k]);
            g[k].loc = hwloc_bitmap_dup(m->gloc[i]);
            ng++;
        }
        g[k].gpu[g[k].n++] = i;
    }
    qsort(g, (size_t)ng, sizeof *g, cmp_w);
    hwloc_bitmap_t claimed = hwloc_bitmap_alloc(), near = hwloc_bitmap_alloc();
    for (int k = 0; k < ng; k++) {
        g[k].own = hwloc_bitmap_dup(g[k].loc);
        hwloc_bitmap_andnot(g[k].own, g[k].own, claimed);
        hwloc_bitmap_or(claimed, claimed, g[k].loc);
        hwloc_bitmap_or(near, near, g[k].loc);
        g[k].cores = malloc(sizeof(int) * (size_t)(m->nc + 1));
        for (int c = 0; c < m->nc; c++)
            if (hwloc_bitmap_isset(g[k].own, (unsigned)m->c[c].pu[0]))
                g[k].cores[g[k].nc++] = c;
    }
    for (int c = 0; c < m->nc; c++)
        if (hwloc_bitmap_isset(near, (unsigned)m->c[c].pu[0]))
            domset[m->c[c].dom] = 1;
    hwloc_bitmap_free(claimed);
    hwloc_bitmap_free(near);
    int n = 0;
    for (int k = 0; k < ng; k++) {
        if (g[k].nc) {
            g[n++] = g[k];
        } else {
            hwloc_bitmap_free(g[k].loc);
            hwloc_bitmap_free(g[k].own);
            free(g[k].cores);
        }
    }
    qsort(g, (size_t)n, sizeof *g, cmp_first);
    for (int k = 0; k < n; k++) {
        int last = -1;
        g[k].dlo = INT_MAX;
        g[k].dhi = -1;
        for (int i = 0; i < g[k].nc; i++) {
            const ocore *c = &m->c[g[k].cores[i]];
            if (c->dom != last) {
                g[k].nd++;
                last = c->dom;
            }
            g[k].dc[g[k].nd - 1]++;
            g[k].dp[g[k].nd - 1] += c->npu;
            g[k].dlo = c->dom < g[k].dlo ? c->dom : g[k].dlo;
            g[k].dhi = c->dom > g[k].dhi ? c->dom : g[k].dhi;
        }
    }
    return n;
}

/* k ranks planned on group i's cores: fill share and idle, or fixed straddlers. */
static void memo(gcase *C, int i, int k)
{
    if (C->mdone[i][k])
        return;
    C->mdone[i][k] = 1;
    grp *g = &C->g[i];
    int per_pu = k > g->nc;
    if (!C->T) {
        long top_unused;
        int spans_unused;
        if (cpu_fill(per_pu ? g->dp : g->dc, g->nd, k, &C->mshare[i][k], &C->midle[i][k],
                     &top_unused, &spans_unused) < 0) {
            C->mshare[i][k] = -1;
        } else if (per_pu) {
            /* ranks share cores: idle and shares are counted in cores, and some rank then
             * has a single core (shared) */
            C->midle[i][k] = 0;
            C->mshare[i][k] = 1;
        }
        C->mstr[i][k] = 0;
    } else {
        /* threads on cores, or on PUs when the ranks' threads outnumber the cores */
        long pus = 0;
        for (int d = 0; d < g->nd; d++)
            pus += g->dp[d];
        if ((long)k * C->T <= g->nc)
            C->mstr[i][k] = cpu_fixed(g->dc, g->nd, k, C->T);
        else if ((long)k * C->T <= pus)
            C->mstr[i][k] = cpu_fixed(g->dp, g->nd, k, C->T);
        else
            C->mstr[i][k] = -1;
        C->mshare[i][k] = C->mstr[i][k] < 0 ? -1 : 0;
        C->midle[i][k] = 0;
    }
}

/* Lexicographic: -1 a better, 1 b better, 0 equal, in the request's order. */
static int better(const gcase *C, const score *a, const score *b)
{
#define LESS(f)                                                                                    \
    if (a->f != b->f)                                                                              \
    return a->f < b->f ? -1 : 1
#define MORE(f)                                                                                    \
    if (a->f != b->f)                                                                              \
    return a->f > b->f ? -1 : 1
    LESS(remote);
    LESS(far);
    LESS(straddle);
    if (!C->G) {
        LESS(unused);
        MORE(min_gpus);
        if (!C->T)
            MORE(min_share);
    } else {
        if (!C->T)
            MORE(min_share);
        LESS(unused);
    }
    if (!C->T)
        LESS(idle);
    return 0;
#undef LESS
#undef MORE
}

static int run_ok(const gcase *C, int j, int i)
{
    int lo = INT_MAX, hi = -1;
    for (int x = j; x <= i; x++) {
        lo = C->g[x].dlo < lo ? C->g[x].dlo : lo;
        hi = C->g[x].dhi > hi ? C->g[x].dhi : hi;
    }
    for (int d = lo; lo != hi && d <= hi; d++)
        if (C->glast[d] >= 0 && (C->gfirst[d] < j || C->glast[d] > i))
            return 0;
    return 1;
}

/* Every cut of the localities and every rank count of each single one. */
static int gpu_best(gcase *C, score *best)
{
    int ng = C->ng, found = 0;
    long evals = 0;
    for (unsigned cut = 0; cut < (1u << (ng - 1)); cut++) {
        int segs[MAXG][2], ns = 0, start = 0;
        for (int x = 1; x <= ng; x++)
            if (x == ng || (cut >> (x - 1) & 1)) {
                segs[ns][0] = start;
                segs[ns][1] = x - 1;
                ns++;
                start = x;
            }
        int nr = 0, ok = 1;
        score base = {1, 0, 0, 0, C->dropped, INT_MAX, LONG_MAX, C->other_idle, 0, 0, 0};
        int singles[MAXG], nsg = 0;
        for (int s = 0; s < ns && ok; s++) {
            int j = segs[s][0], i = segs[s][1];
            if (i == j) {
                singles[nsg++] = i;
                continue;
            }
            if (!run_ok(C, j, i)) {
                ok = 0;
                break;
            }
            int gpus = 0, cores = 0, holders = 0;
            for (int x = j; x <= i; x++) {
                gpus += C->g[x].n;
                cores += C->g[x].nc;
                holders++;
            }
            if (C->G ? (gpus < C->G || holders > C->G) : 0) {
                ok = 0;
                break;
            }
            if (C->T &&
                (C->T < (C->G ? (holders < C->G ? holders : C->G) : holders) || cores < C->T)) {
                ok = 0;
                break;
            }
            nr++;
            base.unused += C->G ? gpus - C->G : 0;
            base.min_gpus =
                (C->G ? C->G : gpus) < base.min_gpus ? (C->G ? C->G : gpus) : base.min_gpus;
            if (!C->T && cores < base.min_share)
                base.min_share = cores;
            base.idle += C->T ? cores - C->T : 0;
        }
        if (!ok || nr > C->R)
            continue;
        /* rank counts of the single localities */
        int k[MAXG] = {0}, kmax[MAXG];
        for (int a = 0; a < nsg; a++) {
            const grp *g = &C->g[singles[a]];
            kmax[a] = C->G ? g->n / C->G : g->n;
            kmax[a] = kmax[a] > C->R - nr ? C->R - nr : kmax[a];
        }
        for (;;) {
            int sum = nr;
            for (int a = 0; a < nsg; a++)
                sum += k[a];
            if (sum == C->R) {
                evals++;
                score s = base;
                int bad = 0;
                for (int a = 0; a < nsg && !bad; a++) {
                    int i = singles[a];
                    const grp *g = &C->g[i];
                    if (!k[a]) {
                        s.unused += g->n;
                        s.idle += g->nc;
                        continue;
                    }
                    memo(C, i, k[a]);
                    if (C->mshare[i][k[a]] < 0) {
                        bad = 1;
                        break;
                    }
                    s.straddle += C->mstr[i][k[a]];
                    s.unused += C->G ? g->n - k[a] * C->G : 0;
                    int mg = C->G ? C->G : g->n / k[a];
                    s.min_gpus = mg < s.min_gpus ? mg : s.min_gpus;
                    if (!C->T && C->mshare[i][k[a]] < s.min_share)
                        s.min_share = C->mshare[i][k[a]];
                    s.idle += C->midle[i][k[a]];
                }
                if (!bad && (!found || better(C, &s, best) < 0)) {
                    *best = s;
                    found = 1;
                    if (getenv("ORACLE_DEBUG")) {
                        fprintf(stderr, "cut %x:", cut);
                        for (int a = 0; a < nsg; a++)
                            fprintf(stderr, " g%d k%d share %ld", singles[a], k[a],
                                    k[a] ? C->mshare[singles[a]][k[a]] : -1L);
                        fprintf(stderr, " -> share %ld\n", s.min_share);
                    }
                }
            }
            int a = 0;
            while (a < nsg && k[a] == kmax[a])
                k[a++] = 0;
            if (a == nsg)
                break;
            k[a]++;
        }
    }
    if (found && best->min_share == LONG_MAX)
        best->min_share = 0;
    (void)evals;
    return found;
}

static void gpu_cases(const mach *m)
{
    grp g[64];
    char domset[64] = {0};
    int ng = make_groups(m, g, domset);
    if (ng == 0)
        return;
    if (ng > MAXG) {
        skipped++;
        printf("skip GPUs of %s: %d localities\n", m->spec, ng);
        goto out;
    }
    gcase *C = calloc(1, sizeof *C);
    C->ng = ng;
    C->g = g;
    for (int d = 0; d < MAXD; d++)
        C->gfirst[d] = INT_MAX, C->glast[d] = -1;
    long in = 0;
    for (int k = 0; k < ng; k++) {
        in += g[k].nc;
        for (int i = 0; i < g[k].nc; i++) {
            int d = m->c[g[k].cores[i]].dom;
            C->gfirst[d] = k < C->gfirst[d] ? k : C->gfirst[d];
            C->glast[d] = k > C->glast[d] ? k : C->glast[d];
        }
    }
    C->other_idle = m->nc - in;
    int usable_gpus = 0;
    for (int k = 0; k < ng; k++)
        usable_gpus += g[k].n;
    C->dropped = m->ng - usable_gpus; /* GPUs without a usable core next to them */
    int Gs[] = {0, 1, 2, 3};
    for (size_t gi = 0; gi < sizeof Gs / sizeof Gs[0]; gi++) {
        int G = Gs[gi];
        int rmax = G ? usable_gpus / G : usable_gpus;
        for (int R = 1; R <= rmax && R <= 16; R++)
            for (int T = 0; T <= 1; T++) {
                C->R = R;
                C->T = T;
                C->G = G;
                memset(C->mdone, 0, sizeof C->mdone);
                score best, s = {0};
                int found = gpu_best(C, &best);
                place_plan *p = NULL;
                place_error e;
                int prc = plan_for(m, R, T, G ? G : PLACE_GPUS_AUTO, &p, &e);
                cases++;
                const char *what = G ? "gpus-per-rank" : "gpus auto";
                if (prc == 0)
                    score_plan(m, p, 0, domset, &s);
                /* a valid plan of place's that the shape does not hold (a rank taking GPUs of
                 * two localities that other ranks share, on NUMA nodes of its own) and that
                 * scores better: counted, not a miss */
                int valid = prc == 0 && s.ok && !s.remote && !s.far;
                if (valid && (!found || better(C, &s, &best) < 0)) {
                    outside++;
                } else if (!found || prc < 0) {
                    if (found != (prc == 0))
                        fail(m, what, R, T, G ? G : PLACE_GPUS_AUTO, "oracle %s, place %s",
                             found ? "a plan" : "no plan", prc < 0 ? e.msg : "a plan");
                } else {
                    if (!s.ok || better(C, &s, &best) != 0)
                        fail(
                            m, what, R, T, G ? G : PLACE_GPUS_AUTO,
                            "place: remote %d, far %d, straddling %d, unused GPUs %d, fewest "
                            "GPUs %d, smallest share %ld, idle %ld; optimum: %d, %d, %d, %d, %ld, %ld",
                            s.remote, s.far, s.straddle, s.unused, s.min_gpus, T ? 0 : s.min_share,
                            T ? 0 : s.idle, best.remote, best.straddle, best.unused, best.min_gpus,
                            T ? 0 : best.min_share, T ? 0 : best.idle);
                }
                place_plan_free(p);
            }
    }
    /* more ranks than GPUs: every GPU used, each rank one GPU next to its threads, and the
     * ranks per GPU as even as the localities' PUs allow (the smallest rho with
     * sum n_g <= R <= sum min(rho n_g, PUs of g)) */
    long gpus_pu[MAXG];
    long sum_n = 0, sum_pu = 0;
    for (int k = 0; k < ng; k++) {
        gpus_pu[k] = 0;
        for (int d = 0; d < g[k].nd; d++)
            gpus_pu[k] += g[k].dp[d];
        sum_n += g[k].n;
        sum_pu += gpus_pu[k];
    }
    for (int R = usable_gpus + 1; R <= 2 * usable_gpus + 3 && R <= sum_pu; R++) {
        int rho = 1;
        for (;; rho++) {
            long hi = 0;
            for (int k = 0; k < ng; k++)
                hi += (long)rho * g[k].n < gpus_pu[k] ? (long)rho * g[k].n : gpus_pu[k];
            if (hi >= R || rho > R)
                break;
        }
        place_plan *p = NULL;
        place_error e;
        score s;
        cases++;
        if (plan_for(m, R, 0, PLACE_GPUS_AUTO, &p, &e) < 0) {
            fail(m, "gpus auto, more ranks", R, 0, PLACE_GPUS_AUTO, "place: %s", e.msg);
            continue;
        }
        score_plan(m, p, R > m->nc, domset, &s);
        if (!s.ok || s.remote || s.far || s.straddle || s.unused != C->dropped || s.min_gpus != 1 ||
            s.max_per_gpu != rho)
            fail(m, "gpus auto, more ranks", R, 0, PLACE_GPUS_AUTO,
                 "place: remote %d, far %d, straddling %d, unused %d, fewest GPUs %d, most ranks "
                 "per GPU %d; optimum: 0, 0, 0, %d, 1, %d",
                 s.remote, s.far, s.straddle, s.unused, s.min_gpus, s.max_per_gpu, C->dropped, rho);
        place_plan_free(p);
    }
    (void)sum_n;
    free(C);
out:
    for (int k = 0; k < ng; k++) {
        hwloc_bitmap_free(g[k].loc);
        hwloc_bitmap_free(g[k].own);
        free(g[k].cores);
    }
}

/* ---- brute force on small machines ---------------------------------------------------- */

/* Every assignment of the cores to R ranks or idle (ranks named in order of first use):
 * the best (straddlers, -smallest share, idle) with threads left to fill, and the fewest
 * straddlers with T cores per rank. */
static void brute(const mach *m)
{
    if (m->nc > 8 || m->nd > MAXD)
        return;
    long dc[MAXD] = {0};
    for (int c = 0; c < m->nc; c++)
        dc[m->c[c].dom]++;
    for (int R = 1; R <= 4 && R <= m->nc; R++) {
        int a[8], bs = INT_MAX, bm = 0, bi = INT_MAX, fixed_best[9];
        for (int T = 0; T <= 8; T++)
            fixed_best[T] = INT_MAX;
        long total = 1;
        for (int c = 0; c < m->nc; c++)
            total *= R + 1;
        for (long x = 0; x < total; x++) {
            long v = x;
            int seen = 0, okc = 1;
            for (int c = 0; c < m->nc; c++) {
                a[c] = (int)(v % (R + 1)) - 1; /* -1 idle */
                v /= R + 1;
                if (a[c] >= 0) {
                    if (a[c] > seen)
                        okc = 0;
                    else if (a[c] == seen)
                        seen++;
                }
            }
            if (!okc || seen != R)
                continue;
            int size[4] = {0}, idle = 0, use[4][MAXD] = {{0}}, users[MAXD] = {0};
            for (int c = 0; c < m->nc; c++) {
                if (a[c] < 0) {
                    idle++;
                    continue;
                }
                size[a[c]]++;
                if (!use[a[c]][m->c[c].dom]++)
                    users[m->c[c].dom]++;
            }
            int st = 0, mn = INT_MAX, eq = 1;
            for (int r = 0; r < R; r++) {
                int lo = -1, hi = -1, cnt = 0, alone = 1;
                for (int d = 0; d < m->nd; d++)
                    if (use[r][d]) {
                        lo = lo < 0 ? d : lo;
                        hi = d;
                        cnt++;
                        alone &= users[d] == 1;
                    }
                int gap = 0;
                for (int d = lo; cnt > 1 && d <= hi; d++)
                    gap |= !use[r][d];
                st += cnt > 1 && !(alone && !gap);
                mn = size[r] < mn ? size[r] : mn;
                eq &= size[r] == size[0];
            }
            if (st < bs || (st == bs && (mn > bm || (mn == bm && idle < bi)))) {
                bs = st;
                bm = mn;
                bi = idle;
            }
            if (eq && st < fixed_best[size[0]])
                fixed_best[size[0]] = st;
        }
        long om, oi, ot;
        int osp;
        cases++;
        if (cpu_fill(dc, m->nd, R, &om, &oi, &ot, &osp) < 0 || bs != 0 || om != bm || oi != bi)
            fail(m, "brute fill", R, 0, 0,
                 "every assignment: %d straddling, share %d, %d idle; "
                 "the shape: 0, %ld, %ld",
                 bs, bm, bi, om, oi);
        for (int T = 1; T * R <= m->nc; T++) {
            cases++;
            int os = cpu_fixed(dc, m->nd, R, T);
            if (os != fixed_best[T])
                fail(m, "brute fixed", R, T, 0, "every assignment: %d straddling; the shape: %d",
                     fixed_best[T], os);
        }
    }
}

/* ---- main ------------------------------------------------------------------------------- */

static void one(const char *spec, int with_brute)
{
    mach m;
    if (mach_load(&m, spec) < 0) {
        failures++;
        mach_free(&m);
        return;
    }
    place_topo_info ti;
    place_topo_get_info(m.t, &ti);
    if (ti.cpukinds > 1 || m.nd > MAXD) {
        skipped++;
        printf("skip %s: %s\n", spec, ti.cpukinds > 1 ? "CPU kinds" : "more than 10 NUMA domains");
    } else {
        cpu_cases(&m);
        gpu_cases(&m);
        if (with_brute)
            brute(&m);
    }
    mach_free(&m);
}

int main(int argc, char **argv)
{
    int with_brute = 0, machines = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--brute")) {
            with_brute = 1;
            continue;
        }
        if (argv[i][0] == '@') {
            FILE *f = fopen(argv[i] + 1, "r");
            if (!f) {
                fprintf(stderr, "plan_oracle: %s: cannot read the list\n", argv[i] + 1);
                return 2;
            }
            char line[4096];
            while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\t\n")] = '\0';
                if (line[0]) {
                    one(line, with_brute);
                    machines++;
                }
            }
            fclose(f);
        } else {
            one(argv[i], with_brute);
            machines++;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("plan_oracle: %d machines (%ld skipped), %ld requests against the optimum in %.1f s: "
           "%ld missed, %ld better than the searched shape\n",
           machines, skipped, cases, s, failures, outside);
    return failures ? 1 : 0;
}
