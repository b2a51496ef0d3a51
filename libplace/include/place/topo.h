/* place/topo.h: the machine a plan is made for.
 *
 * A place_topo wraps an hwloc topology loaded from this machine, an hwloc XML file or a
 * synthetic description, and derives from it what placement needs: the usable cores
 * (allowed, online, optionally inside the process binding) grouped into NUMA domains,
 * memory-only NUMA nodes, CPU kinds and NUMA distances. The same handle serves the real
 * machine and any described one, which is why plans can be tested without the hardware.
 *
 * Index conventions (as in hwloc): `_os` is the OS (physical, P#) index the kernel uses;
 * `_l` is hwloc's logical (L#) index, stable and contiguous, for people.
 */
#ifndef PLACE_TOPO_H
#define PLACE_TOPO_H

#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct place_topo place_topo;

/* Flags for place_topo_load(). */
enum {
    /* Native machine only: also restrict usable PUs to the calling process's current
     * CPU binding (taskset, a launcher's binding). The cgroup/Slurm allowed cpuset is
     * always honoured. */
    PLACE_TOPO_THIS_BINDING = 1u << 0
};

/* The largest synthetic description place_topo_load() builds: one node of up to 16,384
 * PUs (hwloc builds synthetic topologies in quadratic time: 16,384 PUs take 2.3 s). */
#define PLACE_SYNTHETIC_MAX_PUS 16384

/* The largest topology XML file read (bytes): lstopo writes a few MB for the largest node. */
#define PLACE_XML_MAX_BYTES (64 << 20)

/* The largest OS PU index a CPU list (--allowed) may name (Linux's own limit, NR_CPUS,
 * is at most 8192 on common kernels). */
#define PLACE_MAX_PU_INDEX 65535

/* Loads a topology. `spec` is one of:
 *   NULL or "native"         this machine (hwloc honours HWLOC_XMLFILE / HWLOC_SYNTHETIC
 *                            in the environment, as documented by hwloc)
 *   "synthetic:DESCRIPTION"  an hwloc synthetic string, e.g. "pack:2 numa:2 core:8 pu:2"
 *   "PATH.xml" or "xml:PATH" an hwloc XML file (lstopo --of xml)
 * On success stores a new handle in *out (free it with place_topo_free) and returns 0. */
PLACE_API int place_topo_load(place_topo **out, const char *spec, unsigned flags, place_error *err);

/* Frees a topology; NULL is allowed. */
PLACE_API void place_topo_free(place_topo *t);

/* Restricts the usable PUs to `cpulist` (hwloc list syntax of OS indices, "0-3,8"), as
 * a cgroup or `taskset` would. Fails if the list is malformed or leaves no usable PU. */
PLACE_API int place_topo_restrict(place_topo *t, const char *cpulist, place_error *err);

/* A summary of the machine. Counts are of objects in the topology; `usable_*` count
 * what a plan may use (allowed, online, inside the binding where asked). */
typedef struct place_topo_info {
    const char *source;        /* "native", "xml:PATH" or "synthetic:..." */
    int packages;
    int numa_nodes;            /* all NUMA nodes, memory-only ones included */
    int cores;                 /* Core objects (PUs where the topology has no cores) */
    int pus;
    int usable_cores;
    int usable_pus;
    int domains;               /* NUMA nodes that have usable cores */
    int memory_only_numa;      /* NUMA nodes that are no core's local node (HBM, CXL...) */
    int cpukinds;              /* hwloc CPU kinds (0 or 1: homogeneous) */
    int max_pus_per_core;      /* SMT width */
} place_topo_info;

/* Fills *info. Strings point into the handle. */
PLACE_API void place_topo_get_info(const place_topo *t, place_topo_info *info);

/* Text (hwloc list syntax of OS indices) of the PUs that are offline, disallowed (by a
 * cgroup or place_topo_restrict) and outside the process binding. Empty string if none.
 * The returned strings point into the handle. */
PLACE_API const char *place_topo_offline_pus(const place_topo *t);
PLACE_API const char *place_topo_disallowed_pus(const place_topo *t);
PLACE_API const char *place_topo_unbound_pus(const place_topo *t);

/* OS index of the primary NUMA node of domain `d` (0 <= d < info.domains), in logical
 * order; -1 if out of range. */
PLACE_API int place_topo_domain_numa_os(const place_topo *t, int d);

/* OS index of the NUMA node local to PU `pu_os` (its core's domain), or -1 if the PU is
 * not a usable PU of the topology. */
PLACE_API int place_topo_pu_numa(const place_topo *t, int pu_os);

/* OS index of memory-only NUMA node `i` (0 <= i < info.memory_only_numa), or -1. */
PLACE_API int place_topo_memory_only_numa_os(const place_topo *t, int i);

/* NUMA distance (hwloc's relative latency matrix) from NUMA node OS index `a` to `b`;
 * -1 if the topology carries no distances or the indices are unknown. */
PLACE_API int place_topo_numa_distance(const place_topo *t, int numa_a_os, int numa_b_os);

/* CPU kind `k` (0 <= k < info.cpukinds), in hwloc's order (least efficient first): its
 * PUs as a list string, its efficiency rank (-1 if unknown) and hwloc's "CoreType" info
 * if any (else NULL). Returns -1 if out of range. Strings point into the handle. */
PLACE_API int place_topo_cpukind(const place_topo *t, int k, const char **pus, int *efficiency,
                       const char **core_type);

#ifdef __cplusplus
}
#endif
#endif
