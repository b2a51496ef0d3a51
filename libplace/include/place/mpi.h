/* place/mpi.h: MPI helpers over place/solver.h and the step recorder. Header-only (static
 * inline), so that libplace itself depends on no MPI and works with whichever MPI the
 * solver is built with. Include it after <mpi.h>; link with MPI as the solver does.
 *
 *     place_solver_req q;
 *     place_solver_req_init(&q, nx, ny, nz);
 *     place_mpi_fill_req(&q, MPI_COMM_WORLD);
 *     place_subdomain_get(&sd, &q, &err);
 *     place_mpi_cart(sd, MPI_COMM_WORLD, &cart);       // coords as place's
 *     ...
 *     place_mpi_step_stats(rec, MPI_COMM_WORLD, &job); // the job's barrier steps
 */
#ifndef PLACE_MPI_H
#define PLACE_MPI_H

#include <mpi.h>
#include <stdlib.h>
#include "place/solver.h"
#include "place/steprec.h"

/* q->rank and q->size from the communicator. */
static inline void place_mpi_fill_req(place_solver_req *q, MPI_Comm comm)
{
    MPI_Comm_rank(comm, &q->rank);
    MPI_Comm_size(comm, &q->size);
}

/* A Cartesian communicator whose coordinates are place's (s->box.coords) and whose
 * process grid is s->dims: ranks are renumbered row-major with z fastest, as
 * MPI_Cart_create numbers them, so MPI_Cart_shift gives the neighbours of s->box (in the
 * new communicator's numbering). Periodic along an axis where the decomposition wraps.
 * Collective over comm. Returns the MPI error code. */
static inline int place_mpi_cart(const place_subdomain *s, MPI_Comm comm, MPI_Comm *cart)
{
    const int *c = s->box.coords;
    int key = (c[0] * s->dims[1] + c[1]) * s->dims[2] + c[2];
    int wraps[3], periods[3];
    for (int a = 0; a < 3; a++) /* the rank at the low wall knows whether it wraps */
        wraps[a] = c[a] == 0 && s->box.neighbor[2 * a] >= 0;
    int rc = MPI_Allreduce(wraps, periods, 3, MPI_INT, MPI_MAX, comm);
    MPI_Comm sorted;
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_split(comm, 0, key, &sorted);
    if (rc != MPI_SUCCESS)
        return rc;
    int dims[3] = {s->dims[0], s->dims[1], s->dims[2]};
    rc = MPI_Cart_create(sorted, 3, dims, periods, 0, cart);
    MPI_Comm_free(&sorted);
    return rc;
}

/* The barrier-step statistics of the whole job: each step's slowest thread over every
 * thread of every rank, against the job's mean, over the steps still in every rank's
 * ring (job->steps says how many; job->ranks the ranks reduced over). Migrations and
 * switches are summed, or UNAVAILABLE if any rank cannot count them. Collective over comm.
 * Returns the MPI error code. */
static inline int place_mpi_step_stats(const place_steprec *r, MPI_Comm comm, place_step_stats *job)
{
    place_step_stats mine;
    place_steprec_stats(r, &mine);
    int T = mine.nthreads, kept = 0, n, ranks, threads;
    int cap = mine.steps < (1 << 24) ? (int)mine.steps : (1 << 24); /* rings are smaller */
    double *x = (double *)malloc(sizeof(double) * (size_t)(cap > 0 ? cap : 1));
    if (x && T > 0)
        kept = place_steprec_samples(r, 0, x, cap);
    int rc = MPI_Allreduce(&kept, &n, 1, MPI_INT, MPI_MIN, comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Allreduce(&T, &threads, 1, MPI_INT, MPI_SUM, comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(comm, &ranks);
    double *mx = (double *)calloc((size_t)n + 1, sizeof(double));
    double *sm = (double *)calloc((size_t)n + 1, sizeof(double));
    double *jmx = (double *)calloc((size_t)n + 1, sizeof(double));
    double *jsm = (double *)calloc((size_t)n + 1, sizeof(double));
    if (rc == MPI_SUCCESS && (!x || !mx || !sm || !jmx || !jsm))
        rc = MPI_ERR_NO_MEM;
    /* this rank's last n steps: each step's slowest thread and the threads' sum */
    for (int t = 0; rc == MPI_SUCCESS && t < T; t++) {
        int k = place_steprec_samples(r, t, x, kept);
        for (int i = 0; i < n; i++) {
            double v = x[k - n + i];
            mx[i] = t == 0 || v > mx[i] ? v : mx[i];
            sm[i] += v;
        }
    }
    if (rc == MPI_SUCCESS)
        rc = MPI_Allreduce(mx, jmx, n, MPI_DOUBLE, MPI_MAX, comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Allreduce(sm, jsm, n, MPI_DOUBLE, MPI_SUM, comm);
    if (rc == MPI_SUCCESS) {
        place_step_stats_from_steps(jmx, jsm, n, threads, ranks, job);
        long long c[2] = {mine.migrations, mine.switches}, lo[2], sum[2];
        rc = MPI_Allreduce(c, lo, 2, MPI_LONG_LONG, MPI_MIN, comm);
        if (rc == MPI_SUCCESS)
            rc = MPI_Allreduce(c, sum, 2, MPI_LONG_LONG, MPI_SUM, comm);
        if (rc == MPI_SUCCESS) {
            job->migrations = lo[0] == PLACE_UNAVAILABLE ? PLACE_UNAVAILABLE : sum[0];
            job->switches = lo[1] == PLACE_UNAVAILABLE ? PLACE_UNAVAILABLE : sum[1];
        }
    }
    free(x);
    free(mx);
    free(sm);
    free(jmx);
    free(jsm);
    return rc;
}

#endif
