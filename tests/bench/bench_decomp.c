/* bench_decomp: decomposition of a grid over a million ranks, and how it compares with
 * MPI_Dims_create (called for real) on a table of grids and rank counts.
 *
 * Prints (markdown, for docs/decomposition.md):
 *   1. for >= 10 grids and rank counts: MPI_Dims_create's dims and halo next to ours;
 *   2. the inter-node share of the halo on a described 16-node job, with hierarchical
 *      mapping and with row-major numbering (what MPI_Cart_create does);
 *   3. the median time to decompose a grid over 8192 nodes x 128 ranks.
 * Asserts that ours is never worse than MPI's; never asserts speed.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
#include "place.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    static const struct {
        int64_t n[3];
        int P;
    } cases[] = {
        {{1024, 256, 64}, 64},    {{1024, 1024, 8}, 64},    {{4096, 16, 16}, 128},
        {{512, 512, 512}, 96},    {{97, 89, 101}, 60},      {{2048, 2048, 1}, 256},
        {{1000, 500, 250}, 1000}, {{640, 320, 160}, 512},   {{128, 128, 4096}, 48},
        {{300, 200, 100}, 24},    {{8192, 512, 128}, 4096}, {{1024, 1024, 1024}, 1000},
    };
    printf(
        "| grid | ranks | MPI_Dims_create | halo (cells/step) | place | halo (cells/step) | MPI / place |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int mpi[3] = {0, 0, 0}, ours[3];
        MPI_Dims_create(cases[i].P, 3, mpi);
        if (place_dims_choose(cases[i].n, cases[i].P, ours, NULL) < 0)
            return 1;
        int64_t hm = 2 * place_halo_faces(cases[i].n, mpi),
                ho = 2 * place_halo_faces(cases[i].n, ours);
        CHECK(ho <= hm);
        printf("| %lldx%lldx%lld | %d | %dx%dx%d | %lld | %dx%dx%d | %lld | %.2f |\n",
               (long long)cases[i].n[0], (long long)cases[i].n[1], (long long)cases[i].n[2],
               cases[i].P, mpi[0], mpi[1], mpi[2], (long long)hm, ours[0], ours[1], ours[2],
               (long long)ho, (double)hm / (double)ho);
    }

    const char *node = "synthetic:pack:2 numa:2 core:16 pu:2";
    place_topo *t;
    if (place_topo_load(&t, node, 0, NULL) < 0)
        return 1;
    printf("\n16 nodes x 16 ranks (4 per NUMA node) x 4 threads on %s:\n\n", node);
    printf(
        "| grid | dims | inter-node halo, row-major | hierarchical | inter-NUMA (same node), row-major | hierarchical |\n");
    printf("|---|---|---|---|---|---|\n");
    static const int64_t grids[][3] = {
        {1024, 1024, 512}, {1024, 256, 64}, {512, 512, 512}, {4096, 64, 64}, {2048, 2048, 16}};
    place_request q;
    place_request_init(&q);
    q.nodes = 16;
    q.ranks = 256;
    q.threads = 4;
    place_plan *p;
    if (place_plan_compute(&p, t, &q, NULL) < 0)
        return 1;
    for (size_t g = 0; g < sizeof grids / sizeof *grids; g++) {
        place_decomp *h, *l;
        place_decomp_compute(&h, grids[g], p, 0, 0, NULL);
        place_decomp_compute(&l, grids[g], p, 0, PLACE_DECOMP_LINEAR, NULL);
        int64_t lh[3], ll[3];
        int dims[3];
        place_decomp_halo_levels(h, lh);
        place_decomp_halo_levels(l, ll);
        place_decomp_dims(h, dims);
        double tot = (double)place_halo_faces(grids[g], dims);
        CHECK(lh[2] <= ll[2]);
        printf("| %lldx%lldx%lld | %dx%dx%d | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
               (long long)grids[g][0], (long long)grids[g][1], (long long)grids[g][2], dims[0],
               dims[1], dims[2], 100 * ll[2] / tot, 100 * lh[2] / tot, 100 * ll[1] / tot,
               100 * lh[1] / tot);
        place_decomp_free(h);
        place_decomp_free(l);
    }
    place_plan_free(p);

    q.nodes = 8192;
    q.ranks = 8192 * 128;
    q.threads = 1;
    place_topo *big;
    place_topo_load(&big, "synthetic:pack:2 numa:4 core:16 pu:2", 0, NULL);
    place_plan_compute(&p, big, &q, NULL);
    const int64_t n[3] = {16384, 8192, 8192};
    double ts[5];
    int dims[3];
    for (int r = 0; r < 5; r++) {
        place_decomp *d;
        double t0 = now();
        if (place_decomp_compute(&d, n, p, 0, 0, NULL) < 0)
            return 1;
        ts[r] = now() - t0;
        place_decomp_dims(d, dims);
        place_decomp_free(d);
    }
    qsort(ts, 5, sizeof *ts, cmp_double);
    printf("\ndecomposition of %lldx%lldx%lld over 8192 nodes x 128 ranks (1,048,576 ranks, 8 NUMA "
           "nodes per node): dims %dx%dx%d, %.1f ms (median of 5)\n",
           (long long)n[0], (long long)n[1], (long long)n[2], dims[0], dims[1], dims[2],
           ts[2] * 1e3);
    place_plan_free(p);
    place_topo_free(big);
    place_topo_free(t);
    MPI_Finalize();
    return 0;
}
