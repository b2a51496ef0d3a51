/* place/steprec.h: the barrier-step recorder for bulk-synchronous codes: each thread's
 * work per step, the step's slowest, the wait at the barrier. Per rank; place/mpi.h
 * reduces it over a job's ranks. */
#ifndef PLACE_STEPREC_H
#define PLACE_STEPREC_H

#include <stdint.h>
#include <stdio.h>
#include "place/counters.h"
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct place_steprec place_steprec;

enum { PLACE_STEPREC_COUNTERS = 1u << 0 }; /* read migrations and switches every step */

/* A recorder for `nthreads` threads keeping the last `ring` steps in full (fixed
 * memory) and streaming statistics over all steps. */
PLACE_API int place_steprec_create(place_steprec **out, int nthreads, int ring, unsigned flags,
                                   place_error *err);
PLACE_API void place_steprec_free(place_steprec *r);

/* Thread t: the step's work starts / ends (before the barrier). Lock-free: each thread
 * writes only its own slot. */
PLACE_API void place_steprec_work_begin(place_steprec *r, int t);
PLACE_API void place_steprec_work_end(place_steprec *r, int t);

/* Thread t: its work pauses (a halo exchange, an inner barrier) and resumes; the paused
 * time does not count as work. */
PLACE_API void place_steprec_work_pause(place_steprec *r, int t);
PLACE_API void place_steprec_work_resume(place_steprec *r, int t);

/* One thread, after the barrier: closes the step and updates the statistics. */
PLACE_API void place_steprec_step_end(place_steprec *r);

typedef struct place_step_stats {
    int64_t steps;
    int nthreads;                              /* threads covered: this rank's, or the job's */
    int ranks;                                 /* 1: this rank (place_steprec_stats); more: a
                                           job-wide reduction (place/mpi.h) over the
                                           steps still in every rank's ring */
    double mean_max_us, mean_mean_us;          /* over steps: the slowest thread, the average */
    double slowdown;                           /* mean_max / mean_mean */
    double max_p50_us, max_p90_us, max_p99_us; /* of the step max, over the ring */
    double mean_wait_us;                       /* mean over steps and threads of (max - own) */
    int64_t migrations, switches;              /* summed over steps and threads, or UNAVAILABLE */
    /* What the slowdown ratio leaves out (NAN where not measured, e.g. a job reduction):
     * the barrier-to-barrier time of a step (from one step_end to the next: work, start
     * skew, barrier latency), the start skew (latest minus earliest work_begin of the
     * step), a noise-free reference (the 5% quantile of all the threads' work times in the
     * ring) and the absolute noise cost per step against it: mean_max_us - ref_us (one
     * thread's slowdown is always 1, its noise cost is not). */
    double mean_b2b_us, b2b_p99_us;
    double mean_skew_us, skew_p99_us;
    double ref_us, noise_cost_us, noise_cost_fraction;
    /* the same against barrier-to-barrier time: its 5% quantile and the mean above it (a
     * CPU taken while a thread waits at the barrier delays its wake-up, not its work) */
    double b2b_ref_us, b2b_noise_cost_us;
} place_step_stats;

PLACE_API void place_steprec_stats(const place_steprec *r, place_step_stats *s);

/* The metrics beside the slowdown (barrier to barrier, skew, reference, noise costs) as
 * name/value pairs, in the names every report uses: fills up to cap of each, returns how
 * many there are (PLACE_STEP_METRICS). A value not measured is NAN ("unavailable"). The
 * reference's rule: PLACE_STEP_REF_RULE. */
enum { PLACE_STEP_METRICS = 9 };
#define PLACE_STEP_REF_RULE "5% quantile of the threads' work times"
PLACE_API int place_step_stats_metrics(const place_step_stats *s, const char **names,
                                       double *values, int cap);

/* Statistics from per-step figures: the slowest thread's time max_us[i] and the sum over
 * threads sum_us[i] of `steps` steps, over `nthreads` threads of `ranks` ranks (what a
 * job-wide reduction gathers; see place/mpi.h). Counters are left UNAVAILABLE. */
PLACE_API void place_step_stats_from_steps(const double *max_us, const double *sum_us, int steps,
                                           int nthreads, int ranks, place_step_stats *s);

/* The statistics as one JSON object; "scope" says "rank" or "job of R ranks". */
PLACE_API int place_step_stats_write_json(const place_step_stats *s, FILE *f, place_error *err);

/* Per-thread work times of the steps in the ring (oldest first): fills `out` with up to
 * n values of thread t and returns how many (for the empirical model). */
PLACE_API int place_steprec_samples(const place_steprec *r, int t, double *out, int n);

PLACE_API int place_steprec_write_json(const place_steprec *r, FILE *f, place_error *err);
PLACE_API int place_steprec_write_csv(const place_steprec *r, FILE *f, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
