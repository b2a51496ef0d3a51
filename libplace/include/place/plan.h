/* place/plan.h: the placement plan, a pure function of a topology and a request.
 *
 * Computing a plan has no side effects: it can be done for any described machine, in a
 * test, or inside every rank at launch (each rank computes the same node plan and takes
 * its own line). Binding, memory policy and measurement are separate layers that apply
 * or check a plan.
 *
 * Every node of a job is assumed to have the topology given. Ranks are distributed over
 * nodes in blocks (as Open MPI's default by-slot mapping and srun's block distribution
 * do): the first (N mod K) nodes get one rank more. A plan therefore holds at most two
 * distinct node plans, and per-rank queries are O(1): a million-rank plan costs the same
 * memory as a one-node plan.
 */
#ifndef PLACE_PLAN_H
#define PLACE_PLAN_H

#include "place/api.h"
#include "place/error.h"
#include "place/topo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most ranks a plan (or a plan file) may hold. */
#define PLACE_MAX_RANKS (1 << 30)

typedef enum place_policy {
    PLACE_POLICY_NUMA = 0, /* default: ranks spread over NUMA nodes in proportion to
                              their usable cores, consecutive ranks on one node, equal
                              contiguous core sets that never straddle when they fit */
    PLACE_POLICY_COMPACT,  /* fill cores in order, node by node; just the cores needed */
    PLACE_POLICY_SPREAD,   /* rank i on NUMA domain (i mod D), round-robin */
    PLACE_POLICY_COUNT     /* how many there are: loops and bounds end here */
} place_policy;

typedef enum place_kinds {
    PLACE_KINDS_AUTO = 0, /* on hybrid CPUs use only the most efficient kind when the
                              request fits there, else all kinds (and say so) */
    PLACE_KINDS_ALL,      /* use every kind of core */
    PLACE_KINDS_BEST,     /* only the most efficient kind; infeasible if it does not fit */
    PLACE_KINDS_COUNT     /* how many there are */
} place_kinds;

/* How messages and notes name the request's fields: a front end gives its own spelling
 * (placerun: its flags, "--smt"); NULL in a request means the C names ("request.smt"). */
typedef struct place_spelling {
    const char *ranks, *nodes, *ranks_per_node, *threads, *policy, *smt, *reserve_cores,
        *oversubscribe, *kinds, *allowed, *gpus, *gpu_bind, *nics;
    const char *gpus_auto; /* the spelling that asks for auto GPUs ("--gpus"); gpus names a
                              count per rank ("--gpus-per-rank") */
} place_spelling;

/* GPUs per rank: a count G > 0, none, or auto (each rank a share of its locality's GPUs). */
#define PLACE_GPUS_NONE 0
#define PLACE_GPUS_AUTO (-1)

typedef enum place_gpu_bind {
    PLACE_GPU_BIND_CLOSEST = 0, /* ranks follow the GPUs: each rank's cores from its GPUs'
                                   locality, GPUs of a locality spread evenly over its ranks */
    PLACE_GPU_BIND_NONE,        /* GPUs are not handed out: every rank sees all of them */
    PLACE_GPU_BIND_MAP          /* gpu_map: local rank l gets GPU map[l mod length] */
} place_gpu_bind;

typedef enum place_nics {
    PLACE_NICS_NONE = 0, /* NICs are not handed out */
    PLACE_NICS_AUTO,     /* each rank the closest high-speed NIC, balanced over ties */
    PLACE_NICS_LIST      /* the same among the NICs named in nic_list */
} place_nics;

typedef struct place_request {
    int ranks;          /* total ranks N (>= 1); 0: ranks_per_node * nodes */
    int nodes;          /* nodes K (>= 1); 0: from ranks and ranks_per_node, else 1 */
    int ranks_per_node; /* 0: N / K spread in blocks */
    int threads;        /* threads per rank; 0: fill the rank's share of cores */
    place_policy policy;
    int smt;           /* PUs per core to use; 0: 1, or more only if threads need it */
    int reserve_cores; /* cores per package left to the OS (the last ones) */
    int oversubscribe; /* allow several threads per PU instead of failing */
    place_kinds kinds;
    const place_spelling *spelling; /* names in messages; NULL: the C field names */
    /* GPUs and NICs: the topology must be loaded with PLACE_TOPO_DEVICES. */
    int gpus_per_rank; /* PLACE_GPUS_NONE (default), PLACE_GPUS_AUTO or a count */
    place_gpu_bind gpu_bind;
    const char *gpu_map; /* PLACE_GPU_BIND_MAP: GPU indices (place's numbering, as
                              place_topo_device lists them), comma-separated */
    place_nics nics;
    const char *nic_list; /* PLACE_NICS_LIST: NIC names, interfaces or PCI bus ids */
    /* The GPUs a batch system left to this step (0: all of the node's): place's GPU
     * indices, each with the name the inherited variable gave it (NULL: none) and that
     * variable's name (for notes). A plan never hands out a GPU outside them. */
    int ngpu_scope;
    const int *gpu_scope;
    const char *const *gpu_scope_token;
    const char *gpu_scope_from;
    /* Noise (docs/noise-aware.md): with a node's noise profile (place/noiseprof.h; NULL:
     * none), reserve_auto chooses how many cores to leave to the OS, and which, by the
     * barrier step the profile predicts for each choice (reserve_cores is then ignored);
     * avoid_noisy puts each rank's threads on its quietest PUs. step_us is the
     * application's step (a thread's work per step with no core reserved; 0: the default,
     * 1000 us); step_us_fewer[k - 1], where given, its quiet step with k cores fewer (the
     * threads filling the others): the node's work with k cores reserved, for codes that
     * do not speed up in proportion to their cores (beyond the list, and without it, the
     * work spreads evenly: w x C / (C - k)). exclude_cores lists usable cores (indices in
     * the topology's order of usable cores, place_topo_core_pu) the plan leaves out:
     * reserve_auto's choice. */
    int reserve_auto;
    int avoid_noisy;
    double step_us;
    double step_us_fewer[8];
    int nstep_us_fewer;
    const struct place_noise_profile *noise;
    const int *exclude_cores;
    int nexclude_cores;
} place_request;

#define PLACE_STEP_US_DEFAULT 1000.0

/* Parses --gpus (auto or none) into a gpus_per_rank value. */
PLACE_API int place_gpus_parse(const char *what, const char *s, int *gpus_per_rank,
                               place_error *err);

/* Parses --gpu-bind (closest, none, map:LIST) and --nics (auto, none, LIST). The list
 * strings point into `s`. */
PLACE_API int place_gpu_bind_parse(const char *what, const char *s, place_gpu_bind *out,
                                   const char **map, place_error *err);
PLACE_API int place_nics_parse(const char *what, const char *s, place_nics *out, const char **list,
                               place_error *err);

/* A request's settings by key: one parser for placerun's command line (its long options
 * without "--"), its profiles and the SPANK plugin's --place KEY=VALUE. Keys: np, nodes,
 * ranks-per-node (command line), threads (and --place), policy, smt, reserve-cores (a
 * count, or auto), cpu-kinds, gpus, gpus-per-rank, nics, step-us (all three), gpu-bind
 * (command line, profiles), avoid-noisy (profiles and --place: yes or no).
 * place_request_key says whether `key` is one of the front end's (`where`, PLACE_KEY_*);
 * place_request_set parses `value` into its field, an error naming `label` ("--smt",
 * "--place smt"). List values (gpu-bind map:, nics) point into `value`. */
#define PLACE_KEY_CLI 1u
#define PLACE_KEY_PROFILE 2u
#define PLACE_KEY_SPANK 4u
#define PLACE_KEY_ALL 7u
PLACE_API int place_request_key(const char *key, unsigned where);
PLACE_API int place_request_set(place_request *req, const char *key, const char *value,
                                const char *label, place_error *err);

/* Fills *req with the defaults: 1 rank, 1 node, auto threads, NUMA policy. */
PLACE_API void place_request_init(place_request *req);

/* Parses a policy name or alias (the policies' table, plan/plan_assign.c; `placerun --list
 * policies`) or a kinds name ("auto", "all", "best").
 * `what` names the input in messages. Returns 0, or -1 with an error naming the valid
 * values. */
PLACE_API int place_policy_parse(const char *what, const char *s, place_policy *out,
                                 place_error *err);
PLACE_API int place_kinds_parse(const char *what, const char *s, place_kinds *out,
                                place_error *err);
PLACE_API const char *place_policy_name(place_policy p);
PLACE_API const char *place_kinds_name(place_kinds k);

typedef struct place_plan place_plan;

/* Computes the plan. The topology must outlive the plan. Returns 0 and a new plan in
 * *out (free with place_plan_free), or -1 with an error: PLACE_EINVAL for malformed
 * requests, PLACE_EINFEASIBLE when the machine cannot hold it without --oversubscribe. */
PLACE_API int place_plan_compute(place_plan **out, const place_topo *topo, const place_request *req,
                                 place_error *err);

PLACE_API void place_plan_free(place_plan *p);

/* The request as the caller gave it (never changed), and as the plan resolved it: every
 * automatic value filled in (ranks, nodes, ranks per node, threads, PUs per core used). */
PLACE_API const place_request *place_plan_request(const place_plan *p);
PLACE_API const place_request *place_plan_resolved(const place_plan *p);
PLACE_API const place_topo *place_plan_topo(const place_plan *p);

/* Notes: one line each, saying what the plan did that a user might not expect
 * (remainder cores left idle, SMT turned on, kinds skipped, straddling, sharing). */
PLACE_API int place_plan_nnotes(const place_plan *p);
PLACE_API const char *place_plan_note(const place_plan *p, int i);

/* Whether several threads share a PU (only with oversubscribe). */
PLACE_API int place_plan_oversubscribed(const place_plan *p);

/* One rank's assignment. Pointers point into the plan and live as long as it does. */
typedef struct place_rank_info {
    int rank;
    int node;
    int local_rank;
    int local_size;     /* ranks on this rank's node */
    const char *cpuset; /* OS PU indices, hwloc list syntax ("0-3,8") */
    int ncpus;          /* PUs in cpuset */
    int nnuma;
    const int *numa_os; /* OS indices of the NUMA domains the cpuset touches */
    int nthreads;
    const int *thread_pu_os;  /* thread t runs on PU thread_pu_os[t] (OS index) */
    const int *thread_core_l; /* ... which is on core thread_core_l[t] (logical index) */
    int ngpus;
    const int *gpu; /* its GPUs: indices for place_topo_device(PLACE_DEVICE_GPU) */
    int nnics;
    const int *nic; /* its NICs: indices for place_topo_device(PLACE_DEVICE_NIC) */
} place_rank_info;

/* The ranks of node `node`: [*first, *first + *count); -1 if the node is out of range. */
PLACE_API int place_plan_node_range(const place_plan *p, int node, int *first, int *count);

/* Whether the plan hands out GPUs / NICs (a rank may still get none of them). */
PLACE_API int place_plan_binds_gpus(const place_plan *p);
PLACE_API int place_plan_binds_nics(const place_plan *p);

#define PLACE_PU_RESERVED 1 /* a core --reserve-cores auto left to the OS */
#define PLACE_PU_NOISY 2    /* the noise profile calls it noisy (place_noise_pu_noisy) */
/* What the plan knows of PU pu_os besides its rank: PLACE_PU_RESERVED | PLACE_PU_NOISY. */
PLACE_API int place_plan_pu_marks(const place_plan *p, int pu_os);

/* The name GPU `gpu` has in the variables the rank's runtime reads: the batch system's
 * name for it when it limited the step, else its index in the runtime's numbering. */
PLACE_API const char *place_plan_gpu_token(const place_plan *p, int gpu);

/* Fills *info for global rank `rank` (0 <= rank < ranks). Returns 0 or -1 (range). */
PLACE_API int place_plan_rank(const place_plan *p, int rank, place_rank_info *info,
                              place_error *err);

#ifdef __cplusplus
}
#endif
#endif
