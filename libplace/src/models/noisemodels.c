/* noisemodels.c: detours that arrive in time (the Poisson model), correlated noise (the
 * common-shock mixture), and migration decided with the barrier.
 *
 * Poisson: a thread working w us meets K ~ Poisson(lambda) detours, lambda = R w, of
 * i.i.d. lengths; its delay D is a compound Poisson sum. Its distribution comes from
 * Panjer's recursion on the lengths discretized to a grid of step h,
 *   g_0 = exp(-lambda (1 - f_0)),  g_s = (lambda / s) sum_{j=1..s} j f_j g_{s-j},
 * which is exact for the discretized lengths (and for fixed lengths, whose grid step is
 * the length itself: the closed form through the Poisson CDF). E[max of N] = h sum_j
 * (1 - F_j^N), the survival summed from the top so that the N-th power keeps its digits.
 * The Monte Carlo draws arrivals as exponential gaps, never through that distribution.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/models.h"
#include "place/noisestats.h"
#include "models/models_private.h"

#define GRID_MAX (1 << 18)
#define LEN_BINS_MAX 4000

int place_model_migrate_barrier(double steps, const double *t_now, const double *t_after, int n,
                                double cost_s, double *gain_s)
{
    double a = 0, b = 0;
    for (int i = 0; i < n; i++) {
        a = t_now[i] > a ? t_now[i] : a;
        b = t_after[i] > b ? t_after[i] : b;
    }
    double gain = steps * (a - b);
    if (gain_s)
        *gain_s = gain;
    return gain > cost_s;
}

/* ---- lengths ---------------------------------------------------------------------------- */

double place_gpd_quantile(double xi, double sigma, double q)
{
    if (fabs(xi) < 1e-12)
        return -sigma * log1p(-q);
    return sigma / xi * expm1(-xi * log1p(-q));
}

static double gpd_cdf(double xi, double sigma, double y)
{
    if (y <= 0)
        return 0;
    if (fabs(xi) < 1e-12)
        return -expm1(-y / sigma);
    double z = 1 + xi * y / sigma;
    if (z <= 0)
        return 1;
    return -expm1(-log(z) / xi);
}

/* Where a capped GPD tail ends: the cap, or before it the fitted tail's own end when xi < 0
 * (its support stops at u + sigma / -xi; a cap beyond that does not bind). */
static double tail_top(const place_lengths *L)
{
    if (L->xi < 0 && L->sigma > 0)
        return fmin(L->cap_us, L->u + L->sigma / -L->xi);
    return L->cap_us;
}

/* Samples below the threshold (x sorted ascending): a binary search, as the simulations
 * ask for every draw. */
static int body_count(const place_lengths *L)
{
    int lo = 0, hi = L->m;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (L->x[mid] < L->u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* E[Y | Y <= c] for the GPD. */
static double gpd_trunc_mean(double xi, double s, double c)
{
    double Sc = 1 - gpd_cdf(xi, s, c), I;
    if (fabs(xi) < 1e-12)
        I = s * -expm1(-c / s);
    else if (fabs(xi - 1) < 1e-12)
        I = s * log1p(c / s);
    else
        I = s / (1 - xi) * (1 - exp((1 - 1 / xi) * log1p(fmax(xi * c / s, -1)))); /* a bounded
                                         tail's end, rounded past it, is its end */
    return (I - c * Sc) / (1 - Sc);
}

double place_lengths_mean(const place_lengths *L)
{
    double s = 0;
    switch (L->kind) {
    case PLACE_LEN_FIXED:
    case PLACE_LEN_EXP: return L->len_us;
    case PLACE_LEN_EMPIRICAL:
        for (int i = 0; i < L->m; i++)
            s += L->x[i];
        return L->m ? s / L->m : 0;
    case PLACE_LEN_GPD_TAIL: {
        int b = body_count(L);
        for (int i = 0; i < b; i++)
            s += L->x[i];
        double body = b ? s / b : 0;
        return (1 - L->tail_frac) * body +
               L->tail_frac * (L->u + gpd_trunc_mean(L->xi, L->sigma, tail_top(L) - L->u));
    }
    }
    return NAN;
}

double place_lengths_quantile(const place_lengths *L, double u)
{
    switch (L->kind) {
    case PLACE_LEN_FIXED: return L->len_us;
    case PLACE_LEN_EXP: return -L->len_us * log1p(-u);
    case PLACE_LEN_EMPIRICAL: {
        int i = (int)(u * L->m);
        return L->x[i < L->m ? i : L->m - 1];
    }
    case PLACE_LEN_GPD_TAIL: {
        int b = body_count(L);
        if (u < 1 - L->tail_frac && b > 0) {
            int i = (int)(u / (1 - L->tail_frac) * b);
            return L->x[i < b ? i : b - 1];
        }
        double q = L->tail_frac > 0 ? (u - (1 - L->tail_frac)) / L->tail_frac : 0;
        q = q < 0 ? 0 : q;
        double gc = gpd_cdf(L->xi, L->sigma, tail_top(L) - L->u);
        return L->u + place_gpd_quantile(L->xi, L->sigma, q * gc);
    }
    }
    return NAN;
}

/* The lengths' pmf on the grid: f[j] = P(L rounds to j h), j = 0 .. *M. */
static double *length_pmf(const place_lengths *L, double *h_out, int *M_out, place_error *err)
{
    double mean = place_lengths_mean(L), h, top;
    switch (L->kind) {
    case PLACE_LEN_FIXED:
        h = L->len_us > 0 ? L->len_us : 1;
        top = L->len_us;
        break;
    case PLACE_LEN_EXP:
        top = L->len_us * 40; /* P(L > 40 mean) = e^-40 */
        h = L->len_us / 50;
        break;
    case PLACE_LEN_EMPIRICAL:
        top = L->m ? L->x[L->m - 1] : 0;
        h = mean / 50;
        break;
    default:
        top = tail_top(L);
        h = mean / 50;
        break;
    }
    if (!(mean >= 0) || !isfinite(mean) || !isfinite(top))
        return place_error_set(err, PLACE_EINVAL,
                               "detour lengths of mean %g us, largest %g us; "
                               "expected finite lengths of at least 0",
                               mean, top),
               NULL;
    if (L->kind != PLACE_LEN_FIXED && top / h > LEN_BINS_MAX)
        h = top / LEN_BINS_MAX;
    if (!(h > 0))
        h = 1;
    int M = (int)ceil(top / h + 0.5) + 1;
    double *f = calloc((size_t)M + 1, sizeof *f);
    if (!f)
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %d length bins", M), NULL;
    switch (L->kind) {
    case PLACE_LEN_FIXED:
        f[L->len_us > 0 ? 1 : 0] = 1;
        M = 1;
        break;
    case PLACE_LEN_EXP:
        for (int j = 0; j <= M; j++) {
            double lo = j ? (j - 0.5) * h : 0, hi = (j + 0.5) * h;
            f[j] = exp(-lo / L->len_us) - exp(-hi / L->len_us);
        }
        break;
    case PLACE_LEN_EMPIRICAL:
        for (int i = 0; i < L->m; i++) {
            int j = (int)lround(L->x[i] / h);
            f[j < M ? j : M] += 1.0 / L->m;
        }
        break;
    case PLACE_LEN_GPD_TAIL: {
        int b = body_count(L);
        for (int i = 0; i < b; i++) {
            int j = (int)lround(L->x[i] / h);
            f[j < M ? j : M] += (1 - L->tail_frac) / b;
        }
        double gc = gpd_cdf(L->xi, L->sigma, tail_top(L) - L->u);
        for (int j = 0; j <= M; j++) {
            double lo = fmax((j - 0.5) * h, L->u), hi = fmin((j + 0.5) * h, tail_top(L));
            if (hi > lo)
                f[j] +=
                    L->tail_frac *
                    (gpd_cdf(L->xi, L->sigma, hi - L->u) - gpd_cdf(L->xi, L->sigma, lo - L->u)) /
                    gc;
        }
        break;
    }
    }
    *h_out = h;
    *M_out = M;
    return f;
}

void place_delay_dist_fini(place_delay_dist *d)
{
    if (d) {
        free(d->pmf);
        d->pmf = NULL;
    }
}

int place_poisson_delay(const place_lengths *L, double lambda, place_delay_dist *d,
                        place_error *err)
{
    memset(d, 0, sizeof *d);
    if (!(lambda >= 0 && lambda <= 500))
        return place_error_set(err, PLACE_EINVAL,
                               "%g detours per step expected; the Poisson model "
                               "takes 0 to 500 (rate x work)",
                               lambda);
    if ((L->kind == PLACE_LEN_EMPIRICAL || L->kind == PLACE_LEN_GPD_TAIL) && L->m < 1)
        return place_error_set(err, PLACE_EINVAL, "no detour lengths given");
    if (L->kind == PLACE_LEN_GPD_TAIL &&
        !(L->cap_us > L->u && L->sigma > 0 && L->tail_frac >= 0 && L->tail_frac <= 1))
        return place_error_set(err, PLACE_EINVAL,
                               "a tail above %g us capped at %g us with sigma "
                               "%g; expected cap > threshold and sigma > 0",
                               L->u, L->cap_us, L->sigma);
    double h;
    int M;
    double *f = length_pmf(L, &h, &M, err);
    if (!f)
        return -1;
    int cap = GRID_MAX;
    double *g = malloc(sizeof(double) * (size_t)cap);
    if (!g) {
        free(f);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for the delay grid");
    }
    /* at least the lengths' span of points, so that a distribution whose first steps are
     * all empty is not cut */
    models_panjer(f, M, h, lambda, g, cap, M, d);
    return 0;
}

void models_panjer(double *f, int M, double h, double lambda, double *g, int cap, int min_n,
                   place_delay_dist *d)
{
    g[0] = exp(-lambda * (1 - f[0]));
    double mass = g[0], mean = 0;
    int n = 1;
    /* grow until the rest weighs less than 1e-12 (the sum of the masses carries rounding
     * of about 1e-14, so a tighter bound would never stop) (and at least min_n points) */
    while (n < cap && (1 - mass > 1e-12 || n <= min_n)) {
        double s = 0;
        int jmax = n < M ? n : M;
        for (int j = 1; j <= jmax; j++)
            s += j * f[j] * g[n - j];
        g[n] = lambda / n * s;
        mass += g[n];
        mean += n * h * g[n];
        n++;
    }
    free(f);
    d->h_us = h;
    d->n = n;
    d->pmf = g;
    d->mean_us = mean;
    d->tail = 1 - mass > 0 ? 1 - mass : 0;
}

double place_delay_emax(const place_delay_dist *d, double N)
{
    /* survival S_j = P(D > j h), summed from the top */
    double S = d->tail, e = 0;
    for (int j = d->n - 1; j >= 0; j--) {
        e += -expm1(N * log1p(-(S < 1 ? S : 1 - 1e-300)));
        S += d->pmf[j];
    }
    return e * d->h_us;
}

double place_model_poisson_slowdown(const place_delay_dist *d, double w, double N)
{
    return (w + place_delay_emax(d, N)) / (w + d->mean_us);
}

double place_poisson_emax_count(double lambda, double N)
{
    place_lengths one = {.kind = PLACE_LEN_FIXED, .len_us = 1};
    place_delay_dist d;
    if (place_poisson_delay(&one, lambda, &d, NULL) < 0)
        return NAN;
    double e = place_delay_emax(&d, N);
    place_delay_dist_fini(&d);
    return e;
}

double place_model_poisson_monte_carlo(const place_lengths *L, double rate_hz, double w, double N,
                                       int trials, uint64_t seed, double *ci)
{
    place_rng r;
    place_rng_seed(&r, seed);
    double mean_delay = rate_hz * w * 1e-6 * place_lengths_mean(L);
    long n = (long)N;
    double *acc = NULL;
    long *touched = NULL;
    size_t ntouched_cap = 0;
    if (n > 4096) {
        acc = calloc((size_t)n, sizeof *acc);
        ntouched_cap = 1024;
        touched = malloc(sizeof *touched * ntouched_cap);
        if (!acc || !touched) {
            free(acc);
            free(touched);
            return NAN;
        }
    }
    double sum = 0, sum2 = 0;
    for (int t = 0; t < trials; t++) {
        double mx = 0;
        if (n <= 4096) {
            for (long i = 0; i < n; i++) {
                double d = 0, at = -log(place_rng_uniform(&r)) * 1e6 / rate_hz;
                while (at < w) {
                    d += place_lengths_quantile(L, place_rng_uniform(&r));
                    at += -log(place_rng_uniform(&r)) * 1e6 / rate_hz;
                }
                mx = d > mx ? d : mx;
            }
        } else { /* the superposed process of all n threads, rate n R */
            size_t nt = 0;
            double at = -log(place_rng_uniform(&r)) * 1e6 / (rate_hz * (double)n);
            while (at < w) {
                long i = (long)(place_rng_uniform(&r) * (double)n);
                i = i < n ? i : n - 1;
                if (acc[i] == 0) {
                    if (nt == ntouched_cap) {
                        long *nt2 = realloc(touched, sizeof *touched * ntouched_cap * 2);
                        if (!nt2) {
                            free(acc);
                            free(touched);
                            return NAN;
                        }
                        touched = nt2;
                        ntouched_cap *= 2;
                    }
                    touched[nt++] = i;
                }
                acc[i] += place_lengths_quantile(L, place_rng_uniform(&r)) + 1e-300;
                mx = acc[i] > mx ? acc[i] : mx;
                at += -log(place_rng_uniform(&r)) * 1e6 / (rate_hz * (double)n);
            }
            for (size_t k = 0; k < nt; k++)
                acc[touched[k]] = 0;
        }
        double v = (w + mx) / (w + mean_delay);
        sum += v;
        sum2 += v * v;
    }
    free(acc);
    free(touched);
    double mean = sum / trials, var = trials > 1 ? (sum2 - sum * mean) / (trials - 1) : 0;
    if (ci)
        *ci = 1.96 * sqrt(var > 0 ? var / trials : 0);
    return mean;
}

/* ---- the common-shock mixture ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double mixture_fd(double q_g, double q_l, double T, double g)
{
    return q_g * g + (1 - q_g) * pow(1 - q_l + q_l * g, T);
}

double place_model_mixture_emax(double q_g, double q_l, double T, double K, double *x, int m)
{
    if (m < 1)
        return NAN;
    qsort(x, (size_t)m, sizeof *x, cmp_double);
    double e = 0, prev = 0;
    for (int i = 0; i < m; i++) {
        double fd = mixture_fd(q_g, q_l, T, (double)i / m);
        double tail = fd > 0 ? -expm1(K * log(fd)) : 1;
        e += (x[i] - prev) * tail;
        prev = x[i];
    }
    return e;
}

int place_model_mixture_fit(double p, double p2, double *q_g, double *q_l)
{
    if (p >= 1) {
        *q_g = 1;
        *q_l = 0;
        return 0;
    }
    if (p <= 0 || p2 < p * p - 1e-15 || p2 > p) {
        *q_g = 0;
        *q_l = p > 0 ? p : 0;
        return p <= 0 ? 0 : -1;
    }
    double B = (1 - p2) / (1 - p), C = (p - p2) / (1 - p), disc = B * B - 4 * C;
    double a = (B - sqrt(disc > 0 ? disc : 0)) / 2;
    a = a < 0 ? 0 : a > p ? p : a;
    *q_l = a;
    *q_g = a < 1 ? (p - a) / (1 - a) : 0;
    return 0;
}

double place_model_mixture_monte_carlo(double q_g, double q_l, int T, double K, const double *x,
                                       int m, int trials, uint64_t seed, double *ci)
{
    double *s = malloc(sizeof(double) * (size_t)m);
    if (!s || m < 1 || T < 1) {
        free(s);
        return NAN;
    }
    memcpy(s, x, sizeof(double) * (size_t)m);
    qsort(s, (size_t)m, sizeof *s, cmp_double);
    place_rng r;
    place_rng_seed(&r, seed);
    double sum = 0, sum2 = 0;
    int full = K * T <= 65536;
    for (int t = 0; t < trials; t++) {
        double mx = 0;
        if (full) {
            for (long k = 0; k < (long)K; k++) {
                if (place_rng_uniform(&r) < q_g) {
                    double v = s[(int)(place_rng_uniform(&r) * m) % m];
                    mx = v > mx ? v : mx;
                    continue;
                }
                for (int i = 0; i < T; i++)
                    if (place_rng_uniform(&r) < q_l) {
                        double v = s[(int)(place_rng_uniform(&r) * m) % m];
                        mx = v > mx ? v : mx;
                    }
            }
        } else { /* the maximum of K domains by inversion: smallest i with F_d(i/m)^K >= U */
            double lq = log(place_rng_uniform(&r)) / K;
            int lo = 0, hi = m;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                double fd = mixture_fd(q_g, q_l, T, (double)mid / m);
                if (fd > 0 && log(fd) >= lq)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            mx = lo == 0 ? 0 : s[lo - 1];
        }
        sum += mx;
        sum2 += mx * mx;
    }
    free(s);
    double mean = sum / trials, var = trials > 1 ? (sum2 - sum * mean) / (trials - 1) : 0;
    if (ci)
        *ci = 1.96 * sqrt(var > 0 ? var / trials : 0);
    return mean;
}
