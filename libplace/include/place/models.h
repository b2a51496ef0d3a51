/* place/models.h: what theory predicts for the barrier-step slowdown under noise, and
 * Monte Carlo checks of the closed forms. */
#ifndef PLACE_MODELS_H
#define PLACE_MODELS_H

#include <stdint.h>
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* H_N = 1 + 1/2 + ... + 1/N (exact sum up to 10^6 terms, asymptotic beyond). */
PLACE_API double place_model_harmonic(double N);

/* (a) i.i.d. exponential delays of mean mu on work w per step:
 *     E[max] = w + mu H_N, E[mean] = w + mu, slowdown = (w + mu H_N) / (w + mu). */
PLACE_API double place_model_exp_slowdown(double w, double mu, double N);

/* (b) the hit-probability model: each thread, each step, at most one detour of length L,
 *     with probability p. P(some thread hit) = 1 - (1 - p)^N, and
 *     slowdown = (w + L (1 - (1 - p)^N)) / (w + p L). It is the chance of a hit, not
 *     the cost of real noise, which arrives in time and can hit a step several times:
 *     see the Poisson model below. */
PLACE_API double place_model_detour_slowdown(double w, double p, double L, double N);

/* (c) empirical: the per-thread step time has the distribution of the m samples x;
 *     E[max of N] = sum_i x_(i) ((i/m)^N - ((i-1)/m)^N) over the sorted samples;
 *     slowdown = E[max of N] / mean(x). Sorts x in place. */
PLACE_API double place_model_empirical_slowdown(double *x, int m, double N);

/* E[max of N] of the m samples x (sorted in place), the numerator of (c). */
PLACE_API double place_model_empirical_emax(double *x, int m, double N);

/* (d) migration profitability of one thread alone: migrate when remaining_s * sigma >
 *     cost_s, where sigma is the fractional slowdown of remote access. Returns 1 to
 *     migrate, 0 not. In a bulk-synchronous code use place_model_migrate_barrier. */
PLACE_API int place_model_migrate(double remaining_s, double sigma, double cost_s);

/* (d) with the barrier: n threads' step times now (t_now) and after the migration
 *     (t_after); every step lasts as long as the slowest thread, so the gain is
 *     steps * (max t_now - max t_after): zero when the slowest thread stays as slow (an
 *     other thread still remote). Returns 1 to migrate (gain > cost_s), 0 not; *gain_s
 *     (if not NULL) gets the gain. Times in seconds. */
PLACE_API int place_model_migrate_barrier(double steps, const double *t_now, const double *t_after,
                                          int n, double cost_s, double *gain_s);

/* ---- Periodic noise -------------------------------------------------------------------
 * A timer on every CPU takes it for len_us every period P = 1e6 / freq_hz us (len < P), at
 * the CPU's own phase, fixed for the whole run, or at one phase shared by a group of
 * `group` CPUs (a node whose ticks are aligned; groups independent). A thread needs w us
 * of work; phi, the time from the step's start to its CPU's next tick: a tick running at
 * the start takes b = max(0, phi - (P - len)) first; then K = max(0, ceil((b + w - phi) /
 * (P - len))) ticks fall into the work, and the step takes T(phi) = b + w + K len. A tick
 * that lands while a thread waits at the barrier delays it only if it outlasts the wait
 * (the next step starts inside it: b). */
PLACE_API double place_periodic_step(double w, double period_us, double len_us, double phi_us);

/* The limit as N grows: at every barrier's release the CPUs' phases relative to it taken
 * as uniform and independent of the step before (the release is set by the slowest of
 * many, and says ever less of the other CPUs' phases). slowdown(N) = E[max of the N /
 * group groups' T] / (w / (1 - len / P)), one thread's pace alone (slowdown(1) = 1): the nn
 * slowdowns at thread counts Ns from the sorted T of 2^20 phases evenly spaced. Below
 * about a thousand threads the fixed phases matter and place_model_periodic_fixed is the
 * model. -1 with err for len >= P or w <= 0 or group < 1. */
PLACE_API int place_model_periodic_slowdowns(double w, double freq_hz, double len_us, int group,
                                             const double *Ns, int nn, double *out,
                                             place_error *err);

/* The slowdown with each CPU's phase fixed for the run, at any N: barrier steps walked on
 * the timeline (thread i's step from the release t is T(phase_i - t mod P), the next
 * release the slowest's end), the mean step over 8 runs of fresh phases (after a tenth of
 * each run's steps), over the pace alone; about `budget` step times in all (steps per run
 * 20 to 4,000). The 95% half-width over the runs in *ci. NAN for bad arguments. */
PLACE_API double place_model_periodic_fixed(double w, double freq_hz, double len_us, int group,
                                            double N, long budget, uint64_t seed, double *ci);

/* ---- Detours in time: the Poisson model ------------------------------------------------
 * Detours arrive as a Poisson process of rate R per second while a thread works w us,
 * so a step holds K ~ Poisson(lambda = R w) detours (a detour brings no further ones);
 * their lengths are i.i.d. from a length distribution. A thread's delay is the compound
 * sum D = L_1 + ... + L_K, independent across threads; the step costs w + max of N D's.
 * Lengths are fixed (then K L: the closed form through the Poisson CDF), exponential,
 * the measured samples, or the measured samples with a generalized Pareto tail above a
 * threshold (truncated at a cap: the longest detour thought possible). */
typedef enum place_len_kind {
    PLACE_LEN_FIXED = 0, /* every detour len_us */
    PLACE_LEN_EXP,       /* exponential of mean len_us */
    PLACE_LEN_EMPIRICAL, /* the m samples x */
    PLACE_LEN_GPD_TAIL   /* the samples below u; above u: u + GPD(xi, sigma) up to cap_us,
                             with probability tail_frac */
} place_len_kind;

typedef struct place_lengths {
    place_len_kind kind;
    double len_us;
    const double *x;
    int m;
    double u, xi, sigma, cap_us, tail_frac;
} place_lengths;

/* A delay distribution on a grid of step h_us: pmf[j] = P(D = j h) for j < n; what lies
 * beyond n h has probability tail (below 1e-12 unless the grid reached 2^18 points). */
typedef struct place_delay_dist {
    double h_us;
    int n;
    double *pmf;
    double mean_us; /* of the distribution as discretized */
    double tail;
} place_delay_dist;

/* The compound Poisson delay of a thread: Panjer's recursion on the discretized lengths
 * (exact for fixed lengths, whose grid step is the length itself; otherwise the step is
 * at most 1/50 of the mean length and the grid at most 2^18 points). */
PLACE_API int place_poisson_delay(const place_lengths *L, double lambda, place_delay_dist *d,
                                  place_error *err);
PLACE_API void place_delay_dist_fini(place_delay_dist *d);

/* E[max of N i.i.d. delays of distribution d] = h sum_j (1 - F(j)^N). */
PLACE_API double place_delay_emax(const place_delay_dist *d, double N);

/* Slowdown under Poisson detours: (w + E[max of N D]) / (w + E[D]), E[D] = lambda E[L]. */
PLACE_API double place_model_poisson_slowdown(const place_delay_dist *d, double w, double N);

/* The largest detour count among N threads, E[max K] = sum_k (1 - P(K <= k)^N), for
 * lambda = R w. */
PLACE_API double place_poisson_emax_count(double lambda, double N);

/* Monte Carlo of the same, by an independent route: every thread's arrivals are drawn as
 * exponential gaps over w (N <= 4096), or the N threads' superposed process (rate N R) is
 * drawn and each arrival given to a uniform thread; lengths drawn from L. Returns the mean
 * slowdown and the half-width of its 95% interval in *ci. */
PLACE_API double place_model_poisson_monte_carlo(const place_lengths *L, double rate_hz, double w,
                                                 double N, int trials, uint64_t seed, double *ci);

/* One length drawn from L (for the simulations); u is uniform in (0, 1). */
PLACE_API double place_lengths_quantile(const place_lengths *L, double u);
PLACE_API double place_lengths_mean(const place_lengths *L);

/* ---- Correlated noise: the common-shock mixture model ----------------------------------
 * A shock domain (a node, a socket) holds T threads. Each step, with probability q_g
 * every thread of the domain detours by one common length (a shock); otherwise each
 * detours independently with probability q_l. Lengths from the m samples x (sorted in
 * place). Domains are independent. With G the length CDF, a domain's maximum has
 *   F_d(x) = q_g G(x) + (1 - q_g) (1 - q_l + q_l G(x))^T,
 * K domains F_d^K, and E[max] = sum_i (x_(i+1) - x_(i)) (1 - F_d(x_(i))^K), exact for
 * the sample's step CDF. The per-thread hit probability is p = q_g + (1 - q_g) q_l. */
PLACE_API double place_model_mixture_emax(double q_g, double q_l, double T, double K, double *x,
                                          int m);

/* Fits q_g and q_l from the per-thread hit probability p and the probability p2 that two
 * given threads of a domain are hit in the same step (solving the two equations above).
 * Returns 0, or -1 when no (q_g, q_l) in [0, 1] gives them (p2 < p^2: the threads avoid
 * each other, which the model cannot express; then q_g = 0 and q_l = p). */
PLACE_API int place_model_mixture_fit(double p, double p2, double *q_g, double *q_l);

/* Monte Carlo of the mixture's E[max] over K domains of T threads (every thread drawn
 * when K T <= 65536, else each domain's maximum by inversion of F_d). */
PLACE_API double place_model_mixture_monte_carlo(double q_g, double q_l, int T, double K,
                                                 const double *x, int m, int trials, uint64_t seed,
                                                 double *ci);

/* Monte Carlo estimate of the slowdown of N threads under model `kind` ('a', 'b' or
 * 'c' with the samples x of m values), `trials` steps, seeded. Returns the mean and
 * the half-width of its 95% confidence interval in *ci. For large N the maximum is
 * drawn directly by inversion (F_max = F^N), exactly, in O(1) per trial. */
PLACE_API double place_model_monte_carlo(char kind, double w, double a, double b, const double *x,
                                         int m, double N, int trials, uint64_t seed, double *ci);

/* ---- Simulation at scale (simulate.c) ----------------------------------------------------
 * N ranks (nodes) of T threads run bulk-synchronous steps: each rank computes for the
 * slowest of its threads, then a modelled collective with LogP-style costs (overhead o at
 * each end of a message, latency L in flight) synchronises them. Noise is independent
 * across ranks and correlated inside one as recorded or modelled. */
typedef enum place_sync {
    PLACE_SYNC_BARRIER = 0, /* dissemination barrier, ceil(log2 N) rounds */
    PLACE_SYNC_ALLREDUCE,   /* binomial-tree reduction and broadcast */
    PLACE_SYNC_HALO,        /* 6 neighbours on a 3D torus, no global synchronisation */
    PLACE_SYNC_NONE
} place_sync;

typedef enum place_simn_kind {
    PLACE_SIMN_EXP = 0, /* each thread w_us + Exp(mu_us) */
    PLACE_SIMN_POISSON, /* each thread w_us + Poisson detours (rate_hz, len); a fraction
                               `shared` of the detour rate hits all threads of a rank at once */
    PLACE_SIMN_TRACE,   /* recorded steps: trace_rows x trace_cols thread times (us); a
                               rank replays a uniformly drawn row, its first T columns */
    PLACE_SIMN_PERIODIC /* a timer tick of tick_len_us every 1e6 / rate_hz us on every CPU
                               (rank r's thread t on CPU r T + t) at a phase fixed for the
                               run: CPUs in groups of phase_group share one (0: one phase for
                               all, aligned ticks; 1: each its own); a tick that lands while
                               a rank waits costs what outlasts the wait */
} place_simn_kind;

typedef struct place_sim_noise {
    place_simn_kind kind;
    double w_us, mu_us;
    double rate_hz, shared;
    place_lengths len;
    const double *trace;
    int trace_rows, trace_cols;
    int in_collective;  /* POISSON, PERIODIC: the detours (rate_hz, len) or ticks also hit
                               the thread that handles the collective's messages (its CPU is
                               the rank's first thread's; simulate.c) */
    double tick_len_us; /* PERIODIC */
    int phase_group;    /* PERIODIC */
} place_sim_noise;

typedef struct place_sim_result {
    double step_us, ci95_us;        /* mean step time, 95% interval (10 batch means, Student t) */
    double base_us;                 /* one thread's mean step time */
    double sync0_us;                /* the collective's cost without noise */
    double slowdown, slowdown_ci95; /* step_us / (base_us + sync0_us): the cost beyond one
                                       thread's mean noise (a decomposition) */
    double noise_free_us;           /* w + sync0_us: the step without any noise (NAN for a
                                       trace, whose noise-free step is not known) */
    double vs_no_noise, vs_no_noise_ci95; /* step_us / noise_free_us: noise everywhere
                                             against none at all */
    int steps;                            /* steps simulated (a multiple of 10) */
} place_sim_result;

PLACE_API int place_simulate(const place_sim_noise *nz, long ranks, int threads, int steps,
                             place_sync sync, double latency_us, double overhead_us, uint64_t seed,
                             place_sim_result *res, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
