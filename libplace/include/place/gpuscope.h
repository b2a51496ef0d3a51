/* place/gpuscope.h: the GPUs a batch system left to a step, read from the variables the
 * GPU runtimes' table names (place/topo.h, place_gpu_runtimes) and SLURM_STEP_GPUS, and
 * handed to a plan's request (contract/gpuscope.c). */
#ifndef PLACE_GPUSCOPE_H
#define PLACE_GPUSCOPE_H

#include "place/api.h"
#include "place/error.h"
#include "place/plan.h"
#include "place/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- GPUs a batch system left to the step ----------------------------------------------
 * Inside a Slurm step with GPUs (or any job whose environment limits them), SLURM_STEP_GPUS
 * names the step's GPUs in the node's numbering, and CUDA_VISIBLE_DEVICES,
 * ROCR_VISIBLE_DEVICES (or HIP_VISIBLE_DEVICES) and ZE_AFFINITY_MASK name them as the
 * runtime will (indices, which a cgroup may have renumbered from 0, or UUIDs). The scope
 * holds the node's GPUs (place's indices) that these leave, each with the name the
 * variable gave it, which is what a rank's own variable then lists. Every entry is checked
 * against the node's GPUs; one that names none is an error. n = 0 and from = NULL: no
 * limit; n = 0 with from set: the variables leave no GPU. */
typedef struct place_gpu_scope {
    int n;
    int *gpu;
    char **token;
    char *from; /* "SLURM_STEP_GPUS=0,1", "CUDA_VISIBLE_DEVICES=2,3" */
} place_gpu_scope;

PLACE_API int place_gpu_scope_from_env(place_gpu_scope *s, const place_topo *t, place_error *err);
/* Sets the request's gpu_scope fields to point into s (which must outlive the plan's
 * computation; the plan copies them). */
PLACE_API void place_gpu_scope_apply(const place_gpu_scope *s, place_request *req);
PLACE_API void place_gpu_scope_fini(place_gpu_scope *s);

#ifdef __cplusplus
}
#endif

#endif
