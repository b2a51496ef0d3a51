/* decomp.c: the process grid, the rank-to-subdomain mapping, halos by link level.
 *
 * The process grid minimises the internal face area, sum over axes of (p_d - 1) times
 * the grid's cross-section across d; cuts are whole planes, so uneven part sizes do not
 * change it. Every factorisation of P is tried (P has at most a few thousand ordered
 * factorisations into three for P up to 2^30), which is exact where MPI_Dims_create's
 * shape-blind balancing is not.
 *
 * Hierarchical mapping: when every node holds the same number of ranks, the process grid
 * is cut into a node grid (k_x, k_y, k_z), each k dividing its p, chosen to minimise the
 * faces between nodes; each node's block is cut the same way into one block per NUMA
 * node (when the node's ranks group into equal NUMA groups). Ranks are numbered node by
 * node, NUMA group by group, as the plan placed them. Otherwise ranks follow row-major
 * coordinates (z fastest), as MPI_Cart_create numbers them, and a note says why.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "topo/topo_private.h"
#include "place/parse.h"
#include "place/decomp.h"

struct place_decomp {
    int64_t n[3];
    int dims[3];
    int P;
    unsigned flags;
    const char *mapping;
    int *cell_of; /* rank -> process-grid cell, row-major with z fastest */
    int *rank_at; /* cell -> rank */
    int64_t levels[3];
    place_notes notes;
};

/* ---- parsing and the process grid --------------------------------------------- */

int place_grid_parse(const char *what, const char *s, int64_t n[3], place_error *err)
{
    const char *p = s ? s : "";
    for (int d = 0; d < 3; d++) {
        char part[32];
        size_t len = strcspn(p, "xX");
        if (len == 0 || len >= sizeof part || (d < 2 && (p[len] != 'x' && p[len] != 'X')) ||
            (d == 2 && p[len] != '\0'))
            return place_error_set(
                err, PLACE_EINVAL,
                "%s '%.60s': not a grid; expected NXxNYxNZ in cells, e.g. 256x128x64", what,
                s ? s : "");
        memcpy(part, p, len);
        part[len] = '\0';
        char label[64];
        snprintf(label, sizeof label, "%s '%.40s' (%c)", what, s, "xyz"[d]);
        if (place_parse_i64(label, part, 1, INT64_MAX, &n[d], err) < 0)
            return -1;
        p += len + (d < 2);
    }
    int64_t cells;
    if (__builtin_mul_overflow(n[0], n[1], &cells) || __builtin_mul_overflow(cells, n[2], &cells))
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.60s': %lld x %lld x %lld cells overflow a 64-bit cell count",
                               what, s, (long long)n[0], (long long)n[1], (long long)n[2]);
    return 0;
}

static __int128 faces128(const int64_t n[3], const int dims[3])
{
    return (__int128)(dims[0] - 1) * n[1] * n[2] + (__int128)(dims[1] - 1) * n[0] * n[2] +
           (__int128)(dims[2] - 1) * n[0] * n[1];
}

int64_t place_halo_faces(const int64_t n[3], const int dims[3])
{
    __int128 f = faces128(n, dims);
    return f > INT64_MAX ? INT64_MAX : (int64_t)f;
}

void place_decomp_split(int64_t n, int p, int i, int64_t *lo, int64_t *hi)
{
    int64_t q = n / p, r = n % p;
    *lo = i * q + (i < r ? i : r);
    *hi = *lo + q + (i < r);
}

static __int128 max_box(const int64_t n[3], const int dims[3])
{
    __int128 v = 1;
    for (int d = 0; d < 3; d++)
        v *= (n[d] + dims[d] - 1) / dims[d];
    return v;
}

/* Divisors of P in increasing order; at most 1344 for P < 2^30. */
static int divisors(int P, int *out)
{
    int n = 0, hi[1400], nh = 0;
    for (int i = 1; (long)i * i <= P; i++)
        if (P % i == 0) {
            out[n++] = i;
            if (i != P / i)
                hi[nh++] = P / i;
        }
    while (nh > 0)
        out[n++] = hi[--nh];
    return n;
}

int place_dims_choose(const int64_t n[3], int P, int dims[3], place_error *err)
{
    if (P < 1)
        return place_error_set(err, PLACE_EINVAL, "%d ranks: expected at least 1", P);
    int best[3] = {0, 0, 0}, div[2800];
    int nd = divisors(P, div);
    __int128 bestf = 0, bestv = 0;
    for (int i = 0; i < nd; i++) {
        int px = div[i];
        if (px > n[0])
            continue;
        int rest = P / px;
        for (int j = 0; j < nd && div[j] <= rest; j++) {
            int py = div[j];
            if (rest % py || py > n[1])
                continue;
            int pz = rest / py;
            if (pz > n[2])
                continue;
            int c[3] = {px, py, pz};
            __int128 f = faces128(n, c), v = max_box(n, c);
            /* smaller halo; then more even boxes; then larger px (found later) */
            if (!best[0] || f < bestf || (f == bestf && v <= bestv)) {
                memcpy(best, c, sizeof best);
                bestf = f;
                bestv = v;
            }
        }
    }
    if (!best[0])
        return place_error_set(
            err, PLACE_EINVAL,
            "grid %lldx%lldx%lld cannot be split over %d ranks: no px*py*pz = %d "
            "has px <= %lld, py <= %lld, pz <= %lld; use fewer ranks or a larger grid",
            (long long)n[0], (long long)n[1], (long long)n[2], P, P, (long long)n[0],
            (long long)n[1], (long long)n[2]);
    memcpy(dims, best, sizeof best);
    return 0;
}

#define dnote(d, ...) place_notes_add(&(d)->notes, __VA_ARGS__)

/* ---- mapping -------------------------------------------------------------------- */

static int cell_index(const int dims[3], const int c[3])
{
    return (c[0] * dims[1] + c[1]) * dims[2] + c[2];
}

static void cell_coords(const int dims[3], int cell, int c[3])
{
    c[2] = cell % dims[2];
    c[1] = (cell / dims[2]) % dims[1];
    c[0] = cell / (dims[2] * dims[1]);
}

/* Best split of a block of `blk` ranks per axis into `parts` sub-blocks, each count
 * dividing its axis, minimising the cut area; `area[d]` is the cross-section across d
 * (in cells) of the block. Returns 0 and k[3], or -1 if `parts` cannot be split so. */
static int split_block(const int blk[3], int parts, const double area[3], int k[3])
{
    double best = -1;
    for (int kx = 1; kx <= blk[0]; kx++) {
        if (blk[0] % kx || parts % kx)
            continue;
        for (int ky = 1; ky <= blk[1]; ky++) {
            if (blk[1] % ky || (parts / kx) % ky)
                continue;
            int kz = parts / kx / ky;
            if (kz > blk[2] || blk[2] % kz)
                continue;
            double cost = (kx - 1) * area[0] + (ky - 1) * area[1] + (kz - 1) * area[2];
            if (best < 0 || cost < best) {
                best = cost;
                k[0] = kx;
                k[1] = ky;
                k[2] = kz;
            }
        }
    }
    return best < 0 ? -1 : 0;
}

/* Numbers the cells of sub-block `s` (of size sub[3], origin o[3]) row-major, writing
 * ranks first, first+1, ... into rank_at. */
static void number_block(place_decomp *d, const int o[3], const int sub[3], int first,
                         const int *order)
{
    int r = 0;
    for (int x = 0; x < sub[0]; x++)
        for (int y = 0; y < sub[1]; y++)
            for (int z = 0; z < sub[2]; z++) {
                int c[3] = {o[0] + x, o[1] + y, o[2] + z};
                int rank = order ? order[first + r] : first + r;
                d->rank_at[cell_index(d->dims, c)] = rank;
                r++;
            }
}

static int map_linear(place_decomp *d)
{
    for (int i = 0; i < d->P; i++)
        d->rank_at[i] = i;
    d->mapping = "linear";
    return 0;
}

/* Ranks of node 0 grouped by NUMA node, in order of first appearance. Returns the
 * number of groups if they are all the same size and no rank straddles, else 0;
 * order[] receives the node's local ranks group by group. */
static int numa_groups(const place_plan *plan, int r, int *order)
{
    int *numa = malloc(sizeof(int) * (size_t)r), ngroups = 0;
    int *gid = malloc(sizeof(int) * (size_t)r), *gnuma = malloc(sizeof(int) * (size_t)r);
    int ok = numa && gid && gnuma;
    for (int i = 0; ok && i < r; i++) {
        place_rank_info ri;
        place_plan_rank(plan, i, &ri, NULL);
        if (ri.nnuma != 1) {
            ok = 0;
            break;
        }
        numa[i] = ri.numa_os[0];
        int g;
        for (g = 0; g < ngroups && gnuma[g] != numa[i]; g++)
            ;
        if (g == ngroups)
            gnuma[ngroups++] = numa[i];
        gid[i] = g;
    }
    int size = ok && ngroups ? r / ngroups : 0;
    if (ok && size * ngroups != r)
        ok = 0;
    for (int g = 0, k = 0; ok && g < ngroups; g++) {
        int count = 0;
        for (int i = 0; i < r; i++)
            if (gid[i] == g) {
                order[k++] = i;
                count++;
            }
        if (count != size)
            ok = 0;
    }
    free(numa);
    free(gid);
    free(gnuma);
    return ok ? ngroups : 0;
}

static int map_hierarchical(place_decomp *d, const place_plan *plan)
{
    const place_request *req = place_plan_resolved(plan);
    int K = req->nodes, P = d->P;
    if (P % K) {
        dnote(d,
              "nodes hold unequal rank counts (%d ranks on %d nodes): ranks follow row-major "
              "coordinates",
              P, K);
        return map_linear(d);
    }
    int r = P / K, node_grid[3], blk[3];
    double area[3];
    for (int a = 0; a < 3; a++)
        area[a] = (double)d->n[(a + 1) % 3] * (double)d->n[(a + 2) % 3];
    if (split_block(d->dims, K, area, node_grid) < 0)
        return map_linear(d); /* cannot happen when K divides P; kept for safety */
    for (int a = 0; a < 3; a++)
        blk[a] = d->dims[a] / node_grid[a];

    /* NUMA blocks inside a node block, with cross-sections of the node's block. */
    int *order = malloc(sizeof(int) * (size_t)r);
    if (!order)
        return -1;
    int groups = numa_groups(plan, r, order), numa_grid[3] = {1, 1, 1}, sub[3];
    if (groups > 1) {
        double barea[3];
        for (int a = 0; a < 3; a++)
            barea[a] = (double)d->n[(a + 1) % 3] * blk[(a + 1) % 3] / d->dims[(a + 1) % 3] *
                       (double)d->n[(a + 2) % 3] * blk[(a + 2) % 3] / d->dims[(a + 2) % 3];
        if (split_block(blk, groups, barea, numa_grid) < 0) {
            dnote(d,
                  "a node's %d ranks in %d NUMA groups do not tile its %dx%dx%d block: NUMA "
                  "groups are not mapped to blocks",
                  r, groups, blk[0], blk[1], blk[2]);
            numa_grid[0] = numa_grid[1] = numa_grid[2] = 1;
            groups = 1;
        }
    } else if (groups == 0 && r > 1) {
        dnote(d, "ranks of a node straddle NUMA nodes or group unevenly: NUMA groups are not "
                 "mapped to blocks");
    }
    if (groups < 1)
        groups = 1;
    for (int a = 0; a < 3; a++)
        sub[a] = blk[a] / numa_grid[a];
    int gsize = r / groups;

    /* Node k's block at node-grid coords (row-major); its NUMA group g's sub-block. */
    int *glob = malloc(sizeof(int) * (size_t)r);
    if (!glob) {
        free(order);
        return -1;
    }
    for (int k = 0; k < K; k++) {
        int nc[3];
        cell_coords(node_grid, k, nc);
        for (int i = 0; i < r; i++)
            glob[i] = k * r + (groups > 1 ? order[i] : i);
        for (int g = 0; g < groups; g++) {
            int gc[3];
            cell_coords(numa_grid, g, gc);
            int o[3];
            for (int a = 0; a < 3; a++)
                o[a] = nc[a] * blk[a] + gc[a] * sub[a];
            number_block(d, o, sub, g * gsize, glob);
        }
    }
    free(glob);
    free(order);
    d->mapping = "hierarchical";
    return 0;
}

/* ---- halos by link level --------------------------------------------------------- */

static int count_levels(place_decomp *d, const place_plan *plan)
{
    int *node = NULL, *numa = NULL;
    if (plan) {
        node = malloc(sizeof(int) * (size_t)d->P);
        numa = malloc(sizeof(int) * (size_t)d->P);
        if (!node || !numa) {
            free(node);
            free(numa);
            return -1;
        }
        for (int i = 0; i < d->P; i++) {
            place_rank_info ri;
            place_plan_rank(plan, i, &ri, NULL);
            node[i] = ri.node;
            numa[i] = ri.nnuma == 1 ? ri.numa_os[0] : -1 - ri.local_rank; /* straddler */
        }
    }
    memset(d->levels, 0, sizeof d->levels);
    int64_t ext[3][2];
    for (int cell = 0; cell < d->P; cell++) {
        int c[3];
        cell_coords(d->dims, cell, c);
        for (int a = 0; a < 3; a++)
            place_decomp_split(d->n[a], d->dims[a], c[a], &ext[a][0], &ext[a][1]);
        for (int a = 0; a < 3; a++) {
            if (c[a] + 1 >= d->dims[a])
                continue;
            int nb[3] = {c[0], c[1], c[2]};
            nb[a]++;
            int ra = d->rank_at[cell], rb = d->rank_at[cell_index(d->dims, nb)];
            int64_t area = (ext[(a + 1) % 3][1] - ext[(a + 1) % 3][0]) *
                           (ext[(a + 2) % 3][1] - ext[(a + 2) % 3][0]);
            int level = 0;
            if (plan && node[ra] != node[rb])
                level = 2;
            else if (plan && numa[ra] != numa[rb])
                level = 1;
            d->levels[level] += area;
        }
    }
    free(node);
    free(numa);
    return 0;
}

/* ---- the decomposition ------------------------------------------------------------ */

int place_decomp_compute(place_decomp **out, const int64_t n[3], const place_plan *plan, int ranks,
                         unsigned flags, place_error *err)
{
    *out = NULL;
    int P = plan ? place_plan_resolved(plan)->ranks : ranks;
    place_decomp *d = calloc(1, sizeof *d);
    if (!d)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    memcpy(d->n, n, sizeof d->n);
    d->P = P;
    d->flags = flags;
    if (place_dims_choose(n, P, d->dims, err) < 0)
        goto fail;
    d->cell_of = malloc(sizeof(int) * (size_t)P);
    d->rank_at = malloc(sizeof(int) * (size_t)P);
    if (!d->cell_of || !d->rank_at) {
        place_error_set(err, PLACE_ENOMEM, "out of memory for %d ranks", P);
        goto fail;
    }
    int rc = (plan && !(flags & PLACE_DECOMP_LINEAR)) ? map_hierarchical(d, plan) : map_linear(d);
    if (rc < 0 || count_levels(d, plan) < 0) {
        place_error_set(err, PLACE_ENOMEM, "out of memory for %d ranks", P);
        goto fail;
    }
    for (int cell = 0; cell < P; cell++)
        d->cell_of[d->rank_at[cell]] = cell;
    for (int a = 0; a < 3; a++)
        if (n[a] % d->dims[a])
            dnote(d,
                  "%c: %lld cells do not divide over %d ranks: sizes %lld and %lld (the first "
                  "%lld parts have one more)",
                  "xyz"[a], (long long)n[a], d -> dims[a], (long long)(n[a] / d->dims[a] + 1),
                  (long long)(n[a] / d->dims[a]), (long long)(n[a] % d->dims[a]));
    *out = d;
    return 0;
fail:
    place_decomp_free(d);
    return -1;
}

void place_decomp_free(place_decomp *d)
{
    if (!d)
        return;
    free(d->cell_of);
    free(d->rank_at);
    place_notes_free(&d->notes);
    free(d);
}

void place_decomp_global(const place_decomp *d, int64_t n[3])
{
    memcpy(n, d->n, sizeof d->n);
}

void place_decomp_dims(const place_decomp *d, int dims[3])
{
    memcpy(dims, d->dims, sizeof d->dims);
}

const char *place_decomp_mapping(const place_decomp *d)
{
    return d->mapping;
}

int place_decomp_rank_at(const place_decomp *d, const int c[3])
{
    for (int a = 0; a < 3; a++)
        if (c[a] < 0 || c[a] >= d->dims[a])
            return -1;
    return d->rank_at[cell_index(d->dims, c)];
}

int place_decomp_rank(const place_decomp *d, int rank, place_box *b, place_error *err)
{
    if (rank < 0 || rank >= d->P)
        return place_error_set(err, PLACE_EINVAL,
                               "rank %d: out of range; the decomposition has "
                               "ranks 0 to %d",
                               rank, d->P - 1);
    cell_coords(d->dims, d->cell_of[rank], b->coords);
    for (int a = 0; a < 3; a++) {
        place_decomp_split(d->n[a], d->dims[a], b->coords[a], &b->lo[a], &b->hi[a]);
        for (int s = 0; s < 2; s++) {
            int c[3] = {b->coords[0], b->coords[1], b->coords[2]};
            c[a] += s ? 1 : -1;
            if (d->flags & (PLACE_DECOMP_PERIODIC_X << a))
                c[a] = (c[a] + d->dims[a]) % d->dims[a];
            b->neighbor[2 * a + s] = place_decomp_rank_at(d, c);
        }
    }
    return 0;
}

void place_decomp_halo_levels(const place_decomp *d, int64_t levels[3])
{
    memcpy(levels, d->levels, sizeof d->levels);
}

void place_box_thread_slab(const place_box *box, int T, int t, place_box *slab)
{
    *slab = *box;
    int64_t lo, hi;
    place_decomp_split(box->hi[0] - box->lo[0], T, t, &lo, &hi);
    slab->lo[0] = box->lo[0] + lo;
    slab->hi[0] = box->lo[0] + hi;
}

int place_decomp_nnotes(const place_decomp *d)
{
    return d->notes.n;
}
const char *place_decomp_note(const place_decomp *d, int i)
{
    return place_notes_get(&d->notes, i);
}
