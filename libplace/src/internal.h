/* internal.h: what the modules of libplace share and users do not see.
 *
 * The topology module flattens hwloc's tree into the tables placement works on: usable
 * cores (each with its usable PUs, package, NUMA domain and CPU kind) in domain order.
 * The plan module reads only these tables, so it never walks hwloc objects itself.
 */
#ifndef PLACE_INTERNAL_H
#define PLACE_INTERNAL_H

#include <hwloc.h>
#include "place/error.h"
#include "place/plan.h"
#include "place/topo.h"

typedef struct place_core {
    int core_l;       /* logical index of the Core (of the PU if the topology has none) */
    int core_os;
    int package_l;    /* logical index of the package, 0 if the topology has none */
    int domain;       /* index into place_topo.dom */
    int has_numa;     /* the core has a primary NUMA node (see derive) */
    int kind;         /* CPU kind index, -1 if the topology has no kinds */
    int npu;          /* usable PUs of this core */
    int pu_first;     /* its PUs' OS indices are pu_pool[pu_first .. pu_first+npu) */
} place_core;

typedef struct place_domain {
    int numa_os;      /* primary NUMA node (the cores' local memory) */
    int numa_l;
    int first_core;   /* cores of this domain: cores[first_core .. first_core+ncores) */
    int ncores;
    int borrowed;     /* the cores have no allowed NUMA node of their own (cpuset.mems, or
                         a topology written inside such a cgroup): numa_os is the nearest
                         allowed one, which they share with its own cores' domain */
    int own_os;       /* with borrowed: the cores' own NUMA node if known, else -1 */
} place_domain;

typedef struct place_kind_info {
    char *pus;        /* list string */
    int efficiency;   /* hwloc's rank, -1 if unknown */
    const char *core_type;
} place_kind_info;

struct place_topo {
    hwloc_topology_t h;
    char *source;
    int thissystem;
    hwloc_bitmap_t usable;        /* allowed, online and (if asked) inside the binding */
    char *offline_s, *disallowed_s, *unbound_s;

    int npackages, nnuma, ncores_all, npus_all, max_smt;

    int ncores;                   /* usable cores, sorted by domain, then logical index */
    place_core *cores;
    int *pu_pool;
    int npus_usable;

    int ndom;
    place_domain *dom;
    int nmemonly;
    int *memonly_os;
    int ndevmem;                  /* NUMA nodes that are device memory (GPUMemory) */
    int *devmem_os;
    char *nomem_s;                /* NUMA nodes not in the allowed nodeset, list string */
    int allow_ignored;            /* HWLOC_ALLOW was set and ignored */

    int nkinds;
    place_kind_info *kinds;

    int ndist;                    /* NUMA distance matrix, ndist x ndist, or 0 */
    int *dist_os;
    unsigned long long *dist;

    int devices_loaded;           /* PLACE_TOPO_DEVICES */
    int from_cache;               /* native, read from the topology cache */
    char *cache_note;             /* a cache file found damaged or untrusted, and rebuilt */
    char *dev_refused;            /* devices left out for names that are not device names */
    int ndev[2];                  /* GPUs, NICs */
    struct place_dev *dev[2];
};

/* A discovered device (devices.c): the public info plus what planning needs. */
typedef struct place_dev {
    place_device_info info;       /* strings below are owned here */
    char *pci, *vendor, *name, *uuid, *osdevs, *netdev, *ucx, *cpuset;
    hwloc_bitmap_t locality;      /* usable PUs local to it */
    hwloc_obj_t anc;              /* its first non-I/O ancestor */
    unsigned key[5];              /* domain, bus, dev, func, sub: the PCI order */
    int vendor_id;
} place_dev;

/* This user's private directory for plan files and the topology cache: BASE/place-UID
 * (BASE: PLACE_PLAN_DIR, else TMPDIR, else /tmp), made 0700 or checked to be ours and
 * closed to others. */
int place_private_dir(char *pdir, size_t n, place_error *err);

/* The topology cache (topocache.c): the file for a key, its checked contents (NULL if
 * none passes), and saving a native topology under its key. */
int place_topocache_path(const char *key, char *path, size_t n);
char *place_topocache_read(const char *path, size_t *len, const char **why);
void place_topocache_save(hwloc_topology_t h, const char *key, const char *path);

/* Whether the topology cache is on (PLACE_TOPO_CACHE, default on): 1, 0, or -1 with an
 * error for a malformed value. */
int place_env_topo_cache(place_error *err);

/* The PLACE_* names, indexed by place_env_var (envnames.c), and appending "NAME=VALUE" to a
 * NULL-terminated list (0, or -1 out of memory). */
extern const char *const place_env_names[];
int place_env_push(char ***env, int *n, const char *name, const char *value);

/* A rank's PLACE_GPUS and PLACE_NICS values (NULL when the plan hands none out) and its
 * vendors' variables ("NAME=VALUE", appended to *env). 0, or -1 out of memory. */
int place_rank_devices(const place_plan *p, const place_rank_info *ri, char **gpus, char **nics,
                       char ***env, int *nenv);

/* Finds GPUs and NICs in a loaded topology (I/O objects kept). 0, or -1 out of memory. */
int place_devices_discover(place_topo *t, place_error *err);
void place_devices_free(place_topo *t);

/* The ranks of node `node` of a plan: [*first, *first + *count), from the block layout
 * (no scan over ranks). Returns -1 with an error if the node is out of range. */
int place_plan_node_ranks(const place_plan *p, int node, int *first, int *count, place_error *err);

/* A CPU list's syntax: N or N-M items (N <= M <= PLACE_MAX_PU_INDEX, decimal) separated by
 * commas, nothing else; *bad_index is set when the syntax was right but an index too large.
 * Checked before hwloc parses a list (hwloc's parser is lenient and "-6" runs to 2^64). */
int place_cpulist_syntax(const char *s, int *bad_index);

/* Notes: what a plan, a decomposition or a subdomain did that the caller may not expect,
 * one line each, each said once (notes.c). */
typedef struct place_notes {
    int n;
    char **v;
} place_notes;
void place_notes_add(place_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void place_notes_free(place_notes *n);
const char *place_notes_get(const place_notes *n, int i);
/* Moves the notes from index `mark` on into *out (empty before), for a candidate plan whose
 * notes are kept only if it wins; place_notes_take appends them back. */
void place_notes_cut(place_notes *n, int mark, place_notes *out);
void place_notes_take(place_notes *n, place_notes *from);

/* place_assignment_load for a job's rank, also from a node's own plan (planfile.c). */
struct place_assignment;
int place_assignment_load_job(struct place_assignment *a, const char *path, int rank, int local_rank,
                              int local_size, int job_size, place_error *err);

/* Thread t's PU from PLACE_THREAD_PUS, strictly parsed (runenv.c). */
int place_env_thread_pu(int t, int *pu, place_error *err);

/* Duplicates a string or returns NULL; the callers check. */
char *place_strdup(const char *s);
/* A device name as place hands it to runtimes and launchers (PLACE_NICS, UCX_NET_DEVICES,
 * FI_*): 1 to 63 of [A-Za-z0-9_.:-], else 0. The plan reader and device discovery agree. */
int place_device_name_ok(const char *s);
#define PLACE_DEVICE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-"

/* Formats an hwloc bitmap as a list string; returns NULL on allocation failure. */
char *place_bitmap_list(hwloc_const_bitmap_t b);

/* The models' generator: xoshiro256** seeded by splitmix64: fast, and the same stream for
 * the same seed (models.c, noisemodels.c). */
#include <stdint.h>
typedef struct place_rng {
    uint64_t s[4];
} place_rng;

static inline void place_rng_seed(place_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
}

static inline double place_rng_uniform(place_rng *r) /* (0, 1) */
{
    uint64_t *s = r->s, x = s[1] * 5, res = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return ((double)(res >> 11) + 0.5) * 0x1.0p-53;
}

#endif
