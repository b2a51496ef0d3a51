/* place/sde.h: libplace's own events published through PAPI's software-defined events. */
#ifndef PLACE_SDE_H
#define PLACE_SDE_H

#include <stdint.h>
#include "place/counters.h"
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Registers place's measurements as PAPI software-defined events of library "place":
 *   sde:::place::migrations:THREAD, barrier_wait_ns:THREAD, detours:THREAD,
 *   noise_ppm:THREAD for threads 0..nthreads-1 (":THREAD" is the number), and the
 *   summed groups sde:::place::migrations, ::barrier_wait_ns, ::detours; noise_ppm's
 *   group is its maximum. The values are read from the recorder and the jitter probe
 *   as they update them. Returns -1 if the library was built without PAPI. */
PLACE_API int place_sde_publish(int nthreads, place_error *err);

/* Updates a thread's published values (called by the recorder and the probe; a solver
 * may call it too). Unknown threads are ignored. */
PLACE_API void place_sde_set(int thread, int64_t migrations, int64_t barrier_wait_ns,
                             int64_t detours, int64_t noise_ppm);

#ifdef __cplusplus
}
#endif
#endif
