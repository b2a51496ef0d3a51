/* place/jobplan.h: a job's plan as a launcher computes it (runtime/jobplan.c), and the
 * rank's assignment in it (place/runenv.h).
 */
#ifndef PLACE_JOBPLAN_H
#define PLACE_JOBPLAN_H

#include <stdint.h>
#include "place/api.h"
#include "place/decomp.h"
#include "place/error.h"
#include "place/launch.h"
#include "place/plan.h"
#include "place/runenv.h"
#include "place/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every rank of a node computes the same plan from the local topology (the cgroup's
 * allowed PUs, not the rank's current binding); a single process (launcher "none") plans
 * inside its own binding, as placerun --plan does. When ranks sit on nodes in equal blocks
 * (rank / local_size is the node, as mpirun --map-by slot and srun -m block give), that
 * is the job's plan, and a grid is decomposed over it; otherwise it is the node's plan
 * for local_size ranks, and no grid can be decomposed. */
typedef struct place_jobplan {
    place_topo *topo;
    place_plan *plan; /* the job's (blocks) or the node's */
    int blocks;
    place_decomp *d; /* with a grid */
} place_jobplan;

/* `topology` and `allowed` as placerun's --topology and --allowed (NULL: native, all;
 * messages about `allowed` name it by req's spelling of allowed); req's ranks, nodes and
 * ranks_per_node are replaced by the launcher's; grid NULL for none. */
PLACE_API int place_jobplan_compute(place_jobplan *jp, const place_launch *l, const char *topology,
                                    const char *allowed, const place_request *req,
                                    const int64_t *grid, unsigned decomp_flags, place_error *err);

/* The launcher's rank's assignment in the job plan. */
PLACE_API int place_jobplan_assignment(const place_jobplan *jp, const place_launch *l,
                                       place_assignment *a, place_error *err);

/* Writes the node's plan file (place_planfile_write) for the launcher's node. */
PLACE_API int place_jobplan_write(const place_jobplan *jp, const place_launch *l, char **path,
                                  place_error *err);

PLACE_API void place_jobplan_fini(place_jobplan *jp);

#ifdef __cplusplus
}
#endif
#endif
