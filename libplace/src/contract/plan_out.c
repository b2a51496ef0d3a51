/* plan_out.c: writing a plan as "place-plan/1" JSON or as a text map.
 *
 * JSON is produced with jansson, one rank object at a time, so that a million-rank plan
 * never exists as a million-object tree in memory. The head (schema, topology, request,
 * notes) is one jansson object whose closing brace is replaced by the "ranks" array.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include "contract/contract_private.h"
#include "place/planio.h"
#include "place/runenv.h"

static json_t *int_or_null(int v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* A GPU or NIC as the plan JSON shows it (docs/plan-json.md). */
static json_t *device_json(const place_topo *t, place_device_kind k, int i, int full)
{
    place_device_info d;
    if (place_topo_device(t, k, i, &d) < 0)
        return json_null();
    json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "pci", d.pci, "name", d.name, "vendor", d.vendor,
                          "numa", int_or_null(d.numa_os));
    if (k == PLACE_DEVICE_GPU) {
        json_object_set_new(o, "index", json_integer(d.index));
        if (d.sub >= 0)
            json_object_set_new(o, "sub", json_integer(d.sub));
        json_object_set_new(o, "runtime", json_string(d.runtime));
        json_object_set_new(o, "memory_numa", int_or_null(d.memory_numa_os));
    } else {
        json_object_set_new(o, "type", json_string(d.runtime));
        json_object_set_new(o, "netdev", d.netdev ? json_string(d.netdev) : json_null());
    }
    if (full) {
        json_object_set_new(o, "cpuset", json_string(d.cpuset));
        json_object_set_new(o, "os_devices", json_string(d.osdevs));
        if (d.uuid)
            json_object_set_new(o, "uuid", json_string(d.uuid));
        if (k == PLACE_DEVICE_GPU && !d.index_from_runtime)
            json_object_set_new(o, "index_from", json_string("pci-order"));
        if (k == PLACE_DEVICE_GPU && d.memory_by_order)
            json_object_set_new(o, "memory_numa_from", json_string("order"));
        if (k == PLACE_DEVICE_NIC)
            json_object_set_new(o, "high_speed", json_boolean(d.high_speed));
    }
    return o;
}

static json_t *int_array(const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *topology_json(const place_topo *t)
{
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string(ti.source));
    json_object_set_new(o, "packages", json_integer(ti.packages));
    json_object_set_new(o, "numa_nodes", json_integer(ti.numa_nodes));
    json_object_set_new(o, "cores", json_integer(ti.cores));
    json_object_set_new(o, "pus", json_integer(ti.pus));
    json_object_set_new(o, "usable_cores", json_integer(ti.usable_cores));
    json_object_set_new(o, "usable_pus", json_integer(ti.usable_pus));
    json_object_set_new(o, "max_pus_per_core", json_integer(ti.max_pus_per_core));
    json_t *dom = json_array();
    for (int d = 0; d < t->ndom; d++) {
        json_t *x = json_pack("{s:i,s:i}", "numa", t->dom[d].numa_os, "usable_cores",
                              t->dom[d].ncores);
        if (t->dom[d].borrowed) /* cores whose own memory is missing or not allowed */
            json_object_set_new(x, "borrowed_from", t->dom[d].own_os >= 0
                                                        ? json_integer(t->dom[d].own_os)
                                                        : json_string("none"));
        json_array_append_new(dom, x);
    }
    json_object_set_new(o, "numa_domains", dom);
    json_object_set_new(o, "memory_only_numa", int_array(t->memonly_os, t->nmemonly));
    json_object_set_new(o, "device_memory_numa", int_array(t->devmem_os, t->ndevmem));
    json_object_set_new(o, "disallowed_numa", json_string(t->nomem_s ? t->nomem_s : ""));
    json_object_set_new(o, "offline_pus", json_string(t->offline_s));
    json_object_set_new(o, "disallowed_pus", json_string(t->disallowed_s));
    json_object_set_new(o, "unbound_pus", json_string(place_topo_unbound_pus(t)));
    json_t *kinds = json_array();
    for (int k = 0; k < t->nkinds; k++) {
        json_t *ko = json_pack("{s:s,s:i}", "pus", t->kinds[k].pus, "efficiency",
                               t->kinds[k].efficiency);
        if (t->kinds[k].core_type)
            json_object_set_new(ko, "core_type", json_string(t->kinds[k].core_type));
        json_array_append_new(kinds, ko);
    }
    json_object_set_new(o, "cpukinds", kinds);
    if (t->ndist) {
        json_t *m = json_array();
        for (int i = 0; i < t->ndist; i++) {
            json_t *row = json_array();
            for (int j = 0; j < t->ndist; j++)
                json_array_append_new(row, json_integer((json_int_t)t->dist[i * t->ndist + j]));
            json_array_append_new(m, row);
        }
        json_object_set_new(o, "numa_distances", json_pack("{s:o,s:o}", "numa",
                                                           int_array(t->dist_os, t->ndist),
                                                           "matrix", m));
    } else {
        json_object_set_new(o, "numa_distances", json_null());
    }
    if (place_topo_devices_loaded(t)) {
        json_t *dev = json_object(), *g = json_array(), *n = json_array();
        for (int i = 0; i < place_topo_ndevices(t, PLACE_DEVICE_GPU); i++)
            json_array_append_new(g, device_json(t, PLACE_DEVICE_GPU, i, 1));
        for (int i = 0; i < place_topo_ndevices(t, PLACE_DEVICE_NIC); i++)
            json_array_append_new(n, device_json(t, PLACE_DEVICE_NIC, i, 1));
        json_object_set_new(dev, "gpus", g);
        json_object_set_new(dev, "nics", n);
        json_object_set_new(o, "devices", dev);
    }
    return o;
}

static json_t *request_json(const place_plan *p)
{
    const place_request *r = place_plan_resolved(p);
    return json_pack("{s:i,s:i,s:i,s:i,s:s,s:i,s:i,s:b,s:s}", "ranks", r->ranks, "nodes",
                     r->nodes, "ranks_per_node", r->ranks_per_node, "threads_per_rank",
                     r->threads, "policy", place_policy_name(r->policy), "smt", r->smt,
                     "reserve_cores", r->reserve_cores, "oversubscribe", r->oversubscribe,
                     "cpu_kinds", place_kinds_name(r->kinds));
}

static void request_devices(json_t *o, const place_plan *p)
{
    const place_request *r = place_plan_resolved(p);
    if (!place_topo_devices_loaded(place_plan_topo(p)))
        return;
    json_object_set_new(o, "gpus_per_rank", r->gpus_per_rank == PLACE_GPUS_AUTO
                                                ? json_string("auto") : json_integer(r->gpus_per_rank));
    static const char *const binds[] = {"closest", "none", "map"};
    json_object_set_new(o, "gpu_bind", json_string(binds[r->gpu_bind]));
    if (r->gpu_map)
        json_object_set_new(o, "gpu_map", json_string(r->gpu_map));
    static const char *const nics[] = {"none", "auto", "list"};
    json_object_set_new(o, "nics", json_string(nics[r->nics]));
    if (r->nic_list)
        json_object_set_new(o, "nic_list", json_string(r->nic_list));
    if (r->gpu_scope_from)
        json_object_set_new(o, "gpu_scope", json_string(r->gpu_scope_from));
}

static json_t *i64_triple(const int64_t *v)
{
    return json_pack("[I,I,I]", (json_int_t)v[0], (json_int_t)v[1], (json_int_t)v[2]);
}

static json_t *rank_json(const place_plan *p, const place_rank_info *ri, const place_decomp *d)
{
    json_t *th = json_array();
    for (int i = 0; i < ri->nthreads; i++)
        json_array_append_new(th, json_pack("{s:i,s:i,s:i}", "thread", i, "pu",
                                            ri->thread_pu_os[i], "core_l", ri->thread_core_l[i]));
    json_t *o = json_pack("{s:i,s:i,s:i,s:s,s:o,s:o}", "rank", ri->rank, "node", ri->node,
                          "local_rank", ri->local_rank, "cpuset", ri->cpuset, "numa",
                          int_array(ri->numa_os, ri->nnuma), "threads", th);
    const place_topo *t = place_plan_topo(p);
    if (place_plan_binds_gpus(p)) {
        json_t *g = json_array();
        for (int i = 0; i < ri->ngpus; i++)
            json_array_append_new(g, device_json(t, PLACE_DEVICE_GPU, ri->gpu[i], 0));
        json_object_set_new(o, "gpus", g);
    }
    if (place_plan_binds_nics(p)) {
        json_t *n = json_array();
        for (int i = 0; i < ri->nnics; i++)
            json_array_append_new(n, device_json(t, PLACE_DEVICE_NIC, ri->nic[i], 0));
        json_object_set_new(o, "nics", n);
    }
    char **env = NULL;
    int nenv = 0;
    if (place_topo_devices_loaded(t) && place_plan_rank_env(p, ri->rank, &env, &nenv, NULL) == 0) {
        json_t *e = json_object();
        for (int i = 0; i < nenv; i++) {
            char *eq = strchr(env[i], '=');
            *eq = '\0';
            json_object_set_new(e, env[i], json_string(eq + 1));
        }
        json_object_set_new(o, "env", e);
        place_env_list_free(env, nenv);
    }
    if (d) {
        place_box b;
        place_decomp_rank(d, ri->rank, &b, NULL);
        json_object_set_new(o, "box", json_pack("{s:o,s:o}", "lo", i64_triple(b.lo), "hi",
                                                i64_triple(b.hi)));
        json_object_set_new(o, "coords", int_array(b.coords, 3));
        json_t *nb = json_array();
        for (int k = 0; k < 6; k++)
            json_array_append_new(nb, b.neighbor[k] < 0 ? json_null() : json_integer(b.neighbor[k]));
        json_object_set_new(o, "neighbors", nb);
    }
    return o;
}

static json_t *grid_json(const place_decomp *d, const int64_t n[3])
{
    int dims[3];
    int64_t lv[3];
    place_decomp_dims(d, dims);
    place_decomp_halo_levels(d, lv);
    return json_pack("{s:o,s:o,s:I,s:{s:I,s:I,s:I},s:s}", "global", i64_triple(n), "dims",
                     int_array(dims, 3), "halo_cells", (json_int_t)(2 * place_halo_faces(n, dims)),
                     "halo_cells_by_link", "numa", (json_int_t)(2 * lv[0]), "node",
                     (json_int_t)(2 * lv[1]), "network", (json_int_t)(2 * lv[2]), "mapping",
                     place_decomp_mapping(d));
}

static int dump_failed(place_error *err)
{
    int e = errno;
    place_error_set(err, PLACE_ESYS, "writing the plan failed: %s", strerror(e));
    if (err)
        err->sys_errno = e;
    return -1;
}

/* Writes ranks [first, first + count) after the head. */
static int write_json_range(const place_plan *p, const place_decomp *d, FILE *f, int first,
                            int count, int node, place_error *err)
{
    json_t *head = json_object();
    json_object_set_new(head, "schema", json_string(PLACE_PLAN_SCHEMA));
    json_object_set_new(head, "topology", topology_json(place_plan_topo(p)));
    json_t *rq = request_json(p);
    request_devices(rq, p);
    json_object_set_new(head, "request", rq);
    if (d) {
        int64_t n[3];
        place_decomp_global(d, n);
        json_object_set_new(head, "grid", grid_json(d, n));
    }
    json_object_set_new(head, "oversubscribed", json_boolean(place_plan_oversubscribed(p)));
    json_t *notes = json_array();
    for (int i = 0; i < place_plan_nnotes(p); i++)
        json_array_append_new(notes, json_string(place_plan_note(p, i)));
    for (int i = 0; d && i < place_decomp_nnotes(d); i++)
        json_array_append_new(notes, json_string(place_decomp_note(d, i)));
    json_object_set_new(head, "notes", notes);
    if (node >= 0)
        json_object_set_new(head, "scope", json_pack("{s:s,s:i}", "ranks_of", "node", "node", node));
    char *s = json_dumps(head, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(head);
    if (!s)
        return place_error_set(err, PLACE_ENOMEM, "out of memory writing the plan");
    size_t n = strlen(s);
    s[n - 1] = '\0'; /* drop the closing brace: "ranks" follows */
    int bad = fputs(s, f) < 0 || fputs(",\"ranks\":[\n", f) < 0;
    free(s);
    for (int i = first; i < first + count && !bad; i++) {
        place_rank_info ri;
        place_plan_rank(p, i, &ri, NULL);
        json_t *o = rank_json(p, &ri, d);
        bad = json_dumpf(o, f, JSON_PRESERVE_ORDER | JSON_COMPACT) < 0 ||
              fputs(i + 1 < first + count ? ",\n" : "\n", f) < 0;
        json_decref(o);
    }
    if (bad || fputs("]}\n", f) < 0 || fflush(f) != 0)
        return dump_failed(err);
    return 0;
}

int place_plan_write_json(const place_plan *p, const place_decomp *d, FILE *f, place_error *err)
{
    return write_json_range(p, d, f, 0, place_plan_resolved(p)->ranks, -1, err);
}

int place_plan_write_node_json(const place_plan *p, const place_decomp *d, int node, FILE *f,
                               place_error *err)
{
    int first, count;
    if (place_plan_node_ranks(p, node, &first, &count, err) < 0)
        return -1;
    return write_json_range(p, d, f, first, count, node, err);
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
    fprintf(f, "# grid %lldx%lldx%lld cells over %dx%dx%d ranks (%s mapping); halo %lld cells "
               "per step (both directions): %.1f%% inside NUMA nodes, %.1f%% between NUMA nodes, "
               "%.1f%% between nodes\n",
            (long long)n[0], (long long)n[1], (long long)n[2], dims[0], dims[1], dims[2],
            place_decomp_mapping(d), (long long)(2 * faces), 100.0 * lv[0] / tot,
            100.0 * lv[1] / tot, 100.0 * lv[2] / tot);
    for (int i = 0; i < place_decomp_nnotes(d); i++)
        fprintf(f, "# note: %s\n", place_decomp_note(d, i));
}

int place_plan_write_text(const place_plan *p, const place_decomp *d, FILE *f, place_error *err)
{
    const place_topo *t = place_plan_topo(p);
    const place_request *r = place_plan_resolved(p);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    fprintf(f, "# topology %s: packages %d, NUMA nodes %d, cores %d, PUs %d; usable: cores %d, PUs %d\n",
            ti.source, ti.packages, ti.numa_nodes, ti.cores, ti.pus, ti.usable_cores, ti.usable_pus);
    fprintf(f, "# request: ranks %d, nodes %d (up to %d ranks each), threads per rank %d, policy %s, "
               "PUs per core %d, reserved cores per package %d%s\n",
            r->ranks, r->nodes, r->ranks_per_node, r->threads,
            place_policy_name(r->policy), r->smt, r->reserve_cores,
            place_plan_oversubscribed(p) ? ", oversubscribed" : "");
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
                fprintf(f, "#   %-3d %-10s %-13s %-9s NUMA %-7s PUs %s", i, dv.name, dv.pci, dv.vendor,
                        numa, dv.cpuset);
                if (k == 0 && dv.memory_numa_os >= 0)
                    fprintf(f, "; memory NUMA %d", dv.memory_numa_os);
                if (k == 1)
                    fprintf(f, "; %s%s%s", dv.runtime, dv.netdev ? " " : "", dv.netdev ? dv.netdev : "");
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
        fprintf(f, "%6s %5s %5s %-*s %-*s  %s\n", "rank", "node", "local", wn, "numa", wc,
                "cpuset", "threads: thread=PU P#(core L#)");
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
                     (long long)b.hi[0], (long long)b.lo[1], (long long)b.hi[1],
                     (long long)b.lo[2], (long long)b.hi[2]);
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
        return dump_failed(err);
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
        hwloc_bitmap_foreach_begin(pu, set)
            if (pu <= *maxpu)
                own[pu] = own[pu] == -1 ? l : -2;
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
        c = own[i] == -1 ? '.' : own[i] == -2 ? '*' : own[i] < 62 ? map_chars[own[i]] : '+';
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
    snprintf(line, sizeof line, "# node %d: a character per PU, a core's PUs together, cores "
             "separated by '/': the local rank owning it (0-9a-zA-Z = 0-61, + beyond), '*' "
             "several, '.' idle, 'x' not usable\n", node);
    append_text(&b, &len, &cap, line);
    int npk = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PACKAGE);
    for (int k = 0; k < (npk ? npk : 1); k++) {
        hwloc_obj_t pk = npk ? hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PACKAGE, (unsigned)k)
                             : hwloc_get_root_obj(t->h);
        snprintf(line, sizeof line, "%s L#%d [", npk ? "package" : "machine", k);
        append_text(&b, &len, &cap, line);
        int ncore = hwloc_get_nbobjs_inside_cpuset_by_type(t->h, pk->complete_cpuset, HWLOC_OBJ_CORE);
        hwloc_obj_t c = NULL, u = NULL;
        int i = 0;
        if (ncore > 0) {
            while ((c = hwloc_get_next_obj_inside_cpuset_by_type(t->h, pk->complete_cpuset, HWLOC_OBJ_CORE, c))) {
                if (i++)
                    append_text(&b, &len, &cap, "/");
                u = NULL;
                while ((u = hwloc_get_next_obj_inside_cpuset_by_type(t->h, c->cpuset, HWLOC_OBJ_PU, u)))
                    map_pu(t, own, maxpu, u, &b, &len, &cap);
            }
        } else {
            while ((u = hwloc_get_next_obj_inside_cpuset_by_type(t->h, pk->complete_cpuset, HWLOC_OBJ_PU, u))) {
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
static const char *const colours[12] = {"#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231",
                                        "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4",
                                        "#469990", "#dcbeff"};

static const char *const colour_names[12] = {"red", "green", "yellow", "blue", "orange",
                                             "purple", "cyan", "magenta", "lime", "pink",
                                             "teal", "lavender"};

const char *place_plan_rank_colour(int l)
{
    return colours[(l < 0 ? 0 : l) % 12];
}

const char *place_plan_rank_colour_name(int l)
{
    return colour_names[(l < 0 ? 0 : l) % 12];
}

/* Rank l's colour, or the shared one (l < 0). */
static void style(hwloc_topology_t h, hwloc_obj_t o, int l)
{
    char v[64];
    snprintf(v, sizeof v, "Background=%s;Text=#000000",
             l < 0 ? PLACE_PLAN_SHARED_COLOUR : place_plan_rank_colour(l));
    hwloc_obj_add_info(o, "lstopoStyle", v);
    (void)h;
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
    while ((u = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_PU, u)))
        if ((int)u->os_index <= maxpu && own[u->os_index] >= 0)
            style(h, u, own[u->os_index]);
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
                    style(h, o, sharers(p, first, count, k, idx) > 1 ? -1 : l);
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
