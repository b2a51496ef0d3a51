/* place/counters.h: per-thread migrations, context switches, page faults and CPU time,
 * each from the first backend that can really count it here. Backends are probed once:
 * PAPI (only where a component with these events is active), perf_event_open software
 * events and /proc/self/task/TID/sched are trusted for migrations only if a forced
 * self-migration reads exactly 1 (perf software events opened by an unprivileged user at
 * perf_event_paranoid 2 open fine and read 0: a trap), getrusage(RUSAGE_THREAD) has no
 * migrations. A counter no backend can read is PLACE_UNAVAILABLE, never 0. */
#ifndef PLACE_COUNTERS_H
#define PLACE_COUNTERS_H

#include <stdint.h>
#include <stdio.h>
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

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

PLACE_API const char *place_ctr_name(place_ctr c);         /* "migrations", ... */
PLACE_API const char *place_backend_name(place_backend b); /* "papi", "perf_event", "proc", ... */

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
PLACE_API void place_counters_probe(place_backend_status st[PLACE_NBACKEND],
                                    place_backend chosen[PLACE_NCTR]);

/* Forgets the probe's answer (tests run it again, e.g. after dropping privileges). */
PLACE_API void place_counters_reprobe(void);

typedef struct place_counters place_counters;

/* Opens the counters of the calling thread. Free with place_counters_free. */
PLACE_API int place_counters_open(place_counters **out, place_error *err);
PLACE_API void place_counters_free(place_counters *c);

/* Reads the calling thread's counters (cumulative since the thread started, or since
 * open for PAPI and perf); values of unavailable counters are PLACE_UNAVAILABLE. */
PLACE_API void place_counters_read(place_counters *c, int64_t v[PLACE_NCTR]);

/* The same for the counters in `mask` only (bit k for counter k); the others are left
 * as they are. One read of each procfs file serves all the counters it holds. */
PLACE_API void place_counters_read_some(place_counters *c, int64_t v[PLACE_NCTR], unsigned mask);

/* Reads one counter of one backend directly (tests compare backends). Returns
 * PLACE_UNAVAILABLE when that backend cannot give that counter. */
PLACE_API int64_t place_counters_read_backend(place_counters *c, place_backend b, place_ctr k);

#ifdef __cplusplus
}
#endif
#endif
