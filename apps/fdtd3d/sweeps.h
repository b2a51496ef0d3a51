/* sweeps.h: the H and E sweeps, included by kernel.h once per instruction set (ISA: _base,
 * _v3 = x86-64-v3 / AVX2, _v4 = x86-64-v4 / AVX-512; ISA_ATTR its target attribute) for the
 * REAL of the including kernel.h. The same C, compiled for each: with -ffp-contract=off the
 * arithmetic, and so every bit of the result, is the same on every path. */
#define FNI(name) CAT(CAT(name, SUF), ISA)

/* Rows ja..jb of x plane i of H. With pf, the row goes a cache line at a time, and before
 * each line asks for that line of what the fused sweep takes from memory one plane later
 * (H of plane i+1, E of plane i+2; E of plane i+1 was asked for at plane i-1). The sweep
 * jumps a plane every tile, which the hardware prefetchers learn anew each time; asking
 * line by line keeps the requests in step with the work (whole rows asked for at once, an
 * earlier try, flooded the miss queue and lost at 256^3). A prefetch changes no value. */
static inline ISA_ATTR void FNI(h_rows)(const FN(fields) *f, const geom *g, REAL c1, int i, int ja, int jb,
                                        int pf)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    REAL *restrict hx = f->hx, *restrict hy = f->hy, *restrict hz = f->hz;
    const REAL *restrict ex = f->ex, *restrict ey = f->ey, *restrict ez = f->ez;
    const int line = 64 / (int)sizeof(REAL);
    const int step = pf && i + 2 <= g->nx + 1 ? line : g->nz; /* the planes asked for exist */
    for (int j = ja; j <= jb; j++) {
        long b = i * si + j * sj;
        for (int kc = 1; kc <= g->nz; kc += step) {
            int ke = kc + step - 1 < g->nz ? kc + step - 1 : g->nz;
            if (step == line) {
                long q = b + kc;
                __builtin_prefetch(&hx[q + si], 1, 3);
                __builtin_prefetch(&hy[q + si], 1, 3);
                __builtin_prefetch(&hz[q + si], 1, 3);
                __builtin_prefetch(&ex[q + 2 * si], 1, 3);
                __builtin_prefetch(&ey[q + 2 * si], 1, 3);
                __builtin_prefetch(&ez[q + 2 * si], 1, 3);
            }
#pragma omp simd
            for (int k = kc; k <= ke; k++) {
                long p = b + k;
                hx[p] -= c1 * ((ez[p + sj] - ez[p]) - (ey[p + 1] - ey[p]));
                hy[p] -= c1 * ((ex[p + 1] - ex[p]) - (ez[p + si] - ez[p]));
                hz[p] -= c1 * ((ey[p + si] - ey[p]) - (ex[p + sj] - ex[p]));
            }
        }
    }
}

/* Rows ja..jb of x plane i of E; the wall offsets skip global index 0 of integer axes
 * (PEC). On the z wall (k = 1 is global index 0) Ex and Ey are computed there too and put
 * back to 0 after the row: the loops then start on k = 1, a whole vector (rows start on
 * one, decompose), with no scalar remainder when nz is a multiple of the vector, and the
 * wall value is the 0 it would have kept (nothing reads it in between). */
static inline ISA_ATTR void FNI(e_rows)(const FN(fields) *f, const geom *g, REAL c1, int i, int ja, int jb)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    REAL *restrict ex = f->ex, *restrict ey = f->ey, *restrict ez = f->ez;
    const REAL *restrict hx = f->hx, *restrict hy = f->hy, *restrict hz = f->hz;
    const int x0 = g->wall_lo[0] ? 2 : 1, y0 = g->wall_lo[1] ? 2 : 1, zw = g->wall_lo[2];
    for (int j = ja; j <= jb; j++) {
        long b = i * si + j * sj;
        if (j >= y0) { /* Ex: staggered in x, integer in y and z */
#pragma omp simd
            for (int k = 1; k <= g->nz; k++) {
                long p = b + k;
                ex[p] += c1 * ((hz[p] - hz[p - sj]) - (hy[p] - hy[p - 1]));
            }
            if (zw)
                ex[b + 1] = 0;
        }
        if (i >= x0) { /* Ey: integer in x and z */
#pragma omp simd
            for (int k = 1; k <= g->nz; k++) {
                long p = b + k;
                ey[p] += c1 * ((hx[p] - hx[p - 1]) - (hz[p] - hz[p - si]));
            }
            if (zw)
                ey[b + 1] = 0;
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
static ISA_ATTR double FNI(update_h)(const FN(fields) *f, const geom *g, REAL c1, int energy)
{
    const long sj = g->sz, si = (long)g->sy * g->sz;
    double dot = 0;
    REAL *restrict hx = f->hx, *restrict hy = f->hy, *restrict hz = f->hz;
    const REAL *restrict ex = f->ex, *restrict ey = f->ey, *restrict ez = f->ez;
#pragma omp for schedule(static)
    for (int i = 1; i <= g->nx; i++) {
        if (!energy) {
            FNI(h_rows)(f, g, c1, i, 1, g->ny, 0);
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
static ISA_ATTR void FNI(update_e)(const FN(fields) *f, const geom *g, REAL c1)
{
#pragma omp for schedule(static)
    for (int i = 1; i <= g->nx; i++)
        FNI(e_rows)(f, g, c1, i, 1, g->ny);
}

/* H then E in one sweep over this thread's planes (48 instead of 72 bytes of memory
 * traffic per cell in single precision): H(i) reads E(i) and E(i+1) before they change,
 * E(i) reads H(i) and H(i-1) after they changed. Across slab boundaries, thread t's last
 * H plane reads E of thread t+1's first plane, so every thread updates its last H plane
 * first, then all meet at a barrier, then sweep. Only for a rank without neighbours (the
 * H halo exchange sits between the two halves otherwise). Same split as schedule(static)
 * (place_split), same arithmetic per cell: results are bit-identical to the two sweeps.
 * Cache blocking: the sweep goes tile by tile of `fdtd3d_tile_rows` y rows, every plane of
 * the slab within a tile, so that the two planes of six arrays it reuses stay in L2 at
 * 256^3. Within a tile the order is the same: H(i, rows) reads E(i, row jb + 1) of the next
 * tile before it changes and E(i, rows) reads H(i, row ja - 1) of the tile before after it
 * changed, so every cell computes the same values as the untiled sweep. Rows fused
 * (fdtd3d_rowfuse, the default): within a plane, H of row j then E of row j, so that E
 * finds H(j), H(j - 1) and its own row still in L1; E(i, j) needs H(i, j - 1) (done),
 * H(i - 1, j) (done) and H(i, j); H(i, j) needs E(i, j + 1) and E(i + 1, j), which have
 * not changed yet: the same values again. */
static ISA_ATTR void FNI(update_fused)(const FN(fields) *f, const geom *g, REAL c1)
{
    int T = omp_get_num_threads(), t = omp_get_thread_num();
    int64_t lo, hi;
    place_split(g->nx, T, t, &lo, &hi);
    int i0 = (int)lo + 1, i1 = (int)hi; /* planes i0..i1 */
    if (i1 >= i0)
        FNI(h_rows)(f, g, c1, i1, 1, g->ny, 0);
#pragma omp barrier
    int rows = fdtd3d_tile_rows > 0 && fdtd3d_tile_rows < g->ny ? fdtd3d_tile_rows : g->ny;
    for (int ja = 1; ja <= g->ny; ja += rows) {
        int jb = ja + rows - 1 < g->ny ? ja + rows - 1 : g->ny;
        for (int i = i0; i <= i1; i++) {
            if (fdtd3d_rowfuse) {
                for (int j = ja; j <= jb; j++) {
                    if (i < i1)
                        FNI(h_rows)(f, g, c1, i, j, j, fdtd3d_prefetch);
                    FNI(e_rows)(f, g, c1, i, j, j);
                }
                continue;
            }
            if (i < i1)
                FNI(h_rows)(f, g, c1, i, ja, jb, fdtd3d_prefetch);
            FNI(e_rows)(f, g, c1, i, ja, jb);
        }
    }
}

#undef FNI
