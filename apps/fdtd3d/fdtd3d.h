/* fdtd3d.h: what fdtd3d's files share: the constants, the options, the rank's geometry
 * (its box and the local arrays' shape), the halo's MPI types, the run's result and its
 * checkpoints, and the functions of args.c (options), halo.c (geometry, halo exchange),
 * output.c (outputs written whole or not at all) and fdtd3d.c (the kernels, the time loop,
 * main). The kernels (kernel.inc, sweeps.inc) and the time loop (run.inc) are templates
 * fdtd3d.c includes once per precision. */
#ifndef FDTD3D_H
#define FDTD3D_H
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <mpi.h>
#include "checkpoint.h"
#include "place.h"
#define C0 299792458.0
#define EPS0 8.8541878128e-12
#define ETA0 376.730313668
#define MAX_PROBES 64
typedef struct geom {
    int nx, ny, nz;   /* cells of this rank */
    int sx, sy, sz;   /* local array shape: FDTD3D_EXTENT(n), z rounded up to
                              FDTD3D_ALIGN */
    int lo[3], hi[3]; /* global box [lo, hi) */
    int N[3];
    int wall_lo[3]; /* this rank holds global index 0 of the axis */
    int local_size; /* ranks on this node (they share its memory) */
} geom;

/* The boundary (bytes) the arrays' rows are padded to and start on: one AVX2 vector, so
 * that no aligned 256-bit load straddles two cache lines. */
#define FDTD3D_ALIGN 32
/* The ghost planes: FDTD3D_GHOST on each side of a rank's cells along every axis (the Yee
 * stencil reaches one cell: local index 0 is the lower ghost, 1..n the rank's cells, n + 1
 * the upper ghost or the global wall plane), and the arrays hold FDTD3D_SLACK planes more
 * beyond those, as they always have. Geometry (halo.c), the halo's planes, the probes, the
 * source and the kernels' loops read these; the exchanges send one plane, so a wider
 * stencil also needs its planes sent (halo.c). */
#define FDTD3D_GHOST 1
#define FDTD3D_SLACK 1
#define FDTD3D_EXTENT(n) ((n) + 2 * FDTD3D_GHOST + FDTD3D_SLACK)
/* a rank's first and last cell along an axis of n cells, as local indices */
#define FDTD3D_FIRST FDTD3D_GHOST
#define FDTD3D_LAST(n) ((n) + FDTD3D_FIRST - 1)

typedef struct opts {
    int64_t n[3];
    int steps;
    double dx, courant, freq;
    int src[3], have_src;
    int sine;
    int nprobes, probe[MAX_PROBES][3];
    const char *probe_out, *report, *energy_out, *trace_out;
    int energy_every;
    int dbl;
    place_noise noise; /* injected per thread and step */
    int ring;
    int ck_every; /* 0: only on SIGTERM */
    const char *ck_dir, *restart;
} opts;

typedef struct halo {
    MPI_Datatype lo_ghost[3], lo_own[3], hi_own[3], hi_ghost[3];
    int nb[6];
} halo;

typedef struct thread_info {
    int pu, node;
    int64_t ctr0[PLACE_NCTR], ctr1[PLACE_NCTR];
} thread_info;

typedef struct result {
    double seconds;
    place_steprec *rec;
    thread_info *ti;
    int nthreads;
    double *probe;  /* steps x nprobes x 6 (rank 0) */
    double *energy; /* samples (rank 0) */
    int nenergy;
    place_locality loc;
    int loc_ok;
    int first, last;      /* steps first+1 .. last were computed by this run */
    int rows_first;       /* the probe rows held: steps rows_first .. last (1 when a restart
                             took the earlier ones from its checkpoint) */
    long long huge_bytes; /* of the fields, backed by huge pages at the end (-1 unknown) */
} result;

typedef struct ckpt {
    int on; /* a checkpoint directory is set */
    const char *dir;
    int every;
    ck_run run;
    int64_t start; /* the restart's step, else 0 */
    int written, stopped, failed, sig;
    int64_t last_written;
    double seconds;
    ck_rows rows; /* rank 0's probe and energy rows, kept with each checkpoint */
    char err[512];
} ckpt;

/* common.c, the ground floor (it calls no other file): the job: this rank and the ranks;
 * the sweeps' instruction set (0 baseline, 1 AVX2, 2 AVX-512; isa_names), rows per tile,
 * prefetch, fused rows and huge pages as chosen for this run (fdtd3d.c sets them,
 * docs/fdtd3d.md), which the report gives; die prints "fdtd3d: MSG" on rank 0, runs the
 * hook given to fdtd3d_before_die (dropping unfinished outputs) and ends every rank */
extern int rank, nranks;
extern int fdtd3d_isa, fdtd3d_tile_rows, fdtd3d_prefetch, fdtd3d_rowfuse, fdtd3d_huge;
extern const char *const isa_names[3];
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fdtd3d_before_die(void (*fn)(void));

/* args.c: the options */
void usage(void);
void parse_args(int argc, char **argv, opts *o);

/* halo.c: the rank's box and arrays, the memory they take, the halo's types and exchanges */
void decompose(const opts *o, geom *g, int nb[6]);
void check_memory(const opts *o, const geom *g);
void halo_init(halo *h, const geom *g, MPI_Datatype base, const int nb[6]);
void exchange_h(const halo *h, void *hx, void *hy, void *hz);
void exchange_e(const halo *h, void *ex, void *ey, void *ez);

/* output.c */
void drop_outputs(void);
void open_outputs(const opts *o);
/* output.c: every signal left at a default that ends the process removes the outputs'
 * temporaries first */
void fdtd3d_clean_on_signals(void);
void write_probes(const opts *o, const result *r, double dt);
void write_energy(const opts *o, const result *r, double dt);
void write_trace(const result *r); /* rank 0's step recorder CSV (--trace-out) */
void write_report(const opts *o, const result *r, const geom *g, const ckpt *ck, double dt);

#endif
