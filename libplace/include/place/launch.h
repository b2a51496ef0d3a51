/* place/launch.h: who am I in the job (base/launch.c).
 *
 * Rank discovery reads the launcher's environment in a fixed order: Open MPI, MPICH /
 * Hydra and Intel MPI, MVAPICH2, PMIx, PALS, Flux, LSF jsrun, and Slurm last, because
 * SLURM_* values are stale when mpirun runs inside an allocation (every rank sees
 * SLURM_PROCID=0 there). The first launcher whose rank variable is set wins; a value it
 * lacks (PMIx and PALS export no job size) is taken from the others, later ones first.
 * Binding to what a plan says is place/bind.h's.
 */
#ifndef PLACE_LAUNCH_H
#define PLACE_LAUNCH_H

#include "place/api.h"
#include "place/error.h"

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

#ifdef __cplusplus
}
#endif
#endif
