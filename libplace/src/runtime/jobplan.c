/* jobplan.c: the plan a launcher's rank computes for its job (place/runenv.h): one plan,
 * the job's when ranks sit on nodes in equal blocks, else the node's. placerun's shim and
 * place_subdomain_get (a solver without placerun) both take their placement from here,
 * so that the two cannot disagree. */
#include <string.h>
#include "contract/contract_private.h"
#include "place/jobplan.h"

void place_jobplan_fini(place_jobplan *jp)
{
    if (!jp)
        return;
    place_decomp_free(jp->d);
    place_plan_free(jp->plan);
    place_topo_free(jp->topo);
    memset(jp, 0, sizeof *jp);
}

int place_jobplan_compute(place_jobplan *jp, const place_launch *l, const char *topology,
                          const char *allowed, const place_request *req, const int64_t *grid,
                          unsigned decomp_flags, place_error *err)
{
    memset(jp, 0, sizeof *jp);
    /* A single process plans inside its own binding (taskset, numactl), exactly as
     * placerun --plan does; a launcher's ranks plan in the allowed PUs, so that every rank
     * of a node computes the same plan whatever binding the launcher gave it. */
    unsigned flags = !strcmp(l->launcher, "none") ? PLACE_TOPO_THIS_BINDING : 0;
    int devices = req->gpus_per_rank != PLACE_GPUS_NONE || req->gpu_bind == PLACE_GPU_BIND_MAP ||
                  req->nics != PLACE_NICS_NONE;
    if (devices)
        flags |= PLACE_TOPO_DEVICES;
    place_gpu_scope scope = {0};
    if (place_topo_load(&jp->topo, topology, flags, err) < 0)
        goto fail;
    /* messages name the PUs as the caller does (placerun's --allowed, the plugin's step) */
    const char *what =
        req->spelling && req->spelling->allowed ? req->spelling->allowed : "place_topo_restrict";
    if (allowed && place_topo_restrict_as(jp->topo, what, allowed, err) < 0)
        goto fail;
    jp->blocks = l->node >= 0 && l->size % l->local_size == 0 &&
                 l->rank / l->local_size == l->node && l->rank % l->local_size == l->local_rank;
    if (!jp->blocks && grid) {
        place_error_set(
            err, PLACE_EINVAL,
            "--grid needs ranks laid out in equal blocks per node "
            "(mpirun --map-by slot, srun -m block); here rank %d is local rank %d of %d "
            "on node %d",
            l->rank, l->local_rank, l->local_size, l->node);
        goto fail;
    }
    place_request q = *req;
    q.ranks = jp->blocks ? l->size : l->local_size;
    q.nodes = jp->blocks ? l->size / l->local_size : 1;
    q.ranks_per_node = 0;
    if (devices && place_gpu_scope_from_env(&scope, jp->topo, err) < 0)
        goto fail;
    place_gpu_scope_apply(&scope, &q);
    int rc = place_plan_compute(&jp->plan, jp->topo, &q, err);
    place_gpu_scope_fini(&scope);
    if (rc < 0)
        goto fail;
    if (grid && place_decomp_compute(&jp->d, grid, jp->plan, 0, decomp_flags, err) < 0)
        goto fail;
    return 0;
fail:
    place_jobplan_fini(jp);
    return -1;
}

int place_jobplan_assignment(const place_jobplan *jp, const place_launch *l, place_assignment *a,
                             place_error *err)
{
    if (place_assignment_from_plan(a, jp->plan, jp->d, jp->blocks ? l->rank : l->local_rank, err) <
        0)
        return -1;
    /* the node's plan numbers its ranks locally */
    a->rank = l->rank;
    a->size = l->size;
    a->node = l->node;
    a->local_rank = l->local_rank;
    a->local_size = l->local_size;
    return 0;
}

int place_jobplan_write(const place_jobplan *jp, const place_launch *l, char **path,
                        place_error *err)
{
    return place_planfile_write(l, jp->plan, jp->blocks ? l->node : 0, jp->d, path, err);
}
