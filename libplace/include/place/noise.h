/* place/noise.h: injected noise of a known distribution, for experiments and model
 * validation (fdtd3d --inject, noisebench --inject). */
#ifndef PLACE_NOISE_H
#define PLACE_NOISE_H

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
    PLACE_NOISE_POISSON  /* len_us at rate_hz over window_us */
} place_noise_kind;

typedef struct place_noise {
    place_noise_kind kind;
    double mean_us;    /* exponential */
    double p, len_us;  /* detour; len_us also poisson */
    double rate_hz, window_us; /* poisson */
} place_noise;

PLACE_API int place_noise_parse(const char *what, const char *s, place_noise *n, place_error *err);

/* The kind's name as the CLIs spell it: "none", "exp", "detour", "poisson". */
PLACE_API const char *place_noise_name(place_noise_kind k);

/* One draw: the delay in us for one thread and step, from the generator *state (a 64-bit
 * LCG, Knuth's MMIX constants), so a seeded run repeats. EXP and DETOUR take exactly one
 * uniform number, POISSON one per arrival gap (the number of detours plus one), NONE none
 * (and returns 0). */
PLACE_API double place_noise_draw_us(const place_noise *n, uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif
