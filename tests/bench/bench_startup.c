/* bench_startup: what placerun adds to starting a rank, against the tools people use.
 *
 * Whole processes (fork + exec + wait), every command once per round, rounds interleaved
 * so that machine noise hits all alike; medians and the 10%-90% range per command, and
 * each one's difference from `taskset -c 0 /bin/true`. The commands:
 *   /bin/true; taskset -c 0 /bin/true; hwloc-bind core:0 -- /bin/true (when installed);
 *   placerun --version (what loading placerun and libplace costs: PAPI and libsde are
 *   loaded only by a measurement);
 *   placerun -t 1 -- /bin/true with a warm topology cache, a cold one (removed before
 *   each run: discovery, then the cache written), and with the cache off; the same with
 *   device discovery (--nics auto), warm and cold; with this node's noise profile (measured
 *   once at the start, 0.5 s), --avoid-noisy and --reserve-cores auto, warm: the profile's
 *   cost is their ratio to the warm run without.
 * With a described GPU node (GPUS_XML) also planning on it with and without devices.
 * A benchmark: it checks that every run succeeded, never speed.
 *   bench_startup PLACERUN [runs [GPUS_XML]]
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench.h"
#include "place.h"

static char cachedir[PATH_MAX + 64];

/* Removes the topology cache files (topo-*.xml) of the cold runs' private directory. */
static void cold(void)
{
    DIR *d = opendir(cachedir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (!strncmp(de->d_name, "topo-", 5))
            unlinkat(dirfd(d), de->d_name, 0);
    if (d)
        closedir(d);
}

typedef struct cmd {
    const char *label;
    char *argv[12];
    int cold;        /* runs with the cold directory, emptied of caches before each run */
    const char *env; /* NAME=VALUE for the child, or NULL */
    double *t;
} cmd;

static char colddir_env[PATH_MAX + 64];

static double run(const cmd *c)
{
    if (c->cold)
        cold();
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t p = fork();
    if (p == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        if (c->env)
            putenv((char *)c->env);
        if (c->cold)
            putenv(colddir_env); /* warm and cold runs keep their caches apart */
        execvp(c->argv[0], c->argv);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_startup: %s failed (status %d)\n", c->label, st);
        exit(1);
    }
    return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) * 1e-6;
}

static int on_path(const char *prog)
{
    char cmdline[256];
    snprintf(cmdline, sizeof cmdline, "command -v %s >/dev/null 2>&1", prog);
    return system(cmdline) == 0;
}

static void table(cmd *c, int nc, int n, int ref)
{
    for (int k = 0; k < nc; k++)
        qsort(c[k].t, (size_t)n, sizeof(double), cmp_double);
    double base = c[ref].t[n / 2];
    for (int k = 0; k < nc; k++)
        printf("  %-52s median %7.3f ms  [%6.3f, %6.3f]  %+7.3f ms vs %s\n", c[k].label,
               c[k].t[n / 2], c[k].t[n / 10], c[k].t[n * 9 / 10], c[k].t[n / 2] - base,
               c[ref].label);
}

/* This node's noise profile, measured once (0.5 s) into the bench's directory. */
static char *measure_profile(const char *pr, const char *base)
{
    static char prof[PATH_MAX + 64];
    snprintf(prof, sizeof prof, "%s/noise.json", base);
    char measure[2 * PATH_MAX + 256];
    snprintf(measure, sizeof measure, "'%s' --profile-node 0.5 -o '%s' >/dev/null", pr, prof);
    CHECK(system(measure) == 0);
    return prof;
}

/* Planning on a described GPU node, with and without device discovery. */
static void described_node(char *pr, const char *xml, int n)
{
    char topo[4200];
    snprintf(topo, sizeof topo, "%.4096s", xml);
    cmd g[2] = {{"placerun --plan -n 16 (no devices)",
                 {pr, "--plan", "--topology", topo, "-n", "16", NULL},
                 0,
                 NULL,
                 NULL},
                {"placerun --plan --gpus auto (16 GPUs, 2 NICs)",
                 {pr, "--plan", "--topology", topo, "--gpus", "auto", NULL},
                 0,
                 NULL,
                 NULL}};
    for (int k = 0; k < 2; k++)
        CHECK((g[k].t = malloc(sizeof(double) * (size_t)n)));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            g[k].t[i] = run(&g[k]);
    printf("  described node %s:\n", topo);
    table(g, 2, n, 0);
    printf("  devices add %.3f ms (ratio %.3f)\n", g[1].t[n / 2] - g[0].t[n / 2],
           g[1].t[n / 2] / g[0].t[n / 2]);
    free(g[0].t);
    free(g[1].t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_startup PLACERUN [runs [GPUS_XML]]\n");
        return 2;
    }
    int n = 200;
    place_error e;
    if (argc > 2 && place_parse_int("runs", argv[2], 5, 100000, &n, &e) < 0) {
        fprintf(stderr, "bench_startup: %s\n", e.msg);
        return 2;
    }
    /* the plan files and the cache in a directory of the bench's own */
    char base[] = "/tmp/bench_startup.XXXXXX";
    CHECK(mkdtemp(base));
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), base, 1);
    unsetenv(place_env_name(PLACE_ENV_TOPO_CACHE));
    char colddir[PATH_MAX - 64];
    snprintf(colddir, sizeof colddir, "%s/cold", base);
    CHECK(mkdir(colddir, 0700) == 0);
    snprintf(colddir_env, sizeof colddir_env, "%s=%s", place_env_name(PLACE_ENV_PLAN_DIR), colddir);
    snprintf(cachedir, sizeof cachedir, "%s/place-%lu", colddir, (unsigned long)geteuid());
    char *pr = argv[1];
    static char off[64];
    snprintf(off, sizeof off, "%s=off", place_env_name(PLACE_ENV_TOPO_CACHE));
    cmd c[12];
    int nc = 0;
    c[nc++] = (cmd){"/bin/true", {"/bin/true", NULL}, 0, NULL, NULL};
    int ref = nc;
    c[nc++] =
        (cmd){"taskset -c 0 /bin/true", {"taskset", "-c", "0", "/bin/true", NULL}, 0, NULL, NULL};
    if (on_path("hwloc-bind"))
        c[nc++] = (cmd){"hwloc-bind core:0 -- /bin/true",
                        {"hwloc-bind", "core:0", "--", "/bin/true", NULL},
                        0,
                        NULL,
                        NULL};
    int version = nc;
    c[nc++] = (cmd){"placerun --version", {pr, "--version", NULL}, 0, NULL, NULL};
    int warm = nc;
    c[nc++] = (cmd){"placerun -t 1 -- /bin/true (cache warm)",
                    {pr, "-t", "1", "--", "/bin/true", NULL},
                    0,
                    NULL,
                    NULL};
    c[nc++] = (cmd){"placerun -t 1 -- /bin/true (cache cold)",
                    {pr, "-t", "1", "--", "/bin/true", NULL},
                    1,
                    NULL,
                    NULL};
    c[nc++] = (cmd){"placerun -t 1 -- /bin/true (cache off)",
                    {pr, "-t", "1", "--", "/bin/true", NULL},
                    0,
                    off,
                    NULL};
    c[nc++] = (cmd){"placerun -t 1 --nics auto -- /bin/true (warm)",
                    {pr, "-t", "1", "--nics", "auto", "--", "/bin/true", NULL},
                    0,
                    NULL,
                    NULL};
    c[nc++] = (cmd){"placerun -t 1 --nics auto -- /bin/true (cold)",
                    {pr, "-t", "1", "--nics", "auto", "--", "/bin/true", NULL},
                    1,
                    NULL,
                    NULL};
    char *prof = measure_profile(pr, base);
    int with_prof = nc;
    c[nc++] =
        (cmd){"placerun -t 1 --avoid-noisy --noise-profile F (warm)",
              {pr, "-t", "1", "--avoid-noisy", "--noise-profile", prof, "--", "/bin/true", NULL},
              0,
              NULL,
              NULL};
    c[nc++] = (cmd){"placerun -t 1 --reserve-cores auto --noise-profile F (warm)",
                    {pr, "-t", "1", "--reserve-cores", "auto", "--noise-profile", prof, "--",
                     "/bin/true", NULL},
                    0,
                    NULL,
                    NULL};
    for (int k = 0; k < nc; k++)
        CHECK((c[k].t = malloc(sizeof(double) * (size_t)n)));
    for (int i = 0; i < 5; i++) /* the page cache, the topology cache */
        for (int k = 0; k < nc; k++)
            run(&c[k]);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nc; k++)
            c[k].t[i] = run(&c[k]);
    printf("bench_startup: %d rounds, each command once per round (medians, 10%%-90%%)\n", n);
    table(c, nc, n, ref);
    printf("  placerun --version: ratio %.3f to '/bin/true' (medians)\n",
           c[version].t[n / 2] / c[0].t[n / 2]);
    printf("  %s: ratio %.3f to '%s' (medians; the aim: at most 2)\n", c[warm].label,
           c[warm].t[n / 2] / c[ref].t[n / 2], c[ref].label);
    for (int k = with_prof; k < nc; k++)
        printf("  %s: ratio %.3f to '%s' (medians)\n", c[k].label, c[k].t[n / 2] / c[warm].t[n / 2],
               c[warm].label);
    if (argc > 3)
        described_node(pr, argv[3], n);
    for (int k = 0; k < nc; k++)
        free(c[k].t);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf '%s'", base);
    return system(rm) == 0 ? 0 : 1;
}
