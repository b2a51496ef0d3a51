/* plan/plan_private.h: the plan layer's private header (for it and the layers above:
 * decomp, contract, runtime): what the plan's two halves share (plan.c builds node plans
 * from what plan_assign.c decides), the plan's own struct and a node's ranks.
 *
 * Units: a core carrying its first k usable PUs (k = PUs per core in use), or, when ranks
 * outnumber cores, a single PU, listed in NUMA-domain order, so that a contiguous range of
 * units is a compact set of cores that straddles a domain boundary only where it crosses
 * one. An attempt gives each rank a range of units.
 */
#ifndef PLACE_PLAN_PRIVATE_H
#define PLACE_PLAN_PRIVATE_H

#include "topo/topo_private.h"
#include "place/plan.h"

/* The ranks of node `node` of a plan: [*first, *first + *count), from the block layout
 * (no scan over ranks). Returns -1 with an error if the node is out of range. */
int place_plan_node_ranks(const place_plan *p, int node, int *first, int *count, place_error *err);

typedef struct unit {
    int domain;
    int core; /* index into topo->cores */
    int npu;
    int pu[4]; /* OS indices; more than 4 per unit are looked up in the core */
} unit;

typedef struct range {
    int first;
    int n;
} range;

typedef struct attempt {
    const unit *u;
    const unit *base; /* the units in domain order (u may point to a reordered copy) */
    int nu;
    int R; /* ranks on this node */
    int T; /* threads per rank, 0 = fill */
    int k; /* PUs per unit at most */
    place_policy policy;
    range *out;     /* R ranges */
    int *group;     /* R: the group (domain, or 0 for linear packing) each range is in */
    int straddled;  /* set when ranks had to cross domain boundaries */
    int idle;       /* units left unused to keep shares equal */
    int widened;    /* idle units were handed out: shares differ by up to one unit */
    int rule;       /* how the numa policy chose (RULE_*), for the notes */
    int lo, hi;     /* with RULE_UNEQUAL: the smallest and largest share, in units */
    int equal_q;    /* the equal share that would have straddled */
    unit *owned;    /* a reordered copy of the units the ranges index (freed by the caller) */
    int smt_in_use; /* SMT siblings are in use: no unit may be left idle */
} attempt;

enum {
    RULE_EQUAL = 0,           /* equal shares (the default when it costs no locality) */
    RULE_UNEQUAL,             /* per-domain shares: every rank inside its NUMA node(s) */
    RULE_STRADDLE,            /* threads do not fit inside NUMA nodes: the fewest ranks straddle */
    RULE_EQUAL_UNEQUAL_NODES, /* equal shares, kept although the NUMA nodes differ in size */
    RULE_OPTIMAL, /* threads fill: the optimum of plan_optimum.c replaced the rules' plan
                        (lo, hi: the smallest and largest share) */
    RULE_RUNS     /* fixed threads: ranks alone on runs of small NUMA nodes (lo of them)
                        and the fewest straddlers (hi) */
};

/* A domain's units in an attempt (plan_assign.c, plan_optimum.c). */
typedef struct dominfo {
    int first, n; /* units of this domain */
    int cap;      /* ranks it can hold whole */
    int r;        /* ranks given */
} dominfo;

/* PU i of a unit (OS index). */
int plan_unit_pu(const place_topo *t, const unit *u, int i);

/* Units from the selected cores: one per core with up to k PUs, or (per_pu) one per PU,
 * at most k PUs of each core. Returns the count (*out: caller frees), -1 out of memory. */
int plan_make_units(const place_topo *t, const int *sel, int nsel, int k, int per_pu, unit **out);

/* PUs of the units in range r. */
int plan_slots_in(const attempt *a, range r);

/* Gives every rank of the attempt a range by its policy (and the numa policy's rules on
 * unequal NUMA nodes); widens shares when SMT siblings are in use. 1 if it fits, 0 if not,
 * -1 out of memory. */
int plan_assign(attempt *a, int smt_in_use);

/* The policies, one row each, in place_policy's order (PLACE_POLICY_COUNT rows): the name
 * and the names users know it by from OMP_PROC_BIND and KMP_AFFINITY (the first one is
 * the one messages mention), the rule that gives each rank its range (it may widen the
 * ranges itself and then sets *smt_in_use to 2), whether it takes only the cores the ranks
 * need (a note says so when cores stay idle), and whether the objective (plan_optimum.c)
 * may replace its ranges. A new policy is a row and its rule. */
typedef struct plan_policy {
    const char *name;
    const char *aliases[3]; /* NULL-ended */
    int (*assign)(attempt *a, int *smt_in_use);
    int packs;
    int objective;
} plan_policy;
extern const plan_policy plan_policies[PLACE_POLICY_COUNT];

/* plan_optimum.c: the numa policy's objective. plan_range_straddlers counts the ranks of
 * an attempt that straddle (span several domains without being the only rank on a run of
 * consecutive ones), -1 out of memory. plan_optimum_fill (threads left to fill) and
 * plan_optimum_fixed (fixed threads; straddlers: the rules' plan's, INT_MAX if it has none)
 * replace the attempt's ranges with an optimal plan when the rules' plan falls short:
 * 1 replaced, 0 kept, -1 out of memory. d describes the domains of a->base. */
int plan_range_straddlers(const attempt *a, int nd);
/* The straddle rule, written once (the numa policy's objective above, the GPU plans' score
 * in plan_gpus.c): rank i's units or threads lie in domains dom[off[i]..off[i + 1]); it
 * spans when they are in more than one, and straddles when it spans without being the only
 * rank on a run of consecutive domains (each of its domains its own, and none of the domains
 * in play, has[d] != 0 of nd, between its first and last left out). Returns the straddlers
 * and the spanning ranks in *spans (when not NULL), or -1 out of memory. */
int plan_straddlers(const int *dom, const int *off, int nr, const char *has, int nd, int *spans);
int plan_optimum_fill(attempt *a, const dominfo *d, int nd);
int plan_optimum_fixed(attempt *a, const dominfo *d, int nd, int straddlers);

/* ---- the plan's own tables (plan.c, plan_dev.c) ---------------------------------- */

typedef struct lrank {
    char *cpuset;
    int ncpus;
    int nnuma;
    int *numa_os;
    int nthreads;
    int *pu_os;
    int *core_l;
    int ngpu, *gpu; /* GPU indices (place_topo_device), NULL if none */
    int nnic, *nic;
} lrank;

typedef struct nodeplan {
    int nranks;
    lrank *r;
} nodeplan;

struct place_plan {
    const place_topo *topo;
    place_request req; /* as the caller gave it: never changed */
    place_request res; /* resolved: every automatic value filled in */
    int nhi, rhi, rlo; /* the first nhi nodes hold rhi ranks, the others rlo */
    nodeplan np[2];    /* np[0] for rhi, np[1] for rlo */
    int oversub;
    int smt_used; /* most PUs per core any rank's units carry */
    place_notes notes;
    int gpus_bound, nics_bound;
    int follow;     /* ranks follow the GPUs */
    int ngpu_scope; /* the GPUs this plan may hand out (place indices) */
    int *gpu_scope;
    char **gpu_token;       /* per GPU of the node: the batch system's name, or NULL */
    char **gpu_index_token; /* per GPU: its runtime index as text */
    char *gpu_map_s, *nic_list_s, *scope_from_s; /* the request's strings, owned */
    const char **scope_token_v; /* the request's gpu_scope_token, pointing into gpu_token */
    int in_group;               /* planning part of a node (a GPU locality): its notes name no
                                rank, the node plan's own notes do */
    /* --reserve-cores auto (plan_noise.c): the step predicted for k = 0.. reserved cores
     * (NAN where no plan), the step assumed, and the cores left out (req and res point here) */
    int auto_used, auto_nk, auto_nexcl;
    double auto_step_us, auto_pred[9];
    int auto_excl[8];
};

#define plan_note(p, ...) place_notes_add(&(p)->notes, __VA_ARGS__)

/* plan.c: the plan of a request as it stands (place_plan_compute, in plan_noise.c, adds
 * what the noise profile decides: --reserve-cores auto, --avoid-noisy). */
int plan_compute_one(place_plan **out, const place_topo *topo, const place_request *req,
                     place_error *err);

int plan_try_selection(place_plan *p, const int *sel, int nsel, int R, nodeplan *np);
/* A rank's cpuset, NUMA list and threads from its PUs (thread t on pus[t], core cores[t]:
 * an index into topo->cores); frees what a node plan's ranks own. */
int plan_fill_rank(const place_topo *t, lrank *r, const int *pus, const int *cores, int nthreads,
                   hwloc_bitmap_t cpuset);
void plan_nodeplan_free(nodeplan *np);
/* Names every rank of a node plan that spans several NUMA nodes, in a note. */
void plan_span_notes(place_plan *p, const nodeplan *np);
/* plan_gpus.c and plan_dev.c share: a rank's GPU list, replacing any (plan_gpus.c),
 * whether a GPU is in the step's scope (plan_dev.c), and the scope's GPUs as text
 * (plan_core.c). */
int plan_set_gpus(lrank *r, const int *g, int n);
int plan_gpu_in_scope(const place_plan *p, int g);
const char *plan_scope_gpus_text(const place_plan *p, char *buf, size_t n);
int plan_select_cores(const place_topo *t, const place_request *req, int kind, int *sel);

/* plan_dev.c: GPUs and NICs. prepare checks the request's device fields and, when ranks
 * follow the GPUs and no rank count was given, sets one rank per GPU share (before the
 * layout is resolved); assign hands out mapped GPUs and NICs over a node plan. plan_gpus.c:
 * plan_gpus_node builds a node plan whose ranks follow the GPUs (1 if it did, 0 if ranks do
 * not follow GPUs, -1 with an error). */
int plan_dev_prepare(place_plan *p, place_error *err);
int plan_gpus_node(place_plan *p, int R, nodeplan *np, place_error *err);
int plan_dev_assign(place_plan *p, nodeplan *np, place_error *err);
void plan_dev_free(place_plan *p);
/* The name of request field F in messages: the caller's spelling, else "request.F"
 * (plan_core.c). */
extern const place_spelling plan_c_names;
#define NAME(p, F)                                                                                 \
    ((p)->req.spelling && (p)->req.spelling->F ? (p)->req.spelling->F : plan_c_names.F)
/* A run of units a domain has left: [first, first + n) of an attempt's units. */
typedef struct piece {
    int first, n; /* units [first, first + n) of one domain */
} piece;
/* Fills one straddling rank of `need` units from the np pieces: the largest leftover, then
 * the smallest piece that completes it (or, if none does, the largest), so that it spans as
 * few NUMA nodes as it can. The units are copied from src to perm at *at (advanced); pieces
 * used up leave the list. Returns the units it got (plan_optimum.c; plan_assign.c uses it too). */
int plan_fill_straddler(piece *pc, int *np, int need, const unit *src, unit *perm, int *at);
/* plan_core.c, for plan_dev.c and plan_gpus.c: a device field's name in messages (which: 0
 * gpus, 1 gpu_bind, 2 nics, 3 threads, 4 gpus_auto), and how the request asked for GPUs in
 * the caller's spelling ("--gpus auto" or "--gpus-per-rank 2"). */
const char *plan_field_name(const place_plan *p, int which);
const char *plan_asked_gpus_text(const place_plan *p, char *buf, size_t n);

#endif
