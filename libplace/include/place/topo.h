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

#include <stddef.h>
#include "place/api.h"
#include "place/error.h"
#include "place/parse.h" /* PLACE_MAX_PU_INDEX */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct place_topo place_topo;

/* Flags for place_topo_load(). */
enum {
    /* Native machine only: also restrict usable PUs to the calling process's current
     * CPU binding (taskset, a launcher's binding). The cgroup/Slurm allowed cpuset is
     * always honoured. */
    PLACE_TOPO_THIS_BINDING = 1u << 0,
    /* Also discover I/O devices (PCI devices and their OS devices: GPUs and NICs). hwloc's
     * Linux backend reads PCI from sysfs, so no vendor library is needed; an XML file
     * gives the devices it holds. Off by default: it costs start-up time. */
    PLACE_TOPO_DEVICES = 1u << 1
};

/* The largest synthetic description place_topo_load() builds: one node of up to 16,384
 * PUs (hwloc builds synthetic topologies in quadratic time: 16,384 PUs take 2.3 s). */
#define PLACE_SYNTHETIC_MAX_PUS 16384

/* ... and the largest building cost: hwloc inserts each object among its parent's children
 * one by one, so a level of n objects under parents of arity a costs about n a; the sum
 * over levels is bounded (flat "pu:16384" took 45 s, "pack:16 core:1024 pu:1" 5.5 s;
 * "pack:2 numa:4 core:48 pu:2" costs 2 x 10^4, a flat 1,448-PU level 2 x 10^6). */
#define PLACE_SYNTHETIC_MAX_COST (1 << 21)

/* The largest topology XML file read (bytes): lstopo writes a few MB for the largest node. */
#define PLACE_XML_MAX_BYTES (64 << 20)

/* The native topology is cached as hwloc XML in the user's private directory
 * (PLACE_PLAN_DIR, else TMPDIR, else /tmp: place-UID/, 0700, owner checked), one file per
 * key: hwloc's version, the boot id, the online CPUs and NUMA nodes, the cgroup and its
 * effective cpuset and mems, and whether devices were asked for. A cached file is used only
 * when it is a regular file of this user, closed to others, and carries the same key; any
 * change of the key (a reboot, a CPU taken offline, another cgroup or cpuset, a new hwloc)
 * loads the machine again and replaces it. PLACE_TOPO_CACHE=off turns it off; any HWLOC_*
 * variable in the environment bypasses it. */
PLACE_API int place_topo_cache_key(unsigned flags, char *buf, size_t n);

/* Loads a topology. `spec` is one of:
 *   NULL or "native"         this machine (hwloc honours HWLOC_XMLFILE / HWLOC_SYNTHETIC
 *                            in the environment, as documented by hwloc)
 *   "synthetic:DESCRIPTION"  an hwloc synthetic string, e.g. "pack:2 numa:2 core:8 pu:2"
 *   "PATH.xml" or "xml:PATH" an hwloc XML file (lstopo --of xml)
 * On success stores a new handle in *out (free it with place_topo_free) and returns 0. */
PLACE_API int place_topo_load(place_topo **out, const char *spec, unsigned flags, place_error *err);

/* Frees a topology; NULL is allowed. */
PLACE_API void place_topo_free(place_topo *t);

/* Restricts the usable PUs to `cpulist` (hwloc list syntax of OS indices, "0-3,8", or
 * hwloc locations like numa:0 and package:1.core:0-3), as a cgroup or `taskset` would.
 * Fails if the list is malformed or leaves no usable PU; messages name the input `what`
 * (the caller's name for it, "--allowed"), or "place_topo_restrict". */
PLACE_API int place_topo_restrict_as(place_topo *t, const char *what, const char *cpulist,
                                     place_error *err);
PLACE_API int place_topo_restrict(place_topo *t, const char *cpulist, place_error *err);

/* A summary of the machine. Counts are of objects in the topology; `usable_*` count
 * what a plan may use (allowed, online, inside the binding where asked). */
typedef struct place_topo_info {
    const char *source; /* "native", "xml:PATH" or "synthetic:..." */
    int packages;
    int numa_nodes; /* all NUMA nodes, memory-only ones included */
    int cores;      /* Core objects (PUs where the topology has no cores) */
    int pus;
    int usable_cores;
    int usable_pus;
    int domains;          /* NUMA nodes that have usable cores */
    int memory_only_numa; /* NUMA nodes that are no core's local node (HBM, CXL...) */
    int cpukinds;         /* hwloc CPU kinds (0 or 1: homogeneous) */
    int max_pus_per_core; /* SMT width */
    int from_cache;       /* native, read from the topology cache (see place_topo_load) */
} place_topo_info;

/* Fills *info. Strings point into the handle. */
PLACE_API void place_topo_get_info(const place_topo *t, place_topo_info *info);

/* When the native topology's cache file was there but damaged or not to be trusted (and
 * so the machine was discovered again and the file rewritten): one line saying so, for the
 * caller to show once; else NULL. Points into the handle. */
PLACE_API const char *place_topo_cache_note(const place_topo *t);

/* Text (hwloc list syntax of OS indices) of the PUs that are offline, disallowed (by a
 * cgroup or place_topo_restrict) and outside the process binding. Empty string if none.
 * The returned strings point into the handle. */
PLACE_API const char *place_topo_offline_pus(const place_topo *t);
PLACE_API const char *place_topo_disallowed_pus(const place_topo *t);
PLACE_API const char *place_topo_unbound_pus(const place_topo *t);

/* The usable PUs' OS indices, in order, at most max of them into pus; returns how many
 * there are (which may exceed max). */
PLACE_API int place_topo_usable_pus(const place_topo *t, int *pus, int max);

/* Usable core `core` (0 <= core < info.usable_cores, in the order plans use: by NUMA domain,
 * then logical index): its usable PUs' OS indices into pus (at most max); returns how many
 * it has, or -1 if core is out of range. place_request.exclude_cores names cores so. */
PLACE_API int place_topo_core_pus(const place_topo *t, int core, int *pus, int max);

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

/* ---- I/O devices (with PLACE_TOPO_DEVICES) ----------------------------------------------
 * GPUs: PCI devices of a GPU vendor (NVIDIA, AMD, Intel) that are display controllers or
 * accelerators, or that carry a GPU OS device (DRM card, NVML, RSMI, CUDA, Level Zero,
 * OpenCL). The OS devices of one PCI device are one GPU; sub-devices a runtime names
 * separately (Level Zero "ze0.1") are separate GPUs. Listed in PCI bus order.
 * NICs: PCI devices with an OpenFabrics (InfiniBand, RoCE, Omni-Path, BXI, Slingshot CXI)
 * or network interface OS device; the interfaces of one PCI function are one NIC. */
/* ---- GPU runtimes -----------------------------------------------------------------------
 * One row per GPU vendor: how hwloc names its devices, and the variables its runtime reads.
 * place_gpu_runtimes gives the table (its row count in *count); a device's `runtime` is a
 * row's. */
typedef struct place_gpu_runtime {
    unsigned pci_vendor;       /* PCI vendor id: 0x10de */
    const char *vendor;        /* "NVIDIA" */
    const char *runtime;       /* place_device_info.runtime: "cuda" */
    const char *index_osdev;   /* OS devices "<prefix><index>" in the runtime's numbering:
                                   the management library's ("nvml", "rsmi") or the runtime's
                                   own ("ze") */
    const char *index_library; /* what a note calls them: "NVML", "RSMI", "Level Zero" */
    const char *alt_osdev;     /* a second such prefix, of lower priority ("cuda"), or NULL */
    const char *sub_osdev;     /* OS devices "<prefix><index>.<sub>" naming sub-devices
                                   ("ze0.1", each a GPU of its own), or NULL */
    const char *uuid_info;     /* the hwloc info key of an OS device's UUID */
    const char *visible;       /* the variable that lists a process's GPUs */
    const char *also;          /* a second one (HIP_VISIBLE_DEVICES): read where `visible`
                                   is unset, given 0..k-1 beside it (it numbers within what
                                   `visible` leaves), or NULL */
    const char *companion;     /* given with `visible`, set to companion_value, or NULL */
    const char *companion_value;
    const char *sub_companion; /* given when a rank has a sub-device, or NULL */
    const char *sub_companion_value;
    int pci_order_is_runtimes; /* 1: without index OS devices, PCI order is the runtime's
                                   (CUDA, with the companion CUDA_DEVICE_ORDER=PCI_BUS_ID) */
} place_gpu_runtime;

PLACE_API const place_gpu_runtime *place_gpu_runtimes(int *count);
/* The row of a PCI vendor id / of a runtime name, -1 if none. */
PLACE_API int place_gpu_runtime_of_vendor(unsigned pci_vendor);
PLACE_API int place_gpu_runtime_named(const char *runtime);

typedef enum place_device_kind { PLACE_DEVICE_GPU = 0, PLACE_DEVICE_NIC = 1 } place_device_kind;

typedef struct place_device_info {
    place_device_kind kind;
    const char *pci;        /* PCI bus id as hwloc prints it, "0000:c1:00.0" */
    const char *vendor;     /* "NVIDIA", "AMD", "Intel", "Mellanox", "HPE", ... or "0x1234" */
    const char *name;       /* GPU: the runtime's name ("cuda2", "rocm5", "ze0.1"); NIC: the
                              OpenFabrics device ("mlx5_0", "cxi1") or else the interface */
    const char *runtime;    /* GPU: "cuda", "rocm" or "ze"; NIC: "OpenFabrics", "Slingshot",
                              "InfiniBand" (an IPoIB interface alone) or "Ethernet" */
    int index;              /* GPU: index in the runtime's own numbering (CUDA with
                              CUDA_DEVICE_ORDER=PCI_BUS_ID, ROCm, Level Zero root device) */
    int sub;                /* GPU: sub-device index (ze0.1: 1), -1 for a whole device */
    int index_from_runtime; /* 1: the index is the runtime's (an NVML/RSMI/ZE OS device says
                              so, or PCI order is that runtime's order); 0: assumed from PCI
                              order (no such OS device in the topology) */
    const char *uuid;       /* NULL if the topology holds none */
    const char *osdevs;     /* every OS device of it, comma-separated */
    const char *netdev;     /* NIC: its network interface ("ib0", "hsn0"), NULL if none */
    const char *ucx;        /* NIC: the name UCX_NET_DEVICES takes ("mlx5_0:1", "hsn0") */
    const char *cpuset;     /* locality: the usable PUs of its first non-I/O ancestor */
    int numa_os;            /* that ancestor's NUMA node, -1 if it spans several */
    int memory_numa_os;     /* GPU: its memory's NUMA node (GPUMemory, POWER9 or Grace
                              Hopper), -1 if none */
    int memory_by_order;    /* that node carries no PCIBusID: matched by order in locality */
    int high_speed;         /* NIC: not Ethernet alone (what --nics auto uses) */
} place_device_info;

/* Whether devices were discovered (PLACE_TOPO_DEVICES), and how many of a kind. */
PLACE_API int place_topo_devices_loaded(const place_topo *t);
PLACE_API int place_topo_ndevices(const place_topo *t, place_device_kind kind);

/* Device `i` of a kind (0 <= i < count), PCI order. Strings point into the handle.
 * Returns 0, or -1 if out of range. */
PLACE_API int place_topo_device(const place_topo *t, place_device_kind kind, int i,
                                place_device_info *out);

#ifdef __cplusplus
}
#endif
#endif
