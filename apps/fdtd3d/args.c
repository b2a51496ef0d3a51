/* args.c (fdtd3d): the command line, checked whole before anything is allocated. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdtd3d.h"

void usage(void)
{
    puts(
        "usage: fdtd3d --grid NXxNYxNZ --steps N [--dx M] [--courant S] [--source I,J,K]\n"
        "              [--source-type pulse|sine --freq HZ] [--probe I,J,K]... [--probe-out FILE.csv]\n"
        "              [--report FILE.json] [--precision single|double]\n"
        "              [--inject NOISE] [--energy-out FILE.csv --energy-every K]\n"
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
        "  --inject NOISE    per thread and step (the kinds: placerun --list noise, but those\n"
        "                    that need a window of work): exp:MEAN_US exponential delay,\n"
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

void parse_args(int argc, char **argv, opts *o)
{
    static const struct option lo[] = {{"grid", 1, 0, 'g'},
                                       {"steps", 1, 0, 's'},
                                       {"dx", 1, 0, 'd'},
                                       {"courant", 1, 0, 'c'},
                                       {"source", 1, 0, 'S'},
                                       {"source-type", 1, 0, 'T'},
                                       {"freq", 1, 0, 'f'},
                                       {"probe", 1, 0, 'p'},
                                       {"probe-out", 1, 0, 'P'},
                                       {"report", 1, 0, 'r'},
                                       {"precision", 1, 0, 'x'},
                                       {"inject", 1, 0, 'i'},
                                       {"energy-out", 1, 0, 'E'},
                                       {"energy-every", 1, 0, 'k'},
                                       {"ring", 1, 0, 'R'},
                                       {"trace-out", 1, 0, 'Y'},
                                       {"checkpoint-every", 1, 0, 'C'},
                                       {"checkpoint-dir", 1, 0, 'D'},
                                       {"restart", 1, 0, 'X'},
                                       {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
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
        case 'g':
            rc = place_grid_parse("--grid", optarg, o->n, &e);
            have_grid = 1;
            break;
        case 's':
            rc = place_parse_int("--steps", optarg, 0, 1 << 30, &o->steps, &e);
            have_steps = 1;
            break;
        case 'd': rc = place_parse_double("--dx", optarg, 1e-12, 1e6, &o->dx, &e); break;
        case 'c':
            rc = place_parse_double("--courant", optarg, -1e300, 1e300, &o->courant, &e);
            if (!rc && !(o->courant > 0 && o->courant <= 1))
                die("--courant %g: unstable or meaningless; expected 0 < S <= 1 (3D Yee stability)",
                    o->courant);
            break;
        case 'S':
            parse_ijk("--source", optarg, o->src);
            o->have_src = 1;
            break;
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
        case 'k':
            rc = place_parse_int("--energy-every", optarg, 1, 1 << 30, &o->energy_every, &e);
            break;
        case 'R': rc = place_parse_int("--ring", optarg, 1, 1 << 24, &o->ring, &e); break;
        case 'C':
            rc = place_parse_int("--checkpoint-every", optarg, 1, 1 << 30, &o->ck_every, &e);
            break;
        case 'D': o->ck_dir = optarg; break;
        case 'X': o->restart = optarg; break;
        case 'x':
            if (!strcmp(optarg, "double"))
                o->dbl = 1;
            else if (strcmp(optarg, "single"))
                die("--precision '%.40s': unknown; expected single or double", optarg);
            break;
        case 'i': {
            /* a kind that needs a fixed work window (poisson) is not for a field update */
            int k = place_noise_kind_of(optarg);
            char ours[160], windowed[160]; /* the kinds, from libplace's table */
            place_noise_forms(ours, sizeof ours, 1);
            place_noise_forms(windowed, sizeof windowed, 2);
            if (k < 0 || place_noise_needs_window((place_noise_kind)k))
                rc = place_error_set(&e, PLACE_EINVAL,
                                     "--inject '%.40s': expected %s (noisebench also takes %s)",
                                     optarg, ours, windowed);
            else
                rc = place_noise_parse("--inject", optarg, &o->noise, &e);
            break;
        }
        case 'h':
            if (rank == 0)
                usage();
            MPI_Finalize();
            exit(0);
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
            die("--grid: %lld cells along %c; expected 2 to %d", (long long)o->n[d], "xyz"[d],
                1 << 20);
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
            "1 <= J <= %lld, 0 <= K <= %lld",
            o->src[0], o->src[1], o->src[2], (long long)o->n[0] - 1, (long long)o->n[1] - 1,
            (long long)o->n[2] - 1);
    for (int p = 0; p < o->nprobes; p++)
        for (int d = 0; d < 3; d++)
            if (o->probe[p][d] >= o->n[d])
                die("--probe %d,%d,%d: outside the grid; expected cell indices 0 to %lld, %lld, %lld",
                    o->probe[p][0], o->probe[p][1], o->probe[p][2], (long long)o->n[0] - 1,
                    (long long)o->n[1] - 1, (long long)o->n[2] - 1);
}

/* ---- decomposition ---------------------------------------------------------------- */
