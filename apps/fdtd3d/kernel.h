/* kernel.h: the Yee updates, included twice by fdtd3d.c with REAL = float (SUF _f) and
 * REAL = double (SUF _d), so the run-time --precision picks a kernel compiled for it.
 *
 * Fields are stored with H scaled by the vacuum impedance (H' = eta0 H), so both updates
 * carry the same coefficient c1 = c dt / dx:
 *   H'x -= c1 [(Ez(j+1) - Ez(j)) - (Ey(k+1) - Ey(k))]      (and cyclically)
 *   Ex  += c1 [(H'z(j) - H'z(j-1)) - (H'y(k) - H'y(k-1))]
 * Every local array has the same shape (n+3 per axis, k fastest): local index 1..n holds
 * the rank's cells, 0 the lower ghost plane, n+1 the upper ghost (or the global wall
 * plane). The loops run over x planes 1..n with schedule(static), exactly the thread
 * slabs of place_box_thread_slab, so the thread that first touched a page computes on it.
 * E components are not updated on the PEC walls (tangential E stays 0): in an axis where
 * the component sits on integer positions, the rank holding global index 0 starts at 2.
 * The order of operations in every cell is fixed, so results do not depend on the
 * decomposition: outputs match to the last bit across ranks and threads.
 */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUF)

typedef struct FN(fields) {
    REAL *ex, *ey, *ez, *hx, *hy, *hz;
} FN(fields);

/* One x plane of H (all j, k). */
static inline void FN(h_plane)(const FN(fields) *f, const geom *g, REAL c1, int i)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    REAL *restrict hx = f->hx, *restrict hy = f->hy, *restrict hz = f->hz;
    const REAL *restrict ex = f->ex, *restrict ey = f->ey, *restrict ez = f->ez;
    for (int j = 1; j <= g->ny; j++) {
        long b = i * si + j * sj;
#pragma omp simd
        for (int k = 1; k <= g->nz; k++) {
            long p = b + k;
            hx[p] -= c1 * ((ez[p + sj] - ez[p]) - (ey[p + 1] - ey[p]));
            hy[p] -= c1 * ((ex[p + 1] - ex[p]) - (ez[p + si] - ez[p]));
            hz[p] -= c1 * ((ey[p + si] - ey[p]) - (ex[p + sj] - ex[p]));
        }
    }
}

/* One x plane of E; the wall offsets skip global index 0 of integer axes (PEC). */
static inline void FN(e_plane)(const FN(fields) *f, const geom *g, REAL c1, int i)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    REAL *restrict ex = f->ex, *restrict ey = f->ey, *restrict ez = f->ez;
    const REAL *restrict hx = f->hx, *restrict hy = f->hy, *restrict hz = f->hz;
    const int x0 = g->wall_lo[0] ? 2 : 1, y0 = g->wall_lo[1] ? 2 : 1, z0 = g->wall_lo[2] ? 2 : 1;
    for (int j = 1; j <= g->ny; j++) {
        long b = i * si + j * sj;
        if (j >= y0) { /* Ex: staggered in x, integer in y and z */
#pragma omp simd
            for (int k = z0; k <= g->nz; k++) {
                long p = b + k;
                ex[p] += c1 * ((hz[p] - hz[p - sj]) - (hy[p] - hy[p - 1]));
            }
        }
        if (i >= x0) { /* Ey: integer in x and z */
#pragma omp simd
            for (int k = z0; k <= g->nz; k++) {
                long p = b + k;
                ey[p] += c1 * ((hx[p] - hx[p - 1]) - (hz[p] - hz[p - si]));
            }
        }
        if (i >= x0 && j >= y0) { /* Ez: integer in x and y */
#pragma omp simd
            for (int k = 1; k <= g->nz; k++) {
                long p = b + k;
                ez[p] += c1 * ((hy[p] - hy[p - si]) - (hx[p] - hx[p - sj]));
            }
        }
    }
}

/* H update of planes [1, nx] of this thread's share; returns this thread's part of
 * sum(H_old * H_new) over the owned H values when `energy` is set (the H term of the
 * conserved discrete energy); the caller adds the threads' parts. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static double FN(update_h)(const FN(fields) *f, const geom *g, REAL c1, int energy)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    double dot = 0;
    REAL *restrict hx = f->hx, *restrict hy = f->hy, *restrict hz = f->hz;
    const REAL *restrict ex = f->ex, *restrict ey = f->ey, *restrict ez = f->ez;
#pragma omp for schedule(static)
    for (int i = 1; i <= g->nx; i++) {
        if (!energy) {
            FN(h_plane)(f, g, c1, i);
            continue;
        }
        for (int j = 1; j <= g->ny; j++) {
            long b = i * si + j * sj;
            {
                for (int k = 1; k <= g->nz; k++) {
                    long p = b + k;
                    REAL ox = hx[p], oy = hy[p], oz = hz[p];
                    hx[p] -= c1 * ((ez[p + sj] - ez[p]) - (ey[p + 1] - ey[p]));
                    hy[p] -= c1 * ((ex[p + 1] - ex[p]) - (ez[p + si] - ez[p]));
                    hz[p] -= c1 * ((ey[p + si] - ey[p]) - (ex[p + sj] - ex[p]));
                    dot += (double)ox * hx[p] + (double)oy * hy[p] + (double)oz * hz[p];
                }
            }
        }
    }
    return dot;
}

/* E update of planes [1, nx] of this thread's share. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static void FN(update_e)(const FN(fields) *f, const geom *g, REAL c1)
{
#pragma omp for schedule(static)
    for (int i = 1; i <= g->nx; i++)
        FN(e_plane)(f, g, c1, i);
}

/* H then E in one sweep over this thread's planes (48 instead of 72 bytes of memory
 * traffic per cell in single precision): H(i) reads E(i) and E(i+1) before they change,
 * E(i) reads H(i) and H(i-1) after they changed. Across slab boundaries, thread t's last
 * H plane reads E of thread t+1's first plane, so every thread updates its last H plane
 * first, then all meet at a barrier, then sweep. Only for a rank without neighbours (the
 * H halo exchange sits between the two halves otherwise). Same split as schedule(static)
 * (place_split), same arithmetic per cell: results are bit-identical to the two sweeps. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static void FN(update_fused)(const FN(fields) *f, const geom *g, REAL c1)
{
    int T = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t lo, hi;
    place_split(g->nx, T, t, &lo, &hi);
    int i0 = (int)lo + 1, i1 = (int)hi; /* planes i0..i1 */
    if (i1 >= i0)
        FN(h_plane)(f, g, c1, i1);
#pragma omp barrier
    for (int i = i0; i <= i1; i++) {
        if (i < i1)
            FN(h_plane)(f, g, c1, i);
        FN(e_plane)(f, g, c1, i);
    }
}

/* This thread's part of sum(E^2) over the owned E values (the E term of the energy). */
static double FN(sum_e2)(const FN(fields) *f, const geom *g)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    const int x0 = g->wall_lo[0] ? 2 : 1, y0 = g->wall_lo[1] ? 2 : 1, z0 = g->wall_lo[2] ? 2 : 1;
    double s = 0;
#pragma omp for schedule(static)
    for (int i = 1; i <= g->nx; i++)
        for (int j = 1; j <= g->ny; j++)
            for (int k = 1; k <= g->nz; k++) {
                long p = i * si + j * sj + k;
                if (j >= y0 && k >= z0)
                    s += (double)f->ex[p] * f->ex[p];
                if (i >= x0 && k >= z0)
                    s += (double)f->ey[p] * f->ey[p];
                if (i >= x0 && j >= y0)
                    s += (double)f->ez[p] * f->ez[p];
            }
    return s;
}

/* First touch: thread t zeroes its own x planes of every array (the same schedule as the
 * updates); the ghost planes 0 and nx+1.. are zeroed by the caller. */
static void FN(first_touch)(const FN(fields) *f, const geom *g)
{
    const long si = (long)g->sy * g->sz;
#pragma omp for schedule(static)
    for (int i = 1; i <= g->nx; i++) {
        REAL *a[6] = {f->ex, f->ey, f->ez, f->hx, f->hy, f->hz};
        for (int c = 0; c < 6; c++)
            memset(a[c] + i * si, 0, sizeof(REAL) * (size_t)si);
    }
}

#undef FN
