/* topo.c: a machine loaded with hwloc and flattened for placement: the handle and what it
 * tells (topo_load.c loads it, topo_derive.c flattens it, topo_restrict.c restricts it).
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

void place_topo_free(place_topo *t)
{
    if (!t)
        return;
    topo_derived_free(t);
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
