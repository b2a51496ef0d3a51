/* noisebench: measured barrier-step slowdown under noise of a known distribution,
 * beside the models' predictions.
 *
 * N threads, pinned one per PU, run S bulk-synchronous steps: each step every thread
 * spins for W us of work plus an injected delay, then waits at a barrier. The recorder
 * measures each thread's step time and the slowest; the slowdown is
 * mean(slowest) / mean(average). Beside it: model (a) for exponential delays, (b) for
 * rare detours (with the injected parameters) and (c) from the measured per-thread
 * times pooled over threads (which also contain the machine's own noise).
 *
 *   noisebench --threads N --steps S --work US --inject exp:MEAN_US|detour:P:LEN_US|none
 *              [--pus LIST] [--seed S]          (one JSON object on stdout)
 * Under placerun the PUs default to the plan's (place_assignment_from_env).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "place.h"

static int N = 1, S = 2000;
static double W = 200;
static place_noise nz;
static uint64_t seed = 1;
static int pus[256];
static place_steprec *rec;
static pthread_barrier_t bar;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static void spin(double us)
{
    double end = now_us() + us;
    while (now_us() < end)
        ;
}

static void *thread(void *arg)
{
    int t = (int)(long)arg;
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(pus[t], &cs);
    if (sched_setaffinity(0, sizeof cs, &cs) < 0) {
        fprintf(stderr, "noisebench: cannot pin thread %d to PU %d\n", t, pus[t]);
        exit(1);
    }
    uint64_t rng = seed * 1000003u + (uint64_t)t * 7919u + 1;
    for (int step = -100; step < S; step++) { /* 100 warm-up steps, not recorded */
        place_steprec_work_begin(rec, t);
        spin(W + place_noise_draw_us(&nz, &rng));
        place_steprec_work_end(rec, t);
        pthread_barrier_wait(&bar);
        if (t == 0 && step >= 0)
            place_steprec_step_end(rec);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static int die(const char *m)
{
    fprintf(stderr, "noisebench: %s\n", m);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"threads", 1, 0, 'n'}, {"steps", 1, 0, 's'},
                                       {"work", 1, 0, 'w'},    {"inject", 1, 0, 'i'},
                                       {"pus", 1, 0, 'p'},     {"seed", 1, 0, 'r'},
                                       {0, 0, 0, 0}};
    const char *inject = "none", *puslist = NULL;
    place_error e;
    int c;
    int64_t sd = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'n': rc = place_parse_int("--threads", optarg, 1, 256, &N, &e); break;
        case 's': rc = place_parse_int("--steps", optarg, 1, 100000000, &S, &e); break;
        case 'w': rc = place_parse_double("--work", optarg, 0, 1e9, &W, &e); break;
        case 'i': inject = optarg; break;
        case 'p': puslist = optarg; break;
        case 'r': rc = place_parse_i64("--seed", optarg, 0, INT64_MAX, &sd, &e); break;
        default: return die("unknown option; expected --threads --steps --work --inject --pus --seed");
        }
        if (rc)
            return die(e.msg);
    }
    seed = (uint64_t)sd;
    if (place_noise_parse("--inject", inject, &nz, &e) < 0)
        return die(e.msg);
    for (int t = 0; t < N; t++)
        pus[t] = t;
    if (puslist) {
        int n;
        if (place_parse_int_list("--pus", puslist, 0, CPU_SETSIZE - 1, pus, 256, &n, &e) < 0)
            return die(e.msg);
        if (n < N)
            return die("--pus: fewer PUs than threads");
    } else if (place_env_placed()) { /* under placerun: the plan's PUs */
        place_assignment a;
        if (place_assignment_from_env(&a, &e) < 0)
            return die(e.msg);
        if (a.nthreads < N) {
            place_assignment_free(&a);
            return die("the plan has fewer PUs than --threads");
        }
        memcpy(pus, a.thread_pu_os, sizeof(int) * (size_t)N);
        place_assignment_free(&a);
    }
    if (place_steprec_create(&rec, N, S < 100000 ? S : 100000, PLACE_STEPREC_COUNTERS, &e))
        return die(e.msg);
    pthread_barrier_init(&bar, NULL, (unsigned)N);
    pthread_t th[256];
    for (int t = 0; t < N; t++)
        pthread_create(&th[t], NULL, thread, (void *)(long)t);
    for (int t = 0; t < N; t++)
        pthread_join(th[t], NULL);

    place_step_stats st;
    place_steprec_stats(rec, &st);
    int ring = S < 100000 ? S : 100000, m = 0;
    double *x = malloc(sizeof(double) * (size_t)ring * (size_t)N);
    for (int t = 0; t < N; t++)
        m += place_steprec_samples(rec, t, x + m, ring);
    double model_c = place_model_empirical_slowdown(x, m, N);
    json_t *o = json_pack("{s:i,s:i,s:f,s:s,s:f,s:f,s:f,s:f,s:f,s:f}", "threads", N, "steps", S,
                          "work_us", W, "inject", inject, "mean_max_us", st.mean_max_us,
                          "mean_mean_us", st.mean_mean_us, "measured_slowdown", st.slowdown,
                          "max_p99_us", st.max_p99_us, "mean_wait_us", st.mean_wait_us,
                          "model_c_empirical", model_c);
    if (nz.kind == PLACE_NOISE_EXP)
        json_object_set_new(o, "model_a_exponential", json_real(place_model_exp_slowdown(W, nz.mean_us, N)));
    if (nz.kind == PLACE_NOISE_DETOUR)
        json_object_set_new(o, "model_b_detour", json_real(place_model_detour_slowdown(W, nz.p, nz.len_us, N)));
    json_object_set_new(o, "migrations", st.migrations == PLACE_UNAVAILABLE
                                             ? json_string("unavailable") : json_integer(st.migrations));
    json_dumpf(o, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(o);
    free(x);
    place_steprec_free(rec);
    return 0;
}
