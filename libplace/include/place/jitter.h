/* place/jitter.h: the OS-noise probes: fixed work quantum (FWQ) and selfish detour. */
#ifndef PLACE_JITTER_H
#define PLACE_JITTER_H

#include <stdint.h>
#include <stdio.h>
#include "place/api.h"
#include "place/error.h"
#include "place/noisestats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum place_jitter_mode {
    PLACE_JITTER_FWQ = 0, /* fixed work quantum: time each of many equal work quanta */
    PLACE_JITTER_SELFISH  /* selfish detour: read the clock in a tight loop, gaps are detours */
} place_jitter_mode;

typedef struct place_jitter_opts {
    place_jitter_mode mode;
    double seconds;       /* duration per thread */
    double quantum_us;    /* FWQ: target time of one quantum */
    double threshold_us;  /* a detour is longer than this over the baseline (default 5) */
    double rel_threshold; /* ... and longer than this fraction of the baseline (0.1) */
    int sched_idle;       /* run the probe threads at SCHED_IDLE */
} place_jitter_opts;

PLACE_API void place_jitter_opts_init(place_jitter_opts *o);

/* The fixed work of the probes and benchmarks: a dependent chain of floating-point
 * multiply-adds (the same number of operations however long the CPU is taken away).
 * place_jitter_fwq_calibrate returns the iterations whose best time (of 5 tries, refined up to
 * 20 rounds) is within 10% of quantum_us on the calling thread's CPU. */
PLACE_API void place_jitter_fwq_work(long iters);
PLACE_API long place_jitter_fwq_calibrate(double quantum_us);

typedef struct place_jitter_thread {
    int pu;
    int64_t quanta;     /* FWQ quanta or selfish loop iterations */
    double baseline_us; /* minimum quantum (FWQ) or loop step (selfish) */
    int64_t detours;
    double detour_rate_hz;
    double noise_fraction; /* time lost to detours / total */
    double len_p50_us, len_p90_us, len_p99_us, len_max_us;
    double coincident_fraction; /* detours overlapping a detour of another thread */
    int nsamples;               /* the first detours (up to 200,000), for the coincidence: */
    double *samples_us;         /* their lengths, in order of occurrence */
    double *starts_s;           /* and their start times, seconds from the probe's start */
    double *quantum_us;         /* FWQ: a sample of quantum times (fixed count) */
    int nquantum;
    /* the lengths for the models, however long the probe: a uniform sample of all of them
     * (every one up to PLACE_JITTER_KEEP) and the PLACE_JITTER_KEEP largest (a min-heap) */
    double *kept_us;
    int nkept;
    double *largest_us;
    int nlargest;
} place_jitter_thread;

#define PLACE_JITTER_KEEP 10000

typedef struct place_jitter_result {
    place_jitter_opts opts;
    int nthreads;
    place_jitter_thread *t;
    double coincident_fraction; /* over all threads: the raw overlap share */
    /* the overlap share against what independent streams with these rates and lengths
     * would give (place/noisestats.h); the tail of all threads' detour lengths (a
     * generalized Pareto fit above their 90% quantile; tail_ok 0 with fewer than 300
     * detours, tail_note saying why) */
    double coincidence_chance, coincidence_kappa, coincidence_len_corr;
    int tail_ok;
    double tail_u, tail_xi, tail_xi_lo, tail_xi_hi, tail_sigma, tail_index;
    int tail_n;
    char tail_note[160];
    place_gpd_fit tail_fit; /* the whole fit, with its checks (tail_ok) */
    place_tick tick;        /* a timer tick in the detours' start times (noisestats.h) */
} place_jitter_result;

/* Runs the probe: one thread pinned to each PU in `pus`, all started together. */
PLACE_API int place_jitter_run(const int *pus, int npus, const place_jitter_opts *o,
                               place_jitter_result *r, place_error *err);
PLACE_API void place_jitter_fini(place_jitter_result *r);
PLACE_API int place_jitter_write_json(const place_jitter_result *r, FILE *f, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
