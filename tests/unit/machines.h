/* machines.h: the described machines the plan tests run on.
 *
 * Synthetic strings cover what hwloc can describe directly; the XML fixtures (made by
 * tests/fixtures/make-fixtures.py with lstopo) cover offline PUs, cgroup-restricted
 * cpusets, CPU kinds, NUMA distances and unequal packages. PLACE_FIXTURES is the
 * fixture folder, set by CMake.
 */
#ifndef TEST_MACHINES_H
#define TEST_MACHINES_H

#define FIX(name) "xml:" PLACE_FIXTURES "/" name

static const char *const test_machines[] = {
    "synthetic:pack:1 core:4 pu:1",                             /* laptop, no SMT */
    "synthetic:pack:1 core:1 pu:2",                             /* one core, SMT2 */
    "synthetic:pack:2 numa:1 core:8 pu:2",                      /* 2 sockets, SMT2 */
    "synthetic:pack:2 numa:2 core:10 pu:2",                     /* sub-NUMA clustering */
    "synthetic:pack:4 numa:2 core:3 pu:2",                      /* 4 sockets, odd domains */
    "synthetic:pack:8 numa:1 core:4 pu:1",                      /* 8 sockets */
    "synthetic:pack:2 numa:8 core:2 pu:1",                      /* 8 NUMA nodes per package */
    "synthetic:pack:1 [numa] [numa(memory=16GB)] core:16 pu:4", /* KNL-like: SMT4 + HBM */
    "synthetic:[numa(memory=64GB)] pack:2 [numa] core:8 pu:2",  /* CXL memory-only node */
    "synthetic:pack:1 numa:2 pu:4",                             /* no Core level */
    FIX("xeon-2s-smt2.xml"),                                    /* siblings P#c and P#c+32 */
    FIX("epyc-2s-nps4.xml"),                                    /* NPS4, distances, SMT2 */
    FIX("cgroup-restricted.xml"),                               /* PUs 12-31 disallowed */
    FIX("offline-pus.xml"),                                     /* PUs 3, 12, 13 offline */
    FIX("hybrid-8p8e.xml"),                                     /* CPU kinds: P with SMT, E */
    FIX("asymmetric-packages.xml"),                             /* 6 + 4 cores */
    FIX("knl-snc4-unequal.xml"),                                /* KNL SNC-4: 18,18,16,16 cores */
    FIX("restricted-mems.xml"),                                 /* cpuset.mems without node 0 */
    FIX("power9-v100.xml"),                                     /* GPU memory nodes, PUs reserved */
};
#define N_TEST_MACHINES ((int)(sizeof test_machines / sizeof test_machines[0]))

#endif
