/* models.c: what the barrier-step slowdown should be, by closed form and Monte Carlo.
 *
 * A bulk-synchronous step ends when its slowest thread does, so noise costs the maximum
 * of N thread delays, not their mean:
 *   (a) i.i.d. exponential delays, mean mu: E[max of N] = mu H_N (the expected maximum of
 *       N exponentials is the harmonic number times the mean);
 *   (b) rare detours of length L with probability p per thread and step:
 *       E[max of N] = L (1 - (1 - p)^N);
 *   (c) the measured per-thread distribution, assumed independent across threads:
 *       E[max of N] from the order statistics of the empirical CDF, F_max = F^N;
 *   (d) migration: moving pages or threads costs r once and saves sigma of the remaining
 *       time T; it pays when T sigma > r.
 * The Monte Carlo estimates draw the maximum directly by inversion, max = F^-1(U^(1/N)),
 * which is exact for every N; for N <= 64 they simulate every thread instead, an
 * independent route for the tests to compare.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/parse.h"
#include "place/models.h"
#include "place/noise.h"
#include "place/noisestats.h"

double place_model_harmonic(double N)
{
    if (N < 1)
        return 0;
    if (N <= 1e6) {
        double h = 0;
        for (long k = (long)N; k >= 1; k--) /* small terms first */
            h += 1.0 / (double)k;
        return h;
    }
    /* Euler-Maclaurin: ln N + gamma + 1/2N - 1/12N^2 + 1/120N^4 */
    return log(N) + 0.57721566490153286 + 0.5 / N - 1.0 / (12 * N * N) +
           1.0 / (120 * N * N * N * N);
}

double place_model_exp_slowdown(double w, double mu, double N)
{
    return (w + mu * place_model_harmonic(N)) / (w + mu);
}

double place_model_detour_slowdown(double w, double p, double L, double N)
{
    double hit = -expm1(N * log1p(-p)); /* 1 - (1-p)^N, accurate for small p */
    return (w + L * hit) / (w + p * L);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double place_model_empirical_slowdown(double *x, int m, double N)
{
    if (m < 1)
        return NAN;
    double mean = 0, emax = place_model_empirical_emax(x, m, N);
    for (int i = 0; i < m; i++)
        mean += x[i];
    return emax / (mean / m);
}

double place_model_empirical_emax(double *x, int m, double N)
{
    if (m < 1)
        return NAN;
    qsort(x, (size_t)m, sizeof *x, cmp_double);
    double emax = 0, prev = 0;
    for (int i = 1; i <= m; i++) {
        double cur = exp(N * log((double)i / m)); /* (i/m)^N */
        emax += x[i - 1] * (cur - prev);
        prev = cur;
    }
    return emax;
}

int place_model_migrate(double remaining_s, double sigma, double cost_s)
{
    return remaining_s * sigma > cost_s;
}

/* One draw of the maximum of N i.i.d. delays under the model. */
static double draw_max(char kind, double a, double b, const double *sorted, int m, double N,
                       place_rng *r)
{
    if (N <= 64) { /* simulate every thread */
        double mx = 0;
        for (int i = 0; i < (int)N; i++) {
            double v;
            if (kind == 'a')
                v = -a * log(place_rng_uniform(r));
            else if (kind == 'b')
                v = place_rng_uniform(r) < a ? b : 0;
            else
                v = sorted[(int)(place_rng_uniform(r) * m) % m];
            mx = v > mx ? v : mx;
        }
        return mx;
    }
    double lu = log(place_rng_uniform(r)) / N; /* ln U^(1/N) */
    if (kind == 'a')                           /* F^-1(q) = -mu ln(1 - q), 1 - q = -expm1(lu) */
        return -a * log(-expm1(lu));
    if (kind == 'b') /* the max is L unless all N missed: q > 1 - p */
        return exp(lu) > 1 - a ? b : 0;
    int idx = (int)ceil(exp(lu) * m) - 1; /* empirical quantile */
    return sorted[idx < 0 ? 0 : (idx >= m ? m - 1 : idx)];
}

double place_model_monte_carlo(char kind, double w, double a, double b, const double *x, int m,
                               double N, int trials, uint64_t seed, double *ci)
{
    place_rng r;
    place_rng_seed(&r, seed);
    double *sorted = NULL, mean_delay;
    if (kind == 'c') {
        sorted = malloc(sizeof(double) * (size_t)m);
        if (!sorted)
            return NAN;
        for (int i = 0; i < m; i++)
            sorted[i] = x[i];
        qsort(sorted, (size_t)m, sizeof *sorted, cmp_double);
        mean_delay = 0;
        for (int i = 0; i < m; i++)
            mean_delay += sorted[i];
        mean_delay /= m;
        w = 0; /* the samples are whole step times */
    } else {
        mean_delay = kind == 'a' ? a : a * b;
    }
    double sum = 0, sum2 = 0;
    for (int t = 0; t < trials; t++) {
        double v = w + draw_max(kind, a, b, sorted, m, N, &r);
        sum += v;
        sum2 += v * v;
    }
    free(sorted);
    double mean = sum / trials, var = trials > 1 ? (sum2 - sum * mean) / (trials - 1) : 0;
    double denom = w + mean_delay;
    if (ci)
        *ci = 1.96 * sqrt(var > 0 ? var / trials : 0) / denom;
    return mean / denom;
}

/* ---- injected noise: one row per kind ---------------------------------------------------
 * A kind's name and numbers as the CLIs spell them (with their bounds), the delay it draws
 * (the step's first uniform number u given, further ones from *state), its mean delay per
 * step, and the closed-form models of N threads' slowdown on work w, named as the reports
 * name them. A new kind is a row, its functions, and its tests. */

static double lcg_uniform(uint64_t *state) /* Knuth's MMIX LCG: seeded runs repeat */
{
    return ((double)(place_lcg_next(state) >> 11) + 0.5) * 0x1.0p-53;
}

static double draw_exp(const place_noise *n, double u, uint64_t *state)
{
    (void)state;
    return -n->mean_us * log(u);
}

static double draw_detour(const place_noise *n, double u, uint64_t *state)
{
    (void)state;
    return u < n->p ? n->len_us : 0;
}

static double draw_poisson(const place_noise *n, double u, uint64_t *state)
{
    /* arrivals by exponential gaps over the window */
    double at = -log(u) * 1e6 / n->rate_hz, d = 0;
    while (at < n->window_us) {
        d += n->len_us;
        at += -log(lcg_uniform(state)) * 1e6 / n->rate_hz;
    }
    return d;
}

static double mean_exp(const place_noise *n)
{
    return n->mean_us;
}
static double mean_detour(const place_noise *n)
{
    return n->p * n->len_us;
}
static double mean_poisson(const place_noise *n)
{
    return n->rate_hz * n->window_us * 1e-6 * n->len_us;
}

static int models_exp(const place_noise *n, double w, double N, const char **k, double *v, int max)
{
    if (max < 1)
        return 0;
    k[0] = "a_exponential";
    v[0] = place_model_exp_slowdown(w, n->mean_us, N);
    return 1;
}

static int models_detour(const place_noise *n, double w, double N, const char **k, double *v,
                         int max)
{
    if (max < 1)
        return 0;
    k[0] = "b_hit_probability";
    v[0] = place_model_detour_slowdown(w, n->p, n->len_us, N);
    return 1;
}

/* the Poisson model (fixed lengths), then the hit-probability model at the chance of at
 * least one detour in the window */
static int models_poisson(const place_noise *n, double w, double N, const char **k, double *v,
                          int max)
{
    int m = 0;
    double lambda = n->rate_hz * n->window_us * 1e-6;
    place_lengths len = {.kind = PLACE_LEN_FIXED, .len_us = n->len_us};
    place_delay_dist dd;
    if (m < max && place_poisson_delay(&len, lambda, &dd, NULL) == 0) {
        k[m] = "poisson";
        v[m++] = place_model_poisson_slowdown(&dd, w, N);
        place_delay_dist_fini(&dd);
    }
    if (m < max) {
        k[m] = "b_hit_probability";
        v[m++] = place_model_detour_slowdown(w, -expm1(-lambda), n->len_us, N);
    }
    return m;
}

// one row a line: a new row re-lays no other
// clang-format off
static const struct noise_row {
    const char *name;
    int nnum;           /* numbers after the name, ':'-separated */
    const char *num[2]; /* their names in messages */
    double lo[2], hi[2];
    size_t field[2]; /* where they go in place_noise */
    const char *example;
    int needs_window; /* the caller sets window_us (the step's work) */
    double (*draw)(const place_noise *n, double u, uint64_t *state);
    double (*mean)(const place_noise *n);
    int (*models)(const place_noise *n, double w, double N, const char **k, double *v, int max);
} noise_rows[PLACE_NOISE_COUNT] = {
    [PLACE_NOISE_NONE] = {"none", 0, {NULL}, {0}, {0}, {0}, "none", 0, NULL, NULL, NULL},
    [PLACE_NOISE_EXP] = {"exp", 1, {"MEAN_US"}, {0}, {1e9}, {offsetof(place_noise, mean_us)},
                         "exp:50", 0, draw_exp, mean_exp, models_exp},
    [PLACE_NOISE_DETOUR] = {"detour", 2, {"P", "LEN_US"}, {0, 0}, {1, 1e9},
                            {offsetof(place_noise, p), offsetof(place_noise, len_us)},
                            "detour:0.01:500", 0, draw_detour, mean_detour, models_detour},
    [PLACE_NOISE_POISSON] = {"poisson", 2, {"RATE_HZ", "LEN_US"}, {1e-6, 0}, {1e7, 1e9},
                             {offsetof(place_noise, rate_hz), offsetof(place_noise, len_us)},
                             "poisson:1000:30", 1, draw_poisson, mean_poisson, models_poisson},
};
// clang-format on

int place_noise_parse(const char *what, const char *s, place_noise *n, place_error *err)
{
    memset(n, 0, sizeof *n);
    for (int k = 0; s && k < PLACE_NOISE_COUNT; k++) {
        const struct noise_row *r = &noise_rows[k];
        size_t kl = strlen(r->name);
        if (!r->nnum) {
            if (!strcmp(s, r->name)) {
                n->kind = (place_noise_kind)k;
                return 0;
            }
            continue;
        }
        if (strncmp(s, r->name, kl) || s[kl] != ':')
            continue;
        char buf[64], *at = buf, label[96];
        snprintf(buf, sizeof buf, "%s", s + kl + 1);
        char *colon = r->nnum > 1 ? strchr(buf, ':') : NULL;
        if (r->nnum > 1 && !colon)
            break; /* too few numbers: the message below */
        if (colon)
            *colon = '\0';
        n->kind = (place_noise_kind)k;
        for (int i = 0; i < r->nnum; i++) {
            snprintf(label, sizeof label, "%s %s %s", what, r->name, r->num[i]);
            if (place_parse_double(label, at, r->lo[i], r->hi[i],
                                   (double *)((char *)n + r->field[i]), err) < 0)
                return -1;
            if (colon) /* the next number */
                at = colon + 1;
        }
        return 0;
    }
    /* "none, exp:MEAN_US, detour:P:LEN_US or poisson:RATE_HZ:LEN_US (e.g. exp:50, ...)" */
    char forms[256] = "", examples[160] = "";
    size_t ea = 0;
    place_noise_forms(forms, sizeof forms, 0);
    for (int k = 0; k < PLACE_NOISE_COUNT && ea < sizeof examples; k++)
        if (noise_rows[k].nnum)
            ea += (size_t)snprintf(examples + ea, sizeof examples - ea, "%s%s", ea ? ", " : "",
                                   noise_rows[k].example);
    return place_error_set(err, PLACE_EINVAL, "%s '%.40s': expected %s (e.g. %s)", what, s ? s : "",
                           forms, examples);
}

int place_noise_forms(char *buf, size_t n, int which)
{
    int kinds[PLACE_NOISE_COUNT], nk = 0;
    for (int k = 0; k < PLACE_NOISE_COUNT; k++)
        if (which == 0 || (which == 1) == !noise_rows[k].needs_window)
            kinds[nk++] = k;
    size_t at = 0;
    if (n)
        buf[0] = '\0';
    for (int i = 0; i < nk && at < n; i++) {
        const struct noise_row *r = &noise_rows[kinds[i]];
        at += (size_t)snprintf(buf + at, n - at, "%s%s%s%s%s%s",
                               i == 0        ? ""
                               : i == nk - 1 ? " or "
                                             : ", ",
                               r->name, r->nnum > 0 ? ":" : "", r->nnum > 0 ? r->num[0] : "",
                               r->nnum > 1 ? ":" : "", r->nnum > 1 ? r->num[1] : "");
    }
    return at < n ? (int)at : -1;
}

const char *place_noise_name(place_noise_kind k)
{
    return (unsigned)k < PLACE_NOISE_COUNT ? noise_rows[k].name : "none";
}

const char *place_noise_example(place_noise_kind k)
{
    return (unsigned)k < PLACE_NOISE_COUNT ? noise_rows[k].example : "none";
}

int place_noise_kind_of(const char *s)
{
    for (int k = 0; s && k < PLACE_NOISE_COUNT; k++) {
        size_t kl = strlen(noise_rows[k].name);
        if (noise_rows[k].nnum ? !strncmp(s, noise_rows[k].name, kl) && s[kl] == ':'
                               : !strcmp(s, noise_rows[k].name))
            return k;
    }
    return -1;
}

int place_noise_needs_window(place_noise_kind k)
{
    return (unsigned)k < PLACE_NOISE_COUNT && noise_rows[k].needs_window;
}

double place_noise_draw_us(const place_noise *n, uint64_t *state)
{
    if ((unsigned)n->kind >= PLACE_NOISE_COUNT || !noise_rows[n->kind].draw)
        return 0;
    return noise_rows[n->kind].draw(n, lcg_uniform(state), state);
}

double place_noise_mean_us(const place_noise *n)
{
    if ((unsigned)n->kind >= PLACE_NOISE_COUNT || !noise_rows[n->kind].mean)
        return 0;
    return noise_rows[n->kind].mean(n);
}

int place_noise_models(const place_noise *n, double w, double N, const char **names, double *values,
                       int max)
{
    if ((unsigned)n->kind >= PLACE_NOISE_COUNT || !noise_rows[n->kind].models)
        return 0;
    return noise_rows[n->kind].models(n, w, N, names, values, max);
}

/* ---- periodic noise ---------------------------------------------------------------------- */

double place_periodic_step(double w, double period_us, double len_us, double phi_us)
{
    double gap = period_us - len_us;
    double b = phi_us > gap ? phi_us - gap : 0;
    double k = b + w > phi_us ? ceil((b + w - phi_us) / gap) : 0;
    return b + w + k * len_us;
}

static int periodic_check(double w, double freq_hz, double len_us, int group, place_error *err)
{
    if (!(w > 0 && freq_hz > 0 && len_us >= 0 && len_us < 1e6 / freq_hz && group >= 1 &&
          isfinite(w)))
        return place_error_set(err, PLACE_EINVAL,
                               "periodic noise of %g us every %g us on %g us "
                               "of work, phases shared by %d; expected work > 0 and a length "
                               "shorter than the period",
                               len_us, 1e6 / freq_hz, w, group);
    return 0;
}

int place_model_periodic_slowdowns(double w, double freq_hz, double len_us, int group,
                                   const double *Ns, int nn, double *out, place_error *err)
{
    if (periodic_check(w, freq_hz, len_us, group, err) < 0)
        return -1;
    enum { M = 1 << 20 };
    double P = 1e6 / freq_hz, base = w / (1 - len_us / P);
    double *t = malloc(sizeof(double) * M);
    if (!t)
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %d phases", M);
    for (int j = 0; j < M; j++)
        t[j] = place_periodic_step(w, P, len_us, (j + 0.5) * P / M);
    for (int i = 0; i < nn; i++) {
        /* one group: every CPU at one phase, and the slowest (which sets the release) never
         * starts inside a tick: the pace of one thread */
        double g = ceil(Ns[i] / group);
        out[i] = g <= 1 ? 1 : place_model_empirical_emax(t, M, g) / base;
    }
    free(t);
    return 0;
}

double place_model_periodic_fixed(double w, double freq_hz, double len_us, int group, double N,
                                  long budget, uint64_t seed, double *ci)
{
    *ci = NAN;
    if (periodic_check(w, freq_hz, len_us, group, NULL) < 0 || !(N >= 1) || budget < 1000)
        return NAN;
    long g = (long)ceil(N / group);
    double P = 1e6 / freq_hz, base = w / (1 - len_us / P);
    /* runs of fresh phases; steps per run from the budget of step times (at least 20,
     * at most 4,000: the release's phase wanders over the period within a few hundred) */
    int runs = 8;
    long steps = budget / ((long)runs * g);
    steps = steps < 20 ? 20 : steps > 4000 ? 4000 : steps;
    long warm = steps / 10 > 2 ? steps / 10 : 2;
    double *ph = malloc(sizeof(double) * (size_t)g);
    if (!ph)
        return NAN;
    place_rng r;
    place_rng_seed(&r, seed);
    double s = 0, s2 = 0;
    for (int run = 0; run < runs; run++) {
        for (long i = 0; i < g; i++)
            ph[i] = place_rng_uniform(&r) * P;
        double at = 0, sum = 0; /* the release, modulo the period */
        for (long k = 0; k < warm + steps; k++) {
            double mx = 0;
            for (long i = 0; i < g; i++) {
                double phi = fmod(ph[i] - at + P, P); /* to the CPU's next tick */
                double v = place_periodic_step(w, P, len_us, phi >= P ? 0 : phi);
                mx = v > mx ? v : mx;
            }
            at = fmod(at + mx, P);
            if (k >= warm)
                sum += mx;
        }
        double m = sum / steps / base;
        s += m;
        s2 += m * m;
    }
    free(ph);
    double m = s / runs, var = (s2 - runs * m * m) / (runs - 1);
    *ci = 2.365 * sqrt(var > 0 ? var / runs : 0); /* Student's t, 7 degrees of freedom */
    return m;
}
