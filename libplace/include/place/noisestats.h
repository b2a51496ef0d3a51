/* place/noisestats.h: the statistics the noise models are fitted with: heavy tails
 * (generalized Pareto fits with intervals), coincidence corrected for chance, barrier-step
 * noise (hits, coincidence, a mixture fit, noise cost), and the machine's other load. */
#ifndef PLACE_NOISESTATS_H
#define PLACE_NOISESTATS_H

#include <stddef.h>
#include <stdint.h>
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Tails: peaks over threshold ---------------------------------------------------------
 * The exceedances y = x - u of the samples above a threshold u are fitted by a generalized
 * Pareto distribution, P(Y > y) = (1 + xi y / sigma)^(-1/xi), by maximum likelihood
 * (Grimshaw's profile over theta = xi / sigma). xi > 0 is a heavy tail of index 1 / xi
 * (moments of order >= 1/xi do not exist); xi = 0 exponential; xi < 0 bounded. */
typedef struct place_gpd_fit {
    double u; /* threshold */
    int n;    /* exceedances fitted */
    int m;    /* samples in all */
    double xi, sigma;
    double xi_lo, xi_hi, sigma_lo, sigma_hi; /* 95%: asymptotic normal (observed info) */
    double xi_blo, xi_bhi;                   /* 95%: bootstrap percentiles (NAN if none) */
    double tail_index;                       /* 1 / xi when xi > 0, else INFINITY */
    double max_sample;
    /* checks: xi refitted above higher thresholds (a half, a quarter, an eighth of the
     * exceedances, 30 at least), with 95% intervals; stable 0 when one misses the fit's
     * interval (the threshold is too low for a GPD); xi_alt, a second local maximum of the
     * likelihood the data cannot tell from the fit (within the 95% likelihood-ratio bound),
     * else NAN: then xi is not determined by the data */
    int nstab, stab_n[3];
    double stab_u[3], stab_xi[3], stab_lo[3], stab_hi[3];
    int stable;
    double xi_alt;
} place_gpd_fit;

/* Fits the m samples x above threshold u (u < 0: the 90% quantile). Needs at least 30
 * exceedances. boot > 0 bootstrap resamples (seeded) give xi_blo/xi_bhi. */
PLACE_API int place_gpd_fit_samples(const double *x, int m, double u, int boot, uint64_t seed,
                                    place_gpd_fit *f, place_error *err);

/* ---- Detour lengths kept by a long probe ---------------------------------------------------
 * A probe keeps, per thread, a uniform sample of its detour lengths (every one while there
 * are few) and its largest ones, and counts them all. Pooled over threads: body, a uniform
 * sample of all the lengths (each thread's sample thinned to the smallest thread's sampling
 * fraction, so no thread weighs more than its count), sorted; u, the 90% quantile of the body
 * raised to where every longer detour of every thread is known; top, every length above u,
 * sorted (the exceedances a tail fit takes, tail fraction ntop / count); exact when nothing
 * was dropped (body is then every length). */
typedef struct place_detour_keep {
    const double *sample; /* a uniform sample of the thread's lengths */
    int nsample;
    const double *largest; /* its largest lengths, any order (may be NULL when exact) */
    int nlargest;
    int64_t count; /* every detour the thread saw (>= nsample) */
} place_detour_keep;

typedef struct place_detour_pool {
    double *body;
    int nbody;
    double *top;
    int ntop;
    double u;
    int64_t count;
    int exact;
} place_detour_pool;

PLACE_API int place_detour_pool_build(const place_detour_keep *k, int nk, uint64_t seed,
                                      place_detour_pool *p, place_error *err);
PLACE_API void place_detour_pool_fini(place_detour_pool *p);

/* The fit's checks in one line (no newline): "threshold stable: xi above U1 us X [lo, hi],
 * ...", or "threshold unstable: ..." naming the refit that misses; and, when the likelihood
 * has a second mode, "; xi not determined: the likelihood has a second mode at xi X". */
PLACE_API void place_gpd_checks_text(const place_gpd_fit *f, char *buf, size_t n);

/* GPD quantile: the y with P(Y <= y) = q. */
PLACE_API double place_gpd_quantile(double xi, double sigma, double q);

/* ---- Coincidence, corrected for chance ---------------------------------------------------
 * Two threads' detours coincide when their intervals [start, start + len + pad] overlap.
 * Observed: the share of detours that overlap one of another thread. Expected under
 * independence: for a detour of extent e on thread i and a thread j whose detours
 * arrive at rate R_j with mean extent E_j, 1 - exp(-R_j (e + E_j)); several other threads
 * multiply the misses. kappa = (observed - expected) / (1 - expected): 0 for independent
 * streams, 1 for identical ones. */
typedef struct place_detour_stream {
    const double *start_s; /* in time order */
    const double *len_us;
    int n;
    double pad_us; /* added to every extent (the probe's quantum) */
    double span_s; /* the time observed */
} place_detour_stream;

typedef struct place_coincidence {
    double observed, expected, excess, ratio, kappa;
    double len_corr; /* Pearson correlation of the lengths of coinciding pairs (NAN
                               with fewer than 3 pairs) */
    int64_t detours, pairs;
} place_coincidence;

PLACE_API void place_coincidence_streams(const place_detour_stream *s, int nstreams,
                                         place_coincidence *c);

/* ---- A timer tick in the detours ---------------------------------------------------------
 * Detours a periodic timer starts (the kernel's tick) fall at one phase of its period. For
 * each candidate frequency (CONFIG_HZ's 100, 250, 300 and 1000 Hz, each refined within
 * +-0.2% for the clocks' drift) the detours' start times are folded at its period: per
 * thread the mean phase and the mean resultant length R (0: no preferred phase, 1: every
 * detour at one phase) and Rayleigh's Z = n R^2. The best frequency is the largest sum of
 * Z; under no periodicity 2 sum Z is chi-square with 2 x threads degrees of freedom, and
 * p_value is its tail times the periods tried. found: p_value < 1e-3. aligned: every
 * thread's mean phase within 5% of the period of the first thread's (the CPUs tick at once,
 * as without skew_tick=1); near_fraction: the detours within 5% of the period of their
 * thread's mean phase. */
#define PLACE_TICK_MAX_THREADS 64
typedef struct place_tick {
    int found, aligned, nthreads; /* nthreads: analysed (the first 64 with detours) */
    double hz, period_us, p_value, near_fraction;
    double phase_us[PLACE_TICK_MAX_THREADS], R[PLACE_TICK_MAX_THREADS];
} place_tick;

PLACE_API void place_tick_analyze(const place_detour_stream *s, int nstreams, place_tick *t);

/* ---- Barrier-aligned steps ---------------------------------------------------------------
 * From per-thread step times (steps x threads, row-major, us): the noise-free reference
 * (the 5% quantile of all the times), each time's delay over it, a hit where the delay
 * exceeds max(5 us, 10% of the reference) (the jitter probe's rule), the per-thread hit
 * probability, the co-occurrence of hits per step against chance, and the mixture fit. */
typedef struct place_step_noise {
    int steps, threads;
    double ref_us, threshold_us;
    double p;             /* hit probability, over threads */
    double p2;            /* P(two given threads both hit), averaged over pairs */
    double hit_mean_us;   /* mean delay of a hit */
    place_coincidence co; /* observed: P(another thread hit | hit); expected: chance */
    double q_g, q_l;      /* the mixture model's fit (place_model_mixture_fit) */
    int mixture_ok;
    double excess_us; /* mean over steps of (max - mean) of the thread times */
    double mean_us, mean_max_us;
} place_step_noise;

/* Fills *sn; *hits_out (if not NULL) gets a malloc'd array of the hit delays (count in
 * *nhits_out), the length distribution the models use. */
PLACE_API int place_step_noise_analyze(const double *t_us, int steps, int threads,
                                       place_step_noise *sn, double **hits_out, int *nhits_out,
                                       place_error *err);

/* ---- The machine's other load, from /proc/stat -------------------------------------------
 * Two snapshots around a run and the run's own CPU time give the CPUs' worth of work done by
 * others (busy time of all CPUs minus ours, over the elapsed time) and the steal share (a
 * hypervisor's other guests). */
typedef struct place_sysload_snap {
    double t_s;                      /* CLOCK_MONOTONIC */
    double busy_s, total_s, steal_s; /* all CPUs, from /proc/stat */
    double own_cpu_s;                /* this process (getrusage) */
} place_sysload_snap;

typedef struct place_sysload {
    double other_cpus;     /* CPUs' worth of others' work during the run */
    double steal_fraction; /* of all CPU time */
    double elapsed_s;
} place_sysload;

PLACE_API int place_sysload_read(place_sysload_snap *s, place_error *err);
PLACE_API void place_sysload_between(const place_sysload_snap *a, const place_sysload_snap *b,
                                     place_sysload *out);

#ifdef __cplusplus
}
#endif
#endif
