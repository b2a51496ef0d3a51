/* place/noise.h: injected noise of a known distribution, for experiments and model
 * validation (fdtd3d --inject, noisebench --inject). */
#ifndef PLACE_NOISE_H
#define PLACE_NOISE_H

#include <stddef.h>
#include <stdint.h>
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Noise a benchmark injects per thread and step, as the CLIs spell it:
 * "none", "exp:MEAN_US" (exponential delay), "detour:P:LEN_US" (a detour of LEN_US with
 * probability P) or "poisson:RATE_HZ:LEN_US" (detours of LEN_US arriving at RATE_HZ while
 * the thread works: Poisson(RATE x window_us) of them per step; the caller sets
 * window_us to the step's work). `what` names the option in messages. */
typedef enum place_noise_kind {
    PLACE_NOISE_NONE = 0,
    PLACE_NOISE_EXP,     /* exponential delay of mean mean_us */
    PLACE_NOISE_DETOUR,  /* len_us with probability p */
    PLACE_NOISE_POISSON, /* len_us at rate_hz over window_us */
    PLACE_NOISE_COUNT    /* how many kinds there are (models.c has a row for each) */
} place_noise_kind;

typedef struct place_noise {
    place_noise_kind kind;
    double mean_us;            /* exponential */
    double p, len_us;          /* detour; len_us also poisson */
    double rate_hz, window_us; /* poisson */
} place_noise;

PLACE_API int place_noise_parse(const char *what, const char *s, place_noise *n, place_error *err);

/* The kind's name as the CLIs spell it: "none", "exp", "detour", "poisson"; whether it
 * needs window_us (the step's work: poisson), which a caller without a fixed window of
 * work refuses. */
PLACE_API const char *place_noise_name(place_noise_kind k);
/* A spelling of the kind that parses ("exp:50"), as messages give it for an example. */
PLACE_API const char *place_noise_example(place_noise_kind k);
PLACE_API int place_noise_needs_window(place_noise_kind k);
/* The kinds' spellings as a message lists them, from the table that defines them ("none,
 * exp:MEAN_US, detour:P:LEN_US or poisson:RATE_HZ:LEN_US"): which 0 every kind, 1 those
 * without a window, 2 those that need one. Returns the length, or -1 if it did not fit. */
PLACE_API int place_noise_forms(char *buf, size_t n, int which);
/* The kind a spelling names ("exp:..." is exp, "none" none), -1 if none: its numbers are
 * place_noise_parse's to check. */
PLACE_API int place_noise_kind_of(const char *s);

/* Its mean delay per step in us (poisson: RATE x window x LEN), and the closed-form models
 * of N threads' barrier slowdown on work w_us with it, as the reports name them
 * ("a_exponential"; "b_hit_probability"; "poisson" then "b_hit_probability" at the chance
 * of a detour in the window): up to max names and values, the count returned (0 for none). */
PLACE_API double place_noise_mean_us(const place_noise *n);
PLACE_API int place_noise_models(const place_noise *n, double w_us, double N, const char **names,
                                 double *values, int max);

/* One draw: the delay in us for one thread and step, from the generator *state (a 64-bit
 * LCG, Knuth's MMIX constants), so a seeded run repeats. EXP and DETOUR take exactly one
 * uniform number, POISSON one per arrival gap (the number of detours plus one), NONE none
 * (and returns 0). */
PLACE_API double place_noise_draw_us(const place_noise *n, uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif
