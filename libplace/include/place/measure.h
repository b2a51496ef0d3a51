/* place/measure.h: measuring what pinning is for, and what theory predicts.
 *
 * Counters: per-thread migrations, context switches, page faults and CPU time, each from
 * the first backend that can really count it here. Backends are probed once: PAPI (only
 * where a component with these events is active), perf_event_open software events and
 * /proc/self/task/TID/sched are trusted for migrations only if a forced self-migration
 * reads exactly 1 (perf software events opened by an unprivileged user at
 * perf_event_paranoid 2 open fine and read 0: a trap), getrusage(RUSAGE_THREAD) has no
 * migrations. A counter no backend can read is PLACE_UNAVAILABLE, never 0.
 *
 * Jitter probe (fixed work quantum, and selfish detour), step recorder for bulk-synchronous
 * codes, the noise models and their Monte Carlo checks live here too.
 */
#ifndef PLACE_MEASURE_H
#define PLACE_MEASURE_H

#include <stdint.h>
#include <stdio.h>
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- counters ------------------------------------------------------------------- */

#define PLACE_UNAVAILABLE INT64_MIN

typedef enum place_ctr {
    PLACE_CTR_MIGRATIONS = 0,
    PLACE_CTR_INVOL_SWITCHES,
    PLACE_CTR_VOL_SWITCHES,
    PLACE_CTR_MINOR_FAULTS,
    PLACE_CTR_MAJOR_FAULTS,
    PLACE_CTR_CPU_TIME_NS,
    PLACE_NCTR
} place_ctr;

typedef enum place_backend {
    PLACE_BACKEND_NONE = 0,
    PLACE_BACKEND_PAPI,
    PLACE_BACKEND_PERF,
    PLACE_BACKEND_PROC,
    PLACE_BACKEND_RUSAGE,
    PLACE_NBACKEND
} place_backend;

const char *place_ctr_name(place_ctr c);          /* "migrations", ... */
const char *place_backend_name(place_backend b);  /* "papi", "perf_event", "proc", ... */

/* What the probe found, per backend: usable, and if not, why (one line). */
typedef struct place_backend_status {
    int usable;
    char why[200];
} place_backend_status;

/* Probes every backend once per process (the first call does the work; later calls
 * return the same answer). PAPI event names may be overridden with PLACE_PAPI_EVENTS
 * ("migrations=perf::CPU-MIGRATIONS,invol_switches=..."). Returns the status of each
 * backend in st[PLACE_NBACKEND] and, in chosen[PLACE_NCTR], the backend each counter
 * will be read from (PLACE_BACKEND_NONE: unavailable). */
void place_counters_probe(place_backend_status st[PLACE_NBACKEND], place_backend chosen[PLACE_NCTR]);

/* Forgets the probe's answer (tests run it again, e.g. after dropping privileges). */
void place_counters_reprobe(void);

typedef struct place_counters place_counters;

/* Opens the counters of the calling thread. Free with place_counters_close. */
int place_counters_open(place_counters **out, place_error *err);
void place_counters_close(place_counters *c);

/* Reads the calling thread's counters (cumulative since the thread started, or since
 * open for PAPI and perf); values of unavailable counters are PLACE_UNAVAILABLE. */
void place_counters_read(place_counters *c, int64_t v[PLACE_NCTR]);

/* The same for the counters in `mask` only (bit k for counter k); the others are left
 * as they are. One read of each procfs file serves all the counters it holds. */
void place_counters_read_some(place_counters *c, int64_t v[PLACE_NCTR], unsigned mask);

/* Reads one counter of one backend directly (tests compare backends). Returns
 * PLACE_UNAVAILABLE when that backend cannot give that counter. */
int64_t place_counters_read_backend(place_counters *c, place_backend b, place_ctr k);

/* ---- software-defined events (PAPI SDE) ----------------------------------------- */

/* Registers place's measurements as PAPI software-defined events of library "place":
 *   sde:::place::migrations:THREAD, barrier_wait_ns:THREAD, detours:THREAD,
 *   noise_ppm:THREAD for threads 0..nthreads-1 (":THREAD" is the number), and the
 *   summed groups sde:::place::migrations, ::barrier_wait_ns, ::detours; noise_ppm's
 *   group is its maximum. The values are read from the recorder and the jitter probe
 *   as they update them. Returns -1 if the library was built without PAPI. */
int place_sde_publish(int nthreads, place_error *err);

/* Updates a thread's published values (called by the recorder and the probe; a solver
 * may call it too). Unknown threads are ignored. */
void place_sde_set(int thread, int64_t migrations, int64_t barrier_wait_ns, int64_t detours,
                   int64_t noise_ppm);

/* ---- jitter probe --------------------------------------------------------------- */

typedef enum place_jitter_mode {
    PLACE_JITTER_FWQ = 0,  /* fixed work quantum: time each of many equal work quanta */
    PLACE_JITTER_SELFISH   /* selfish detour: read the clock in a tight loop, gaps are detours */
} place_jitter_mode;

typedef struct place_jitter_opts {
    place_jitter_mode mode;
    double seconds;        /* duration per thread */
    double quantum_us;     /* FWQ: target time of one quantum */
    double threshold_us;   /* a detour is longer than this over the baseline (default 5) */
    double rel_threshold;  /* ... and longer than this fraction of the baseline (0.1) */
    int sched_idle;        /* run the probe threads at SCHED_IDLE */
} place_jitter_opts;

void place_jitter_opts_init(place_jitter_opts *o);

typedef struct place_jitter_thread {
    int pu;
    int64_t quanta;            /* FWQ quanta or selfish loop iterations */
    double baseline_us;        /* minimum quantum (FWQ) or loop step (selfish) */
    int64_t detours;
    double detour_rate_hz;
    double noise_fraction;     /* time lost to detours / total */
    double len_p50_us, len_p90_us, len_p99_us, len_max_us;
    double coincident_fraction; /* detours overlapping a detour of another thread */
    int nsamples;              /* detour lengths kept (up to a fixed number) */
    double *samples_us;        /* detour lengths, in order of occurrence */
    double *starts_s;          /* and their start times, seconds from the probe's start */
    double *quantum_us;        /* FWQ: a sample of quantum times (fixed count) */
    int nquantum;
} place_jitter_thread;

typedef struct place_jitter_result {
    place_jitter_opts opts;
    int nthreads;
    place_jitter_thread *t;
    double coincident_fraction; /* over all threads */
} place_jitter_result;

/* Runs the probe: one thread pinned to each PU in `pus`, all started together. */
int place_jitter_run(const int *pus, int npus, const place_jitter_opts *o,
                     place_jitter_result *r, place_error *err);
void place_jitter_free(place_jitter_result *r);
int place_jitter_write_json(const place_jitter_result *r, FILE *f, place_error *err);

/* ---- injected noise -------------------------------------------------------------- */

/* Noise a benchmark injects per thread and step, as the CLIs spell it:
 * "none", "exp:MEAN_US" (exponential delay) or "detour:P:LEN_US" (a detour of LEN_US with
 * probability P). `what` names the option in messages. */
typedef struct place_noise {
    int kind;          /* 0 none, 1 exponential, 2 detour */
    double mean_us;    /* exponential */
    double p, len_us;  /* detour */
} place_noise;

int place_noise_parse(const char *what, const char *s, place_noise *n, place_error *err);

/* ---- barrier-step recorder --------------------------------------------------------- */

typedef struct place_steprec place_steprec;

enum { PLACE_STEPREC_COUNTERS = 1u << 0 }; /* read migrations and switches every step */

/* A recorder for `nthreads` threads keeping the last `ring` steps in full (fixed
 * memory) and streaming statistics over all steps. */
int place_steprec_create(place_steprec **out, int nthreads, int ring, unsigned flags,
                         place_error *err);
void place_steprec_free(place_steprec *r);

/* Thread t: the step's work starts / ends (before the barrier). Lock-free: each thread
 * writes only its own slot. */
void place_steprec_work_begin(place_steprec *r, int t);
void place_steprec_work_end(place_steprec *r, int t);

/* Thread t: its work pauses (a halo exchange, an inner barrier) and resumes; the paused
 * time does not count as work. */
void place_steprec_work_pause(place_steprec *r, int t);
void place_steprec_work_resume(place_steprec *r, int t);

/* One thread, after the barrier: closes the step and updates the statistics. */
void place_steprec_step_end(place_steprec *r);

typedef struct place_step_stats {
    int64_t steps;
    int nthreads;
    double mean_max_us, mean_mean_us;   /* over steps: the slowest thread, the average */
    double slowdown;                    /* mean_max / mean_mean */
    double max_p50_us, max_p90_us, max_p99_us; /* of the step max, over the ring */
    double mean_wait_us;                /* mean over steps and threads of (max - own) */
    int64_t migrations, switches;       /* summed over steps and threads, or UNAVAILABLE */
} place_step_stats;

void place_steprec_stats(const place_steprec *r, place_step_stats *s);

/* Per-thread work times of the steps in the ring (oldest first): fills `out` with up to
 * n values of thread t and returns how many (for the empirical model). */
int place_steprec_samples(const place_steprec *r, int t, double *out, int n);

int place_steprec_write_json(const place_steprec *r, FILE *f, place_error *err);
int place_steprec_write_csv(const place_steprec *r, FILE *f, place_error *err);

/* ---- models ---------------------------------------------------------------------- */

/* H_N = 1 + 1/2 + ... + 1/N (exact sum up to 10^6 terms, asymptotic beyond). */
double place_harmonic(double N);

/* (a) i.i.d. exponential delays of mean mu on work w per step:
 *     E[max] = w + mu H_N, E[mean] = w + mu, slowdown = (w + mu H_N) / (w + mu). */
double place_model_exp_slowdown(double w, double mu, double N);

/* (b) rare fixed detours: each thread, each step, a detour of length L with prob. p:
 *     P(some thread hit) = 1 - (1 - p)^N,
 *     slowdown = (w + L (1 - (1 - p)^N)) / (w + p L). */
double place_model_detour_slowdown(double w, double p, double L, double N);

/* (c) empirical: the per-thread step time has the distribution of the m samples x;
 *     E[max of N] = sum_i x_(i) ((i/m)^N - ((i-1)/m)^N) over the sorted samples;
 *     slowdown = E[max of N] / mean(x). Sorts x in place. */
double place_model_empirical_slowdown(double *x, int m, double N);

/* (d) migration profitability: migrate when remaining_s * sigma > cost_s, where sigma
 *     is the fractional slowdown of remote access. Returns 1 to migrate, 0 not. */
int place_model_migrate(double remaining_s, double sigma, double cost_s);

/* Monte Carlo estimate of the slowdown of N threads under model `kind` ('a', 'b' or
 * 'c' with the samples x of m values), `trials` steps, seeded. Returns the mean and
 * the half-width of its 95% confidence interval in *ci. For large N the maximum is
 * drawn directly by inversion (F_max = F^N), exactly, in O(1) per trial. */
double place_model_monte_carlo(char kind, double w, double a, double b, const double *x,
                               int m, double N, int trials, uint64_t seed, double *ci);

#ifdef __cplusplus
}
#endif
#endif
