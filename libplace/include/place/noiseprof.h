/* place/noiseprof.h: a node's noise profile (what each PU loses to the system, and why) and
 * the barrier step it predicts for threads placed on those PUs. The profile is measured by
 * `placerun --profile-node` (place/profilenode.h) or read from a file (schema
 * place-noise/1, docs/noise-aware.md); the planner reads it for `--reserve-cores auto` and
 * `--avoid-noisy`. */
#ifndef PLACE_NOISEPROF_H
#define PLACE_NOISEPROF_H

#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLACE_NOISE_SCHEMA "place-noise/1"
#define PLACE_NOISE_LENGTHS 64 /* detour lengths kept per PU: quantiles of all it saw */
#define PLACE_NOISE_IRQS 4     /* the busiest interrupt sources kept per PU */
#define PLACE_NOISE_BUSY 4     /* the busiest threads of others kept per PU */

typedef struct place_noise_irq {
    char name[48]; /* the source as /proc/interrupts names it (device, or the kind: LOC...) */
    long count;    /* during the window */
} place_noise_irq;

typedef struct place_noise_busy {
    int pid, tid, uid;
    char comm[20];
    double cpu_fraction; /* of the window, on this CPU */
    int bound;           /* its affinity is this CPU alone */
    int kernel;          /* a kernel thread */
} place_noise_busy;

typedef struct place_noise_pu {
    int pu; /* OS index */
    /* the FWQ probe on this PU while every usable PU ran one at once */
    double detour_rate_hz, noise_fraction;
    double len_p50_us, len_p99_us, len_max_us;
    int nlengths;
    double lengths_us[PLACE_NOISE_LENGTHS]; /* quantiles (i + 0.5) / n of its detours */
    int tick;                               /* a periodic tick found in its detours */
    double tick_hz, tick_phase_us;
    /* why: interrupts served here in the window, devices whose interrupts go here only,
     * the kernel's isolation, other threads that ran here */
    long interrupts;
    int nirq;
    place_noise_irq irq[PLACE_NOISE_IRQS];
    char devices[160]; /* devices whose IRQ affinity is this CPU alone, comma-separated */
    int isolated, nohz_full, housekeeping;
    int nbusy;
    place_noise_busy busy[PLACE_NOISE_BUSY];
    double others_fraction; /* the CPU share other threads took here in the window */
    char why[240];          /* the reasons in words ("" when quiet) */
} place_noise_pu;

typedef struct place_noise_profile {
    char key[2000]; /* the machine state measured (the topology cache's key), "" if none */
    char host[64];
    char measured[32]; /* UTC, ISO 8601 */
    double seconds, quantum_us, threshold_us;
    char isolated[128], nohz_full[128], isolcpus[128], irqaffinity[128], housekeeping[128];
    int tick_found, tick_aligned;
    double tick_hz;
    int npus;
    place_noise_pu *pus;
} place_noise_profile;

PLACE_API void place_noise_profile_fini(place_noise_profile *p);

/* The entry of PU pu_os, NULL if the profile has none. */
PLACE_API const place_noise_pu *place_noise_profile_pu(const place_noise_profile *p, int pu_os);

/* The expected delay of one thread on PU entry e working w_us: its detours arrive as a
 * Poisson process in its running time, at the measured rate over the share of the time the
 * probe kept (rate / (1 - noise fraction): the measured rate is per second of wall time,
 * detours included), with the measured lengths: that rate x w x mean length. */
PLACE_API double place_noise_pu_mean_delay(const place_noise_pu *e, double w_us);

/* Whether the profile calls PU entry e noisy: it loses at least twice what the profile's
 * lower median PU loses, and at least 1% of its time more (of two PUs, the quieter is the
 * median). */
PLACE_API int place_noise_pu_noisy(const place_noise_profile *p, const place_noise_pu *e);

/* The expected barrier step of n threads, thread t working w_us[t] on PU pu_os[t] and
 * delayed by that PU's detours (a compound Poisson delay of the PU's rate over w_us[t] and
 * its lengths, the rate per second of running as above, independent across threads;
 * docs/noise-aware.md): E max_t (w_t + D_t), on a
 * common grid (Panjer's recursion per PU and work, then the product of the CDFs). A PU the
 * profile lacks adds no delay and counts in *missing. */
PLACE_API int place_noise_step_predict(const place_noise_profile *p, const int *pu_os,
                                       const double *w_us, int n, double *mean_us, int *missing,
                                       place_error *err);

#ifdef __cplusplus
}
#endif
#endif
