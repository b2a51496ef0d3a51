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
PLACE_API double place_harmonic(double N);

/* (a) i.i.d. exponential delays of mean mu on work w per step:
 *     E[max] = w + mu H_N, E[mean] = w + mu, slowdown = (w + mu H_N) / (w + mu). */
PLACE_API double place_model_exp_slowdown(double w, double mu, double N);

/* (b) rare fixed detours: each thread, each step, a detour of length L with prob. p:
 *     P(some thread hit) = 1 - (1 - p)^N,
 *     slowdown = (w + L (1 - (1 - p)^N)) / (w + p L). */
PLACE_API double place_model_detour_slowdown(double w, double p, double L, double N);

/* (c) empirical: the per-thread step time has the distribution of the m samples x;
 *     E[max of N] = sum_i x_(i) ((i/m)^N - ((i-1)/m)^N) over the sorted samples;
 *     slowdown = E[max of N] / mean(x). Sorts x in place. */
PLACE_API double place_model_empirical_slowdown(double *x, int m, double N);

/* (d) migration profitability: migrate when remaining_s * sigma > cost_s, where sigma
 *     is the fractional slowdown of remote access. Returns 1 to migrate, 0 not. */
PLACE_API int place_model_migrate(double remaining_s, double sigma, double cost_s);

/* Monte Carlo estimate of the slowdown of N threads under model `kind` ('a', 'b' or
 * 'c' with the samples x of m values), `trials` steps, seeded. Returns the mean and
 * the half-width of its 95% confidence interval in *ci. For large N the maximum is
 * drawn directly by inversion (F_max = F^N), exactly, in O(1) per trial. */
PLACE_API double place_model_monte_carlo(char kind, double w, double a, double b, const double *x,
                               int m, double N, int trials, uint64_t seed, double *ci);

#ifdef __cplusplus
}
#endif
#endif
