/* place/bind.h: binding to what the plan says (runtime/bind.c).
 *
 * Binding and the assignment read-back are the side-effect layer over a plan: they apply
 * or report what the plan computed, and never compute placement themselves.
 */
#ifndef PLACE_BIND_H
#define PLACE_BIND_H

#include "place/api.h"
#include "place/error.h"
#include "place/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Binds the calling process (all its threads) to `cpulist` (OS PU indices). */
PLACE_API int place_bind_process(const place_topo *t, const char *cpulist, place_error *err);

/* Memory policy for the calling process, inherited by what it execs:
 *   "local"      allocate on the NUMA node of the CPU that first touches a page
 *   "interleave" round-robin over the NUMA nodes in `numa_os` (n of them)
 *   "none"       leave the inherited policy alone */
PLACE_API int place_set_membind(const char *mode, const int *numa_os, int n, place_error *err);

/* The calling process's current CPU binding as a list string (caller frees). */
PLACE_API char *place_current_binding(void);

/* Binds the calling thread to PU `pu` (OS index). */
PLACE_API int place_bind_thread_pu(int pu, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
