/* loggp: the LogGP parameters of this machine's MPI between two ranks, measured (for
 * placemodel --simulate --loggp FILE, docs/models.md).
 *
 *   mpirun -np 2 placerun -t 1 -- loggp [--reps R] [--iters I] [-o FILE.json]
 *
 * Rank 0 and rank 1, each pinned by placerun. Per repetition (R, default 10), I (default
 * 2000) iterations of each measurement, the medians kept (a preempted iteration must not
 * move them), after a warm-up:
 *   rtt     ping-pong of 8 bytes: the round trip (o_s + L + o_r each way)
 *   o_s     the sender's overhead: MPI_Send of 8 bytes timed at the sender (eager: it returns
 *           once the message is handed over), the receiver waiting in MPI_Recv
 *   o_r     the receiver's overhead: MPI_Recv timed once the message has arrived (the
 *           receiver first waits on MPI_Probe, then times the receive alone)
 *   L       rtt / 2 - o_s - o_r (0 when the overheads take the whole round trip: said)
 *   G       the gap per byte: (rtt(1 MiB) - rtt(8 B)) / 2 / (1 MiB - 8 B)
 * and o, the overhead the simulator takes at each end: (o_s + o_r) / 2. The JSON
 * (place-loggp/1) holds each parameter's mean and 95% interval over the repetitions, the
 * ranks' PUs and the MPI library. Bad arguments: one line, exit 2.
 */
#include <jansson.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "place.h"

#define SMALL 8
#define LARGE (1 << 20)

static int rank;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Round trip of `bytes`, I times: the median in us (rank 0's; rank 1 echoes). */
static double rtt(char *buf, int bytes, int iters, double *tmp)
{
    for (int i = 0; i < iters; i++) {
        double t0 = MPI_Wtime();
        if (rank == 0) {
            MPI_Send(buf, bytes, MPI_CHAR, 1, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, bytes, MPI_CHAR, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(buf, bytes, MPI_CHAR, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, bytes, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
        }
        tmp[i] = (MPI_Wtime() - t0) * 1e6;
    }
    return median(tmp, iters);
}

/* The sender's overhead: rank 0 times MPI_Send of 8 bytes; rank 1 receives, then both
 * meet so that every send starts with the receiver waiting. */
static double send_overhead(char *buf, int iters, double *tmp)
{
    for (int i = 0; i < iters; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            double t0 = MPI_Wtime();
            MPI_Send(buf, SMALL, MPI_CHAR, 1, 2, MPI_COMM_WORLD);
            tmp[i] = (MPI_Wtime() - t0) * 1e6;
        } else {
            MPI_Recv(buf, SMALL, MPI_CHAR, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            tmp[i] = 0;
        }
    }
    return median(tmp, iters);
}

/* The receiver's overhead: rank 1 waits on MPI_Probe until the message is there, then
 * times MPI_Recv alone. */
static double recv_overhead(char *buf, int iters, double *tmp)
{
    for (int i = 0; i < iters; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            MPI_Send(buf, SMALL, MPI_CHAR, 1, 3, MPI_COMM_WORLD);
            tmp[i] = 0;
        } else {
            MPI_Probe(0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            double t0 = MPI_Wtime();
            MPI_Recv(buf, SMALL, MPI_CHAR, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            tmp[i] = (MPI_Wtime() - t0) * 1e6;
        }
    }
    return median(tmp, iters);
}

/* Mean and 95% half-width (Student's t) of n values. */
static void mean_ci(const double *v, int n, double *m, double *h)
{
    static const double t95[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                 2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131};
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    *m = s / n;
    for (int i = 0; i < n; i++)
        s2 += (v[i] - *m) * (v[i] - *m);
    double t = n - 1 < 16 ? t95[n - 1] : 1.96;
    *h = n > 1 ? t * sqrt(s2 / (n - 1) / n) : 0;
}

static json_t *param(const double *v, int n)
{
    double m, h;
    mean_ci(v, n, &m, &h);
    return json_pack("{s:f,s:f}", "mean", m, "ci95", h);
}

static int usage(const char *msg)
{
    if (rank == 0)
        fprintf(stderr, "loggp: %s\n", msg);
    MPI_Finalize();
    return 2;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int reps = 10, iters = 2000;
    const char *out = NULL;
    place_error e;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            if (place_parse_int("--reps", argv[++i], 2, 1000, &reps, &e) < 0)
                return usage(e.msg);
        } else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            if (place_parse_int("--iters", argv[++i], 10, 1000000, &iters, &e) < 0)
                return usage(e.msg);
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "'%.100s': unknown or missing its value; expected --reps R, --iters I, "
                     "-o FILE.json",
                     argv[i]);
            return usage(msg);
        }
    }
    if (size != 2)
        return usage("expected exactly 2 ranks (mpirun -np 2 placerun -t 1 -- loggp)");
    place_wfile w; /* -o checked before the measurement */
    if (rank == 0 && out && place_wfile_open(&w, "-o", out, &e) < 0) {
        fprintf(stderr, "loggp: %s\n", e.msg);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    char *buf = malloc(LARGE);
    double *tmp = malloc(sizeof(double) * (size_t)iters);
    double *v[6];
    for (int k = 0; k < 6; k++)
        v[k] = malloc(sizeof(double) * (size_t)reps);
    if (!buf || !tmp || !v[0] || !v[1] || !v[2] || !v[3] || !v[4] || !v[5]) {
        fprintf(stderr, "loggp: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(buf, 1, LARGE);
    rtt(buf, SMALL, iters < 200 ? iters : 200, tmp); /* warm-up */
    int large_iters = iters / 20 > 10 ? iters / 20 : 10;
    int l_clamped = 0;
    for (int r = 0; r < reps; r++) {
        double t_small = rtt(buf, SMALL, iters, tmp);
        double t_large = rtt(buf, LARGE, large_iters, tmp);
        double os = send_overhead(buf, iters, tmp);
        double orr = recv_overhead(buf, iters, tmp);
        /* each rank knows one overhead: rank 0 the send's, rank 1 the receive's */
        double both[2] = {os, orr}, got[2];
        MPI_Allreduce(both, got, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        double L = t_small / 2 - got[0] - got[1];
        l_clamped += L < 0;
        v[0][r] = t_small;
        v[1][r] = got[0];
        v[2][r] = got[1];
        v[3][r] = L < 0 ? 0 : L;
        v[4][r] = (t_large - t_small) / 2 / (LARGE - SMALL);
        v[5][r] = (got[0] + got[1]) / 2;
    }
    if (rank == 0) {
        char lib[MPI_MAX_LIBRARY_VERSION_STRING];
        int len;
        MPI_Get_library_version(lib, &len);
        char *nl = strchr(lib, '\n');
        if (nl)
            *nl = '\0';
        const char *cpus = getenv(place_env_name(PLACE_ENV_CPUSET));
        json_t *o =
            json_pack("{s:s,s:s,s:i,s:i,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:i}", "schema",
                      "place-loggp/1", "mpi", lib, "reps", reps, "iters", iters, "bytes_small",
                      SMALL, "rtt_us", param(v[0], reps), "o_s_us", param(v[1], reps), "o_r_us",
                      param(v[2], reps), "L_us", param(v[3], reps), "G_us_per_byte",
                      param(v[4], reps), "o_us", param(v[5], reps), "rank0_cpus",
                      cpus ? cpus : "unknown (not under placerun)", "L_clamped_to_0", l_clamped);
        FILE *f = out ? w.f : stdout;
        int bad =
            json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF;
        json_decref(o);
        if (out && (bad || place_wfile_commit(&w, &e) < 0)) {
            fprintf(stderr, "loggp: %s\n", bad ? "writing the JSON failed" : e.msg);
            if (!bad)
                place_wfile_fini(&w);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        double m, h;
        mean_ci(v[5], reps, &m, &h);
        fprintf(stderr, "loggp: o %.3f ± %.3f us", m, h);
        mean_ci(v[3], reps, &m, &h);
        fprintf(stderr, ", L %.3f ± %.3f us", m, h);
        mean_ci(v[4], reps, &m, &h);
        fprintf(stderr, ", G %.3g us/byte (%.2f GB/s)%s\n", m, m > 0 ? 1e-3 / m : 0.0,
                l_clamped ? "; L came out below 0 in some repetitions (the overheads took the "
                            "whole round trip) and is 0 there"
                          : "");
    }
    free(buf);
    free(tmp);
    for (int k = 0; k < 6; k++)
        free(v[k]);
    MPI_Finalize();
    return 0;
}
