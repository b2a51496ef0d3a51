/* place/decomp.h: static domain decomposition of a 3D grid over ranks and threads.
 *
 * Given a global grid of nx x ny x nz cells and P ranks, the process grid
 * (px, py, pz), px*py*pz = P, is the one with the smallest halo volume (the sum of the
 * internal face areas, one layer deep), found by enumerating every factorisation:
 * unlike MPI_Dims_create, the grid's shape counts. Ranks are then mapped onto subdomains
 * so that the ranks of one node form a compact block of the global grid, and inside a
 * node the ranks of one NUMA node do too; the halo is reported split by the slowest link
 * it crosses.
 *
 * Conventions: dimension 0 is x. Arrays are laid out with x slowest (C order
 * [x][y][z]), so the "outermost" dimension, along which threads split a rank's box, is
 * x. Boxes are [lo, hi) in global cell indices. Where n cells do not divide over p
 * parts, the first n mod p parts get one cell more (so sizes differ by at most one), the
 * same rule as OpenMP's schedule(static) without a chunk size in libgomp.
 */
#ifndef PLACE_DECOMP_H
#define PLACE_DECOMP_H

#include "place/api.h"
#include <stdint.h>
#include "place/error.h"
#include "place/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses "NXxNYxNZ" (e.g. "256x128x64"), each a whole number >= 1, with the product of
 * the three within int64_t. `what` names the input in messages (e.g. "--grid"). */
PLACE_API int place_grid_parse(const char *what, const char *s, int64_t n[3], place_error *err);

/* Sum of the internal face areas of the process grid `dims` on grid `n`, one layer:
 * (px-1)*ny*nz + (py-1)*nx*nz + (pz-1)*nx*ny. The cells exchanged per step, counting
 * both directions across every face (plan-json.md's halo_cells), are twice this. */
PLACE_API int64_t place_halo_faces(const int64_t n[3], const int dims[3]);

/* Chooses dims with px*py*pz = P, each no larger than the grid along its axis, with the
 * smallest halo; ties go to the most even subdomain sizes, then to the larger px.
 * Fails (PLACE_EINVAL) when no factorisation fits, e.g. more ranks than cells. */
PLACE_API int place_dims_choose(const int64_t n[3], int P, int dims[3], place_error *err);

/* Splits n cells over p parts: part i is [lo, hi). */
PLACE_API void place_decomp_split(int64_t n, int p, int i, int64_t *lo, int64_t *hi);

typedef struct place_decomp place_decomp;

enum {
    PLACE_DECOMP_PERIODIC_X = 1u << 0, /* neighbours wrap around along x */
    PLACE_DECOMP_PERIODIC_Y = 1u << 1,
    PLACE_DECOMP_PERIODIC_Z = 1u << 2,
    PLACE_DECOMP_LINEAR = 1u << 3 /* no hierarchical mapping: rank = row-major
                                          coords (z fastest), as MPI_Cart_create does */
};

/* Decomposes grid `n` over the ranks of `plan` (nodes and NUMA nodes from the plan).
 * With plan NULL, over `ranks` ranks on one node and one NUMA node. The plan must
 * outlive the decomposition. */
PLACE_API int place_decomp_compute(place_decomp **out, const int64_t n[3], const place_plan *plan,
                                   int ranks, unsigned flags, place_error *err);
PLACE_API void place_decomp_free(place_decomp *d);

/* The grid decomposed. */
PLACE_API void place_decomp_global(const place_decomp *d, int64_t n[3]);

/* The process grid and how ranks were mapped ("hierarchical" or "linear"). */
PLACE_API void place_decomp_dims(const place_decomp *d, int dims[3]);
PLACE_API const char *place_decomp_mapping(const place_decomp *d);

typedef struct place_box {
    int64_t lo[3], hi[3]; /* global cells [lo, hi) */
    int coords[3];        /* position in the process grid */
    int neighbor[6];      /* ranks at -x, +x, -y, +y, -z, +z; -1 at a non-periodic wall */
} place_box;

/* Box, coords and neighbours of `rank`. Returns 0, or -1 if out of range. */
PLACE_API int place_decomp_rank(const place_decomp *d, int rank, place_box *box, place_error *err);

/* Rank at process-grid coords, or -1 if outside. */
PLACE_API int place_decomp_rank_at(const place_decomp *d, const int coords[3]);

/* Halo faces (one layer, each face counted once) split by the slowest link crossed:
 * [0] both sides on one NUMA node, [1] one node, different NUMA nodes, [2] different
 * nodes. Their sum is place_halo_faces(). */
PLACE_API void place_decomp_halo_levels(const place_decomp *d, int64_t levels[3]);

/* Thread t of T's slab of a box: a contiguous range along x (the outermost dimension),
 * the part that OpenMP's schedule(static) gives thread t of a loop over the box's x
 * extent. The slab may be empty (lo == hi) when the box is thinner than T. */
PLACE_API void place_box_thread_slab(const place_box *box, int T, int t, place_box *slab);

/* Notes on what the decomposition did (uneven sizes, mapping fallbacks), one line each. */
PLACE_API int place_decomp_nnotes(const place_decomp *d);
PLACE_API const char *place_decomp_note(const place_decomp *d, int i);

#ifdef __cplusplus
}
#endif
#endif
