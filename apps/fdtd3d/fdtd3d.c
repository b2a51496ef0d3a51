/* fdtd3d: a 3D FDTD (Yee) solver of Maxwell's equations in vacuum, MPI + OpenMP, placed
 * by libplace, measuring its own barrier steps.
 *
 * Physics: E and H staggered in space and time (Yee 1966), leapfrog in time, PEC walls
 * on the six faces of a box of NX x NY x NZ cells of size dx (tangential E is zero on the
 * outermost E planes, so the box spans exactly NX dx by NY dx by NZ dx). Time step
 * dt = S dx / (c sqrt 3), S = --courant (<= 1 for stability in 3D). A soft source adds
 * to Ez at one cell: a differentiated Gaussian (no DC, so no charge is left behind) whose
 * spectrum peaks at f20/2 and keeps 45% of its peak at f20 = c / (20 dx), the frequency
 * whose wavelength is 20 cells; or a sine of --freq.
 *
 * Parallelism: ranks own boxes of the decomposition (place_subdomain_get: placerun's plan
 * under placerun --grid, else computed by libplace for the job), exchange the tangential fields
 * of their faces every half step; OpenMP threads own x slabs (schedule(static)), and
 * first-touch their slabs. Every step ends at a barrier; libplace's recorder measures
 * each thread's work and the step's slowest.
 *
 * Output: probe CSV (one row per step), a JSON report, an energy CSV for tests. See
 * --help and docs/fdtd3d.md. The time loop is in run.h, the sweeps in kernel.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <numa.h>
#include <omp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "checkpoint.h"
#include "place.h"

#define C0 299792458.0
#define EPS0 8.8541878128e-12
#define ETA0 376.730313668
#define MAX_PROBES 64

typedef struct geom {
    int nx, ny, nz;        /* cells of this rank */
    int sx, sy, sz;        /* local array shape: n + 3, z rounded up to FDTD3D_ALIGN */
    int lo[3], hi[3];      /* global box [lo, hi) */
    int N[3];
    int wall_lo[3];        /* this rank holds global index 0 of the axis */
    int local_size;        /* ranks on this node (they share its memory) */
} geom;

/* The boundary (bytes) the arrays' rows are padded to and start on: one AVX2 vector, so
 * that no aligned 256-bit load straddles two cache lines. */
#define FDTD3D_ALIGN 32
/* The instruction set the sweeps run with (0 baseline x86-64, 1 AVX2, 2 AVX-512), chosen
 * once from the CPU (or FDTD3D_ISA), and the y rows per tile of the fused sweep. */
static int fdtd3d_isa;
static int fdtd3d_tile_rows;
/* software prefetch in the fused sweep (FDTD3D_PREFETCH 0 or 1, default 1), rows fused
 * (FDTD3D_ROWFUSE 0 or 1, default 1), transparent huge pages for the fields (FDTD3D_HUGE 0
 * or 1; default 1 when the rank's CPUs lie in one NUMA node, where the 2 MiB granularity
 * of a huge page cannot put a slab's pages on another thread's node); docs/fdtd3d.md */
static int fdtd3d_prefetch = 1;
static int fdtd3d_rowfuse = 1;
static int fdtd3d_huge;
static const char *const isa_names[3] = {"baseline", "avx2", "avx512"};

#define REAL float
#define SUF _f
#include "kernel.h"
#undef REAL
#undef SUF
#define REAL double
#define SUF _d
#include "kernel.h"
#undef REAL
#undef SUF

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
    place_noise noise;      /* injected per thread and step */
    int ring;
    int ck_every;           /* 0: only on SIGTERM */
    const char *ck_dir, *restart;
} opts;

static int rank, nranks;

static void drop_outputs(void);

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    drop_outputs(); /* first: the launcher may kill this rank once another one has exited */
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

static void usage(void)
{
    puts("usage: fdtd3d --grid NXxNYxNZ --steps N [--dx M] [--courant S] [--source I,J,K]\n"
         "              [--source-type pulse|sine --freq HZ] [--probe I,J,K]... [--probe-out FILE.csv]\n"
         "              [--report FILE.json] [--precision single|double]\n"
         "              [--inject exp:MEAN_US|detour:P:LEN_US] [--energy-out FILE.csv --energy-every K]\n"
         "              [--trace-out FILE.csv]\n"
         "              [--checkpoint-every N] [--checkpoint-dir D] [--restart D]\n"
         "A 3D FDTD (Yee) solver, vacuum, PEC walls, MPI + OpenMP, placed by libplace.\n"
         "  --grid            cells per axis; the box spans NX*dx x NY*dx x NZ*dx\n"
         "  --steps           total time steps (a restarted run continues up to N)\n"
         "  --dx              cell size in metres (default 1e-3)\n"
         "  --courant S       dt = S dx / (c sqrt 3), 0 < S <= 1 (default 0.99)\n"
         "  --source I,J,K    soft source on Ez of cell (I,J,K), off the PEC walls:\n"
         "                    1 <= I <= NX-1, 1 <= J <= NY-1, 0 <= K <= NZ-1 (default NX/3,NY/3,NZ/3)\n"
         "  --source-type     pulse (default: differentiated Gaussian covering f = c/(20 dx))\n"
         "                    or sine (--freq HZ)\n"
         "  --probe I,J,K     sample all six components of cell (I,J,K) every step\n"
         "  --probe-out FILE  probe CSV (written atomically at the end)\n"
         "  --report FILE     JSON report: speed, barrier-step statistics, counters,\n"
         "                    page locality, the models' predicted slowdowns\n"
         "  --precision       single (default) or double\n"
         "  --inject          per thread and step: exp:MEAN_US exponential delay, or\n"
         "                    detour:P:LEN_US a detour of LEN_US with probability P\n"
         "  --energy-out FILE total field energy every --energy-every steps (CSV)\n"
         "  --trace-out FILE  rank 0's per-step thread times (the step recorder's CSV, the last\n"
         "                    --ring steps; placemodel --simulate --trace replays it)\n"
         "  --checkpoint-dir D  checkpoint directory (made if missing); SIGTERM or SIGINT write a\n"
         "                    final checkpoint there and end the run cleanly (exit 0)\n"
         "  --checkpoint-every N  also a checkpoint every N steps (each replaces the last)\n"
         "  --restart D       resume from D's checkpoint; the same grid, ranks and options;\n"
         "                    outputs cover the steps this run computes (checkpoints go on to D\n"
         "                    unless --checkpoint-dir says otherwise)\n"
         "Under placerun --grid, the decomposition is read from the plan (PLACE_PLAN).");
}

static void parse_ijk(const char *what, const char *s, int v[3])
{
    place_error e;
    char buf[96];
    if (strlen(s) >= sizeof buf)
        die("%s '%.40s...': %zu characters; expected three cell indices I,J,K", what, s, strlen(s));
    snprintf(buf, sizeof buf, "%s", s);
    char *p = buf;
    for (int d = 0; d < 3; d++) {
        char *comma = strchr(p, ',');
        if ((d < 2 && !comma) || (d == 2 && comma))
            die("%s '%.40s': expected three cell indices I,J,K", what, s);
        if (comma)
            *comma = '\0';
        if (place_parse_int(what, p, 0, 1 << 30, &v[d], &e) < 0)
            die("%s", e.msg);
        p = comma ? comma + 1 : p;
    }
}

static void parse_args(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {
        {"grid", 1, 0, 'g'},        {"steps", 1, 0, 's'},        {"dx", 1, 0, 'd'},
        {"courant", 1, 0, 'c'},     {"source", 1, 0, 'S'},       {"source-type", 1, 0, 'T'},
        {"freq", 1, 0, 'f'},        {"probe", 1, 0, 'p'},        {"probe-out", 1, 0, 'P'},
        {"report", 1, 0, 'r'},      {"precision", 1, 0, 'x'},    {"inject", 1, 0, 'i'},
        {"energy-out", 1, 0, 'E'},  {"energy-every", 1, 0, 'k'}, {"ring", 1, 0, 'R'},
        {"trace-out", 1, 0, 'Y'},
        {"checkpoint-every", 1, 0, 'C'}, {"checkpoint-dir", 1, 0, 'D'}, {"restart", 1, 0, 'X'},
        {"help", 0, 0, 'h'},        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->dx = 1e-3;
    o->courant = 0.99;
    o->energy_every = 100;
    o->ring = 4096;
    int have_grid = 0, have_steps = 0;
    place_error e;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'g': rc = place_grid_parse("--grid", optarg, o->n, &e); have_grid = 1; break;
        case 's': rc = place_parse_int("--steps", optarg, 0, 1 << 30, &o->steps, &e); have_steps = 1; break;
        case 'd': rc = place_parse_double("--dx", optarg, 1e-12, 1e6, &o->dx, &e); break;
        case 'c':
            rc = place_parse_double("--courant", optarg, -1e300, 1e300, &o->courant, &e);
            if (!rc && !(o->courant > 0 && o->courant <= 1))
                die("--courant %g: unstable or meaningless; expected 0 < S <= 1 (3D Yee stability)", o->courant);
            break;
        case 'S': parse_ijk("--source", optarg, o->src); o->have_src = 1; break;
        case 'T':
            if (!strcmp(optarg, "sine"))
                o->sine = 1;
            else if (strcmp(optarg, "pulse"))
                die("--source-type '%.40s': unknown; expected pulse or sine", optarg);
            break;
        case 'f': rc = place_parse_double("--freq", optarg, 1, 1e18, &o->freq, &e); break;
        case 'p':
            if (o->nprobes == MAX_PROBES)
                die("--probe: at most %d probes", MAX_PROBES);
            parse_ijk("--probe", optarg, o->probe[o->nprobes++]);
            break;
        case 'P': o->probe_out = optarg; break;
        case 'r': o->report = optarg; break;
        case 'E': o->energy_out = optarg; break;
        case 'Y': o->trace_out = optarg; break;
        case 'k': rc = place_parse_int("--energy-every", optarg, 1, 1 << 30, &o->energy_every, &e); break;
        case 'R': rc = place_parse_int("--ring", optarg, 1, 1 << 24, &o->ring, &e); break;
        case 'C': rc = place_parse_int("--checkpoint-every", optarg, 1, 1 << 30, &o->ck_every, &e); break;
        case 'D': o->ck_dir = optarg; break;
        case 'X': o->restart = optarg; break;
        case 'x':
            if (!strcmp(optarg, "double"))
                o->dbl = 1;
            else if (strcmp(optarg, "single"))
                die("--precision '%.40s': unknown; expected single or double", optarg);
            break;
        case 'i':
            /* poisson needs a fixed work window, which a field update has not */
            if (strcmp(optarg, "none") && strncmp(optarg, "exp:", 4) && strncmp(optarg, "detour:", 7))
                rc = place_error_set(&e, PLACE_EINVAL, "--inject '%.40s': expected none, exp:MEAN_US "
                                     "or detour:P:LEN_US (noisebench also takes poisson:RATE_HZ:LEN_US)",
                                     optarg);
            else
                rc = place_noise_parse("--inject", optarg, &o->noise, &e);
            break;
        case 'h': if (rank == 0) usage(); MPI_Finalize(); exit(0);
        case ':': die("%s needs a value; see fdtd3d --help", argv[optind - 1]);
        default: die("'%.60s': unknown option; see fdtd3d --help", argv[optind - 1]);
        }
        if (rc)
            die("%s", e.msg);
    }
    if (optind < argc)
        die("'%.60s': unexpected argument; see fdtd3d --help", argv[optind]);
    if (!have_grid || !have_steps)
        die("--grid and --steps are required; e.g. fdtd3d --grid 64x64x64 --steps 100");
    for (int d = 0; d < 3; d++)
        if (o->n[d] < 2 || o->n[d] > (1 << 20))
            die("--grid: %lld cells along %c; expected 2 to %d", (long long)o->n[d], "xyz"[d], 1 << 20);
    if (o->sine && !o->freq)
        die("--source-type sine needs --freq HZ");
    if (o->probe_out && !o->nprobes)
        die("--probe-out needs at least one --probe I,J,K to sample");
    if (o->restart && !o->ck_dir)
        o->ck_dir = o->restart;
    if (o->ck_every && !o->ck_dir)
        die("--checkpoint-every needs --checkpoint-dir D (or --restart D) to write to");
    if (!o->have_src) {
        o->src[0] = (int)(o->n[0] / 3 > 0 ? o->n[0] / 3 : 1);
        o->src[1] = (int)(o->n[1] / 3 > 0 ? o->n[1] / 3 : 1);
        o->src[2] = (int)(o->n[2] / 3);
    }
    if (o->src[0] < 1 || o->src[0] > o->n[0] - 1 || o->src[1] < 1 || o->src[1] > o->n[1] - 1 ||
        o->src[2] > o->n[2] - 1)
        die("--source %d,%d,%d: Ez there is outside the grid or on a PEC wall; expected 1 <= I <= %lld, "
            "1 <= J <= %lld, 0 <= K <= %lld", o->src[0], o->src[1], o->src[2], (long long)o->n[0] - 1,
            (long long)o->n[1] - 1, (long long)o->n[2] - 1);
    for (int p = 0; p < o->nprobes; p++)
        for (int d = 0; d < 3; d++)
            if (o->probe[p][d] >= o->n[d])
                die("--probe %d,%d,%d: outside the grid; expected cell indices 0 to %lld, %lld, %lld",
                    o->probe[p][0], o->probe[p][1], o->probe[p][2], (long long)o->n[0] - 1,
                    (long long)o->n[1] - 1, (long long)o->n[2] - 1);
}

/* ---- decomposition ---------------------------------------------------------------- */

/* This rank's box and neighbours: placerun's (under placerun --grid), else the
 * decomposition libplace computes for the job (place_subdomain_get). */
static void decompose(const opts *o, geom *g, int nb[6])
{
    place_error e;
    place_solver_req q;
    place_solver_req_init(&q, o->n[0], o->n[1], o->n[2]);
    q.rank = rank;
    q.size = nranks;
    q.nthreads = omp_get_max_threads();
    q.ghost = 1;
    place_subdomain *sd;
    if (place_subdomain_get(&sd, &q, &e) < 0)
        die("%s", e.msg);
    for (int d = 0; d < 3; d++) {
        g->lo[d] = (int)sd->box.lo[d];
        g->hi[d] = (int)sd->box.hi[d];
    }
    memcpy(nb, sd->box.neighbor, sizeof sd->box.neighbor);
    g->local_size = sd->local_size > 0 ? sd->local_size : 1;
    place_subdomain_free(sd);
    for (int d = 0; d < 3; d++) {
        g->N[d] = (int)o->n[d];
        g->wall_lo[d] = g->lo[d] == 0;
    }
    g->nx = g->hi[0] - g->lo[0];
    g->ny = g->hi[1] - g->lo[1];
    g->nz = g->hi[2] - g->lo[2];
    g->sx = g->nx + 3;
    g->sy = g->ny + 3;
    /* rows padded to FDTD3D_ALIGN (and the arrays shifted so that k = 1 starts on it): the
     * loads at k, k +- sj and k +- si are then aligned, and only those at k +- 1 can
     * straddle two cache lines (every one could with nz + 3) */
    int lanes = FDTD3D_ALIGN / (o->dbl ? 8 : 4);
    g->sz = (g->nz + 3 + lanes - 1) / lanes * lanes;
}

/* The memory the run will allocate, checked against what this node lets it allocate
 * before anything is allocated: a grid too large for a job's cgroup fails with the numbers
 * here instead of being killed by the OOM killer hours later. */
static void check_memory(const opts *o, const geom *g)
{
    double elem = o->dbl ? 8 : 4, fields = 6.0 * g->sx * g->sy * g->sz * elem, mine = fields;
    if (rank == 0) /* probes, energy samples, the gathered step times of the report */
        mine += (double)o->steps * 6 * o->nprobes * 8 +
                (o->energy_out ? (o->steps / o->energy_every + 1) * 8.0 : 0) +
                (o->report ? (double)o->ring * omp_get_max_threads() * nranks * 8 : 0);
    double most;
    MPI_Allreduce(&mine, &most, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    char why[200];
    int64_t room = place_memory_headroom(why, sizeof why);
    int bad = room >= 0 && most * g->local_size > (double)room;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (bad)
        die("the run needs %.0f MiB per rank (six fields of %dx%dx%d cells: %.0f MiB) x %d ranks "
            "on this node, but %lld MiB may be allocated here (%s); expected a smaller grid%s or "
            "more nodes", most / (1 << 20), g->sx, g->sy, g->sz, fields / (1 << 20),
            g->local_size, (long long)(room >> 20), why, o->dbl ? ", single precision" : "");
}

/* ---- halo exchange ------------------------------------------------------------------ */

/* plane[d][w]: the local plane of axis d at index w (0, 1, n, n+1) as an MPI type. */
static MPI_Datatype plane_type(const geom *g, int d, int at, MPI_Datatype base)
{
    int sizes[3] = {g->sx, g->sy, g->sz}, sub[3] = {g->sx, g->sy, g->sz}, start[3] = {0, 0, 0};
    sub[d] = 1;
    start[d] = at;
    MPI_Datatype t;
    MPI_Type_create_subarray(3, sizes, sub, start, MPI_ORDER_C, base, &t);
    MPI_Type_commit(&t);
    return t;
}

typedef struct halo {
    MPI_Datatype lo_ghost[3], lo_own[3], hi_own[3], hi_ghost[3];
    int nb[6];
} halo;

static void halo_init(halo *h, const geom *g, MPI_Datatype base, const int nb[6])
{
    int n[3] = {g->nx, g->ny, g->nz};
    for (int d = 0; d < 3; d++) {
        h->lo_ghost[d] = plane_type(g, d, 0, base);
        h->lo_own[d] = plane_type(g, d, 1, base);
        h->hi_own[d] = plane_type(g, d, n[d], base);
        h->hi_ghost[d] = plane_type(g, d, n[d] + 1, base);
    }
    for (int k = 0; k < 6; k++)
        h->nb[k] = nb[k] < 0 ? MPI_PROC_NULL : nb[k];
}

/* After H: the upper owned plane goes up, the lower ghost comes from below; only the two
 * components tangential to the face (the E update reads them across it). */
static void exchange_h(const halo *h, void *hx, void *hy, void *hz)
{
    void *tang[3][2] = {{hy, hz}, {hx, hz}, {hx, hy}};
    for (int d = 0; d < 3; d++)
        for (int c = 0; c < 2; c++)
            MPI_Sendrecv(tang[d][c], 1, h->hi_own[d], h->nb[2 * d + 1], 10 + d, tang[d][c], 1,
                         h->lo_ghost[d], h->nb[2 * d], 10 + d, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/* After E: the lower owned plane goes down, the upper ghost comes from above. */
static void exchange_e(const halo *h, void *ex, void *ey, void *ez)
{
    void *tang[3][2] = {{ey, ez}, {ex, ez}, {ex, ey}};
    for (int d = 0; d < 3; d++)
        for (int c = 0; c < 2; c++)
            MPI_Sendrecv(tang[d][c], 1, h->lo_own[d], h->nb[2 * d], 20 + d, tang[d][c], 1,
                         h->hi_ghost[d], h->nb[2 * d + 1], 20 + d, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/* ---- the source and the noise ------------------------------------------------------- */

static double source_value(const opts *o, double t)
{
    if (o->sine)
        return sin(2 * M_PI * o->freq * t);
    double f20 = C0 / (20 * o->dx);
    double tau = sqrt(2.0) / (M_PI * f20), t0 = 4 * tau, u = (t - t0) / tau;
    return u * exp(-u * u) * sqrt(2.0 * M_E); /* peak amplitude 1 */
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static void inject(const opts *o, uint64_t *rng)
{
    if (o->noise.kind == PLACE_NOISE_NONE)
        return;
    double end = now_us() + place_noise_draw_us(&o->noise, rng);
    while (now_us() < end)
        ;
}

/* ---- the run ------------------------------------------------------------------------ */

typedef struct thread_info {
    int pu, node;
    int64_t ctr0[PLACE_NCTR], ctr1[PLACE_NCTR];
} thread_info;

typedef struct result {
    double seconds;
    place_steprec *rec;
    thread_info *ti;
    int nthreads;
    double *probe;       /* steps x nprobes x 6 (rank 0) */
    double *energy;      /* samples (rank 0) */
    int nenergy;
    place_locality loc;
    int loc_ok;
    int first, last;     /* steps first+1 .. last were computed by this run */
    long long huge_bytes; /* of the fields, backed by huge pages at the end (-1 unknown) */
} result;

/* ---- checkpoints ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

typedef struct ckpt {
    int on;                 /* a checkpoint directory is set */
    const char *dir;
    int every;
    ck_run run;
    int64_t start;          /* the restart's step, else 0 */
    int written, stopped, failed, sig;
    int64_t last_written;
    double seconds;
    char err[512];
} ckpt;

/* End of step n, master thread: a checkpoint when due or when a stop signal reached any
 * rank (all ranks decide together, at the same step). Sets *stop to end the run. */
static void ck_point(ckpt *ck, int n, int steps, void *const a6[6], size_t bytes, int *stop)
{
    int sig = stop_signal, any = sig;
    if (nranks > 1)
        MPI_Allreduce(&sig, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (!(ck->every && n % ck->every == 0) && !any)
        return;
    ck_state st = {n};
    double t = MPI_Wtime();
    if (ck_write(ck->dir, &ck->run, &st, a6, bytes, ck->err, sizeof ck->err) < 0) {
        if (any)
            ck->failed = 1;
        else if (rank == 0)
            fprintf(stderr, "fdtd3d: %s; the previous checkpoint stays\n", ck->err);
    } else {
        ck->written++;
        ck->last_written = n;
    }
    ck->seconds += MPI_Wtime() - t;
    if (any) {
        ck->sig = any;
        ck->stopped = n < steps;
        *stop = 1;
    }
}

/* The time loop and the probes, for each precision. */
#define REAL float
#define SUF _f
#define MPIREAL MPI_FLOAT
#include "run.h"
#undef REAL
#undef SUF
#undef MPIREAL
#define REAL double
#define SUF _d
#define MPIREAL MPI_DOUBLE
#include "run.h"
#undef REAL
#undef SUF
#undef MPIREAL

/* ---- output --------------------------------------------------------------------------- */

/* Outputs are written whole or not at all (place/wfile.h), and opened before the first
 * step (rank 0): a typo or an unwritable directory fails at start, not after hours. */
enum { OUT_PROBE, OUT_ENERGY, OUT_REPORT, OUT_TRACE, NOUT };
static place_wfile outs[NOUT];

static void drop_outputs(void) /* at exit or death: temporaries of unfinished outputs go */
{
    for (int k = 0; k < NOUT; k++)
        place_wfile_free(&outs[k]);
}

static char tmp_paths[NOUT][PATH_MAX + 32];

static void on_fatal_signal(int sig) /* async-signal-safe: unlink, raise */
{
    for (int k = 0; k < NOUT; k++)
        if (tmp_paths[k][0])
            unlink(tmp_paths[k]); /* after a commit's rename: ENOENT, nothing lost */
    raise(sig);                   /* SA_RESETHAND restored the default: it ends the process */
}

/* path's directory resolved, with its last component: two spellings of one file agree. */
static int resolved(const char *path, char *out, size_t n)
{
    char dir[PATH_MAX], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash == dir)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, real))
        return -1;
    size_t rl = strlen(real), bl = strlen(base);
    if (rl + bl + 2 > n)
        return -1;
    memcpy(out, real, rl);
    out[rl] = '/';
    memcpy(out + rl + 1, base, bl + 1);
    return 0;
}

/* Rank 0: the outputs' checks and their temporaries; every rank learns the outcome. */
static void open_outputs(const opts *o)
{
    char msg[600] = "";
    if (rank == 0) {
        const char *path[NOUT] = {o->probe_out, o->energy_out, o->report, o->trace_out};
        const char *what[NOUT] = {"--probe-out", "--energy-out", "--report", "--trace-out"};
        /* the checkpoint directory, resolved even before it is made */
        char res[NOUT][PATH_MAX + 256], ck[PATH_MAX + 256] = "";
        if (o->ck_dir && resolved(o->ck_dir, ck, sizeof ck) < 0)
            ck[0] = '\0';
        size_t cl = strlen(ck), tl = o->ck_dir ? strlen(o->ck_dir) : 0;
        place_error e;
        for (int k = 0; k < NOUT && !msg[0]; k++) {
            if (!path[k])
                continue;
            int found = resolved(path[k], res[k], sizeof res[k]) == 0;
            if ((found && cl && !strncmp(res[k], ck, cl) && res[k][cl] == '/') ||
                (!found && tl && !strncmp(path[k], o->ck_dir, tl) && path[k][tl] == '/')) {
                snprintf(msg, sizeof msg, "%s '%.300s': inside the checkpoint directory; expected "
                         "a path outside it", what[k], path[k]);
                break;
            }
            if (!found) {
                snprintf(msg, sizeof msg, "%s '%.300s': its directory does not exist; expected a "
                         "file in an existing directory", what[k], path[k]);
                break;
            }
            for (int j = 0; j < k; j++)
                if (path[j] && !strcmp(res[j], res[k]))
                    snprintf(msg, sizeof msg, "%s and %s name the same file '%.300s'; expected "
                             "one file each", what[j], what[k], path[k]);
            if (!msg[0] && place_wfile_open(&outs[k], what[k], path[k], &e) < 0)
                snprintf(msg, sizeof msg, "%s", e.msg);
        }
    }
    MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (msg[0])
        die("%s", msg);
    /* A signal that ends the run (SIGTERM, SIGINT, SIGHUP without a checkpoint directory,
     * whose handler stops the run at a step instead) takes the temporaries with it: the
     * paths are copied where the handler can read them without the allocator. */
    for (int k = 0; k < NOUT; k++)
        if (outs[k].tmp)
            snprintf(tmp_paths[k], sizeof tmp_paths[k], "%s", outs[k].tmp);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, NULL);
}

static void close_out(place_wfile *w)
{
    place_error e;
    if (place_wfile_commit(w, &e) < 0)
        die("%s", e.msg);
}

static void write_probes(const opts *o, const result *r, double dt)
{
    place_wfile *w = &outs[OUT_PROBE];
    FILE *f = w->f;
    const char *fmt = o->dbl ? "%.17g" : "%.9g";
    fprintf(f, "# fdtd3d probes: step n, t = n dt in s; E in V/m at t = n dt, H in A/m at t = (n - 1/2) dt;\n"
               "# each component at its own Yee position in cell (I,J,K): Ex at ((I+1/2) dx, J dx, K dx),\n"
               "# Ey at (I dx, (J+1/2) dx, K dx), Ez at (I dx, J dx, (K+1/2) dx), Hx at (I dx, (J+1/2) dx,\n"
               "# (K+1/2) dx), Hy at ((I+1/2) dx, J dx, (K+1/2) dx), Hz at ((I+1/2) dx, (J+1/2) dx, K dx)\n");
    fprintf(f, "# grid %lldx%lldx%lld, dx %g m, dt %.9g s, precision %s\n", (long long)o->n[0],
            (long long)o->n[1], (long long)o->n[2], o->dx, dt, o->dbl ? "double" : "single");
    fprintf(f, "step,t");
    for (int p = 0; p < o->nprobes; p++)
        fprintf(f, ",Ex_%d_%d_%d,Ey_%d_%d_%d,Ez_%d_%d_%d,Hx_%d_%d_%d,Hy_%d_%d_%d,Hz_%d_%d_%d",
                o->probe[p][0], o->probe[p][1], o->probe[p][2], o->probe[p][0], o->probe[p][1],
                o->probe[p][2], o->probe[p][0], o->probe[p][1], o->probe[p][2], o->probe[p][0],
                o->probe[p][1], o->probe[p][2], o->probe[p][0], o->probe[p][1], o->probe[p][2],
                o->probe[p][0], o->probe[p][1], o->probe[p][2]);
    fputc('\n', f);    for (int n = r->first + 1; n <= r->last; n++) {
        fprintf(f, "%d,%.9g", n, n * dt);
        for (int c = 0; c < 6 * o->nprobes; c++) {
            fputc(',', f);
            fprintf(f, fmt, r->probe[(size_t)(n - 1) * 6 * o->nprobes + c]);
        }
        fputc('\n', f);
    }
    close_out(w);
}

static void write_energy(const opts *o, const result *r, double dt)
{
    place_wfile *w = &outs[OUT_ENERGY];
    FILE *f = w->f;
    fprintf(f, "# total field energy in J (E at step n, H as H(n-1/2).H(n+1/2): conserved by the leapfrog)\n");
    fprintf(f, "step,t,energy_J\n");
    for (int i = 1; i < r->nenergy; i++) {
        int n = i * o->energy_every;        if (n <= o->steps - 1 && !isnan(r->energy[i]))
            fprintf(f, "%d,%.9g,%.17g\n", n, n * dt, r->energy[i]);
    }
    close_out(w);
}

static json_t *counter_json(int64_t a, int64_t b)
{
    return (a == PLACE_UNAVAILABLE || b == PLACE_UNAVAILABLE) ? json_string("unavailable")
                                                            : json_integer(b - a);
}

static void write_report(const opts *o, const result *r, const geom *g, const ckpt *ck, double dt)
{
    int ran = r->last - r->first; /* steps this run computed */
    place_step_stats st;
    place_steprec_stats(r->rec, &st);
    /* every rank's summary, gathered */
    double mine[6] = {st.mean_max_us, st.mean_mean_us, st.slowdown, r->loc_ok ? r->loc.local_fraction : -1,
                      st.migrations == PLACE_UNAVAILABLE ? -1 : (double)st.migrations,
                      st.switches == PLACE_UNAVAILABLE ? -1 : (double)st.switches};
    double *all = rank == 0 ? malloc(sizeof(double) * 6 * (size_t)nranks) : NULL;
    MPI_Gather(mine, 6, MPI_DOUBLE, all, 6, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    /* The job's barrier step spans every thread of every rank (halo exchanges tie the
     * ranks together each step): gather the per-step thread times of the ring. */
    int kept = o->ring < ran ? o->ring : ran, T = r->nthreads;
    double *mysamp = malloc(sizeof(double) * (size_t)kept * (size_t)T + 1);
    for (int t = 0; t < T; t++)
        place_steprec_samples(r->rec, t, mysamp + (size_t)t * kept, kept);
    double *job = rank == 0 ? malloc(sizeof(double) * (size_t)kept * (size_t)T * (size_t)nranks + 1) : NULL;
    MPI_Gather(mysamp, kept * T, MPI_DOUBLE, job, kept * T, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    free(mysamp);
    if (rank != 0)
        return;
    int NT = T * nranks;
    double sum_max = 0, sum_mean = 0;
    for (int s = 0; s < kept; s++) {
        double mx = 0, mean = 0;
        for (int q = 0; q < NT; q++) {
            double v = job[(size_t)q * kept + s];
            mx = v > mx ? v : mx;
            mean += v;
        }
        sum_max += mx;
        sum_mean += mean / NT;
    }
    double job_slowdown = sum_mean > 0 ? sum_max / sum_mean : 1;
    double job_model_c = kept ? place_model_empirical_slowdown(job, kept * NT, NT) : 1;
    free(job);
    double cells = (double)o->n[0] * (double)o->n[1] * (double)o->n[2];
    place_backend_status bs[PLACE_NBACKEND];
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(bs, chosen);
    json_t *threads = json_array();
    for (int t = 0; t < r->nthreads; t++) {
        json_t *c = json_object();
        for (int k = 0; k < PLACE_NCTR; k++)
            json_object_set_new(c, place_ctr_name((place_ctr)k),
                                counter_json(r->ti[t].ctr0[k], r->ti[t].ctr1[k]));
        json_array_append_new(threads, json_pack("{s:i,s:i,s:i,s:o}", "thread", t, "pu_at_start",
                                                 r->ti[t].pu, "numa", r->ti[t].node, "counters", c));
    }
    json_t *backends = json_object();
    for (int k = 0; k < PLACE_NCTR; k++)
        json_object_set_new(backends, place_ctr_name((place_ctr)k),
                            json_string(place_backend_name(chosen[k])));
    /* the models beside the measurement */
    int ring = o->ring < ran ? o->ring : ran, m = 0;
    double *x = malloc(sizeof(double) * (size_t)ring * (size_t)r->nthreads + 1);
    for (int t = 0; t < r->nthreads; t++)
        m += place_steprec_samples(r->rec, t, x + m, ring);
    json_t *models = json_object();
    json_object_set_new(models, "c_empirical", json_real(m ? place_model_empirical_slowdown(x, m, r->nthreads) : 1));
    json_object_set_new(models, "job_c_empirical", json_real(job_model_c));
    const place_noise *nz = &o->noise;
    double w = st.mean_mean_us - (nz->kind == PLACE_NOISE_EXP ? nz->mean_us
                                  : nz->kind == PLACE_NOISE_DETOUR ? nz->p * nz->len_us : 0);
    if (nz->kind == PLACE_NOISE_EXP) {
        json_object_set_new(models, "a_exponential", json_real(place_model_exp_slowdown(w, nz->mean_us, r->nthreads)));
        json_object_set_new(models, "job_a_exponential", json_real(place_model_exp_slowdown(w, nz->mean_us, NT)));
    }
    if (nz->kind == PLACE_NOISE_DETOUR) {
        json_object_set_new(models, "b_hit_probability",
                            json_real(place_model_detour_slowdown(w, nz->p, nz->len_us, r->nthreads)));
        json_object_set_new(models, "job_b_hit_probability",
                            json_real(place_model_detour_slowdown(w, nz->p, nz->len_us, NT)));
    }
    json_object_set_new(models, "work_us", json_real(w));
    free(x);
    json_t *ranks = json_array();
    /* the job's migrations and switches (every rank's threads), unavailable if any rank's are */
    double jmig = 0, jsw = 0;
    for (int k = 0; k < nranks; k++) {
        json_array_append_new(ranks, json_pack("{s:i,s:f,s:f,s:f,s:f}", "rank", k, "mean_max_us",
                                               all[6 * k], "mean_mean_us", all[6 * k + 1], "slowdown",
                                               all[6 * k + 2], "page_local_fraction", all[6 * k + 3]));
        jmig = jmig < 0 || all[6 * k + 4] < 0 ? -1 : jmig + all[6 * k + 4];
        jsw = jsw < 0 || all[6 * k + 5] < 0 ? -1 : jsw + all[6 * k + 5];
    }
    free(all);
    json_t *loc = r->loc_ok ? json_pack("{s:s,s:I,s:I,s:I,s:f}", "array", "Ez of rank 0", "pages",
                                        (json_int_t)r->loc.pages, "local", (json_int_t)r->loc.local,
                                        "remote", (json_int_t)r->loc.remote, "local_fraction",
                                        r->loc.local_fraction)
                            : json_string("unavailable");
    json_t *rep = json_pack(
        "{s:s,s:[I,I,I],s:i,s:i,s:i,s:s,s:f,s:f,s:f,s:f,s:f,s:s,s:{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f},"
        "s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
        "schema", "fdtd3d-report/1", "grid", (json_int_t)o->n[0], (json_int_t)o->n[1], (json_int_t)o->n[2],
        "steps", ran, "ranks", nranks, "threads", r->nthreads, "precision", o->dbl ? "double" : "single",
        "dx_m", o->dx, "dt_s", dt, "seconds", r->seconds, "mcells_per_s",
        r->seconds > 0 ? cells * ran / r->seconds * 1e-6 : 0.0, "courant", o->courant, "inject",
        place_noise_name(o->noise.kind), "steps_stats", "steps",
        (json_int_t)st.steps, "mean_of_max_us", st.mean_max_us, "mean_of_mean_us", st.mean_mean_us,
        "slowdown", isnan(st.slowdown) ? 1.0 : st.slowdown, "max_p50_us", st.max_p50_us, "max_p90_us",
        st.max_p90_us, "max_p99_us", st.max_p99_us, "mean_wait_us", st.mean_wait_us, "models", models,
        "counter_backends", backends, "threads_rank0", threads, "page_locality_rank0", loc,
        "ranks_summary", ranks, "job_slowdown", json_real(job_slowdown), "migrations_rank0",
        st.migrations == PLACE_UNAVAILABLE ? json_string("unavailable") : json_integer(st.migrations));
    (void)g;
    {   /* what the slowdown leaves out: barrier to barrier, start skew, absolute noise cost */
        json_t *ss = json_object_get(rep, "steps_stats");
        const char *k[PLACE_STEP_METRICS];
        double v[PLACE_STEP_METRICS];
        int nm = place_step_stats_metrics(&st, k, v, PLACE_STEP_METRICS);
        for (int i = 0; i < nm; i++)
            json_object_set_new(ss, k[i], isfinite(v[i]) ? json_real(v[i]) : json_string("unavailable"));
        json_object_set_new(ss, "ref_rule", json_string(PLACE_STEP_REF_RULE));
    }
    json_object_set_new(rep, "migrations_job", jmig < 0 ? json_string("unavailable") : json_integer((json_int_t)jmig));
    json_object_set_new(rep, "switches_job", jsw < 0 ? json_string("unavailable") : json_integer((json_int_t)jsw));
    json_object_set_new(rep, "isa", json_string(isa_names[fdtd3d_isa]));
    json_object_set_new(rep, "tile_rows", json_integer(fdtd3d_tile_rows));
    json_object_set_new(rep, "prefetch", json_integer(fdtd3d_prefetch));
    json_object_set_new(rep, "row_fuse", json_integer(fdtd3d_rowfuse));
    json_object_set_new(rep, "huge_pages_asked", json_integer(fdtd3d_huge));
    json_object_set_new(rep, "huge_page_bytes_rank0", r->huge_bytes < 0 ? json_string("unavailable")
                                                                     : json_integer(r->huge_bytes));
    json_object_set_new(rep, "first_step", json_integer(r->first + 1));
    json_object_set_new(rep, "last_step", json_integer(r->last));
    if (ck->on)
        json_object_set_new(rep, "checkpoints",
                            json_pack("{s:s,s:i,s:I,s:f,s:I,s:b}", "dir", ck->dir, "written", ck->written,
                                      "last_step", (json_int_t)ck->last_written, "seconds", ck->seconds,
                                      "restarted_from", (json_int_t)ck->start, "stopped_by_signal",
                                      ck->stopped));
    place_wfile *out = &outs[OUT_REPORT];
    FILE *f = out->f;
    json_dumpf(rep, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    close_out(out);
    json_decref(rep);
}

/* Identity of the run for its checkpoints; the restart's checks; the stop signals. */
static void setup_checkpoints(const opts *o, const geom *g, ckpt *ck)
{
    memset(ck, 0, sizeof *ck);
    if (!o->ck_dir)
        return;
    ck->on = 1;
    ck->dir = o->ck_dir;
    ck->every = o->ck_every;
    ck_run *run = &ck->run;
    for (int d = 0; d < 3; d++) {
        run->grid[d] = o->n[d];
        run->lo[d] = g->lo[d];
        run->hi[d] = g->hi[d];
        run->src[d] = o->src[d];
    }
    run->rank = rank;
    run->nranks = nranks;
    run->elem_bytes = o->dbl ? 8 : 4;
    run->dx = o->dx;
    run->courant = o->courant;
    run->freq = o->freq;
    run->sine = o->sine;
    int rc = rank == 0 ? ck_prepare_dir(ck->dir, ck->err, sizeof ck->err) : 0;
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc < 0)
        die("%s", ck->err);
    if (o->restart) {
        if (ck_restart_check(o->restart, run, o->steps, &ck->start, ck->err, sizeof ck->err) < 0)
            die("%s", ck->err);
        ck->last_written = ck->start;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

#ifndef __has_feature
#define __has_feature(x) 0 /* gcc before 14 */
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
/* In a sanitizer build: Open MPI's plugins leak at exit and are dlclosed by then, so
 * their leaks cannot be told apart or suppressed; ASan and UBSan stay on, leak checking
 * covers libplace and its non-MPI programs. ASAN_OPTIONS still overrides this. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

/* 1 when every CPU this rank may run on is in one NUMA node (libnuma), else 0. */
static int cpus_in_one_node(void)
{
    cpu_set_t set;
    if (numa_available() < 0)
        return 1; /* one node as far as the kernel tells */
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    int node = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        int n = numa_node_of_cpu(c);
        if (n < 0 || (node >= 0 && n != node))
            return 0;
        node = n;
    }
    return 1;
}

/* The sweeps' instruction set: AVX2 where the CPU has it, else the baseline, or FDTD3D_ISA
 * (baseline, avx2, avx512; refused when the CPU lacks it); and the fused sweep's tile: FDTD3D_TILE_ROWS y rows (0:
 * untiled), else as many rows as make a tile plane of one array 1/32 of the L2 cache. */
static void choose_isa_and_tile(const opts *o, const geom *g)
{
    __builtin_cpu_init();
    int have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                   ? 2
               : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                       __builtin_cpu_supports("bmi2")
                   ? 1
                   : 0;
    const char *want = getenv("FDTD3D_ISA");
    /* AVX-512 only when asked for: on this project's Zen 5 guest the 512-bit sweeps ran 17%
     * slower than AVX2 at 256^3 (unaligned neighbour loads split cache lines; the sweeps
     * are bound by memory, not arithmetic), docs/fdtd3d.md */
    fdtd3d_isa = have > 1 ? 1 : have;
    if (want) {
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (!strcmp(want, isa_names[i]))
                k = i;
        if (k < 0)
            die("FDTD3D_ISA='%.40s': expected baseline, avx2 or avx512", want);
        if (k > have)
            die("FDTD3D_ISA=%s: this CPU has only %s", isa_names[k], isa_names[have]);
        fdtd3d_isa = k;
    }
    static const struct { const char *name; int *v; } knob[] = {
        {"FDTD3D_PREFETCH", &fdtd3d_prefetch}, {"FDTD3D_ROWFUSE", &fdtd3d_rowfuse}, {"FDTD3D_HUGE", &fdtd3d_huge}};
    fdtd3d_huge = cpus_in_one_node();
    for (size_t i = 0; i < sizeof knob / sizeof knob[0]; i++) {
        const char *v = getenv(knob[i].name);
        place_error e;
        if (v && place_parse_int(knob[i].name, v, 0, 1, knob[i].v, &e) < 0)
            die("%s", e.msg);
    }
    const char *tr = getenv("FDTD3D_TILE_ROWS");
    if (tr) {
        place_error e;
        if (place_parse_int("FDTD3D_TILE_ROWS", tr, 0, 1 << 20, &fdtd3d_tile_rows, &e) < 0)
            die("%s", e.msg);
        return;
    }
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 <= 0)
        l2 = 1L << 20;
    /* a tile plane of one array is L2/32 (the 12 planes the fused sweep holds, 3/8 of L2,
     * leave room for the prefetched plane): at 256^3 single 31 rows of 1 KiB ran 904-940
     * Mcells/s on one thread against 836-896 with the earlier half of L2 (41 rows), at 256^3
     * double 15 rows 425 against 389-403 (docs/fdtd3d.md) */
    long per_row = 32L * g->sz * (o->dbl ? 8 : 4);
    long rows = l2 / per_row;
    fdtd3d_tile_rows = rows < 4 ? 4 : (int)(rows > (1 << 20) ? 1 << 20 : rows);
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (provided < MPI_THREAD_FUNNELED)
        die("the MPI library gives no MPI_THREAD_FUNNELED support");
    opts o;
    parse_args(argc, argv, &o);
    atexit(drop_outputs);
    geom g;
    int nb[6];
    decompose(&o, &g, nb);
    choose_isa_and_tile(&o, &g);
    check_memory(&o, &g);
    /* the outputs after every check that can fail alike on all ranks, before step 1 */
    open_outputs(&o);
    double dt = o.courant * o.dx / (C0 * sqrt(3.0));
    ckpt ck;
    setup_checkpoints(&o, &g, &ck);
    result r;
    memset(&r, 0, sizeof r);
    if (o.dbl)
        run_d(&o, &g, nb, &r, &ck);
    else
        run_f(&o, &g, nb, &r, &ck);
    if (ck.failed)
        die("%s; the previous checkpoint stays", ck.err);
    if (rank == 0 && o.probe_out && o.nprobes)
        write_probes(&o, &r, dt);
    if (rank == 0 && o.energy_out)
        write_energy(&o, &r, dt);
    if (o.report)
        write_report(&o, &r, &g, &ck, dt);
    if (rank == 0 && o.trace_out) {
        place_error e;
        if (place_steprec_write_csv(r.rec, outs[OUT_TRACE].f, &e) < 0)
            die("%s", e.msg);
        close_out(&outs[OUT_TRACE]);
    }
    if (rank == 0) {
        place_step_stats st;
        place_steprec_stats(r.rec, &st);
        double cells = (double)o.n[0] * (double)o.n[1] * (double)o.n[2];
        int ran = r.last - r.first;
        printf("fdtd3d: %lldx%lldx%lld cells, %d steps, %d ranks x %d threads, %s: %.3f s, %.1f Mcells/s, "
               "step slowdown %.4f\n", (long long)o.n[0], (long long)o.n[1], (long long)o.n[2], ran,
               nranks, r.nthreads, o.dbl ? "double" : "single", r.seconds,
               r.seconds > 0 ? cells * ran / r.seconds * 1e-6 : 0, isnan(st.slowdown) ? 1 : st.slowdown);
        if (ck.sig)
            fprintf(stderr, "fdtd3d: %s after step %d of %d: checkpoint in '%s'; resume with --restart %s\n",
                    strsignal(ck.sig), r.last, o.steps, ck.dir, ck.dir);
    }
    place_steprec_free(r.rec);
    place_locality_free(&r.loc);
    free(r.ti);
    free(r.probe);
    free(r.energy);
    MPI_Finalize();
    return 0;
}
