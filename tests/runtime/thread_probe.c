/* thread_probe: a solver's use of libplace under placerun, checked from inside.
 *   1. place_assignment_from_env() returns what placerun exported in PLACE_* (cpuset,
 *      thread PUs, and the box when --grid was given);
 *   2. pthreads (not OpenMP) bound with place_bind_self_thread(NULL, i) run on the plan's
 *      PU i.
 * A checker: it reads PLACE_CPUSET, PLACE_NTHREADS, PLACE_RANK and PLACE_BOX itself
 * (strictly) to compare them with what the contract module returned.
 * Prints one line per check; exits 1 on any mismatch. */
#define _GNU_SOURCE
#include <place.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static place_assignment A;
static int bad;

static void *worker(void *arg)
{
    int t = (int)(long)arg;
    place_error e;
    if (place_bind_self_thread(NULL, t, &e) < 0) {
        printf("thread %d: %s\n", t, e.msg);
        __atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    cpu_set_t cs;
    sched_getaffinity(0, sizeof cs, &cs);
    volatile double x = 0;
    for (int i = 0; i < 2000000; i++)
        x += i;
    (void)x;
    int cpu = sched_getcpu(), want = A.thread_pu_os[t];
    int ok = CPU_COUNT(&cs) == 1 && CPU_ISSET(want, &cs) && cpu == want;
    printf("rank %d pthread %d: plan PU %d, mask count %d, on CPU %d: %s\n", A.rank, t, want,
           CPU_COUNT(&cs), cpu, ok ? "ok" : "MISMATCH");
    if (!ok)
        __atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

int main(void)
{
    place_error e;
    if (place_assignment_from_env(&A, &e) < 0) {
        printf("assignment: %s\n", e.msg);
        return 1;
    }
    const char *cpuset = getenv("PLACE_CPUSET"), *n = getenv("PLACE_NTHREADS");
    int nt = -1, rk = -1;
    int ok = cpuset && !strcmp(cpuset, A.cpuset) &&
             place_parse_int("PLACE_NTHREADS", n, 1, 65536, &nt, NULL) == 0 && nt == A.nthreads &&
             place_parse_int("PLACE_RANK", getenv("PLACE_RANK"), 0, 1 << 30, &rk, NULL) == 0 &&
             rk == A.rank;
    printf("rank %d assignment: cpuset %s (env %s), %d threads: %s\n", A.rank, A.cpuset,
           cpuset ? cpuset : "-", A.nthreads, ok ? "ok" : "MISMATCH");
    bad += !ok;
    if (A.has_grid) {
        char box[160];
        const place_box *b = &A.box;
        snprintf(box, sizeof box, "%lld:%lld,%lld:%lld,%lld:%lld", (long long)b->lo[0],
                 (long long)b->hi[0], (long long)b->lo[1], (long long)b->hi[1], (long long)b->lo[2],
                 (long long)b->hi[2]);
        const char *env = getenv("PLACE_BOX");
        int gok = env && !strcmp(env, box);
        printf("rank %d box %s (env %s), neighbours %d %d %d %d %d %d: %s\n", A.rank, box,
               env ? env : "-", A.box.neighbor[0], A.box.neighbor[1], A.box.neighbor[2],
               A.box.neighbor[3], A.box.neighbor[4], A.box.neighbor[5], gok ? "ok" : "MISMATCH");
        bad += !gok;
    }
    pthread_t th[64];
    int T = A.nthreads < 64 ? A.nthreads : 64;
    for (int t = 0; t < T; t++)
        pthread_create(&th[t], NULL, worker, (void *)(long)t);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    place_error_clear(&e);
    if (place_bind_self_thread(NULL, T, &e) == 0 || !strstr(e.msg, "the plan has threads")) {
        printf("rank %d: binding thread %d beyond the plan was not refused: MISMATCH\n", A.rank, T);
        bad++;
    }
    place_assignment_fini(&A);
    return bad ? 1 : 0;
}
