/* common.c (fdtd3d): the ground floor every other file stands on: the job's rank and size,
 * the sweeps' knobs chosen for this run, and die. It calls no other file of fdtd3d: what
 * must happen before a rank dies (dropping unfinished outputs) is handed to it as a hook,
 * so that no file calls back into the file that called it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "fdtd3d.h"

int rank, nranks;

/* The instruction set the sweeps run with (0 baseline x86-64, 1 AVX2, 2 AVX-512), chosen
 * once from the CPU (or FDTD3D_ISA), and the y rows per tile of the fused sweep. */
int fdtd3d_isa;
int fdtd3d_tile_rows;
/* software prefetch in the fused sweep (FDTD3D_PREFETCH 0 or 1, default 1), rows fused
 * (FDTD3D_ROWFUSE 0 or 1, default 1), transparent huge pages for the fields (FDTD3D_HUGE 0
 * or 1; default 1 when the rank's CPUs lie in one NUMA node, where the 2 MiB granularity
 * of a huge page cannot put a slab's pages on another thread's node); docs/fdtd3d.md */
int fdtd3d_prefetch = 1;
int fdtd3d_rowfuse = 1;
int fdtd3d_huge;
const char *const isa_names[3] = {"baseline", "avx2", "avx512"};

static void (*before_death)(void);

void fdtd3d_before_die(void (*fn)(void))
{
    before_death = fn;
}

void die(const char *fmt, ...)
{
    if (before_death) /* first: the launcher may kill this rank once another one has exited */
        before_death();
    if (rank == 0) {
        va_list ap;
        va_start(ap, fmt);
        fputs("fdtd3d: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    MPI_Finalize();
    exit(2);
}
