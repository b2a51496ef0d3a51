/* planjson.c (contract): place-plan/1, written and read in one place (docs/plan-json.md).
 *
 * Written: with jansson, one rank object at a time, so that a million-rank plan never exists
 * as a million-object tree in memory; the head (schema, topology, request, notes) is one
 * jansson object whose closing brace is replaced by the "ranks" array.
 *
 * Read: a rank's entry of a node's plan file (planfile.c writes it), untrusted input:
 * another user may have written it, or edited it since. Every value is checked before it
 * is used: integers are bounded before they are narrowed (a PU of 2^32 + 3 is refused, not
 * read as 3), the cpuset must be a CPU list, every thread's PU inside it, the box inside
 * the grid and its coordinates inside the process grid, every neighbour a rank of the job.
 * A field written above is read below under the same name. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "contract/contract_private.h"
#include "place/noiseprof.h"
#include "place/planio.h"
#include "place/rfile.h"
#include "place/runenv.h"

/* ---- writing ------------------------------------------------------------------------ */

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
        json_t *x =
            json_pack("{s:i,s:i}", "numa", t->dom[d].numa_os, "usable_cores", t->dom[d].ncores);
        if (t->dom[d].borrowed) /* cores whose own memory is missing or not allowed */
            json_object_set_new(x, "borrowed_from",
                                t->dom[d].own_os >= 0 ? json_integer(t->dom[d].own_os)
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
        json_t *ko =
            json_pack("{s:s,s:i}", "pus", t->kinds[k].pus, "efficiency", t->kinds[k].efficiency);
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
        json_object_set_new(
            o, "numa_distances",
            json_pack("{s:o,s:o}", "numa", int_array(t->dist_os, t->ndist), "matrix", m));
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
    return json_pack("{s:i,s:i,s:i,s:i,s:s,s:i,s:i,s:b,s:s}", "ranks", r->ranks, "nodes", r->nodes,
                     "ranks_per_node", r->ranks_per_node, "threads_per_rank", r->threads, "policy",
                     place_policy_name(r->policy), "smt", r->smt, "reserve_cores", r->reserve_cores,
                     "oversubscribe", r->oversubscribe, "cpu_kinds", place_kinds_name(r->kinds));
}

/* The noise profile behind the plan (--reserve-cores auto, --avoid-noisy): where it was
 * measured, the step assumed, the step predicted for each number of reserved cores and the
 * choice, and each planned or reserved PU's noise and its reasons. */
static json_t *noise_json(const place_plan *p)
{
    const place_request *r = place_plan_resolved(p);
    const place_noise_profile *nz = r->noise;
    if (!nz || !(r->reserve_auto || r->avoid_noisy))
        return NULL;
    json_t *o = json_pack("{s:s,s:s,s:f,s:f,s:b,s:b}", "host", nz->host, "measured", nz->measured,
                          "seconds", nz->seconds, "step_us",
                          r->step_us > 0 ? r->step_us : PLACE_STEP_US_DEFAULT, "reserve_auto",
                          r->reserve_auto, "avoid_noisy", r->avoid_noisy);
    if (r->nstep_us_fewer) {
        json_t *f = json_array();
        for (int j = 0; j < r->nstep_us_fewer; j++)
            json_array_append_new(f, json_real(r->step_us_fewer[j]));
        json_object_set_new(o, "step_us_fewer_cores", f);
    }
    if (p->auto_used) {
        json_t *pred = json_array(), *res = json_array();
        for (int k = 0; k < p->auto_nk; k++)
            json_array_append_new(pred, isnan(p->auto_pred[k]) ? json_null()
                                                               : json_real(p->auto_pred[k]));
        for (int i = 0; i < p->auto_nexcl; i++) {
            const place_core *c = &p->topo->cores[p->auto_excl[i]];
            for (int k = 0; k < c->npu; k++)
                json_array_append_new(res, json_integer(p->topo->pu_pool[c->pu_first + k]));
        }
        json_object_set_new(o, "predicted_step_us_by_reserved_cores", pred);
        json_object_set_new(o, "reserved_cores", json_integer(p->auto_nexcl));
        json_object_set_new(o, "reserved_pus", res);
    }
    json_t *pus = json_array();
    for (int i = 0; i < nz->npus; i++) {
        const place_noise_pu *e = &nz->pus[i];
        if (place_topo_pu_numa(p->topo, e->pu) < 0)
            continue; /* not a usable PU of this topology */
        json_array_append_new(pus, json_pack("{s:i,s:f,s:f,s:f,s:s}", "pu", e->pu, "detour_rate_hz",
                                             e->detour_rate_hz, "noise_fraction", e->noise_fraction,
                                             "len_p99_us", e->len_p99_us, "why", e->why));
    }
    json_object_set_new(o, "pus", pus);
    return o;
}

static void request_devices(json_t *o, const place_plan *p)
{
    const place_request *r = place_plan_resolved(p);
    if (!place_topo_devices_loaded(place_plan_topo(p)))
        return;
    json_object_set_new(o, "gpus_per_rank",
                        r->gpus_per_rank == PLACE_GPUS_AUTO ? json_string("auto")
                                                            : json_integer(r->gpus_per_rank));
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
        json_array_append_new(th, json_pack("{s:i,s:i,s:i}", "thread", i, "pu", ri->thread_pu_os[i],
                                            "core_l", ri->thread_core_l[i]));
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
        json_object_set_new(o, "box",
                            json_pack("{s:o,s:o}", "lo", i64_triple(b.lo), "hi", i64_triple(b.hi)));
        json_object_set_new(o, "coords", int_array(b.coords, 3));
        json_t *nb = json_array();
        for (int k = 0; k < 6; k++)
            json_array_append_new(nb,
                                  b.neighbor[k] < 0 ? json_null() : json_integer(b.neighbor[k]));
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
                     int_array(dims, 3), "halo_cells", 2 * (json_int_t)place_halo_faces(n, dims),
                     "halo_cells_by_link", "numa", 2 * (json_int_t)lv[0], "node",
                     2 * (json_int_t)lv[1], "network", 2 * (json_int_t)lv[2], "mapping",
                     place_decomp_mapping(d));
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
    json_t *nzj = noise_json(p);
    if (nzj)
        json_object_set_new(head, "noise", nzj);
    json_t *notes = json_array();
    for (int i = 0; i < place_plan_nnotes(p); i++)
        json_array_append_new(notes, json_string(place_plan_note(p, i)));
    for (int i = 0; d && i < place_decomp_nnotes(d); i++)
        json_array_append_new(notes, json_string(place_decomp_note(d, i)));
    json_object_set_new(head, "notes", notes);
    if (node >= 0)
        json_object_set_new(head, "scope",
                            json_pack("{s:s,s:i}", "ranks_of", "node", "node", node));
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
        return contract_write_failed(err);
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

/* ---- reading ------------------------------------------------------------------------ */

void place_assignment_fini(place_assignment *a)
{
    if (!a)
        return;
    free(a->cpuset);
    free(a->numa_os);
    free(a->thread_pu_os);
    free(a->gpus);
    free(a->nics);
    place_env_list_free(a->devenv, a->ndevenv);
    memset(a, 0, sizeof *a);
}

int contract_assignment_alloc(place_assignment *a, int nnuma, int nthreads, place_error *err)
{
    a->nnuma = nnuma;
    a->nthreads = nthreads;
    a->numa_os = calloc((size_t)nnuma + 1, sizeof(int));
    a->thread_pu_os = calloc((size_t)nthreads + 1, sizeof(int));
    if (!a->numa_os || !a->thread_pu_os)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    return 0;
}

static int bad(place_error *err, const char *path, const char *what)
{
    return place_error_set(err, PLACE_EINVAL,
                           "plan file '%.200s': %s; expected a plan written by "
                           "placerun (schema place-plan/1)",
                           path, what);
}

/* An integer member in [min, max]. */
static int get_int(json_t *o, const char *key, long long min, long long max, long long *out)
{
    json_t *x = json_object_get(o, key);
    if (!json_is_integer(x))
        return -1;
    long long v = json_integer_value(x);
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int get_triple(json_t *a, long long min, long long max, long long v[3])
{
    if (!json_is_array(a) || json_array_size(a) != 3)
        return -1;
    for (int i = 0; i < 3; i++) {
        json_t *x = json_array_get(a, (size_t)i);
        if (!json_is_integer(x) || json_integer_value(x) < min || json_integer_value(x) > max)
            return -1;
        v[i] = json_integer_value(x);
    }
    return 0;
}

static int read_grid(place_assignment *a, json_t *root, json_t *r, const char *path,
                     place_error *err)
{
    json_t *g = json_object_get(root, "grid");
    if (!g)
        return 0;
    long long n[3], dims[3], coords[3], lo[3], hi[3];
    json_t *box = json_object_get(r, "box"), *nb = json_object_get(r, "neighbors");
    if (get_triple(json_object_get(g, "global"), 1, INT64_MAX, n) < 0 ||
        get_triple(json_object_get(g, "dims"), 1, PLACE_MAX_RANKS, dims) < 0 ||
        dims[0] * dims[1] * dims[2] != a->size)
        return bad(err, path,
                   "grid: global or dims malformed, or dims not a factorisation of "
                   "the ranks");
    if (get_triple(json_object_get(r, "coords"), 0, PLACE_MAX_RANKS, coords) < 0 ||
        !json_is_object(box) || get_triple(json_object_get(box, "lo"), 0, INT64_MAX, lo) < 0 ||
        get_triple(json_object_get(box, "hi"), 0, INT64_MAX, hi) < 0 || !json_is_array(nb) ||
        json_array_size(nb) != 6)
        return bad(err, path, "a rank's box, coords or neighbors malformed");
    for (int i = 0; i < 3; i++) {
        if (coords[i] >= dims[i] || lo[i] >= hi[i] || hi[i] > n[i])
            return bad(err, path,
                       "a rank's box is empty or outside the grid, or its coords "
                       "outside the process grid");
        a->global[i] = n[i];
        a->dims[i] = (int)dims[i];
        a->box.coords[i] = (int)coords[i];
        a->box.lo[i] = lo[i];
        a->box.hi[i] = hi[i];
    }
    for (int i = 0; i < 6; i++) {
        json_t *x = json_array_get(nb, (size_t)i);
        if (json_is_null(x)) {
            a->box.neighbor[i] = -1;
        } else if (json_is_integer(x) && json_integer_value(x) >= 0 &&
                   json_integer_value(x) < a->size) {
            a->box.neighbor[i] = (int)json_integer_value(x);
        } else {
            return bad(err, path, "a neighbour is not a rank of the job (or null at a wall)");
        }
    }
    a->has_grid = 1;
    return 0;
}

/* The boxes of the file's ranks tile the grid: each box is the product of one interval per
 * axis, the interval of a coordinate the same in every rank that has it, the intervals of
 * consecutive coordinates adjacent (the first starting at 0, the last ending at the grid's
 * size), and no two ranks at one coordinate. With every rank in the file (a job's whole
 * plan), every coordinate must be there: the boxes cover the grid exactly once. A forged
 * plan of overlapping boxes was taken, and the solver's answer was wrong. */
static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int check_tiling(const place_assignment *a, json_t *ranks, const char *path,
                        place_error *err)
{
    size_t nr = json_array_size(ranks);
    int dmax = a->dims[0] > a->dims[1] ? a->dims[0] : a->dims[1];
    dmax = a->dims[2] > dmax ? a->dims[2] : dmax;
    long long *lo = malloc(sizeof(long long) * 3 * (size_t)dmax);
    long long *hi = malloc(sizeof(long long) * 3 * (size_t)dmax);
    long long *key = malloc(sizeof(long long) * (nr + 1));
    if (!lo || !hi || !key) {
        free(lo);
        free(hi);
        free(key);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    for (int x = 0; x < 3 * dmax; x++)
        lo[x] = hi[x] = -1;
    const char *why = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(ranks, i, r)
    {
        long long c[3], l[3], h[3];
        json_t *box = json_object_get(r, "box");
        if (get_triple(json_object_get(r, "coords"), 0, PLACE_MAX_RANKS, c) < 0 ||
            !json_is_object(box) || get_triple(json_object_get(box, "lo"), 0, INT64_MAX, l) < 0 ||
            get_triple(json_object_get(box, "hi"), 0, INT64_MAX, h) < 0) {
            why = "a rank's box or coords malformed";
            break;
        }
        for (int ax = 0; ax < 3 && !why; ax++) {
            if (c[ax] >= a->dims[ax] || l[ax] >= h[ax] || h[ax] > a->global[ax]) {
                why = "a rank's box is empty or outside the grid, or its coords outside the "
                      "process grid";
                break;
            }
            long long *pl = &lo[(size_t)ax * dmax + c[ax]], *ph = &hi[(size_t)ax * dmax + c[ax]];
            if (*pl >= 0 && (*pl != l[ax] || *ph != h[ax]))
                why = "two ranks at one coordinate of an axis have different extents there";
            *pl = l[ax];
            *ph = h[ax];
        }
        key[i] = (c[0] * a->dims[1] + c[1]) * a->dims[2] + c[2];
    }
    if (!why) { /* sorted, not pairwise: a file may hold a whole job's ranks */
        qsort(key, nr, sizeof *key, cmp_ll);
        for (size_t x = 1; !why && x < nr; x++)
            if (key[x] == key[x - 1])
                why = "two ranks at the same coordinates";
    }
    int whole = nr == (size_t)a->size;
    for (int ax = 0; ax < 3 && !why; ax++) {
        long long prev_hi = -1;
        int prev = -1;
        for (int c = 0; c < a->dims[ax] && !why; c++) {
            long long l = lo[ax * dmax + c], h = hi[ax * dmax + c];
            if (l < 0) {
                if (whole)
                    why = "the boxes leave part of the grid to no rank";
                continue;
            }
            if ((c == 0 && l != 0) || (c == a->dims[ax] - 1 && h != a->global[ax]) ||
                (prev >= 0 && (l < prev_hi || (prev == c - 1 && l != prev_hi))))
                why = "the boxes overlap or leave gaps: they do not tile the grid";
            prev = c;
            prev_hi = h;
        }
    }
    free(lo);
    free(hi);
    free(key);
    return why ? bad(err, path, why) : 0;
}

/* A PCI bus id as hwloc prints it: dddd:bb:dd.f (hex; the domain may be longer). */
static int pci_syntax(const char *s)
{
    size_t n = strlen(s);
    if (n < 12 || n > 16)
        return 0;
    size_t d = n - 8; /* ":bb:dd.f" is 8 */
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (i == d || i == d + 3) {
            if (c != ':')
                return 0;
        } else if (i == d + 6) {
            if (c != '.')
                return 0;
        } else if (i == n - 1) {
            if (c < '0' || c > '7')
                return 0;
        } else if (!hex) {
            return 0;
        }
    }
    return d >= 4;
}

/* "gpus": [{"pci": .., "sub": ..}], "nics": [{"name": ..}] into PLACE_GPUS / PLACE_NICS
 * form; absent: the plan hands none out. */
static int read_devices(place_assignment *a, json_t *r, const char *path, place_error *err)
{
    const char *keys[2] = {"gpus", "nics"};
    for (int k = 0; k < 2; k++) {
        json_t *arr = json_object_get(r, keys[k]), *x;
        if (!arr)
            continue;
        if (!json_is_array(arr) || json_array_size(arr) > 1024)
            return bad(err, path,
                       k ? "a rank's nics is not a list" : "a rank's gpus is not a list");
        size_t cap = json_array_size(arr) * 72 + 1, at = 0, i;
        char *out = malloc(cap);
        if (!out)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        out[0] = '\0';
        json_array_foreach(arr, i, x)
        {
            const char *v = json_string_value(json_object_get(x, k ? "name" : "pci"));
            long long sub = -1;
            json_t *js = k ? NULL : json_object_get(x, "sub");
            if (!v || !(k ? place_device_name_ok(v) : pci_syntax(v)) ||
                (js && !json_is_null(js) && get_int(x, "sub", 0, 65535, &sub) < 0)) {
                free(out);
                return bad(err, path,
                           k ? "a NIC's name is missing or not a device name"
                             : "a GPU's pci is missing or not a PCI bus id (dddd:bb:dd.f)");
            }
            if (sub >= 0)
                at += (size_t)snprintf(out + at, cap - at, "%s%s/%lld", i ? "," : "", v, sub);
            else
                at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? "," : "", v);
        }
        if (k)
            a->nics = out;
        else
            a->gpus = out;
    }
    return 0;
}

static int read_rank(place_assignment *a, json_t *root, json_t *r, const char *path,
                     place_error *err)
{
    long long node, lr, v;
    json_t *cs = json_object_get(r, "cpuset"), *numa = json_object_get(r, "numa"),
           *threads = json_object_get(r, "threads");
    if (get_int(r, "node", 0, PLACE_MAX_RANKS, &node) < 0 ||
        get_int(r, "local_rank", 0, a->local_size - 1, &lr) < 0)
        return bad(err, path, "a rank entry's node or local_rank is missing or out of range");
    int bad_index = 0;
    if (!json_is_string(cs) || !place_cpulist_syntax(json_string_value(cs), &bad_index))
        return bad(err, path,
                   "a rank entry's cpuset is missing or not a CPU list (OS PU "
                   "indices like 0-3,8)");
    if (!json_is_array(numa) || json_array_size(numa) > PLACE_MAX_PU_INDEX ||
        !json_is_array(threads) || json_array_size(threads) < 1 ||
        json_array_size(threads) > PLACE_MAX_PU_INDEX + 1)
        return bad(err, path, "a rank entry's numa or threads list is missing");
    a->node = (int)node;
    a->local_rank = (int)lr;
    a->cpuset = place_strdup(json_string_value(cs));
    if (!a->cpuset || contract_assignment_alloc(a, (int)json_array_size(numa),
                                                (int)json_array_size(threads), err) < 0)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    size_t i;
    json_t *x;
    json_array_foreach(numa, i, x)
    {
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            json_integer_value(x) > PLACE_MAX_PU_INDEX)
            return bad(err, path, "a NUMA node is not a whole number from 0 to 65535");
        a->numa_os[i] = (int)json_integer_value(x);
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set || hwloc_bitmap_list_sscanf(set, a->cpuset) < 0) {
        hwloc_bitmap_free(set);
        return bad(err, path, "a rank entry's cpuset is not a CPU list");
    }
    int rc = 0;
    json_array_foreach(threads, i, x)
    {
        if (get_int(x, "pu", 0, PLACE_MAX_PU_INDEX, &v) < 0 ||
            !hwloc_bitmap_isset(set, (unsigned)v)) {
            rc = bad(err, path, "a thread's pu is missing or outside its rank's cpuset");
            break;
        }
        a->thread_pu_os[i] = (int)v;
    }
    hwloc_bitmap_free(set);
    if (rc < 0 || read_devices(a, r, path, err) < 0)
        return -1;
    return read_grid(a, root, r, path, err);
}

int place_assignment_load(place_assignment *a, const char *path, int rank, place_error *err)
{
    return place_assignment_load_job(a, path, rank, -1, -1, -1, err);
}

/* When ranks do not sit on nodes in blocks, placerun's file is the node's own plan, its
 * ranks numbered 0 .. local_size - 1 (request.ranks = local_size < job_size): then the
 * entry is the local rank's, and rank and size are the job's. */
int place_assignment_load_job(place_assignment *a, const char *path, int rank, int local_rank,
                              int local_size, int job_size, place_error *err)
{
    memset(a, 0, sizeof *a);
    json_error_t je;
    /* a regular file of a plan's size, read without blocking (a FIFO at PLACE_PLAN hung
     * the solver; a file of 300 MB was read whole) */
    char *text = NULL;
    size_t tlen = 0;
    if (place_read_file("plan file", path, PLACE_PLAN_FILE_MAX_BYTES, &text, &tlen, err) < 0)
        return -1;
    json_t *root = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root)
        return place_error_set(err, PLACE_EINVAL,
                               "plan file '%.200s': %s (line %d); expected a "
                               "plan written by placerun",
                               path, je.text, je.line);
    int rc = -1;
    const char *schema = NULL;
    json_t *ranks = NULL, *req = NULL;
    long long size;
    if (json_unpack(root, "{s:s,s:o,s:o}", "schema", &schema, "ranks", &ranks, "request", &req) ||
        strcmp(schema, PLACE_PLAN_SCHEMA) || !json_is_array(ranks) || json_array_size(ranks) < 1) {
        bad(err, path, "no place-plan/1 schema, request or ranks");
        goto out;
    }
    if (get_int(req, "ranks", 1, PLACE_MAX_RANKS, &size) < 0 ||
        json_array_size(ranks) > (size_t)size) {
        bad(err, path, "request.ranks is missing, out of range, or fewer than the entries");
        goto out;
    }
    int local = job_size > size && local_size == size && local_rank >= 0 && local_rank < size;
    int job_rank = rank;
    if (local)
        rank = local_rank;
    if (rank < 0 || rank >= size) {
        place_error_set(err, PLACE_EINVAL, "rank %d: the plan file '%.200s' is for ranks 0 to %lld",
                        rank, path, size - 1);
        goto out;
    }
    a->size = (int)size;
    size_t i;
    json_t *r = NULL;
    json_array_foreach(ranks, i, r)
    {
        long long rr;
        if (get_int(r, "rank", 0, size - 1, &rr) < 0) {
            bad(err, path, "a rank entry's rank is missing or out of range");
            goto out;
        }
        if (rr == rank)
            break;
    }
    if (i == json_array_size(ranks)) {
        place_error_set(err, PLACE_EINVAL,
                        "plan file '%.200s' has no entry for rank %d (it holds "
                        "%zu ranks of this node)",
                        path, rank, json_array_size(ranks));
        goto out;
    }
    a->rank = rank;
    a->local_size = (int)json_array_size(ranks);
    rc = read_rank(a, root, r, path, err);
    if (rc == 0 && a->has_grid)
        rc = check_tiling(a, ranks, path, err);
    if (rc == 0 && local) {
        if (a->has_grid) {
            rc = bad(err, path, "a node's own plan (ranks numbered on the node) carries a grid");
        } else {
            a->rank = job_rank;
            a->size = job_size;
        }
    }
out:
    if (rc)
        place_assignment_fini(a);
    json_decref(root);
    return rc;
}
