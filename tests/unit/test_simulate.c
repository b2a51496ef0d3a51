/* test_simulate.c: the scale simulator against the closed forms where they are exact (no
 * latency or overhead, a barrier or allreduce, independent threads), and the collectives'
 * noise-free costs against their LogP sums.
 *
 * "Within the interval": the simulation's 95% interval (10 batch means, Student t) scaled
 * to 99.9% (3.29/1.96; seeds fixed, so the run repeats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

#define Z999 (3.29 / 1.96)

static const long Ns[] = {1, 2, 8, 64, 1024, 16384};

static void check(const place_sim_noise *nz, int T, place_sync sync, double closed_at(long, int))
{
    for (size_t i = 0; i < sizeof Ns / sizeof *Ns; i++) {
        place_sim_result r;
        place_error e;
        int steps = Ns[i] >= 1024 ? 500 : 4000;
        assert_int_equal(place_simulate(nz, Ns[i], T, steps, sync, 0, 0, 7 + i, &r, &e), 0);
        double c = closed_at(Ns[i], T);
        print_message("kind %d sync %d N=%ld T=%d: simulated %.4f +- %.4f, closed %.4f\n", nz->kind,
                      sync, Ns[i], T, r.slowdown, r.slowdown_ci95, c);
        /* plus 1e-3 of the value: where every batch saw the same maximum (a bounded trace at
         * large N) the batch-means interval is 0 while the closed form still weighs the rare
         * steps without the largest sample */
        assert_true(fabs(r.slowdown - c) <= Z999 * r.slowdown_ci95 + 1e-3 * c);
        assert_true(r.sync0_us == 0);
    }
}

static place_sim_noise g_exp = {.kind = PLACE_SIMN_EXP, .w_us = 100, .mu_us = 20};
static double exp_closed(long N, int T)
{
    return place_model_exp_slowdown(100, 20, (double)N * T);
}

static void test_exact_exponential(void **s)
{
    (void)s;
    check(&g_exp, 1, PLACE_SYNC_BARRIER, exp_closed);
    check(&g_exp, 4, PLACE_SYNC_ALLREDUCE, exp_closed);
}

static place_delay_dist g_pd;
static double pois_closed(long N, int T)
{
    return place_model_poisson_slowdown(&g_pd, 50, (double)N * T);
}

static void test_exact_poisson(void **s)
{
    (void)s;
    place_sim_noise nz = {.kind = PLACE_SIMN_POISSON,
                          .w_us = 50,
                          .rate_hz = 1400,
                          .len = {.kind = PLACE_LEN_FIXED, .len_us = 36}};
    assert_int_equal(place_poisson_delay(&nz.len, 0.07, &g_pd, NULL), 0);
    check(&nz, 2, PLACE_SYNC_BARRIER, pois_closed);
    place_delay_dist_fini(&g_pd);
    /* all detours shared inside a rank: T threads cost what one does */
    place_sim_result a, b;
    nz.shared = 1;
    assert_int_equal(place_simulate(&nz, 64, 8, 2000, PLACE_SYNC_BARRIER, 0, 0, 3, &a, NULL), 0);
    nz.shared = 0;
    assert_int_equal(place_simulate(&nz, 64, 1, 2000, PLACE_SYNC_BARRIER, 0, 0, 4, &b, NULL), 0);
    print_message("shared 1, 64x8: %.4f; independent 64x1: %.4f\n", a.slowdown, b.slowdown);
    assert_true(fabs(a.slowdown - b.slowdown) <= Z999 * (a.slowdown_ci95 + b.slowdown_ci95));
}

/* Shared detours hit every thread of a rank at once, each with its own length (the probe
 * measures the lengths of coinciding detours as nearly uncorrelated). One rank of 8 threads,
 * all detours shared, rare (lambda = 0.005 per step), exponential lengths of mean 100 us:
 * a step holds one detour with probability lambda e^-lambda and then costs the longest of
 * 8 exponential lengths, 100 H_8 us; two or more add under 1e-4 of the slowdown. One common
 * length would give 1. */
static void test_shared_detours_own_lengths(void **s)
{
    (void)s;
    place_sim_noise nz = {.kind = PLACE_SIMN_POISSON,
                          .w_us = 50,
                          .rate_hz = 100,
                          .shared = 1,
                          .len = {.kind = PLACE_LEN_EXP, .len_us = 100}};
    place_sim_result r;
    assert_int_equal(place_simulate(&nz, 1, 8, 400000, PLACE_SYNC_BARRIER, 0, 0, 9, &r, NULL), 0);
    double lam = 0.005, h8 = 1 + 1 / 2. + 1 / 3. + 1 / 4. + 1 / 5. + 1 / 6. + 1 / 7. + 1 / 8.;
    double closed = (50 + lam * exp(-lam) * 100 * h8) / (50 + lam * 100);
    print_message("8 threads, shared detours of their own lengths: %.5f +- %.5f, closed %.5f\n",
                  r.slowdown, r.slowdown_ci95, closed);
    assert_true(fabs(r.slowdown - closed) <= Z999 * r.slowdown_ci95 + 3e-4);
    assert_true(r.slowdown > 1.01);
}

static double g_trace[3000];
static double g_sorted[3000];
static double trace_closed(long N, int T)
{
    (void)T;
    memcpy(g_sorted, g_trace, sizeof g_trace);
    return place_model_empirical_slowdown(g_sorted, 3000, (double)N);
}

static void test_exact_trace(void **s)
{
    (void)s;
    uint64_t st = 99;
    for (int i = 0; i < 3000; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = ((double)(st >> 11) + 0.5) * 0x1.0p-53;
        g_trace[i] = 200 + (u < 0.03 ? 2000 * u / 0.03 : 10 * u);
    }
    place_sim_noise nz = {
        .kind = PLACE_SIMN_TRACE, .trace = g_trace, .trace_rows = 3000, .trace_cols = 1};
    check(&nz, 1, PLACE_SYNC_BARRIER, trace_closed);
    /* a trace too narrow for the threads asked is refused, said */
    place_sim_result r;
    place_error e;
    assert_int_equal(place_simulate(&nz, 4, 2, 100, PLACE_SYNC_BARRIER, 0, 0, 1, &r, &e), -1);
    assert_non_null(strstr(e.msg, "at least as many threads"));
}

/* Noise in the collective, against a closed case: a barrier alone (no work), latency 0, so
 * every message handling o of every rank is on a critical path (all paths through the
 * dissemination rounds are equally long) and a detour of length D that arrives while a rank
 * handles a message delays every rank by D. Rare detours (at most one per step, nearly): the
 * slowdown is 1 + R N D, R the rate, to first order in R N x the step (here 1.5%). Then
 * Hoefler et al.'s result (SC10): the same noise overhead costs a collective at scale far
 * more as rare long detours than as frequent short ones, and a collective with noise in it
 * slows as the ranks grow, where the model without it saw none. */
static void test_noise_in_the_collective(void **s)
{
    (void)s;
    place_sim_noise nz = {.kind = PLACE_SIMN_POISSON,
                          .w_us = 0,
                          .rate_hz = 20,
                          .len = {.kind = PLACE_LEN_FIXED, .len_us = 10},
                          .in_collective = 1};
    place_sim_result r;
    place_error e;
    assert_int_equal(place_simulate(&nz, 64, 1, 200000, PLACE_SYNC_BARRIER, 0, 1, 11, &r, &e), 0);
    double closed = 1 + 20 * 64 * 10e-6;
    print_message("barrier alone, 64 ranks, o 1 us, 20 Hz x 10 us: %.5f +- %.5f, closed (first "
                  "order) %.5f\n",
                  r.slowdown, r.slowdown_ci95, closed);
    assert_true(r.sync0_us == 12);
    assert_true(fabs((r.slowdown - 1) - (closed - 1)) <=
                Z999 * r.slowdown_ci95 + 0.05 * (closed - 1));
    /* without noise in the collective the same run costs nothing */
    nz.in_collective = 0;
    assert_int_equal(place_simulate(&nz, 64, 1, 1000, PLACE_SYNC_BARRIER, 0, 1, 11, &r, &e), 0);
    assert_true(fabs(r.slowdown - 1) < 1e-9);
    /* equal overhead (1% of a CPU), two signatures, 100 us steps, a barrier of 4096 ranks
     * with o = 1 us, L = 2 us */
    place_sim_noise fine = {.kind = PLACE_SIMN_POISSON,
                            .w_us = 100,
                            .rate_hz = 1000,
                            .len = {.kind = PLACE_LEN_FIXED, .len_us = 10},
                            .in_collective = 1};
    place_sim_noise coarse = fine;
    coarse.rate_hz = 10, coarse.len.len_us = 1000;
    place_sim_result a, b, a0, b64;
    assert_int_equal(place_simulate(&fine, 4096, 1, 200, PLACE_SYNC_BARRIER, 2, 1, 3, &a, &e), 0);
    assert_int_equal(place_simulate(&coarse, 4096, 1, 200, PLACE_SYNC_BARRIER, 2, 1, 3, &b, &e), 0);
    fine.in_collective = 0;
    assert_int_equal(place_simulate(&fine, 4096, 1, 200, PLACE_SYNC_BARRIER, 2, 1, 3, &a0, &e), 0);
    print_message("4096 ranks, 1%% overhead: 1 kHz x 10 us %.3f +- %.3f (%.3f without noise in "
                  "the barrier), 10 Hz x 1 ms %.3f +- %.3f\n",
                  a.slowdown, a.slowdown_ci95, a0.slowdown, b.slowdown, b.slowdown_ci95);
    assert_true(b.slowdown > 3 * a.slowdown);
    assert_true(a.slowdown - Z999 * a.slowdown_ci95 > a0.slowdown + Z999 * a0.slowdown_ci95);
    /* an allreduce with noise in it slows with the ranks */
    assert_int_equal(place_simulate(&coarse, 64, 1, 400, PLACE_SYNC_ALLREDUCE, 2, 1, 5, &b64, &e),
                     0);
    assert_int_equal(place_simulate(&coarse, 4096, 1, 200, PLACE_SYNC_ALLREDUCE, 2, 1, 5, &b, &e),
                     0);
    print_message("allreduce, 10 Hz x 1 ms: 64 ranks %.3f, 4096 ranks %.3f\n", b64.slowdown,
                  b.slowdown);
    assert_true(b.slowdown - Z999 * b.slowdown_ci95 > b64.slowdown + Z999 * b64.slowdown_ci95);
    /* refused without a detour stream */
    place_sim_noise ex = {.kind = PLACE_SIMN_EXP, .w_us = 100, .mu_us = 10, .in_collective = 1};
    assert_int_equal(place_simulate(&ex, 64, 1, 100, PLACE_SYNC_BARRIER, 0, 1, 1, &r, &e), -1);
    assert_non_null(strstr(e.msg, "detour stream"));
}

static void test_collective_costs(void **s)
{
    (void)s;
    place_sim_noise nz = {.kind = PLACE_SIMN_EXP, .w_us = 100, .mu_us = 0};
    place_sim_result r;
    double o = 1, L = 2, c = 2 * o + L;
    assert_int_equal(place_simulate(&nz, 1024, 1, 20, PLACE_SYNC_BARRIER, L, o, 1, &r, NULL), 0);
    assert_true(fabs(r.sync0_us - 10 * c) < 1e-9); /* log2 N rounds of o + L + o */
    assert_true(fabs(r.slowdown - 1) < 1e-9);      /* no noise: the step is work + collective */
    assert_int_equal(place_simulate(&nz, 1000, 1, 20, PLACE_SYNC_BARRIER, L, o, 1, &r, NULL), 0);
    assert_true(fabs(r.sync0_us - 10 * c) < 1e-9); /* ceil(log2 1000) = 10 */
    assert_int_equal(place_simulate(&nz, 1024, 1, 20, PLACE_SYNC_ALLREDUCE, L, o, 1, &r, NULL), 0);
    assert_true(fabs(r.sync0_us - 20 * c) < 1e-9); /* up and down a tree of depth 10 */
    assert_int_equal(place_simulate(&nz, 4096, 1, 20, PLACE_SYNC_HALO, L, o, 1, &r, NULL), 0);
    assert_true(fabs(r.sync0_us - c) < 1e-9); /* one exchange with the neighbours */
    assert_int_equal(place_simulate(&nz, 1, 1, 20, PLACE_SYNC_BARRIER, L, o, 1, &r, NULL), 0);
    assert_true(r.sync0_us == 0);
    /* the halo spreads a delay one neighbour per step; a barrier at once: with noise, the
     * barrier costs at least what the halo does */
    place_sim_noise ne = {.kind = PLACE_SIMN_EXP, .w_us = 100, .mu_us = 20};
    place_sim_result h, b;
    assert_int_equal(place_simulate(&ne, 4096, 1, 200, PLACE_SYNC_HALO, 0, 0, 5, &h, NULL), 0);
    assert_int_equal(place_simulate(&ne, 4096, 1, 200, PLACE_SYNC_BARRIER, 0, 0, 5, &b, NULL), 0);
    print_message("4096 ranks: halo %.4f, barrier %.4f\n", h.slowdown, b.slowdown);
    assert_true(h.slowdown > 1.05 && h.slowdown < b.slowdown);
    place_error e;
    assert_int_equal(place_simulate(&ne, 0, 1, 200, PLACE_SYNC_HALO, 0, 0, 5, &h, &e), -1);
    assert_int_equal(place_simulate(&ne, 4, 1, 200, PLACE_SYNC_HALO, -1, 0, 5, &h, &e), -1);
}

/* A late receiver in the allreduce pays one o for its message, as LogP charges it (o at the
 * sender, L in flight, o at the receiver once both are there), not an o of its own first.
 * Two ranks of one thread replay a trace whose steps are 100 or 130 us at random, o = 10,
 * L = 0: the mean step is 157.5 us by a replica of these semantics written apart (Python,
 * 3 x 10^6 steps: 157.49 to 157.51), 160.0 with the receiver's extra o. */
static void test_allreduce_logp_cost(void **s)
{
    (void)s;
    /* noise-free and equal: up and down a tree of depth 1, o + L + o each way */
    place_sim_noise nz = {.kind = PLACE_SIMN_EXP, .w_us = 100, .mu_us = 0};
    place_sim_result r;
    assert_int_equal(place_simulate(&nz, 2, 1, 20, PLACE_SYNC_ALLREDUCE, 0, 10, 1, &r, NULL), 0);
    assert_true(fabs(r.sync0_us - 40) < 1e-9);
    assert_true(fabs(r.vs_no_noise - 1) < 1e-9 && fabs(r.noise_free_us - 140) < 1e-9);
    double tr[4] = {100, 100, 130, 130};
    place_sim_noise t = {.kind = PLACE_SIMN_TRACE, .trace = tr, .trace_rows = 2, .trace_cols = 2};
    assert_int_equal(place_simulate(&t, 2, 1, 200000, PLACE_SYNC_ALLREDUCE, 0, 10, 3, &r, NULL), 0);
    print_message("allreduce of 2, steps of 100 or 130 us: mean step %.3f +- %.3f us (LogP: 157.5; "
                  "with the receiver's extra o: 160.0)\n",
                  r.step_us, r.ci95_us);
    assert_true(fabs(r.step_us - 157.5) <= 3.29 / 1.96 * r.ci95_us + 0.05);
    assert_true(!isfinite(r.vs_no_noise)); /* a trace's noise-free step is unknown */
}

/* Periodic noise, phases fixed for the run: a rank alone keeps one thread's pace
 * (w / (1 - LEN/P): vs_no_noise 1 / (1 - 2.5%), slowdown 1); through a barrier without
 * message costs and with the ticks in the work only, N ranks of one thread are the fixed-phase
 * timeline (place_model_periodic_fixed); with the ticks in the collective too it costs more;
 * aligned ticks (phase group 0) cost a node's threads nothing extra. */
static void test_periodic_fixed_phases(void **s)
{
    (void)s;
    place_sim_noise nz = {.kind = PLACE_SIMN_PERIODIC,
                          .w_us = 200,
                          .rate_hz = 10,
                          .tick_len_us = 2500,
                          .phase_group = 1};
    place_sim_result r;
    place_error e;
    assert_int_equal(place_simulate(&nz, 1, 1, 20000, PLACE_SYNC_NONE, 0, 0, 1, &r, &e), 0);
    print_message("periodic, alone: vs_no_noise %.4f (1/(1-0.025) = %.4f), slowdown %.4f\n",
                  r.vs_no_noise, 1 / 0.975, r.slowdown);
    assert_true(fabs(r.vs_no_noise - 1 / 0.975) < 0.02 && fabs(r.slowdown - 1) < 0.02);
    const long Ns[] = {2, 64, 1024};
    for (int i = 0; i < 3; i++) {
        double ci,
            fx = place_model_periodic_fixed(200, 10, 2500, 1, (double)Ns[i], 4000000, 5 + i, &ci);
        /* the simulator's steps are one run's phases: several seeds for its spread */
        double m = 0, m2 = 0;
        int K = 8;
        for (int k = 0; k < K; k++) {
            assert_int_equal(
                place_simulate(&nz, Ns[i], 1, 500, PLACE_SYNC_BARRIER, 0, 0, 100 + k, &r, &e), 0);
            m += r.slowdown / K;
            m2 += r.slowdown * r.slowdown / K;
        }
        double sci = 2.365 * sqrt(fmax(0, (m2 - m * m) * K / (K - 1)) / K);
        print_message("periodic barrier, %ld ranks: simulated %.4f +- %.4f, fixed-phase "
                      "timeline %.4f +- %.4f\n",
                      Ns[i], m, sci, fx, ci);
        assert_true(fabs(m - fx) <= 1.7 * sqrt(sci * sci + ci * ci) + 2e-3 * fx);
    }
    place_sim_result a, b;
    nz.in_collective = 1;
    assert_int_equal(place_simulate(&nz, 256, 1, 200, PLACE_SYNC_BARRIER, 1, 1, 9, &a, &e), 0);
    nz.in_collective = 0;
    assert_int_equal(place_simulate(&nz, 256, 1, 200, PLACE_SYNC_BARRIER, 1, 1, 9, &b, &e), 0);
    print_message("256 ranks, o = L = 1: ticks in the collective %.4f, in the work only %.4f\n",
                  a.vs_no_noise, b.vs_no_noise);
    assert_true(a.step_us >= b.step_us);
    nz.phase_group = 0; /* every CPU's tick at once: the slowest is anyone */
    assert_int_equal(place_simulate(&nz, 256, 4, 2000, PLACE_SYNC_BARRIER, 0, 0, 9, &r, &e), 0);
    assert_true(fabs(r.slowdown - 1) < 0.02);
    nz.tick_len_us = 1e6; /* longer than the period */
    assert_int_equal(place_simulate(&nz, 4, 1, 20, PLACE_SYNC_BARRIER, 0, 0, 9, &r, &e), -1);
    assert_non_null(strstr(e.msg, "shorter than the period"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_exponential),
        cmocka_unit_test(test_exact_poisson),
        cmocka_unit_test(test_exact_trace),
        cmocka_unit_test(test_collective_costs),
        cmocka_unit_test(test_noise_in_the_collective),
        cmocka_unit_test(test_shared_detours_own_lengths),
        cmocka_unit_test(test_allreduce_logp_cost),
        cmocka_unit_test(test_periodic_fixed_phases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
