/* noiseprof.c (models): a node's noise profile as data, and the barrier step it predicts
 * for threads on its PUs (place/noiseprof.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/models.h"
#include "place/noiseprof.h"
#include "models/models_private.h"

void place_noise_profile_fini(place_noise_profile *p)
{
    if (!p)
        return;
    free(p->pus);
    memset(p, 0, sizeof *p);
}

const place_noise_pu *place_noise_profile_pu(const place_noise_profile *p, int pu_os)
{
    for (int i = 0; p && i < p->npus; i++)
        if (p->pus[i].pu == pu_os)
            return &p->pus[i];
    return NULL;
}

static double mean_length(const place_noise_pu *e)
{
    double s = 0;
    for (int i = 0; i < e->nlengths; i++)
        s += e->lengths_us[i];
    return e->nlengths ? s / e->nlengths : 0;
}

/* Detours per second of the thread's own running. The profile's rate is per second of the
 * probe's wall time, detours included; a thread's work w_us is running time, so its detours
 * arrive at rate / (1 - noise fraction): on a PU a co-runner takes half of, 1,000 us of work
 * take 2,000 us, not 1,500. The fraction is capped at 0.95 (a PU lost 20 times over). */
static double run_rate(const place_noise_pu *e)
{
    double f = e->noise_fraction < 0 ? 0 : e->noise_fraction > 0.95 ? 0.95 : e->noise_fraction;
    return e->detour_rate_hz / (1 - f);
}

double place_noise_pu_mean_delay(const place_noise_pu *e, double w_us)
{
    return e ? run_rate(e) * w_us * 1e-6 * mean_length(e) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int place_noise_pu_noisy(const place_noise_profile *p, const place_noise_pu *e)
{
    if (!p || !e || p->npus <= 0)
        return 0;
    double *f = malloc(sizeof(double) * (size_t)p->npus);
    if (!f)
        return 0;
    for (int i = 0; i < p->npus; i++)
        f[i] = p->pus[i].noise_fraction;
    qsort(f, (size_t)p->npus, sizeof *f, cmp_double);
    double med = f[(p->npus - 1) / 2]; /* the lower median: of two PUs, the quieter */
    free(f);
    return e->noise_fraction >= 2 * med && e->noise_fraction >= med + 0.01;
}

/* The threads that share a PU and a work: one delay distribution, counted `mult` times. */
typedef struct group {
    const place_noise_pu *e;
    double w;
    int mult;
    place_delay_dist d; /* n == 0: no delay */
    double *cdf;        /* cumulative, on d's grid */
} group;

#define DELAY_POINTS 1000 /* the delay grid's points: the planner predicts many plans */

/* The compound Poisson delay of lambda detours (mean) with the PU's 64 measured lengths,
 * by Panjer's recursion on a grid of at most DELAY_POINTS points up to its mean plus ten
 * standard deviations and the longest length (the step a fiftieth of the mean length,
 * coarser where that needs more points); each length on its nearest grid point. The rest
 * beyond in d->tail. 0, or -1 out of memory. */
static int pu_delay(const place_noise_pu *e, double lambda, place_delay_dist *d)
{
    memset(d, 0, sizeof *d);
    double m1 = 0, m2 = 0, lmax = 0;
    for (int i = 0; i < e->nlengths; i++) {
        double x = e->lengths_us[i];
        m1 += x / e->nlengths;
        m2 += x * x / e->nlengths;
        lmax = x > lmax ? x : lmax;
    }
    double top = lambda * m1 + 10 * sqrt(lambda * m2) + lmax;
    double h = m1 / 50 > top / DELAY_POINTS ? m1 / 50 : top / DELAY_POINTS;
    if (!(h > 0))
        return 0; /* lengths of 0: no delay */
    int M = (int)ceil(lmax / h) + 1;
    double *f = calloc((size_t)M + 1, sizeof(double));
    double *g = malloc(sizeof(double) * (DELAY_POINTS + (size_t)M + 2));
    if (!f || !g) {
        free(f);
        free(g);
        return -1;
    }
    for (int i = 0; i < e->nlengths; i++) {
        int j = (int)lround(e->lengths_us[i] / h);
        f[j < M ? j : M] += 1.0 / e->nlengths;
    }
    /* at most DELAY_POINTS + M + 1 points, as many as the rest needs */
    models_panjer(f, M, h, lambda, g, DELAY_POINTS + M + 1, 0, d);
    return 0;
}

/* F(x) = P(D <= x) of group g, 0 below 0. */
static double cdf_at(const group *g, double x)
{
    if (x < 0)
        return 0;
    if (g->d.n == 0)
        return 1;
    long j = (long)floor(x / g->d.h_us + 1e-9);
    return j >= g->d.n ? 1 - g->d.tail : g->cdf[j];
}

int place_noise_step_predict(const place_noise_profile *p, const int *pu_os, const double *w_us,
                             int n, double *mean_us, int *missing, place_error *err)
{
    *mean_us = 0;
    if (missing)
        *missing = 0;
    if (n <= 0)
        return 0;
    group *g = calloc((size_t)n, sizeof *g);
    if (!g)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    int ng = 0, rc = 0;
    double wmin = INFINITY, wmax = 0, ymax = 0, hmin = INFINITY;
    for (int t = 0; t < n; t++) {
        const place_noise_pu *e = place_noise_profile_pu(p, pu_os[t]);
        if (!e && missing)
            (*missing)++;
        int k = 0;
        while (k < ng && !(g[k].e == e && g[k].w == w_us[t]))
            k++;
        if (k == ng) {
            g[ng].e = e;
            g[ng].w = w_us[t];
            ng++;
        }
        g[k].mult++;
        wmin = w_us[t] < wmin ? w_us[t] : wmin;
        wmax = w_us[t] > wmax ? w_us[t] : wmax;
    }
    for (int k = 0; k < ng && rc == 0; k++) {
        const place_noise_pu *e = g[k].e;
        double lambda = e ? run_rate(e) * g[k].w * 1e-6 : 0;
        if (!e || lambda <= 0 || e->nlengths <= 0)
            continue;
        if (lambda > 500)
            lambda = 500; /* a PU that detours 500 times a step is as bad as the model goes */
        if (pu_delay(e, lambda, &g[k].d) < 0) {
            rc = place_error_set(err, PLACE_ENOMEM, "out of memory");
            break;
        }
        g[k].cdf = malloc(sizeof(double) * (size_t)g[k].d.n);
        if (!g[k].cdf) {
            rc = place_error_set(err, PLACE_ENOMEM, "out of memory");
            break;
        }
        double c = 0;
        for (int j = 0; j < g[k].d.n; j++)
            g[k].cdf[j] = c += g[k].d.pmf[j];
        double top = g[k].w + g[k].d.n * g[k].d.h_us;
        ymax = top > ymax ? top : ymax;
        hmin = g[k].d.h_us < hmin ? g[k].d.h_us : hmin;
    }
    if (rc == 0) {
        /* E max = integral over y of P(max > y) = 1 - prod F_t(y - w_t): 1 below the
         * smallest work, then on a grid fine enough for every delay (at most 50,000 steps) */
        double e = wmin;
        ymax = ymax > wmax ? ymax : wmax;
        if (ymax > wmin) {
            double h = isfinite(hmin) ? hmin : (ymax - wmin) / 1000;
            if ((ymax - wmin) / h > 50000)
                h = (ymax - wmin) / 50000;
            for (double y = wmin + h / 2; y < ymax; y += h) {
                double prod = 1;
                for (int k = 0; k < ng && prod > 0; k++) {
                    double F = cdf_at(&g[k], y - g[k].w);
                    prod *= g[k].mult == 1 ? F : pow(F, g[k].mult);
                }
                e += (1 - prod) * h;
            }
        } else {
            e = wmax;
        }
        *mean_us = e > wmax ? e : wmax;
    }
    for (int k = 0; k < ng; k++) {
        place_delay_dist_fini(&g[k].d);
        free(g[k].cdf);
    }
    free(g);
    return rc;
}
