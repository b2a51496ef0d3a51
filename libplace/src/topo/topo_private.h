/* topo/topo_private.h: the topo layer's private header, for it and the layers above
 * (plan, decomp, contract, runtime). The topology module flattens hwloc's tree into the
 * tables placement works on: usable cores (each with its usable PUs, package, NUMA domain
 * and CPU kind) in domain order. The plan reads only these tables, so it never walks hwloc
 * objects itself (plan/plan_dev.c reads the devices' localities, bitmaps of them). */
#ifndef PLACE_TOPO_PRIVATE_H
#define PLACE_TOPO_PRIVATE_H

#include "base/base.h"
#include "place/topo.h"

typedef struct place_core {
    int core_l; /* logical index of the Core (of the PU if the topology has none) */
    int core_os;
    int package_l; /* logical index of the package, 0 if the topology has none */
    int domain;    /* index into place_topo.dom */
    int has_numa;  /* the core has a primary NUMA node (see derive) */
    int kind;      /* CPU kind index, -1 if the topology has no kinds */
    int npu;       /* usable PUs of this core */
    int pu_first;  /* its PUs' OS indices are pu_pool[pu_first .. pu_first+npu) */
} place_core;

typedef struct place_domain {
    int numa_os; /* primary NUMA node (the cores' local memory) */
    int numa_l;
    int first_core; /* cores of this domain: cores[first_core .. first_core+ncores) */
    int ncores;
    int borrowed; /* the cores have no allowed NUMA node of their own (cpuset.mems, or
                         a topology written inside such a cgroup): numa_os is the nearest
                         allowed one, which they share with its own cores' domain */
    int own_os;   /* with borrowed: the cores' own NUMA node if known, else -1 */
} place_domain;

typedef struct place_kind_info {
    char *pus;      /* list string */
    int efficiency; /* hwloc's rank, -1 if unknown */
    const char *core_type;
} place_kind_info;

struct place_topo {
    hwloc_topology_t h;
    char *source;
    int thissystem;
    hwloc_bitmap_t usable; /* allowed, online and (if asked) inside the binding */
    char *offline_s, *disallowed_s, *unbound_s;

    int npackages, nnuma, ncores_all, npus_all, max_smt;

    int ncores; /* usable cores, sorted by domain, then logical index */
    place_core *cores;
    int *pu_pool;
    int npus_usable;

    int ndom;
    place_domain *dom;
    int nmemonly;
    int *memonly_os;
    int ndevmem; /* NUMA nodes that are device memory (GPUMemory) */
    int *devmem_os;
    char *nomem_s;     /* NUMA nodes not in the allowed nodeset, list string */
    int allow_ignored; /* HWLOC_ALLOW was set and ignored */

    int nkinds;
    place_kind_info *kinds;

    int ndist; /* NUMA distance matrix, ndist x ndist, or 0 */
    int *dist_os;
    unsigned long long *dist;

    int devices_loaded; /* PLACE_TOPO_DEVICES */
    int from_cache;     /* native, read from the topology cache */
    char *cache_note;   /* a cache file found damaged or untrusted, and rebuilt */
    char *dev_refused;  /* devices left out for names that are not device names */
    int ndev[2];        /* GPUs, NICs */
    struct place_dev *dev[2];
};

/* A discovered device (devices.c): the public info plus what planning needs. */
typedef struct place_dev {
    place_device_info info; /* strings below are owned here */
    char *pci, *vendor, *name, *uuid, *osdevs, *netdev, *ucx, *cpuset;
    hwloc_bitmap_t locality; /* usable PUs local to it */
    hwloc_obj_t anc;         /* its first non-I/O ancestor */
    unsigned key[5];         /* domain, bus, dev, func, sub: the PCI order */
    int vendor_id;
} place_dev;

/* The topology cache (topocache.c): the file for a key, its checked contents (NULL if
 * none passes), and saving a native topology under its key. */
int place_topocache_path(const char *key, char *path, size_t n);
char *place_topocache_read(const char *path, size_t *len, const char **why);
void place_topocache_save(hwloc_topology_t h, const char *key, const char *path);

/* Finds GPUs and NICs in a loaded topology (I/O objects kept). 0, or -1 out of memory. */
int place_devices_discover(place_topo *t, place_error *err);
void place_devices_free(place_topo *t);

/* The tables of a loaded topology (topo_derive.c): topo_derive builds them from hwloc's
 * tree and the usable set (again after a restriction), topo_derived_free drops them;
 * topo_read_kinds_and_distances reads the CPU kinds and the NUMA distances; and
 * topo_structure_problem names what the tables cannot hold (NULL if nothing). */
int topo_derive(place_topo *t, place_error *err);
void topo_derived_free(place_topo *t);
int topo_read_kinds_and_distances(place_topo *t, place_error *err);
const char *topo_structure_problem(hwloc_topology_t h);

#endif
