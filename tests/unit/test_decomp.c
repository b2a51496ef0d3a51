/* test_decomp.c: the decomposition's promises.
 *   - the chosen process grid has the least halo of all factorisations (brute force),
 *     for every P from 1 to 512 on cubic, slab, pencil and prime-sized grids;
 *   - boxes tile the grid exactly, part sizes differ by at most one cell;
 *   - coords and ranks are a bijection, neighbour relations are symmetric (and wrap
 *     when periodic);
 *   - hierarchical mapping keeps each node's ranks in one compact block and never
 *     crosses more node boundaries than row-major numbering;
 *   - a thread's slab is exactly what libgomp's schedule(static) gives that thread;
 *   - bad grids are refused with one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

static const int64_t shapes[][3] = {
    {64, 64, 64},    /* cubic */
    {1024, 1024, 8}, /* slab */
    {4096, 16, 16},  /* pencil */
    {97, 89, 101},   /* prime sizes */
    {1024, 256, 64}, /* the issue's example */
    {7, 5, 3},       /* small: many P cannot be split */
    {1, 1, 1000},    /* a line */
    {30, 1, 512},
};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static __int128 faces(const int64_t n[3], int px, int py, int pz)
{
    return (__int128)(px - 1) * n[1] * n[2] + (__int128)(py - 1) * n[0] * n[2] +
           (__int128)(pz - 1) * n[0] * n[1];
}

static void test_dims_reach_the_brute_force_minimum(void **s)
{
    int checked = 0, refused = 0;
    for (int sh = 0; sh < NSHAPES; sh++) {
        const int64_t *n = shapes[sh];
        for (int P = 1; P <= 512; P++) {
            __int128 best = -1;
            for (int px = 1; px <= P; px++)
                for (int py = 1; px * py <= P; py++) {
                    if (P % (px * py))
                        continue;
                    int pz = P / (px * py);
                    if (px > n[0] || py > n[1] || pz > n[2])
                        continue;
                    __int128 f = faces(n, px, py, pz);
                    if (best < 0 || f < best)
                        best = f;
                }
            int dims[3];
            place_error e;
            int rc = place_dims_choose(n, P, dims, &e);
            if (best < 0) {
                assert_int_equal(rc, -1);
                assert_non_null(strstr(e.msg, "cannot be split"));
                refused++;
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(dims[0] * dims[1] * dims[2], P);
            assert_true(dims[0] <= n[0] && dims[1] <= n[1] && dims[2] <= n[2]);
            if (faces(n, dims[0], dims[1], dims[2]) != best) {
                print_error("grid %lldx%lldx%lld P=%d: chose %dx%dx%d, not minimal\n",
                            (long long)n[0], (long long)n[1], (long long)n[2], P, dims[0], dims[1],
                            dims[2]);
                fail();
            }
            assert_int_equal(place_halo_faces(n, dims), (int64_t)best);
            checked++;
        }
    }
    print_message("%d grids x ranks checked against brute force, %d refused\n", checked, refused);
    assert_true(checked > 3000 && refused > 100);
}

static void test_dims_beat_mpi_dims_create_on_the_issue_example(void **s)
{
    const int64_t n[3] = {1024, 256, 64};
    int dims[3], mpi[3] = {4, 4, 4}; /* what MPI_Dims_create(64, 3) returns */
    assert_int_equal(place_dims_choose(n, 64, dims, NULL), 0);
    assert_int_equal(dims[0], 16);
    assert_int_equal(dims[1], 4);
    assert_int_equal(dims[2], 1);
    assert_true(place_halo_faces(n, dims) * 2 < place_halo_faces(n, mpi));
}

/* Every box inside the grid, volumes summing to the grid, each axis cut into contiguous
 * parts of sizes differing by at most one, coords <-> rank a bijection. */
static void check_tiling(const place_decomp *d, const int64_t n[3], int P)
{
    int dims[3];
    place_decomp_dims(d, dims);
    assert_int_equal(dims[0] * dims[1] * dims[2], P);
    __int128 vol = 0;
    char *seen = calloc((size_t)P, 1);
    for (int r = 0; r < P; r++) {
        place_box b;
        assert_int_equal(place_decomp_rank(d, r, &b, NULL), 0);
        int64_t v = 1;
        for (int a = 0; a < 3; a++) {
            assert_true(b.lo[a] >= 0 && b.hi[a] <= n[a] && b.lo[a] < b.hi[a]);
            int64_t q = n[a] / dims[a], sz = b.hi[a] - b.lo[a];
            assert_true(sz == q || sz == q + 1);
            /* contiguity: the part before ends where this one starts */
            if (b.coords[a] > 0) {
                int c[3] = {b.coords[0], b.coords[1], b.coords[2]};
                c[a]--;
                place_box pb;
                place_decomp_rank(d, place_decomp_rank_at(d, c), &pb, NULL);
                assert_int_equal(pb.hi[a], b.lo[a]);
            } else {
                assert_int_equal(b.lo[a], 0);
            }
            if (b.coords[a] == dims[a] - 1)
                assert_int_equal(b.hi[a], n[a]);
            v *= sz;
        }
        vol += v;
        assert_int_equal(place_decomp_rank_at(d, b.coords), r);
        int cell = (b.coords[0] * dims[1] + b.coords[1]) * dims[2] + b.coords[2];
        assert_false(seen[cell]);
        seen[cell] = 1;
    }
    assert_true(vol == (__int128)n[0] * n[1] * n[2]);
    free(seen);
}

static void check_neighbours(const place_decomp *d, int P, unsigned flags)
{
    int dims[3];
    place_decomp_dims(d, dims);
    for (int r = 0; r < P; r++) {
        place_box b;
        place_decomp_rank(d, r, &b, NULL);
        for (int k = 0; k < 6; k++) {
            int a = k / 2, periodic = !!(flags & (PLACE_DECOMP_PERIODIC_X << a));
            int at_wall = (k % 2 == 0) ? b.coords[a] == 0 : b.coords[a] == dims[a] - 1;
            if (at_wall && !periodic) {
                assert_int_equal(b.neighbor[k], -1);
                continue;
            }
            assert_true(b.neighbor[k] >= 0 && b.neighbor[k] < P);
            place_box nb;
            place_decomp_rank(d, b.neighbor[k], &nb, NULL);
            assert_int_equal(nb.neighbor[k ^ 1], r); /* symmetric */
        }
    }
}

static void test_boxes_tile_and_neighbours_are_symmetric(void **s)
{
    static const int Ps[] = {1, 2, 3, 5, 6, 12, 17, 30, 64, 97};
    for (int sh = 0; sh < NSHAPES; sh++)
        for (size_t i = 0; i < sizeof Ps / sizeof *Ps; i++)
            for (unsigned flags = 0; flags < 8; flags += 7) {
                place_decomp *d = NULL;
                if (place_decomp_compute(&d, shapes[sh], NULL, Ps[i], flags, NULL) < 0)
                    continue; /* grid too small: covered by the brute-force test */
                check_tiling(d, shapes[sh], Ps[i]);
                check_neighbours(d, Ps[i], flags);
                place_decomp_free(d);
            }
}

static void test_uneven_sizes_are_said(void **s)
{
    const int64_t n[3] = {10, 10, 7};
    place_decomp *d;
    assert_int_equal(place_decomp_compute(&d, n, NULL, 3, 0, NULL), 0);
    int dims[3];
    place_decomp_dims(d, dims);
    assert_true(place_decomp_nnotes(d) >= 1);
    assert_non_null(strstr(place_decomp_note(d, 0), "do not divide"));
    place_decomp_free(d);
}

/* The ranks of each node occupy one box of the process grid, full of them. */
static void check_nodes_compact(const place_decomp *d, const place_plan *p)
{
    const place_request *q = place_plan_resolved(p);
    int r = q->ranks / q->nodes;
    for (int node = 0; node < q->nodes; node++) {
        int lo[3] = {1 << 30, 1 << 30, 1 << 30}, hi[3] = {-1, -1, -1};
        for (int i = node * r; i < (node + 1) * r; i++) {
            place_box b;
            place_decomp_rank(d, i, &b, NULL);
            for (int a = 0; a < 3; a++) {
                lo[a] = b.coords[a] < lo[a] ? b.coords[a] : lo[a];
                hi[a] = b.coords[a] > hi[a] ? b.coords[a] : hi[a];
            }
        }
        assert_int_equal((hi[0] - lo[0] + 1) * (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1), r);
    }
}

static void test_hierarchical_mapping_keeps_nodes_compact(void **s)
{
    static const int64_t grids[][3] = {
        {1024, 1024, 512}, {1024, 256, 64}, {512, 512, 512}, {4096, 64, 64}, {96, 96, 96}};
    place_topo *t;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:2 numa:2 core:16 pu:2", 0, NULL), 0);
    for (size_t g = 0; g < sizeof grids / sizeof *grids; g++) {
        place_request q;
        place_request_init(&q);
        q.nodes = 16;
        q.ranks = 256;
        q.threads = 4;
        place_plan *p;
        assert_int_equal(place_plan_compute(&p, t, &q, NULL), 0);
        place_decomp *h, *l;
        assert_int_equal(place_decomp_compute(&h, grids[g], p, 0, 0, NULL), 0);
        assert_int_equal(place_decomp_compute(&l, grids[g], p, 0, PLACE_DECOMP_LINEAR, NULL), 0);
        assert_string_equal(place_decomp_mapping(h), "hierarchical");
        check_tiling(h, grids[g], 256);
        check_nodes_compact(h, p);
        int64_t lh[3], ll[3];
        place_decomp_halo_levels(h, lh);
        place_decomp_halo_levels(l, ll);
        int dims[3];
        place_decomp_dims(h, dims);
        assert_int_equal(lh[0] + lh[1] + lh[2], place_halo_faces(grids[g], dims));
        assert_int_equal(ll[0] + ll[1] + ll[2], place_halo_faces(grids[g], dims));
        assert_true(lh[2] <= ll[2]); /* never more across nodes */
        assert_true(lh[1] + lh[2] <= ll[1] + ll[2]);
        place_decomp_free(h);
        place_decomp_free(l);
        place_plan_free(p);
    }
    place_topo_free(t);
}

static void test_unequal_nodes_fall_back_to_row_major_and_say_so(void **s)
{
    place_topo *t;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:1 core:4 pu:1", 0, NULL), 0);
    place_request q;
    place_request_init(&q);
    q.nodes = 2;
    q.ranks = 5;
    place_plan *p;
    assert_int_equal(place_plan_compute(&p, t, &q, NULL), 0);
    const int64_t n[3] = {50, 10, 10};
    place_decomp *d;
    assert_int_equal(place_decomp_compute(&d, n, p, 0, 0, NULL), 0);
    assert_string_equal(place_decomp_mapping(d), "linear");
    assert_non_null(strstr(place_decomp_note(d, 0), "unequal rank counts"));
    int64_t lv[3];
    place_decomp_halo_levels(d, lv);
    assert_int_equal(lv[2], 10 * 10); /* 5 slabs along x; one cut between node 0 and 1 */
    place_decomp_free(d);
    place_plan_free(p);
    place_topo_free(t);
}

/* libgomp's schedule(static) gives thread t the t-th part with the remainder first. */
static void test_thread_slabs_match_openmp_static_schedule(void **s)
{
    static const int extents[] = {1, 3, 7, 16, 33, 100};
    for (size_t e = 0; e < sizeof extents / sizeof *extents; e++)
        for (int T = 1; T <= 8; T++) {
            place_box box = {
                {5, 0, 0}, {5 + extents[e], 4, 4}, {0, 0, 0}, {-1, -1, -1, -1, -1, -1}};
            int owner[128];
#pragma omp parallel for schedule(static) num_threads(T)
            for (int x = 0; x < extents[e]; x++)
                owner[x] = omp_get_thread_num();
            int nthreads = 0;
#pragma omp parallel num_threads(T)
#pragma omp single
            nthreads = omp_get_num_threads();
            assert_int_equal(nthreads, T);
            int64_t covered = 0;
            for (int t = 0; t < T; t++) {
                place_box slab;
                place_box_thread_slab(&box, T, t, &slab);
                assert_int_equal(slab.lo[1], 0);
                assert_int_equal(slab.hi[2], 4);
                for (int64_t x = slab.lo[0]; x < slab.hi[0]; x++)
                    assert_int_equal(owner[x - 5], t);
                covered += slab.hi[0] - slab.lo[0];
            }
            assert_int_equal(covered, extents[e]);
        }
}

static void test_bad_grids_are_refused_with_one_line(void **s)
{
    static const char *bad[] = {"",
                                "64",
                                "64x64",
                                "64x64x64x64",
                                "0x4x4",
                                "-1x4x4",
                                "4x4x",
                                "x4x4",
                                "ax4x4",
                                "4.5x4x4",
                                "4 x4x4",
                                "4x4x4 ",
                                "4294967296x4294967296x2",
                                "99999999999999999999x1x1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t n[3];
        place_error e;
        place_error_clear(&e);
        if (place_grid_parse("--grid", bad[i], n, &e) == 0) {
            print_error("accepted bad grid '%s'\n", bad[i]);
            fail();
        }
        assert_int_equal(e.code, PLACE_EINVAL);
        assert_non_null(strstr(e.msg, "--grid"));
        assert_null(strchr(e.msg, '\n'));
    }
    int64_t n[3];
    assert_int_equal(place_grid_parse("--grid", "256x128X64", n, NULL), 0);
    assert_true(n[0] == 256 && n[1] == 128 && n[2] == 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dims_reach_the_brute_force_minimum),
        cmocka_unit_test(test_dims_beat_mpi_dims_create_on_the_issue_example),
        cmocka_unit_test(test_boxes_tile_and_neighbours_are_symmetric),
        cmocka_unit_test(test_uneven_sizes_are_said),
        cmocka_unit_test(test_hierarchical_mapping_keeps_nodes_compact),
        cmocka_unit_test(test_unequal_nodes_fall_back_to_row_major_and_say_so),
        cmocka_unit_test(test_thread_slabs_match_openmp_static_schedule),
        cmocka_unit_test(test_bad_grids_are_refused_with_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
