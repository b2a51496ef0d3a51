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
 * --help and docs/fdtd3d.md. The time loop is in run.inc, the sweeps in kernel.inc and sweeps.inc; the options in
 * args.c, geometry and halo in halo.c, the outputs in output.c (fdtd3d.h).
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
#include "fdtd3d.h"

#define REAL float
#define SUF _f
#include "kernel.inc"
#undef REAL
#undef SUF
#define REAL double
#define SUF _d
#include "kernel.inc"
#undef REAL
#undef SUF

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

/* ---- checkpoints ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

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
    if (ck_write(ck->dir, &ck->run, &st, a6, bytes, rank == 0 ? &ck->rows : NULL, ck->err,
                 sizeof ck->err) < 0) {
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

/* Rank 0 of a restarted run: the probe and energy rows of steps 1..S from the checkpoint,
 * so that the outputs hold the whole series. Rows of other probes or another energy
 * interval, or a checkpoint made before rows were kept, cannot be joined: the outputs then
 * start after the checkpoint, and that is said. */
static void restore_rows(const opts *o, result *res, const ckpt *ck, int nen)
{
    const ck_rows_in *in = ck->start ? ck_restart_rows() : NULL;
    int want_p = o->nprobes && o->probe_out, want_e = nen > 0;
    if (!ck->start)
        return;
    int same_p = in && o->nprobes && in->nprobes == o->nprobes;
    for (int p = 0; same_p && p < o->nprobes; p++)
        same_p = !memcmp(in->probe + (size_t)3 * p, o->probe[p], sizeof o->probe[p]);
    if (same_p && in->step == ck->start) { /* kept for the next checkpoints too */
        memcpy(res->probe, in->probe_rows,
               sizeof(double) * 6 * (size_t)o->nprobes * (size_t)in->step);
        res->rows_first = 1;
    } else if (want_p) {
        fprintf(stderr,
                "fdtd3d: note: the checkpoint keeps %s; --probe-out holds steps %lld to %d only\n",
                !in ? "no probe rows (made before they were kept)" : "the rows of other probes",
                (long long)ck->start + 1, o->steps);
    }
    if (want_e && in && in->energy_every == o->energy_every) {
        for (int i = 0; i < in->nenergy && i < nen; i++)
            res->energy[i] = in->energy[i];
    } else if (want_e) {
        fprintf(stderr,
                "fdtd3d: note: the checkpoint keeps %s; --energy-out holds steps from %lld only\n",
                !in ? "no energy rows (made before they were kept)"
                    : "the energy of another --energy-every (or none)",
                (long long)ck->start);
    }
}

/* The time loop and the probes, for each precision. */
#define REAL float
#define SUF _f
#define MPIREAL MPI_FLOAT
#include "run.inc"
#undef REAL
#undef SUF
#undef MPIREAL
#define REAL double
#define SUF _d
#define MPIREAL MPI_DOUBLE
#include "run.inc"
#undef REAL
#undef SUF
#undef MPIREAL

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
    if (ck_open_dir(ck->dir, ck->err, sizeof ck->err) < 0)
        die("%s", ck->err);
    if (o->restart) {
        if (ck_restart_check(o->restart, run, o->steps, &ck->start, ck->err, sizeof ck->err) < 0)
            die("%s", ck->err);
        ck->last_written = ck->start;
    }
    /* the signals that ask a run to end (Slurm's SIGTERM before the time limit, sbatch
     * --signal's SIGUSR1 or SIGUSR2, SIGXCPU at the CPU-time limit, SIGINT) end it at a
     * step with a final checkpoint */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    const int stops[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGXCPU};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaction(stops[i], &sa, NULL);
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
    static const struct {
        const char *name;
        int *v;
    } knob[] = {{"FDTD3D_PREFETCH", &fdtd3d_prefetch},
                {"FDTD3D_ROWFUSE", &fdtd3d_rowfuse},
                {"FDTD3D_HUGE", &fdtd3d_huge}};
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
    fdtd3d_before_die(drop_outputs);
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
    if (rank == 0 && o.trace_out)
        write_trace(&r);
    if (rank == 0) {
        place_step_stats st;
        place_steprec_stats(r.rec, &st);
        double cells = (double)o.n[0] * (double)o.n[1] * (double)o.n[2];
        int ran = r.last - r.first;
        printf(
            "fdtd3d: %lldx%lldx%lld cells, %d steps, %d ranks x %d threads, %s: %.3f s, %.1f Mcells/s, "
            "step slowdown %.4f\n",
            (long long)o.n[0], (long long)o.n[1], (long long)o.n[2], ran, nranks, r.nthreads,
            o.dbl ? "double" : "single", r.seconds,
            r.seconds > 0 ? cells * ran / r.seconds * 1e-6 : 0,
            isnan(st.slowdown) ? 1 : st.slowdown);
        if (ck.sig)
            fprintf(
                stderr,
                "fdtd3d: %s after step %d of %d: checkpoint in '%s'; resume with --restart %s\n",
                strsignal(ck.sig), r.last, o.steps, ck.dir, ck.dir);
    }
    place_steprec_free(r.rec);
    place_locality_fini(&r.loc);
    free(r.ti);
    free(r.probe);
    free(r.energy);
    MPI_Finalize();
    return 0;
}
