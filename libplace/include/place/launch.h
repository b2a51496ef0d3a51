/* place/launch.h: who am I in the job, and binding to what the plan says.
 *
 * Rank discovery reads the launcher's environment in a fixed order: Open MPI, MPICH /
 * Hydra and Intel MPI, MVAPICH2, PMIx, PALS, Flux, LSF jsrun, and Slurm last, because
 * SLURM_* values are stale when mpirun runs inside an allocation (every rank sees
 * SLURM_PROCID=0 there). The first launcher whose rank variable is set wins; a value it
 * lacks (PMIx and PALS export no job size) is taken from the others, later ones first.
 *
 * Binding and the assignment read-back are the side-effect layer over a plan: they apply
 * or report what the plan computed, and never compute placement themselves.
 */
#ifndef PLACE_LAUNCH_H
#define PLACE_LAUNCH_H

#include "place/api.h"
#include "place/error.h"
#include "place/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct place_launch {
    const char *launcher; /* "openmpi", "mpich", "mvapich2", "pmix", "pals", "flux",
                               "jsrun", "slurm", or "none" (a single process) */
    int rank, size;       /* global */
    int local_rank, local_size;
    int node;      /* node index: from the launcher, or rank / local_size when
                               ranks are laid out in blocks; -1 if unknown */
    char job[128]; /* a key shared by the job's ranks (for file names) */
} place_launch;

/* Fills *l from the environment. With no launcher variables: rank 0 of 1 ("none").
 * Fails with PLACE_EINVAL naming the variable when a value is malformed or the values
 * contradict each other (a local rank not below the local size, say). */
PLACE_API int place_launch_detect(place_launch *l, place_error *err);

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
