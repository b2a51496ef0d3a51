/* place/deprecated.h: the names of PLACE_API_VERSION 100, kept for programs written against
 * them, all in one place. Each is the function its message names, under its old name; the
 * compiler warns where one is used. They go at PLACE_API_VERSION 200: runtime/deprecated.c
 * stops the build there until they are removed. A program defining PLACE_NO_DEPRECATED
 * before including place.h sees none of them (to check it is ready).
 */
#ifndef PLACE_DEPRECATED_H
#define PLACE_DEPRECATED_H

#include <stdint.h>
#include "place/api.h"
#include "place/decomp.h"
#include "place/gpuscope.h"
#include "place/jitter.h"
#include "place/jobplan.h"
#include "place/memory.h"
#include "place/models.h"
#include "place/noisestats.h"
#include "place/runenv.h"
#include "place/wfile.h"

#ifndef PLACE_NO_DEPRECATED

#ifdef __cplusplus
extern "C" {
#endif

/* place/decomp.h */
PLACE_API void place_split(int64_t n, int p, int i, int64_t *lo, int64_t *hi)
    PLACE_DEPRECATED("place_decomp_split");

/* place/gpuscope.h */
PLACE_API void place_gpu_scope_free(place_gpu_scope *s) PLACE_DEPRECATED("place_gpu_scope_fini");

/* place/jitter.h */
PLACE_API void place_fwq_work(long iters) PLACE_DEPRECATED("place_jitter_fwq_work");
PLACE_API long place_fwq_calibrate(double quantum_us)
    PLACE_DEPRECATED("place_jitter_fwq_calibrate");
PLACE_API void place_jitter_free(place_jitter_result *r) PLACE_DEPRECATED("place_jitter_fini");

/* place/jobplan.h */
PLACE_API void place_jobplan_free(place_jobplan *jp) PLACE_DEPRECATED("place_jobplan_fini");

/* place/memory.h */
PLACE_API void place_array_free(place_array *a) PLACE_DEPRECATED("place_array_fini");
PLACE_API void place_partition_free(place_partition *p) PLACE_DEPRECATED("place_partition_fini");
PLACE_API void place_touch_part(const place_array *a, const place_partition *p, int t)
    PLACE_DEPRECATED("place_array_touch_part");
PLACE_API void place_locality_free(place_locality *l) PLACE_DEPRECATED("place_locality_fini");

/* place/models.h */
PLACE_API double place_harmonic(double N) PLACE_DEPRECATED("place_model_harmonic");
PLACE_API void place_delay_dist_free(place_delay_dist *d) PLACE_DEPRECATED("place_delay_dist_fini");

/* place/noisestats.h */
PLACE_API void place_detour_pool_free(place_detour_pool *p)
    PLACE_DEPRECATED("place_detour_pool_fini");

/* place/runenv.h */
PLACE_API void place_assignment_free(place_assignment *a) PLACE_DEPRECATED("place_assignment_fini");

/* place/wfile.h */
PLACE_API void place_wfile_free(place_wfile *w) PLACE_DEPRECATED("place_wfile_fini");

#ifdef __cplusplus
}
#endif

#endif /* PLACE_NO_DEPRECATED */
#endif
