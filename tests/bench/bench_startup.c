/* bench_startup: what placerun adds to starting a rank.
 *
 * Times fork + exec + wait of `/bin/true` and of `placerun -t 1 -- /bin/true`
 * (topology load, plan, bind, membind, environment, plan file, exec), interleaved so that
 * machine noise hits both alike, and prints the medians and their difference: the
 * start-up cost per rank. With a described GPU node (GPUS_XML), also what device discovery
 * and GPU/NIC planning add: `placerun --plan` for one rank per GPU on that node without
 * devices (-n as many ranks) and with them (--gpus auto), interleaved the same way, and
 * their ratio. A benchmark: it checks that every run succeeded, never speed.
 *   bench_startup PLACERUN [runs [GPUS_XML]]
 */
#include <fcntl.h>
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
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
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
    /* this machine's own PCI discovery (sysfs) for NICs, against the same without */
    char *native_dev[] = {argv[1], "-t", "1", "--nics", "auto", "--", "/bin/true", NULL};
    double *td = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) {
        tp[i] = run(placed);
        td[i] = run(native_dev);
    }
    qsort(tp, (size_t)n, sizeof *tp, cmp_double);
    qsort(td, (size_t)n, sizeof *td, cmp_double);
    printf("  placerun -t 1 --nics auto (native PCI discovery) median %.3f ms: +%.3f ms over without "
           "(ratio %.3f)\n", td[n / 2], td[n / 2] - tp[n / 2], td[n / 2] / tp[n / 2]);
    free(td);
    if (argc > 3) {
        char topo[4200];
        snprintf(topo, sizeof topo, "%.4096s", argv[3]);
        char *cpu[] = {argv[1], "--plan", "--topology", topo, "-n", "16", NULL};
        char *dev[] = {argv[1], "--plan", "--topology", topo, "--gpus", "auto", NULL};
        for (int i = 0; i < 5; i++)
            run(cpu), run(dev);
        for (int i = 0; i < n; i++) {
            tb[i] = run(cpu);
            tp[i] = run(dev);
        }
        qsort(tb, (size_t)n, sizeof *tb, cmp_double);
        qsort(tp, (size_t)n, sizeof *tp, cmp_double);
        printf("  described node %s, 16 ranks:\n", topo);
        printf("  placerun --plan -n 16 (no devices)   median %.3f ms, p90 %.3f ms\n", tb[n / 2], tb[n * 9 / 10]);
        printf("  placerun --plan --gpus auto           median %.3f ms, p90 %.3f ms\n", tp[n / 2], tp[n * 9 / 10]);
        printf("  devices add %.3f ms (ratio %.3f)\n", tp[n / 2] - tb[n / 2], tp[n / 2] / tb[n / 2]);
    }
    free(tb);
    free(tp);
    return 0;
}
