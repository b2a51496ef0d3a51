/* halo.c (fdtd3d): the rank's box from the plan (or libplace's decomposition), its arrays'
 * shape (FDTD3D_EXTENT), the memory the run takes, and the halo exchange of the faces'
 * tangential fields. */
#define _GNU_SOURCE
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdtd3d.h"

/* This rank's box and neighbours: placerun's (under placerun --grid), else the
 * decomposition libplace computes for the job (place_subdomain_get). */
void decompose(const opts *o, geom *g, int nb[6])
{
    place_error e;
    place_solver_req q;
    place_solver_req_init(&q, o->n[0], o->n[1], o->n[2]);
    q.rank = rank;
    q.size = nranks;
    q.nthreads = omp_get_max_threads();
    q.ghost = 1;
    place_subdomain *sd;
    if (place_subdomain_get(&sd, &q, &e) < 0)
        die("%s", e.msg);
    for (int d = 0; d < 3; d++) {
        g->lo[d] = (int)sd->box.lo[d];
        g->hi[d] = (int)sd->box.hi[d];
    }
    memcpy(nb, sd->box.neighbor, sizeof sd->box.neighbor);
    g->local_size = sd->local_size > 0 ? sd->local_size : 1;
    place_subdomain_free(sd);
    for (int d = 0; d < 3; d++) {
        g->N[d] = (int)o->n[d];
        g->wall_lo[d] = g->lo[d] == 0;
    }
    g->nx = g->hi[0] - g->lo[0];
    g->ny = g->hi[1] - g->lo[1];
    g->nz = g->hi[2] - g->lo[2];
    g->sx = FDTD3D_EXTENT(g->nx);
    g->sy = FDTD3D_EXTENT(g->ny);
    /* rows padded to FDTD3D_ALIGN (and the arrays shifted so that k = 1 starts on it): the
     * loads at k, k +- sj and k +- si are then aligned, and only those at k +- 1 can
     * straddle two cache lines (every one could with FDTD3D_EXTENT(nz)) */
    int lanes = FDTD3D_ALIGN / (o->dbl ? 8 : 4);
    g->sz = (FDTD3D_EXTENT(g->nz) + lanes - 1) / lanes * lanes;
}

/* The memory the run will allocate, checked against what this node lets it allocate
 * before anything is allocated: a grid too large for a job's cgroup fails with the numbers
 * here instead of being killed by the OOM killer hours later. */
void check_memory(const opts *o, const geom *g)
{
    double elem = o->dbl ? 8 : 4, fields = 6.0 * g->sx * g->sy * g->sz * elem, mine = fields;
    if (rank == 0) { /* probes, energy samples, the gathered step times of the report */
        int energy_rows = o->energy_out ? o->steps / o->energy_every + 1 : 0;
        mine += (double)o->steps * 6 * o->nprobes * 8 + energy_rows * 8.0 +
                (o->report ? (double)o->ring * omp_get_max_threads() * nranks * 8 : 0);
    }
    double most;
    MPI_Allreduce(&mine, &most, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    char why[200];
    int64_t room = place_memory_headroom(why, sizeof why);
    int bad = room >= 0 && most * g->local_size > (double)room;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (bad)
        die("the run needs %.0f MiB per rank (six fields of %dx%dx%d cells: %.0f MiB) x %d ranks "
            "on this node, but %lld MiB may be allocated here (%s); expected a smaller grid%s or "
            "more nodes",
            most / (1 << 20), g->sx, g->sy, g->sz, fields / (1 << 20), g->local_size,
            (long long)(room >> 20), why, o->dbl ? ", single precision" : "");
}
/* ---- halo exchange ------------------------------------------------------------------ */

/* The local plane of axis d at index `at` (the ghosts and the owned planes next to them)
 * as an MPI type. */
static MPI_Datatype plane_type(const geom *g, int d, int at, MPI_Datatype base)
{
    int sizes[3] = {g->sx, g->sy, g->sz}, sub[3] = {g->sx, g->sy, g->sz}, start[3] = {0, 0, 0};
    sub[d] = 1;
    start[d] = at;
    MPI_Datatype t;
    MPI_Type_create_subarray(3, sizes, sub, start, MPI_ORDER_C, base, &t);
    MPI_Type_commit(&t);
    return t;
}

void halo_init(halo *h, const geom *g, MPI_Datatype base, const int nb[6])
{
    int n[3] = {g->nx, g->ny, g->nz};
    for (int d = 0; d < 3; d++) {
        h->lo_ghost[d] = plane_type(g, d, FDTD3D_FIRST - 1, base);
        h->lo_own[d] = plane_type(g, d, FDTD3D_FIRST, base);
        h->hi_own[d] = plane_type(g, d, FDTD3D_LAST(n[d]), base);
        h->hi_ghost[d] = plane_type(g, d, FDTD3D_LAST(n[d]) + 1, base);
    }
    for (int k = 0; k < 6; k++)
        h->nb[k] = nb[k] < 0 ? MPI_PROC_NULL : nb[k];
}

/* After H: the upper owned plane goes up, the lower ghost comes from below; only the two
 * components tangential to the face (the E update reads them across it). */
void exchange_h(const halo *h, void *hx, void *hy, void *hz)
{
    void *tang[3][2] = {{hy, hz}, {hx, hz}, {hx, hy}};
    for (int d = 0; d < 3; d++)
        for (int c = 0; c < 2; c++)
            MPI_Sendrecv(tang[d][c], 1, h->hi_own[d], h->nb[2 * d + 1], 10 + d, tang[d][c], 1,
                         h->lo_ghost[d], h->nb[(size_t)2 * d], 10 + d, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
}

/* After E: the lower owned plane goes down, the upper ghost comes from above. */
void exchange_e(const halo *h, void *ex, void *ey, void *ez)
{
    void *tang[3][2] = {{ey, ez}, {ex, ez}, {ex, ey}};
    for (int d = 0; d < 3; d++)
        for (int c = 0; c < 2; c++)
            MPI_Sendrecv(tang[d][c], 1, h->lo_own[d], h->nb[(size_t)2 * d], 20 + d, tang[d][c], 1,
                         h->hi_ghost[d], h->nb[2 * d + 1], 20 + d, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
}
