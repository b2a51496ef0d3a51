/* plan_out.c: a plan for people: text, a map of a node, the node drawn with each rank's
 * colour (the place-plan/1 JSON is planjson.c's, with its reader). */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include "contract/contract_private.h"
#include "place/planio.h"
#include "place/runenv.h"

int contract_write_failed(place_error *err)
{
    int e = errno;
    place_error_set(err, PLACE_ESYS, "writing the plan failed: %s", strerror(e));
    if (err)
        err->sys_errno = e;
    return -1;
}

static void grid_text(const place_decomp *d, FILE *f)
{
    int64_t n[3], lv[3];
    int dims[3];
    place_decomp_global(d, n);
    place_decomp_dims(d, dims);
    place_decomp_halo_levels(d, lv);
    int64_t faces = place_halo_faces(n, dims);
    double tot = faces > 0 ? (double)faces : 1;
    fprintf(f,
            "# grid %lldx%lldx%lld cells over %dx%dx%d ranks (%s mapping); halo %lld cells "
            "per step (both directions): %.1f%% inside NUMA nodes, %.1f%% between NUMA nodes, "
            "%.1f%% between nodes\n",
            (long long)n[0], (long long)n[1], (long long)n[2], dims[0], dims[1], dims[2],
            place_decomp_mapping(d), 2 * (long long)faces, 100.0 * lv[0] / tot, 100.0 * lv[1] / tot,
            100.0 * lv[2] / tot);
    for (int i = 0; i < place_decomp_nnotes(d); i++)
        fprintf(f, "# note: %s\n", place_decomp_note(d, i));
}

/* The reservation as the request line says it: a count per package, or auto's choice. */
static void reserved_text(const place_request *r, char *buf, size_t n)
{
    if (r->reserve_auto)
        snprintf(buf, n, "reserved cores auto (%d on the node)", r->nexclude_cores);
    else
        snprintf(buf, n, "reserved cores per package %d", r->reserve_cores);
}

int place_plan_write_text(const place_plan *p, const place_decomp *d, FILE *f, place_error *err)
{
    const place_topo *t = place_plan_topo(p);
    const place_request *r = place_plan_resolved(p);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    fprintf(
        f,
        "# topology %s: packages %d, NUMA nodes %d, cores %d, PUs %d; usable: cores %d, PUs %d\n",
        ti.source, ti.packages, ti.numa_nodes, ti.cores, ti.pus, ti.usable_cores, ti.usable_pus);
    char reserved[64];
    reserved_text(r, reserved, sizeof reserved);
    fprintf(f,
            "# request: ranks %d, nodes %d (up to %d ranks each), threads per rank %d, policy %s, "
            "PUs per core %d, %s%s\n",
            r->ranks, r->nodes, r->ranks_per_node, r->threads, place_policy_name(r->policy), r->smt,
            reserved, place_plan_oversubscribed(p) ? ", oversubscribed" : "");
    if (place_topo_devices_loaded(t)) {
        for (int k = 0; k < 2; k++) {
            int n = place_topo_ndevices(t, (place_device_kind)k);
            fprintf(f, "# %s: %d%s\n", k ? "NICs" : "GPUs", n, n ? "" : " (none found)");
            for (int i = 0; i < n; i++) {
                place_device_info dv;
                place_topo_device(t, (place_device_kind)k, i, &dv);
                char numa[16] = "several";
                if (dv.numa_os >= 0)
                    snprintf(numa, sizeof numa, "%d", dv.numa_os);
                fprintf(f, "#   %-3d %-10s %-13s %-9s NUMA %-7s PUs %s", i, dv.name, dv.pci,
                        dv.vendor, numa, dv.cpuset);
                if (k == 0 && dv.memory_numa_os >= 0)
                    fprintf(f, "; memory NUMA %d", dv.memory_numa_os);
                if (k == 1)
                    fprintf(f, "; %s%s%s", dv.runtime, dv.netdev ? " " : "",
                            dv.netdev ? dv.netdev : "");
                fputc('\n', f);
            }
        }
    }
    for (int i = 0; i < place_plan_nnotes(p); i++)
        fprintf(f, "# note: %s\n", place_plan_note(p, i));
    if (d)
        grid_text(d, f);
    fprintf(f, "# cpuset and PU numbers are OS indices (P#); cores are logical (L#)%s\n",
            d ? "; box is lo:hi per axis, hi exclusive" : "");
    /* Column widths: every node holds one of at most two node plans, so scanning the
     * first and last node's ranks sees every cpuset and NUMA list that will be printed. */
    char numa[64];
    int wn = 4, wc = 6;
    for (int pass = 0; pass < 2; pass++) {
        place_rank_info ri;
        place_plan_rank(p, pass ? r->ranks - 1 : 0, &ri, NULL);
        int node = ri.node;
        for (int i = pass ? r->ranks - 1 : 0; i >= 0 && i < r->ranks; i += pass ? -1 : 1) {
            place_plan_rank(p, i, &ri, NULL);
            if (ri.node != node)
                break;
            int n = (int)strlen(ri.cpuset);
            wc = n > wc ? n : wc;
            n = 0;
            for (int k = 0; k < ri.nnuma; k++)
                n += snprintf(NULL, 0, "%s%d", k ? "," : "", ri.numa_os[k]);
            wn = n > wn ? n : wn;
        }
    }
    if (wn > (int)sizeof numa - 8)
        wn = (int)sizeof numa - 8;
    if (d)
        fprintf(f, "%6s %5s %5s %-*s %-*s  %-12s %-30s %s\n", "rank", "node", "local", wn, "numa",
                wc, "cpuset", "coords", "box", "threads: thread=PU P#(core L#)");
    else
        fprintf(f, "%6s %5s %5s %-*s %-*s  %s\n", "rank", "node", "local", wn, "numa", wc, "cpuset",
                "threads: thread=PU P#(core L#)");
    int bad = 0;
    for (int i = 0; i < r->ranks && !bad; i++) {
        place_rank_info ri;
        place_plan_rank(p, i, &ri, NULL);
        int n = 0;
        numa[0] = '\0';
        for (int k = 0; k < ri.nnuma && n < (int)sizeof numa - 8; k++)
            n += snprintf(numa + n, sizeof numa - (size_t)n, "%s%d", k ? "," : "", ri.numa_os[k]);
        fprintf(f, "%6d %5d %5d %-*s %-*s ", ri.rank, ri.node, ri.local_rank, wn, numa, wc,
                ri.cpuset);
        if (d) {
            place_box b;
            char cs[40], bs[96];
            place_decomp_rank(d, i, &b, NULL);
            snprintf(cs, sizeof cs, "%d,%d,%d", b.coords[0], b.coords[1], b.coords[2]);
            snprintf(bs, sizeof bs, "%lld:%lld,%lld:%lld,%lld:%lld", (long long)b.lo[0],
                     (long long)b.hi[0], (long long)b.lo[1], (long long)b.hi[1], (long long)b.lo[2],
                     (long long)b.hi[2]);
            fprintf(f, " %-12s %-30s", cs, bs);
        }
        for (int k = 0; k < ri.nthreads; k++)
            fprintf(f, " %d=%d(%d)", k, ri.thread_pu_os[k], ri.thread_core_l[k]);
        if (place_plan_binds_gpus(p)) {
            fputs("  gpus:", f);
            for (int k = 0; k < ri.ngpus; k++) {
                place_device_info dv;
                place_topo_device(t, PLACE_DEVICE_GPU, ri.gpu[k], &dv);
                fprintf(f, "%s%s(%s)", k ? "," : " ", dv.name, dv.pci);
            }
            if (!ri.ngpus)
                fputs(" none", f);
        }
        if (place_plan_binds_nics(p)) {
            fputs("  nics:", f);
            for (int k = 0; k < ri.nnics; k++) {
                place_device_info dv;
                place_topo_device(t, PLACE_DEVICE_NIC, ri.nic[k], &dv);
                fprintf(f, "%s%s", k ? "," : " ", dv.name);
            }
            if (!ri.nnics)
                fputs(" none", f);
        }
        bad = fputc('\n', f) == EOF;
    }
    if (bad || fflush(f) != 0)
        return contract_write_failed(err);
    return 0;
}

/* ---- a map of the node, and a picture ----------------------------------------------- */

static const char map_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* owner[pu] for the node's ranks: local rank, -1 none, -2 several. */
static int *node_owners(const place_plan *p, int node, int *first, int *count, int *maxpu)
{
    if (place_plan_node_ranks(p, node, first, count, NULL) < 0)
        return NULL;
    const place_topo *t = place_plan_topo(p);
    int max = hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(t->h));
    *maxpu = max < 0 ? 0 : max;
    int *own = malloc(sizeof(int) * (size_t)(*maxpu + 1));
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!own || !set) {
        free(own);
        hwloc_bitmap_free(set);
        return NULL;
    }
    for (int i = 0; i <= *maxpu; i++)
        own[i] = -1;
    for (int l = 0; l < *count; l++) {
        place_rank_info ri;
        place_plan_rank(p, *first + l, &ri, NULL);
        hwloc_bitmap_list_sscanf(set, ri.cpuset);
        int pu;
        hwloc_bitmap_foreach_begin(pu, set) if (pu <= *maxpu) own[pu] = own[pu] == -1 ? l : -2;
        hwloc_bitmap_foreach_end();
    }
    hwloc_bitmap_free(set);
    return own;
}

static void map_pu(const place_topo *t, const int *own, int maxpu, hwloc_obj_t pu, char **buf,
                   size_t *len, size_t *cap)
{
    char c = 'x';
    int i = (int)pu->os_index;
    if (hwloc_bitmap_isset(t->usable, pu->os_index) && i <= maxpu)
        c = (char)(own[i] == -1 ? '.' : own[i] == -2 ? '*' : own[i] < 62 ? map_chars[own[i]] : '+');
    if (*len + 2 >= *cap) {
        *cap *= 2;
        char *b = realloc(*buf, *cap);
        if (!b)
            return;
        *buf = b;
    }
    (*buf)[(*len)++] = c;
    (*buf)[*len] = '\0';
}

static void append_text(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 >= *cap) {
        size_t nc = (*cap + n + 1) * 2;
        char *b = realloc(*buf, nc);
        if (!b)
            return;
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

int place_plan_map_text(const place_plan *p, int node, char **text, place_error *err)
{
    const place_topo *t = place_plan_topo(p);
    int first, count, maxpu;
    int *own = node_owners(p, node, &first, &count, &maxpu);
    if (!own)
        return place_error_set(err, PLACE_EINVAL, "node %d: not a node of the plan", node);
    size_t cap = 4096, len = 0;
    char *b = malloc(cap), line[256];
    if (!b) {
        free(own);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    b[0] = '\0';
    snprintf(line, sizeof line,
             "# node %d: a character per PU, a core's PUs together, cores "
             "separated by '/': the local rank owning it (0-9a-zA-Z = 0-61, + beyond), '*' "
             "several, '.' idle, 'x' not usable\n",
             node);
    append_text(&b, &len, &cap, line);
    int npk = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PACKAGE);
    for (int k = 0; k < (npk ? npk : 1); k++) {
        hwloc_obj_t pk = npk ? hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PACKAGE, (unsigned)k)
                             : hwloc_get_root_obj(t->h);
        snprintf(line, sizeof line, "%s L#%d [", npk ? "package" : "machine", k);
        append_text(&b, &len, &cap, line);
        int ncore =
            hwloc_get_nbobjs_inside_cpuset_by_type(t->h, pk->complete_cpuset, HWLOC_OBJ_CORE);
        hwloc_obj_t c = NULL, u = NULL;
        int i = 0;
        if (ncore > 0) {
            while ((c = hwloc_get_next_obj_inside_cpuset_by_type(t->h, pk->complete_cpuset,
                                                                 HWLOC_OBJ_CORE, c))) {
                if (i++)
                    append_text(&b, &len, &cap, "/");
                u = NULL;
                while ((
                    u = hwloc_get_next_obj_inside_cpuset_by_type(t->h, c->cpuset, HWLOC_OBJ_PU, u)))
                    map_pu(t, own, maxpu, u, &b, &len, &cap);
            }
        } else {
            while ((u = hwloc_get_next_obj_inside_cpuset_by_type(t->h, pk->complete_cpuset,
                                                                 HWLOC_OBJ_PU, u))) {
                if (i++)
                    append_text(&b, &len, &cap, "/");
                map_pu(t, own, maxpu, u, &b, &len, &cap);
            }
        }
        append_text(&b, &len, &cap, "]\n");
    }
    /* the node's devices and their local ranks */
    for (int l = 0; l < count && (place_plan_binds_gpus(p) || place_plan_binds_nics(p)); l++) {
        place_rank_info ri;
        place_plan_rank(p, first + l, &ri, NULL);
        snprintf(line, sizeof line, "%c:", l < 62 ? map_chars[l] : '+');
        append_text(&b, &len, &cap, line);
        for (int g = 0; g < ri.ngpus; g++) {
            place_device_info d;
            place_topo_device(t, PLACE_DEVICE_GPU, ri.gpu[g], &d);
            snprintf(line, sizeof line, " %s", d.name);
            append_text(&b, &len, &cap, line);
        }
        for (int g = 0; g < ri.nnics; g++) {
            place_device_info d;
            place_topo_device(t, PLACE_DEVICE_NIC, ri.nic[g], &d);
            snprintf(line, sizeof line, " %s", d.name);
            append_text(&b, &len, &cap, line);
        }
        append_text(&b, &len, &cap, l + 1 < count ? ";" : "\n");
        if (l + 1 < count && (l + 1) % 8 == 0)
            append_text(&b, &len, &cap, "\n");
        else if (l + 1 < count)
            append_text(&b, &len, &cap, " ");
    }
    free(own);
    *text = b;
    return 0;
}

/* 12 colours that stay apart (after Sasha Trubetskoy's list of distinct colours). */
static const char *const colours[12] = {"#e6194b", "#3cb44b", "#ffe119", "#4363d8",
                                        "#f58231", "#911eb4", "#42d4f4", "#f032e6",
                                        "#bfef45", "#fabed4", "#469990", "#dcbeff"};

static const char *const colour_names[12] = {"red",    "green",  "yellow", "blue",
                                             "orange", "purple", "cyan",   "magenta",
                                             "lime",   "pink",   "teal",   "lavender"};

const char *place_plan_rank_colour(int l)
{
    return colours[(l < 0 ? 0 : l) % 12];
}

const char *place_plan_rank_colour_name(int l)
{
    return colour_names[(l < 0 ? 0 : l) % 12];
}

/* Rank l's colour, or the shared one (l < 0); white text on a noisy PU. */
static void style(hwloc_topology_t h, hwloc_obj_t o, int l, int noisy)
{
    char v[64];
    snprintf(v, sizeof v, "Background=%s;Text=%s",
             l < 0 ? PLACE_PLAN_SHARED_COLOUR : place_plan_rank_colour(l),
             noisy ? "#ffffff" : "#000000");
    hwloc_obj_add_info(o, "lstopoStyle", v);
    (void)h;
}

/* A PU no rank runs on: reserved dark grey (noisy or not), else noisy black; white text. */
static void style_unowned(hwloc_obj_t o, int marks)
{
    char v[64];
    snprintf(v, sizeof v, "Background=%s;Text=#ffffff",
             marks & PLACE_PU_RESERVED ? PLACE_PLAN_RESERVED_COLOUR : PLACE_PLAN_NOISY_COLOUR);
    hwloc_obj_add_info(o, "lstopoStyle", v);
}

/* How many of the node's ranks hold device (kind k, index i). */
static int sharers(const place_plan *p, int first, int count, int k, int i)
{
    int n = 0;
    for (int l = 0; l < count; l++) {
        place_rank_info ri;
        place_plan_rank(p, first + l, &ri, NULL);
        for (int g = 0; g < (k ? ri.nnics : ri.ngpus); g++)
            n += (k ? ri.nic[g] : ri.gpu[g]) == i;
    }
    return n;
}

int place_plan_styled_xml(const place_plan *p, int node, char **xml, place_error *err)
{
    const place_topo *t = place_plan_topo(p);
    int first, count, maxpu;
    int *own = node_owners(p, node, &first, &count, &maxpu);
    if (!own)
        return place_error_set(err, PLACE_EINVAL, "node %d: not a node of the plan", node);
    hwloc_topology_t h;
    if (hwloc_topology_dup(&h, t->h) < 0) {
        free(own);
        return place_error_set(err, PLACE_ENOMEM, "out of memory copying the topology");
    }
    hwloc_obj_t u = NULL;
    while ((u = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_PU, u))) {
        int marks = place_plan_pu_marks(p, (int)u->os_index);
        if ((int)u->os_index <= maxpu && own[u->os_index] >= 0)
            style(h, u, own[u->os_index], marks & PLACE_PU_NOISY);
        else if (marks)
            style_unowned(u, marks);
    }
    for (int l = 0; l < count; l++) {
        place_rank_info ri;
        place_plan_rank(p, first + l, &ri, NULL);
        for (int k = 0; k < 2; k++)
            for (int g = 0; g < (k ? ri.nnics : ri.ngpus); g++) {
                place_device_info d;
                place_topo_device(t, (place_device_kind)k, k ? ri.nic[g] : ri.gpu[g], &d);
                hwloc_obj_t o = hwloc_get_pcidev_by_busidstring(h, d.pci);
                int idx = k ? ri.nic[g] : ri.gpu[g];
                if (o)
                    style(h, o, sharers(p, first, count, k, idx) > 1 ? -1 : l, 0);
            }
    }
    free(own);
    char *buf = NULL;
    int len = 0;
    int rc = hwloc_topology_export_xmlbuffer(h, &buf, &len, 0);
    if (rc == 0) {
        *xml = malloc((size_t)len + 1);
        if (*xml) {
            memcpy(*xml, buf, (size_t)len);
            (*xml)[len] = '\0';
        }
        hwloc_free_xmlbuffer(h, buf);
    }
    hwloc_topology_destroy(h);
    if (rc != 0 || !*xml)
        return place_error_set(err, PLACE_ENOMEM, "exporting the topology as XML failed");
    return 0;
}
