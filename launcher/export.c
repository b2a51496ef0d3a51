/* export.c: placerun --plan in other tools' own formats, and as a map of the node.
 *
 *   rankfile  Open MPI's rankfile: "rank R=HOST slot=PUs", PUs as OS indices, for
 *             mpirun --rankfile FILE --use-hwthread-cpus --mca rmaps_rank_file_physical 1
 *   slurm     srun's options: --nodes, --ntasks, --ntasks-per-node, --distribution=block and
 *             --cpu-bind=map_cpu:... (one PU per rank) or mask_cpu:... (per local task)
 *   likwid    one likwid-pin command per rank: -c with the threads' PUs in thread order
 *   omp       per rank: OMP_NUM_THREADS, OMP_PLACES, OMP_PROC_BIND
 *   env       per rank: the variables placerun exports from the plan
 *   map       one line per package, a character per PU: the rank that owns it
 * Host names come from --hosts or --hostfile (node i of the plan is host i); a one-node plan
 * without them is this host, or node0 for a described node (--topology), said.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "placerun.h"

#define MAX_HOSTS 65536

static int host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
            return 0;
    return 1;
}

void placerun_hosts_free(placerun_hosts *h)
{
    for (int i = 0; h->name && i < h->n; i++)
        free(h->name[i]);
    free(h->name);
    free(h->slots);
    memset(h, 0, sizeof *h);
}

/* One host, NAME, NAME:SLOTS (Open MPI's --host, MPICH's hostfiles) or, from a hostfile's
 * line, NAME followed by slots=N or max_slots=N (Open MPI's hostfiles). */
#define HOST_FORMAT                                                                                \
    "expected a host name (letters, digits, '-', '.', '_'), optionally with its slots as "         \
    "NAME:N or NAME slots=N"
static int add_host(placerun_hosts *h, const char *name, size_t len, int slots, const char *what,
                    place_error *e)
{
    char buf[256];
    if (len == 0 || len > 253) {
        return place_error_set(e, PLACE_EINVAL,
                               "%s: a host name of %zu characters; expected 1 to 253", what, len);
    }
    memcpy(buf, name, len);
    buf[len] = '\0';
    char *colon = strchr(buf, ':');
    if (colon) { /* NAME:SLOTS */
        *colon = '\0';
        if (place_parse_int(what, colon + 1, 1, 1 << 20, &slots, e) < 0 || !buf[0]) {
            *colon = ':';
            return place_error_set(e, PLACE_EINVAL, "%s: '%.60s' is not a host; " HOST_FORMAT, what,
                                   buf);
        }
    }
    if (!host_ok(buf))
        return place_error_set(e, PLACE_EINVAL, "%s: '%.60s' is not a host name; " HOST_FORMAT,
                               what, buf);
    if (h->n == MAX_HOSTS)
        return place_error_set(e, PLACE_EINVAL, "%s: more than %d hosts", what, MAX_HOSTS);
    char **v = realloc(h->name, sizeof(char *) * (size_t)(h->n + 1));
    if (v)
        h->name = v;
    int *sl = v ? realloc(h->slots, sizeof(int) * (size_t)(h->n + 1)) : NULL;
    if (sl)
        h->slots = sl;
    if (!v || !sl || !(v[h->n] = strdup(buf)))
        return place_error_set(e, PLACE_ENOMEM, "out of memory");
    sl[h->n] = slots;
    h->n++;
    return 0;
}

/* A hostfile line's slots: "slots=N" or "max_slots=N" among the words after the name (0:
 * none given). */
static int line_slots(const char *rest, const char *what, int *slots, place_error *e)
{
    *slots = 0;
    for (const char *w = rest;;) {
        w += strspn(w, " \t\r");
        if (!*w || *w == '#')
            return 0;
        size_t len = strcspn(w, " \t\r#");
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), w);
        const char *v = !strncmp(word, "slots=", 6)        ? word + 6
                        : !strncmp(word, "max_slots=", 10) ? word + 10
                                                           : NULL;
        if (v && place_parse_int(what, v, 1, 1 << 20, slots, e) < 0)
            return place_error_set(e, PLACE_EINVAL, "%s: '%.40s': " HOST_FORMAT, what, word);
        w += len;
    }
}

int placerun_load_hosts(const options *o, int want, placerun_hosts *h, place_error *e)
{
    memset(h, 0, sizeof *h);
    if (o->hosts) {
        for (const char *at = o->hosts;;) {
            size_t len = strcspn(at, ",");
            if (add_host(h, at, len, 0, "--hosts", e) < 0)
                goto fail;
            if (!at[len] || (want && h->n == want))
                break;
            at += len + 1;
        }
    } else if (o->hostfile) {
        /* a regular file of at most 16 MiB, read without blocking (a FIFO hung here) */
        char *text = NULL;
        size_t tlen = 0;
        if (place_read_file("--hostfile", o->hostfile, 16u << 20, &text, &tlen, e) < 0) {
            e->code = PLACE_EINVAL;
            goto fail;
        }
        int lineno = 0;
        /* the hosts the plan needs, the rest not read (a long hostfile is no error) */
        for (char *line = text, *next; line && *line && !(want && h->n == want); line = next) {
            lineno++;
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            if (strlen(line) > 1022) {
                free(text);
                place_error_set(e, PLACE_EINVAL,
                                "--hostfile '%.200s' line %d: longer than %d "
                                "characters",
                                o->hostfile, lineno, 1022);
                goto fail;
            }
            char *s = line + strspn(line, " \t");
            if (*s == '#' || !*s || *s == '\r')
                continue;
            size_t len = strcspn(s, " \t\r\n#");
            char what[300];
            int slots = 0;
            snprintf(what, sizeof what, "--hostfile '%.200s' line %d", o->hostfile, lineno);
            if (line_slots(s + len, what, &slots, e) < 0 ||
                add_host(h, s, len, slots, what, e) < 0) {
                free(text);
                goto fail;
            }
        }
        free(text);
        if (h->n == 0) {
            place_error_set(e, PLACE_EINVAL,
                            "--hostfile '%.200s': no host in it; expected one host per line "
                            "(NAME, NAME slots=N or NAME:N)",
                            o->hostfile);
            goto fail;
        }
    }
    return 0;
fail:
    placerun_hosts_free(h);
    return -1;
}

/* The plan's hosts for an export: --hosts or --hostfile, one per node; a one-node plan
 * without them is this host. */
static int load_hosts(const options *o, int nodes, placerun_hosts *h, place_error *e)
{
    if (placerun_load_hosts(o, nodes, h, e) < 0)
        return -1;
    int described = o->topology && strcmp(o->topology, "native");
    if (h->n == 0 && nodes == 1 && described) {
        /* a described node is not this host: its ranks are labelled node0, and said */
        fprintf(stderr,
                "placerun: note: --format %s: the plan is for a described node (--topology), "
                "not this host: its ranks are labelled node0 (name the host with --hosts)\n",
                o->format);
        if (add_host(h, "node0", 5, 0, "the described node", e) < 0)
            goto fail;
    } else if (h->n == 0 && nodes == 1) {
        char me[256] = "localhost";
        if (gethostname(me, sizeof me - 1) != 0 || !host_ok(me))
            snprintf(me, sizeof me, "localhost");
        if (add_host(h, me, strlen(me), 0, "this host", e) < 0)
            goto fail;
    } else if (h->n == 0) {
        place_error_set(e, PLACE_EINVAL,
                        "--format %s: the plan has %d nodes; name them with "
                        "--hosts h1,h2,... or --hostfile FILE",
                        o->format, nodes);
        goto fail;
    }
    if (h->n < nodes) {
        place_error_set(e, PLACE_EINVAL,
                        "the plan has %d nodes, but %s names %d host%s; expected "
                        "one per node",
                        nodes, o->hosts ? "--hosts" : "--hostfile", h->n, h->n == 1 ? "" : "s");
        goto fail;
    }
    return 0;
fail:
    placerun_hosts_free(h);
    return -1;
}

/* A CPU list as a hex mask without separators ("0x30f"), as srun's mask_cpu takes it. */
static char *hex_mask(const char *cpuset)
{
    static int pus[65536];
    int n = 0;
    place_error e;
    if (place_parse_cpulist("cpuset", cpuset, pus, 65536, &n, &e) < 0 || n == 0)
        return NULL;
    int max = 0;
    for (int i = 0; i < n; i++)
        max = pus[i] > max ? pus[i] : max;
    int digits = max / 4 + 1;
    char *s = malloc((size_t)digits + 3);
    if (!s)
        return NULL;
    unsigned char *nib = calloc((size_t)digits, 1);
    if (!nib) {
        free(s);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        nib[pus[i] / 4] |= (unsigned char)(1u << (pus[i] % 4));
    s[0] = '0';
    s[1] = 'x';
    for (int d = 0; d < digits; d++)
        s[2 + d] = "0123456789abcdef"[nib[digits - 1 - d]];
    s[2 + digits] = '\0';
    free(nib);
    return s;
}

/* With GPUs or NICs, a rankfile cannot carry each rank's device variables: FILE.sh beside
 * it sets them from Open MPI's rank (OMPI_COMM_WORLD_RANK) and runs the application. */
static int write_rank_wrapper(const options *o, const place_plan *p, place_error *e)
{
    const place_request *r = place_plan_resolved(p);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s.sh", o->output) >= (int)sizeof path)
        return place_error_set(e, PLACE_EINVAL, "-o '%.200s': too long a name", o->output);
    place_wfile w;
    if (place_wfile_open(&w, "-o (its .sh)", path, e) < 0)
        return -1;
    fprintf(w.f,
            "# %s: the device variables of each rank of the rankfile %s (from placerun\n"
            "# --plan --format rankfile), set from Open MPI's rank; then the application.\n"
            "#   mpirun -np %d --rankfile %s ... sh %s APP [ARGS]\n"
            "case \"${OMPI_COMM_WORLD_RANK:?not set: start this under Open MPI's mpirun}\" in\n",
            path, o->output, r->ranks, o->output, path);
    int rc = 0;
    for (int i = 0; i < r->ranks && rc == 0; i++) {
        char **env = NULL;
        int n = 0;
        if (place_plan_rank_env(p, i, &env, &n, e) < 0) {
            rc = -1;
            break;
        }
        fprintf(w.f, "%d) export", i);
        for (int k = 0; k < n; k++) {
            char *eq = strchr(env[k], '=');
            if (!eq)
                continue;
            /* values are CPU lists, indices, PCI ids and device names (checked charsets):
             * single quotes hold them as they are */
            fprintf(w.f, " %.*s='%s'", (int)(eq - env[k]), env[k], eq + 1);
        }
        fprintf(w.f, " ;;\n");
        place_env_list_free(env, n);
    }
    fprintf(w.f,
            "*) echo \"%s: rank $OMPI_COMM_WORLD_RANK is not in the plan's %d\" >&2; exit 2 ;;\n"
            "esac\nexec \"$@\"\n",
            path, r->ranks);
    if (rc == 0 && place_wfile_commit(&w, e) < 0)
        rc = -1;
    place_wfile_fini(&w);
    return rc;
}

static int write_rankfile(const options *o, const place_plan *p, char **hosts, FILE *f)
{
    const place_request *r = place_plan_resolved(p);
    int dev = place_plan_binds_gpus(p) || place_plan_binds_nics(p);
    fprintf(
        f,
        "# Open MPI rankfile from placerun: slots are PUs by OS index. Use it with\n"
        "#   mpirun -np %d --rankfile FILE --use-hwthread-cpus --mca rmaps_rank_file_physical 1 %s...\n",
        r->ranks, dev ? "sh FILE.sh " : "");
    if (dev)
        fprintf(
            f,
            "# (FILE.sh sets each rank's GPU and NIC variables, which a rankfile cannot carry)\n");
    (void)o;
    for (int i = 0; i < r->ranks; i++) {
        place_rank_info ri;
        place_plan_rank(p, i, &ri, NULL);
        fprintf(f, "rank %d=%s slot=%s\n", i, hosts[ri.node], ri.cpuset);
    }
    return 0;
}

/* Slurm's number for GPU g of the plan's topology: its place among the node's GPUs in PCI
 * order (the order of Slurm's gres with AutoDetect=nvml or rsmi, and of a gres.conf that
 * lists /dev/nvidia0.. as the driver numbers them). */
static int slurm_gpu_index(const place_plan *p, int g)
{
    const place_topo *t = place_plan_topo(p);
    place_device_info d, x;
    if (place_topo_device(t, PLACE_DEVICE_GPU, g, &d) < 0)
        return -1;
    int k = 0;
    for (int i = 0; place_topo_device(t, PLACE_DEVICE_GPU, i, &x) == 0; i++)
        if (i != g && strcmp(x.pci, d.pci) < 0)
            k++;
    return k;
}

/* srun's GPU options: --gpus-per-task and --gpu-bind map_gpu (one each) or mask_gpu, per
 * local task, the same on every node; every task the same number of GPUs. */
static int check_slurm_gpus(const place_plan *p, int first0, int n0, int firstl, int nl,
                            place_error *e)
{
    if (!place_plan_binds_gpus(p))
        return 0;
    int G = -1;
    for (int l = 0; l < n0; l++) {
        place_rank_info a;
        place_plan_rank(p, first0 + l, &a, NULL);
        if (G >= 0 && a.ngpus != G)
            return place_error_set(e, PLACE_EINFEASIBLE,
                                   "--format slurm: srun gives every task "
                                   "the same number of GPUs (--gpus-per-task), but local task %d "
                                   "has %d and local task 0 %d; use placerun as the per-task shim "
                                   "instead",
                                   l, a.ngpus, G);
        G = a.ngpus;
    }
    for (int l = 0; l < nl && firstl != first0; l++) {
        place_rank_info a, b;
        place_plan_rank(p, first0 + l, &a, NULL);
        place_plan_rank(p, firstl + l, &b, NULL);
        for (int k = 0; k < a.ngpus && k < b.ngpus; k++)
            if (slurm_gpu_index(p, a.gpu[k]) != slurm_gpu_index(p, b.gpu[k]))
                return place_error_set(e, PLACE_EINFEASIBLE,
                                       "--format slurm: srun's GPU binding "
                                       "is per local task and the same on every node, but local "
                                       "task %d has other GPUs on the last node; use placerun as "
                                       "the per-task shim instead",
                                       l);
    }
    return G > 0 ? G : 0;
}

/* After check_slurm_gpus said G GPUs a task (0: none). */
static int write_slurm_gpus(const place_plan *p, int first0, int n0, int G, FILE *f, place_error *e)
{
    if (G <= 0) {
        fputc('\n', f);
        return 0;
    }
    fprintf(f, " --gpus-per-task=%d --gpu-bind=%s", G, G == 1 ? "map_gpu:" : "mask_gpu:");
    for (int l = 0; l < n0; l++) {
        place_rank_info a;
        place_plan_rank(p, first0 + l, &a, NULL);
        unsigned long long m = 0;
        for (int k = 0; k < a.ngpus; k++) {
            int s = slurm_gpu_index(p, a.gpu[k]);
            if (s < 0 || s > 63)
                return place_error_set(e, PLACE_EINVAL,
                                       "--format slurm: a GPU beyond the 64 a "
                                       "mask_gpu can name");
            m |= 1ULL << s;
            if (G == 1)
                fprintf(f, "%s%d", l ? "," : "", s);
        }
        if (G > 1)
            fprintf(f, "%s0x%llx", l ? "," : "", m);
    }
    fputc('\n', f);
    return 0;
}

/* srun's options. Its masks are per local task, the same on every node: refused when the
 * two node plans (a remainder node) give a local task different PUs. */
static int write_slurm(const place_plan *p, FILE *f, place_error *e)
{
    const place_request *r = place_plan_resolved(p);
    int first0, n0, firstl, nl;
    place_plan_node_range(p, 0, &first0, &n0);
    place_plan_node_range(p, r->nodes - 1, &firstl, &nl);
    for (int l = 0; l < nl; l++) {
        place_rank_info a, b;
        place_plan_rank(p, first0 + l, &a, NULL);
        place_plan_rank(p, firstl + l, &b, NULL);
        if (strcmp(a.cpuset, b.cpuset))
            return place_error_set(e, PLACE_EINFEASIBLE,
                                   "--format slurm: srun's masks are per "
                                   "local task and the same on every node, but local task %d has "
                                   "PUs %s on node 0 and %s on node %d (%d ranks do not divide "
                                   "over %d nodes); use placerun as the per-task shim instead",
                                   l, a.cpuset, b.cpuset, r->nodes - 1, r->ranks, r->nodes);
    }
    /* every refusal before the first byte: nothing half-written */
    int G = check_slurm_gpus(p, first0, n0, firstl, nl, e);
    if (G < 0)
        return -1;
    for (int l = 0; l < n0; l++) {
        place_rank_info a;
        place_plan_rank(p, first0 + l, &a, NULL);
        for (int k = 0; k < a.ngpus; k++)
            if (slurm_gpu_index(p, a.gpu[k]) < 0 || slurm_gpu_index(p, a.gpu[k]) > 63)
                return place_error_set(e, PLACE_EINVAL,
                                       "--format slurm: a GPU beyond the 64 a "
                                       "mask_gpu can name");
    }
    int single = 1, cpus = 1;
    for (int l = 0; l < n0; l++) {
        place_rank_info a;
        place_plan_rank(p, first0 + l, &a, NULL);
        single &= a.ncpus == 1;
        cpus = a.ncpus > cpus ? a.ncpus : cpus;
    }
    /* --cpus-per-task: the step's allocation must hold every rank's PUs */
    fprintf(f,
            "--nodes=%d --ntasks=%d --ntasks-per-node=%d --cpus-per-task=%d "
            "--distribution=block:block --cpu-bind=%s",
            r->nodes, r->ranks, n0, cpus, single ? "map_cpu:" : "mask_cpu:");
    for (int l = 0; l < n0; l++) {
        place_rank_info a;
        place_plan_rank(p, first0 + l, &a, NULL);
        if (single) {
            fprintf(f, "%s%s", l ? "," : "", a.cpuset);
        } else {
            char *m = hex_mask(a.cpuset);
            if (!m)
                return place_error_set(e, PLACE_ENOMEM, "out of memory");
            fprintf(f, "%s%s", l ? "," : "", m);
            free(m);
        }
    }
    return write_slurm_gpus(p, first0, n0, G, f, e);
}

static int write_per_rank(const options *o, const place_plan *p, char **hosts, FILE *f,
                          place_error *e)
{
    const place_request *r = place_plan_resolved(p);
    int likwid = !strcmp(o->format, "likwid"), omp = !strcmp(o->format, "omp");
    if (likwid)
        fprintf(f, "# likwid-pin per rank: thread t on the t-th PU listed (physical ids)\n");
    for (int i = 0; i < r->ranks; i++) {
        place_rank_info ri;
        place_plan_rank(p, i, &ri, NULL);
        if (likwid || omp) {
            char *list = place_int_list_string(ri.thread_pu_os, ri.nthreads, "", "");
            char *places = omp ? place_omp_places(ri.thread_pu_os, ri.nthreads) : NULL;
            if (!list || (omp && !places)) {
                free(list);
                free(places);
                return place_error_set(e, PLACE_ENOMEM, "out of memory");
            }
            if (likwid)
                fprintf(f, "rank %d %s: likwid-pin -q -c %s\n", i, hosts[ri.node], list);
            else
                fprintf(f, "rank %d %s: OMP_NUM_THREADS=%d OMP_PLACES='%s' OMP_PROC_BIND=close\n",
                        i, hosts[ri.node], ri.nthreads, places);
            free(list);
            free(places);
            continue;
        }
        char **env = NULL;
        int n = 0;
        if (place_plan_rank_env(p, i, &env, &n, e) < 0)
            return -1;
        fprintf(f, "rank %d %s:", i, hosts[ri.node]);
        for (int k = 0; k < n; k++)
            fprintf(f, " %s", env[k]);
        fputc('\n', f);
        place_env_list_free(env, n);
    }
    return 0;
}

/* --format env: per rank, every variable placerun's shim would set for it (what the
 * launcher gives aside): PLACE_* of the plan (and of the grid), the vendors' GPU and NIC
 * variables, and OMP_* as -t sets them with the record of them (PLACE_OMP_SET). */
static int write_env(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                     FILE *f, place_error *e)
{
    const place_request *r = place_plan_resolved(p);
    const char *launcher = place_env_name(PLACE_ENV_LAUNCHER);
    size_t ll = strlen(launcher);
    fprintf(f,
            "# placerun --format env: every variable the shim sets for each rank but %s (the "
            "plan file, written at run time) and %s (the launcher it finds)%s\n",
            place_env_name(PLACE_ENV_PLAN), launcher,
            o->pin_threads ? "; --pin-threads: OMP_* are not set" : "");
    for (int i = 0; i < r->ranks; i++) {
        place_assignment a;
        place_launch l;
        memset(&l, 0, sizeof l);
        if (place_assignment_from_plan(&a, p, d, i, e) < 0)
            return -1;
        char **env = NULL;
        int n = 0;
        if (place_env_exports(&l, &a, NULL, &env, &n, e) < 0) {
            place_assignment_fini(&a);
            return -1;
        }
        fprintf(f, "rank %d %s:", i, hosts[a.node >= 0 ? a.node : 0]);
        for (int k = 0; k < n; k++)
            if (strncmp(env[k], launcher, ll) || env[k][ll] != '=')
                fprintf(f, " %s", env[k]);
        place_env_list_free(env, n);
        if (!o->pin_threads) {
            char nt[16], *rec = NULL;
            char *places = place_omp_places(a.thread_pu_os, a.nthreads);
            snprintf(nt, sizeof nt, "%d", a.nthreads);
            const char *k3[3] = {"OMP_NUM_THREADS", "OMP_PLACES", "OMP_PROC_BIND"};
            const char *v3[3] = {nt, places, "close"};
            if (!places || place_env_omp_record(k3, v3, 3, &rec, e) < 0) {
                free(places);
                place_assignment_fini(&a);
                return places ? -1 : place_error_set(e, PLACE_ENOMEM, "out of memory");
            }
            fprintf(f, " OMP_NUM_THREADS=%s OMP_PLACES='%s' OMP_PROC_BIND=close %s='%s'", nt,
                    places, place_env_name(PLACE_ENV_OMP_SET), rec);
            free(places);
            free(rec);
        }
        fputc('\n', f);
        place_assignment_fini(&a);
    }
    return 0;
}

/* The map: per package, [PUs of core 0/PUs of core 1/...], a character per PU. */
static int write_map(const place_plan *p, FILE *f, place_error *e)
{
    const place_request *r = place_plan_resolved(p);
    int shown = 0;
    for (int node = 0; node < r->nodes && shown < 2; node++) {
        int first, n;
        place_plan_node_range(p, node, &first, &n);
        if (node > 0 && node < r->nodes - 1)
            continue; /* at most two node plans: node 0's and the last node's */
        if (node > 0) {
            int f0, n0;
            place_plan_node_range(p, 0, &f0, &n0);
            if (n0 == n)
                break;
        }
        char *text = NULL;
        if (place_plan_map_text(p, node, &text, e) < 0)
            return -1;
        if (r->nodes > 1)
            fprintf(f, "node %d%s (ranks %d-%d):\n", node,
                    node == 0 && r->nodes > 1 ? " and those like it" : "", first, first + n - 1);
        fputs(text, f);
        free(text);
        shown++;
    }
    return 0;
}

/* The writers, as the table calls them. */
static int fmt_text(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                    FILE *f, place_error *e)
{
    (void)o, (void)hosts;
    return place_plan_write_text(p, d, f, e);
}

static int fmt_json(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                    FILE *f, place_error *e)
{
    (void)o, (void)hosts;
    return place_plan_write_json(p, d, f, e);
}

static int fmt_map(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                   FILE *f, place_error *e)
{
    (void)o, (void)d, (void)hosts;
    return write_map(p, f, e);
}

static int fmt_slurm(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                     FILE *f, place_error *e)
{
    (void)o, (void)d, (void)hosts;
    return write_slurm(p, f, e);
}

/* With GPUs or NICs, the rankfile needs -o FILE: FILE.sh beside it sets their variables. */
static int fmt_rankfile(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                        FILE *f, place_error *e)
{
    (void)d;
    int rank_dev = place_plan_binds_gpus(p) || place_plan_binds_nics(p);
    if (rank_dev && !o->output)
        return place_error_set(
            e, PLACE_EINVAL,
            "--format rankfile: the plan gives ranks GPUs or "
            "NICs, whose variables a rankfile cannot carry; give -o FILE to write "
            "FILE and FILE.sh, a wrapper that sets them");
    if (rank_dev && write_rank_wrapper(o, p, e) < 0)
        return -1;
    return write_rankfile(o, p, hosts, f);
}

static int fmt_per_rank(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                        FILE *f, place_error *e)
{
    (void)d;
    return write_per_rank(o, p, hosts, f, e);
}

// one row a line: a new row re-lays no other
// clang-format off
const placerun_format placerun_formats[] = {
    {"text", 0, 0, 0, fmt_text},
    {"json", 0, 0, 0, fmt_json},
    {"map", 1, 0, 0, fmt_map},
    {"png", 1, 1, 0, NULL},
    {"svg", 1, 1, 0, NULL},
    {"rankfile", 1, 0, 1, fmt_rankfile},
    {"slurm", 1, 0, 0, fmt_slurm},
    {"likwid", 1, 0, 1, fmt_per_rank},
    {"omp", 1, 0, 1, fmt_per_rank},
    {"env", 1, 0, 1, write_env},
};
// clang-format on
const int placerun_nformats = (int)(sizeof placerun_formats / sizeof placerun_formats[0]);

const placerun_format *placerun_format_named(const char *name)
{
    for (int i = 0; name && i < placerun_nformats; i++)
        if (!strcmp(placerun_formats[i].name, name))
            return &placerun_formats[i];
    return NULL;
}

int placerun_export(const options *o, const place_plan *plan, const place_decomp *d, FILE *f,
                    place_error *e)
{
    const placerun_format *fmt = placerun_format_named(o->format);
    if (!fmt || !fmt->write)
        return place_error_set(e, PLACE_EINVAL, "--format %s: no writer", o->format);
    if (!fmt->hosts)
        return fmt->write(o, plan, d, NULL, f, e);
    placerun_hosts h;
    if (load_hosts(o, place_plan_resolved(plan)->nodes, &h, e) < 0)
        return -1;
    int rc = fmt->write(o, plan, d, h.name, f, e);
    placerun_hosts_free(&h);
    if (rc == 0 && (ferror(f) || fflush(f) != 0))
        rc = place_error_set(e, PLACE_ESYS, "writing the plan failed: %s", strerror(errno));
    return rc;
}
