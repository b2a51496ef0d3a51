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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/parse.h"
#include "place/measure.h"

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
    return log(N) + 0.57721566490153286 + 0.5 / N - 1.0 / (12 * N * N) + 1.0 / (120 * N * N * N * N);
}
double place_harmonic(double N) __attribute__((alias("place_model_harmonic")));

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
static double draw_max(char kind, double a, double b, const double *sorted, int m, double N, place_rng *r)
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
    if (kind == 'a')                 /* F^-1(q) = -mu ln(1 - q), 1 - q = -expm1(lu) */
        return -a * log(-expm1(lu));
    if (kind == 'b')                 /* the max is L unless all N missed: q > 1 - p */
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

int place_noise_parse(const char *what, const char *s, place_noise *n, place_error *err)
{
    memset(n, 0, sizeof *n);
    char label[96];
    if (s && !strcmp(s, "none"))
        return 0;
    if (s && !strncmp(s, "exp:", 4)) {
        n->kind = PLACE_NOISE_EXP;
        snprintf(label, sizeof label, "%s exp MEAN_US", what);
        return place_parse_double(label, s + 4, 0, 1e9, &n->mean_us, err);
    }
    /* KIND:A:B forms: detour P:LEN_US, poisson RATE_HZ:LEN_US */
    static const struct {
        const char *kind, *a;
        place_noise_kind k;
        double lo;
        double hi;
    } pairs[] = {{"detour", "P", PLACE_NOISE_DETOUR, 0, 1},
                 {"poisson", "RATE_HZ", PLACE_NOISE_POISSON, 1e-6, 1e7}};
    for (size_t i = 0; s && i < sizeof pairs / sizeof *pairs; i++) {
        size_t kl = strlen(pairs[i].kind);
        char buf[64], *colon;
        if (strncmp(s, pairs[i].kind, kl) || s[kl] != ':')
            continue;
        snprintf(buf, sizeof buf, "%s", s + kl + 1);
        if (!(colon = strchr(buf, ':')))
            break;
        *colon = '\0';
        n->kind = pairs[i].k;
        snprintf(label, sizeof label, "%s %s %s", what, pairs[i].kind, pairs[i].a);
        if (place_parse_double(label, buf, pairs[i].lo, pairs[i].hi,
                               n->kind == PLACE_NOISE_DETOUR ? &n->p : &n->rate_hz, err) < 0)
            return -1;
        snprintf(label, sizeof label, "%s %s LEN_US", what, pairs[i].kind);
        return place_parse_double(label, colon + 1, 0, 1e9, &n->len_us, err);
    }
    return place_error_set(err, PLACE_EINVAL, "%s '%.40s': expected none, exp:MEAN_US, "
                           "detour:P:LEN_US or poisson:RATE_HZ:LEN_US (e.g. exp:50, "
                           "detour:0.01:500, poisson:1000:30)", what, s ? s : "");
}

const char *place_noise_name(place_noise_kind k)
{
    return k == PLACE_NOISE_EXP ? "exp" : k == PLACE_NOISE_DETOUR ? "detour"
           : k == PLACE_NOISE_POISSON ? "poisson" : "none";
}

double place_noise_draw_us(const place_noise *n, uint64_t *state)
{
    if (n->kind == PLACE_NOISE_NONE)
        return 0;
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = ((double)(*state >> 11) + 0.5) * 0x1.0p-53;
    if (n->kind == PLACE_NOISE_POISSON) { /* arrivals by exponential gaps over the window */
        double at = -log(u) * 1e6 / n->rate_hz, d = 0;
        while (at < n->window_us) {
            d += n->len_us;
            *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
            at += -log(((double)(*state >> 11) + 0.5) * 0x1.0p-53) * 1e6 / n->rate_hz;
        }
        return d;
    }
    if (n->kind == PLACE_NOISE_EXP)
        return -n->mean_us * log(u);
    return u < n->p ? n->len_us : 0;
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
        return place_error_set(err, PLACE_EINVAL, "periodic noise of %g us every %g us on %g us "
                               "of work, phases shared by %d; expected work > 0 and a length "
                               "shorter than the period", len_us, 1e6 / freq_hz, w, group);
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

double place_model_periodic_monte_carlo(double w, double freq_hz, double len_us, int group,
                                        double N, int trials, uint64_t seed, double *ci)
{
    *ci = NAN;
    if (periodic_check(w, freq_hz, len_us, group, NULL) < 0 || trials < 2)
        return NAN;
    long g = (long)ceil(N / group);
    if (g <= 1) {
        *ci = 0;
        return 1;
    }
    double P = 1e6 / freq_hz, base = w / (1 - len_us / P), s = 0, s2 = 0;
    place_rng r;
    place_rng_seed(&r, seed);
    for (int k = 0; k < trials; k++) {
        double mx = 0;
        for (long i = 0; i < g; i++) {
            double v = place_periodic_step(w, P, len_us, place_rng_uniform(&r) * P);
            mx = v > mx ? v : mx;
        }
        s += mx / base;
        s2 += (mx / base) * (mx / base);
    }
    double m = s / trials, var = (s2 - trials * m * m) / (trials - 1);
    *ci = 1.96 * sqrt(var > 0 ? var / trials : 0);
    return m;
}
