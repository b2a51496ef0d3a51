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
 * This header is an umbrella over its parts:
 *   place/counters.h  counters and their backends
 *   place/sde.h       software-defined events (PAPI SDE)
 *   place/jitter.h    the jitter probes
 *   place/noise.h     injected noise
 *   place/steprec.h   the barrier-step recorder
 *   place/models.h    the noise models and their Monte Carlo checks
 *   place/noisestats.h tail fits, coincidence against chance, step noise, machine load
 */
#ifndef PLACE_MEASURE_H
#define PLACE_MEASURE_H

#include "place/counters.h"
#include "place/sde.h"
#include "place/jitter.h"
#include "place/noise.h"
#include "place/steprec.h"
#include "place/models.h"
#include "place/noisestats.h"

#endif
