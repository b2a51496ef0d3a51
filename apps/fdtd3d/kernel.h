/* kernel.h: the Yee updates, included twice by fdtd3d.c with REAL = float (SUF _f) and
 * REAL = double (SUF _d), so the run-time --precision picks a kernel compiled for it.
 *
 * Fields are stored with H scaled by the vacuum impedance (H' = eta0 H), so both updates
 * carry the same coefficient c1 = c dt / dx:
 *   H'x -= c1 [(Ez(j+1) - Ez(j)) - (Ey(k+1) - Ey(k))]      (and cyclically)
 *   Ex  += c1 [(H'z(j) - H'z(j-1)) - (H'y(k) - H'y(k-1))]
 * Every local array has the same shape (n+3 per axis, z padded to whole lines; k fastest): local index 1..n holds
 * the rank's cells, 0 the lower ghost plane, n+1 the upper ghost (or the global wall
 * plane). The loops run over x planes 1..n with schedule(static), exactly the thread
 * slabs of place_box_thread_slab, so the thread that first touched a page computes on it.
 * E components are not updated on the PEC walls (tangential E stays 0): in an axis where
 * the component sits on integer positions, the rank holding global index 0 starts at 2.
 * The order of operations in every cell is fixed, so results do not depend on the
 * decomposition: outputs match to the last bit across ranks and threads, and (no fused
 * multiply-adds: -ffp-contract=off) across the baseline, AVX2 and AVX-512 code paths.
 */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUF)

typedef struct FN(fields) {
    REAL *ex, *ey, *ez, *hx, *hy, *hz;
} FN(fields);

/* The sweeps, once per instruction set (sweeps.h), chosen at run time (fdtd3d_isa). */
#define ISA _base
#define ISA_ATTR
#include "sweeps.h"
#undef ISA
#undef ISA_ATTR
#define ISA _v3
#define ISA_ATTR __attribute__((target("arch=x86-64-v3")))
#include "sweeps.h"
#undef ISA
#undef ISA_ATTR
#define ISA _v4
#define ISA_ATTR __attribute__((target("arch=x86-64-v4")))
#include "sweeps.h"
#undef ISA
#undef ISA_ATTR

static double FN(update_h)(const FN(fields) *f, const geom *g, REAL c1, int energy)
{
    return fdtd3d_isa == 2 ? CAT(FN(update_h), _v4)(f, g, c1, energy)
         : fdtd3d_isa == 1 ? CAT(FN(update_h), _v3)(f, g, c1, energy) : CAT(FN(update_h), _base)(f, g, c1, energy);
}

static void FN(update_e)(const FN(fields) *f, const geom *g, REAL c1)
{
    if (fdtd3d_isa == 2)
        CAT(FN(update_e), _v4)(f, g, c1);
    else if (fdtd3d_isa == 1)
        CAT(FN(update_e), _v3)(f, g, c1);
    else
        CAT(FN(update_e), _base)(f, g, c1);
}

static void FN(update_fused)(const FN(fields) *f, const geom *g, REAL c1)
{
    if (fdtd3d_isa == 2)
        CAT(FN(update_fused), _v4)(f, g, c1);
    else if (fdtd3d_isa == 1)
        CAT(FN(update_fused), _v3)(f, g, c1);
    else
        CAT(FN(update_fused), _base)(f, g, c1);
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
