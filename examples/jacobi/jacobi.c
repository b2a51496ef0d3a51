/* jacobi: Laplace's equation on an N x N x N grid by Jacobi iteration, MPI + OpenMP,
 * placed by libplace. An example of the public API: it runs the same under
 * `mpirun -np 2 placerun --grid NxNxN -- ./jacobi N ITERS`, under plain mpirun, and alone,
 * and prints the same numbers every way (the update of a cell does not depend on the
 * decomposition, and the results are maxima, exact in any order).
 *
 *   jacobi N ITERS     u = 1 on the x = 0 face, 0 on the others; prints the largest
 *                      change of the last iteration, u at three cells, and the job's
 *                      barrier-step slowdown.
 */
#include <math.h>
#include <mpi.h>
#include <omp.h>
#include <place.h>
#include <place/mpi.h>
#include <stdio.h>
#include <stdlib.h>

static void fail(const char *msg)
{
    fprintf(stderr, "jacobi: %s\n", msg);
    MPI_Abort(MPI_COMM_WORLD, 2);
}

/* The x, y or z plane at local index `at` of an array with ghosts, as an MPI type. */
static MPI_Datatype plane(const place_subdomain *s, int axis, int64_t at)
{
    int size[3] = {(int)s->alloc[0], (int)s->alloc[1], (int)s->alloc[2]};
    int sub[3] = {size[0], size[1], size[2]}, start[3] = {0, 0, 0};
    sub[axis] = 1;
    start[axis] = (int)at;
    MPI_Datatype t;
    MPI_Type_create_subarray(3, size, sub, start, MPI_ORDER_C, MPI_DOUBLE, &t);
    MPI_Type_commit(&t);
    return t;
}

/* Ghost planes from the six neighbours (MPI_PROC_NULL at a wall keeps the boundary). */
static void exchange(const place_subdomain *s, double *u, MPI_Datatype pl[3][4])
{
    for (int a = 0; a < 3; a++) {
        int lo = s->box.neighbor[2 * a] < 0 ? MPI_PROC_NULL : s->box.neighbor[2 * a];
        int hi = s->box.neighbor[2 * a + 1] < 0 ? MPI_PROC_NULL : s->box.neighbor[2 * a + 1];
        /* pl[a]: 0 lower ghost, 1 lowest owned, 2 highest owned, 3 upper ghost */
        MPI_Sendrecv(u, 1, pl[a][2], hi, a, u, 1, pl[a][0], lo, a, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        MPI_Sendrecv(u, 1, pl[a][1], lo, 3 + a, u, 1, pl[a][3], hi, 3 + a, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
    }
}

int main(int argc, char **argv)
{
    int provided, rank;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    place_error err;
    int n, iters;
    if (argc != 3)
        fail("usage: jacobi N ITERS");
    if (place_parse_int("N", argv[1], 3, 4096, &n, &err) < 0 ||
        place_parse_int("ITERS", argv[2], 1, 1 << 24, &iters, &err) < 0)
        fail(err.msg);

    /* placement: this rank's box, neighbours and thread PUs, under placerun or not */
    place_solver_req q;
    place_solver_req_init(&q, n, n, n);
    place_mpi_fill_req(&q, MPI_COMM_WORLD);
    q.nthreads = omp_get_max_threads();
    q.ghost = 1;
    place_subdomain *s;
    place_array A, B;
    place_partition part, part_b;
    if (place_subdomain_get(&s, &q, &err) < 0 ||
        place_subdomain_alloc(s, sizeof(double), &A, &part, &err) < 0 ||
        place_subdomain_alloc(s, sizeof(double), &B, &part_b, &err) < 0)
        fail(err.msg);
    place_steprec *rec;
    if (place_steprec_create(&rec, s->nthreads, iters, 0, &err) < 0)
        fail(err.msg);

    MPI_Datatype pl[3][4];
    for (int a = 0; a < 3; a++) {
        int64_t at[4] = {0, 1, s->n[a], s->n[a] + 1};
        for (int w = 0; w < 4; w++)
            pl[a][w] = plane(s, a, at[w]);
    }
    const int64_t sy = s->alloc[2], sx = s->alloc[1] * s->alloc[2];
    double *u = A.ptr, *v = B.ptr, change = 0;
#pragma omp parallel num_threads(s->nthreads)
    {
        int t = omp_get_thread_num();
        place_error be;
        if (place_bind_self_thread(s, t, &be) < 0 && t == 0 && rank == 0)
            fprintf(stderr, "jacobi: note: %s\n", be.msg);
        place_array_touch_part(&A, &part, t); /* first touch: each page by the thread using it */
        place_array_touch_part(&B, &part_b, t);
        place_box slab;
        place_subdomain_slab(s, t, &slab);
        int64_t i0 = slab.lo[0] - s->box.lo[0] + 1, i1 = slab.hi[0] - s->box.lo[0] + 1;
        if (t == 0 && s->box.lo[0] == 0) /* the hot wall: the ghost plane below x = 0 */
            for (int64_t p = 0; p < sx; p++)
                u[p] = v[p] = 1.0;
#pragma omp barrier
        for (int it = 0; it < iters; it++) {
#pragma omp master
            exchange(s, u, pl);
#pragma omp barrier
            place_steprec_work_begin(rec, t);
            double mine = 0;
            for (int64_t i = i0; i < i1; i++)
                for (int64_t j = 1; j <= s->n[1]; j++)
                    for (int64_t k = 1; k <= s->n[2]; k++) {
                        int64_t p = i * sx + j * sy + k;
                        v[p] =
                            (u[p - sx] + u[p + sx] + u[p - sy] + u[p + sy] + u[p - 1] + u[p + 1]) /
                            6;
                        mine = fmax(mine, fabs(v[p] - u[p]));
                    }
            place_steprec_work_end(rec, t);
#pragma omp barrier
#pragma omp master
            {
                place_steprec_step_end(rec);
                double *w = u;
                u = v;
                v = w;
                change = 0;
            }
#pragma omp barrier
#pragma omp critical
            change = fmax(change, mine);
#pragma omp barrier
        }
    }
    /* results: maxima over the job, exact whatever the decomposition */
    double probe[4] = {change, -1, -1, -1};
    const int64_t cells[3][3] = {{1, n / 2, n / 2}, {n / 2, n / 2, n / 2}, {n - 2, 1, n / 3}};
    for (int c = 0; c < 3; c++) {
        const int64_t *g = cells[c];
        if (g[0] >= s->box.lo[0] && g[0] < s->box.hi[0] && g[1] >= s->box.lo[1] &&
            g[1] < s->box.hi[1] && g[2] >= s->box.lo[2] && g[2] < s->box.hi[2])
            probe[1 + c] = u[(g[0] - s->box.lo[0] + 1) * sx + (g[1] - s->box.lo[1] + 1) * sy +
                             (g[2] - s->box.lo[2] + 1)];
    }
    double all[4];
    MPI_Allreduce(probe, all, 4, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    place_step_stats job;
    place_mpi_step_stats(rec, MPI_COMM_WORLD, &job);
    if (rank == 0) {
        printf("jacobi: %d^3, %d iterations: last change %.17g, u %.17g %.17g %.17g\n", n, iters,
               all[0], all[1], all[2], all[3]);
        fprintf(stderr,
                "jacobi: placed by %s, %d ranks x %d threads; job-wide step slowdown "
                "%.3f over %lld steps (%d ranks, %d threads)\n",
                place_source_name(s->source), s->size, s->nthreads, job.slowdown,
                (long long)job.steps, job.ranks, job.nthreads);
    }
    for (int a = 0; a < 3; a++)
        for (int w = 0; w < 4; w++)
            MPI_Type_free(&pl[a][w]);
    place_steprec_free(rec);
    place_partition_fini(&part);
    place_partition_fini(&part_b);
    place_array_fini(&A);
    place_array_fini(&B);
    place_subdomain_free(s);
    MPI_Finalize();
    return 0;
}
