/* test_plan_invariants.c: properties every plan must have, on every described machine.
 *
 * For each machine in machines.h and a grid of requests (ranks, threads, policy, SMT,
 * reserved cores, oversubscription), the plan is computed and checked against an
 * independent reading of the same topology with hwloc:
 *   - a request fails exactly when it needs more PUs than the node has (without
 *     --oversubscribe), and succeeds otherwise;
 *   - every thread PU lies in its rank's cpuset; every cpuset PU is allowed, online and
 *     not reserved; cpusets (and thread PUs) of one node never overlap unless the plan
 *     says it is oversubscribed;
 *   - each rank's NUMA list is exactly the set of local NUMA nodes of its cpuset;
 *   - with the numa policy, rank counts per NUMA node differ by at most one on machines
 *     whose NUMA nodes have equal core counts;
 *   - if R ranks of T threads fit inside NUMA nodes, none straddles; with threads left to
 *     fill the shares, no rank ever straddles (shares a NUMA node with another rank while
 *     spanning several); with T threads that do not fit, at most R - (ranks that fit
 *     inside NUMA nodes) straddle; every rank that spans NUMA nodes is named in a note;
 *   - no SMT sibling is used while a whole core is free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"
#include "machines.h"

/* ---- an independent view of the topology ------------------------------------ */

typedef struct ref {
    hwloc_topology_t h;
    hwloc_bitmap_t usable;
    int core_depth_type; /* HWLOC_OBJ_CORE, or HWLOC_OBJ_PU when the topology has none */
} ref;

static void ref_load(ref *r, const char *spec)
{
    assert_int_equal(hwloc_topology_init(&r->h), 0);
    if (!strncmp(spec, "synthetic:", 10))
        assert_int_equal(hwloc_topology_set_synthetic(r->h, spec + 10), 0);
    else
        assert_int_equal(hwloc_topology_set_xml(r->h, spec + 4), 0);
    hwloc_topology_set_flags(r->h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
    assert_int_equal(hwloc_topology_load(r->h), 0);
    r->usable = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(r->h));
    hwloc_bitmap_and(r->usable, r->usable, hwloc_topology_get_topology_cpuset(r->h));
    r->core_depth_type =
        hwloc_get_nbobjs_by_type(r->h, HWLOC_OBJ_CORE) ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

static void ref_free(ref *r)
{
    hwloc_bitmap_free(r->usable);
    hwloc_topology_destroy(r->h);
}

static hwloc_obj_t core_of(const ref *r, int pu_os)
{
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(r->h, (unsigned)pu_os);
    if (!pu)
        return NULL;
    if (r->core_depth_type == HWLOC_OBJ_PU)
        return pu;
    return hwloc_get_ancestor_obj_by_type(r->h, HWLOC_OBJ_CORE, pu);
}

/* Local NUMA node of a PU: of the NUMA nodes whose cpuset holds it, the one with the
 * smallest cpuset, lowest logical index first (memory-only nodes share a larger or
 * equal cpuset and come later). */
static int local_numa(const ref *r, int pu_os)
{
    int best = -1, bestw = 1 << 30;
    int n = hwloc_get_nbobjs_by_type(r->h, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(r->h, HWLOC_OBJ_NUMANODE, (unsigned)i);
        if (!hwloc_bitmap_isset(o->cpuset, (unsigned)pu_os))
            continue;
        int w = hwloc_bitmap_weight(o->cpuset);
        if (w < bestw) {
            bestw = w;
            best = (int)o->os_index;
        }
    }
    if (best < 0) { /* no memory of its own (cpuset.mems): the first allowed node */
        int first = hwloc_bitmap_first(hwloc_topology_get_allowed_nodeset(r->h));
        return first < 0 ? 0 : first;
    }
    return best;
}

/* Whether a note of the plan names local rank `lr` among the ranks spanning NUMA nodes. */
static int note_names_rank(const place_plan *p, int lr)
{
    char key[32];
    snprintf(key, sizeof key, "%d (NUMA ", lr);
    for (int i = 0; i < place_plan_nnotes(p); i++) {
        const char *n = place_plan_note(p, i);
        if (!strstr(n, "NUMA nodes they share") && !strstr(n, "several whole NUMA nodes"))
            continue;
        const char *at = strchr(n, ':');
        for (const char *q = at; q && (q = strstr(q, key)); q++)
            if (q[-1] == ' ')
                return 1;
    }
    return 0;
}

/* Cores with a usable PU that are not reserved (last `reserve` of each package). */
static int core_is_candidate(const ref *r, hwloc_obj_t core, int reserve)
{
    if (!hwloc_bitmap_intersects(core->cpuset, r->usable))
        return 0;
    if (!reserve)
        return 1;
    hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(r->h, HWLOC_OBJ_PACKAGE, core);
    int later = 0, n = hwloc_get_nbobjs_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t c =
            hwloc_get_obj_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type, (unsigned)i);
        if (c->logical_index > core->logical_index &&
            hwloc_bitmap_intersects(c->cpuset, r->usable) &&
            hwloc_get_ancestor_obj_by_type(r->h, HWLOC_OBJ_PACKAGE, c) == pkg)
            later++;
    }
    return later >= reserve;
}

/* ---- the checks --------------------------------------------------------------- */

static char ctx[512];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            print_error("%s\n  failed: %s (line %d)\n", ctx, #cond, __LINE__);                     \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

typedef struct stats {
    int plans, infeasible;
} stats;

static void check_node(const ref *r, const place_plan *p, const place_request *req, int first_rank,
                       int nranks, int reserve)
{
    const place_request *res = place_plan_resolved(p);
    int over = place_plan_oversubscribed(p);
    hwloc_bitmap_t seen_cpus = hwloc_bitmap_alloc(), seen_threads = hwloc_bitmap_alloc();
    hwloc_bitmap_t set = hwloc_bitmap_alloc(), kinds_used = hwloc_bitmap_alloc();
    int nnuma_os = 64;
    int *ranks_on_numa = calloc(64, sizeof(int));
    int ncores = hwloc_get_nbobjs_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type);
    int *threads_on_core = calloc((size_t)ncores + 1, sizeof(int));
    int any_straddle = 0;
    int numa_users[64] = {0}, rank_numa[64][8], rank_nnuma[64] = {0};

    for (int i = first_rank; i < first_rank + nranks; i++) {
        place_rank_info ri;
        CHECK(place_plan_rank(p, i, &ri, NULL) == 0);
        CHECK(hwloc_bitmap_list_sscanf(set, ri.cpuset) == 0);
        CHECK(!hwloc_bitmap_iszero(set));
        CHECK(hwloc_bitmap_weight(set) == ri.ncpus);
        /* every cpuset PU allowed, online, and in a non-reserved core */
        CHECK(hwloc_bitmap_isincluded(set, r->usable));
        for (int pu = hwloc_bitmap_first(set); pu >= 0; pu = hwloc_bitmap_next(set, pu)) {
            hwloc_obj_t c = core_of(r, pu);
            CHECK(c && core_is_candidate(r, c, reserve));
            int k = hwloc_cpukinds_get_by_cpuset(r->h, c->cpuset, 0);
            if (k >= 0)
                hwloc_bitmap_set(kinds_used, (unsigned)k);
        }
        if (!over)
            CHECK(!hwloc_bitmap_intersects(set, seen_cpus));
        hwloc_bitmap_or(seen_cpus, seen_cpus, set);
        /* threads */
        CHECK(ri.nthreads >= 1);
        if (req->threads)
            CHECK(ri.nthreads == req->threads);
        for (int t = 0; t < ri.nthreads; t++) {
            CHECK(hwloc_bitmap_isset(set, (unsigned)ri.thread_pu_os[t]));
            if (!over)
                CHECK(!hwloc_bitmap_isset(seen_threads, (unsigned)ri.thread_pu_os[t]));
            hwloc_bitmap_set(seen_threads, (unsigned)ri.thread_pu_os[t]);
            hwloc_obj_t c = core_of(r, ri.thread_pu_os[t]);
            CHECK((int)c->logical_index == ri.thread_core_l[t]);
            threads_on_core[c->logical_index]++;
        }
        /* NUMA list = local NUMA nodes of the cpuset, each once */
        int expect[64], ne = 0;
        for (int pu = hwloc_bitmap_first(set); pu >= 0; pu = hwloc_bitmap_next(set, pu)) {
            int n = local_numa(r, pu), dup = 0;
            for (int k = 0; k < ne; k++)
                dup |= expect[k] == n;
            if (!dup && ne < 64)
                expect[ne++] = n;
        }
        CHECK(ri.nnuma == ne);
        for (int k = 0; k < ri.nnuma; k++) {
            int found = 0;
            for (int q = 0; q < ne; q++)
                found |= expect[q] == ri.numa_os[k];
            CHECK(found);
        }
        if (ri.nnuma > 1)
            any_straddle = 1;
        else if (ri.numa_os[0] < nnuma_os)
            ranks_on_numa[ri.numa_os[0]]++;
        int lr = i - first_rank;
        if (lr < 64) {
            for (int k = 0; k < ri.nnuma && k < 8; k++) {
                rank_numa[lr][k] = ri.numa_os[k];
                if (ri.numa_os[k] < 64)
                    numa_users[ri.numa_os[k]]++;
            }
            rank_nnuma[lr] = ri.nnuma < 8 ? ri.nnuma : 8;
        }
        /* every rank spanning NUMA nodes is in the notes */
        if (ri.nnuma > 1)
            CHECK(note_names_rank(p, lr));
    }
    /* ranks that share a NUMA node with another rank while spanning several */
    int straddlers = 0;
    for (int lr = 0; lr < nranks && lr < 64; lr++) {
        int shared = 0;
        for (int k = 0; k < rank_nnuma[lr]; k++)
            shared |= rank_numa[lr][k] < 64 && numa_users[rank_numa[lr][k]] > 1;
        straddlers += rank_nnuma[lr] > 1 && shared;
    }

    /* Domains: NUMA nodes that are some candidate core's local node, with their sizes. */
    /* "Fit inside NUMA nodes" is judged at the PUs per core the user asked for (whole
     * cores when SMT was turned on only because threads outnumber cores). */
    int dom_cores[64] = {0}, dom_full[64] = {0};
    int k_used = req->smt ? res->smt : 1;
    for (int i = 0; i < ncores; i++) {
        hwloc_obj_t c =
            hwloc_get_obj_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type, (unsigned)i);
        if (!core_is_candidate(r, c, reserve))
            continue;
        int k = hwloc_cpukinds_get_by_cpuset(r->h, c->cpuset, 0);
        if (k >= 0 && !hwloc_bitmap_isset(kinds_used, (unsigned)k))
            continue;
        hwloc_bitmap_and(set, c->cpuset, r->usable);
        int n = local_numa(r, hwloc_bitmap_first(set));
        dom_cores[n]++;
        dom_full[n] += hwloc_bitmap_weight(set) >= k_used;
        /* no SMT sibling while a whole core is free (siblings requested explicitly, or
         * oversubscription, excepted) */
        if (!over && !(req->smt > 1) && threads_on_core[i] == 0)
            for (int j = 0; j < ncores; j++)
                CHECK(threads_on_core[j] <= 1);
    }

    int smt_forced = !req->smt && res->smt > 1;
    if (!over && req->policy == PLACE_POLICY_NUMA && !req->threads && !smt_forced)
        CHECK(straddlers == 0); /* filling threads: some local plan always exists */
    if (!over && req->policy == PLACE_POLICY_NUMA && req->threads && !smt_forced) {
        int need = (req->threads + k_used - 1) / k_used, cap = 0;
        for (int d = 0; d < 64; d++)
            cap += dom_full[d] / need;
        CHECK(straddlers <= (nranks > cap ? nranks - cap : 0)); /* the fewest straddle */
    }
    if (!over && req->policy == PLACE_POLICY_NUMA && req->threads) {
        /* If the ranks fit inside NUMA nodes at the PUs per core in use, none straddles. */
        int need = (req->threads + k_used - 1) / k_used, cap = 0;
        for (int d = 0; d < 64; d++)
            cap += dom_full[d] / need;
        if (cap >= nranks)
            CHECK(!any_straddle);
        /* Equal NUMA nodes: rank counts differ by at most one. */
        int lo = 1 << 30, hi = 0, size = -1, equal = 1;
        for (int d = 0; d < 64; d++) {
            if (!dom_cores[d])
                continue;
            if (size >= 0 && dom_cores[d] != size)
                equal = 0;
            size = dom_cores[d];
            lo = ranks_on_numa[d] < lo ? ranks_on_numa[d] : lo;
            hi = ranks_on_numa[d] > hi ? ranks_on_numa[d] : hi;
        }
        if (equal && !any_straddle && cap >= nranks)
            CHECK(hi - lo <= 1);
    }
    free(ranks_on_numa);
    free(threads_on_core);
    hwloc_bitmap_free(seen_cpus);
    hwloc_bitmap_free(seen_threads);
    hwloc_bitmap_free(set);
    hwloc_bitmap_free(kinds_used);
}

/* PUs a node offers for `smt` PUs per core (0: all), after the reservation; -1 if the
 * reservation empties a package. */
static int node_slots(const ref *r, int smt, int reserve)
{
    int slots = 0, n = hwloc_get_nbobjs_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type);
    int npk = hwloc_get_nbobjs_by_type(r->h, HWLOC_OBJ_PACKAGE);
    for (int pk = 0; pk < npk && reserve; pk++) {
        hwloc_obj_t pkg = hwloc_get_obj_by_type(r->h, HWLOC_OBJ_PACKAGE, (unsigned)pk);
        int cores = 0;
        for (int i = 0; i < n; i++) {
            hwloc_obj_t c =
                hwloc_get_obj_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type, (unsigned)i);
            cores += hwloc_bitmap_intersects(c->cpuset, r->usable) &&
                     hwloc_get_ancestor_obj_by_type(r->h, HWLOC_OBJ_PACKAGE, c) == pkg;
        }
        if (cores && cores <= reserve)
            return -1;
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int i = 0; i < n; i++) {
        hwloc_obj_t c =
            hwloc_get_obj_by_type(r->h, (hwloc_obj_type_t)r->core_depth_type, (unsigned)i);
        if (!core_is_candidate(r, c, reserve))
            continue;
        hwloc_bitmap_and(set, c->cpuset, r->usable);
        int w = hwloc_bitmap_weight(set);
        slots += (smt && smt < w) ? smt : w;
    }
    hwloc_bitmap_free(set);
    return slots;
}

static void test_invariants_on_every_machine(void **state)
{
    (void)state;
    static const int ranks[] = {1, 2, 3, 4, 6, 8, 16, 33};
    static const int threads[] = {0, 1, 2, 3, 5, 8};
    static const int smts[] = {0, 2};
    stats st = {0};
    for (int m = 0; m < N_TEST_MACHINES; m++) {
        ref r;
        ref_load(&r, test_machines[m]);
        place_error e;
        place_topo *t = NULL;
        if (place_topo_load(&t, test_machines[m], 0, &e) != 0) {
            print_error("%s: %s\n", test_machines[m], e.msg);
            fail();
        }
        for (size_t ir = 0; ir < sizeof ranks / sizeof *ranks; ir++)
            for (size_t it = 0; it < sizeof threads / sizeof *threads; it++)
                for (int pol = 0; pol < PLACE_POLICY_COUNT; pol++)
                    for (size_t is = 0; is < sizeof smts / sizeof *smts; is++)
                        for (int reserve = 0; reserve <= 1; reserve++)
                            for (int over = 0; over <= 1; over++)
                                for (int nodes = 1; nodes <= 2; nodes++) {
                                    place_request q;
                                    place_request_init(&q);
                                    q.ranks = ranks[ir] * nodes;
                                    q.nodes = nodes;
                                    q.threads = threads[it];
                                    q.policy = (place_policy)pol;
                                    q.smt = smts[is];
                                    q.reserve_cores = reserve;
                                    q.oversubscribe = over;
                                    snprintf(ctx, sizeof ctx,
                                             "machine %s: -n %d -N %d -t %d --policy %s --smt %d "
                                             "--reserve-cores %d%s",
                                             test_machines[m], q.ranks, nodes, q.threads,
                                             place_policy_name(q.policy), q.smt, reserve,
                                             over ? " --oversubscribe" : "");
                                    int slots = node_slots(&r, q.smt, reserve);
                                    long want = (long)ranks[ir] * (q.threads ? q.threads : 1);
                                    place_plan *p = NULL;
                                    int rc = place_plan_compute(&p, t, &q, &e);
                                    if (slots < 0) {
                                        CHECK(rc != 0 && e.code == PLACE_EINFEASIBLE);
                                        st.infeasible++;
                                        continue;
                                    }
                                    if (!over && want > slots) {
                                        CHECK(rc != 0 && e.code == PLACE_EINFEASIBLE);
                                        CHECK(strchr(e.msg, '\n') == NULL && strlen(e.msg) > 20);
                                        st.infeasible++;
                                        continue;
                                    }
                                    if (rc != 0)
                                        print_error("%s\n  unexpected error: %s\n", ctx, e.msg);
                                    CHECK(rc == 0);
                                    CHECK(place_plan_oversubscribed(p) == (want > slots));
                                    for (int node = 0; node < nodes; node++)
                                        check_node(&r, p, &q, node * ranks[ir], ranks[ir], reserve);
                                    place_plan_free(p);
                                    st.plans++;
                                }
        place_topo_free(t);
        ref_free(&r);
    }
    print_message("checked %d plans and %d infeasible requests on %d machines\n", st.plans,
                  st.infeasible, N_TEST_MACHINES);
    assert_true(st.plans > 10000);
    assert_true(st.infeasible > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invariants_on_every_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
