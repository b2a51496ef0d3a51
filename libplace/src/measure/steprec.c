/* steprec.c: the barrier-step recorder for bulk-synchronous codes.
 *
 * Each thread writes only its own cache-line-sized slot (begin, work time, counters), so
 * recording needs no lock; one thread closes the step after the barrier and folds the
 * slots into streaming sums (all steps) and a ring of the last `ring` steps (fixed
 * memory: ring x threads floats). Per step: each thread's work time, the maximum, the
 * mean, and each thread's wait at the barrier (max - own).
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/base.h"
#include "place/measure.h"

typedef struct slot {
    int64_t begin_ns, work_ns, paused_work_ns, step_begin_ns;
    int64_t wait_ns_total;
    place_counters *ctr;
    int64_t mig_last, sw_last, mig_step, sw_step, mig_total;
} __attribute__((aligned(64))) slot;

struct place_steprec {
    int nthreads, ring;
    unsigned flags;
    slot *s;
    float *work_us;              /* ring x nthreads */
    float *max_us;               /* ring */
    int32_t *mig_ring, *sw_ring; /* ring: migrations and switches of all threads in the step */
    float *b2b_us, *skew_us;     /* ring: barrier to barrier (NAN for the first step), skew */
    int64_t last_end_ns;
    double sum_b2b, sum_skew;
    int64_t n_b2b;
    int64_t steps;
    double sum_max, sum_mean, sum_wait;
    int64_t migrations, switches;
    int counters_ok;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int place_steprec_create(place_steprec **out, int nthreads, int ring, unsigned flags,
                         place_error *err)
{
    *out = NULL;
    if (nthreads < 1 || ring < 1)
        return place_error_set(err, PLACE_EINVAL,
                               "step recorder: %d threads, ring %d; expected "
                               "at least 1 of each",
                               nthreads, ring);
    place_steprec *r = calloc(1, sizeof *r);
    if (!r)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    r->nthreads = nthreads;
    r->ring = ring;
    r->flags = flags;
    r->counters_ok = 1;
    r->s = aligned_alloc(64, sizeof(slot) * (size_t)nthreads);
    r->work_us = calloc((size_t)ring * (size_t)nthreads, sizeof(float));
    r->max_us = calloc((size_t)ring, sizeof(float));
    r->mig_ring = calloc((size_t)ring, sizeof(int32_t));
    r->sw_ring = calloc((size_t)ring, sizeof(int32_t));
    r->b2b_us = calloc((size_t)ring, sizeof(float));
    r->skew_us = calloc((size_t)ring, sizeof(float));
    if (!r->s || !r->work_us || !r->max_us || !r->mig_ring || !r->sw_ring || !r->b2b_us ||
        !r->skew_us) {
        place_steprec_free(r);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %d steps x %d threads", ring,
                               nthreads);
    }
    memset(r->s, 0, sizeof(slot) * (size_t)nthreads);
    if (flags & PLACE_STEPREC_COUNTERS) {
        place_backend chosen[PLACE_NCTR];
        place_counters_probe(NULL, chosen);
        r->counters_ok = chosen[PLACE_CTR_MIGRATIONS] != PLACE_BACKEND_NONE &&
                         chosen[PLACE_CTR_INVOL_SWITCHES] != PLACE_BACKEND_NONE;
    }
    *out = r;
    return 0;
}

void place_steprec_free(place_steprec *r)
{
    if (!r)
        return;
    for (int t = 0; r->s && t < r->nthreads; t++)
        place_counters_free(r->s[t].ctr);
    free(r->s);
    free(r->work_us);
    free(r->max_us);
    free(r->mig_ring);
    free(r->sw_ring);
    free(r->b2b_us);
    free(r->skew_us);
    free(r);
}

void place_steprec_work_begin(place_steprec *r, int t)
{
    r->s[t].paused_work_ns = 0;
    r->s[t].begin_ns = r->s[t].step_begin_ns = now_ns();
}

void place_steprec_work_pause(place_steprec *r, int t)
{
    r->s[t].paused_work_ns += now_ns() - r->s[t].begin_ns;
}

void place_steprec_work_resume(place_steprec *r, int t)
{
    r->s[t].begin_ns = now_ns();
}

void place_steprec_work_end(place_steprec *r, int t)
{
    slot *s = &r->s[t];
    s->work_ns = s->paused_work_ns + (now_ns() - s->begin_ns);
    if (!(r->flags & PLACE_STEPREC_COUNTERS) || !r->counters_ok)
        return;
    const unsigned need = (1u << PLACE_CTR_MIGRATIONS) | (1u << PLACE_CTR_INVOL_SWITCHES) |
                          (1u << PLACE_CTR_VOL_SWITCHES);
    if (!s->ctr) { /* opened by the thread itself, on its first step */
        if (place_counters_open(&s->ctr, NULL) < 0)
            return;
        int64_t v[PLACE_NCTR];
        place_counters_read_some(s->ctr, v, need);
        s->mig_last = v[PLACE_CTR_MIGRATIONS];
        s->sw_last = v[PLACE_CTR_INVOL_SWITCHES] + v[PLACE_CTR_VOL_SWITCHES];
    }
    int64_t v[PLACE_NCTR];
    place_counters_read_some(s->ctr, v, need);
    int64_t sw = v[PLACE_CTR_INVOL_SWITCHES] + v[PLACE_CTR_VOL_SWITCHES];
    s->mig_step = v[PLACE_CTR_MIGRATIONS] - s->mig_last;
    s->sw_step = sw - s->sw_last;
    s->mig_last = v[PLACE_CTR_MIGRATIONS];
    s->sw_last = sw;
    s->mig_total += s->mig_step;
}

void place_steprec_step_end(place_steprec *r)
{
    int64_t end = now_ns();
    int64_t mx = 0, sum = 0, b0 = INT64_MAX, b1 = INT64_MIN;
    for (int t = 0; t < r->nthreads; t++) {
        sum += r->s[t].work_ns;
        mx = r->s[t].work_ns > mx ? r->s[t].work_ns : mx;
        b0 = r->s[t].step_begin_ns < b0 ? r->s[t].step_begin_ns : b0;
        b1 = r->s[t].step_begin_ns > b1 ? r->s[t].step_begin_ns : b1;
    }
    int row = (int)(r->steps % r->ring);
    r->skew_us[row] = (float)((b1 - b0) * 1e-3);
    r->sum_skew += (b1 - b0) * 1e-3;
    if (r->last_end_ns) {
        r->b2b_us[row] = (float)((end - r->last_end_ns) * 1e-3);
        r->sum_b2b += (end - r->last_end_ns) * 1e-3;
        r->n_b2b++;
    } else {
        r->b2b_us[row] = NAN;
    }
    r->last_end_ns = end;
    float *w = r->work_us + (size_t)row * (size_t)r->nthreads;
    double wait = 0;
    int64_t mig = 0, sw = 0;
    for (int t = 0; t < r->nthreads; t++) {
        slot *s = &r->s[t];
        w[t] = (float)(s->work_ns * 1e-3);
        s->wait_ns_total += mx - s->work_ns;
        wait += (double)(mx - s->work_ns);
        if (r->flags & PLACE_STEPREC_COUNTERS && r->counters_ok) {
            mig += s->mig_step;
            sw += s->sw_step;
            s->mig_step = s->sw_step = 0;
        }
        place_sde_set(t, s->mig_total, s->wait_ns_total, -1, -1);
    }
    r->migrations += mig;
    r->switches += sw;
    r->mig_ring[row] = (int32_t)mig;
    r->sw_ring[row] = (int32_t)sw;
    r->max_us[row] = (float)(mx * 1e-3);
    r->sum_max += mx * 1e-3;
    r->sum_mean += (double)sum / r->nthreads * 1e-3;
    r->sum_wait += wait / r->nthreads * 1e-3;
    r->steps++;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The q quantile of the n finite values of v (NAN if none). */
static double quantile_f(const float *v, size_t n, double q)
{
    float *m = malloc(sizeof(float) * (n + 1));
    if (!m)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            m[k++] = v[i];
    double out = NAN;
    if (k) {
        qsort(m, k, sizeof *m, cmp_float);
        out = m[(size_t)(q * (double)(k - 1))];
    }
    free(m);
    return out;
}

void place_steprec_stats(const place_steprec *r, place_step_stats *st)
{
    memset(st, 0, sizeof *st);
    st->steps = r->steps;
    st->nthreads = r->nthreads;
    st->ranks = 1;
    int kept = r->steps < r->ring ? (int)r->steps : r->ring;
    if (r->steps) {
        st->mean_max_us = r->sum_max / r->steps;
        st->mean_mean_us = r->sum_mean / r->steps;
        st->slowdown = st->mean_mean_us > 0 ? st->mean_max_us / st->mean_mean_us : NAN;
        st->mean_wait_us = r->sum_wait / r->steps;
    }
    if (kept) {
        float *m = malloc(sizeof(float) * (size_t)kept);
        if (m) {
            memcpy(m, r->max_us, sizeof(float) * (size_t)kept);
            qsort(m, (size_t)kept, sizeof *m, cmp_float);
            st->max_p50_us = m[kept / 2];
            st->max_p90_us = m[(int)(kept * 0.9)];
            st->max_p99_us = m[(int)(kept * 0.99)];
            free(m);
        }
    }
    int on = (r->flags & PLACE_STEPREC_COUNTERS) && r->counters_ok;
    st->migrations = on ? r->migrations : PLACE_UNAVAILABLE;
    st->switches = on ? r->switches : PLACE_UNAVAILABLE;
    st->mean_b2b_us = r->n_b2b ? r->sum_b2b / r->n_b2b : NAN;
    st->mean_skew_us = r->steps ? r->sum_skew / r->steps : NAN;
    st->b2b_p99_us = quantile_f(r->b2b_us, (size_t)kept, 0.99);
    st->skew_p99_us = quantile_f(r->skew_us, (size_t)kept, 0.99);
    st->ref_us = quantile_f(r->work_us, (size_t)kept * (size_t)r->nthreads, 0.05);
    st->noise_cost_us = st->mean_max_us - st->ref_us;
    st->noise_cost_fraction = st->ref_us > 0 ? st->noise_cost_us / st->ref_us : NAN;
    st->b2b_ref_us = quantile_f(r->b2b_us, (size_t)kept, 0.05);
    st->b2b_noise_cost_us = st->mean_b2b_us - st->b2b_ref_us;
}

int place_steprec_samples(const place_steprec *r, int t, double *out, int n)
{
    int kept = r->steps < r->ring ? (int)r->steps : r->ring, k = 0;
    int64_t first = r->steps - kept;
    for (int64_t s = first; s < r->steps && k < n; s++)
        out[k++] = r->work_us[(size_t)(s % r->ring) * (size_t)r->nthreads + (size_t)t];
    return k;
}

static json_t *maybe(int64_t v)
{
    return v == PLACE_UNAVAILABLE ? json_string("unavailable") : json_integer(v);
}

static json_t *maybe_real(double v)
{
    return isfinite(v) ? json_real(v) : json_string("unavailable");
}

/* The metrics beside the slowdown (see place_step_stats). */
int place_step_stats_metrics(const place_step_stats *st, const char **names, double *values,
                             int cap)
{
    const char *k[PLACE_STEP_METRICS] = {"mean_b2b_us",         "b2b_p99_us", "mean_skew_us",
                                         "skew_p99_us",         "ref_us",     "noise_cost_us",
                                         "noise_cost_fraction", "b2b_ref_us", "b2b_noise_cost_us"};
    const double v[PLACE_STEP_METRICS] = {
        st->mean_b2b_us,         st->b2b_p99_us, st->mean_skew_us,
        st->skew_p99_us,         st->ref_us,     st->noise_cost_us,
        st->noise_cost_fraction, st->b2b_ref_us, st->b2b_noise_cost_us};
    for (int i = 0; i < PLACE_STEP_METRICS && i < cap; i++) {
        names[i] = k[i];
        values[i] = v[i];
    }
    return PLACE_STEP_METRICS;
}

static void add_metrics(json_t *o, const place_step_stats *st)
{
    const char *k[PLACE_STEP_METRICS];
    double v[PLACE_STEP_METRICS];
    int n = place_step_stats_metrics(st, k, v, PLACE_STEP_METRICS);
    for (int i = 0; i < n; i++)
        json_object_set_new(o, k[i], maybe_real(v[i]));
    json_object_set_new(o, "ref_rule", json_string(PLACE_STEP_REF_RULE));
}

int place_steprec_write_json(const place_steprec *r, FILE *f, place_error *err)
{
    place_step_stats st;
    place_steprec_stats(r, &st);
    json_t *wait = json_array();
    for (int t = 0; t < r->nthreads; t++)
        json_array_append_new(wait,
                              json_real(r->steps ? r->s[t].wait_ns_total * 1e-3 / r->steps : 0));
    json_t *o = json_pack(
        "{s:s,s:s,s:I,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:o,s:o,s:o}", "schema", "place-steps/1",
        "scope", "rank", "steps", (json_int_t)st.steps, "threads", st.nthreads, "ring", r->ring,
        "mean_max_us", st.mean_max_us, "mean_mean_us", st.mean_mean_us, "slowdown",
        isnan(st.slowdown) ? 0.0 : st.slowdown, "max_p50_us", st.max_p50_us, "max_p90_us",
        st.max_p90_us, "max_p99_us", st.max_p99_us, "mean_wait_us", st.mean_wait_us, "migrations",
        maybe(st.migrations), "switches", maybe(st.switches), "mean_wait_us_per_thread", wait);
    add_metrics(o, &st);
    int rc = json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc < 0 || fputc('\n', f) == EOF)
        return place_error_set(err, PLACE_ESYS, "writing the step record failed");
    return 0;
}

int place_steprec_write_csv(const place_steprec *r, FILE *f, place_error *err)
{
    int kept = r->steps < r->ring ? (int)r->steps : r->ring;
    int on = (r->flags & PLACE_STEPREC_COUNTERS) && r->counters_ok;
    fprintf(f, "# per-step work time of each thread in microseconds; max and mean over threads;"
               " migrations and switches of all threads in the step (empty: unavailable)\n");
    fprintf(f, "step,max_us,mean_us,migrations,switches");
    for (int t = 0; t < r->nthreads; t++)
        fprintf(f, ",t%d_us", t);
    fputc('\n', f);
    for (int64_t s = r->steps - kept; s < r->steps; s++) {
        const float *w = r->work_us + (size_t)(s % r->ring) * (size_t)r->nthreads;
        double sum = 0;
        for (int t = 0; t < r->nthreads; t++)
            sum += w[t];
        fprintf(f, "%lld,%.3f,%.3f,", (long long)s, r->max_us[s % r->ring], sum / r->nthreads);
        if (on)
            fprintf(f, "%d,%d", r->mig_ring[s % r->ring], r->sw_ring[s % r->ring]);
        else
            fputc(',', f);
        for (int t = 0; t < r->nthreads; t++)
            fprintf(f, ",%.3f", w[t]);
        if (fputc('\n', f) == EOF)
            return place_error_set(err, PLACE_ESYS, "writing the step CSV failed");
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void place_step_stats_from_steps(const double *max_us, const double *sum_us, int steps,
                                 int nthreads, int ranks, place_step_stats *s)
{
    memset(s, 0, sizeof *s);
    s->steps = steps;
    s->nthreads = nthreads;
    s->ranks = ranks;
    s->migrations = s->switches = PLACE_UNAVAILABLE;
    s->mean_b2b_us = s->b2b_p99_us = s->mean_skew_us = s->skew_p99_us = NAN;
    s->ref_us = s->noise_cost_us = s->noise_cost_fraction = NAN;
    s->b2b_ref_us = s->b2b_noise_cost_us = NAN;
    if (steps < 1 || nthreads < 1)
        return;
    double smax = 0, smean = 0, swait = 0;
    for (int i = 0; i < steps; i++) {
        double mean = sum_us[i] / nthreads;
        smax += max_us[i];
        smean += mean;
        swait += max_us[i] - mean;
    }
    s->mean_max_us = smax / steps;
    s->mean_mean_us = smean / steps;
    s->slowdown = s->mean_mean_us > 0 ? s->mean_max_us / s->mean_mean_us : NAN;
    s->mean_wait_us = swait / steps;
    double *m = malloc(sizeof(double) * (size_t)steps);
    if (m) {
        memcpy(m, max_us, sizeof(double) * (size_t)steps);
        qsort(m, (size_t)steps, sizeof *m, cmp_double);
        s->max_p50_us = m[steps / 2];
        s->max_p90_us = m[(int)(steps * 0.9)];
        s->max_p99_us = m[(int)(steps * 0.99)];
        free(m);
    }
}

int place_step_stats_write_json(const place_step_stats *s, FILE *f, place_error *err)
{
    char scope[64];
    if (s->ranks > 1)
        snprintf(scope, sizeof scope, "job of %d ranks", s->ranks);
    else
        snprintf(scope, sizeof scope, "rank");
    json_t *o = json_pack(
        "{s:s,s:s,s:I,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:o,s:o}", "schema", "place-steps/1",
        "scope", scope, "steps", (json_int_t)s->steps, "threads", s->nthreads, "ranks", s->ranks,
        "mean_max_us", s->mean_max_us, "mean_mean_us", s->mean_mean_us, "slowdown",
        isnan(s->slowdown) ? 0.0 : s->slowdown, "max_p50_us", s->max_p50_us, "max_p90_us",
        s->max_p90_us, "max_p99_us", s->max_p99_us, "mean_wait_us", s->mean_wait_us, "migrations",
        maybe(s->migrations), "switches", maybe(s->switches));
    if (o)
        add_metrics(o, s);
    int rc = o ? json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : -1;
    json_decref(o);
    if (rc < 0 || fputc('\n', f) == EOF)
        return place_error_set(err, PLACE_ESYS, "writing the step statistics failed");
    return 0;
}
