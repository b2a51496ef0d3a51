/* consumer.c: a solver's view of an installed libplace. Built against the installed
 * headers and library (through pkg-config and through find_package), it computes a
 * plan for a described machine and checks one rank's cpuset. */
#include <place.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    place_topo *t;
    place_plan *p;
    place_error e;
    place_request q;
    place_request_init(&q);
    q.ranks = 4;
    q.threads = 2;
    if (place_topo_load(&t, "synthetic:pack:2 numa:2 core:4 pu:1", 0, &e) ||
        place_plan_compute(&p, t, &q, &e)) {
        fprintf(stderr, "consumer: %s\n", e.msg);
        return 1;
    }
    place_rank_info ri;
    place_plan_rank(p, 3, &ri, NULL);
    int ok = !strcmp(ri.cpuset, "12-15") && ri.thread_pu_os[1] == 13;
    printf("consumer: rank 3 cpuset %s, thread 1 on PU %d: %s\n", ri.cpuset, ri.thread_pu_os[1],
           ok ? "ok" : "WRONG");
    place_plan_free(p);
    place_topo_free(t);
    return ok ? 0 : 1;
}
