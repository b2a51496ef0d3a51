/* placerun: the launcher front end of libplace.
 *
 * This file parses the command line and dispatches to a mode. `--plan` is the dry run:
 * it loads a topology (this machine or a described one), computes the plan and prints it
 * without running anything. The run-time modes (per-rank shim, wrapper around mpirun or
 * srun) build on the same request.
 *
 * Every error is one line on stderr, "placerun: <what was wrong and what is valid>",
 * and a non-zero exit: 2 for bad usage, 1 for a request the machine cannot meet.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "place.h"

enum {
    OPT_PLAN = 256, OPT_TOPOLOGY, OPT_RPN, OPT_POLICY, OPT_SMT, OPT_RESERVE, OPT_OVERSUB,
    OPT_FORMAT, OPT_ALLOWED, OPT_KINDS, OPT_OUTPUT, OPT_VERSION, OPT_GRID, OPT_PERIODIC,
    OPT_LINEAR
};

typedef struct options {
    int plan;
    const char *topology;
    const char *allowed;
    const char *format;
    const char *output;
    int grid;
    int64_t n[3];
    unsigned decomp_flags;
    place_request req;
} options;

static void usage(FILE *f)
{
    fputs(
"usage: placerun --plan [--topology SPEC] -n RANKS [-N NODES | --ranks-per-node R]\n"
"                [-t THREADS] [--policy numa|compact|spread] [--smt K]\n"
"                [--reserve-cores C] [--cpu-kinds auto|all|best] [--allowed CPUS]\n"
"                [--oversubscribe] [--grid NXxNYxNZ [--periodic AXES] [--linear-mapping]]\n"
"                [--format text|json] [-o FILE]\n"
"\n"
"Computes where every rank and thread of an MPI/OpenMP job should run.\n"
"\n"
"  --plan               print the plan and run nothing (the dry run)\n"
"  --topology SPEC      the machine: native (default; HWLOC_XMLFILE and HWLOC_SYNTHETIC\n"
"                       are honoured), FILE.xml (lstopo --of xml), or\n"
"                       synthetic:\"pack:2 numa:2 core:8 pu:2\" (hwloc synthetic syntax)\n"
"  -n, -np RANKS        total ranks (default 1, or NODES x R)\n"
"  -N, --nodes NODES    nodes; ranks are spread over them in blocks (default 1)\n"
"  --ranks-per-node R   ranks on each node (the last node takes the remainder)\n"
"  -t, --threads T      threads per rank (default: fill the rank's share of cores)\n"
"  --policy P           numa (default): ranks over NUMA nodes in proportion to their\n"
"                       cores, equal contiguous cpusets that never straddle NUMA nodes\n"
"                       when they fit; compact: fill cores in order, only what is needed;\n"
"                       spread: rank i on NUMA node i mod D\n"
"  --smt K              PUs per core to use (default 1; more only if threads need it)\n"
"  --reserve-cores C    leave the last C cores of each package to the OS\n"
"  --cpu-kinds K        hybrid CPUs: auto (default: most efficient kind if it fits),\n"
"                       all, or best (only the most efficient kind)\n"
"  --allowed CPUS       use only these PUs (OS indices, e.g. 0-15,32-47), as a cgroup\n"
"                       or taskset would; native topologies also honour the binding\n"
"  --oversubscribe      allow several threads per PU instead of failing\n"
"  --grid NXxNYxNZ      decompose a 3D grid of cells over the ranks: the process grid\n"
"                       with the least halo, node and NUMA blocks kept compact\n"
"  --periodic AXES      neighbours wrap along these axes (any of x, y, z, e.g. xz)\n"
"  --linear-mapping     number subdomains row-major (as MPI_Cart_create) instead of\n"
"                       mapping node and NUMA blocks\n"
"  --format F           text (default: one line per rank) or json (schema place-plan/1)\n"
"  -o, --output FILE    write the plan to FILE instead of standard output\n"
"  -h, --help           this help\n"
"  --version            print the version\n"
"\n"
"Text output names OS indices as P# and logical indices as L#.\n", f);
}

/* "-np" is mpirun's spelling; getopt_long cannot take a two-letter single-dash option,
 * so it is rewritten to "-n" before parsing (only before "--"). */
static void rewrite_np(int argc, char **argv)
{
    static char n[] = "-n";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-np"))
            argv[i] = n;
    }
}

static int fail(const place_error *e, int code)
{
    fprintf(stderr, "placerun: %s\n", e->msg);
    return code;
}

static int parse_args(int argc, char **argv, options *o, place_error *e)
{
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
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, OPT_VERSION},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    place_request_init(&o->req);
    o->format = "text";
    rewrite_np(argc, argv);
    opterr = 0; /* our own one-line messages */
    int c;
    while ((c = getopt_long(argc, argv, "+:n:N:t:o:h", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_PLAN: o->plan = 1; break;
        case OPT_TOPOLOGY: o->topology = optarg; break;
        case 'n': rc = place_parse_int("-n", optarg, 1, 1 << 30, &o->req.ranks, e); break;
        case 'N': rc = place_parse_int("-N", optarg, 1, 1 << 24, &o->req.nodes, e); break;
        case OPT_RPN:
            rc = place_parse_int("--ranks-per-node", optarg, 1, 1 << 20, &o->req.ranks_per_node, e);
            break;
        case 't': rc = place_parse_int("-t", optarg, 1, 1 << 20, &o->req.threads, e); break;
        case OPT_POLICY: rc = place_policy_parse(optarg, &o->req.policy, e); break;
        case OPT_SMT: rc = place_parse_int("--smt", optarg, 1, 64, &o->req.smt, e); break;
        case OPT_RESERVE:
            rc = place_parse_int("--reserve-cores", optarg, 0, 1 << 20, &o->req.reserve_cores, e);
            break;
        case OPT_KINDS: rc = place_kinds_parse(optarg, &o->req.kinds, e); break;
        case OPT_ALLOWED: o->allowed = optarg; break;
        case OPT_OVERSUB: o->req.oversubscribe = 1; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") && strcmp(optarg, "json"))
                rc = place_error_set(e, PLACE_EINVAL,
                                     "--format '%.40s': unknown; expected text or json", optarg);
            o->format = optarg;
            break;
        case 'o': o->output = optarg; break;
        case OPT_GRID:
            rc = place_grid_parse("--grid", optarg, o->n, e);
            o->grid = 1;
            break;
        case OPT_PERIODIC:
            for (const char *c = optarg; *c && !rc; c++) {
                if (*c < 'x' || *c > 'z')
                    rc = place_error_set(e, PLACE_EINVAL, "--periodic '%.20s': expected axes among "
                                         "x, y and z, e.g. xz", optarg);
                else
                    o->decomp_flags |= PLACE_DECOMP_PERIODIC_X << (*c - 'x');
            }
            if (!*optarg)
                rc = place_error_set(e, PLACE_EINVAL, "--periodic: empty; expected axes among x, y "
                                     "and z, e.g. xz");
            break;
        case OPT_LINEAR: o->decomp_flags |= PLACE_DECOMP_LINEAR; break;
        case 'h': usage(stdout); exit(0);
        case OPT_VERSION: printf("placerun (place) %s\n", PLACE_VERSION); exit(0);
        case ':':
            rc = place_error_set(e, PLACE_EINVAL, "%s needs a value; see placerun --help",
                                 argv[optind - 1]);
            break;
        default:
            if (optopt)
                rc = place_error_set(e, PLACE_EINVAL, "-%c: unknown option; see placerun --help", optopt);
            else
                rc = place_error_set(e, PLACE_EINVAL, "'%.60s': unknown option; see placerun --help",
                                     argv[optind - 1]);
            break;
        }
        if (rc)
            return -1;
    }
    if (optind < argc && !o->plan)
        return place_error_set(e, PLACE_EINVAL,
                               "running an application is not supported by this build yet; "
                               "use --plan to print the plan");
    if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
        return place_error_set(e, PLACE_EINVAL, "'%.60s': unexpected argument; --plan runs nothing",
                               argv[optind]);
    if (!o->plan)
        return place_error_set(e, PLACE_EINVAL, "nothing to do; use --plan (see placerun --help)");
    return 0;
}

/* Writes to a temporary file beside FILE and renames it, so a failed run leaves no
 * truncated plan behind. */
static int write_plan(const options *o, const place_plan *plan, const place_decomp *d,
                      place_error *e)
{
    int json = !strcmp(o->format, "json");
    if (!o->output)
        return json ? place_plan_write_json(plan, d, stdout, e)
                    : place_plan_write_text(plan, d, stdout, e);
    size_t n = strlen(o->output) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return place_error_set(e, PLACE_ENOMEM, "out of memory");
    snprintf(tmp, n, "%s.tmp.XXXXXX", o->output);
    FILE *f = NULL;
    int fd = mkstemp(tmp);
    if (fd >= 0)
        f = fdopen(fd, "w");
    if (!f) {
        place_error_set(e, PLACE_ESYS, "-o '%.200s': cannot create a file there", o->output);
        free(tmp);
        return -1;
    }
    int rc = json ? place_plan_write_json(plan, d, f, e) : place_plan_write_text(plan, d, f, e);
    if (fclose(f) != 0 && rc == 0)
        rc = place_error_set(e, PLACE_ESYS, "-o '%.200s': write failed", o->output);
    if (rc == 0 && rename(tmp, o->output) != 0)
        rc = place_error_set(e, PLACE_ESYS, "-o '%.200s': cannot rename the finished file into place",
                             o->output);
    if (rc != 0)
        remove(tmp);
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    place_error e;
    place_error_clear(&e);
    if (parse_args(argc, argv, &o, &e) < 0)
        return fail(&e, 2);
    place_topo *topo = NULL;
    if (place_topo_load(&topo, o.topology, PLACE_TOPO_THIS_BINDING, &e) < 0)
        return fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    if (o.allowed && place_topo_restrict(topo, o.allowed, &e) < 0) {
        place_topo_free(topo);
        return fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    }
    place_plan *plan = NULL;
    place_decomp *d = NULL;
    int rc = 0;
    if (place_plan_compute(&plan, topo, &o.req, &e) < 0)
        rc = fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    else if (o.grid && place_decomp_compute(&d, o.n, plan, 0, o.decomp_flags, &e) < 0)
        rc = fail(&e, 2);
    else if (write_plan(&o, plan, d, &e) < 0)
        rc = fail(&e, 1);
    place_decomp_free(d);
    place_plan_free(plan);
    place_topo_free(topo);
    return rc;
}
