/* test_noise.c: the noise profile's model and --reserve-cores auto.
 *   - place_noise_step_predict against cases it must get exactly (fixed lengths, quiet PUs)
 *     and against a Monte Carlo of the same compound-Poisson model written here (draws, not
 *     the library's recursion);
 *   - --reserve-cores auto on described nodes with profile fixtures (tests/fixtures/noise-*.json,
 *     make-noise-profiles.py): its choice equals an exhaustive evaluation, written here, of
 *     the same model over every way to leave up to 7 cores (the plan of each, every thread's
 *     work its rank's part of the node's step), fewer cores on a gain of 1% or less; and
 *     the noisy cores the fixtures describe are the ones left;
 *   - profiles read back strictly: a written profile reads back the same, malformed ones are
 *     refused with the file named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "place.h"

static place_noise_pu quiet_pu(int pu)
{
    place_noise_pu e;
    memset(&e, 0, sizeof e);
    e.pu = pu;
    return e;
}

static void test_predict_exact_cases(void **s)
{
    (void)s;
    place_noise_pu pus[2] = {quiet_pu(0), quiet_pu(1)};
    place_noise_profile p = {.npus = 2, .pus = pus};
    int pu[2] = {0, 1};
    double w[2] = {100, 250}, m;
    place_error e;
    /* quiet PUs: the largest work */
    assert_int_equal(place_noise_step_predict(&p, pu, w, 2, &m, NULL, &e), 0);
    assert_true(fabs(m - 250) < 1e-9);
    /* one thread, fixed lengths L at rate r: E D = r w L (the max of one is its mean) */
    pus[0].detour_rate_hz = 2000;
    pus[0].nlengths = 8;
    for (int i = 0; i < 8; i++)
        pus[0].lengths_us[i] = 30;
    w[0] = 1000;
    assert_int_equal(place_noise_step_predict(&p, pu, w, 1, &m, NULL, &e), 0);
    assert_true(fabs(m - (1000 + 2000 * 1e-3 * 30)) < 0.05);
    assert_true(fabs(place_noise_pu_mean_delay(&pus[0], 1000) - 60) < 1e-9);
    /* a co-runner that takes half the PU: 250 detours per wall second of 2,000 us, noise
     * fraction 0.5; 1,000 us of work take 2,000 us (its detours come at 500 per second of
     * running), not 1,500 */
    pus[0].detour_rate_hz = 250;
    pus[0].noise_fraction = 0.5;
    for (int i = 0; i < 8; i++)
        pus[0].lengths_us[i] = 2000;
    assert_true(fabs(place_noise_pu_mean_delay(&pus[0], 1000) - 1000) < 1e-9);
    assert_int_equal(place_noise_step_predict(&p, pu, w, 1, &m, NULL, &e), 0);
    assert_true(fabs(m - 2000) < 2);
    pus[0].noise_fraction = 0;
    /* a PU the profile lacks adds nothing and is counted */
    int missing, other[1] = {7};
    assert_int_equal(place_noise_step_predict(&p, other, w, 1, &m, &missing, &e), 0);
    assert_int_equal(missing, 1);
    assert_true(fabs(m - 1000) < 1e-9);
}

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

/* The model by drawing, on PUs as the profiler sees them: each PU's detours come at a rate
 * per second of running (rho) with lengths drawn from its list; its profile entry is what
 * a probe measures on a simulated 200 s of that PU (detours per wall second, the share of
 * the wall lost), and a thread's step is drawn the same way: it runs until its work is
 * done, each detour stopping it. The step is the largest thread's. A PU a co-runner takes a
 * third of (PU 3) shows the rate per running second. */
static void test_predict_against_monte_carlo(void **s)
{
    (void)s;
    place_noise_pu pus[4] = {quiet_pu(0), quiet_pu(1), quiet_pu(2), quiet_pu(3)};
    double rho[4] = {800, 150, 3000, 250};
    for (int i = 0; i < 16; i++) {
        pus[0].lengths_us[i] = 5 + 2 * i;
        pus[1].lengths_us[i] = i < 14 ? 10 : 900;
        pus[2].lengths_us[i] = 3 + 0.5 * i;
        pus[3].lengths_us[i] = 1500 + 66 * i;
    }
    for (int k = 0; k < 4; k++) { /* the probe: 200 s of wall time on PU k */
        pus[k].nlengths = 16;
        double wall = 0, lost = 0;
        long count = 0;
        while (wall < 200e6) {
            wall += -log(unif()) / rho[k] * 1e6;
            double d = pus[k].lengths_us[(int)(unif() * 16) % 16];
            wall += d;
            lost += d;
            count++;
        }
        pus[k].detour_rate_hz = count / (wall * 1e-6);
        pus[k].noise_fraction = lost / wall;
    }
    place_noise_profile p = {.npus = 4, .pus = pus};
    int pu[6] = {0, 1, 2, 2, 1, 3};
    double w[6] = {500, 700, 700, 400, 650, 300}, m;
    place_error e;
    assert_int_equal(place_noise_step_predict(&p, pu, w, 6, &m, NULL, &e), 0);
    int trials = 400000;
    double sum = 0, sum2 = 0;
    for (int t = 0; t < trials; t++) {
        double mx = 0;
        for (int k = 0; k < 6; k++) {
            const place_noise_pu *x = &pus[pu[k]];
            double ran = 0, d = 0;
            for (;;) { /* runs to the next detour, or to the end of its work */
                double gap = -log(unif()) / rho[pu[k]] * 1e6;
                if (ran + gap >= w[k])
                    break;
                ran += gap;
                d += x->lengths_us[(int)(unif() * x->nlengths) % x->nlengths];
            }
            mx = w[k] + d > mx ? w[k] + d : mx;
        }
        sum += mx;
        sum2 += mx * mx;
    }
    double mean = sum / trials, se = sqrt((sum2 / trials - mean * mean) / trials);
    print_message("model %.3f us, Monte Carlo %.3f +- %.3f (1 s.e.)\n", m, mean, se);
    /* 4 standard errors, the grid's half step (at most 1/50 of a mean length) and the
     * profile's own error (its 200 s: a rate within about 0.6%, under 1 us here) */
    assert_true(fabs(m - mean) < 4 * se + 1.5);
}

static const char *fixture(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", PLACE_FIXTURES, name);
    return path;
}

/* The exhaustive evaluation: every subset of up to K cores, the plan without them, every
 * thread's work its rank's part of the node's step W (fill), the model's step; the best of
 * each size, and the pick with fewer cores unless more gain over 1%. */
static void exhaustive(const place_topo *t, const place_request *base, double step, int *best_k,
                       double *best_t, double *at0)
{
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    int C = ti.usable_cores, K = C - 1 < 8 ? C - 1 : 8;
    double tk[9];
    for (int k = 0; k <= K; k++)
        tk[k] = NAN;
    double W = 0;
    for (unsigned mask = 0; mask < (1u << C); mask++) {
        int k = __builtin_popcount(mask);
        if (k > K)
            continue;
        int ex[16], n = 0;
        for (int c = 0; c < C; c++)
            if (mask >> c & 1)
                ex[n++] = c;
        place_request q = *base;
        q.reserve_auto = 0;
        q.exclude_cores = ex;
        q.nexclude_cores = n;
        place_plan *p;
        place_error e;
        if (place_plan_compute(&p, t, &q, &e) < 0)
            continue;
        const place_request *r = place_plan_resolved(p);
        int first, R;
        place_plan_node_range(p, 0, &first, &R);
        int pu[256], nt = 0, T[64];
        for (int i = 0; i < R; i++) {
            place_rank_info ri;
            place_plan_rank(p, first + i, &ri, NULL);
            T[i] = ri.nthreads;
            for (int j = 0; j < ri.nthreads; j++)
                pu[nt++] = ri.thread_pu_os[j];
        }
        if (mask == 0)
            W = step * nt;
        double w[256];
        for (int i = 0, at = 0; i < R; i++)
            for (int j = 0; j < T[i]; j++)
                w[at++] = W / R / T[i];
        double m;
        assert_int_equal(place_noise_step_predict(base->noise, pu, w, nt, &m, NULL, &e), 0);
        if (isnan(tk[k]) || m < tk[k])
            tk[k] = m;
        (void)r;
        place_plan_free(p);
    }
    int pick = 0;
    for (int k = 1; k <= K; k++)
        if (!isnan(tk[k]) && tk[k] < tk[pick] * 0.99)
            pick = k;
    *best_k = pick;
    *best_t = tk[pick];
    *at0 = tk[0];
}

static int reserved_of(const place_plan *p)
{
    const char *json = NULL;
    (void)json;
    return place_plan_resolved(p)->nexclude_cores;
}

static void check_auto(const char *topo_spec, const char *prof, int ranks, double step, int want_k,
                       int want_pu)
{
    place_topo *t;
    place_error e;
    assert_int_equal(place_topo_load(&t, topo_spec, 0, &e), 0);
    place_noise_profile nz;
    assert_int_equal(place_noise_profile_read(&nz, fixture(prof), &e), 0);
    place_request q;
    place_request_init(&q);
    q.ranks = ranks;
    q.noise = &nz;
    q.step_us = step;
    q.reserve_auto = 1;
    place_plan *p;
    assert_int_equal(place_plan_compute(&p, t, &q, &e), 0);
    int k, ex_k;
    double ex_t, t0;
    exhaustive(t, &q, step, &ex_k, &ex_t, &t0);
    k = reserved_of(p);
    print_message("%s %s -n %d step %g: auto %d cores, exhaustive %d (%.1f us, none %.1f us)\n",
                  topo_spec, prof, ranks, step, k, ex_k, ex_t, t0);
    assert_int_equal(k, ex_k);
    if (want_k >= 0)
        assert_int_equal(k, want_k);
    if (want_pu >= 0) {
        /* the PU left out: no thread of the plan on it */
        int first, R;
        place_plan_node_range(p, 0, &first, &R);
        for (int i = 0; i < R; i++) {
            place_rank_info ri;
            place_plan_rank(p, first + i, &ri, NULL);
            for (int j = 0; j < ri.nthreads; j++)
                assert_int_not_equal(ri.thread_pu_os[j], want_pu);
        }
    }
    /* the notes name the choice and why */
    int named = 0;
    for (int i = 0; i < place_plan_nnotes(p); i++)
        named |=
            strstr(place_plan_note(p, i), k ? "left to the OS (PU" : "no core reserved") != NULL;
    assert_true(named);
    place_plan_free(p);
    place_noise_profile_fini(&nz);
    place_topo_free(t);
}

static void test_auto_equals_exhaustive(void **s)
{
    (void)s;
    /* 2 sockets, PU 0 busy with a kernel thread's slices, PU 4 a NIC's interrupts */
    check_auto("synthetic:pack:2 core:4 pu:1", "noise-2s-cpu0-nic.json", 1, 1000, 1, 0);
    check_auto("synthetic:pack:2 core:4 pu:1", "noise-2s-cpu0-nic.json", 2, 1000, 0, -1);
    check_auto("synthetic:pack:2 core:4 pu:1", "noise-2s-cpu0-nic.json", 4, 1000, -1, -1);
    check_auto("synthetic:pack:2 core:4 pu:1", "noise-2s-cpu0-nic.json", 1, 100, -1, -1);
    check_auto("synthetic:pack:2 core:4 pu:1", "noise-2s-cpu0-nic.json", 1, 20000, -1, -1);
    /* isolcpus=4-7: PU 0 a housekeeping CPU with a co-runner */
    check_auto("synthetic:pack:1 core:8 pu:1", "noise-isolcpus.json", 1, 1000, 1, 0);
    check_auto("synthetic:pack:1 core:8 pu:1", "noise-isolcpus.json", 2, 1000, 1, 0);
    check_auto("synthetic:pack:1 core:8 pu:1", "noise-isolcpus.json", 3, 500, -1, -1);
    check_auto("synthetic:pack:1 core:8 pu:1", "noise-isolcpus.json", 1, 50, -1, -1);
    /* two cores, a co-runner on one: its work moved over costs more than the co-runner */
    check_auto("synthetic:pack:1 core:2 pu:1", "noise-corunner-2.json", 1, 1000, 0, -1);
    check_auto("synthetic:pack:1 core:2 pu:1", "noise-corunner-2.json", 1, 20, -1, -1);
}

static void test_profile_round_trip_and_refusals(void **s)
{
    (void)s;
    place_noise_profile a, b;
    place_error e;
    assert_int_equal(place_noise_profile_read(&a, fixture("noise-isolcpus.json"), &e), 0);
    char path[] = "/tmp/place-test-noise-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(place_noise_profile_write(&a, f, &e), 0);
    fclose(f);
    assert_int_equal(place_noise_profile_read(&b, path, &e), 0);
    assert_int_equal(a.npus, b.npus);
    for (int i = 0; i < a.npus; i++) {
        assert_int_equal(a.pus[i].pu, b.pus[i].pu);
        assert_int_equal(a.pus[i].nlengths, b.pus[i].nlengths);
        assert_true(fabs(a.pus[i].detour_rate_hz - b.pus[i].detour_rate_hz) < 1e-9);
        assert_string_equal(a.pus[i].why, b.pus[i].why);
        assert_int_equal(a.pus[i].isolated, b.pus[i].isolated);
    }
    assert_string_equal(a.isolated, b.isolated);
    place_noise_profile_fini(&b);
    /* malformed: each refused with the file named and what is wrong */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{", "not JSON"},
        {"{\"schema\":\"place-noise/9\"}", "schema is not place-noise/1"},
        {"{\"schema\":\"place-noise/1\",\"seconds\":1,\"probe\":{\"quantum_us\":50,\"threshold_us\":5},"
         "\"pus\":[]}",
         "expected 1 to"},
        {"{\"schema\":\"place-noise/1\",\"seconds\":1,\"probe\":{\"quantum_us\":50,\"threshold_us\":5},"
         "\"pus\":[{\"pu\":0,\"detour_rate_hz\":-1}]}",
         "detour_rate_hz missing or out of range"},
        {"{\"schema\":\"place-noise/1\",\"seconds\":1,\"probe\":{\"quantum_us\":50,\"threshold_us\":5},"
         "\"pus\":[{\"pu\":0,\"detour_rate_hz\":10,\"noise_fraction\":0,\"len_p50_us\":1,"
         "\"len_p99_us\":1,\"len_max_us\":1,\"others_fraction\":0,\"lengths_us\":[]}]}",
         "lengths_us missing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        /* the test's own file (mkstemp), rewritten in place, never through a link */
        fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        fputs(bad[i].text, f);
        fclose(f);
        assert_int_equal(place_noise_profile_read(&b, path, &e), -1);
        print_message("refused: %s\n", e.msg);
        assert_non_null(strstr(e.msg, path));
        assert_non_null(strstr(e.msg, bad[i].want));
    }
    unlink(path);
    place_noise_profile_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_exact_cases),
        cmocka_unit_test(test_predict_against_monte_carlo),
        cmocka_unit_test(test_auto_equals_exhaustive),
        cmocka_unit_test(test_profile_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
