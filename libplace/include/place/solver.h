/* place/solver.h: everything a grid solver needs from place, in one call.
 *
 *     place_solver_req q;
 *     place_solver_req_init(&q, nx, ny, nz);
 *     q.rank = rank; q.size = size; q.nthreads = omp_get_max_threads(); q.ghost = 1;
 *     place_subdomain *sd;
 *     if (place_subdomain_get(&sd, &q, &err) < 0) { ...err.msg... }
 *     // sd->box: owned cells and six neighbours; sd->alloc: the array with ghosts
 *     place_subdomain_alloc(sd, sizeof(double), &arr, &part, &err);
 *     #pragma omp parallel
 *     { int t = omp_get_thread_num();
 *       place_bind_self_thread(sd, t, NULL);
 *       place_array_touch_part(&arr, &part, t); }
 *
 * The answer is the same whichever way the job was started:
 *   - under placerun: the rank's entry of placerun's plan file (what placerun bound), and
 *     the box placerun's --grid gave it, or else the decomposition computed here;
 *   - under a launcher without placerun (plain mpirun, srun): the node plan computed from
 *     the local topology and the launcher's local rank, exactly as placerun's shim would,
 *     and the same decomposition;
 *   - alone: a one-rank plan of this machine.
 * The helpers in place/mpi.h (header-only, so libplace does not depend on an MPI) fill
 * rank and size from a communicator, build the matching Cartesian communicator, and
 * reduce the step recorder over the job.
 */
#ifndef PLACE_SOLVER_H
#define PLACE_SOLVER_H

#include <stddef.h>
#include <stdint.h>
#include "place/api.h"
#include "place/decomp.h"
#include "place/error.h"
#include "place/memory.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum place_source {
    PLACE_SOURCE_PLACERUN = 0, /* read from placerun's plan file */
    PLACE_SOURCE_LAUNCHER,     /* computed here for a launcher's ranks */
    PLACE_SOURCE_ALONE         /* computed here for one process */
} place_source;

PLACE_API const char *place_source_name(place_source s); /* "placerun", "launcher", "alone" */

typedef struct place_solver_req {
    int64_t grid[3];       /* cells per axis */
    int ghost;             /* ghost layers on each side of the box (0 to 64) */
    int rank, size;        /* the caller's (MPI_Comm_rank, MPI_Comm_size); -1: from the
                                launcher's environment */
    int nthreads;          /* threads the solver runs (omp_get_max_threads()); 0: the
                                plan's */
    unsigned decomp_flags; /* PLACE_DECOMP_PERIODIC_*: when the decomposition is made here
                                (under placerun --grid, placerun's --periodic applies) */
} place_solver_req;

/* Fills *q for an nx x ny x nz grid: no ghosts, rank and size from the environment, the
 * plan's thread count, no periodic axes. */
PLACE_API void place_solver_req_init(place_solver_req *q, int64_t nx, int64_t ny, int64_t nz);

typedef struct place_subdomain {
    place_source source;
    int rank, size; /* global */
    int local_rank, local_size;
    int node;          /* -1 if unknown */
    int64_t global[3]; /* the grid */
    int dims[3];       /* the process grid */
    place_box box;     /* owned cells [lo, hi), coords, neighbours (-1 at a wall) */
    int ghost;
    int64_t n[3];     /* owned cells per axis (hi - lo) */
    int64_t alloc[3]; /* with the ghost layers: n + 2 ghost */
    int nthreads;
    int *thread_pu;   /* thread t's PU (OS index), -1 where nothing is planned */
    int *thread_numa; /* its NUMA node (OS index), -1 if unknown */
    char *cpuset;     /* the rank's PUs as a CPU list, "" if not planned */
    char *gpus;       /* its GPUs (PLACE_GPUS: PCI bus ids in the order the runtime
                                numbers them, device 0 first), NULL if none handed out */
    char *nics;       /* its NICs' names (PLACE_NICS), NULL if none handed out */
    int nnotes;       /* what was done that the caller may not expect */
    char **notes;
} place_subdomain;

/* This rank's whole placement. Fails with one line naming the problem: a grid that
 * differs from placerun's --grid, ranks that cannot hold a box each, an unreadable or
 * forged plan file. Free with place_subdomain_free. */
PLACE_API int place_subdomain_get(place_subdomain **out, const place_solver_req *q,
                                  place_error *err);
PLACE_API void place_subdomain_free(place_subdomain *s);

/* Thread t's slab of the box: its x planes (global indices), the part that OpenMP's
 * schedule(static) gives thread t of a loop over the box's x planes. */
PLACE_API void place_subdomain_slab(const place_subdomain *s, int t, place_box *slab);

/* Binds the calling thread to thread t's PU: s's plan (with or without placerun), or with
 * s NULL the PUs placerun exported (PLACE_ENOTPLACED when not under placerun). */
PLACE_API int place_bind_self_thread(const place_subdomain *s, int t, place_error *err);

/* An array of the box with its ghost layers: alloc[0] x alloc[1] x alloc[2] elements of
 * elem_bytes, x slowest, page-aligned and untouched, and its partition by thread slab
 * (thread 0 also holds the lower ghost planes, the last thread the upper ones), each part
 * owned by its thread's NUMA node. First touch: place_array_touch_part(a, part, t) from thread
 * t; where pages are: place_locality_query(a, part, ...). */
PLACE_API int place_subdomain_alloc(const place_subdomain *s, size_t elem_bytes, place_array *a,
                                    place_partition *part, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
