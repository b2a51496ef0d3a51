/* test_measure.c: counters, software-defined events, models, recorder, jitter probe.
 *
 * The migration test is the issue's: a thread forced between two CPUs k times must be
 * counted as k migrations by every backend the probe found usable, and a backend that
 * cannot count it must be reported unusable with a reason (never read as 0). CTest runs
 * this file twice: as root and as an unprivileged user (where perf_event is refused).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <papi.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "place.h"

static int pin(int cpu)
{
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(cpu, &cs);
    int rc = sched_setaffinity(0, sizeof cs, &cs);
    sched_yield();
    return rc;
}

typedef struct mig {
    int k;
    int64_t delta[PLACE_NBACKEND];
} mig;

static void *migrate_k_times(void *arg)
{
    mig *m = arg;
    place_counters *c;
    pin(0);
    if (place_counters_open(&c, NULL) < 0)
        return NULL;
    int64_t before[PLACE_NBACKEND];
    for (int b = 1; b < PLACE_NBACKEND; b++)
        before[b] = place_counters_read_backend(c, (place_backend)b, PLACE_CTR_MIGRATIONS);
    for (int i = 0; i < m->k; i++)
        pin((i + 1) % 2);
    for (int b = 1; b < PLACE_NBACKEND; b++) {
        int64_t a = place_counters_read_backend(c, (place_backend)b, PLACE_CTR_MIGRATIONS);
        m->delta[b] = (a == PLACE_UNAVAILABLE || before[b] == PLACE_UNAVAILABLE) ? PLACE_UNAVAILABLE
                                                                                 : a - before[b];
    }
    place_counters_free(c);
    return NULL;
}

static void test_forced_migrations_are_counted_exactly_by_every_usable_backend(void **s)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        skip();
    place_backend_status st[PLACE_NBACKEND];
    place_backend chosen[PLACE_NCTR];
    place_counters_reprobe();
    place_counters_probe(st, chosen);
    mig m = {.k = 25};
    pthread_t th;
    pthread_create(&th, NULL, migrate_k_times, &m);
    pthread_join(th, NULL);
    int usable = 0;
    for (int b = PLACE_BACKEND_PAPI; b <= PLACE_BACKEND_PROC; b++) {
        print_message("%s: usable %d (%s), counted %lld of 25 forced migrations\n",
                      place_backend_name(b), st[b].usable, st[b].why, (long long)m.delta[b]);
        if (st[b].usable) {
            assert_int_equal(m.delta[b], 25);
            usable++;
        } else {
            assert_true(strlen(st[b].why) > 10); /* says why */
            assert_true(m.delta[b] != 25 || b == PLACE_BACKEND_PAPI);
        }
    }
    assert_true(usable >= 1); /* /proc is always there on Linux */
    /* getrusage has no migrations: never chosen for them */
    assert_int_equal(place_counters_read_backend(NULL, PLACE_BACKEND_RUSAGE, PLACE_CTR_MIGRATIONS),
                     PLACE_UNAVAILABLE);
    assert_true(chosen[PLACE_CTR_MIGRATIONS] != PLACE_BACKEND_NONE);
    assert_true(st[chosen[PLACE_CTR_MIGRATIONS]].usable);
    if (getuid() != 0) /* the trap: unprivileged perf software events read 0 */
        assert_false(st[PLACE_BACKEND_PERF].usable);
}

static void test_unavailable_counters_are_never_zero(void **s)
{
    place_backend_status st[PLACE_NBACKEND];
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(st, chosen);
    place_counters *c;
    assert_int_equal(place_counters_open(&c, NULL), 0);
    int64_t v[PLACE_NCTR];
    place_counters_read(c, v);
    for (int k = 0; k < PLACE_NCTR; k++) {
        if (chosen[k] == PLACE_BACKEND_NONE)
            assert_true(v[k] == PLACE_UNAVAILABLE);
        else
            assert_true(v[k] >= 0);
    }
    /* a counter a backend does not offer reads as unavailable */
    assert_true(place_counters_read_backend(c, PLACE_BACKEND_PERF, PLACE_CTR_INVOL_SWITCHES) ==
                PLACE_UNAVAILABLE);
    place_counters_free(c);
}

static void test_sde_events_read_back_through_papi(void **s)
{
    place_error e;
    assert_int_equal(place_sde_publish(2, &e), 0);
    place_sde_set(0, 3, 1000, 7, 1500);
    place_sde_set(1, 4, 2000, 5, 2500);
    int v = PAPI_library_init(PAPI_VER_CURRENT);
    assert_true(v == PAPI_VER_CURRENT);
    int es = PAPI_NULL;
    assert_int_equal(PAPI_create_eventset(&es), PAPI_OK);
    static const char *ev[] = {"sde:::place::migrations_t1", "sde:::place::migrations",
                               "sde:::place::barrier_wait_ns", "sde:::place::detours",
                               "sde:::place::noise_ppm"};
    for (int i = 0; i < 5; i++)
        if (PAPI_add_named_event(es, ev[i]) != PAPI_OK) {
            print_error("cannot add %s\n", ev[i]);
            fail();
        }
    long long val[5];
    assert_int_equal(PAPI_start(es), PAPI_OK);
    place_sde_set(1, 6, -1, -1, -1); /* updates show in the next read */
    assert_int_equal(PAPI_read(es, val), PAPI_OK);
    assert_int_equal(val[0], 6);     /* thread 1 */
    assert_int_equal(val[1], 3 + 6); /* sum group */
    assert_int_equal(val[2], 1000 + 2000);
    assert_int_equal(val[3], 7 + 5);
    assert_int_equal(val[4], 2500); /* max group */
    PAPI_stop(es, val);
    PAPI_cleanup_eventset(es);
    PAPI_destroy_eventset(&es);
}

static void test_models_match_their_closed_forms(void **s)
{
    assert_true(fabs(place_model_harmonic(1) - 1) < 1e-12);
    assert_true(fabs(place_model_harmonic(2) - 1.5) < 1e-12);
    assert_true(fabs(place_model_harmonic(10) - 7381.0 / 2520.0) < 1e-12);
    /* the asymptotic branch agrees with the exact sum where they meet */
    double exact = place_model_harmonic(1e6), asym = log(1e6 + 1) + 0.5772156649 + 0.5 / (1e6 + 1);
    assert_true(fabs(place_model_harmonic(1e6 + 1) - asym) < 1e-9 &&
                exact < place_model_harmonic(1e6 + 1));
    /* w = 0: the slowdown of exponential noise is H_N */
    assert_true(fabs(place_model_exp_slowdown(0, 3.0, 8) - place_model_harmonic(8)) < 1e-12);
    /* rare detours: (w + L(1-(1-p)^N)) / (w + pL) */
    double p = 0.01, L = 100, w = 50, N = 64;
    double want = (w + L * (1 - pow(1 - p, N))) / (w + p * L);
    assert_true(fabs(place_model_detour_slowdown(w, p, L, N) - want) < 1e-12);
    assert_true(fabs(place_model_detour_slowdown(w, p, L, 1) - 1) < 1e-12);
    /* empirical: two-point samples {1, 3}: E[max of 2] = 1*(1/4) + 3*(3/4) = 2.5, mean 2 */
    double x[] = {3, 1};
    assert_true(fabs(place_model_empirical_slowdown(x, 2, 2) - 1.25) < 1e-12);
    assert_true(fabs(place_model_empirical_slowdown(x, 2, 1) - 1.0) < 1e-12);
    /* migration pays when T sigma > r */
    assert_int_equal(place_model_migrate(100, 0.2, 10), 1);
    assert_int_equal(place_model_migrate(10, 0.2, 10), 0);
}

/* Within the Monte Carlo's 99.9% interval: 3.29 standard errors (the library reports the
 * 95% half-width, 1.96 of them). Seeds are fixed, so the run repeats. */
#define Z999 (3.29 / 1.96)

static void test_monte_carlo_agrees_within_its_confidence_interval(void **s)
{
    static const double Ns[] = {1, 2, 8, 64, 65, 1000, 1e6};
    double samples[2000];
    uint64_t st = 12345;
    for (int i = 0; i < 2000; i++) { /* a skewed empirical distribution */
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = ((st >> 11) + 0.5) * 0x1.0p-53;
        samples[i] = 10 + (u < 0.05 ? 200 * u : u);
    }
    double sorted[2000];
    for (size_t i = 0; i < sizeof Ns / sizeof *Ns; i++) {
        double N = Ns[i], ci;
        double a = place_model_exp_slowdown(20, 5, N);
        double am = place_model_monte_carlo('a', 20, 5, 0, NULL, 0, N, 20000, 7 + i, &ci);
        print_message("N=%g: (a) closed %.4f MC %.4f +- %.4f\n", N, a, am, ci);
        assert_true(fabs(am - a) <= Z999 * ci + 1e-9);
        double b = place_model_detour_slowdown(20, 0.001, 500, N);
        double bm = place_model_monte_carlo('b', 20, 0.001, 500, NULL, 0, N, 20000, 11 + i, &ci);
        print_message("N=%g: (b) closed %.4f MC %.4f +- %.4f\n", N, b, bm, ci);
        assert_true(fabs(bm - b) <= Z999 * ci + 1e-9);
        memcpy(sorted, samples, sizeof samples);
        double c = place_model_empirical_slowdown(sorted, 2000, N);
        double cm = place_model_monte_carlo('c', 0, 0, 0, samples, 2000, N, 20000, 13 + i, &ci);
        print_message("N=%g: (c) closed %.4f MC %.4f +- %.4f\n", N, c, cm, ci);
        assert_true(fabs(cm - c) <= Z999 * ci + 1e-9);
    }
}

typedef struct rec_arg {
    place_steprec *r;
    int t;
    pthread_barrier_t *bar;
} rec_arg;

static void *rec_thread(void *p)
{
    rec_arg *a = p;
    for (int step = 0; step < 30; step++) {
        place_steprec_work_begin(a->r, a->t);
        if (a->t == 0) {
            struct timespec ts = {0, 2000000}; /* thread 0 works 2 ms, thread 1 nothing */
            nanosleep(&ts, NULL);
        }
        place_steprec_work_end(a->r, a->t);
        pthread_barrier_wait(a->bar);
        if (a->t == 0)
            place_steprec_step_end(a->r);
        pthread_barrier_wait(a->bar);
    }
    return NULL;
}

static void test_step_recorder_takes_the_max_and_keeps_a_fixed_ring(void **s)
{
    place_steprec *r;
    assert_int_equal(place_steprec_create(&r, 2, 16, PLACE_STEPREC_COUNTERS, NULL), 0);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t th[2];
    rec_arg args[2] = {{r, 0, &bar}, {r, 1, &bar}};
    for (int t = 0; t < 2; t++)
        pthread_create(&th[t], NULL, rec_thread, &args[t]);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    place_step_stats st;
    place_steprec_stats(r, &st);
    assert_int_equal(st.steps, 30);
    assert_true(st.mean_max_us >= 2000); /* nanosleep sleeps at least 2 ms */
    assert_true(st.mean_max_us >= st.mean_mean_us);
    assert_true(st.slowdown >= 1.0);
    assert_true(st.max_p50_us <= st.max_p90_us && st.max_p90_us <= st.max_p99_us);
    double x[64];
    assert_int_equal(place_steprec_samples(r, 0, x, 64), 16); /* the ring keeps 16 */
    for (int i = 0; i < 16; i++)
        assert_true(x[i] >= 2000);
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(NULL, chosen);
    if (chosen[PLACE_CTR_MIGRATIONS] == PLACE_BACKEND_NONE)
        assert_true(st.migrations == PLACE_UNAVAILABLE);
    else
        assert_true(st.migrations >= 0 && st.switches >= 30); /* thread 0 slept every step */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(place_steprec_write_json(r, f, NULL), 0);
    fclose(f);
    json_t *o = json_loads(buf, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "steps")), 30);
    json_decref(o);
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(place_steprec_write_csv(r, f, NULL), 0);
    fclose(f);
    int lines = 0;
    for (char *c = buf; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2 + 16); /* comment, header, the ring */
    free(buf);
    pthread_barrier_destroy(&bar);
    place_steprec_free(r);
    assert_int_equal(place_steprec_create(&r, 0, 16, 0, NULL), -1);
}

static void test_jitter_probe_reports_consistent_statistics(void **s)
{
    place_jitter_opts o;
    place_jitter_opts_init(&o);
    o.seconds = 0.3;
    int pus[1] = {0};
    for (int mode = 0; mode < 2; mode++) {
        o.mode = (place_jitter_mode)mode;
        place_jitter_result r;
        place_error e;
        assert_int_equal(place_jitter_run(pus, 1, &o, &r, &e), 0);
        place_jitter_thread *t = &r.t[0];
        assert_true(t->quanta > 0 && t->baseline_us > 0);
        assert_true(t->noise_fraction >= 0 && t->noise_fraction < 1);
        assert_true(t->detours >= t->nsamples);
        if (t->nsamples)
            assert_true(t->len_p50_us <= t->len_p90_us && t->len_p90_us <= t->len_max_us &&
                        t->len_p50_us > o.threshold_us);
        assert_true(r.coincident_fraction == 0); /* one thread: nothing to coincide with */
        place_jitter_fini(&r);
    }
    place_jitter_result r;
    place_error e;
    int bad[1] = {100000};
    assert_int_equal(place_jitter_run(bad, 1, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "cannot pin a thread to PU 100000"));
    o.seconds = -1;
    assert_int_equal(place_jitter_run(pus, 1, &o, &r, &e), -1);
    assert_int_equal(e.code, PLACE_EINVAL);
}

static void test_noise_specifications_parse_strictly(void **s)
{
    place_noise n;
    place_error e;
    assert_int_equal(place_noise_parse("--inject", "none", &n, &e), 0);
    assert_int_equal(n.kind, 0);
    assert_int_equal(place_noise_parse("--inject", "exp:50", &n, &e), 0);
    assert_true(n.kind == 1 && n.mean_us == 50);
    assert_int_equal(place_noise_parse("--inject", "detour:0.01:500", &n, &e), 0);
    assert_true(n.kind == 2 && n.p == 0.01 && n.len_us == 500);
    static const char *bad[] = {"",           "exp:",         "exp:-1",  "exp:x", "detour:0.1",
                                "detour:2:5", "detour:0.1:y", "gauss:3", "EXP:5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        place_error_clear(&e);
        assert_int_equal(place_noise_parse("--inject", bad[i], &n, &e), -1);
        assert_non_null(strstr(e.msg, "--inject"));
    }
    /* every kind's row: its name, the example it gives (which parses), its window */
    for (int k = 0; k < PLACE_NOISE_COUNT; k++) {
        const char *spec = place_noise_example((place_noise_kind)k);
        assert_int_equal(strncmp(spec, place_noise_name((place_noise_kind)k),
                                 strlen(place_noise_name((place_noise_kind)k))),
                         0);
        assert_int_equal(place_noise_kind_of(spec), k);
        assert_int_equal(place_noise_parse("--inject", spec, &n, &e), 0);
        assert_int_equal(n.kind, k);
        assert_int_equal(place_noise_needs_window((place_noise_kind)k), k == PLACE_NOISE_POISSON);
    }
    assert_int_equal(place_noise_kind_of("nonesuch"), -1);
    assert_int_equal(place_noise_kind_of("exp"), -1);
}

/* The draws follow the stream place/noise.h documents (Knuth's MMIX LCG, one uniform number
 * for exp and detour, one per arrival gap for poisson), computed here independently; the
 * mean and the models are the closed forms of place/models.h. */
static double ref_u(uint64_t *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(*st >> 11) + 0.5) * 0x1.0p-53;
}

static void test_noise_draws_and_models_follow_their_definitions(void **s)
{
    (void)s;
    place_noise n;
    place_error e;
    uint64_t a = 12345, b = 12345;
    assert_int_equal(place_noise_parse("--inject", "exp:40", &n, &e), 0);
    for (int i = 0; i < 1000; i++)
        assert_true(place_noise_draw_us(&n, &a) == -40 * log(ref_u(&b)));
    assert_int_equal(place_noise_parse("--inject", "detour:0.3:200", &n, &e), 0);
    for (int i = 0; i < 1000; i++)
        assert_true(place_noise_draw_us(&n, &a) == (ref_u(&b) < 0.3 ? 200 : 0));
    assert_int_equal(place_noise_parse("--inject", "poisson:5000:20", &n, &e), 0);
    n.window_us = 300;
    for (int i = 0; i < 1000; i++) {
        double at = -log(ref_u(&b)) * 1e6 / 5000, d = 0;
        while (at < 300) {
            d += 20;
            at += -log(ref_u(&b)) * 1e6 / 5000;
        }
        assert_true(place_noise_draw_us(&n, &a) == d);
    }
    assert_true(a == b);
    /* means and models */
    const char *k[4];
    double v[4];
    assert_true(fabs(place_noise_mean_us(&n) - 5000 * 300e-6 * 20) < 1e-12);
    assert_int_equal(place_noise_models(&n, 300, 64, k, v, 4), 2);
    assert_string_equal(k[0], "poisson");
    assert_string_equal(k[1], "b_hit_probability");
    assert_true(v[1] == place_model_detour_slowdown(300, -expm1(-1.5), 20, 64));
    place_lengths len = {.kind = PLACE_LEN_FIXED, .len_us = 20};
    place_delay_dist dd;
    assert_int_equal(place_poisson_delay(&len, 1.5, &dd, &e), 0);
    assert_true(v[0] == place_model_poisson_slowdown(&dd, 300, 64));
    place_delay_dist_fini(&dd);
    assert_int_equal(place_noise_parse("--inject", "exp:40", &n, &e), 0);
    assert_int_equal(place_noise_models(&n, 300, 64, k, v, 4), 1);
    assert_string_equal(k[0], "a_exponential");
    assert_true(v[0] == place_model_exp_slowdown(300, 40, 64));
    assert_true(place_noise_mean_us(&n) == 40);
    assert_int_equal(place_noise_parse("--inject", "detour:0.3:200", &n, &e), 0);
    assert_int_equal(place_noise_models(&n, 300, 64, k, v, 4), 1);
    assert_true(v[0] == place_model_detour_slowdown(300, 0.3, 200, 64));
    assert_true(place_noise_mean_us(&n) == 0.3 * 200);
    assert_int_equal(place_noise_parse("--inject", "none", &n, &e), 0);
    assert_int_equal(place_noise_models(&n, 300, 64, k, v, 4), 0);
    assert_true(place_noise_draw_us(&n, &a) == 0 && place_noise_mean_us(&n) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forced_migrations_are_counted_exactly_by_every_usable_backend),
        cmocka_unit_test(test_unavailable_counters_are_never_zero),
        cmocka_unit_test(test_sde_events_read_back_through_papi),
        cmocka_unit_test(test_models_match_their_closed_forms),
        cmocka_unit_test(test_monte_carlo_agrees_within_its_confidence_interval),
        cmocka_unit_test(test_step_recorder_takes_the_max_and_keeps_a_fixed_ring),
        cmocka_unit_test(test_jitter_probe_reports_consistent_statistics),
        cmocka_unit_test(test_noise_specifications_parse_strictly),
        cmocka_unit_test(test_noise_draws_and_models_follow_their_definitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
