/* bench_startup: what placerun adds to starting a rank.
 *
 * Times fork + exec + wait of `/bin/true` and of `placerun -t 1 -- /bin/true`
 * (topology load, plan, bind, membind, environment, plan file, exec), interleaved so that
 * machine noise hits both alike, and prints the medians and their difference: the
 * start-up cost per rank. A benchmark: it checks that every run succeeded, never speed.
 *   bench_startup PLACERUN [runs]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "place.h"

static double run(char *const argv[])
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t p = fork();
    if (p == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_startup: %s failed\n", argv[0]);
        exit(1);
    }
    return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) * 1e-6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_startup PLACERUN [runs]\n");
        return 2;
    }
    int n = 200;
    place_error e;
    if (argc > 2 && place_parse_int("runs", argv[2], 5, 100000, &n, &e) < 0) {
        fprintf(stderr, "bench_startup: %s\n", e.msg);
        return 2;
    }
    char *bare[] = {"/bin/true", NULL};
    char *placed[] = {argv[1], "-t", "1", "--", "/bin/true", NULL};
    double *tb = malloc(sizeof(double) * n), *tp = malloc(sizeof(double) * n);
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), "/tmp", 0);
    for (int i = 0; i < 5; i++) /* warm the page cache */
        run(bare), run(placed);
    for (int i = 0; i < n; i++) {
        tb[i] = run(bare);
        tp[i] = run(placed);
    }
    qsort(tb, (size_t)n, sizeof *tb, cmp_double);
    qsort(tp, (size_t)n, sizeof *tp, cmp_double);
    printf("bench_startup: %d runs each, interleaved\n", n);
    printf("  /bin/true                      median %.3f ms, p90 %.3f ms\n", tb[n / 2], tb[n * 9 / 10]);
    printf("  placerun -t 1 -- /bin/true     median %.3f ms, p90 %.3f ms\n", tp[n / 2], tp[n * 9 / 10]);
    printf("  placerun's start-up cost per rank: %.3f ms (difference of medians)\n", tp[n / 2] - tb[n / 2]);
    free(tb);
    free(tp);
    return 0;
}
