/* topo_derive.c (topo): hwloc's tree flattened into the tables placement reads (the file
 * comment of topo.c says what a core's domain is): usable cores and their PUs in domain
 * order, the domains, memory-only and device-memory nodes, CPU kinds and NUMA distances;
 * and the structure hwloc may hand over that the tables cannot hold, refused by name. */
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
void topo_derived_free(place_topo *t)
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

/* What topo_derive() relies on and hwloc's XML reader does not check: PUs, cores and packages
 * each at one depth (a fuzzed file nested a PU in a PU and a package in that, making the
 * PU count -1), PUs without children, and each PU's cpuset its own os_index, no two alike
 * (lstopo writes nothing else). Returns the problem, or NULL. */
const char *topo_structure_problem(hwloc_topology_t h)
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
int topo_derive(place_topo *t, place_error *err)
{
    topo_derived_free(t);
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
int topo_read_kinds_and_distances(place_topo *t, place_error *err)
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
