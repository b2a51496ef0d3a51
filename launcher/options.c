/* options.c: placerun's options: the command line and the config-file layers, parsed
 * into one `options`. Nothing here runs anything, so the fuzz harness links this unit as
 * it is (tests/fuzz/fuzz_placerun.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "placerun.h"

enum {
    OPT_PLAN = 256,
    OPT_TOPOLOGY,
    OPT_RPN,
    OPT_POLICY,
    OPT_SMT,
    OPT_RESERVE,
    OPT_OVERSUB,
    OPT_FORMAT,
    OPT_ALLOWED,
    OPT_KINDS,
    OPT_VERSION,
    OPT_LIST,
    OPT_GRID,
    OPT_PERIODIC,
    OPT_LINEAR,
    OPT_MEMBIND,
    OPT_FORCE_ENV,
    OPT_REPORT,
    OPT_CHECK,
    OPT_MONITOR,
    OPT_LAUNCHER,
    OPT_VERBOSE,
    OPT_BEST_EFFORT,
    OPT_JITTER,
    OPT_JITTER_MODE,
    OPT_QUANTUM,
    OPT_THRESHOLD,
    OPT_SCHED_IDLE,
    OPT_CONFIG,
    OPT_GPUS,
    OPT_GPR,
    OPT_GPU_BIND,
    OPT_NICS,
    OPT_HOSTS,
    OPT_HOSTFILE,
    OPT_PIN_THREADS,
    OPT_PIN_SKIP,
    OPT_LAUNCHER_ARGS,
    OPT_PROFILE_NODE,
    OPT_NOISE_PROFILE,
    OPT_AVOID_NOISY,
    OPT_STEP_US
};

void placerun_usage(FILE *f)
{
    fputs(
        "usage: placerun [options] [--] APP [ARGS...]     run APP placed (shim, single, wrapper)\n"
        "       placerun --check [options]                 verify placement with a built-in probe\n"
        "       placerun --plan [options]                  print the plan, run nothing\n"
        "\n"
        "Places every rank and thread of an MPI/OpenMP job. Under a launcher\n"
        "(mpirun -np 8 placerun -t 4 -- ./app, srun -n 8 placerun -- ./app) each rank finds\n"
        "itself from the launcher's environment, binds to its part of the node's plan, sets the\n"
        "memory policy, exports OMP_* and PLACE_* and execs APP. Without a launcher and with\n"
        "-n > 1 (or --launcher), placerun starts mpirun or srun itself with their binding off.\n"
        "\n"
        "Machine and request:\n"
        "  --topology SPEC      native (default; HWLOC_XMLFILE and HWLOC_SYNTHETIC are honoured),\n"
        "                       FILE.xml (lstopo --of xml) or synthetic:\"pack:2 numa:2 core:8 pu:2\"\n"
        "  -n, -np RANKS        total ranks (under a launcher: must match it)\n"
        "  -N, --nodes NODES    nodes; ranks are spread over them in blocks (default 1)\n"
        "  --ranks-per-node R   ranks on each node (the last node takes the remainder)\n"
        "  -t, --threads T      threads per rank (default: fill the rank's share of cores)\n"
        "  --policy P           numa (default): ranks over NUMA nodes in proportion to their\n"
        "                       cores, equal contiguous cpusets that never straddle NUMA nodes\n"
        "                       when they fit; compact: fill cores in order, only what is needed;\n"
        "                       spread: rank i on NUMA node i mod D\n"
        "  --smt K              PUs per core to use (default 1; more only if threads need it)\n"
        "  --reserve-cores C    leave the last C cores of each package to the OS; auto: the\n"
        "                       cores (0 to 8) whose leaving the node's noise profile predicts\n"
        "                       gives the shortest barrier step\n"
        "  --cpu-kinds K        hybrid CPUs: auto (default: most efficient kind if it fits),\n"
        "                       all, or best (only the most efficient kind)\n"
        "  --allowed CPUS       use only these PUs (OS indices, e.g. 0-15,32-47), as a cgroup\n"
        "                       or taskset would\n"
        "  --oversubscribe      allow several threads per PU instead of failing\n"
        "\n"
        "GPUs and NICs (found with hwloc's PCI discovery; no vendor library needed):\n"
        "  --gpus auto|none     auto: ranks follow the node's GPUs (one rank per GPU unless -n or\n"
        "                       --ranks-per-node say otherwise), each rank's cores from its\n"
        "                       GPUs' locality, the GPUs of a locality spread over its ranks\n"
        "  --gpus-per-rank G    G GPUs per rank, ranks following them (default ranks: GPUs / G)\n"
        "  --gpu-bind B         closest (default), none (every rank sees all GPUs) or map:LIST\n"
        "                       (local rank l gets GPU LIST[l mod n], indices as --plan lists)\n"
        "  --nics N             auto (each rank the nearest high-speed NIC, balanced; the default\n"
        "                       with --gpus), none, or a list of NIC names, interfaces, PCI ids\n"
        "  A rank's GPUs are exported in the vendor's variables (CUDA_VISIBLE_DEVICES with\n"
        "  CUDA_DEVICE_ORDER=PCI_BUS_ID, ROCR_VISIBLE_DEVICES/HIP_VISIBLE_DEVICES,\n"
        "  ZE_AFFINITY_MASK), its NIC in UCX_NET_DEVICES and libfabric's, and PLACE_GPUS,\n"
        "  PLACE_NICS. Inside a Slurm step that limited the GPUs, only those are used.\n"
        "\n"
        "  --grid NXxNYxNZ      decompose a 3D grid of cells over the ranks: the process grid\n"
        "                       with the least halo, node and NUMA blocks kept compact\n"
        "  --periodic AXES      neighbours wrap along these axes (any of x, y, z, e.g. xz)\n"
        "  --linear-mapping     number subdomains row-major (as MPI_Cart_create) instead of\n"
        "                       mapping node and NUMA blocks\n"
        "\n"
        "Running:\n"
        "  --membind M          memory policy: local (default: first touch on the toucher's\n"
        "                       node), interleave (over the rank's NUMA nodes), none\n"
        "  --force-env          overwrite OMP_NUM_THREADS/OMP_PLACES/OMP_PROC_BIND set by the user\n"
        "  --report             print the binding each rank applied (on stderr)\n"
        "  --check              run the built-in probe instead of APP: every thread's mask, CPU\n"
        "                       and migrations against the plan; exit 1 on any mismatch\n"
        "  --monitor FILE       sample every thread of APP (preloaded library) and write JSON\n"
        "                       per thread at exit: PU planned, CPUs seen, migrations, switches\n"
        "                       (FILE.rankN.json per rank when there are several)\n"
        "  --pin-threads        for programs that start their own threads (pthreads, GROMACS\n"
        "                       thread-MPI): a preloaded library puts the Nth thread created on\n"
        "                       the Nth planned PU (the main thread is the first); threads of\n"
        "                       the MPI, UCX, CUDA... runtimes keep the rank's PUs. OMP_* are\n"
        "                       left as the user has them (the program sets its thread counts)\n"
        "  --pin-skip 0xMASK    with --pin-threads: skip the created threads whose bit is set\n"
        "                       (bit 0 the first created), instead of recognising helpers\n"
        "  --launcher-args \"A\"  in wrapper mode, words for the launcher (e.g. \"-x FOO=1\";\n"
        "                       quotes group, nothing is expanded); placerun\n"
        "                       gives the rank count and the binding itself. As root, the\n"
        "                       wrapper sets OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) for mpirun (said)\n"
        "  --launcher L         wrapper mode with mpirun or srun (default: srun inside a Slurm\n"
        "                       allocation, else mpirun)\n"
        "  --best-effort        run APP even if binding fails (say so) instead of refusing\n"
        "\n"
        "Noise-aware placement (docs/noise-aware.md):\n"
        "  --profile-node [S]   measure this node's noise on every usable PU at once for S\n"
        "                       seconds (default 3): each PU's detours and why (interrupts and\n"
        "                       their devices, isolation, other users' and kernel threads);\n"
        "                       written to the private directory, where plans find it, or -o\n"
        "  --noise-profile FILE use this profile (a described node's, or one made at boot)\n"
        "  --avoid-noisy        each rank's threads on its quietest PUs, helpers on the others\n"
        "  --step-us US[,US1..] the application's step (default 1000 us); then, optionally,\n"
        "                       its quiet steps with 1, 2, ... cores fewer (for auto)\n"
        "\n"
        "Jitter probe (on the rank's planned PUs, one pinned thread each):\n"
        "  --jitter [SECONDS]   measure OS noise instead of running APP (default 2 s); text\n"
        "                       summary per thread, JSON with -o FILE (FILE.rankN.json per rank)\n"
        "  --jitter-mode M      fwq (fixed work quantum, default) or selfish (clock-read loop)\n"
        "  --quantum US         fwq quantum (default 50 us)\n"
        "  --threshold US       a detour exceeds the baseline by more than this (default 5 us)\n"
        "                       and by 10% of the baseline\n"
        "  --sched-idle         run the probe threads at SCHED_IDLE\n"
        "  -v, --verbose        say what placerun does (the launcher command, in wrapper mode)\n"
        "\n"
        "Dry run:\n"
        "  --plan               print the plan and run nothing\n"
        "  --format F           text (default: one line per rank), json (schema place-plan/1),\n"
        "                       map (a character per PU: the rank owning it), png or svg (-o FILE:\n"
        "                       the node drawn by lstopo, each rank's PUs, GPUs, NICs coloured),\n"
        "                       rankfile (Open MPI), slurm (srun options), likwid (likwid-pin per\n"
        "                       rank), omp (OMP_* per rank), env (the variables of each rank)\n"
        "  --hosts H1,H2,...    the nodes' host names for rankfile, likwid, omp, env (node i is\n"
        "                       host i); --hostfile FILE: one per line (Open MPI's hostfiles do)\n"
        "  -o, --output FILE    write the plan to FILE instead of standard output (atomically)\n"
        "  --config FILE        a site or machine profile (INI, [placerun] section) applied\n"
        "                       before the command line; also read: /etc/place/placerun.conf,\n"
        "                       ~/.config/place/placerun.conf, $PLACE_CONFIG (docs/configs.md)\n"
        "  -h, --help           this help\n"
        "  --version            print the version\n"
        "  --list WHAT          the names an option takes, one a line: formats (--format),\n"
        "                       policies (--policy) or noise (the injected noise kinds)\n"
        "\n"
        "Text output names OS indices as P# and logical indices as L#.\n",
        f);
}

/* placerun's long options (getopt_long's table; the scan below reads it too) */
// one row a line: a new row re-lays no other
// clang-format off
static const struct option longopts[] = {
    {"plan", no_argument, 0, OPT_PLAN},
    {"topology", required_argument, 0, OPT_TOPOLOGY},
    {"np", required_argument, 0, 'n'},
    {"nodes", required_argument, 0, 'N'},
    {"ranks-per-node", required_argument, 0, OPT_RPN},
    {"threads", required_argument, 0, 't'},
    {"policy", required_argument, 0, OPT_POLICY},
    {"smt", required_argument, 0, OPT_SMT},
    {"reserve-cores", required_argument, 0, OPT_RESERVE},
    {"cpu-kinds", required_argument, 0, OPT_KINDS},
    {"allowed", required_argument, 0, OPT_ALLOWED},
    {"oversubscribe", no_argument, 0, OPT_OVERSUB},
    {"format", required_argument, 0, OPT_FORMAT},
    {"grid", required_argument, 0, OPT_GRID},
    {"periodic", required_argument, 0, OPT_PERIODIC},
    {"linear-mapping", no_argument, 0, OPT_LINEAR},
    {"membind", required_argument, 0, OPT_MEMBIND},
    {"force-env", no_argument, 0, OPT_FORCE_ENV},
    {"report", no_argument, 0, OPT_REPORT},
    {"check", no_argument, 0, OPT_CHECK},
    {"monitor", required_argument, 0, OPT_MONITOR},
    {"pin-threads", no_argument, 0, OPT_PIN_THREADS},
    {"launcher-args", required_argument, 0, OPT_LAUNCHER_ARGS},
    {"pin-skip", required_argument, 0, OPT_PIN_SKIP},
    {"launcher", required_argument, 0, OPT_LAUNCHER},
    {"best-effort", no_argument, 0, OPT_BEST_EFFORT},
    {"jitter", no_argument, 0, OPT_JITTER},
    {"jitter-mode", required_argument, 0, OPT_JITTER_MODE},
    {"quantum", required_argument, 0, OPT_QUANTUM},
    {"threshold", required_argument, 0, OPT_THRESHOLD},
    {"sched-idle", no_argument, 0, OPT_SCHED_IDLE},
    {"verbose", no_argument, 0, 'v'},
    {"output", required_argument, 0, 'o'},
    {"help", no_argument, 0, 'h'},
    {"version", no_argument, 0, OPT_VERSION},
    {"list", required_argument, 0, OPT_LIST},
    {"config", required_argument, 0, OPT_CONFIG},
    {"gpus", required_argument, 0, OPT_GPUS},
    {"gpus-per-rank", required_argument, 0, OPT_GPR},
    {"gpu-bind", required_argument, 0, OPT_GPU_BIND},
    {"nics", required_argument, 0, OPT_NICS},
    {"hosts", required_argument, 0, OPT_HOSTS},
    {"hostfile", required_argument, 0, OPT_HOSTFILE},
    {"profile-node", no_argument, 0, OPT_PROFILE_NODE},
    {"noise-profile", required_argument, 0, OPT_NOISE_PROFILE},
    {"avoid-noisy", no_argument, 0, OPT_AVOID_NOISY},
    {"step-us", required_argument, 0, OPT_STEP_US},
    {0, 0, 0, 0},
};
// clang-format on

/* Other launchers' spellings: accepted where the meaning is place's own ("-np" is
 * mpirun's -n, which getopt_long cannot take as a two-letter single-dash option), else a
 * hint that says what placerun calls it. */
static const struct {
    const char *flag;
    const char *same; /* placerun's option with the same meaning, or NULL */
    const char *hint; /* else: what to use */
} habits[] = {
    {"-np", "-n", NULL},
    {"--ntasks", "--np", NULL},
    {"--ntasks-per-node", "--ranks-per-node", NULL},
    {"--report-bindings", "--report", NULL},
    {"--map-by", NULL,
     "placerun maps ranks itself: --policy numa (by NUMA node), compact (fill "
     "cores in order, Open MPI's --map-by core) or spread (round-robin over NUMA "
     "nodes, --map-by numa); run mpirun with --bind-to none"},
    {"--bind-to", NULL,
     "placerun binds every rank and thread itself (one thread per PU); run "
     "mpirun with --bind-to none, and --smt K for hardware threads"},
    {"--cpu-bind", NULL,
     "placerun binds every rank and thread itself; run srun with "
     "--cpu-bind=none (placerun --plan --format slurm prints srun's own "
     "--cpu-bind for a plan)"},
    {"--distribution", NULL,
     "placerun lays ranks out in blocks per node (-N, --ranks-per-node) "
     "and over NUMA nodes by --policy (placerun --list policies)"},
    {"--cpus-per-task", NULL,
     "placerun calls it -t/--threads: threads per rank, each on its "
     "own PU"},
    {"-c", NULL,
     "placerun calls it -t/--threads: threads per rank, each on its own PU "
     "(Slurm's -c/--cpus-per-task)"},
    {"--npernode", "--ranks-per-node", NULL},
    {"-npernode", "--ranks-per-node", NULL},
    {"--machinefile", "--hostfile", NULL},
    {"-machinefile", "--hostfile", NULL},
    {"-hostfile", "--hostfile", NULL},
    {"-H", NULL,
     "placerun takes the nodes as --hosts H1,H2,... or --hostfile FILE and gives "
     "them to the launcher with each node's slots from the plan"},
    {"--host", NULL,
     "placerun takes the nodes as --hosts H1,H2,... or --hostfile FILE and gives "
     "them to the launcher with each node's slots from the plan"},
    {"-host", NULL,
     "placerun takes the nodes as --hosts H1,H2,... or --hostfile FILE and gives "
     "them to the launcher with each node's slots from the plan"},
    {"-w", NULL,
     "placerun takes the nodes as --hosts H1,H2,... or --hostfile FILE (srun's "
     "-w/--nodelist) and gives them to the launcher"},
    {"--nodelist", NULL,
     "placerun takes the nodes as --hosts H1,H2,... or --hostfile FILE (srun's "
     "-w/--nodelist) and gives them to the launcher"},
    {"-x", NULL,
     "a launcher's option: give it to the launcher with --launcher-args \"-x FOO=1\" "
     "(placerun passes OMP_* and PLACE_* itself)"},
    {"--mca", NULL,
     "a launcher's option: give it to the launcher with --launcher-args \"--mca KEY VALUE\""},
    {"-mca", NULL,
     "a launcher's option: give it to the launcher with --launcher-args \"--mca KEY VALUE\""},
    {"--export", NULL,
     "a launcher's option: give it to the launcher with --launcher-args \"--export=...\""},
};

/* getopt_long's view of one word at an option's place: 1 when the option takes the next
 * word as its value (a long option, exact or an unambiguous prefix, without '=VALUE'; a
 * short one ending its word), 0 otherwise. --jitter's optional duration is a value when it
 * is a number. Unknown options take none: the parser refuses them. */
static int option_takes_next(const char *w, const char *next)
{
    if (w[1] == '-') {
        const char *name = w + 2;
        if (strchr(name, '='))
            return 0;
        size_t n = strlen(name);
        const struct option *hit = NULL;
        int matches = 0;
        for (const struct option *o = longopts; o->name; o++) {
            if (!strcmp(o->name, name)) {
                hit = o;
                matches = 1;
                break;
            }
            if (!strncmp(o->name, name, n)) {
                hit = o;
                matches++;
            }
        }
        if (matches != 1)
            return 0;
        if (hit->val == OPT_JITTER || hit->val == OPT_PROFILE_NODE)
            return next && next[0] >= '0' && next[0] <= '9';
        return hit->has_arg == required_argument;
    }
    for (const char *c = w + 1; *c; c++)
        if (strchr("nNto", *c))
            return c[1] == '\0';
    return 0;
}

/* Rewrites accepted spellings into placerun's, or refuses with a hint (1 = error set):
 * only the words at an option's place, as getopt_long will read them. The scan stops at
 * "--" and at the application's name; an option's value is not an option, and the words
 * after the application's name are the application's, never changed. */
static int rewrite_habits(int argc, char **argv, place_error *e)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--") || argv[i][0] != '-' || !argv[i][1])
            break; /* "--", the application's name, or "-" */
        for (size_t k = 0; k < sizeof habits / sizeof habits[0]; k++) {
            size_t n = strlen(habits[k].flag);
            if (strncmp(argv[i], habits[k].flag, n) || (argv[i][n] && argv[i][n] != '='))
                continue;
            if (!habits[k].same) {
                place_error_set(e, PLACE_EINVAL, "%.40s: %s", argv[i], habits[k].hint);
                return 1;
            }
            if (!argv[i][n]) {
                argv[i] = (char *)habits[k].same;
            } else { /* --ntasks-per-node=4: the value stays, the name changes */
                static char keep[8][96];
                static int nkeep;
                if (nkeep == 8 || strlen(habits[k].same) + strlen(argv[i] + n) >= sizeof keep[0]) {
                    place_error_set(e, PLACE_EINVAL, "%.40s: write it as %s VALUE", argv[i],
                                    habits[k].same);
                    return 1;
                }
                snprintf(keep[nkeep], sizeof keep[0], "%.20s%.70s", habits[k].same, argv[i] + n);
                argv[i] = keep[nkeep++];
            }
            break;
        }
        if (option_takes_next(argv[i], i + 1 < argc ? argv[i + 1] : NULL))
            i++; /* its value: never rewritten */
    }
    return 0;
}

static int parse_periodic(options *o, const char *arg, place_error *e)
{
    if (!*arg)
        return place_error_set(e, PLACE_EINVAL,
                               "--periodic: empty; expected axes among x, y "
                               "and z, e.g. xz");
    for (const char *c = arg; *c; c++) {
        if (*c < 'x' || *c > 'z')
            return place_error_set(e, PLACE_EINVAL,
                                   "--periodic '%.20s': expected axes among "
                                   "x, y and z, e.g. xz",
                                   arg);
        o->decomp_flags |= PLACE_DECOMP_PERIODIC_X << (*c - 'x');
    }
    return 0;
}

static int one_of(const char *opt, const char *v, const char *const *valid, const char *list,
                  place_error *e)
{
    for (int i = 0; valid[i]; i++)
        if (!strcmp(v, valid[i]))
            return 0;
    return place_error_set(e, PLACE_EINVAL, "%s '%.40s': unknown; expected %s", opt, v, list);
}

/* ---- configuration files ------------------------------------------------------------
 * Site and machine profiles (docs/configs.md): INI files with a [placerun] section whose
 * keys are placerun's long options. Each entry goes through the same option parser as
 * the command line, so values are checked the same way, and an error names the file and
 * line. Layers, each overriding the one before: /etc/place/placerun.conf, the user's
 * $XDG_CONFIG_HOME/place/placerun.conf (~/.config/...), then --config FILE (or, without
 * it, $PLACE_CONFIG), then the command line. */

static int apply_options(options *o, int argc, char **argv, place_error *e);

/* a profile's keys: the request's (place_request_key, PLACE_KEY_PROFILE) and these */
// one row a line: a new row re-lays no other
// clang-format off
static const char *const config_keys[] = {
    "topology",
    "allowed",
    "oversubscribe",
    "membind",
    "launcher",
    "noise-profile",
    "avoid-noisy",
    NULL,
};
// clang-format on

typedef struct config_ctx {
    options *o;
    const char *path;
    char dir[PATH_MAX];
    place_error *e;
    int failed;
} config_ctx;

/* Entries of all config files, which the options point into: alive until exit (or until
 * config_release, for the fuzz harness that parses many). */
#define CFG_MAX_ENTRIES 192
static char *cfg_keep[CFG_MAX_ENTRIES];
static int cfg_nkeep;

void placerun_config_release(void)
{
    while (cfg_nkeep)
        free(cfg_keep[--cfg_nkeep]);
}

static int config_entry(void *user, const char *section, const char *name, const char *value)
{
    config_ctx *c = user;
    if (c->failed)
        return 0;
    if (strcmp(section, "placerun")) {
        place_error_set(c->e, PLACE_EINVAL, "section [%.40s] unknown; expected [placerun]",
                        section);
        goto bad;
    }
    int known = place_request_key(name, PLACE_KEY_PROFILE);
    for (int i = 0; config_keys[i]; i++)
        known |= !strcmp(name, config_keys[i]);
    if (!known) {
        place_error_set(
            c->e, PLACE_EINVAL,
            "key '%.40s' unknown; expected topology, policy, smt, "
            "reserve-cores, cpu-kinds, allowed, oversubscribe, membind, launcher, gpus, "
            "gpus-per-rank, gpu-bind, nics, step-us, noise-profile or avoid-noisy",
            name);
        goto bad;
    }
    char *arg = malloc(strlen(name) + strlen(value) + PATH_MAX + 8);
    if (!arg || cfg_nkeep == CFG_MAX_ENTRIES) {
        free(arg);
        place_error_set(c->e, PLACE_ENOMEM, "too many entries");
        goto bad;
    }
    if (!strcmp(name, "oversubscribe") || !strcmp(name, "avoid-noisy")) {
        if (!strcmp(value, "yes") || !strcmp(value, "true"))
            sprintf(arg, "--%s", name);
        else if (!strcmp(value, "no") || !strcmp(value, "false"))
            arg[0] = '\0';
        else {
            free(arg);
            place_error_set(c->e, PLACE_EINVAL, "%s = '%.20s': expected yes or no", name, value);
            goto bad;
        }
    } else if (!strcmp(name, "noise-profile") && value[0] != '/') {
        /* a profile file named relative to the profile that names it */
        sprintf(arg, "--noise-profile=%s/%s", c->dir, value);
    } else if (!strcmp(name, "topology") && value[0] != '/' && strcmp(value, "native") &&
               strncmp(value, "synthetic:", 10)) {
        /* an XML file named relative to the profile */
        const char *file = strncmp(value, "xml:", 4) ? value : value + 4;
        sprintf(arg, "--topology=%s/%s", c->dir, file);
    } else {
        sprintf(arg, "--%s=%s", name, value);
    }
    cfg_keep[cfg_nkeep++] = arg;
    if (!arg[0])
        return 1;
    char *argv[3] = {"placerun", arg, NULL};
    c->o->in_config = 1;
    int rc = apply_options(c->o, 2, argv, c->e);
    c->o->in_config = 0;
    if (rc < 0)
        goto bad;
    return 1;
bad:
    c->failed = 1;
    return 0;
}

/* A profile's text, checked before the INI reader sees it: a regular file (a FIFO or
 * /dev/zero would block or never end; a directory was silently ignored) of at most 1 MiB,
 * every line shorter than the reader's 200-character buffer (it split longer lines, and the
 * tail of a comment became a setting). Each refusal names the file (and the line). */
#define CONFIG_MAX_BYTES (1 << 20)
static int read_config_text(const char *path, char **out, place_error *e)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int en = errno;
        if (fd >= 0)
            close(fd);
        return place_error_set(e, en == ENOENT ? PLACE_ENOENT : PLACE_ESYS,
                               "config '%.200s': %s; "
                               "expected an INI file with a [placerun] section (docs/configs.md)",
                               path, strerror(en));
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
        close(fd);
        return place_error_set(e, PLACE_EINVAL,
                               "config '%.200s': %s; expected an INI file of at "
                               "most %d bytes",
                               path,
                               S_ISREG(st.st_mode)   ? "too large"
                               : S_ISDIR(st.st_mode) ? "a directory"
                                                     : "not a regular file",
                               CONFIG_MAX_BYTES);
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    ssize_t r = 0;
    while (text && n < (size_t)st.st_size && (r = read(fd, text + n, (size_t)st.st_size - n)) > 0)
        n += (size_t)r;
    close(fd);
    if (!text || r < 0) {
        free(text);
        return place_error_set(e, PLACE_ESYS, "config '%.200s': cannot read it", path);
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        free(text);
        return place_error_set(e, PLACE_EINVAL,
                               "config '%.200s': holds a NUL byte; expected "
                               "an INI text file",
                               path);
    }
    int line = 1;
    for (const char *p = text; *p; line++) {
        size_t len = strcspn(p, "\n");
        if (len >= 199) {
            free(text);
            return place_error_set(e, PLACE_EINVAL,
                                   "config '%.200s' line %d: %zu characters; "
                                   "expected lines of at most 198",
                                   path, line, len);
        }
        p += len + (p[len] == '\n');
    }
    *out = text;
    return 0;
}

int placerun_load_config(options *o, const char *path, int must_exist, place_error *e)
{
    if (access(path, F_OK) != 0 && !must_exist)
        return 0;
    static config_ctx c; /* the kept values outlive the call */
    memset(&c, 0, sizeof c);
    c.o = o;
    c.path = path;
    c.e = e;
    snprintf(c.dir, sizeof c.dir, "%s", path);
    char *slash = strrchr(c.dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(c.dir, sizeof c.dir, ".");
    place_error inner;
    c.e = &inner;
    char *text = NULL;
    if (read_config_text(path, &text, e) < 0)
        return -1;
    int line = ini_parse_string(text, config_entry, &c);
    free(text);
    if (line == -2)
        return place_error_set(e, PLACE_ENOMEM, "config '%.200s': out of memory", path);
    if (line != 0)
        return place_error_set(e, PLACE_EINVAL, "config '%.200s' line %d: %s", path, line,
                               c.failed ? inner.msg : "not an INI line (expected key = value)");
    return 0;
}

static int load_configs(options *o, int argc, char **argv, place_error *e)
{
    char user[PATH_MAX];
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (placerun_load_config(o, "/etc/place/placerun.conf", 0, e) < 0)
        return -1;
    if (xdg && *xdg)
        snprintf(user, sizeof user, "%s/place/placerun.conf", xdg);
    else
        snprintf(user, sizeof user, "%s/.config/place/placerun.conf", home ? home : "/nonexistent");
    if (placerun_load_config(o, user, 0, e) < 0)
        return -1;
    const char *explicit_cfg = place_env_get(PLACE_ENV_CONFIG);
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            explicit_cfg = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            explicit_cfg = argv[i] + 9;
    }
    if (explicit_cfg && !*explicit_cfg)
        return place_error_set(e, PLACE_EINVAL, "--config: empty file name");
    return explicit_cfg ? placerun_load_config(o, explicit_cfg, 1, e) : 0;
}

/* Applies options from argv (the command line, or one entry of a config file) to *o. */
static int apply_options(options *o, int argc, char **argv, place_error *e)
{
    static const char *const membinds[] = {"local", "interleave", "none", NULL};
    static const char *const launchers[] = {"mpirun", "srun", NULL};
    opterr = 0; /* our own one-line messages */
    optind = 0; /* glibc: start afresh (config entries, then the command line) */
    int c;
    while ((c = getopt_long(argc, argv, "+:n:N:t:o:hv", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_PLAN: o->plan = 1; break;
        case OPT_TOPOLOGY: o->topology = optarg; break;
        case 'n':
            rc = place_request_set(&o->req, "np", optarg, "-n", e);
            o->ranks_given = 1;
            break;
        case 'N':
            rc = place_request_set(&o->req, "nodes", optarg, "-N", e);
            o->nodes_given = 1;
            break;
        case OPT_RPN:
            rc = place_request_set(&o->req, "ranks-per-node", optarg, "--ranks-per-node", e);
            break;
        case 't':
            rc = place_request_set(&o->req, "threads", optarg, "-t", e);
            o->threads_given = 1;
            break;
        case OPT_POLICY: rc = place_request_set(&o->req, "policy", optarg, "--policy", e); break;
        case OPT_SMT: rc = place_request_set(&o->req, "smt", optarg, "--smt", e); break;
        case OPT_RESERVE:
            rc = place_request_set(&o->req, "reserve-cores", optarg, "--reserve-cores", e);
            break;
        case OPT_KINDS:
            rc = place_request_set(&o->req, "cpu-kinds", optarg, "--cpu-kinds", e);
            break;
        case OPT_ALLOWED: o->allowed = optarg; break;
        case OPT_OVERSUB: o->req.oversubscribe = 1; break;
        case OPT_FORMAT:
            if (!placerun_format_named(optarg)) { /* "text, json, ... or env" from the table */
                char names[512] = "";
                size_t at = 0;
                for (int i = 0; i < placerun_nformats && at < sizeof names; i++)
                    at += (size_t)snprintf(names + at, sizeof names - at, "%s%s",
                                           i == 0                       ? ""
                                           : i == placerun_nformats - 1 ? " or "
                                                                        : ", ",
                                           placerun_formats[i].name);
                rc = place_error_set(e, PLACE_EINVAL, "--format '%.40s': unknown; expected %s",
                                     optarg, names);
            }
            o->format = optarg;
            break;
        case OPT_GRID:
            rc = place_grid_parse("--grid", optarg, o->n, e);
            o->grid = 1;
            break;
        case OPT_PERIODIC: rc = parse_periodic(o, optarg, e); break;
        case OPT_LINEAR: o->decomp_flags |= PLACE_DECOMP_LINEAR; break;
        case OPT_MEMBIND:
            rc = one_of("--membind", optarg, membinds, "local, interleave or none", e);
            o->membind = optarg;
            break;
        case OPT_FORCE_ENV: o->force_env = 1; break;
        case OPT_REPORT: o->report = 1; break;
        case OPT_CHECK: o->check = 1; break;
        case OPT_MONITOR:
            if (!*optarg)
                rc = place_error_set(e, PLACE_EINVAL, "--monitor: empty file name");
            o->monitor = optarg;
            break;
        case OPT_PIN_THREADS: o->pin_threads = 1; break;
        case OPT_LAUNCHER_ARGS:
            rc = placerun_launcher_args(optarg, NULL, 0, e) < 0 ? -1 : 0;
            o->launcher_args = optarg;
            break;
        case OPT_PIN_SKIP:
            if (optarg[0] != '0' || (optarg[1] != 'x' && optarg[1] != 'X') || !optarg[2] ||
                strlen(optarg) > 18 ||
                strspn(optarg + 2, "0123456789abcdefABCDEF") != strlen(optarg + 2) ||
                strspn(optarg + 2, "0") == strlen(optarg + 2)) /* 0x0 skips nothing */
                rc = place_error_set(e, PLACE_EINVAL,
                                     "--pin-skip '%.40s': expected a hexadecimal "
                                     "mask 0x1 to 0xffffffffffffffff (bit i skips the i-th thread "
                                     "created)",
                                     optarg);
            o->pin_skip = optarg;
            break;
        case OPT_LAUNCHER:
            rc = one_of("--launcher", optarg, launchers, "mpirun or srun", e);
            if (o->in_config)
                o->profile_launcher = optarg;
            else
                o->launcher = optarg;
            break;
        case OPT_BEST_EFFORT: o->best_effort = 1; break;
        case OPT_JITTER:
            o->jitter = 1;
            /* an optional duration: the next word, if it is a number */
            if (optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                rc = place_parse_double("--jitter", argv[optind++], 0.01, 86400, &o->jopts.seconds,
                                        e);
            break;
        case OPT_PROFILE_NODE:
            o->profile_node = 1;
            if (optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                rc = place_parse_double("--profile-node", argv[optind++], 0.5, 600,
                                        &o->profile_seconds, e);
            break;
        case OPT_NOISE_PROFILE:
            if (!*optarg)
                rc = place_error_set(e, PLACE_EINVAL, "--noise-profile: empty file name");
            o->noise_profile = optarg;
            break;
        case OPT_AVOID_NOISY: o->req.avoid_noisy = 1; break;
        case OPT_STEP_US: rc = place_request_set(&o->req, "step-us", optarg, "--step-us", e); break;
        case OPT_JITTER_MODE:
            if (!strcmp(optarg, "fwq"))
                o->jopts.mode = PLACE_JITTER_FWQ;
            else if (!strcmp(optarg, "selfish"))
                o->jopts.mode = PLACE_JITTER_SELFISH;
            else
                rc = place_error_set(e, PLACE_EINVAL,
                                     "--jitter-mode '%.40s': unknown; expected fwq "
                                     "or selfish",
                                     optarg);
            break;
        case OPT_QUANTUM:
            rc = place_parse_double("--quantum", optarg, 0.1, 1e6, &o->jopts.quantum_us, e);
            break;
        case OPT_THRESHOLD:
            rc = place_parse_double("--threshold", optarg, 0, 1e9, &o->jopts.threshold_us, e);
            break;
        case OPT_SCHED_IDLE: o->jopts.sched_idle = 1; break;
        case 'v': o->verbose = 1; break;
        case 'o': o->output = optarg; break;
        case 'h': o->help = 1; return 0; /* main prints it: parsing never exits */
        case OPT_VERSION: o->version = 1; return 0;
        case OPT_LIST:
            if (strcmp(optarg, "formats") && strcmp(optarg, "policies") && strcmp(optarg, "noise"))
                return place_error_set(e, PLACE_EINVAL,
                                       "--list '%.40s': unknown; expected formats, policies or "
                                       "noise",
                                       optarg);
            o->list = optarg;
            return 0;
        case OPT_CONFIG: break; /* applied before the command line */
        case OPT_HOSTS: o->hosts = optarg; break;
        case OPT_HOSTFILE: o->hostfile = optarg; break;
        case OPT_GPUS: rc = place_request_set(&o->req, "gpus", optarg, "--gpus", e); break;
        case OPT_GPR:
            rc = place_request_set(&o->req, "gpus-per-rank", optarg, "--gpus-per-rank", e);
            break;
        case OPT_GPU_BIND:
            rc = place_request_set(&o->req, "gpu-bind", optarg, "--gpu-bind", e);
            break;
        case OPT_NICS:
            rc = place_request_set(&o->req, "nics", optarg, "--nics", e);
            o->nics_given = 1;
            break;
        case ':':
            rc = place_error_set(e, PLACE_EINVAL, "%s needs a value; see placerun --help",
                                 argv[optind - 1]);
            break;
        default:
            if (optopt)
                rc = place_error_set(e, PLACE_EINVAL, "-%c: unknown option; see placerun --help",
                                     optopt);
            else
                rc =
                    place_error_set(e, PLACE_EINVAL, "'%.60s': unknown option; see placerun --help",
                                    argv[optind - 1]);
            break;
        }
        if (rc)
            return -1;
    }
    return 0;
}

int placerun_parse_args(int argc, char **argv, options *o, place_error *e)
{
    placerun_options_init(o);
    o->argc = argc;
    o->argv = argv;
    if (rewrite_habits(argc, argv, e))
        return -1;
    if (load_configs(o, argc, argv, e) < 0 || apply_options(o, argc, argv, e) < 0)
        return -1;
    if (o->help || o->version || o->list)
        return 0;
    o->app_argc = argc - optind;
    o->app_argv = argv + optind;
    if (o->plan && o->app_argc > 0 && strcmp(argv[optind - 1], "--") != 0)
        return place_error_set(e, PLACE_EINVAL, "'%.60s': unexpected argument; --plan runs nothing",
                               argv[optind]);
    if ((o->check || o->jitter || o->profile_node) && o->app_argc > 0)
        return place_error_set(e, PLACE_EINVAL, "--%s runs its own probe; drop '%.60s'",
                               o->check    ? "check"
                               : o->jitter ? "jitter"
                                           : "profile-node",
                               o->app_argv[0]);
    if (o->plan + o->check + o->jitter + o->profile_node > 1)
        return place_error_set(e, PLACE_EINVAL,
                               "--plan, --check, --jitter and --profile-node: choose one");
    if (!o->plan && !o->check && !o->jitter && !o->profile_node && o->app_argc == 0)
        return place_error_set(e, PLACE_EINVAL,
                               "nothing to do: give an application after --, or --plan, "
                               "--check, --jitter or --profile-node (see placerun --help)");
    if (o->profile_node && o->jopts.quantum_us * 1000 > o->profile_seconds * 1e6)
        return place_error_set(e, PLACE_EINVAL,
                               "--quantum %g us: the --profile-node run of %g s holds fewer "
                               "than 1,000 quanta; expected a quantum of at most %g us or a "
                               "longer run",
                               o->jopts.quantum_us, o->profile_seconds, o->profile_seconds * 1e3);
    if (o->noise_profile && o->profile_node)
        return place_error_set(e, PLACE_EINVAL,
                               "--noise-profile reads a profile, --profile-node measures one: "
                               "choose one (-o FILE names where --profile-node writes)");
    if (o->jitter && o->jopts.mode == PLACE_JITTER_FWQ &&
        o->jopts.quantum_us * 1000 > o->jopts.seconds * 1e6)
        return place_error_set(e, PLACE_EINVAL,
                               "--quantum %g us: the --jitter run of %g s holds "
                               "fewer than 1,000 quanta; expected a quantum of at most %g us or "
                               "a longer run",
                               o->jopts.quantum_us, o->jopts.seconds, o->jopts.seconds * 1e3);
    if (o->output && !o->plan && !o->jitter && !o->profile_node)
        return place_error_set(e, PLACE_EINVAL, "-o goes with --plan, --jitter or --profile-node");
    const placerun_format *fmt = placerun_format_named(o->format);
    if (!fmt) /* the parser let no other through */
        return place_error_set(e, PLACE_EINVAL, "--format '%.40s': unknown", o->format);
    if (fmt->picture && !o->output)
        return place_error_set(e, PLACE_EINVAL,
                               "--format %s draws a picture: give the file with "
                               "-o FILE.%s",
                               o->format, o->format);
    if (fmt->plan_only && !o->plan)
        return place_error_set(e, PLACE_EINVAL, "--format %s goes with --plan", o->format);
    if (o->hosts && o->hostfile)
        return place_error_set(e, PLACE_EINVAL, "--hosts and --hostfile: choose one");
    if (o->pin_skip && !o->pin_threads)
        return place_error_set(e, PLACE_EINVAL,
                               "--pin-skip %.40s: goes with --pin-threads (it says which created "
                               "threads --pin-threads leaves alone)",
                               o->pin_skip);
    /* GPUs asked for: NICs too unless --nics said otherwise, and without -n or
     * --ranks-per-node the GPUs decide the ranks */
    int gpus = o->req.gpus_per_rank != PLACE_GPUS_NONE || o->req.gpu_bind == PLACE_GPU_BIND_MAP;
    if (gpus && !o->nics_given)
        o->req.nics = PLACE_NICS_AUTO;
    if (gpus && o->req.gpu_bind == PLACE_GPU_BIND_CLOSEST && !o->ranks_given &&
        !o->req.ranks_per_node)
        o->req.ranks = 0;
    o->devices = gpus || o->req.nics != PLACE_NICS_NONE;
    return 0;
}

/* placerun's names for the request's fields, in libplace's messages and notes (the flag
 * names live here, not in the library). */
// one row a line: a new row re-lays no other
// clang-format off
static const place_spelling flags = {
    "-n",
    "-N",
    "--ranks-per-node",
    "-t",
    "--policy",
    "--smt",
    "--reserve-cores",
    "--oversubscribe",
    "--cpu-kinds",
    "--allowed",
    "--gpus-per-rank",
    "--gpu-bind",
    "--nics",
    "--gpus",
};
// clang-format on

void placerun_options_init(options *o)
{
    memset(o, 0, sizeof *o);
    place_request_init(&o->req);
    o->req.spelling = &flags;
    o->format = "text";
    o->membind = "local";
    place_jitter_opts_init(&o->jopts);
    o->profile_seconds = 3;
}

int placerun_fail(const place_error *e, int code)
{
    fprintf(stderr, "placerun: %s\n", e->msg);
    return code;
}

int placerun_launcher_args(const char *s, char **words, int max, place_error *e)
{
    static const char *const owned[] = {
        "-np",        "-n",         "-c",       "--np",    "--n", "--ntasks",          "--bind-to",
        "--cpu-bind", "--cpu_bind", "--map-by", "--nodes", "-N",  "--ntasks-per-node", NULL};
    char *copy = strdup(s); /* kept: the launcher's argv points into it */
    if (!copy)
        return place_error_set(e, PLACE_ENOMEM, "out of memory");
    int n = 0;
    char *r = copy, *w = copy;
    while (*r) {
        while (*r == ' ' || *r == '\t' || *r == '\n')
            r++;
        if (!*r)
            break;
        char *word = w;
        char q = 0;
        for (; *r && (q || (*r != ' ' && *r != '\t' && *r != '\n')); r++) {
            if (!q && (*r == '\'' || *r == '"'))
                q = *r;
            else if (q && *r == q)
                q = 0;
            else
                *w++ = *r;
        }
        if (q) {
            free(copy);
            return place_error_set(e, PLACE_EINVAL,
                                   "--launcher-args '%.80s': an unclosed %c; "
                                   "expected words, quotes in pairs",
                                   s, q);
        }
        if (*r)
            r++;
        *w++ = '\0';
        for (int i = 0; owned[i]; i++) {
            size_t l = strlen(owned[i]);
            if (!strncmp(word, owned[i], l) && (word[l] == '\0' || word[l] == '=')) {
                place_error_set(e, PLACE_EINVAL,
                                "--launcher-args: '%.40s' is placerun's to set "
                                "(-n, -N, --ranks-per-node and the plan's binding); expected the "
                                "launcher's other options",
                                word);
                free(copy);
                return -1;
            }
        }
        if (words && n < max)
            words[n] = word;
        n++;
    }
    if (!words)
        free(copy);
    return n;
}
