/* noisestats.c: fitting the noise models to what was measured.
 *
 * Tails: Grimshaw's profile likelihood for the generalized Pareto distribution. With
 * theta = xi / sigma, the likelihood of the exceedances y is maximised for given theta by
 * xi(theta) = mean(log(1 + theta y)), sigma = xi / theta, leaving a one-dimensional search
 * over theta > -1 / max(y): a log-spaced grid on each side of 0 (0 itself is the
 * exponential) and a golden-section refinement around the best point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "base/base.h"
#include "place/noisestats.h"
#include "place/models.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- generalized Pareto ----------------------------------------------------------------- */

/* Profile log-likelihood per exceedance at theta; *xi gets xi(theta). */
static double profile(const double *y, int n, double ybar, double theta, double *xi)
{
    if (fabs(theta) * ybar < 1e-9) { /* the exponential limit */
        *xi = 0;
        return -log(ybar) - 1;
    }
    double k = 0;
    for (int i = 0; i < n; i++)
        k += log1p(theta * y[i]);
    k /= n;
    *xi = k;
    double sigma = k / theta;
    if (!(sigma > 0) || k < -0.9)
        return -INFINITY;
    return -log(sigma) - k - 1;
}

/* The maximum-likelihood fit. *xi_alt (when not NULL) gets the xi of a second local maximum
 * of the profile likelihood that the data cannot tell from the best (within 1.92 of it in
 * total log-likelihood, the 95% likelihood-ratio bound, and 0.1 or more away in xi), else
 * NAN. */
static void gpd_mle(const double *y, int n, double *xi_out, double *sigma_out, double *xi_alt)
{
    double ybar = 0, ymax = 0;
    for (int i = 0; i < n; i++) {
        ybar += y[i];
        ymax = y[i] > ymax ? y[i] : ymax;
    }
    ybar /= n;
    enum { G = 160 };
    double th[2 * G + 1], best = -INFINITY;
    int bi = G;
    for (int i = 0; i < G; i++) { /* negative side: -1/ymax (1 - 10^-k), k from 6 down to 0.01 */
        double k = 6.0 - 5.99 * i / (G - 1);
        th[i] = -(1 - pow(10, -k)) / ymax;
    }
    th[G] = 0;
    for (int i = 0; i < G; i++) /* positive side: 10^e / ybar, e from -6 to 6 */
        th[G + 1 + i] = pow(10, -6 + 12.0 * i / (G - 1)) / ybar;
    double pl[2 * G + 1], px[2 * G + 1];
    for (int i = 0; i < 2 * G + 1; i++) {
        pl[i] = profile(y, n, ybar, th[i], &px[i]);
        if (pl[i] > best) {
            best = pl[i];
            bi = i;
        }
    }
    double a = th[bi > 0 ? bi - 1 : 0], b = th[bi < 2 * G ? bi + 1 : 2 * G];
    const double gr = 0.6180339887498949;
    double c = b - gr * (b - a), d = a + gr * (b - a), xc, xd;
    double fc = profile(y, n, ybar, c, &xc), fd = profile(y, n, ybar, d, &xd);
    for (int it = 0; it < 100 && fabs(b - a) > 1e-12 * (fabs(a) + fabs(b) + 1e-300); it++) {
        if (fc > fd) {
            b = d, d = c, fd = fc;
            c = b - gr * (b - a);
            fc = profile(y, n, ybar, c, &xc);
        } else {
            a = c, c = d, fc = fd;
            d = a + gr * (b - a);
            fd = profile(y, n, ybar, d, &xd);
        }
    }
    double t = (a + b) / 2, xi;
    double l = profile(y, n, ybar, t, &xi);
    if (!(l >= best - 1e-12)) /* the grid point was better */
        profile(y, n, ybar, t = th[bi], &xi);
    *xi_out = xi;
    *sigma_out = fabs(t) * ybar < 1e-9 ? ybar : xi / t;
    if (xi_alt) {
        *xi_alt = NAN;
        double alt = -INFINITY;
        for (int i = 1; i < 2 * G; i++) /* other local maxima on the grid */
            if (i != bi && pl[i] > pl[i - 1] && pl[i] >= pl[i + 1] && fabs(px[i] - xi) >= 0.1 &&
                pl[i] > alt && n * (l > best ? l - pl[i] : best - pl[i]) < 1.92) {
                alt = pl[i];
                *xi_alt = px[i];
            }
    }
}

int place_gpd_fit_samples(const double *x, int m, double u, int boot, uint64_t seed,
                          place_gpd_fit *f, place_error *err)
{
    memset(f, 0, sizeof *f);
    f->xi_blo = f->xi_bhi = f->xi_alt = NAN;
    if (m < 1)
        return place_error_set(err, PLACE_EINVAL, "no samples to fit a tail to");
    double *s = malloc(sizeof(double) * (size_t)m);
    if (!s)
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %d samples", m);
    memcpy(s, x, sizeof(double) * (size_t)m);
    qsort(s, (size_t)m, sizeof *s, cmp_double);
    if (u < 0)
        u = s[(int)(0.9 * (m - 1))];
    int first = 0;
    while (first < m && s[first] <= u)
        first++;
    int n = m - first;
    if (n < 30) {
        free(s);
        return place_error_set(err, PLACE_EINVAL,
                               "%d samples above the threshold %g of %d; a tail "
                               "fit needs at least 30 (a longer probe gives more)",
                               n, u, m);
    }
    double *y = malloc(sizeof(double) * (size_t)n), *yb = malloc(sizeof(double) * (size_t)n);
    if (!y || !yb) {
        free(s), free(y), free(yb);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %d exceedances", n);
    }
    for (int i = 0; i < n; i++)
        y[i] = s[first + i] - u;
    f->u = u;
    f->n = n;
    f->m = m;
    f->max_sample = s[m - 1];
    gpd_mle(y, n, &f->xi, &f->sigma, &f->xi_alt);
    /* asymptotic normal intervals from the inverse information (valid for xi > -1/2) */
    double sx = (1 + f->xi) / sqrt(n), ss = f->sigma * sqrt(2 * (1 + f->xi) / n);
    f->xi_lo = f->xi - 1.96 * sx;
    f->xi_hi = f->xi + 1.96 * sx;
    f->sigma_lo = f->sigma - 1.96 * ss;
    f->sigma_hi = f->sigma + 1.96 * ss;
    f->tail_index = f->xi > 0 ? 1 / f->xi : INFINITY;
    /* threshold stability: refitted above the thresholds that leave a half, a quarter and an
     * eighth of the exceedances (30 at least); a GPD tail keeps its xi above any higher
     * threshold, so an xi whose interval misses the fit's is a threshold set too low */
    f->stable = 1;
    for (int h = 2; h <= 8 && f->nstab < 3; h *= 2) {
        int k = n / h;
        if (k < 30)
            break;
        double uu = s[m - k - 1];
        int nk = 0;
        for (int i = m - k; i < m; i++)
            if (s[i] > uu)
                yb[nk++] = s[i] - uu;
        if (nk < 30)
            continue;
        double xk, sk;
        gpd_mle(yb, nk, &xk, &sk, NULL);
        double half = 1.96 * (1 + xk) / sqrt(nk);
        int j = f->nstab++;
        f->stab_u[j] = uu;
        f->stab_n[j] = nk;
        f->stab_xi[j] = xk;
        f->stab_lo[j] = xk - half;
        f->stab_hi[j] = xk + half;
        if (f->stab_hi[j] < f->xi_lo || f->stab_lo[j] > f->xi_hi)
            f->stable = 0;
    }
    if (boot > 0) {
        double *bx = malloc(sizeof(double) * (size_t)boot);
        if (bx) {
            place_rng r;
            place_rng_seed(&r, seed);
            for (int b = 0; b < boot; b++) {
                for (int i = 0; i < n; i++)
                    yb[i] = y[(int)(place_rng_uniform(&r) * n) % n];
                double sg;
                gpd_mle(yb, n, &bx[b], &sg, NULL);
            }
            qsort(bx, (size_t)boot, sizeof *bx, cmp_double);
            f->xi_blo = bx[(int)(0.025 * (boot - 1))];
            f->xi_bhi = bx[(int)ceil(0.975 * (boot - 1))];
            free(bx);
        }
    }
    free(s), free(y), free(yb);
    return 0;
}

void place_gpd_checks_text(const place_gpd_fit *f, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
#define PUT(...) (k += (size_t)snprintf(buf + (k < n ? k : n), k < n ? n - k : 0, __VA_ARGS__))
    if (f->nstab == 0)
        PUT("threshold stability: too few exceedances to refit above a higher threshold");
    else
        PUT("threshold %s: xi above",
            f->stable
                ? "stable"
                : "unstable (a GPD keeps its xi above "
                  "higher thresholds; a refit outside the interval says the tail has not begun)");
    for (int i = 0; i < f->nstab; i++)
        PUT(" %.1f us (%d) %.3f [%.3f, %.3f]%s", f->stab_u[i], f->stab_n[i], f->stab_xi[i],
            f->stab_lo[i], f->stab_hi[i], i + 1 < f->nstab ? "," : "");
    if (!isnan(f->xi_alt))
        PUT("; xi not determined: the likelihood has a second mode at xi %.3f, within its 95%% "
            "bound of the best",
            f->xi_alt);
#undef PUT
}

/* ---- a timer tick ----------------------------------------------------------------------- */

/* Per thread: the resultant of the detours' phases at period P (us). */
static void fold(const place_detour_stream *s, double P, double *c, double *sn)
{
    *c = *sn = 0;
    for (int k = 0; k < s->n; k++) {
        double ph = 2 * M_PI * fmod(s->start_s[k] * 1e6, P) / P;
        *c += cos(ph);
        *sn += sin(ph);
    }
}

/* log of the chi-square tail with 2m degrees of freedom at 2z: e^-z sum_{k<m} z^k / k! */
static double log_chi2_tail(double z, int m)
{
    double term = 0, lsum = -INFINITY; /* log of the sum, by log-sum-exp */
    for (int k = 0; k < m; k++) {
        term = k ? term + log(z) - log((double)k) : 0;
        lsum = lsum > term ? lsum + log1p(exp(term - lsum)) : term + log1p(exp(lsum - term));
    }
    return -z + lsum;
}

void place_tick_analyze(const place_detour_stream *s, int nstreams, place_tick *t)
{
    memset(t, 0, sizeof *t);
    t->p_value = 1;
    int idx[PLACE_TICK_MAX_THREADS], m = 0;
    for (int i = 0; i < nstreams && m < PLACE_TICK_MAX_THREADS; i++)
        if (s[i].n >= 10)
            idx[m++] = i;
    if (m == 0)
        return;
    static const double hz[] = {100, 250, 300, 1000};
    enum { NH = sizeof hz / sizeof *hz, REFINE = 20 }; /* +-0.2% in steps of 0.01% */
    double hz_z[NH], hz_P[NH], maxz = 0;
    int tried = 0;
    for (int h = 0; h < NH; h++) {
        hz_z[h] = -1;
        for (int d = -REFINE; d <= REFINE; d++) {
            double P = 1e6 / hz[h] * (1 + 1e-4 * d), z = 0;
            tried++;
            for (int j = 0; j < m; j++) {
                double c, sn;
                fold(&s[idx[j]], P, &c, &sn);
                z += (c * c + sn * sn) / s[idx[j]].n;
            }
            if (z > hz_z[h]) {
                hz_z[h] = z;
                hz_P[h] = P;
            }
        }
        maxz = hz_z[h] > maxz ? hz_z[h] : maxz;
    }
    /* a tick of period P also lines up at P / k (4 ms ticks fold onto one phase at 1 ms
     * too), but a 1 ms tick spreads over four phases at 4 ms: the longest period that keeps
     * most of the best Z is the tick's own */
    double bestz = -1, bestP = 0;
    for (int h = 0; h < NH && bestz < 0; h++)
        if (hz_z[h] >= 0.8 * maxz) {
            bestz = hz_z[h];
            bestP = hz_P[h];
            t->hz = hz[h];
        }
    t->period_us = bestP;
    t->nthreads = m;
    double lp = log_chi2_tail(bestz, m) + log((double)tried);
    t->p_value = lp >= 0 ? 1 : exp(lp);
    t->found = t->p_value < 1e-3;
    int64_t near = 0, all = 0;
    t->aligned = 1;
    for (int j = 0; j < m; j++) {
        const place_detour_stream *st = &s[idx[j]];
        double c, sn;
        fold(st, bestP, &c, &sn);
        double mean = atan2(sn, c);
        t->R[j] = sqrt(c * c + sn * sn) / st->n;
        t->phase_us[j] = fmod(mean / (2 * M_PI) * bestP + bestP, bestP);
        double dj = fabs(t->phase_us[j] - t->phase_us[0]);
        dj = dj > bestP / 2 ? bestP - dj : dj;
        if (dj > 0.05 * bestP)
            t->aligned = 0;
        for (int k = 0; k < st->n; k++) {
            double d = fabs(fmod(st->start_s[k] * 1e6, bestP) - t->phase_us[j]);
            d = d > bestP / 2 ? bestP - d : d;
            near += d <= 0.05 * bestP;
        }
        all += st->n;
    }
    t->near_fraction = all ? (double)near / (double)all : 0;
    if (!t->found)
        t->aligned = 0;
}

/* ---- detour lengths kept by a long probe ------------------------------------------------ */

void place_detour_pool_fini(place_detour_pool *p)
{
    free(p->body);
    free(p->top);
    memset(p, 0, sizeof *p);
}

int place_detour_pool_build(const place_detour_keep *k, int nk, uint64_t seed, place_detour_pool *p,
                            place_error *err)
{
    memset(p, 0, sizeof *p);
    int64_t count = 0, room = 0;
    double frac = 1;
    p->exact = 1;
    for (int i = 0; i < nk; i++) {
        if (k[i].nsample < 0 || k[i].nlargest < 0 || k[i].count < k[i].nsample ||
            (k[i].nsample < k[i].count && k[i].nlargest < 1))
            return place_error_set(err, PLACE_EINVAL,
                                   "thread %d keeps %d sampled and %d largest "
                                   "of %lld detours; expected a sample of at most the count, and "
                                   "the largest ones whenever the sample is not all of them",
                                   i, k[i].nsample, k[i].nlargest, (long long)k[i].count);
        count += k[i].count;
        room += k[i].nsample + k[i].nlargest;
        if (k[i].nsample < k[i].count) {
            p->exact = 0;
            double f = (double)k[i].nsample / (double)k[i].count;
            frac = f < frac ? f : frac;
        }
    }
    p->count = count;
    p->body = malloc(sizeof(double) * (size_t)(room + 1));
    p->top = malloc(sizeof(double) * (size_t)(room + 1));
    if (!p->body || !p->top) {
        place_detour_pool_fini(p);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %lld kept detours",
                               (long long)room);
    }
    /* the body: thread i gives round(frac x count_i) of its sample, chosen at random (a
     * partial Fisher-Yates shuffle of a copy) */
    place_rng r;
    place_rng_seed(&r, seed);
    for (int i = 0; i < nk; i++) {
        /* every thread thinned to the same fraction, one that kept all of its lengths too
         * (frac is 1 when every thread did) */
        int take = (int)llround(frac * (double)k[i].count);
        take = take > k[i].nsample ? k[i].nsample : take;
        double *d = p->body + p->nbody;
        memcpy(d, k[i].sample, sizeof(double) * (size_t)k[i].nsample);
        for (int j = 0; j < take; j++) {
            int s = j + (int)(place_rng_uniform(&r) * (k[i].nsample - j));
            s = s < k[i].nsample ? s : k[i].nsample - 1;
            double t = d[j];
            d[j] = d[s], d[s] = t;
        }
        p->nbody += take;
    }
    qsort(p->body, (size_t)p->nbody, sizeof *p->body, cmp_double);
    /* the threshold: every length above it known on every thread */
    double u = p->nbody ? p->body[(int)(0.9 * (p->nbody - 1))] : 0;
    for (int i = 0; i < nk; i++) {
        if (k[i].nsample == k[i].count || k[i].nlargest >= k[i].count)
            continue;
        double lo = INFINITY;
        for (int j = 0; j < k[i].nlargest; j++)
            lo = k[i].largest[j] < lo ? k[i].largest[j] : lo;
        u = lo > u ? lo : u;
    }
    p->u = u;
    for (int i = 0; i < nk; i++) {
        int all = k[i].nsample == k[i].count;
        const double *src = all ? k[i].sample : k[i].largest;
        int n = all ? k[i].nsample : k[i].nlargest;
        for (int j = 0; j < n; j++)
            if (src[j] > u)
                p->top[p->ntop++] = src[j];
    }
    qsort(p->top, (size_t)p->ntop, sizeof *p->top, cmp_double);
    return 0;
}

/* ---- coincidence ------------------------------------------------------------------------ */

static double extent_us(const place_detour_stream *s, int k)
{
    return s->len_us[k] + s->pad_us;
}

/* The first detour of b overlapping [t0, t1] (seconds), or -1. b's detours do not overlap
 * each other, so their ends are in order too. */
static int overlap(const place_detour_stream *b, double t0, double t1)
{
    int lo = 0, hi = b->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (b->start_s[mid] + extent_us(b, mid) * 1e-6 < t0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n && b->start_s[lo] <= t1 ? lo : -1;
}

static double pearson(const double *a, const double *b, int64_t n)
{
    if (n < 3)
        return NAN;
    double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
    for (int64_t i = 0; i < n; i++)
        ma += a[i], mb += b[i];
    ma /= n, mb /= n;
    for (int64_t i = 0; i < n; i++) {
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
        sab += (a[i] - ma) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

static void finish(place_coincidence *c, double hit, double expect)
{
    c->observed = c->detours ? hit / c->detours : NAN;
    c->expected = c->detours ? expect / c->detours : NAN;
    c->excess = c->observed - c->expected;
    c->ratio = c->expected > 0 ? c->observed / c->expected : NAN;
    c->kappa = c->expected < 1 ? c->excess / (1 - c->expected) : NAN;
}

void place_coincidence_streams(const place_detour_stream *s, int ns, place_coincidence *c)
{
    memset(c, 0, sizeof *c);
    int64_t total = 0;
    double *mext = calloc((size_t)ns + 1, sizeof *mext); /* each stream's mean extent */
    for (int i = 0; i < ns; i++) {
        total += s[i].n;
        for (int q = 0; q < s[i].n && mext; q++)
            mext[i] += extent_us(&s[i], q) / s[i].n;
    }
    double *pa = malloc(sizeof(double) * (size_t)(total + 1)),
           *pb = malloc(sizeof(double) * (size_t)(total + 1));
    double hit = 0, expect = 0;
    for (int i = 0; i < ns; i++) {
        for (int k = 0; k < s[i].n; k++) {
            double e = extent_us(&s[i], k), t0 = s[i].start_s[k], miss = 1;
            int found = 0;
            for (int j = 0; j < ns; j++) {
                if (j == i || s[j].n == 0 || !(s[j].span_s > 0) || !mext)
                    continue;
                miss *= exp(-s[j].n / s[j].span_s * (e + mext[j]) * 1e-6);
                int o = found ? -1 : overlap(&s[j], t0, t0 + e * 1e-6);
                if (o >= 0) {
                    found = 1;
                    if (pa && pb) {
                        pa[c->pairs] = s[i].len_us[k];
                        pb[c->pairs] = s[j].len_us[o];
                    }
                    c->pairs++;
                }
            }
            hit += found;
            expect += 1 - miss;
            c->detours++;
        }
    }
    finish(c, hit, expect);
    c->len_corr = pa && pb ? pearson(pa, pb, c->pairs) : NAN;
    if (!mext) /* no chance level without the streams' extents */
        c->expected = c->excess = c->ratio = c->kappa = NAN;
    free(pa);
    free(pb);
    free(mext);
}

/* ---- barrier-aligned steps -------------------------------------------------------------- */

int place_step_noise_analyze(const double *t, int steps, int T, place_step_noise *sn,
                             double **hits_out, int *nhits_out, place_error *err)
{
    memset(sn, 0, sizeof *sn);
    if (hits_out)
        *hits_out = NULL;
    if (steps < 1 || T < 1)
        return place_error_set(err, PLACE_EINVAL,
                               "%d steps of %d threads; expected at least 1 "
                               "of each",
                               steps, T);
    size_t n = (size_t)steps * (size_t)T;
    double *s = malloc(sizeof(double) * n), *hits = malloc(sizeof(double) * n);
    /* pairs of coinciding hits kept for the length correlation: at most PAIRS_MAX */
    enum { PAIRS_MAX = 1 << 20 };
    double *pi = calloc((size_t)T, sizeof *pi), *pa = malloc(sizeof(double) * 2 * PAIRS_MAX);
    if (!s || !hits || !pi || !pa) {
        free(s), free(hits), free(pi), free(pa);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %d x %d steps", steps, T);
    }
    memcpy(s, t, sizeof(double) * n);
    qsort(s, n, sizeof *s, cmp_double);
    sn->steps = steps;
    sn->threads = T;
    sn->ref_us = s[(size_t)(0.05 * (double)(n - 1))];
    sn->threshold_us = fmax(5, 0.1 * sn->ref_us);
    free(s);
    int nh = 0;
    double emx = 0, emean = 0, both = 0;
    for (int k = 0; k < steps; k++) {
        const double *row = t + (size_t)k * T;
        double mx = 0, mean = 0;
        for (int i = 0; i < T; i++) {
            mx = row[i] > mx ? row[i] : mx;
            mean += row[i];
            if (row[i] - sn->ref_us > sn->threshold_us) {
                pi[i] += 1.0 / steps;
                hits[nh++] = row[i] - sn->ref_us;
            }
        }
        emx += mx;
        emean += mean / T;
    }
    sn->mean_max_us = emx / steps;
    sn->mean_us = emean / steps;
    sn->excess_us = sn->mean_max_us - sn->mean_us;
    sn->p = (double)nh / (double)n;
    sn->hit_mean_us = 0;
    for (int i = 0; i < nh; i++)
        sn->hit_mean_us += hits[i] / nh;
    /* co-occurrence per step, against chance */
    double hit = 0, expect = 0;
    int64_t pairs = 0;
    for (int k = 0; k < steps; k++) {
        const double *row = t + (size_t)k * T;
        for (int i = 0; i < T; i++) {
            if (!(row[i] - sn->ref_us > sn->threshold_us))
                continue;
            double miss = 1;
            int other = 0;
            for (int j = 0; j < T; j++) {
                if (j == i)
                    continue;
                miss *= 1 - pi[j];
                if (row[j] - sn->ref_us > sn->threshold_us) {
                    other = 1;
                    if (j > i) {
                        both += 1;
                        if (pairs < PAIRS_MAX) {
                            pa[2 * pairs] = row[i] - sn->ref_us;
                            pa[2 * pairs + 1] = row[j] - sn->ref_us;
                            pairs++;
                        }
                    }
                }
            }
            if (T > 1) {
                hit += other;
                expect += 1 - miss;
                sn->co.detours++;
            }
        }
    }
    finish(&sn->co, hit, expect);
    sn->co.pairs = pairs;
    {
        double *a = malloc(sizeof(double) * (size_t)(2 * pairs + 1)),
               *b = malloc(sizeof(double) * (size_t)(2 * pairs + 1));
        if (a && b) { /* both orders: the correlation of a symmetric pair */
            for (int64_t q = 0; q < pairs; q++) {
                a[2 * q] = pa[2 * q], b[2 * q] = pa[2 * q + 1];
                a[2 * q + 1] = pa[2 * q + 1], b[2 * q + 1] = pa[2 * q];
            }
            sn->co.len_corr = pearson(a, b, 2 * pairs);
        } else {
            sn->co.len_corr = NAN;
        }
        free(a), free(b);
    }
    if (T > 1) {
        sn->p2 = both / ((double)steps * T * (T - 1) / 2);
        sn->mixture_ok = place_model_mixture_fit(sn->p, sn->p2, &sn->q_g, &sn->q_l) == 0;
    } else {
        sn->p2 = NAN;
        sn->q_g = 0;
        sn->q_l = sn->p;
    }
    free(pi), free(pa);
    if (hits_out) {
        *hits_out = hits;
        *nhits_out = nh;
    } else {
        free(hits);
    }
    return 0;
}

/* ---- the machine's other load ----------------------------------------------------------- */

int place_sysload_read(place_sysload_snap *snap, place_error *err)
{
    memset(snap, 0, sizeof *snap);
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return place_error_set(err, PLACE_ESYS, "/proc/stat: %s; the machine's load is unavailable",
                               strerror(errno));
    char line[512];
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* "cpu  user nice system idle iowait irq softirq steal ..." in clock ticks */
    unsigned long long v[8] = {0};
    char *p = line + 3;
    if (ok && strncmp(line, "cpu ", 4) == 0) {
        for (int i = 0; i < 8 && ok; i++) {
            while (*p == ' ')
                p++;
            char *end;
            errno = 0;
            v[i] = strtoull(p, &end, 10);
            ok = end != p && errno == 0 && (*end == ' ' || *end == '\n');
            p = end;
        }
    } else {
        ok = 0;
    }
    long hz = sysconf(_SC_CLK_TCK);
    if (!ok || hz <= 0)
        return place_error_set(err, PLACE_EINVAL,
                               "/proc/stat: its first line is not 'cpu' and 8 "
                               "tick counts; the machine's load is unavailable");
    double tick = 1.0 / (double)hz;
    snap->busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * tick;
    snap->total_s = snap->busy_s + (double)(v[3] + v[4]) * tick;
    snap->steal_s = (double)v[7] * tick;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    snap->own_cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
                      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snap->t_s = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    return 0;
}

void place_sysload_between(const place_sysload_snap *a, const place_sysload_snap *b,
                           place_sysload *out)
{
    out->elapsed_s = b->t_s - a->t_s;
    double busy = (b->busy_s - a->busy_s) - (b->steal_s - a->steal_s);
    double own = b->own_cpu_s - a->own_cpu_s, total = b->total_s - a->total_s;
    out->other_cpus = out->elapsed_s > 0 ? fmax(0, busy - own) / out->elapsed_s : NAN;
    out->steal_fraction = total > 0 ? (b->steal_s - a->steal_s) / total : NAN;
}
