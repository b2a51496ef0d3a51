/* test_plan_expected.c: plans with known answers, worked out by hand from the machine.
 *
 * Each test names the behaviour; the expected cpusets and thread PUs follow from the
 * policy rules in libplace/src/plan/plan_assign.c (the optimum in plan_optimum.c) and the OS numbering of each machine (stated in a
 * comment where it is not the obvious one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

#define FIXTURE(name) "xml:" PLACE_FIXTURES "/" name

typedef struct expect {
    const char *cpuset;
    int numa0; /* first NUMA node, -1: not checked */
    int nnuma;
    int nthreads;
    int pus[8]; /* first thread PUs (up to 8 checked) */
} expect;

static place_plan *plan_for(place_topo **t, const char *topo, place_request q)
{
    place_error e;
    if (place_topo_load(t, topo, 0, &e) != 0) {
        print_error("%s: %s\n", topo, e.msg);
        fail();
    }
    place_plan *p = NULL;
    if (place_plan_compute(&p, *t, &q, &e) != 0) {
        print_error("plan: %s\n", e.msg);
        fail();
    }
    return p;
}

static void check_rank(const place_plan *p, int rank, const expect *x)
{
    place_rank_info ri;
    assert_int_equal(place_plan_rank(p, rank, &ri, NULL), 0);
    assert_string_equal(ri.cpuset, x->cpuset);
    assert_int_equal(ri.nnuma, x->nnuma);
    if (x->numa0 >= 0)
        assert_int_equal(ri.numa_os[0], x->numa0);
    assert_int_equal(ri.nthreads, x->nthreads);
    for (int i = 0; i < x->nthreads && i < 8; i++)
        assert_int_equal(ri.thread_pu_os[i], x->pus[i]);
}

static int has_note(const place_plan *p, const char *needle)
{
    for (int i = 0; i < place_plan_nnotes(p); i++)
        if (strstr(place_plan_note(p, i), needle))
            return 1;
    return 0;
}

static place_request req(int ranks, int threads)
{
    place_request q;
    place_request_init(&q);
    q.ranks = ranks;
    q.threads = threads;
    return q;
}

/* pack:2 numa:2 core:8 pu:2 numbers siblings adjacently: core c has PUs 2c, 2c+1. */
static void test_numa_policy_gives_two_ranks_per_numa_node_one_pu_per_core(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, "synthetic:pack:2 numa:2 core:8 pu:2", req(8, 4));
    for (int r = 0; r < 8; r++) {
        char cs[64];
        int b = 8 * r;
        snprintf(cs, sizeof cs, "%d,%d,%d,%d", b, b + 2, b + 4, b + 6);
        expect x = {cs, r / 2, 1, 4, {b, b + 2, b + 4, b + 6}};
        check_rank(p, r, &x);
    }
    assert_int_equal(place_plan_resolved(p)->smt, 1);
    assert_int_equal(place_plan_request(p)->smt, 0); /* the request is never changed */
    place_plan_free(p);
    place_topo_free(t);
}

/* The request as given stays as given; what was automatic is in the resolved copy. */
static void test_request_is_immutable_resolution_is_separate(void **s)
{
    place_topo *t;
    place_request q;
    place_request_init(&q);
    q.ranks_per_node = 3;
    q.nodes = 2;
    place_plan *p = plan_for(&t, "synthetic:pack:2 numa:2 core:8 pu:2", q);
    const place_request *given = place_plan_request(p), *res = place_plan_resolved(p);
    assert_memory_equal(given, &q, sizeof q);
    assert_int_equal(res->ranks, 6);
    assert_int_equal(res->nodes, 2);
    assert_int_equal(res->ranks_per_node, 3);
    assert_true(res->threads >= 1);
    assert_int_equal(res->smt, 1);
    place_plan_free(p);
    place_topo_free(t);
}

/* xeon-2s-smt2: core c (0-31) has PUs c and c+32, like a real two-socket x86 server. */
static void test_smt_siblings_only_when_threads_exceed_cores(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("xeon-2s-smt2.xml"), req(2, 16));
    expect r0 = {"0-15", 0, 1, 16, {0, 1, 2, 3, 4, 5, 6, 7}};
    expect r1 = {"16-31", 1, 1, 16, {16, 17, 18, 19, 20, 21, 22, 23}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    place_plan_free(p);
    place_topo_free(t);

    p = plan_for(&t, FIXTURE("xeon-2s-smt2.xml"), req(2, 32));
    place_rank_info ri;
    place_plan_rank(p, 0, &ri, NULL);
    assert_string_equal(ri.cpuset, "0-15,32-47");
    assert_int_equal(ri.thread_pu_os[15], 15); /* every core once... */
    assert_int_equal(ri.thread_pu_os[16], 32); /* ...then the siblings */
    assert_true(has_note(p, "using 2 PUs per core"));
    place_plan_free(p);
    place_topo_free(t);
}

/* epyc-2s-nps4: 8 NUMA nodes of 8 cores; core c has PUs c and c+64. */
static void test_one_rank_per_numa_node_fills_it(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("epyc-2s-nps4.xml"), req(8, 0));
    for (int r = 0; r < 8; r++) {
        char cs[32];
        snprintf(cs, sizeof cs, "%d-%d", 8 * r, 8 * r + 7);
        expect x = {
            cs,
            r,
            1,
            8,
            {8 * r, 8 * r + 1, 8 * r + 2, 8 * r + 3, 8 * r + 4, 8 * r + 5, 8 * r + 6, 8 * r + 7}};
        check_rank(p, r, &x);
    }
    assert_int_equal(place_topo_numa_distance(t, 0, 0), 10);
    assert_int_equal(place_topo_numa_distance(t, 0, 3), 12);
    assert_int_equal(place_topo_numa_distance(t, 0, 4), 32);
    place_plan_free(p);
    place_topo_free(t);
}

/* cgroup-restricted: pack:2 numa:2 core:4 pu:2 with PUs 12-31 disallowed, so NUMA 0 keeps
 * 4 cores and NUMA 1 keeps 2: ranks go 2:1 in proportion, 2 cores each. */
static void test_ranks_follow_usable_cores_under_a_cgroup(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("cgroup-restricted.xml"), req(3, 0));
    expect r0 = {"0,2", 0, 1, 2, {0, 2}}, r1 = {"4,6", 0, 1, 2, {4, 6}},
           r2 = {"8,10", 1, 1, 2, {8, 10}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    check_rank(p, 2, &r2);
    assert_string_equal(place_topo_disallowed_pus(t), "12-31");
    assert_true(has_note(p, "12-31 are not allowed"));
    place_plan_free(p);
    place_topo_free(t);
}

/* offline-pus: pack:2 numa:1 core:4 pu:2 with PU 3 (core 1's sibling) and core 6 (PUs 12,
 * 13) offline: 8 threads on 7 cores use one sibling and leave no core free. */
static void test_offline_pus_are_skipped_and_no_core_left_free(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("offline-pus.xml"), req(2, 4));
    expect r0 = {"0-2,4-7", 0, 1, 4, {0, 2, 4, 6}};
    expect r1 = {"8-11,14-15", 1, 1, 4, {8, 10, 14, 9}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    assert_string_equal(place_topo_offline_pus(t), "3,12-13");
    place_plan_free(p);
    place_topo_free(t);
}

/* hybrid-8p8e: P-cores 0-7 (PUs 2c, 2c+1), E-cores 8-15 (PUs 16, 18, ..., 30). */
static void test_hybrid_uses_performance_cores_when_they_suffice(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("hybrid-8p8e.xml"), req(2, 4));
    expect r0 = {"0,2,4,6", 0, 1, 4, {0, 2, 4, 6}}, r1 = {"8,10,12,14", 0, 1, 4, {8, 10, 12, 14}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    assert_true(has_note(p, "only the most efficient kind"));
    place_plan_free(p);
    place_topo_free(t);

    place_request q = req(2, 4);
    q.kinds = PLACE_KINDS_ALL;
    p = plan_for(&t, FIXTURE("hybrid-8p8e.xml"), q);
    expect a0 = {"0,2,4,6,8,10,12,14", 0, 1, 4, {0, 2, 4, 6}};
    expect a1 = {"16,18,20,22,24,26,28,30", 0, 1, 4, {16, 18, 20, 22}};
    check_rank(p, 0, &a0);
    check_rank(p, 1, &a1);
    place_plan_free(p);
    place_topo_free(t);

    q.kinds = PLACE_KINDS_BEST;
    q.threads = 10;
    place_error e;
    assert_int_equal(place_topo_load(&t, FIXTURE("hybrid-8p8e.xml"), 0, &e), 0);
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_int_equal(e.code, PLACE_EINFEASIBLE);
    place_topo_free(t);
}

static void test_memory_only_numa_node_gets_no_ranks(void **s)
{
    place_topo *t;
    place_plan *p =
        plan_for(&t, "synthetic:pack:1 [numa] [numa(memory=16GB)] core:16 pu:4", req(4, 4));
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.numa_nodes, 2);
    assert_int_equal(ti.memory_only_numa, 1);
    assert_int_equal(place_topo_memory_only_numa_os(t, 0), 1);
    for (int r = 0; r < 4; r++) {
        place_rank_info ri;
        place_plan_rank(p, r, &ri, NULL);
        assert_int_equal(ri.nnuma, 1);
        assert_int_equal(ri.numa_os[0], 0);
    }
    assert_true(has_note(p, "P#1 has no cores of its own"));
    place_plan_free(p);
    place_topo_free(t);
}

static void test_spread_puts_consecutive_ranks_on_different_numa_nodes(void **s)
{
    place_topo *t;
    place_request q = req(4, 1);
    q.policy = PLACE_POLICY_SPREAD;
    place_plan *p = plan_for(&t, "synthetic:pack:2 numa:2 core:4 pu:1", q);
    for (int r = 0; r < 4; r++) {
        char cs[16];
        snprintf(cs, sizeof cs, "%d-%d", 4 * r, 4 * r + 3);
        expect x = {cs, r, 1, 1, {4 * r}};
        check_rank(p, r, &x);
    }
    place_plan_free(p);
    place_topo_free(t);
    q.ranks = 8;
    p = plan_for(&t, "synthetic:pack:2 numa:2 core:4 pu:1", q);
    place_rank_info ri;
    place_plan_rank(p, 5, &ri, NULL); /* second rank on NUMA 1 */
    assert_string_equal(ri.cpuset, "6-7");
    assert_int_equal(ri.numa_os[0], 1);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_compact_takes_only_the_cores_needed(void **s)
{
    place_topo *t;
    place_request q = req(3, 2);
    q.policy = PLACE_POLICY_COMPACT;
    place_plan *p = plan_for(&t, "synthetic:pack:2 numa:2 core:4 pu:1", q);
    expect r0 = {"0-1", 0, 1, 2, {0, 1}}, r1 = {"2-3", 0, 1, 2, {2, 3}},
           r2 = {"4-5", 1, 1, 2, {4, 5}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    check_rank(p, 2, &r2);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_reserved_cores_are_the_last_of_each_package(void **s)
{
    place_topo *t;
    place_request q = req(2, 0);
    q.reserve_cores = 1;
    place_plan *p = plan_for(&t, "synthetic:pack:2 core:4 pu:1", q);
    expect r0 = {"0-2", 0, 1, 3, {0, 1, 2}}, r1 = {"4-6", 0, 1, 3, {4, 5, 6}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_uneven_ranks_over_nodes_go_in_blocks(void **s)
{
    place_topo *t;
    place_request q = req(5, 0);
    q.nodes = 2;
    place_plan *p = plan_for(&t, "synthetic:pack:1 core:4 pu:1", q);
    int node[5] = {0, 0, 0, 1, 1}, local[5] = {0, 1, 2, 0, 1};
    for (int r = 0; r < 5; r++) {
        place_rank_info ri;
        place_plan_rank(p, r, &ri, NULL);
        assert_int_equal(ri.node, node[r]);
        assert_int_equal(ri.local_rank, local[r]);
    }
    place_rank_info ri;
    place_plan_rank(p, 4, &ri, NULL);
    assert_string_equal(ri.cpuset, "2-3"); /* node 1: 2 ranks of 2 cores */
    place_plan_rank(p, 0, &ri, NULL);
    assert_string_equal(ri.cpuset, "0-1"); /* node 0: 3 ranks on all 4 cores: 2, 1, 1 */
    place_plan_rank(p, 2, &ri, NULL);
    assert_string_equal(ri.cpuset, "3");
    assert_true(has_note(p, "node 0 runs 3 ranks, the others 2"));
    assert_true(has_note(p, "shares of 1 to 2 cores"));
    place_plan_free(p);
    place_topo_free(t);
}

static void test_oversubscribe_deals_threads_round_robin_and_says_so(void **s)
{
    place_topo *t;
    place_request q = req(2, 2);
    q.oversubscribe = 1;
    place_plan *p = plan_for(&t, "synthetic:pack:1 core:2 pu:1", q);
    assert_true(place_plan_oversubscribed(p));
    expect r0 = {"0-1", 0, 1, 2, {0, 1}}, r1 = {"0-1", 0, 1, 2, {0, 1}};
    check_rank(p, 0, &r0);
    check_rank(p, 1, &r1);
    assert_true(has_note(p, "up to 2 per PU"));
    place_plan_free(p);
    place_topo_free(t);
}

static void test_million_ranks_map_to_nodes_arithmetically(void **s)
{
    place_topo *t;
    place_request q = req(1 << 20, 0);
    q.nodes = 8192;
    place_plan *p = plan_for(&t, "synthetic:pack:2 numa:1 core:64 pu:2", q);
    place_rank_info ri;
    place_plan_rank(p, (1 << 20) - 1, &ri, NULL);
    assert_int_equal(ri.node, 8191);
    assert_int_equal(ri.local_rank, 127);
    assert_int_equal(ri.local_size, 128);
    assert_string_equal(ri.cpuset, "254"); /* core 127's first PU */
    assert_int_equal(ri.numa_os[0], 1);
    assert_int_equal(place_plan_rank(p, 1 << 20, &ri, NULL), -1);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_infeasible_requests_name_the_numbers(void **s)
{
    place_topo *t;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:1 core:2 pu:2", 0, &e), 0);
    place_plan *p = NULL;
    place_request q = req(3, 2);
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_int_equal(e.code, PLACE_EINFEASIBLE);
    assert_non_null(strstr(e.msg, "3 ranks x 2 threads"));
    assert_non_null(strstr(e.msg, "4 usable PUs"));
    assert_null(p);
    q = req(2, 0);
    q.nodes = 3;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_int_equal(e.code, PLACE_EINVAL);
    q = req(5, 0);
    q.ranks_per_node = 2;
    q.nodes = 2;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_non_null(strstr(e.msg, "needs 3 nodes"));
    q = req(1, 0);
    q.reserve_cores = 2;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_non_null(strstr(e.msg, "request.reserve_cores 2")); /* the library's own names */
    static const place_spelling cli = {.reserve_cores = "--reserve-cores"};
    q.spelling = &cli; /* a front end's names */
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_non_null(strstr(e.msg, "--reserve-cores 2 leaves no core"));
    place_topo_free(t);
}

/* ---- real nodes (issue 14) ------------------------------------------------------ */

static int ncores_of(const place_plan *p, int rank, int *nnuma, int numa[4])
{
    place_rank_info ri;
    assert_int_equal(place_plan_rank(p, rank, &ri, NULL), 0);
    *nnuma = ri.nnuma;
    for (int k = 0; k < ri.nnuma && k < 4; k++)
        numa[k] = ri.numa_os[k];
    return ri.ncpus;
}

/* Fewer ranks than NUMA nodes: runs of whole nodes, the smallest as large as possible
 * (4 cores), and the runs before the last as even as the nodes before allow (6 and 6, not
 * 8 and 4): 3 ranks on 8 nodes of 2 cores are 6, 6 and 4 cores. */
static void test_whole_node_runs_are_even(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, "synthetic:pack:1 numa:8 core:2 pu:1", req(3, 0));
    int want[3] = {6, 6, 4}, first[3] = {0, 3, 6}, nn, numa[8];
    for (int r = 0; r < 3; r++) {
        assert_int_equal(ncores_of(p, r, &nn, numa), want[r]);
        assert_int_equal(numa[0], first[r]);
    }
    assert_true(has_note(
        p,
        "spanning several whole NUMA nodes (no other rank on them): 0 (NUMA 0,1,2), 1 (NUMA 3,4,5), 2 (NUMA 6,7)"));
    place_plan_free(p);
    place_topo_free(t);
}

/* KNL 7250 in SNC-4: NUMA nodes of 18, 18, 16 and 16 cores (SMT4, one PU per core used).
 * Equal shares of 17 would straddle: each rank takes its whole NUMA node instead. */
static void test_knl_unequal_numa_nodes_keep_ranks_inside(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("knl-snc4-unequal.xml"), req(4, 0));
    int want[4] = {18, 18, 16, 16}, nn, numa[4];
    for (int r = 0; r < 4; r++) {
        assert_int_equal(ncores_of(p, r, &nn, numa), want[r]);
        assert_int_equal(nn, 1);
        assert_int_equal(numa[0], r);
    }
    assert_true(has_note(p, "equal shares of 17 cores would straddle NUMA nodes"));
    assert_true(has_note(p, "16 to 18 cores; 0 cores idle"));
    place_plan_free(p);
    place_topo_free(t);
    /* -n 2: 36 and 32 on NUMA boundaries, not 34 and 34 across three NUMA nodes */
    p = plan_for(&t, FIXTURE("knl-snc4-unequal.xml"), req(2, 0));
    assert_int_equal(ncores_of(p, 0, &nn, numa), 36);
    assert_true(nn == 2 && numa[0] == 0 && numa[1] == 1);
    assert_int_equal(ncores_of(p, 1, &nn, numa), 32);
    assert_true(nn == 2 && numa[0] == 2 && numa[1] == 3);
    assert_true(has_note(
        p,
        "spanning several whole NUMA nodes (no other rank on them): 0 (NUMA 0,1), 1 (NUMA 2,3)"));
    place_plan_free(p);
    place_topo_free(t);
    /* -t 17: two ranks fit inside NUMA nodes, only the other two straddle */
    p = plan_for(&t, FIXTURE("knl-snc4-unequal.xml"), req(4, 17));
    int straddling = 0;
    for (int r = 0; r < 4; r++) {
        ncores_of(p, r, &nn, numa);
        straddling += nn > 1;
    }
    assert_int_equal(straddling, 2);
    assert_true(has_note(p, "straddling NUMA nodes they share with other ranks: 2 (NUMA"));
    place_plan_free(p);
    place_topo_free(t);
    /* -n 8: two ranks per NUMA node, every core used: 9, 9, 9, 9, 8, 8, 8, 8 (equal
     * shares of 8 would leave 4 cores idle for the same smallest share) */
    p = plan_for(&t, FIXTURE("knl-snc4-unequal.xml"), req(8, 0));
    for (int r = 0; r < 8; r++) {
        assert_int_equal(ncores_of(p, r, &nn, numa), r < 4 ? 9 : 8);
        assert_int_equal(nn, 1);
        assert_int_equal(numa[0], r / 2);
    }
    assert_true(has_note(p, "shares of 8 to 9 cores, no rank straddling NUMA nodes"));
    assert_true(has_note(p, "every core is used"));
    place_plan_free(p);
    place_topo_free(t);
}

/* A cgroup leaving 14 and 16 usable cores of two NUMA nodes: 14 and 16, not 15 + 15. */
static void test_restricted_cpuset_unequal_shares(void **s)
{
    place_topo *t;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:2 numa:1 core:16 pu:1", 0, &e), 0);
    assert_int_equal(place_topo_restrict(t, "2-31", &e), 0);
    place_request q = req(2, 0);
    place_plan *p;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), 0);
    int nn, numa[4];
    assert_int_equal(ncores_of(p, 0, &nn, numa), 14);
    assert_int_equal(nn, 1);
    assert_int_equal(ncores_of(p, 1, &nn, numa), 16);
    assert_int_equal(nn, 1);
    place_plan_free(p);
    place_topo_free(t);
}

/* Every rank that spans NUMA nodes is named, with or without -t: POWER9 -n 3 stays inside
 * the sockets (10, 10, 20 of 20 + 20 allowed cores); EPYC NPS4 -n 5 gives runs of whole
 * NUMA nodes, each named. */
static void test_every_numa_span_is_named(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("power9-v100.xml"), req(3, 0));
    int nn, numa[4], total = 0;
    for (int r = 0; r < 3; r++) {
        total += ncores_of(p, r, &nn, numa);
        assert_int_equal(nn, 1);
    }
    assert_int_equal(total, 40);
    place_plan_free(p);
    place_topo_free(t);
    p = plan_for(&t, FIXTURE("epyc-2s-nps4.xml"), req(5, 0));
    assert_true(has_note(
        p,
        "spanning several whole NUMA nodes (no other rank on them): 0 (NUMA 0,1), 1 (NUMA 2,3), 2 (NUMA 4,5)"));
    for (int r = 0; r < 5; r++)
        ncores_of(p, r, &nn, numa);
    place_plan_free(p);
    place_topo_free(t);
}

/* cpuset.mems without node 0: the topology written inside that cgroup has no NUMA node for
 * package 0; its cores take memory from node 1 and the plan says so. */
static void test_restricted_memory_nodes_are_planned(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("restricted-mems.xml"), req(2, 0));
    int nn, numa[4];
    assert_int_equal(ncores_of(p, 0, &nn, numa), 4);
    assert_true(nn == 1 && numa[0] == 1);
    assert_int_equal(ncores_of(p, 1, &nn, numa), 4);
    assert_true(nn == 1 && numa[0] == 1);
    assert_true(has_note(p, "cores L#0-3 have no allowed memory of their own (no NUMA node in the "
                            "topology): their memory comes from NUMA node P#1"));
    assert_false(has_note(p, "memory-only"));
    place_plan_free(p);
    place_topo_free(t);
}

/* POWER9 + V100: GPU memory nodes are device memory, not ordinary memory-only nodes; PUs
 * reserved for the system are "not allowed"; PUs absent from a written topology are not
 * called offline for sure. */
static void test_device_memory_and_reserved_pus_are_named(void **s)
{
    place_topo *t;
    place_plan *p = plan_for(&t, FIXTURE("power9-v100.xml"), req(2, 0));
    assert_true(has_note(p, "NUMA nodes P#1, P#2, P#4, P#5 are device memory (GPUMemory)"));
    assert_false(has_note(p, "memory-only"));
    assert_true(has_note(p, "PUs 0-7,88-95 are not allowed"));
    assert_false(has_note(p, "offline"));
    place_plan_free(p);
    place_topo_free(t);
    p = plan_for(&t, FIXTURE("offline-pus.xml"), req(1, 0));
    assert_true(has_note(p, "PUs 3,12-13 are absent from the topology (offline, or not allowed to "
                            "the process that wrote it)"));
    place_plan_free(p);
    place_topo_free(t);
}

/* One parser for the request's keys (placerun's command line and profiles, the SPANK
 * plugin): each key sets its field, its bounds and errors as the label names them, and a
 * front end takes only its own keys. */
static void test_request_keys_set_their_fields(void **state)
{
    (void)state;
    place_request q;
    place_request_init(&q);
    place_error e;
    char nics[] = "mlx5_0,cxi1", map[] = "map:1,0";
    assert_int_equal(place_request_set(&q, "np", "12", "-n", &e), 0);
    assert_int_equal(place_request_set(&q, "nodes", "3", "-N", &e), 0);
    assert_int_equal(place_request_set(&q, "ranks-per-node", "4", "--ranks-per-node", &e), 0);
    assert_int_equal(place_request_set(&q, "threads", "2", "-t", &e), 0);
    assert_int_equal(place_request_set(&q, "policy", "scatter", "--policy", &e), 0);
    assert_int_equal(place_request_set(&q, "smt", "2", "--smt", &e), 0);
    assert_int_equal(place_request_set(&q, "reserve-cores", "0", "--reserve-cores", &e), 0);
    assert_int_equal(place_request_set(&q, "cpu-kinds", "best", "--cpu-kinds", &e), 0);
    assert_int_equal(place_request_set(&q, "gpus-per-rank", "2", "--gpus-per-rank", &e), 0);
    assert_int_equal(place_request_set(&q, "gpu-bind", map, "--gpu-bind", &e), 0);
    assert_int_equal(place_request_set(&q, "nics", nics, "--nics", &e), 0);
    assert_int_equal(q.ranks, 12);
    assert_int_equal(q.nodes, 3);
    assert_int_equal(q.ranks_per_node, 4);
    assert_int_equal(q.threads, 2);
    assert_int_equal(q.policy, PLACE_POLICY_SPREAD);
    assert_int_equal(q.smt, 2);
    assert_int_equal(q.kinds, PLACE_KINDS_BEST);
    assert_int_equal(q.gpus_per_rank, 2);
    assert_int_equal(q.gpu_bind, PLACE_GPU_BIND_MAP);
    assert_ptr_equal(q.gpu_map, map + 4);
    assert_int_equal(q.nics, PLACE_NICS_LIST);
    assert_ptr_equal(q.nic_list, nics);
    assert_int_equal(place_request_set(&q, "gpus", "auto", "--gpus", &e), 0);
    assert_int_equal(q.gpus_per_rank, PLACE_GPUS_AUTO);
    /* bounds and labels: the value is refused and the field kept */
    assert_int_equal(place_request_set(&q, "smt", "65", "--place smt", &e), -1);
    assert_non_null(strstr(e.msg, "--place smt"));
    assert_int_equal(q.smt, 2);
    assert_int_equal(place_request_set(&q, "reserve-cores", "-1", "--reserve-cores", &e), -1);
    assert_int_equal(place_request_set(&q, "policy", "fast", "--policy", &e), -1);
    assert_non_null(strstr(e.msg, "--policy 'fast': unknown"));
    assert_int_equal(place_request_set(&q, "grid", "8x8x8", "--grid", &e), -1);
    /* each front end its own keys */
    assert_true(place_request_key("np", PLACE_KEY_CLI));
    assert_false(place_request_key("np", PLACE_KEY_PROFILE | PLACE_KEY_SPANK));
    assert_true(place_request_key("threads", PLACE_KEY_SPANK));
    assert_false(place_request_key("threads", PLACE_KEY_PROFILE));
    assert_true(place_request_key("gpu-bind", PLACE_KEY_PROFILE));
    assert_false(place_request_key("gpu-bind", PLACE_KEY_SPANK));
    assert_true(place_request_key("nics", PLACE_KEY_ALL));
    assert_false(place_request_key("membind", PLACE_KEY_ALL));
    /* every policy's name and names it is known by, from the table the parser reads */
    for (int i = 0; i < PLACE_POLICY_COUNT; i++) {
        place_policy pol = PLACE_POLICY_COUNT;
        assert_int_equal(
            place_policy_parse("--policy", place_policy_name((place_policy)i), &pol, &e), 0);
        assert_int_equal(pol, i);
    }
    place_policy pol;
    assert_int_equal(place_policy_parse("--policy", "close", &pol, &e), 0);
    assert_int_equal(pol, PLACE_POLICY_COMPACT);
    assert_int_equal(place_policy_parse("--policy", "spread_numa", &pol, &e), 0);
    assert_int_equal(pol, PLACE_POLICY_SPREAD);
    /* a C caller's policy or kinds out of the enum is refused, not taken for numa */
    place_topo *t = NULL;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:2 core:2 pu:1", 0, &e), 0);
    place_request_init(&q);
    q.policy = (place_policy)PLACE_POLICY_COUNT;
    place_plan *p = NULL;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_non_null(strstr(e.msg, "no such policy"));
    place_request_init(&q);
    q.kinds = (place_kinds)-1;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), -1);
    assert_non_null(strstr(e.msg, "no such choice"));
    place_topo_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numa_policy_gives_two_ranks_per_numa_node_one_pu_per_core),
        cmocka_unit_test(test_request_is_immutable_resolution_is_separate),
        cmocka_unit_test(test_whole_node_runs_are_even),
        cmocka_unit_test(test_knl_unequal_numa_nodes_keep_ranks_inside),
        cmocka_unit_test(test_restricted_cpuset_unequal_shares),
        cmocka_unit_test(test_every_numa_span_is_named),
        cmocka_unit_test(test_restricted_memory_nodes_are_planned),
        cmocka_unit_test(test_device_memory_and_reserved_pus_are_named),
        cmocka_unit_test(test_smt_siblings_only_when_threads_exceed_cores),
        cmocka_unit_test(test_one_rank_per_numa_node_fills_it),
        cmocka_unit_test(test_ranks_follow_usable_cores_under_a_cgroup),
        cmocka_unit_test(test_offline_pus_are_skipped_and_no_core_left_free),
        cmocka_unit_test(test_hybrid_uses_performance_cores_when_they_suffice),
        cmocka_unit_test(test_memory_only_numa_node_gets_no_ranks),
        cmocka_unit_test(test_spread_puts_consecutive_ranks_on_different_numa_nodes),
        cmocka_unit_test(test_compact_takes_only_the_cores_needed),
        cmocka_unit_test(test_reserved_cores_are_the_last_of_each_package),
        cmocka_unit_test(test_uneven_ranks_over_nodes_go_in_blocks),
        cmocka_unit_test(test_oversubscribe_deals_threads_round_robin_and_says_so),
        cmocka_unit_test(test_million_ranks_map_to_nodes_arithmetically),
        cmocka_unit_test(test_infeasible_requests_name_the_numbers),
        cmocka_unit_test(test_request_keys_set_their_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
