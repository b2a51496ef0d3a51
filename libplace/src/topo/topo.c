/* topo.c: loading a machine with hwloc and flattening it for placement.
 *
 * hwloc gives a tree; placement needs tables: which cores may be used, which PUs each
 * has, and which NUMA node is each core's local memory. The "domain" of a core is the
 * first NUMA node attached to its nearest ancestor that has memory attached; when
 * several nodes hang there (DDR and HBM on one package, say), the one without a subtype
 * comes first and the others count as memory-only: they are no core's local node, so
 * they must not attract ranks of their own.
 *
 * Disallowed PUs (cgroups, Slurm, --allowed) are loaded too (INCLUDE_DISALLOWED) so that
 * the plan can say what it left out instead of silently not seeing it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "topo/topo_private.h"

static void derived_free(place_topo *t)
{
    free(t->cores);
    free(t->pu_pool);
    free(t->dom);
    free(t->memonly_os);
    free(t->offline_s);
    free(t->disallowed_s);
    free(t->devmem_os);
    free(t->nomem_s);
    t->devmem_os = NULL;
    t->nomem_s = NULL;
    t->ndevmem = 0;
    t->cores = NULL;
    t->pu_pool = NULL;
    t->dom = NULL;
    t->memonly_os = NULL;
    t->offline_s = t->disallowed_s = NULL;
}

void place_topo_free(place_topo *t)
{
    if (!t)
        return;
    derived_free(t);
    free(t->unbound_s);
    for (int k = 0; k < t->nkinds; k++)
        free(t->kinds[k].pus);
    free(t->kinds);
    free(t->dist_os);
    free(t->dist);
    place_devices_free(t);
    if (t->usable)
        hwloc_bitmap_free(t->usable);
    if (t->h)
        hwloc_topology_destroy(t->h);
    free(t->source);
    free(t->cache_note);
    free(t);
}

/* The NUMA node a core's memory accesses go to first: see the file comment. */
static hwloc_obj_t primary_numa(hwloc_obj_t o)
{
    for (; o; o = o->parent) {
        if (o->memory_arity == 0)
            continue;
        hwloc_obj_t best = NULL;
        for (hwloc_obj_t m = o->memory_first_child; m; m = m->next_sibling) {
            hwloc_obj_t n = m;
            while (n && n->type != HWLOC_OBJ_NUMANODE)
                n = n->memory_first_child; /* through memory-side caches */
            if (!n)
                continue;
            if (!best || (best->subtype && !n->subtype))
                best = n;
        }
        if (best)
            return best;
    }
    return NULL;
}

/* A core's PUs in logical order, from its subtree: a scan of every PU inside the core's
 * cpuset (hwloc_get_next_obj_inside_cpuset_by_type) made loading quadratic in the PUs
 * (measured: 8,192 PUs 5.2 s, 16,384 over a minute). */
static void core_pus(place_topo *t, hwloc_obj_t o, int *np, int *npu)
{
    if (o->type == HWLOC_OBJ_PU) {
        if (hwloc_bitmap_isset(t->usable, o->os_index))
            t->pu_pool[(*np)++] = (int)o->os_index;
        (*npu)++;
        return;
    }
    for (hwloc_obj_t ch = o->first_child; ch; ch = ch->next_sibling)
        core_pus(t, ch, np, npu);
}

static int cmp_core(const void *a, const void *b)
{
    const place_core *x = a, *y = b;
    if (x->domain != y->domain)
        return x->domain - y->domain;
    return x->core_l - y->core_l;
}

/* The allowed NUMA node a core takes memory from when its own is missing (a topology
 * written inside a cgroup whose cpuset.mems excludes it) or not allowed: by the distance
 * matrix from its own node when both are known, else the first allowed node local to the
 * nearest ancestor that has one, else the first allowed node. NULL if none is allowed. */
static hwloc_obj_t nearest_allowed_numa(hwloc_topology_t h, hwloc_obj_t core, hwloc_obj_t own,
                                        const place_topo *t)
{
    hwloc_const_nodeset_t mems = hwloc_topology_get_allowed_nodeset(h);
    int n = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
    if (own && t->ndist) {
        int row = -1;
        for (int i = 0; i < t->ndist; i++)
            row = t->dist_os[i] == (int)own->os_index ? i : row;
        hwloc_obj_t best = NULL;
        unsigned long long bd = 0;
        for (int j = 0; row >= 0 && j < t->ndist; j++) {
            hwloc_obj_t m = hwloc_get_numanode_obj_by_os_index(h, (unsigned)t->dist_os[j]);
            unsigned long long dv = t->dist[(size_t)row * (size_t)t->ndist + (size_t)j];
            if (m && hwloc_bitmap_isset(mems, m->os_index) && (!best || dv < bd)) {
                best = m;
                bd = dv;
            }
        }
        if (best)
            return best;
    }
    for (hwloc_obj_t a = core->parent; a; a = a->parent)
        for (int i = 0; i < n; i++) {
            hwloc_obj_t m = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
            if (hwloc_bitmap_isset(mems, m->os_index) && m->cpuset &&
                hwloc_bitmap_intersects(m->cpuset, a->cpuset) && !hwloc_bitmap_iszero(m->cpuset))
                return m;
        }
    for (int i = 0; i < n; i++) {
        hwloc_obj_t m = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (hwloc_bitmap_isset(mems, m->os_index))
            return m;
    }
    return NULL;
}

/* Renumbers the domains in the order of their first core's logical index. */
static void sort_domains(place_topo *t)
{
    int *minc = malloc(sizeof(int) * (size_t)(t->ndom + 1));
    int *order = malloc(sizeof(int) * (size_t)(t->ndom + 1));
    int *newof = malloc(sizeof(int) * (size_t)(t->ndom + 1));
    place_domain *nd = malloc(sizeof(place_domain) * (size_t)(t->ndom + 1));
    if (!minc || !order || !newof || !nd)
        goto out;
    for (int d = 0; d < t->ndom; d++) {
        minc[d] = INT_MAX;
        order[d] = d;
    }
    for (int i = 0; i < t->ncores; i++)
        if (t->cores[i].core_l < minc[t->cores[i].domain])
            minc[t->cores[i].domain] = t->cores[i].core_l;
    for (int i = 1; i < t->ndom; i++) /* insertion sort: a few domains */
        for (int j = i; j > 0 && minc[order[j]] < minc[order[j - 1]]; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    for (int k = 0; k < t->ndom; k++) {
        nd[k] = t->dom[order[k]];
        newof[order[k]] = k;
    }
    memcpy(t->dom, nd, sizeof(place_domain) * (size_t)t->ndom);
    for (int i = 0; i < t->ncores; i++)
        t->cores[i].domain = newof[t->cores[i].domain];
out:
    free(minc);
    free(order);
    free(newof);
    free(nd);
}

/* The domains of the usable cores (derive's second half): allowed primary NUMA nodes
 * that kept usable cores, in logical order, then one per group of cores that borrow memory
 * (keyed by their own node, else their package); memory-only, device-memory and excluded
 * NUMA nodes listed. own_l / borrow_l: per core, its own node and the node it borrows
 * (-1: its own; -2: no allowed node at all). Sets *stranded to a core without memory. */
static int build_domains(place_topo *t, const char *is_primary, int *dom_of_numa, const int *own_l,
                         const int *borrow_l, int *stranded, place_error *err)
{
    hwloc_topology_t h = t->h;
    int nc = t->ncores;
    hwloc_const_nodeset_t mems = hwloc_topology_get_allowed_nodeset(h);
    /* Domains: allowed primary NUMA nodes that kept usable cores, in logical order, then
     * one per group of cores that borrow memory (keyed by their own node, else their
     * package). A topology without NUMA objects (some XML files) gets one domain, node 0. */
    size_t cap = (size_t)t->nnuma + (size_t)t->npackages + 2;
    t->dom = calloc(cap, sizeof *t->dom);
    t->memonly_os = calloc((size_t)t->nnuma + 1, sizeof(int));
    t->devmem_os = calloc((size_t)t->nnuma + 1, sizeof(int));
    hwloc_bitmap_t nomem = hwloc_bitmap_alloc();
    if (!t->dom || !t->memonly_os || !t->devmem_os || !nomem) {
        hwloc_bitmap_free(nomem);
        return place_error_set(err, PLACE_ENOMEM, "out of memory while reading the topology");
    }
    t->ndom = 0;
    t->nmemonly = 0;
    t->ndevmem = 0;
    for (int i = 0; i < t->nnuma; i++) {
        hwloc_obj_t n = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (!hwloc_bitmap_isset(mems, n->os_index)) {
            hwloc_bitmap_set(nomem, n->os_index);
            continue;
        }
        if (!is_primary[i]) {
            if (n->subtype && !strcmp(n->subtype, "GPUMemory"))
                t->devmem_os[t->ndevmem++] = (int)n->os_index;
            else
                t->memonly_os[t->nmemonly++] = (int)n->os_index;
            continue;
        }
        if (dom_of_numa[i] < 0)
            continue;
        dom_of_numa[i] = t->ndom;
        t->dom[t->ndom].numa_os = (int)n->os_index;
        t->dom[t->ndom].numa_l = i;
        t->dom[t->ndom].own_os = (int)n->os_index;
        t->ndom++;
    }
    t->nomem_s = place_bitmap_list(nomem);
    hwloc_bitmap_free(nomem);
    if (t->nnuma == 0 && nc > 0) {
        t->dom[0].numa_os = 0;
        t->ndom = 1;
    }
    *stranded = -1;
    for (int i = 0; i < nc; i++) {
        place_core *pc = &t->cores[i];
        if (t->nnuma == 0) {
            pc->domain = 0;
            continue;
        }
        if (borrow_l[i] == -1) {
            pc->domain = dom_of_numa[own_l[i]];
            continue;
        }
        if (borrow_l[i] == -2) { /* no allowed memory anywhere */
            if (*stranded < 0)
                *stranded = pc->core_l;
            pc->domain = 0;
            continue;
        }
        /* a borrowed domain: cores of one own node (or one package when unknown) */
        int own_os =
            own_l[i] >= 0
                ? (int)hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)own_l[i])->os_index
                : -1;
        int d = 0;
        for (; d < t->ndom; d++)
            if (t->dom[d].borrowed && t->dom[d].numa_l == borrow_l[i] &&
                (own_os >= 0 ? t->dom[d].own_os == own_os
                             : t->dom[d].own_os < 0 && t->dom[d].first_core == pc->package_l))
                break;
        if (d == t->ndom) {
            if ((size_t)t->ndom == cap)
                d = t->ndom - 1; /* cannot happen: at most one per node or package */
            else {
                place_domain *nd = &t->dom[t->ndom++];
                nd->borrowed = 1;
                nd->numa_l = borrow_l[i];
                nd->numa_os =
                    (int)hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)borrow_l[i])
                        ->os_index;
                nd->own_os = own_os;
                nd->first_core = pc->package_l; /* the key until the cores are sorted */
            }
        }
        pc->domain = d;
    }
    return 0;
}

/* What derive() relies on and hwloc's XML reader does not check: PUs, cores and packages
 * each at one depth (a fuzzed file nested a PU in a PU and a package in that, making the
 * PU count -1), PUs without children, and each PU's cpuset its own os_index, no two alike
 * (lstopo writes nothing else). Returns the problem, or NULL. */
static const char *structure_problem(hwloc_topology_t h)
{
    static const struct {
        hwloc_obj_type_t type;
        const char *what;
    } lv[] = {
        {HWLOC_OBJ_PU, "PUs at several depths"},
        {HWLOC_OBJ_CORE, "cores at several depths"},
        {HWLOC_OBJ_PACKAGE, "packages at several depths"},
    };
    for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
        if (hwloc_get_type_depth(h, lv[i].type) == HWLOC_TYPE_DEPTH_MULTIPLE)
            return lv[i].what;
    int npu = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU);
    if (npu <= 0)
        return "no PU";
    hwloc_bitmap_t seen = hwloc_bitmap_alloc();
    const char *bad = seen ? NULL : "out of memory";
    for (int i = 0; !bad && i < npu; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, (unsigned)i);
        if (pu->arity || pu->memory_arity)
            bad = "a PU with children";
        else if (pu->os_index > PLACE_MAX_PU_INDEX)
            bad = "a PU with an OS index above 65535";
        else if (!pu->cpuset || hwloc_bitmap_weight(pu->cpuset) != 1 ||
                 !hwloc_bitmap_isset(pu->cpuset, pu->os_index))
            bad = "a PU whose cpuset is not its own os_index";
        else if (hwloc_bitmap_isset(seen, pu->os_index))
            bad = "two PUs with one os_index";
        else
            hwloc_bitmap_set(seen, pu->os_index);
    }
    /* NUMA nodes: OS indices a kernel can have (each becomes a bit of a nodeset) */
    int nn = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
    if (seen)
        hwloc_bitmap_zero(seen);
    for (int i = 0; !bad && i < nn; i++) {
        hwloc_obj_t n = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (n->os_index > PLACE_MAX_PU_INDEX)
            bad = "a NUMA node with an OS index above 65535";
        else if (hwloc_bitmap_isset(seen, n->os_index))
            bad = "two NUMA nodes with one os_index";
        else
            hwloc_bitmap_set(seen, n->os_index);
    }
    hwloc_bitmap_free(seen);
    return bad;
}

/* Builds the core, domain and memory-only tables from t->usable. */
static int derive(place_topo *t, place_error *err)
{
    derived_free(t);
    hwloc_topology_t h = t->h;
    int have_cores = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_CORE) > 0;
    hwloc_obj_type_t ctype = have_cores ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    t->ncores_all = hwloc_get_nbobjs_by_type(h, ctype);
    t->npus_all = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU);
    t->npackages = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PACKAGE);
    t->nnuma = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);

    hwloc_const_bitmap_t all = hwloc_topology_get_topology_cpuset(h);
    hwloc_const_bitmap_t complete = hwloc_topology_get_complete_cpuset(h);
    hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(h);
    hwloc_bitmap_t tmp = hwloc_bitmap_alloc();
    hwloc_bitmap_andnot(tmp, complete, all);
    t->offline_s = place_bitmap_list(tmp);
    hwloc_bitmap_andnot(tmp, all, allowed);
    t->disallowed_s = place_bitmap_list(tmp);
    hwloc_bitmap_free(tmp);

    t->cores = calloc((size_t)t->ncores_all + 1, sizeof *t->cores);
    t->pu_pool = calloc((size_t)t->npus_all + 1, sizeof *t->pu_pool);
    /* A NUMA node is "primary" if some core has it as local memory. */
    char *is_primary = calloc((size_t)t->nnuma + 1, 1);
    int *dom_of_numa = malloc(((size_t)t->nnuma + 1) * sizeof(int));
    /* per core: its own NUMA node's logical index (-1 none), and the allowed node it
     * takes memory from when its own is missing or not allowed (-1: its own) */
    int *own_l = malloc(((size_t)t->ncores_all + 1) * sizeof(int));
    int *borrow_l = malloc(((size_t)t->ncores_all + 1) * sizeof(int));
    if (!t->cores || !t->pu_pool || !is_primary || !dom_of_numa || !own_l || !borrow_l ||
        !t->offline_s || !t->disallowed_s) {
        free(is_primary);
        free(dom_of_numa);
        free(own_l);
        free(borrow_l);
        return place_error_set(err, PLACE_ENOMEM, "out of memory while reading the topology");
    }
    for (int i = 0; i < t->nnuma; i++)
        dom_of_numa[i] = -1;
    hwloc_const_nodeset_t mems = hwloc_topology_get_allowed_nodeset(h);

    int nc = 0, np = 0, maxsmt = 0;
    for (int i = 0; i < t->ncores_all; i++) {
        hwloc_obj_t c = hwloc_get_obj_by_type(h, ctype, (unsigned)i);
        hwloc_obj_t numa = primary_numa(c);
        if (numa)
            is_primary[numa->logical_index] = 1;
        int npu = 0, first = np;
        core_pus(t, c, &np, &npu);
        if (npu > maxsmt)
            maxsmt = npu;
        if (np == first)
            continue; /* no usable PU: the core is left out (reported via the PU sets) */
        place_core *pc = &t->cores[nc];
        own_l[nc] = numa ? (int)numa->logical_index : -1;
        borrow_l[nc] = -1;
        if (t->nnuma && (!numa || !hwloc_bitmap_isset(mems, numa->os_index))) {
            hwloc_obj_t b = nearest_allowed_numa(h, c, numa, t);
            borrow_l[nc] = b ? (int)b->logical_index : -2;
            if (b) /* it serves cores: not memory-only */
                is_primary[b->logical_index] = 1;
        }
        nc++;
        pc->core_l = (int)c->logical_index;
        pc->core_os = (int)c->os_index;
        hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, c);
        pc->package_l = pkg ? (int)pkg->logical_index : 0;
        pc->kind = t->nkinds > 1 ? hwloc_cpukinds_get_by_cpuset(h, c->cpuset, 0) : -1;
        pc->npu = np - first;
        pc->pu_first = first;
        pc->has_numa = numa != NULL || t->nnuma == 0;
        if (numa && borrow_l[nc - 1] == -1)
            dom_of_numa[numa->logical_index] = 0;
    }
    t->ncores = nc;
    t->npus_usable = np;
    t->max_smt = maxsmt;

    int stranded = -1;
    int rc = build_domains(t, is_primary, dom_of_numa, own_l, borrow_l, &stranded, err);
    free(is_primary);
    free(dom_of_numa);
    free(own_l);
    free(borrow_l);
    if (rc < 0)
        return -1;
    if (stranded >= 0)
        return place_error_set(err, PLACE_EINFEASIBLE,
                               "topology %s: core L#%d has no allowed NUMA node to take memory "
                               "from (allowed nodes: none of %d); expected at least one",
                               t->source, stranded, t->nnuma);
    /* Domains in the order of their first core, so that ranks follow the machine. */
    sort_domains(t);

    qsort(t->cores, (size_t)nc, sizeof *t->cores, cmp_core);
    for (int d = 0; d < t->ndom; d++)
        t->dom[d].ncores = 0;
    for (int i = nc - 1; i >= 0; i--) {
        place_domain *d = &t->dom[t->cores[i].domain];
        d->first_core = i;
        d->ncores++;
    }
    if (nc == 0)
        return place_error_set(err, PLACE_EINFEASIBLE,
                               "topology %s: no usable PU (offline: %s; disallowed: %s)", t->source,
                               *t->offline_s ? t->offline_s : "none",
                               *t->disallowed_s ? t->disallowed_s : "none");
    return 0;
}

/* CPU kinds and NUMA distances do not depend on the usable set: read them once. */
static int read_kinds_and_distances(place_topo *t, place_error *err)
{
    hwloc_topology_t h = t->h;
    int nk = hwloc_cpukinds_get_nr(h, 0);
    t->nkinds = nk > 0 ? nk : 0;
    if (t->nkinds) {
        t->kinds = calloc((size_t)t->nkinds, sizeof *t->kinds);
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!t->kinds || !set) {
            hwloc_bitmap_free(set);
            return place_error_set(err, PLACE_ENOMEM, "out of memory reading CPU kinds");
        }
        for (int k = 0; k < t->nkinds; k++) {
            int eff = -1;
            unsigned ninfo = 0;
            struct hwloc_info_s *infos = NULL;
            hwloc_cpukinds_get_info(h, (unsigned)k, set, &eff, &ninfo, &infos, 0);
            t->kinds[k].pus = place_bitmap_list(set);
            t->kinds[k].efficiency = eff;
            t->kinds[k].core_type = NULL;
            for (unsigned i = 0; i < ninfo; i++)
                if (!strcmp(infos[i].name, "CoreType"))
                    t->kinds[k].core_type = infos[i].value;
        }
        hwloc_bitmap_free(set);
    }

    unsigned nr = 1;
    struct hwloc_distances_s *d = NULL;
    if (hwloc_distances_get_by_type(h, HWLOC_OBJ_NUMANODE, &nr, &d,
                                    HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) == 0 &&
        nr == 1) {
        t->ndist = (int)d->nbobjs;
        t->dist_os = malloc(sizeof(int) * d->nbobjs);
        t->dist = malloc(sizeof(unsigned long long) * d->nbobjs * d->nbobjs);
        if (t->dist_os && t->dist) {
            for (unsigned i = 0; i < d->nbobjs; i++)
                t->dist_os[i] = (int)d->objs[i]->os_index;
            for (unsigned i = 0; i < d->nbobjs * d->nbobjs; i++)
                t->dist[i] = (unsigned long long)d->values[i];
        } else {
            t->ndist = 0;
        }
        hwloc_distances_release(h, d);
    }
    return 0;
}

/* The PUs an hwloc synthetic description asks for: the product of its level arities.
 * hwloc builds whatever it is given: "pack:1000 core:1000 pu:1000" ran for minutes and
 * gigabytes before this check (PLACE_SYNTHETIC_MAX_PUS). *cost gets the building cost,
 * the sum over levels of objects x arity (PLACE_SYNTHETIC_MAX_COST).
 *
 * The levels are walked the way hwloc's own parser walks them (topology-synthetic.c), so
 * that the count is the one hwloc will build, not a guess from the text: an optional
 * "(attributes)" for the root; then levels separated by blanks, each either "[numa...]"
 * (attached memory, no arity), or a type up to the next ':' followed by the arity, or a
 * bare arity; the arity is read with strtoul base 0 as hwloc reads it (so "0x10" is 16,
 * "010" is 8, leading blanks of any kind are skipped) and may be followed by
 * "(attributes)". A guess from the text missed "pa:\v\v0001008489101" (blanks before an
 * octal arity; fuzz.placerun). Where this walk and hwloc's part (a string hwloc refuses),
 * hwloc refuses it later anyway. Blanks skipped between levels are a superset of hwloc's
 * (' ' and '\n'), which can only count more. */
static double synthetic_pus(const char *syn, double *cost)
{
    double pus = 1;
    const char *pos = syn;
    *cost = 0;
    if (*pos == '(') {
        const char *close = strchr(pos, ')');
        if (!close)
            return pus;
        pos = close + 1;
    }
    while (*pos) {
        while (isspace((unsigned char)*pos))
            pos++;
        if (!*pos)
            break;
        if (*pos == '[') {
            const char *close = strchr(pos, ']');
            if (!close)
                break;
            pos = close + 1;
            continue;
        }
        if (*pos < '0' || *pos > '9') {
            const char *colon = strchr(pos, ':');
            if (!colon)
                break;
            pos = colon + 1;
        }
        char *end;
        errno = 0;
        unsigned long item = strtoul(pos, &end, 0);
        if (end == pos || item == 0)
            break; /* hwloc refuses it */
        double a = errno == ERANGE ? HUGE_VAL : (double)item;
        pus *= a;
        *cost += pus * a;
        pos = end;
        if (*pos == '(') {
            const char *close = strchr(pos, ')');
            if (!close)
                break;
            pos = close + 1;
        }
    }
    return pus;
}

/* Chooses the hwloc backend for `spec`. Environment variables are resolved here rather
 * than left to hwloc, so that a missing HWLOC_XMLFILE is an error and not a silent
 * fallback to the real machine. */
static int set_source(place_topo *t, const char *spec, place_error *err)
{
    const char *xml = NULL, *syn = NULL;
    if (!spec || !strcmp(spec, "native")) {
        xml = getenv("HWLOC_XMLFILE");
        syn = getenv("HWLOC_SYNTHETIC");
        if (xml && !*xml)
            xml = NULL;
        if (syn && !*syn)
            syn = NULL;
        if (!xml && !syn) {
            t->source = place_strdup("native");
            t->thissystem = 1;
            return t->source ? 0 : place_error_set(err, PLACE_ENOMEM, "out of memory");
        }
        const char *ts = getenv("HWLOC_THISSYSTEM");
        t->thissystem = ts && !strcmp(ts, "1");
    } else if (!strncmp(spec, "synthetic:", 10)) {
        syn = spec + 10;
    } else if (!strncmp(spec, "xml:", 4)) {
        xml = spec + 4;
    } else {
        size_t n = strlen(spec);
        if (n >= 4 && !strcmp(spec + n - 4, ".xml"))
            xml = spec;
        else
            return place_error_set(err, PLACE_EINVAL,
                                   "--topology '%.60s': not understood; expected native, FILE.xml, "
                                   "xml:FILE or synthetic:\"pack:2 numa:2 core:8 pu:2\"",
                                   spec);
    }
    if (xml) {
        /* A regular file of a sane size, checked without blocking (a FIFO) and before
         * hwloc reads a byte of it (/dev/zero was read without bound) */
        int fd = open(xml, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            place_error_set(err, e == ENOENT ? PLACE_ENOENT : PLACE_ESYS,
                            "topology XML '%.200s': %s; expected a file written by lstopo --of xml",
                            xml, strerror(e));
            err ? err->sys_errno = e : 0;
            return -1;
        }
        close(fd);
        if (!S_ISREG(st.st_mode))
            return place_error_set(err, PLACE_EINVAL,
                                   "topology XML '%.200s': not a regular file "
                                   "(a device, FIFO or directory); expected a file written by "
                                   "lstopo --of xml",
                                   xml);
        if (st.st_size > PLACE_XML_MAX_BYTES)
            return place_error_set(err, PLACE_EINVAL,
                                   "topology XML '%.200s': %lld bytes; expected "
                                   "at most %d (one node of %d PUs takes a few MB)",
                                   xml, (long long)st.st_size, PLACE_XML_MAX_BYTES,
                                   PLACE_SYNTHETIC_MAX_PUS);
        if (hwloc_topology_set_xml(t->h, xml) < 0)
            return place_error_set(err, PLACE_EINVAL,
                                   "topology XML '%.200s': hwloc cannot parse it; expected a file "
                                   "written by lstopo --of xml",
                                   xml);
        size_t n = strlen(xml) + 5;
        t->source = malloc(n);
        if (t->source)
            snprintf(t->source, n, "xml:%s", xml);
    } else {
        if (!*syn)
            return place_error_set(err, PLACE_EINVAL,
                                   "synthetic topology: empty description; expected e.g. "
                                   "synthetic:\"pack:2 numa:2 core:8 pu:2\"");
        double cost, pus = synthetic_pus(syn, &cost);
        if (pus > PLACE_SYNTHETIC_MAX_PUS)
            return place_error_set(
                err, PLACE_EINVAL,
                "synthetic topology '%.100s': describes %.3g PUs; expected at most %d "
                "(one node)",
                syn, pus, PLACE_SYNTHETIC_MAX_PUS);
        if (cost > PLACE_SYNTHETIC_MAX_COST)
            return place_error_set(err, PLACE_EINVAL,
                                   "synthetic topology '%.100s': levels too wide (%.3g objects x "
                                   "siblings; at most %d): hwloc would take minutes; expected a "
                                   "hierarchy, e.g. pack:16 core:64 pu:16 instead of pu:16384",
                                   syn, cost, PLACE_SYNTHETIC_MAX_COST);
        if (hwloc_topology_set_synthetic(t->h, syn) < 0)
            return place_error_set(
                err, PLACE_EINVAL,
                "synthetic topology '%.100s': hwloc rejects it; expected levels "
                "like \"pack:2 numa:2 core:8 pu:2\" (see hwloc's synthetic syntax)",
                syn);
        size_t n = strlen(syn) + 11;
        t->source = malloc(n);
        if (t->source)
            snprintf(t->source, n, "synthetic:%s", syn);
    }
    return t->source ? 0 : place_error_set(err, PLACE_ENOMEM, "out of memory");
}

/* hwloc dlopens every plugin at its first init: libxml2 with ICU, OpenCL, X11 (gl) and
 * libpciaccess. Placement needs none of them (hwloc's built-in XML reader reads what
 * lstopo writes), and loading them doubled placerun's start-up (measured: 10.6 ms ->
 * 4.7 ms per rank on this VM). Unless the user set HWLOC_PLUGINS_BLACKLIST, they are
 * blacklisted for that first init, and the variable is removed again so that the
 * application placerun execs does not inherit it. */
static int topology_init(hwloc_topology_t *h)
{
    int set = getenv("HWLOC_PLUGINS_BLACKLIST") == NULL;
    if (set)
        setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_pci,hwloc_opencl,hwloc_gl,hwloc_xml_libxml", 1);
    int rc = hwloc_topology_init(h);
    if (set)
        unsetenv("HWLOC_PLUGINS_BLACKLIST");
    return rc;
}

/* hwloc's XML reader crashes on some malformed files (hwloc 2.9.0, built-in parser: an
 * attribute without '=' dereferences NULL; found by tests/fuzz/fuzz_topo, lstopo crashes
 * the same way), and a misspelt os_index makes it allocate 512 MiB bitmaps (6 s here). A
 * described machine comes from a user's file, so it is read once in a child process
 * first, with 1 GiB more address space than the caller has and 30 s of CPU. Returns 0 if
 * the child read it, XML_UNREADABLE if hwloc refused it (or ran out of the memory
 * allowed), or the signal that ended the child (SIGABRT for a sanitizer's report). */
#define XML_UNREADABLE (-1)
#ifndef __has_feature
#define __has_feature(x) 0
#endif
static int xml_precheck(const char *xml, unsigned long hf, int io)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* cannot check: the load below runs as before */
    if (pid == 0) {
        int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL); /* die by the signal, also under ASan */
#if !defined(__SANITIZE_ADDRESS__) && !__has_feature(address_sanitizer) /* ASan maps terabytes */
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long pages = 0;
        if (f && fscanf(f, "%lu", &pages) == 1 && pages) {
            rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (1ul << 30);
            struct rlimit as = {lim, lim};
            setrlimit(RLIMIT_AS, &as);
        }
        if (f)
            fclose(f);
#endif
        struct rlimit cpu = {30, 30};
        setrlimit(RLIMIT_CPU, &cpu);
        hwloc_topology_t h;
        if (topology_init(&h) < 0 || hwloc_topology_set_xml(h, xml) < 0)
            _exit(0); /* the parent reports these itself */
        hwloc_topology_set_flags(h, hf);
        if (io)
            hwloc_topology_set_io_types_filter(h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
        _exit(hwloc_topology_load(h) < 0 ? 3 : 0); /* no destroy, no exit handlers */
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 0;
    if (WIFSIGNALED(st))
        return WTERMSIG(st);
    return WEXITSTATUS(st) == 3 ? XML_UNREADABLE : WEXITSTATUS(st) ? SIGABRT : 0;
}

/* Whether a topology read from the cache disagrees with what the kernel says now: its
 * PUs are not the online CPUs, the CPUs this process may run on are not all allowed in it,
 * or its tree is one placement cannot use. NULL if it agrees, else what is wrong. */
static const char *cache_disagrees(hwloc_topology_t h)
{
    char online[4096];
    FILE *f = fopen("/sys/devices/system/cpu/online", "re");
    int ok = f && fgets(online, sizeof online, f);
    if (f)
        fclose(f);
    if (!ok)
        return NULL; /* nothing to compare with */
    online[strcspn(online, "\n")] = '\0';
    const char *why = NULL;
    hwloc_bitmap_t on = hwloc_bitmap_alloc(), aff = hwloc_bitmap_alloc();
    if (!on || !aff || place_cpulist_syntax(online, NULL) < 0 ||
        hwloc_bitmap_list_sscanf(on, online) < 0)
        why = NULL;
    else if (!hwloc_bitmap_isequal(on, hwloc_topology_get_topology_cpuset(h)))
        why = "not the online CPUs";
    else if (hwloc_get_cpubind(h, aff, HWLOC_CPUBIND_PROCESS) == 0 &&
             !hwloc_bitmap_isincluded(aff, hwloc_topology_get_allowed_cpuset(h)))
        why = "narrower than the CPUs this process may use";
    else if (structure_problem(h))
        why = "a tree placement cannot use";
    hwloc_bitmap_free(on);
    hwloc_bitmap_free(aff);
    return why;
}

static int topo_load(place_topo **out, const char *spec, unsigned flags, place_error *err)
{
    *out = NULL;
    place_topo *t = calloc(1, sizeof *t);
    if (!t)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    if (topology_init(&t->h) < 0) {
        free(t);
        return place_error_set(err, PLACE_ESYS, "hwloc_topology_init failed: %s", strerror(errno));
    }
    if (set_source(t, spec, err) < 0)
        goto fail;
    unsigned long hf = HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED;
    if (t->thissystem && strcmp(t->source, "native"))
        hf |= HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM;
    hwloc_topology_set_flags(t->h, hf);
    int io = (flags & PLACE_TOPO_DEVICES) != 0;
    if (io)
        hwloc_topology_set_io_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    /* the native machine: from the cache when a file for this very key passes the checks */
    char key[2000], cpath[PATH_MAX + 64];
    int cache = !strcmp(t->source, "native") ? place_env_topo_cache(err) : 0;
    if (cache < 0)
        goto fail;
    if (cache && (place_topo_cache_key(flags, key, sizeof key) < 0 ||
                  place_topocache_path(key, cpath, sizeof cpath) < 0))
        cache = 0;
    size_t clen = 0;
    const char *why = NULL;
    char *cxml = cache ? place_topocache_read(cpath, &clen, &why) : NULL;
    int tried = cxml != NULL;
    if (cxml) { /* into this very handle: no second hwloc init on the common path */
        hwloc_topology_set_flags(t->h, hf | HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM);
        const char *k = NULL;
        if (hwloc_topology_set_xmlbuffer(t->h, cxml, (int)clen + 1) < 0 ||
            hwloc_topology_load(t->h) < 0)
            why = "unreadable by hwloc";
        else if (!(k = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t->h), "PlaceCacheKey")) ||
                 strcmp(k, key))
            why = "made for another machine state";
        else
            why = cache_disagrees(t->h);
        t->from_cache = why == NULL;
        free(cxml);
    }
    if (why) {
        char note[PATH_MAX + 200];
        snprintf(note, sizeof note,
                 "the topology cache %s was %s: not used, the machine was "
                 "discovered again and the cache rewritten",
                 cpath, why);
        t->cache_note = place_strdup(note);
    }
    if (tried) {
        if (!t->from_cache) { /* refused: a fresh handle for the machine itself */
            hwloc_topology_destroy(t->h);
            t->h = NULL;
            if (topology_init(&t->h) < 0) {
                place_error_set(err, PLACE_ESYS, "hwloc_topology_init failed: %s", strerror(errno));
                goto fail;
            }
            hwloc_topology_set_flags(t->h, hf);
            if (io)
                hwloc_topology_set_io_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
        }
    }
    int sig = !strncmp(t->source, "xml:", 4) ? xml_precheck(t->source + 4, hf, io) : 0;
    if (sig > 0) {
        place_error_set(err, PLACE_EINVAL,
                        "topology XML '%.200s': malformed (hwloc %s reading it: %s); "
                        "expected a file written by lstopo --of xml",
                        t->source + 4, sig == SIGXCPU ? "spent 30 s of CPU" : "crashed",
                        strsignal(sig));
        goto fail;
    }
    if (sig == XML_UNREADABLE || (!t->from_cache && hwloc_topology_load(t->h) < 0)) {
        if (!strncmp(t->source, "xml:", 4))
            place_error_set(err, PLACE_EINVAL,
                            "topology XML '%.200s': hwloc cannot parse it; "
                            "expected a file written by lstopo --of xml",
                            t->source + 4);
        else
            place_error_set(err, PLACE_ESYS, "topology %s: hwloc could not load it: %s", t->source,
                            strerror(errno));
        goto fail;
    }
    if (cache && !t->from_cache)
        place_topocache_save(t->h, key, cpath);
    t->usable = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->h));
    if (!t->usable) {
        place_error_set(err, PLACE_ENOMEM, "out of memory");
        goto fail;
    }
    hwloc_bitmap_and(t->usable, t->usable, hwloc_topology_get_topology_cpuset(t->h));

    hwloc_bitmap_t unbound = hwloc_bitmap_alloc();
    if ((flags & PLACE_TOPO_THIS_BINDING) && t->thissystem) {
        hwloc_bitmap_t bind = hwloc_bitmap_alloc();
        if (hwloc_get_cpubind(t->h, bind, HWLOC_CPUBIND_PROCESS) == 0) {
            hwloc_bitmap_andnot(unbound, t->usable, bind);
            hwloc_bitmap_and(t->usable, t->usable, bind);
        }
        hwloc_bitmap_free(bind);
    }
    t->unbound_s = place_bitmap_list(unbound);
    hwloc_bitmap_free(unbound);
    const char *bad = structure_problem(t->h);
    if (bad) {
        if (!strncmp(t->source, "xml:", 4))
            place_error_set(err, PLACE_EINVAL,
                            "topology XML '%.200s': %s; expected a file "
                            "written by lstopo --of xml",
                            t->source + 4, bad);
        else
            place_error_set(err, PLACE_EINVAL,
                            "topology %s: %s; hwloc built a tree placement "
                            "cannot use",
                            t->source, bad);
        goto fail;
    }
    if (read_kinds_and_distances(t, err) < 0 || derive(t, err) < 0 ||
        (io && place_devices_discover(t, err) < 0))
        goto fail;
    *out = t;
    return 0;
fail:
    place_topo_free(t);
    return -1;
}

/* HWLOC_ALLOW=all makes hwloc ignore the cgroup: a plan on PUs the kernel refuses this job.
 * It is ignored for place's own view (and restored for the application), and said. */
int place_topo_load(place_topo **out, const char *spec, unsigned flags, place_error *err)
{
    const char *allow = getenv("HWLOC_ALLOW");
    char *saved = allow ? place_strdup(allow) : NULL;
    if (saved)
        unsetenv("HWLOC_ALLOW");
    int rc = topo_load(out, spec, flags, err);
    if (saved) {
        setenv("HWLOC_ALLOW", saved, 1);
        free(saved);
        if (rc == 0)
            (*out)->allow_ignored = 1;
    }
    return rc;
}

/* hwloc locations ("numa:0", "package:1.core:0-3", "l3:all"; logical indices, nested with
 * '.'), several separated by commas, a number alone a PU by OS index: into set. */
static int locations(place_topo *t, const char *s, hwloc_bitmap_t set, place_error *err)
{
    char item[128];
    hwloc_bitmap_zero(set);
    for (const char *at = s;;) {
        size_t len = strcspn(at, ",");
        if (len == 0 || len >= sizeof item)
            return place_error_set(err, PLACE_EINVAL,
                                   "--allowed '%.60s': an empty or over-long "
                                   "item; expected locations like numa:0 or package:1.core:0-3",
                                   s);
        memcpy(item, at, len);
        item[len] = '\0';
        if (item[0] >= '0' && item[0] <= '9') {
            int bad = 0;
            if (!place_cpulist_syntax(item, &bad))
                return place_error_set(err, PLACE_EINVAL,
                                       "--allowed '%.60s': '%s' is neither a "
                                       "PU index nor a location like numa:0",
                                       s, item);
            hwloc_bitmap_t one = hwloc_bitmap_alloc();
            if (!one)
                return place_error_set(err, PLACE_ENOMEM, "out of memory");
            hwloc_bitmap_list_sscanf(one, item); /* decimal: the syntax has no leading zeros */
            hwloc_bitmap_or(set, set, one);
            hwloc_bitmap_free(one);
        } else {
            /* walk the components: the objects of each level inside the previous ones */
            hwloc_bitmap_t cur = hwloc_bitmap_dup(hwloc_topology_get_complete_cpuset(t->h));
            hwloc_bitmap_t next = hwloc_bitmap_alloc();
            int rc = cur && next ? 0 : place_error_set(err, PLACE_ENOMEM, "out of memory");
            for (char *comp = item, *dot; rc == 0 && comp; comp = dot) {
                dot = strchr(comp, '.');
                if (dot)
                    *dot++ = '\0';
                char *colon = strchr(comp, ':');
                hwloc_obj_type_t type;
                if (!colon) {
                    rc = place_error_set(err, PLACE_EINVAL,
                                         "--allowed '%.60s': '%s' is neither a "
                                         "PU index nor a location; expected OS PU indices like "
                                         "0-3,8 or locations like numa:0, package:1.core:0-3",
                                         s, comp);
                    break;
                }
                *colon = '\0';
                if (hwloc_type_sscanf(comp, &type, NULL, 0) < 0 || type == HWLOC_OBJ_BRIDGE ||
                    type == HWLOC_OBJ_PCI_DEVICE || type == HWLOC_OBJ_OS_DEVICE ||
                    type == HWLOC_OBJ_MISC) {
                    rc = place_error_set(err, PLACE_EINVAL,
                                         "--allowed '%.60s': '%s' is not an hwloc "
                                         "object type; expected package, numa, l3, core, pu ...",
                                         s, comp);
                    break;
                }
                const char *idx = colon + 1;
                long lo = 0, hi = -1;
                char *end = NULL;
                if (!strcmp(idx, "all")) {
                    lo = 0;
                    hi = 1L << 20;
                } else if (*idx >= '0' && *idx <= '9') {
                    lo = strtol(idx, &end, 10);
                    hi = lo;
                    if (*end == '-' && end[1] >= '0' && end[1] <= '9')
                        hi = strtol(end + 1, &end, 10);
                }
                if ((strcmp(idx, "all") && (!end || *end)) || hi < lo || lo > 1L << 20) {
                    rc = place_error_set(err, PLACE_EINVAL,
                                         "--allowed '%.60s': index '%s' of %s; "
                                         "expected N, N-M or all (logical indices)",
                                         s, idx, comp);
                    break;
                }
                int depth = hwloc_get_type_depth(t->h, type);
                int n = hwloc_get_nbobjs_inside_cpuset_by_depth(t->h, cur, depth);
                if (depth == HWLOC_TYPE_DEPTH_UNKNOWN || n <= 0 ||
                    (strcmp(idx, "all") && hi >= n)) {
                    rc = place_error_set(err, PLACE_EINFEASIBLE,
                                         "--allowed '%.60s': %s:%s: there %s "
                                         "%d %s there (logical indices 0 to %d)",
                                         s, comp, idx, n == 1 ? "is" : "are", n > 0 ? n : 0,
                                         hwloc_obj_type_string(type), n - 1);
                    break;
                }
                hwloc_bitmap_zero(next);
                for (long i = lo; i <= hi && i < n; i++) {
                    hwloc_obj_t o =
                        hwloc_get_obj_inside_cpuset_by_depth(t->h, cur, depth, (unsigned)i);
                    if (o && o->cpuset)
                        hwloc_bitmap_or(next, next, o->cpuset);
                }
                hwloc_bitmap_copy(cur, next);
            }
            if (rc == 0)
                hwloc_bitmap_or(set, set, cur);
            hwloc_bitmap_free(cur);
            hwloc_bitmap_free(next);
            if (rc < 0)
                return -1;
        }
        if (!at[len])
            break;
        at += len + 1;
    }
    return 0;
}

int place_topo_restrict(place_topo *t, const char *cpulist, place_error *err)
{
    int named = 0;
    for (const char *c = cpulist; c && *c; c++)
        named |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
    char *converted = NULL;
    if (named) {
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        int rc = locations(t, cpulist, set, err);
        converted = rc == 0 ? place_bitmap_list(set) : NULL;
        hwloc_bitmap_free(set);
        if (rc < 0)
            return -1;
        if (!converted)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        if (!*converted) {
            free(converted);
            return place_error_set(err, PLACE_EINFEASIBLE, "--allowed '%.60s': names no PU",
                                   cpulist);
        }
        int rc2 = place_topo_restrict(t, converted, err);
        free(converted);
        return rc2;
    }
    /* Checked here before hwloc parses it: hwloc's parser is lenient about trailing
     * garbage, reads "-6" as a range to 2^64 (2.6 s; found by fuzz_numbers) and allocates
     * the bitmap to the largest index ("0-2000000000": 250 MB). */
    int bad_index = 0;
    if (!place_cpulist_syntax(cpulist, &bad_index)) {
        if (bad_index)
            return place_error_set(err, PLACE_EINVAL,
                                   "--allowed '%.60s': a PU index is out of range; "
                                   "expected OS PU indices up to %d",
                                   cpulist, PLACE_MAX_PU_INDEX);
        return place_error_set(
            err, PLACE_EINVAL,
            "--allowed '%.60s': not a CPU list; expected OS PU indices like 0-3,8",
            cpulist ? cpulist : "");
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    int bad = hwloc_bitmap_list_sscanf(set, cpulist) < 0 || hwloc_bitmap_iszero(set) ||
              hwloc_bitmap_weight(set) < 0;
    if (bad) {
        hwloc_bitmap_free(set);
        return place_error_set(
            err, PLACE_EINVAL,
            "--allowed '%.60s': not a CPU list; expected OS PU indices like 0-3,8",
            cpulist ? cpulist : "");
    }
    hwloc_bitmap_t newset = hwloc_bitmap_alloc();
    hwloc_bitmap_and(newset, t->usable, set);
    if (hwloc_bitmap_iszero(newset)) {
        char *u = place_bitmap_list(t->usable);
        place_error_set(err, PLACE_EINFEASIBLE,
                        "--allowed '%.60s': holds none of the usable PUs (%s)", cpulist,
                        u ? u : "?");
        free(u);
        hwloc_bitmap_free(set);
        hwloc_bitmap_free(newset);
        return -1;
    }
    /* Record the restriction in hwloc's allowed set too, so that XML exports and the
     * disallowed report agree with what the plan uses. */
    hwloc_topology_allow(t->h, newset, NULL, HWLOC_ALLOW_FLAG_CUSTOM);
    hwloc_bitmap_copy(t->usable, newset);
    hwloc_bitmap_free(set);
    hwloc_bitmap_free(newset);
    if (derive(t, err) < 0)
        return -1;
    if (t->devices_loaded) { /* localities are usable PUs: found again inside the new set */
        place_devices_free(t);
        return place_devices_discover(t, err);
    }
    return 0;
}

void place_topo_get_info(const place_topo *t, place_topo_info *info)
{
    memset(info, 0, sizeof *info);
    info->source = t->source;
    info->packages = t->npackages;
    info->numa_nodes = t->nnuma;
    info->cores = t->ncores_all;
    info->pus = t->npus_all;
    info->usable_cores = t->ncores;
    info->usable_pus = t->npus_usable;
    info->domains = t->ndom;
    info->memory_only_numa = t->nmemonly;
    info->cpukinds = t->nkinds;
    info->max_pus_per_core = t->max_smt;
    info->from_cache = t->from_cache;
}

int place_topo_usable_pus(const place_topo *t, int *pus, int max)
{
    int n = 0, i;
    hwloc_bitmap_foreach_begin(i, t->usable)
    {
        if (n < max)
            pus[n] = i;
        n++;
    }
    hwloc_bitmap_foreach_end();
    return n;
}

int place_topo_core_pus(const place_topo *t, int core, int *pus, int max)
{
    if (core < 0 || core >= t->ncores)
        return -1;
    const place_core *c = &t->cores[core];
    for (int i = 0; i < c->npu && i < max; i++)
        pus[i] = t->pu_pool[c->pu_first + i];
    return c->npu;
}

const char *place_topo_cache_note(const place_topo *t)
{
    return t->cache_note;
}

const char *place_topo_offline_pus(const place_topo *t)
{
    return t->offline_s;
}
const char *place_topo_disallowed_pus(const place_topo *t)
{
    return t->disallowed_s;
}
const char *place_topo_unbound_pus(const place_topo *t)
{
    return t->unbound_s ? t->unbound_s : "";
}

int place_topo_domain_numa_os(const place_topo *t, int d)
{
    return (d >= 0 && d < t->ndom) ? t->dom[d].numa_os : -1;
}

int place_topo_memory_only_numa_os(const place_topo *t, int i)
{
    return (i >= 0 && i < t->nmemonly) ? t->memonly_os[i] : -1;
}

int place_topo_numa_distance(const place_topo *t, int a, int b)
{
    int ia = -1, ib = -1;
    for (int i = 0; i < t->ndist; i++) {
        if (t->dist_os[i] == a)
            ia = i;
        if (t->dist_os[i] == b)
            ib = i;
    }
    if (ia < 0 || ib < 0)
        return -1;
    return (int)t->dist[ia * t->ndist + ib];
}

int place_topo_cpukind(const place_topo *t, int k, const char **pus, int *efficiency,
                       const char **core_type)
{
    if (k < 0 || k >= t->nkinds)
        return -1;
    if (pus)
        *pus = t->kinds[k].pus;
    if (efficiency)
        *efficiency = t->kinds[k].efficiency;
    if (core_type)
        *core_type = t->kinds[k].core_type;
    return 0;
}

int place_topo_pu_numa(const place_topo *t, int pu_os)
{
    for (int c = 0; c < t->ncores; c++) {
        const place_core *k = &t->cores[c];
        for (int i = 0; i < k->npu; i++)
            if (t->pu_pool[k->pu_first + i] == pu_os)
                return k->has_numa ? t->dom[k->domain].numa_os : -1;
    }
    return -1;
}
