/* plan_noise.c (plan): the node's noise profile in the plan (docs/noise-aware.md).
 *
 * --reserve-cores auto: for k = 0, 1, ... cores left to the OS, and for each k the cores to
 * leave, the plan is computed as usual on the other cores and its barrier step predicted
 * from the profile (place_noise_step_predict: every thread's work, and its PU's measured
 * detours); the fastest k is taken, fewer reserved cores unless more gain over 1%. A
 * thread's work is its rank's part of the node's step: the node's step W is the step
 * (--step-us, default 1000 us) times the threads of the plan without a reserved core, so
 * a core reserved spreads its work over the others (w x C / (C - k)) and a rank left
 * with fewer threads than the others (a NUMA domain short of a core) waits longer: the
 * objective's balance and the noise meet in one number. With fixed threads (-t) each
 * thread's work is the step. Every way to leave k cores is tried where there are at most
 * 2,048 (small nodes); beyond, cores are added one at a time, the best each time, among
 * the noisiest 2K.
 *
 * --avoid-noisy: a rank whose share has more PUs than threads runs them on its quietest
 * PUs.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan/plan_private.h"
#include "place/noiseprof.h"
#include "place/parse.h"

#define AUTO_MAX_K 8
#define AUTO_EXHAUSTIVE 2048
#define AUTO_GAIN 0.01 /* more cores are reserved only for a step shorter by more than this */

/* Node 0's threads: PU and work each; the node's step W split per rank's threads (fill), or
 * `step` each (fixed threads). */
static int predict(const place_plan *p, int fill, double W, double step, double *t_us, int *missing,
                   place_error *err)
{
    const nodeplan *np = &p->np[0];
    int n = 0;
    for (int r = 0; r < np->nranks; r++)
        n += np->r[r].nthreads;
    int *pu = malloc(sizeof(int) * (size_t)(n + 1));
    double *w = malloc(sizeof(double) * (size_t)(n + 1));
    if (!pu || !w) {
        free(pu);
        free(w);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    int at = 0;
    for (int r = 0; r < np->nranks; r++)
        for (int k = 0; k < np->r[r].nthreads; k++) {
            pu[at] = np->r[r].pu_os[k];
            w[at++] = fill ? W / np->nranks / np->r[r].nthreads : step;
        }
    int rc = place_noise_step_predict(p->req.noise, pu, w, n, t_us, missing, err);
    free(pu);
    free(w);
    return rc;
}

/* A core's expected delay per step (the mean over its usable PUs), for ordering. */
static double core_cost(const place_topo *t, const place_noise_profile *nz, int c, double step)
{
    double s = 0;
    for (int i = 0; i < t->cores[c].npu; i++)
        s += place_noise_pu_mean_delay(
            place_noise_profile_pu(nz, t->pu_pool[t->cores[c].pu_first + i]), step);
    return t->cores[c].npu ? s / t->cores[c].npu : 0;
}

typedef struct trial {
    int k;
    int excl[AUTO_MAX_K];
    double t_us; /* NAN: no plan */
} trial;

/* The plan with the cores of x left out, and its predicted step. */
static int evaluate(const place_topo *topo, const place_request *req, int fill, double W,
                    double step, trial *x, place_error *err)
{
    place_request q = *req;
    q.reserve_auto = 0;
    q.reserve_cores = 0;
    q.exclude_cores = x->excl;
    q.nexclude_cores = x->k;
    place_plan *p = NULL;
    place_error e;
    x->t_us = NAN;
    if (plan_compute_one(&p, topo, &q, &e) < 0)
        return e.code == PLACE_ENOMEM ? place_error_set(err, PLACE_ENOMEM, "out of memory") : 0;
    int rc = predict(p, fill, W, step, &x->t_us, NULL, err);
    place_plan_free(p);
    return rc;
}

/* The next subset of size k of 0..n-1 in lexicographic order; 0 after the last. */
static int next_subset(int *s, int k, int n)
{
    int i = k - 1;
    while (i >= 0 && s[i] == n - k + i)
        i--;
    if (i < 0)
        return 0;
    s[i]++;
    for (int j = i + 1; j < k; j++)
        s[j] = s[j - 1] + 1;
    return 1;
}

static double choose(long n, int k)
{
    double c = 1;
    for (int i = 0; i < k; i++)
        c = c * (double)(n - i) / (i + 1);
    return c;
}

/* The words for core c's PUs: each PU's reasons from the profile. */
static void core_why(const place_topo *t, const place_noise_profile *nz, int c, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->cores[c].npu && at < n; i++) {
        int pu = t->pu_pool[t->cores[c].pu_first + i];
        const place_noise_pu *e = place_noise_profile_pu(nz, pu);
        at += (size_t)snprintf(buf + at, n - at, "%sPU %d: %s", i ? "; " : "", pu,
                               !e          ? "not in the profile"
                               : e->why[0] ? e->why
                                           : "no cause named (its detours alone)");
    }
}

/* best[k] for k = 1..K: the best way found to leave k cores (every way on a small node,
 * else one core more than best[k - 1] at a time, among the 2K noisiest). */
static int search(const place_topo *topo, const place_request *q, const place_noise_profile *nz,
                  int fill, const double *W, double step, int C, int K, trial *best,
                  place_error *err)
{
    int rc = 0;
    double total = 0;
    for (int k = 1; k <= K; k++)
        total += choose(C, k);
    int exhaustive = total <= AUTO_EXHAUSTIVE;
    /* the candidates beyond a small node: the 2K noisiest cores */
    int *pool = malloc(sizeof(int) * (size_t)(C + 1));
    double *cost = malloc(sizeof(double) * (size_t)(C + 1));
    if (!pool || !cost) {
        free(pool);
        free(cost);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    for (int c = 0; c < C; c++) {
        pool[c] = c;
        cost[c] = core_cost(topo, nz, c, step);
    }
    for (int i = 1; i < C; i++) /* by cost, the noisiest first (stable) */
        for (int j = i; j > 0 && cost[pool[j]] > cost[pool[j - 1]]; j--) {
            int x = pool[j];
            pool[j] = pool[j - 1];
            pool[j - 1] = x;
        }
    int npool = exhaustive ? C : (2 * K < C ? 2 * K : C);
    for (int k = 1; k <= K && rc == 0; k++) {
        best[k].k = k;
        best[k].t_us = NAN;
        if (exhaustive) {
            int s[AUTO_MAX_K];
            for (int i = 0; i < k; i++)
                s[i] = i;
            do {
                trial x = {.k = k};
                for (int i = 0; i < k; i++)
                    x.excl[i] = s[i];
                if ((rc = evaluate(topo, q, fill, W[k], step, &x, err)) < 0)
                    break;
                if (!isnan(x.t_us) && (isnan(best[k].t_us) || x.t_us < best[k].t_us))
                    best[k] = x;
            } while (next_subset(s, k, C));
        } else {
            /* one more core than the best of k - 1, the best of the pool's */
            if (isnan(best[k - 1].t_us))
                break;
            for (int i = 0; i < npool; i++) {
                int c = pool[i], in = 0;
                for (int j = 0; j < k - 1; j++)
                    in |= best[k - 1].excl[j] == c;
                if (in)
                    continue;
                trial x = best[k - 1];
                x.k = k;
                x.excl[k - 1] = c;
                if ((rc = evaluate(topo, q, fill, W[k], step, &x, err)) < 0)
                    break;
                if (!isnan(x.t_us) && (isnan(best[k].t_us) || x.t_us < best[k].t_us))
                    best[k] = x;
            }
        }
    }
    free(pool);
    free(cost);
    return rc;
}

/* The notes of --reserve-cores auto: each k's step, the choice and why. */
static void auto_notes(place_plan *chosen, const place_topo *topo, const place_request *req,
                       const place_noise_profile *nz, const trial *best, int K, int pick,
                       double step, int missing)
{
    /* the notes: each k's step, the choice and why */
    char line[2048];
    size_t at = 0;
    for (int k = 0; k <= K && at < sizeof line; k++) {
        if (isnan(best[k].t_us))
            continue;
        at += (size_t)snprintf(line + at, sizeof line - at, "%s%d: %.1f us", at ? ", " : "", k,
                               best[k].t_us);
        for (int i = 0; i < k && at < sizeof line; i++)
            at += (size_t)snprintf(line + at, sizeof line - at, "%s%d", i ? "," : " (PU ",
                                   topo->pu_pool[topo->cores[best[k].excl[i]].pu_first]);
        if (k && at < sizeof line)
            at += (size_t)snprintf(line + at, sizeof line - at, ")");
    }
    const char *opt = req->spelling && req->spelling->reserve_cores ? req->spelling->reserve_cores
                                                                    : "reserve_cores";
    char fewer[256] = "";
    size_t fa = 0;
    for (int j = 0; j < req->nstep_us_fewer && req->threads == 0 && fa < sizeof fewer; j++)
        fa += (size_t)snprintf(fewer + fa, sizeof fewer - fa, ", %.0f us with %d core%s fewer",
                               req->step_us_fewer[j], j + 1, j ? "s" : "");
    if (req->nstep_us_fewer && req->threads)
        snprintf(fewer, sizeof fewer,
                 "; the steps with fewer cores not used: -t fixes the threads");
    plan_note(chosen,
              "%s auto: the barrier step each choice gives, predicted from the noise profile of "
              "%s (%s, %.1f s) for a step of %.0f us%s (%s): cores reserved %s",
              opt, nz->host, nz->measured, nz->seconds, step, fewer,
              req->step_us > 0 ? "as given" : "the default; --step-us gives the application's",
              line);
    if (pick == 0) {
        plan_note(chosen, "%s auto: no core reserved (none shortens the step by more than %.0f%%)",
                  opt, 100 * AUTO_GAIN);
    } else {
        for (int i = 0; i < pick; i++) {
            char why[1024];
            core_why(topo, nz, best[pick].excl[i], why, sizeof why);
            plan_note(chosen, "%s auto: core L#%d left to the OS (%s)", opt,
                      topo->cores[best[pick].excl[i]].core_l, why);
        }
    }
    if (missing)
        plan_note(chosen,
                  "the noise profile lacks %d of the planned PUs: they are taken as quiet "
                  "(profile this node again: placerun --profile-node)",
                  missing);
}

static int reserve_auto(place_plan **out, const place_topo *topo, const place_request *req,
                        place_error *err)
{
    place_request q = *req;
    q.reserve_auto = 0;
    q.reserve_cores = 0;
    q.exclude_cores = NULL;
    q.nexclude_cores = 0;
    if (!req->noise) {
        if (plan_compute_one(out, topo, &q, err) < 0)
            return -1;
        plan_note(*out,
                  "%s auto: no noise profile of this node (placerun --profile-node makes one, "
                  "or give --noise-profile FILE): nothing reserved",
                  req->spelling && req->spelling->reserve_cores ? req->spelling->reserve_cores
                                                                : "reserve_cores");
        return 0;
    }
    const place_noise_profile *nz = req->noise;
    double step = req->step_us > 0 ? req->step_us : PLACE_STEP_US_DEFAULT;
    int fill = req->threads == 0;
    place_plan *base = NULL;
    if (plan_compute_one(&base, topo, &q, err) < 0)
        return -1;
    int n0 = 0;
    for (int r = 0; r < base->np[0].nranks; r++)
        n0 += base->np[0].r[r].nthreads;
    trial best[AUTO_MAX_K + 1];
    int C = topo->ncores, K = C - 1 < AUTO_MAX_K ? C - 1 : AUTO_MAX_K;
    /* the node's work with k cores reserved, all its threads': the step times the threads,
     * or, with the application's steps with fewer cores given, each of those times the
     * threads it had (the same share of units per core); beyond, the last spread evenly */
    double W[AUTO_MAX_K + 1];
    for (int k = 0; k <= K; k++) {
        int j = req->nstep_us_fewer < k ? req->nstep_us_fewer : k;
        W[k] =
            (j && fill ? req->step_us_fewer[j - 1] : step) * n0 * (fill ? (double)(C - j) / C : 1);
    }
    int missing = 0, rc = 0;
    best[0].k = 0;
    if (predict(base, fill, W[0], step, &best[0].t_us, &missing, err) < 0) {
        place_plan_free(base);
        return -1;
    }
    rc = search(topo, &q, nz, fill, W, step, C, K, best, err);
    if (rc < 0) {
        place_plan_free(base);
        return -1;
    }
    /* the fastest, fewer reserved cores unless more gain over AUTO_GAIN */
    int pick = 0;
    for (int k = 1; k <= K; k++)
        if (!isnan(best[k].t_us) && best[k].t_us < best[pick].t_us * (1 - AUTO_GAIN))
            pick = k;
    place_plan *chosen = base;
    if (pick > 0) {
        q.exclude_cores = best[pick].excl;
        q.nexclude_cores = pick;
        chosen = NULL;
        if (plan_compute_one(&chosen, topo, &q, err) < 0) {
            place_plan_free(base);
            return -1;
        }
        place_plan_free(base);
    }
    /* what the plan keeps: the choice, the predictions, the excluded cores (owned) */
    chosen->auto_used = 1;
    chosen->auto_step_us = step;
    chosen->auto_nk = 0;
    for (int k = 0; k <= K; k++) {
        chosen->auto_pred[k] = best[k].t_us;
        chosen->auto_nk = k + 1;
    }
    chosen->auto_nexcl = pick;
    for (int i = 0; i < pick; i++)
        chosen->auto_excl[i] = best[pick].excl[i];
    chosen->req = *req; /* as the caller gave it; the resolved request holds the choice */
    chosen->res.exclude_cores = chosen->auto_excl;
    chosen->res.nexclude_cores = pick;
    chosen->res.reserve_auto = 1;
    auto_notes(chosen, topo, req, nz, best, K, pick, step, missing);
    *out = chosen;
    return 0;
}

/* The PU's noise for ordering: its expected delay per step; of two PUs alike, an isolated
 * or nohz_full one first (the kernel keeps its housekeeping off it). */
static double pu_cost(const place_noise_profile *nz, int pu, double step)
{
    const place_noise_pu *e = place_noise_profile_pu(nz, pu);
    if (!e)
        return 0;
    double c = place_noise_pu_mean_delay(e, step);
    return (e->isolated || e->nohz_full) ? c * (1 - 1e-6) - 1e-9 : c;
}

/* Whether the comma-separated list `devices` or the PU's busiest interrupt sources name the
 * NIC (its interface, OpenFabrics name or PCI bus id, as /proc/interrupts spells them). */
static int irq_names_nic(const place_noise_pu *e, const place_device_info *d)
{
    const char *keys[3] = {d->netdev, d->name, d->pci};
    for (int k = 0; k < 3; k++) {
        if (!keys[k] || !*keys[k])
            continue;
        size_t n = strlen(keys[k]);
        for (const char *at = e->devices; (at = strstr(at, keys[k])); at += n) {
            char after = at[n]; /* "eth0" names eth0-TxRx-0, not eth01 */
            if (!(after >= '0' && after <= '9'))
                return 1;
        }
        for (int i = 0; i < e->nirq; i++)
            if (strstr(e->irq[i].name, keys[k]))
                return 1;
    }
    return 0;
}

/* With a profile and NICs handed out: the CPUs that serve each rank's NIC's interrupts, in
 * a note (a rank placed there shares its PU with them). */
static void nic_irq_notes(place_plan *p, const place_noise_profile *nz)
{
    if (!p->nics_bound)
        return;
    int said[64] = {0};
    for (int r = 0; r < p->np[0].nranks; r++)
        for (int j = 0; j < p->np[0].r[r].nnic; j++) {
            int ni = p->np[0].r[r].nic[j];
            place_device_info d;
            if (ni < 0 || ni >= 64 || said[ni]++ ||
                place_topo_device(p->topo, PLACE_DEVICE_NIC, ni, &d) < 0)
                continue;
            char cpus[256] = "";
            size_t at = 0;
            int threads = 0;
            for (int i = 0; i < nz->npus && at + 12 < sizeof cpus; i++)
                if (irq_names_nic(&nz->pus[i], &d)) {
                    at += (size_t)snprintf(cpus + at, sizeof cpus - at, "%s%d", at ? "," : "",
                                           nz->pus[i].pu);
                    for (int q = 0; q < p->np[0].nranks; q++)
                        for (int t = 0; t < p->np[0].r[q].nthreads; t++)
                            threads += p->np[0].r[q].pu_os[t] == nz->pus[i].pu;
                }
            if (at)
                plan_note(
                    p, "NIC %s%s%s%s: its interrupts are served by PU %s (the noise profile); %s",
                    d.name, d.netdev ? " (" : "", d.netdev ? d.netdev : "", d.netdev ? ")" : "",
                    cpus,
                    threads ? "a thread of the plan runs there and shares the PU with them "
                              "(--avoid-noisy or --reserve-cores auto can leave it)"
                            : "no thread of the plan runs there");
            else
                plan_note(p, "NIC %s: the noise profile saw none of its interrupts", d.name);
        }
}

static int avoid_noisy(place_plan *p, place_error *err)
{
    const place_noise_profile *nz = p->req.noise;
    double step = p->req.step_us > 0 ? p->req.step_us : PLACE_STEP_US_DEFAULT;
    int spare = 0, full = 0;
    for (int c = 0; c < 2; c++) {
        nodeplan *np = &p->np[c];
        for (int r = 0; r < np->nranks; r++) {
            lrank *x = &np->r[r];
            if (x->ncpus <= x->nthreads) {
                full++;
                continue;
            }
            int *pus = malloc(sizeof(int) * (size_t)x->ncpus), n = 0;
            if (!pus)
                return place_error_set(err, PLACE_ENOMEM, "out of memory");
            if (place_parse_cpulist("cpuset", x->cpuset, pus, x->ncpus, &n, NULL) < 0) {
                free(pus);
                continue;
            }
            /* the quietest nthreads, then in PU order (neighbours stay neighbours) */
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && pu_cost(nz, pus[j], step) < pu_cost(nz, pus[j - 1], step);
                     j--) {
                    int t = pus[j];
                    pus[j] = pus[j - 1];
                    pus[j - 1] = t;
                }
            int T = x->nthreads < n ? x->nthreads : n;
            spare += n > T;
            for (int i = 1; i < T; i++)
                for (int j = i; j > 0 && pus[j] < pus[j - 1]; j--) {
                    int t = pus[j];
                    pus[j] = pus[j - 1];
                    pus[j - 1] = t;
                }
            for (int t = 0; t < T; t++) {
                x->pu_os[t] = pus[t];
                for (int k = 0; k < p->topo->ncores; k++)
                    for (int i = 0; i < p->topo->cores[k].npu; i++)
                        if (p->topo->pu_pool[p->topo->cores[k].pu_first + i] == pus[t])
                            x->core_l[t] = p->topo->cores[k].core_l;
            }
            free(pus);
        }
        if (p->np[1].nranks == 0 || p->rlo == p->rhi)
            break;
    }
    if (spare)
        plan_note(p, "avoid-noisy: each rank's threads run on its quietest PUs by the noise "
                     "profile (its noisiest are left to helper threads)");
    else if (full)
        plan_note(p, "avoid-noisy: every PU of the ranks runs a thread, none is left to avoid "
                     "(fewer threads with -t, or --reserve-cores auto, leave the noisy ones)");
    return 0;
}

int place_plan_pu_marks(const place_plan *p, int pu_os)
{
    int m = 0;
    for (int i = 0; p->auto_used && i < p->auto_nexcl; i++) {
        const place_core *c = &p->topo->cores[p->auto_excl[i]];
        for (int k = 0; k < c->npu; k++)
            m |= p->topo->pu_pool[c->pu_first + k] == pu_os ? PLACE_PU_RESERVED : 0;
    }
    const place_noise_profile *nz = p->res.noise;
    if (nz && place_noise_pu_noisy(nz, place_noise_profile_pu(nz, pu_os)))
        m |= PLACE_PU_NOISY;
    return m;
}

int place_plan_compute(place_plan **out, const place_topo *topo, const place_request *req,
                       place_error *err)
{
    if (req->reserve_auto ? reserve_auto(out, topo, req, err) < 0
                          : plan_compute_one(out, topo, req, err) < 0)
        return -1;
    if (req->avoid_noisy && !req->noise) {
        plan_note(*out, "avoid-noisy: no noise profile of this node (placerun --profile-node "
                        "makes one, or give --noise-profile FILE): threads placed as usual");
    } else if (req->avoid_noisy && avoid_noisy(*out, err) < 0) {
        place_plan_free(*out);
        *out = NULL;
        return -1;
    }
    if (req->noise)
        nic_irq_notes(*out, req->noise);
    return 0;
}
