/* affinity_probe N: prints the CPU affinity of N-1 pthreads created one after another
 * ("thread 1" ...) and then of the main thread ("thread 0"), as the kernel reports it
 * (sched_getaffinity), one line each: for checking that a tool such as likwid-pin, or an
 * environment such as OMP_PLACES, pins threads where a plan says. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static void show(int t)
{
    cpu_set_t cs;
    char buf[1024];
    int at = 0;
    sched_getaffinity(0, sizeof cs, &cs);
    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && at < (int)sizeof buf - 8; c++)
        if (CPU_ISSET(c, &cs))
            at += snprintf(buf + at, sizeof buf - (size_t)at, "%s%d", at ? "," : "", c);
    printf("thread %d: %s\n", t, buf);
    fflush(stdout);
}

static void *worker(void *arg)
{
    show((int)(long)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long n = argc > 1 ? strtol(argv[1], &end, 10) : 1;
    if ((argc > 1 && (end == argv[1] || *end)) || n < 1 || n > 1024) {
        fprintf(stderr, "usage: affinity_probe N (1 to 1024)\n");
        return 2;
    }
    for (int t = 1; t < (int)n; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, worker, (void *)(long)t) != 0)
            return 1;
        pthread_join(th, NULL);
    }
    show(0); /* last: a preloaded pinning library may pin the main thread at its first create */
    return 0;
}
