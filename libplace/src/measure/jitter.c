/* jitter.c: how much of each CPU the system takes away, measured two ways.
 *
 * FWQ (fixed work quantum): each thread repeats a calibrated quantum of work and times
 * every repetition; the fastest repetition is the baseline, and a repetition longer
 * than the baseline by more than max(threshold_us, rel_threshold x baseline) held a
 * detour of that excess. Selfish detour: each thread reads the clock in a tight loop; a
 * gap between two reads beyond the threshold is a detour. The first 10% of the run only
 * calibrates the baseline (it is not counted), so the classification can stream.
 *
 * Threads are pinned one per PU and released together by a barrier, so detours of
 * different threads can be compared in time: the coincident fraction is the share of
 * detours that overlap a detour of another thread (noise synchronised across CPUs makes
 * the independent models (a) and (b) wrong, which is why it is reported).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/base.h"
#include "place/jitter.h"
#include "place/measure.h"
#include "place/noisestats.h"

#define MAX_DETOURS 200000
#define QUANTUM_SAMPLES 4096

void place_jitter_opts_init(place_jitter_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = PLACE_JITTER_FWQ;
    o->seconds = 2;
    o->quantum_us = 50;
    o->threshold_us = 5;
    o->rel_threshold = 0.1;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static volatile double sink;

void place_jitter_fwq_work(long iters)
{
    double x = 1.0;
    for (long i = 0; i < iters; i++)
        x = x * 1.0000001 + 1e-9;
    sink = x;
}
#define work place_jitter_fwq_work

long place_jitter_fwq_calibrate(double quantum_us)
{
    long iters = 1000;
    for (int round = 0; round < 20; round++) {
        double best = 1e9;
        for (int k = 0; k < 5; k++) {
            double t0 = now_s();
            work(iters);
            double dt = now_s() - t0;
            best = dt < best ? dt : best;
        }
        double us = best * 1e6;
        if (us > 0.9 * quantum_us && us < 1.1 * quantum_us)
            break;
        iters = (long)(iters * quantum_us / (us > 0.01 ? us : 0.01));
        if (iters < 1)
            iters = 1;
    }
    return iters;
}

typedef struct worker {
    const place_jitter_opts *o;
    int pu;
    pthread_barrier_t *bar;
    double t0; /* common start */
    place_jitter_thread *out;
    int err;
} worker;

/* The largest lengths: a min-heap of PLACE_JITTER_KEEP, its smallest at the root. */
static void keep_largest(place_jitter_thread *r, double len_us)
{
    double *h = r->largest_us;
    int n = r->nlargest, i;
    if (n < PLACE_JITTER_KEEP) {
        for (i = r->nlargest++; i > 0 && h[(i - 1) / 2] > len_us; i = (i - 1) / 2)
            h[i] = h[(i - 1) / 2];
        h[i] = len_us;
        return;
    }
    if (!(len_us > h[0]))
        return;
    for (i = 0;;) {
        int c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] < h[c])
            c++;
        if (!(h[c] < len_us))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = len_us;
}

static void add_detour(place_jitter_thread *r, double start, double len_us, double *sum_len,
                       uint64_t *lcg)
{
    r->detours++;
    *sum_len += len_us;
    if (r->nsamples < MAX_DETOURS) {
        r->samples_us[r->nsamples] = len_us;
        r->starts_s[r->nsamples] = start;
        r->nsamples++;
    }
    /* a uniform sample of every detour (reservoir sampling), and the largest */
    if (r->nkept < PLACE_JITTER_KEEP) {
        r->kept_us[r->nkept++] = len_us;
    } else {
        uint64_t j =
            (place_lcg_next(lcg) >> 11) % (uint64_t)r->detours; /* 53 bits: no bias below 2^40 */
        if (j < PLACE_JITTER_KEEP)
            r->kept_us[j] = len_us;
    }
    keep_largest(r, len_us);
}

static void *run_thread(void *arg)
{
    worker *w = arg;
    const place_jitter_opts *o = w->o;
    place_jitter_thread *r = w->out;
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(w->pu, &cs);
    if (sched_setaffinity(0, sizeof cs, &cs) < 0)
        w->err = errno;
    if (o->sched_idle) {
        struct sched_param sp = {0};
        sched_setscheduler(0, SCHED_IDLE, &sp);
    }
    long iters = o->mode == PLACE_JITTER_FWQ ? place_jitter_fwq_calibrate(o->quantum_us) : 0;
    pthread_barrier_wait(w->bar);
    double start = w->t0, end = start + o->seconds, calib_end = start + 0.1 * o->seconds;
    while (now_s() < start)
        ;
    double base = 1e9, sum_t = 0, sum_len = 0;
    int64_t n = 0;
    uint64_t lcg = (uint64_t)w->pu * 2654435761u + 1, dlcg = lcg ^ 0x9e3779b97f4a7c15ULL;
    double prev = now_s();
    for (;;) {
        double t1, dt;
        if (o->mode == PLACE_JITTER_FWQ) {
            work(iters);
            t1 = now_s();
        } else {
            t1 = now_s();
        }
        dt = (t1 - prev) * 1e6;
        if (t1 < calib_end) {
            base = dt < base ? dt : base;
        } else {
            base = dt < base ? dt : base;
            double thr = o->threshold_us > o->rel_threshold * base ? o->threshold_us
                                                                   : o->rel_threshold * base;
            if (dt - base > thr)
                add_detour(r, prev - start, dt - base, &sum_len, &dlcg);
            sum_t += dt;
            n++;
            /* a uniform sample of quantum times for the empirical model */
            if (o->mode == PLACE_JITTER_FWQ) {
                if (r->nquantum < QUANTUM_SAMPLES)
                    r->quantum_us[r->nquantum++] = dt;
                else {
                    uint64_t j = (place_lcg_next(&lcg) >> 33) % (uint64_t)n;
                    if (j < QUANTUM_SAMPLES)
                        r->quantum_us[j] = dt;
                }
            }
        }
        prev = t1;
        if (t1 >= end)
            break;
    }
    r->pu = w->pu;
    r->quanta = n;
    r->baseline_us = base;
    double span = end - calib_end;
    r->detour_rate_hz = span > 0 ? r->detours / span : 0;
    r->noise_fraction = sum_t > 0 ? sum_len / sum_t : 0;
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Length quantiles of one thread from its kept lengths: the sample for the body, the
 * largest where the quantile lies among them. */
static void quantiles(place_jitter_thread *r)
{
    if (!r->detours)
        return;
    place_detour_keep k = {r->kept_us, r->nkept, r->largest_us, r->nlargest, r->detours};
    place_detour_pool p;
    if (place_detour_pool_build(&k, 1, 1, &p, NULL) < 0)
        return;
    const double q[3] = {0.5, 0.9, 0.99};
    double *out[3] = {&r->len_p50_us, &r->len_p90_us, &r->len_p99_us};
    for (int i = 0; i < 3; i++) {
        int64_t above = (int64_t)((1 - q[i]) * (double)r->detours); /* lengths above it */
        if (p.exact || above >= p.ntop)
            *out[i] = p.body[(int)(q[i] * p.nbody)];
        else
            *out[i] = p.top[p.ntop - 1 - above];
    }
    r->len_max_us = p.ntop ? p.top[p.ntop - 1] : p.body[p.nbody - 1];
    place_detour_pool_fini(&p);
}

/* Share of thread i's detours that overlap a detour of another thread (both lists are
 * in time order: a sweep per pair). */
static void coincidence(place_jitter_result *res)
{
    int64_t total = 0, hit_all = 0;
    for (int i = 0; i < res->nthreads; i++) {
        place_jitter_thread *a = &res->t[i];
        int64_t hit = 0;
        for (int k = 0; k < a->nsamples; k++) {
            double s0 = a->starts_s[k], s1 = s0 + a->samples_us[k] * 1e-6 + a->baseline_us * 1e-6;
            int found = 0;
            for (int j = 0; j < res->nthreads && !found; j++) {
                if (j == i)
                    continue;
                place_jitter_thread *b = &res->t[j];
                /* binary search for the first detour of b ending after s0 */
                int lo = 0, hi = b->nsamples;
                while (lo < hi) {
                    int mid = (lo + hi) / 2;
                    double e = b->starts_s[mid] + b->samples_us[mid] * 1e-6 + b->baseline_us * 1e-6;
                    if (e < s0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                found = lo < b->nsamples && b->starts_s[lo] <= s1;
            }
            hit += found;
        }
        a->coincident_fraction = a->nsamples ? (double)hit / a->nsamples : 0;
        total += a->nsamples;
        hit_all += hit;
    }
    res->coincident_fraction = total ? (double)hit_all / total : 0;
}

void place_jitter_fini(place_jitter_result *r)
{
    if (!r || !r->t)
        return;
    for (int i = 0; i < r->nthreads; i++) {
        free(r->t[i].samples_us);
        free(r->t[i].starts_s);
        free(r->t[i].quantum_us);
        free(r->t[i].kept_us);
        free(r->t[i].largest_us);
    }
    free(r->t);
    r->t = NULL;
}

int place_jitter_run(const int *pus, int npus, const place_jitter_opts *o, place_jitter_result *res,
                     place_error *err)
{
    memset(res, 0, sizeof *res);
    if (npus < 1)
        return place_error_set(err, PLACE_EINVAL, "jitter probe: no PU given");
    if (!(o->seconds > 0 && o->seconds <= 86400) || !(o->quantum_us > 0) || o->threshold_us < 0)
        return place_error_set(
            err, PLACE_EINVAL,
            "jitter probe: duration %g s, quantum %g us, "
            "threshold %g us; expected 0 < s <= 86400, quantum > 0, threshold >= 0",
            o->seconds, o->quantum_us, o->threshold_us);
    res->opts = *o;
    res->nthreads = npus;
    res->t = calloc((size_t)npus, sizeof *res->t);
    worker *w = calloc((size_t)npus, sizeof *w);
    pthread_t *th = calloc((size_t)npus, sizeof *th);
    pthread_barrier_t bar;
    if (!res->t || !w || !th || pthread_barrier_init(&bar, NULL, (unsigned)npus + 1)) {
        free(w);
        free(th);
        place_jitter_fini(res);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for the jitter probe");
    }
    int rc = 0;
    for (int i = 0; i < npus; i++) {
        place_jitter_thread *r = &res->t[i];
        r->samples_us = malloc(sizeof(double) * MAX_DETOURS);
        r->starts_s = malloc(sizeof(double) * MAX_DETOURS);
        r->quantum_us = malloc(sizeof(double) * QUANTUM_SAMPLES);
        r->kept_us = malloc(sizeof(double) * PLACE_JITTER_KEEP);
        r->largest_us = malloc(sizeof(double) * PLACE_JITTER_KEEP);
        if (!r->samples_us || !r->starts_s || !r->quantum_us || !r->kept_us || !r->largest_us)
            rc = place_error_set(err, PLACE_ENOMEM, "out of memory for the jitter probe");
    }
    int started = 0;
    for (int i = 0; i < npus && rc == 0; i++) {
        w[i] = (worker){.o = o, .pu = pus[i], .bar = &bar, .out = &res->t[i]};
        if (pthread_create(&th[i], NULL, run_thread, &w[i]) != 0)
            rc = place_error_set(err, PLACE_ESYS, "jitter probe: cannot start a thread");
        else
            started++;
    }
    if (rc == 0) {
        /* everyone calibrated: the start is 20 ms from now, the same for all */
        double t0 = now_s() + 0.02;
        for (int i = 0; i < npus; i++)
            w[i].t0 = t0;
        pthread_barrier_wait(&bar);
    } else {
        /* threads already waiting must not hang: cannot release a partial barrier, so
         * the probe only starts threads once all allocations succeeded */
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    for (int i = 0; i < npus && rc == 0; i++)
        if (w[i].err)
            rc = place_error_set(err, PLACE_ESYS, "jitter probe: cannot pin a thread to PU %d: %s",
                                 pus[i], strerror(w[i].err));
    free(w);
    free(th);
    if (rc) {
        place_jitter_fini(res);
        return -1;
    }
    for (int i = 0; i < npus; i++) {
        quantiles(&res->t[i]);
        place_sde_set(i, -1, -1, res->t[i].detours, (int64_t)(res->t[i].noise_fraction * 1e6));
    }
    coincidence(res);
    /* against chance, and the tail */
    place_detour_stream *ds = calloc((size_t)npus, sizeof *ds);
    place_detour_keep *keep = calloc((size_t)npus, sizeof *keep);
    int64_t total = 0;
    for (int i = 0; i < npus; i++)
        total += res->t[i].detours;
    if (ds && keep) {
        double span = o->seconds * 0.9;
        for (int i = 0; i < npus; i++) {
            place_jitter_thread *t = &res->t[i];
            ds[i] = (place_detour_stream){t->starts_s, t->samples_us, t->nsamples, t->baseline_us,
                                          span};
            keep[i] =
                (place_detour_keep){t->kept_us, t->nkept, t->largest_us, t->nlargest, t->detours};
        }
        place_coincidence c;
        place_coincidence_streams(ds, npus, &c);
        place_tick_analyze(ds, npus, &res->tick);
        res->coincidence_chance = c.expected;
        res->coincidence_kappa = c.kappa;
        res->coincidence_len_corr = c.len_corr;
        place_gpd_fit f;
        place_error fe;
        place_detour_pool pool;
        if (total < 300) {
            snprintf(res->tail_note, sizeof res->tail_note,
                     "%lld detours; a tail fit needs 300 "
                     "(a longer probe)",
                     (long long)total);
        } else if (place_detour_pool_build(keep, npus, 1, &pool, &fe) < 0) {
            snprintf(res->tail_note, sizeof res->tail_note, "%.150s", fe.msg);
        } else {
            /* every detour above the threshold, whatever the probe's length */
            if (place_gpd_fit_samples(pool.top, pool.ntop, pool.u, 0, 1, &f, &fe) < 0) {
                snprintf(res->tail_note, sizeof res->tail_note, "%.150s", fe.msg);
            } else {
                res->tail_ok = 1;
                res->tail_u = f.u;
                res->tail_n = f.n;
                res->tail_xi = f.xi;
                res->tail_xi_lo = f.xi_lo;
                res->tail_xi_hi = f.xi_hi;
                res->tail_sigma = f.sigma;
                res->tail_index = f.tail_index;
                res->tail_fit = f;
            }
            place_detour_pool_fini(&pool);
        }
    } else {
        res->coincidence_chance = res->coincidence_kappa = res->coincidence_len_corr = NAN;
        snprintf(res->tail_note, sizeof res->tail_note, "out of memory for the tail fit");
    }
    free(ds);
    free(keep);
    return 0;
}

int place_jitter_write_json(const place_jitter_result *r, FILE *f, place_error *err)
{
    json_t *th = json_array();
    for (int i = 0; i < r->nthreads; i++) {
        const place_jitter_thread *t = &r->t[i];
        json_t *q = json_array();
        for (int k = 0; k < t->nquantum; k++)
            json_array_append_new(q, json_real(t->quantum_us[k]));
        /* a uniform sample of the lengths (all of them when detours == its size) and, when
         * it is not all, the largest, longest first */
        json_t *d = json_array(), *big = json_array();
        for (int k = 0; k < t->nkept; k++)
            json_array_append_new(d, json_real(t->kept_us[k]));
        if (t->nkept < t->detours) {
            double *s = malloc(sizeof(double) * (size_t)(t->nlargest + 1));
            if (!s) {
                json_decref(q), json_decref(d), json_decref(big), json_decref(th);
                return place_error_set(err, PLACE_ENOMEM, "out of memory for the jitter report");
            }
            memcpy(s, t->largest_us, sizeof(double) * (size_t)t->nlargest);
            qsort(s, (size_t)t->nlargest, sizeof *s, cmp_double);
            for (int k = t->nlargest - 1; k >= 0; k--)
                json_array_append_new(big, json_real(s[k]));
            free(s);
        }
        json_array_append_new(
            th, json_pack("{s:i,s:I,s:f,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:o,s:o}", "pu", t->pu,
                          "quanta", (json_int_t)t->quanta, "baseline_us", t->baseline_us, "detours",
                          (json_int_t)t->detours, "detour_rate_hz", t->detour_rate_hz,
                          "noise_fraction", t->noise_fraction, "len_p50_us", t->len_p50_us,
                          "len_p90_us", t->len_p90_us, "len_p99_us", t->len_p99_us, "len_max_us",
                          t->len_max_us, "coincident_fraction", t->coincident_fraction,
                          "quantum_sample_us", q, "detour_us", d));
        json_object_set_new(json_array_get(th, json_array_size(th) - 1), "detour_largest_us", big);
    }
    json_t *tail =
        r->tail_ok ? json_pack("{s:f,s:i,s:f,s:f,s:f,s:f,s:o}", "threshold_us", r->tail_u,
                               "exceedances", r->tail_n, "xi", r->tail_xi, "xi_lo95", r->tail_xi_lo,
                               "xi_hi95", r->tail_xi_hi, "sigma_us", r->tail_sigma, "tail_index",
                               isfinite(r->tail_index) ? json_real(r->tail_index)
                                                       : json_string("infinite"))
                   : json_pack("{s:s}", "unavailable", r->tail_note);
    json_t *o =
        json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:b,s:f,s:o}", "schema", "place-jitter/1", "mode",
                  r->opts.mode == PLACE_JITTER_FWQ ? "fwq" : "selfish", "seconds", r->opts.seconds,
                  "quantum_us", r->opts.quantum_us, "threshold_us", r->opts.threshold_us,
                  "rel_threshold", r->opts.rel_threshold, "sched_idle", r->opts.sched_idle,
                  "coincident_fraction", r->coincident_fraction, "threads", th);
    json_object_set_new(o, "coincidence_chance",
                        isfinite(r->coincidence_chance) ? json_real(r->coincidence_chance)
                                                        : json_string("unavailable"));
    json_object_set_new(o, "coincidence_kappa",
                        isfinite(r->coincidence_kappa) ? json_real(r->coincidence_kappa)
                                                       : json_string("unavailable"));
    json_object_set_new(o, "coincident_length_correlation",
                        isfinite(r->coincidence_len_corr) ? json_real(r->coincidence_len_corr)
                                                          : json_string("unavailable"));
    if (r->tail_ok) {
        const place_gpd_fit *f = &r->tail_fit;
        json_t *st = json_array();
        for (int i = 0; i < f->nstab; i++)
            json_array_append_new(st,
                                  json_pack("{s:f,s:i,s:f,s:f,s:f}", "threshold_us", f->stab_u[i],
                                            "exceedances", f->stab_n[i], "xi", f->stab_xi[i],
                                            "xi_lo95", f->stab_lo[i], "xi_hi95", f->stab_hi[i]));
        json_object_set_new(tail, "stability", st);
        json_object_set_new(tail, "threshold_stable", json_boolean(f->stable));
        json_object_set_new(tail, "xi_second_mode",
                            isnan(f->xi_alt) ? json_null() : json_real(f->xi_alt));
    }
    json_object_set_new(o, "tail", tail);
    const place_tick *tk = &r->tick;
    json_t *ph = json_array();
    for (int i = 0; i < tk->nthreads; i++)
        json_array_append_new(ph,
                              json_pack("{s:f,s:f}", "phase_us", tk->phase_us[i], "R", tk->R[i]));
    json_object_set_new(o, "tick",
                        json_pack("{s:b,s:f,s:f,s:f,s:b,s:f,s:o}", "found", tk->found, "hz", tk->hz,
                                  "period_us", tk->period_us, "p_value", tk->p_value, "aligned",
                                  tk->aligned, "near_fraction", tk->near_fraction, "threads", ph));
    int rc = json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc < 0 || fputc('\n', f) == EOF)
        return place_error_set(err, PLACE_ESYS, "writing the jitter report failed");
    return 0;
}
