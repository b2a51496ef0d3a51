/* test_noisemodels.c: the Poisson-detour and mixture models against independent Monte
 * Carlo, the tail fit against synthetic samples of known parameters, coincidence against
 * chance on synthetic streams, the barrier-step analysis, migration with the barrier.
 *
 * "Within the interval" means here: within the Monte Carlo's 99.9% interval (3.29
 * standard errors; the library reports the 95% half-width, which is scaled by 3.29/1.96).
 * Seeds are fixed, so a run repeats; a wrong closed form is off by many intervals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

#define Z999 (3.29 / 1.96)

static uint64_t lcg = 88172645463325252ULL;
static double unif(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(lcg >> 11) + 0.5) * 0x1.0p-53;
}

static const double Ns[] = {1, 2, 8, 64, 1000, 4096, 4097, 65536, 1e6};

static void poisson_against_mc(const place_lengths *L, double rate, double w, double rel_tol)
{
    place_delay_dist d;
    place_error e;
    assert_int_equal(place_poisson_delay(L, rate * w * 1e-6, &d, &e), 0);
    for (size_t i = 0; i < sizeof Ns / sizeof *Ns; i++) {
        double N = Ns[i], ci;
        double closed = place_model_poisson_slowdown(&d, w, N);
        int trials = N > 4096 ? 300 : N > 64 ? 1000 : 20000;
        double mc = place_model_poisson_monte_carlo(L, rate, w, N, trials, 100 + i, &ci);
        print_message("poisson kind %d N=%g: closed %.4f MC %.4f +- %.4f (95%%)\n", L->kind, N,
                      closed, mc, ci);
        assert_true(fabs(mc - closed) <= Z999 * ci + rel_tol * closed + 1e-12);
    }
    place_delay_dist_fini(&d);
}

static void test_poisson_fixed_lengths(void **s)
{
    (void)s;
    /* the numbers: p ~ 0.07 (R = 1400/s over 50 us), L = 36 us, W = 50 us */
    place_lengths L = {.kind = PLACE_LEN_FIXED, .len_us = 36};
    place_delay_dist d;
    assert_int_equal(place_poisson_delay(&L, 0.07, &d, NULL), 0);
    double k = place_poisson_emax_count(0.07, 1e6), sd = place_model_poisson_slowdown(&d, 50, 1e6);
    print_message("E[max K] of 10^6 = %.3f, slowdown %.3f; (b) says %.3f\n", k, sd,
                  place_model_detour_slowdown(50, -expm1(-0.07), 36, 1e6));
    assert_true(k > 3.4 && k < 3.8);
    assert_true(sd > 3.2 && sd < 3.7);
    assert_true(fabs(place_model_poisson_slowdown(&d, 50, 1) - 1) < 1e-12);
    /* fixed lengths: E[D] = lambda L exactly */
    assert_true(fabs(d.mean_us - 0.07 * 36) < 1e-9);
    /* one thread's E[max K] is the mean, lambda */
    assert_true(fabs(place_poisson_emax_count(0.07, 1) - 0.07) < 1e-12);
    place_delay_dist_fini(&d);
    poisson_against_mc(&L, 1400, 50, 0);
    place_lengths L2 = {.kind = PLACE_LEN_FIXED, .len_us = 200};
    poisson_against_mc(&L2, 300, 1000, 0); /* lambda 0.3: several detours per step are common */
}

static void test_poisson_exponential_lengths(void **s)
{
    (void)s;
    place_lengths L = {.kind = PLACE_LEN_EXP, .len_us = 40};
    poisson_against_mc(&L, 1000, 100, 0.005); /* the grid's step is 1/50 of the mean */
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_poisson_empirical_lengths(void **s)
{
    (void)s;
    static double x[3000];
    for (int i = 0; i < 3000; i++) {
        double u = unif();
        x[i] = u < 0.02 ? 100 + 900 * unif() : 30 + 10 * unif();
    }
    qsort(x, 3000, sizeof *x, cmpd);
    place_lengths L = {.kind = PLACE_LEN_EMPIRICAL, .x = x, .m = 3000};
    poisson_against_mc(&L, 1400, 50, 0.01); /* lengths rounded to a grid of 1/50 of the mean */
}

static void gpd_sample(double xi, double sigma, double *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = place_gpd_quantile(xi, sigma, unif());
}

static void test_gpd_fit_recovers_parameters(void **s)
{
    (void)s;
    static const double xis[] = {0.5, 1.0, 0.0, -0.2};
    static double y[4000];
    for (size_t k = 0; k < sizeof xis / sizeof *xis; k++) {
        gpd_sample(xis[k], 10, y, 4000);
        place_gpd_fit f;
        place_error e;
        assert_int_equal(place_gpd_fit_samples(y, 4000, 0, 200, 5 + k, &f, &e), 0);
        print_message("xi %.2f: fit %.3f [%.3f, %.3f] boot [%.3f, %.3f], sigma %.2f [%.2f, %.2f]\n",
                      xis[k], f.xi, f.xi_lo, f.xi_hi, f.xi_blo, f.xi_bhi, f.sigma, f.sigma_lo,
                      f.sigma_hi);
        assert_true(f.xi_lo <= xis[k] && xis[k] <= f.xi_hi);
        assert_true(f.xi_blo <= xis[k] && xis[k] <= f.xi_bhi);
        assert_true(f.sigma_lo <= 10 && 10 <= f.sigma_hi);
        assert_true(f.xi_hi - f.xi_lo < 0.2); /* informative, not a blanket interval */
    }
    /* a threshold: the body below it is not fitted; the 90% quantile by default */
    static double z[20000];
    for (int i = 0; i < 20000; i++)
        z[i] = unif() < 0.9 ? 20 * unif() : 20 + place_gpd_quantile(0.7, 5, unif());
    place_gpd_fit f;
    assert_int_equal(place_gpd_fit_samples(z, 20000, 20, 0, 1, &f, NULL), 0);
    print_message("threshold 20: %d exceedances, xi %.3f [%.3f, %.3f]\n", f.n, f.xi, f.xi_lo,
                  f.xi_hi);
    assert_true(f.n > 1800 && f.n < 2200);
    assert_true(f.xi_lo <= 0.7 && 0.7 <= f.xi_hi);
    assert_true(isnan(f.xi_blo));
    /* too few exceedances: refused, said */
    place_error e;
    assert_int_equal(place_gpd_fit_samples(z, 100, 1e9, 0, 1, &f, &e), -1);
    assert_non_null(strstr(e.msg, "at least 30"));
}

/* Detour streams for the tick analysis: a tick every P us at phase ph (each with
 * probability keep) mixed with Poisson detours at rate R, over 10 s, in time order. */
static int tick_stream(double P, double ph, double keep, double R, double *st, double *len, int cap)
{
    int n = 0;
    double next_tick = ph, next_r = R > 0 ? -log(unif()) / R * 1e6 : 1e18;
    while (n < cap) {
        double t = next_tick < next_r ? next_tick : next_r;
        if (t > 10e6)
            break;
        if (next_tick <= next_r) {
            next_tick += P;
            if (unif() >= keep)
                continue;
        } else {
            next_r += -log(unif()) / R * 1e6;
        }
        st[n] = t * 1e-6;
        len[n++] = 5;
    }
    return n;
}

/* The tick analysis: a 250 Hz tick aligned on two CPUs, the same staggered, a 1 kHz tick
 * (not taken for 250 Hz, whose period it divides), and random detours (no tick). */
static void test_tick_analysis(void **s)
{
    (void)s;
    enum { CAP = 40000 };
    static double st[2][CAP], ln[2][CAP];
    struct {
        double P, ph1, keep, R;
        int found, aligned;
        double hz;
    } c[] = {
        {4000, 1200, 0.3, 300, 1, 1, 250},
        {4000, 3200, 0.3, 300, 1, 0, 250},
        {1000, 1200 - 1000, 0.3, 300, 1, 1, 1000},
        {4000, 1200, 0, 600, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        place_detour_stream ds[2];
        int n0 = tick_stream(c[k].P, 1200 - (c[k].P == 1000 ? 1000 : 0), c[k].keep, c[k].R, st[0],
                             ln[0], CAP);
        int n1 = tick_stream(c[k].P, c[k].ph1, c[k].keep, c[k].R, st[1], ln[1], CAP);
        ds[0] = (place_detour_stream){st[0], ln[0], n0, 50, 10};
        ds[1] = (place_detour_stream){st[1], ln[1], n1, 50, 10};
        place_tick t;
        place_tick_analyze(ds, 2, &t);
        print_message(
            "case %zu: found %d, %.0f Hz, p %.3g, aligned %d, phases %.0f %.0f us, R %.2f "
            "%.2f, near %.2f\n",
            k, t.found, t.hz, t.p_value, t.aligned, t.phase_us[0], t.phase_us[1], t.R[0], t.R[1],
            t.near_fraction);
        assert_int_equal(t.found, c[k].found);
        assert_int_equal(t.aligned, c[k].aligned);
        if (c[k].found) {
            assert_true(t.hz == c[k].hz);
            assert_true(fabs(t.phase_us[0] - fmod(1200, c[k].P)) < 0.02 * c[k].P);
        } else {
            assert_true(t.p_value > 1e-3);
        }
    }
}

/* A CPU's timeline walked in small steps: the oracle for the periodic step time. */
static double periodic_walk(double w, double P, double D, double phi)
{
    const double dt = 0.002;
    double t = 0, done = 0;
    while (done < w - 1e-9) {
        /* in a tick when t lies in [phi + nP, phi + nP + D) for some n >= -1 */
        double x = fmod(t - phi + P, P);
        if (!(x < D))
            done += dt;
        t += dt;
    }
    return t;
}

/* One CPU's work of w from time t0, its ticks of D starting at ph + kP: when the work ends,
 * walked tick by tick (not through place_periodic_step). */
static double walk_ticks(double t0, double w, double P, double D, double ph)
{
    double start = ph + floor((t0 - ph) / P) * P; /* the last tick started at or before t0 */
    double t = t0 < start + D ? start + D : t0, left = w;
    for (;;) {
        double next = start + P;
        if (t + left <= next)
            return t + left;
        left -= next - t;
        t = next + D;
        start = next;
    }
}

/* N CPUs with fixed phases at a barrier, on the timeline: the mean step over the pace alone,
 * R runs of S steps (after S / 10), the 95% half-width over runs in *ci. */
static double fixed_timeline(double w, double P, double D, int N, int R, int S, double *ci)
{
    double *ph = malloc(sizeof(double) * (size_t)N), s = 0, s2 = 0, base = w / (1 - D / P);
    for (int r = 0; r < R; r++) {
        for (int i = 0; i < N; i++)
            ph[i] = unif() * P;
        double t = 0, sum = 0;
        for (int k = 0; k < S + S / 10; k++) {
            double end = t;
            for (int i = 0; i < N; i++) {
                double e = walk_ticks(t, w, P, D, ph[i]);
                end = e > end ? e : end;
            }
            if (k >= S / 10)
                sum += end - t;
            t = end;
        }
        s += sum / S / base;
        s2 += (sum / S / base) * (sum / S / base);
    }
    free(ph);
    double m = s / R;
    *ci = 2.365 * sqrt(fmax(0, (s2 - R * m * m) / (R - 1)) / R);
    return m;
}

/* Periodic noise: the step time against a walked timeline; the fixed-phase slowdown against
 * barrier steps walked tick by tick at N = 1 to 4,096 (the figures an independent timeline
 * gave for 10 Hz x 2.5 ms on 200 us steps: 1.026 at N = 2, 4.11 at N = 64); the limit as N
 * grows at 2^21 threads (an independent check's 1.0116 / 1.0969 / 2.1938 / 13.1625) and the
 * fixed phases reaching it; a node of aligned CPUs pays once. */
static void test_periodic_exact(void **s)
{
    (void)s;
    for (int k = 0; k < 60; k++) {
        double P = 20 + 200 * unif(), D = P * 0.3 * unif(), w = 5 + 300 * unif(), phi = P * unif();
        double a = place_periodic_step(w, P, D, phi), b = periodic_walk(w, P, D, phi);
        double c = walk_ticks(0, w, P, D, phi);
        if (fabs(a - b) > 0.01 || fabs(a - c) > 1e-6)
            print_message("w %g P %g D %g phi %g: %g, walked %g, by ticks %g\n", w, P, D, phi, a, b,
                          c);
        assert_true(fabs(a - b) <= 0.01 && fabs(a - c) <= 1e-6);
    }
    const double f[] = {10000, 1000, 100, 10}, want[] = {1.0116, 1.0969, 2.1938, 13.1625};
    const double Ns[] = {1, 2, 64, 4096, 2097152};
    for (int i = 0; i < 4; i++) {
        double out[5];
        place_error e;
        assert_int_equal(place_model_periodic_slowdowns(200, f[i], 25000 / f[i], 1, Ns, 5, out, &e),
                         0);
        print_message("%g Hz x %g us: limit %.4f %.4f %.4f %.4f %.4f\n", f[i], 25000 / f[i], out[0],
                      out[1], out[2], out[3], out[4]);
        assert_true(out[0] == 1 && fabs(out[4] - want[i]) < 5e-4);
        /* aligned in pairs: 2 threads are one group, 4096 threads 2048 groups */
        double o2[5];
        assert_int_equal(place_model_periodic_slowdowns(200, f[i], 25000 / f[i], 2, Ns, 5, o2, &e),
                         0);
        assert_true(o2[1] == 1 && o2[3] <= out[3] + 1e-12);
    }
    /* fixed phases against the timeline walked tick by tick */
    const double F[] = {10, 1000}, NN[] = {1, 2, 64, 4096};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            double P = 1e6 / F[i], D = 25000 / F[i], ca, cb;
            double a = place_model_periodic_fixed(200, F[i], D, 1, NN[j], 4000000, 11 + j, &ca);
            double b = fixed_timeline(200, P, D, (int)NN[j], 8, NN[j] > 100 ? 60 : 1500, &cb);
            print_message("%g Hz x %g us, N %g: fixed %.4f +- %.4f, timeline %.4f +- %.4f\n", F[i],
                          D, NN[j], a, ca, b, cb);
            assert_true(fabs(a - b) <= 1.7 * sqrt(ca * ca + cb * cb) + 1e-3 * b);
            if (i == 0 && NN[j] == 2)
                assert_true(fabs(a - 1.026) < 0.03);
            if (i == 0 && NN[j] == 64)
                assert_true(fabs(a - 4.11) < 0.25);
        }
    place_error e;
    double o;
    assert_int_equal(place_model_periodic_slowdowns(200, 10, 1e5, 1, Ns, 1, &o, &e), -1);
    assert_non_null(strstr(e.msg, "shorter than the period"));
}

/* The fit's checks: a GPD sample is stable over thresholds and has one mode; a tail that
 * begins above the threshold is unstable (the refits find the heavier tail); two clusters
 * (exceedances near the threshold and far from it) give a likelihood with two modes that the
 * data cannot tell apart, said instead of one xi. */
static void test_gpd_fit_checks(void **s)
{
    (void)s;
    static double y[40000];
    char line[600];
    gpd_sample(0.5, 10, y, 4000);
    place_gpd_fit f;
    assert_int_equal(place_gpd_fit_samples(y, 4000, 0, 0, 1, &f, NULL), 0);
    place_gpd_checks_text(&f, line, sizeof line);
    print_message("GPD(0.5): %s\n", line);
    assert_true(f.stable && f.nstab == 3 && isnan(f.xi_alt));
    assert_true(f.stab_n[0] >= 1990 && f.stab_n[0] <= 2000 && f.stab_u[0] < f.stab_u[1]);
    assert_non_null(strstr(line, "threshold stable"));
    /* exponential lengths, and 4% from a Pareto tail of xi 1 beyond them: above the 90%
     * quantile the fit mixes both */
    for (int i = 0; i < 40000; i++)
        y[i] = unif() < 0.96 ? -10 * log(unif()) : 30 + place_gpd_quantile(1.0, 10, unif());
    assert_int_equal(place_gpd_fit_samples(y, 40000, -1, 0, 1, &f, NULL), 0);
    place_gpd_checks_text(&f, line, sizeof line);
    print_message("exponential + Pareto: xi %.3f [%.3f, %.3f]; %s\n", f.xi, f.xi_lo, f.xi_hi, line);
    assert_false(f.stable);
    assert_non_null(strstr(line, "threshold unstable"));
    /* two clusters */
    int n = 0;
    for (int i = 0; i < 20; i++)
        y[n++] = 1 + (i + 0.5) / 20;
    for (int i = 0; i < 28; i++)
        y[n++] = 1 + 38 * pow((i + 0.5) / 28, -0.2);
    assert_int_equal(place_gpd_fit_samples(y, n, 1, 0, 1, &f, NULL), 0);
    place_gpd_checks_text(&f, line, sizeof line);
    print_message("two clusters: xi %.3f; %s\n", f.xi, line);
    assert_false(isnan(f.xi_alt));
    assert_true(fabs(f.xi_alt - f.xi) > 1);
    assert_non_null(strstr(line, "second mode"));
}

/* A long probe's kept lengths (a uniform sample and the largest, per thread) against every
 * length as the oracle: the pool's tail holds every length above its threshold, exactly, and
 * the fit to it is the fit to the whole set at that threshold; the body is a fair sample. */
static void test_detour_pool_keeps_the_tail(void **s)
{
    (void)s;
    enum { N0 = 150000, N1 = 40000, KEEP = 10000 };
    static double all[N0 + N1], samp[2][KEEP], big[2][KEEP], sorted[N0 + N1];
    const int n[2] = {N0, N1};
    for (int i = 0; i < N0 + N1; i++) /* a body of 0..20 us, 10% a Pareto-like tail from 20 */
        all[i] = unif() < 0.9 ? 20 * unif() + 0.01 : 20 + place_gpd_quantile(0.6, 5, unif());
    place_detour_keep k[2];
    for (int t = 0, off = 0; t < 2; off += n[t], t++) {
        /* the sample: a uniform subset (partial shuffle of a copy); the largest: the top */
        double *c = malloc(sizeof(double) * (size_t)n[t]);
        assert_non_null(c);
        memcpy(c, all + off, sizeof(double) * (size_t)n[t]);
        for (int j = 0; j < KEEP; j++) {
            int r = j + (int)(unif() * (n[t] - j));
            double x = c[j];
            c[j] = c[r], c[r] = x;
        }
        memcpy(samp[t], c, sizeof(double) * KEEP);
        qsort(c, (size_t)n[t], sizeof *c, cmpd);
        memcpy(big[t], c + n[t] - KEEP, sizeof(double) * KEEP);
        free(c);
        k[t] = (place_detour_keep){samp[t], KEEP, big[t], KEEP, n[t]};
    }
    place_detour_pool p;
    place_error e;
    assert_int_equal(place_detour_pool_build(k, 2, 3, &p, &e), 0);
    assert_false(p.exact);
    assert_true(p.count == N0 + N1);
    memcpy(sorted, all, sizeof sorted);
    qsort(sorted, N0 + N1, sizeof *sorted, cmpd);
    int above = 0;
    for (int i = 0; i < N0 + N1; i++)
        above += sorted[i] > p.u;
    print_message("pool: u %.2f, %d kept above it, %d in all; body %d\n", p.u, p.ntop, above,
                  p.nbody);
    /* thread 0's 10,000 largest reach down to its 93rd percentile: the 90% threshold is
     * raised there, and every length above it is kept */
    assert_int_equal(p.ntop, above);
    for (int i = 0; i < p.ntop; i++)
        assert_true(p.top[i] == sorted[N0 + N1 - p.ntop + i]);
    /* the body: each thread thinned to the smaller fraction (10,000 of 150,000), so thread 1
     * gives about 2,667, not 10,000 */
    assert_true(p.nbody >= 12660 && p.nbody <= 12670);
    double mb = 0, ma = 0;
    for (int i = 0; i < p.nbody; i++)
        mb += p.body[i] > 20;
    for (int i = 0; i < N0 + N1; i++)
        ma += all[i] > 20;
    mb /= p.nbody, ma /= N0 + N1;
    assert_true(fabs(mb - ma) < 4 * sqrt(ma * (1 - ma) / p.nbody));
    place_gpd_fit fp, fa;
    assert_int_equal(place_gpd_fit_samples(p.top, p.ntop, p.u, 0, 1, &fp, NULL), 0);
    assert_int_equal(place_gpd_fit_samples(all, N0 + N1, p.u, 0, 1, &fa, NULL), 0);
    assert_true(fp.n == fa.n && fp.xi == fa.xi && fp.sigma == fa.sigma);
    place_detour_pool_fini(&p);
    /* every length kept: exact, the 90% quantile of them all */
    place_detour_keep one = {all, 5000, NULL, 0, 5000};
    assert_int_equal(place_detour_pool_build(&one, 1, 3, &p, &e), 0);
    assert_true(p.exact && p.nbody == 5000);
    int a2 = 0;
    for (int i = 0; i < 5000; i++)
        a2 += all[i] > p.u;
    assert_int_equal(p.ntop, a2);
    place_detour_pool_fini(&p);
    /* a thread that kept all of its 4,000 lengths beside one that kept 10,000 of 150,000:
     * thinned to the same fraction, it gives about 267 of them to the body, not 4,000 */
    place_detour_keep mix[2] = {k[0], {all + N0, 4000, NULL, 0, 4000}};
    assert_int_equal(place_detour_pool_build(mix, 2, 3, &p, &e), 0);
    print_message("one thread complete beside one sampled: body %d\n", p.nbody);
    assert_true(p.nbody >= 10265 && p.nbody <= 10268);
    place_detour_pool_fini(&p);
    /* a part without the largest: refused, said */
    place_detour_keep bad = {all, 5000, NULL, 0, 9000};
    assert_int_equal(place_detour_pool_build(&bad, 1, 3, &p, &e), -1);
    assert_non_null(strstr(e.msg, "largest"));
}

/* A stream of non-overlapping detours: Poisson arrivals at rate R, exponential lengths. */
static int stream(double R, double mean_len, double span, double *st, double *len, int cap)
{
    int n = 0;
    double t = 0;
    while (n < cap) {
        t += -log(unif()) / R;
        if (t > span)
            break;
        st[n] = t;
        len[n] = -mean_len * log(unif());
        t += len[n] * 1e-6;
        n++;
    }
    return n;
}

static void test_coincidence_against_chance(void **s)
{
    (void)s;
    enum { CAP = 40000 };
    static double s1[CAP], l1[CAP], s2[CAP], l2[CAP];
    int n1 = stream(1000, 30, 20, s1, l1, CAP), n2 = stream(1000, 30, 20, s2, l2, CAP);
    place_detour_stream ds[2] = {{s1, l1, n1, 50, 20}, {s2, l2, n2, 50, 20}};
    place_coincidence c;
    place_coincidence_streams(ds, 2, &c);
    print_message("independent: observed %.3f expected %.3f kappa %.3f corr %.3f\n", c.observed,
                  c.expected, c.kappa, c.len_corr);
    assert_true(c.observed > 0.1); /* chance alone makes many overlap */
    assert_true(fabs(c.kappa) < 0.05);
    assert_true(fabs(c.ratio - 1) < 0.1);
    assert_true(fabs(c.len_corr) < 0.1);
    place_detour_stream same[2] = {{s1, l1, n1, 50, 20}, {s1, l1, n1, 50, 20}};
    place_coincidence_streams(same, 2, &c);
    print_message("identical: observed %.3f expected %.3f kappa %.3f corr %.3f\n", c.observed,
                  c.expected, c.kappa, c.len_corr);
    assert_true(c.observed == 1);
    assert_true(c.kappa > 0.99);
    assert_true(c.len_corr >
                0.9); /* the first overlapping partner: now and then the previous one */
}

static void test_mixture_closed_form_against_monte_carlo(void **s)
{
    (void)s;
    static double x[2000], sorted[2000];
    for (int i = 0; i < 2000; i++)
        x[i] = unif() < 0.05 ? 200 + 800 * unif() : 20 + 20 * unif();
    static const double Ks[] = {1, 2, 10, 1000, 32768, 1e5, 5e5};
    for (size_t i = 0; i < sizeof Ks / sizeof *Ks; i++) {
        memcpy(sorted, x, sizeof x);
        double ci, closed = place_model_mixture_emax(0.03, 0.05, 2, Ks[i], sorted, 2000);
        double mc = place_model_mixture_monte_carlo(0.03, 0.05, 2, Ks[i], x, 2000,
                                                    Ks[i] > 1000 ? 4000 : 20000, 40 + i, &ci);
        print_message("mixture K=%g: closed %.3f MC %.3f +- %.3f\n", Ks[i], closed, mc, ci);
        assert_true(fabs(mc - closed) <= Z999 * ci + 1e-9);
    }
    /* without shocks it is the independent hit model: fixed L, E[max] = L (1 - (1 - q)^(TK)) */
    double L[1] = {100};
    double e = place_model_mixture_emax(0, 0.01, 4, 250, L, 1);
    assert_true(fabs(e - 100 * -expm1(1000 * log1p(-0.01))) < 1e-9);
    /* the fit inverts the model: p = q_g + (1 - q_g) q_l, p2 = q_g + (1 - q_g) q_l^2 */
    double qg = 0.02, ql = 0.07, p = qg + (1 - qg) * ql, p2 = qg + (1 - qg) * ql * ql, fg, fl;
    assert_int_equal(place_model_mixture_fit(p, p2, &fg, &fl), 0);
    assert_true(fabs(fg - qg) < 1e-9 && fabs(fl - ql) < 1e-9);
    assert_int_equal(place_model_mixture_fit(0.1, 0.01, &fg, &fl), 0); /* independent */
    assert_true(fabs(fg) < 1e-9 && fabs(fl - 0.1) < 1e-9);
    assert_int_equal(place_model_mixture_fit(0.1, 0.005, &fg, &fl), -1); /* avoid each other */
}

static void test_step_noise_analysis(void **s)
{
    (void)s;
    enum { S = 20000, T = 2 };
    static double t[S * T];
    /* independent hits, p = 0.1, 50 us on 200 us */
    for (int k = 0; k < S * T; k++)
        t[k] = 200 + unif() + (unif() < 0.1 ? 50 : 0);
    place_step_noise sn;
    double *hits;
    int nh;
    assert_int_equal(place_step_noise_analyze(t, S, T, &sn, &hits, &nh, NULL), 0);
    print_message("independent: ref %.1f p %.3f kappa %.3f q_g %.3f q_l %.3f\n", sn.ref_us, sn.p,
                  sn.co.kappa, sn.q_g, sn.q_l);
    assert_true(fabs(sn.p - 0.1) < 0.01);
    assert_true(fabs(sn.co.kappa) < 0.05);
    assert_true(sn.q_g < 0.01);
    assert_int_equal(nh, (int)llround(sn.p * S * T));
    assert_true(fabs(sn.hit_mean_us - 50) < 2);
    free(hits);
    /* common shocks: q_g = 0.05 both threads, else each 0.05 */
    for (int k = 0; k < S; k++) {
        int shock = unif() < 0.05;
        for (int i = 0; i < T; i++)
            t[k * T + i] = 200 + unif() + (shock || unif() < 0.05 ? 50 : 0);
    }
    assert_int_equal(place_step_noise_analyze(t, S, T, &sn, NULL, NULL, NULL), 0);
    print_message("shocks: p %.3f p2 %.4f kappa %.3f q_g %.3f q_l %.3f\n", sn.p, sn.p2, sn.co.kappa,
                  sn.q_g, sn.q_l);
    assert_true(sn.mixture_ok);
    assert_true(fabs(sn.q_g - 0.05) < 0.01 && fabs(sn.q_l - 0.05) < 0.01);
    assert_true(sn.co.kappa > 0.3);
    assert_true(sn.excess_us > 0);
}

static void test_migration_with_the_barrier(void **s)
{
    (void)s;
    double now[3] = {1.0, 2.0, 2.0}, one[3] = {1.0, 1.2, 2.0}, both[3] = {1.0, 1.2, 1.2}, g;
    /* moving one of two remote threads gains nothing: the other still sets the pace */
    assert_int_equal(place_model_migrate_barrier(1000, now, one, 3, 1e-3, &g), 0);
    assert_true(g == 0);
    assert_int_equal(place_model_migrate_barrier(1000, now, both, 3, 1e-3, &g), 1);
    assert_true(fabs(g - 800) < 1e-9);
    assert_int_equal(place_model_migrate_barrier(1000, now, both, 3, 900, &g), 0);
}

static void test_sysload(void **s)
{
    (void)s;
    place_sysload_snap a, b;
    place_error e;
    assert_int_equal(place_sysload_read(&a, &e), 0);
    volatile double x = 0;
    for (long i = 0; i < 20000000; i++)
        x += 1e-9;
    assert_int_equal(place_sysload_read(&b, &e), 0);
    place_sysload l;
    place_sysload_between(&a, &b, &l);
    assert_true(l.elapsed_s > 0 && a.total_s > 0 && b.own_cpu_s > a.own_cpu_s);
    assert_true(l.other_cpus >= 0 && l.steal_fraction >= 0 && l.steal_fraction <= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson_fixed_lengths),
        cmocka_unit_test(test_poisson_exponential_lengths),
        cmocka_unit_test(test_poisson_empirical_lengths),
        cmocka_unit_test(test_gpd_fit_recovers_parameters),
        cmocka_unit_test(test_detour_pool_keeps_the_tail),
        cmocka_unit_test(test_gpd_fit_checks),
        cmocka_unit_test(test_periodic_exact),
        cmocka_unit_test(test_tick_analysis),
        cmocka_unit_test(test_coincidence_against_chance),
        cmocka_unit_test(test_mixture_closed_form_against_monte_carlo),
        cmocka_unit_test(test_step_noise_analysis),
        cmocka_unit_test(test_migration_with_the_barrier),
        cmocka_unit_test(test_sysload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
