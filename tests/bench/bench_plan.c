/* bench_plan: how long a plan for a very large job takes, and what it costs in memory.
 *
 * The job: 8192 nodes x 128 ranks (1,048,576 ranks) of 1 thread on a described
 * 2-socket, 128-core node with SMT2. Printed: the median time to compute the plan (no
 * output), to query every rank once (what a launcher or a JSON writer does), and to
 * write the whole plan as JSON to /dev/null, over several repetitions; and the growth of
 * the resident set while the plan exists. A benchmark, not a test: it asserts that the
 * plan is right, never that it is fast.
 *   bench_plan [nodes] [ranks_per_node] [repetitions]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "bench.h"
#include "place.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f && fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = 0;
    if (f)
        fclose(f);
    return res * 4;
}

int main(int argc, char **argv)
{
    int nodes = 8192, rpn = 128, reps = 5;
    const char *spec = "synthetic:pack:2 numa:1 core:64 pu:2";
    place_error e;
    if ((argc > 1 && place_parse_int("nodes", argv[1], 1, 1 << 20, &nodes, &e) < 0) ||
        (argc > 2 && place_parse_int("ranks per node", argv[2], 1, 4096, &rpn, &e) < 0) ||
        (argc > 3 && place_parse_int("repetitions", argv[3], 1, 1000, &reps, &e) < 0)) {
        fprintf(stderr, "bench_plan: %s\n", e.msg);
        return 2;
    }
    place_topo *t;
    if (place_topo_load(&t, spec, 0, &e)) {
        fprintf(stderr, "bench_plan: %s\n", e.msg);
        return 1;
    }
    place_request q;
    place_request_init(&q);
    q.nodes = nodes;
    q.ranks_per_node = rpn;
    q.threads = 1;
    double tc[64], tq[64], tj[64];
    long rss0 = rss_kib(), rss_plan = 0;
    reps = reps > 64 ? 64 : reps;
    for (int r = 0; r < reps; r++) {
        place_plan *p;
        double t0 = now();
        if (place_plan_compute(&p, t, &q, &e)) {
            fprintf(stderr, "bench_plan: %s\n", e.msg);
            return 1;
        }
        double t1 = now();
        rss_plan = rss_kib() - rss0;
        long sum = 0;
        int n = place_plan_resolved(p)->ranks;
        for (int i = 0; i < n; i++) {
            place_rank_info ri;
            place_plan_rank(p, i, &ri, NULL);
            sum += ri.thread_pu_os[0] + ri.node;
        }
        double t2 = now();
        /* every node's rank i sits on core i, PU 2i: the checksum is known */
        long expect = 0;
        for (int i = 0; i < rpn; i++)
            expect += 2L * i;
        expect = expect * nodes + (long)rpn * nodes * (nodes - 1) / 2;
        CHECK(n == nodes * rpn && sum == expect);
        FILE *null = fopen("/dev/null", "w");
        double t3 = now();
        place_plan_write_json(p, NULL, null, &e);
        double t4 = now();
        fclose(null);
        tc[r] = t1 - t0;
        tq[r] = t2 - t1;
        tj[r] = t4 - t3;
        place_plan_free(p);
    }
    qsort(tc, (size_t)reps, sizeof *tc, cmp_double);
    qsort(tq, (size_t)reps, sizeof *tq, cmp_double);
    qsort(tj, (size_t)reps, sizeof *tj, cmp_double);
    printf("bench_plan: %d nodes x %d ranks = %ld ranks on %s, %d repetitions (median)\n", nodes,
           rpn, (long)nodes * rpn, spec, reps);
    printf("  compute plan:          %10.3f ms\n", tc[reps / 2] * 1e3);
    printf("  query every rank:      %10.3f ms (%.1f ns per rank)\n", tq[reps / 2] * 1e3,
           tq[reps / 2] * 1e9 / ((double)nodes * rpn));
    printf("  write JSON /dev/null:  %10.3f ms\n", tj[reps / 2] * 1e3);
    printf("  resident memory of the plan: %ld KiB\n", rss_plan);
    place_topo_free(t);
    return 0;
}
