/* noisebench: measured barrier-step cost of noise, beside the models.
 *
 * N threads run S bulk-synchronous steps: each step every thread does a fixed amount of
 * work (a dependent floating-point chain calibrated once to take W us at best, so a CPU
 * taken away makes the step longer: the machine's own noise shows), then any injected
 * delay as separate time, then waits at a barrier. The step recorder measures each
 * thread's work time, the slowest, barrier-to-barrier time and start skew.
 *
 * Reported beside the slowdown: the absolute noise cost against a noise-free reference
 * (the 5% quantile of the work times), the machine's other load during the run (from
 * /proc/stat), the step noise (hit probability, co-occurrence against chance, the mixture
 * fit), the models fed with the injected parameters ((a) exponential, (b) hit
 * probability, the Poisson model) and with the measured steps ((b), Poisson, (c)
 * empirical, mixture), and a half/half validation: each model fitted on the first half of
 * the steps predicts the second half's excess (mean of slowest minus average).
 *
 *   noisebench --threads N --steps S --work US
 *              [--inject NOISE (a kind of placerun --list noise)]
 *              [--pus LIST | --unpinned] [--corunner FRACTION[@PU]] [--seed S]
 *              [--trace FILE.csv] [--noise-thread FREQ_HZ:LEN_US[:sync|unsync]]
 * One JSON object on stdout; --trace writes every recorded step's thread times (the step
 * recorder's CSV), the input of placemodel --simulate --trace. Under placerun the PUs default to the plan's.
 * --corunner starts a process that keeps FRACTION of a CPU busy (in 10 ms periods),
 * pinned to PU (default: the first thread's), for the run's length.
 * --noise-thread is timer-driven noise (Ferreira et al., SC08): beside each worker, on its
 * PU, a thread at SCHED_FIFO wakes FREQ_HZ times a second and takes the CPU for LEN_US
 * (so the fraction FREQ x LEN is the same for frequent short and rare long detours); sync:
 * every PU's detours at the same instants, unsync (default): each PU at its own random
 * phase. Without the right to SCHED_FIFO it says so and stops.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "place.h"

static int N = 1, S = 2000, pinned = 1;
static double W = 200;
static long iters;
static place_noise nz;
static uint64_t seed = 1;
static int pus[256];
static place_steprec *rec;
static pthread_barrier_t bar;
static double nt_freq, nt_len;
static int nt_sync = 0;
static volatile int nt_stop;
/* Every worker waits at this gate until all N have started: one that cannot start (no
 * memory for its stack, a thread limit) makes the others leave instead of waiting at the
 * step barrier for ever. 0 wait, 1 go, -1 leave. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate;

static void gate_set(int v)
{
    pthread_mutex_lock(&gate_mu);
    gate = v;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

/* An injected delay: busy time, as a detour that takes the CPU would be. */
static void spin(double us)
{
    double end = now_us() + us;
    while (now_us() < end)
        ;
}

static void pin_to(int pu)
{
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(pu, &cs);
    if (sched_setaffinity(0, sizeof cs, &cs) < 0) {
        fprintf(stderr, "noisebench: cannot pin to PU %d\n", pu);
        exit(1);
    }
}

static void *thread(void *arg)
{
    int t = (int)(long)arg;
    pthread_mutex_lock(&gate_mu);
    while (gate == 0)
        pthread_cond_wait(&gate_cv, &gate_mu);
    int go = gate > 0;
    pthread_mutex_unlock(&gate_mu);
    if (!go)
        return NULL;
    if (pinned)
        pin_to(pus[t]);
    uint64_t rng = seed * 1000003u + (uint64_t)t * 7919u + 1;
    for (int step = -100; step < S; step++) { /* 100 warm-up steps, not recorded */
        place_steprec_work_begin(rec, t);
        place_jitter_fwq_work(iters);
        double d = place_noise_draw_us(&nz, &rng);
        if (d > 0)
            spin(d);
        place_steprec_work_end(rec, t);
        pthread_barrier_wait(&bar);
        if (t == 0 && step >= 0)
            place_steprec_step_end(rec);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

typedef struct noise_arg {
    int pu;
    double t0_us, phase_us;
} noise_arg;

/* A timer-driven detour source: every period, at t0 + phase + k period, LEN_US of the CPU. */
static void *noise_thread(void *arg)
{
    noise_arg *a = arg;
    pin_to(a->pu);
    double period = 1e6 / nt_freq, next = a->t0_us + a->phase_us;
    while (!nt_stop) {
        struct timespec ts = {(time_t)(next / 1e6), (long)(fmod(next, 1e6) * 1e3)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        spin(nt_len);
        next += period;
        double now = now_us();
        if (next < now) /* missed periods (the thread was held off): keep the phase */
            next += ceil((now - next) / period) * period;
    }
    return NULL;
}

static int die(const char *m)
{
    fprintf(stderr, "noisebench: %s\n", m);
    return 2;
}

/* The co-runner: FRACTION of each 10 ms busy, the rest asleep, until killed. */
static pid_t corunner_start(double frac, int pu)
{
    pid_t parent = getpid(), pid = fork();
    if (pid != 0)
        return pid;
    /* never outlive noisebench, however it ends */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(0);
    pin_to(pu);
    for (;;) {
        double t0 = now_us();
        spin(frac * 10000);
        double rest = 10000 - (now_us() - t0);
        if (rest > 0) {
            struct timespec ts = {0, (long)(rest * 1000)};
            nanosleep(&ts, NULL);
        }
    }
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The models' predicted excess E[max of N] - E[one] of a thread's delay, fitted on the
 * steps t (k steps x N threads). */
typedef struct predicted {
    double b_hit, poisson, c_empirical, mixture;
} predicted;

static int predict(const double *t, int k, predicted *pr, place_step_noise *sn_out)
{
    place_step_noise sn;
    double *hits;
    int nh;
    place_error e;
    if (place_step_noise_analyze(t, k, N, &sn, &hits, &nh, &e) < 0)
        return -1;
    if (sn_out)
        *sn_out = sn;
    size_t n = (size_t)k * (size_t)N;
    double *d = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++)
        d[i] = t[i] > sn.ref_us ? t[i] - sn.ref_us : 0;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += d[i] / (double)n;
    pr->c_empirical = place_model_empirical_emax(d, (int)n, N) - mean;
    free(d);
    double L = sn.hit_mean_us;
    pr->b_hit = L * -expm1(N * log1p(-sn.p)) - sn.p * L;
    pr->poisson = pr->mixture = NAN;
    if (nh > 0 && sn.p < 1) {
        place_lengths len = {.kind = PLACE_LEN_EMPIRICAL, .x = hits, .m = nh};
        qsort(hits, (size_t)nh, sizeof *hits, cmpd);
        place_delay_dist dd;
        if (place_poisson_delay(&len, -log1p(-sn.p), &dd, &e) == 0) {
            pr->poisson = place_delay_emax(&dd, N) - dd.mean_us;
            place_delay_dist_fini(&dd);
        }
        pr->mixture = place_model_mixture_emax(sn.q_g, sn.q_l, N, 1, hits, nh) - sn.p * L;
    }
    free(hits);
    return 0;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_string("unavailable");
}

/* The options beside the globals: the injected noise, the PUs given, the co-runner (its
 * share of a CPU and its PU), the trace file. */
typedef struct nbopts {
    const char *inject, *puslist, *corun, *trace;
    double cfrac;
    int cpu_c;
} nbopts;

/* The command line. Returns -1 to go on, else the exit status (said). */
static int parse_options(int argc, char **argv, nbopts *o)
{
    static const struct option lo[] = {{"threads", 1, 0, 'n'},
                                       {"steps", 1, 0, 's'},
                                       {"work", 1, 0, 'w'},
                                       {"inject", 1, 0, 'i'},
                                       {"pus", 1, 0, 'p'},
                                       {"seed", 1, 0, 'r'},
                                       {"unpinned", 0, 0, 'u'},
                                       {"corunner", 1, 0, 'c'},
                                       {"trace", 1, 0, 'T'},
                                       {"noise-thread", 1, 0, 'N'},
                                       {0, 0, 0, 0}};
    *o = (nbopts){.inject = "none"};
    place_error e;
    int c;
    int64_t sd = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'n': rc = place_parse_int("--threads", optarg, 1, 256, &N, &e); break;
        case 's': rc = place_parse_int("--steps", optarg, 1, 100000000, &S, &e); break;
        case 'w': rc = place_parse_double("--work", optarg, 1, 1e9, &W, &e); break;
        case 'i': o->inject = optarg; break;
        case 'p': o->puslist = optarg; break;
        case 'u': pinned = 0; break;
        case 'c': o->corun = optarg; break;
        case 'T': o->trace = optarg; break;
        case 'N': {
            char buf[96], *f2, *f3;
            snprintf(buf, sizeof buf, "%s", optarg);
            f2 = strchr(buf, ':');
            if (!f2) {
                rc = place_error_set(&e, PLACE_EINVAL,
                                     "--noise-thread '%.40s': expected "
                                     "FREQ_HZ:LEN_US[:sync|unsync], e.g. 1000:25",
                                     optarg);
                break;
            }
            *f2++ = '\0';
            f3 = strchr(f2, ':');
            if (f3) {
                *f3++ = '\0';
                if (strcmp(f3, "sync") && strcmp(f3, "unsync")) {
                    rc = place_error_set(&e, PLACE_EINVAL,
                                         "--noise-thread '%.40s': expected sync or "
                                         "unsync after the length",
                                         optarg);
                    break;
                }
                nt_sync = !strcmp(f3, "sync");
            }
            rc = place_parse_double("--noise-thread FREQ_HZ", buf, 0.1, 100000, &nt_freq, &e) ||
                 place_parse_double("--noise-thread LEN_US", f2, 0.1, 1e6, &nt_len, &e);
            if (!rc && nt_freq * nt_len > 0.5e6)
                rc = place_error_set(&e, PLACE_EINVAL,
                                     "--noise-thread '%.40s': takes %.0f%% of a "
                                     "CPU; expected at most 50%%",
                                     optarg, nt_freq * nt_len * 1e-4);
            break;
        }
        case 'r': rc = place_parse_i64("--seed", optarg, 0, INT64_MAX, &sd, &e); break;
        default:
            return die(
                "unknown option or missing value; expected --threads N --steps S --work US "
                "--inject NOISE --pus LIST --unpinned --corunner FRACTION[@PU] --seed S --trace FILE "
                "--noise-thread FREQ_HZ:LEN_US[:sync|unsync]");
        }
        if (rc)
            return die(e.msg);
    }
    if (optind < argc)
        return die("unexpected argument; see the options in noisebench's header");
    seed = (uint64_t)sd;
    if (place_noise_parse("--inject", o->inject, &nz, &e) < 0)
        return die(e.msg);
    nz.window_us = W;
    if (o->puslist && !pinned)
        return die("--pus and --unpinned: expected one of them");
    return -1;
}

/* The PUs of the threads (--pus, the plan under placerun, else the allowed ones in order)
 * and the co-runner's. Returns -1 to go on, else the exit status (said). */
static int choose_pus(nbopts *o, cpu_set_t *allowed)
{
    place_error e;
    if (sched_getaffinity(0, sizeof *allowed, allowed) < 0)
        return die("cannot read this process's allowed CPUs");
    int nallowed = 0, allowed_list[CPU_SETSIZE];
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, allowed))
            allowed_list[nallowed++] = cpu;
    for (int t = 0; t < N; t++) /* default: the allowed PUs in order, wrapping */
        pus[t] = allowed_list[t % nallowed];
    if (o->puslist) {
        int n;
        if (place_parse_int_list("--pus", o->puslist, 0, CPU_SETSIZE - 1, pus, 256, &n, &e) < 0)
            return die(e.msg);
        if (n < N)
            return die("--pus: fewer PUs than threads");
        for (int t = 0; t < N; t++)
            if (!CPU_ISSET(pus[t], allowed)) {
                fprintf(stderr, "noisebench: --pus: PU %d is not allowed to this process\n",
                        pus[t]);
                return 2;
            }
    } else if (pinned && place_env_placed()) { /* under placerun: the plan's PUs */
        place_assignment a;
        if (place_assignment_from_env(&a, &e) < 0)
            return die(e.msg);
        if (a.nthreads < N) {
            place_assignment_fini(&a);
            return die("the plan has fewer PUs than --threads");
        }
        memcpy(pus, a.thread_pu_os, sizeof(int) * (size_t)N);
        place_assignment_fini(&a);
    }
    o->cpu_c = pus[0];
    if (o->corun) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", o->corun);
        char *at = strchr(buf, '@');
        if (at) {
            *at = '\0';
            if (place_parse_int("--corunner PU", at + 1, 0, CPU_SETSIZE - 1, &o->cpu_c, &e) < 0)
                return die(e.msg);
            if (!CPU_ISSET(o->cpu_c, allowed))
                return die("--corunner: that PU is not allowed to this process");
        }
        if (place_parse_double("--corunner FRACTION", buf, 0.01, 1, &o->cfrac, &e) < 0)
            return die(e.msg);
    }
    return -1;
}

/* The run: the co-runner and the noise threads started, the workers through their steps,
 * all stopped; the machine's load around it. Returns -1 to go on, else the exit status
 * (said; the trace's temporary dropped). */
static int run(const nbopts *o, place_sysload_snap *l0, place_sysload_snap *l1, int *load_ok)
{
    place_error e;
    int rc = -1; /* an exit code for main, or -1 to go on */
    pthread_t nth[256];
    noise_arg na[256];
    int nnoise = 0;
    pid_t cpid = o->corun ? corunner_start(o->cfrac, o->cpu_c) : 0;
    if (cpid < 0) {
        rc = die("cannot start the co-runner");
        goto out;
    }
    if (nt_freq > 0) { /* one timer-driven noise thread per worker PU, at SCHED_FIFO */
        double t0 = now_us() + 2000, period = 1e6 / nt_freq;
        uint64_t ph = seed * 2654435761u + 99;
        pthread_attr_t at;
        struct sched_param sp = {.sched_priority = 1};
        pthread_attr_init(&at);
        pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&at, SCHED_FIFO);
        pthread_attr_setschedparam(&at, &sp);
        for (int t = 0; t < N; t++) {
            int dup = 0;
            for (int q = 0; q < t; q++)
                dup |= pus[q] == pus[t];
            if (dup)
                continue;
            ph = ph * 6364136223846793005ULL + 1442695040888963407ULL;
            na[nnoise] =
                (noise_arg){pus[t], t0, nt_sync ? 0 : ((double)(ph >> 11) * 0x1.0p-53) * period};
            int prc = pthread_create(&nth[nnoise], &at, noise_thread, &na[nnoise]);
            if (prc) {
                pthread_attr_destroy(&at);
                fprintf(stderr,
                        "noisebench: --noise-thread: cannot start a SCHED_FIFO thread (%s); "
                        "timer-driven noise needs the right to real-time priority (root or "
                        "CAP_SYS_NICE)\n",
                        strerror(prc));
                rc = 2;
                goto out;
            }
            nnoise++;
        }
        pthread_attr_destroy(&at);
    }
    *load_ok = place_sysload_read(l0, &e) == 0;
    pthread_barrier_init(&bar, NULL, (unsigned)N);
    pthread_t th[256];
    int started = 0, prc = 0;
    while (started < N &&
           !(prc = pthread_create(&th[started], NULL, thread, (void *)(long)started)))
        started++;
    gate_set(started == N ? 1 : -1);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (started < N) {
        fprintf(stderr,
                "noisebench: --threads %d: thread %d of %d cannot start (%s); expected "
                "room for %d threads (ulimit -v, -u and the memory limit)\n",
                N, started, N, strerror(prc), N);
        rc = 2;
        goto out;
    }
    *load_ok = *load_ok && place_sysload_read(l1, &e) == 0;
out: /* the one exit: the noise threads stopped, the co-runner gone */
    nt_stop = 1;
    for (int q = 0; q < nnoise; q++)
        pthread_join(nth[q], NULL);
    if (cpid > 0) {
        kill(cpid, SIGKILL);
        waitpid(cpid, NULL, 0);
    }
    return rc;
}

/* The models of the injected noise and those fitted on the measured steps (t: k steps x N
 * threads), beside the measurement. */
static void report_models(json_t *o, const place_step_stats *st, const double *t, int k)
{
    place_error e;
    /* the injected parameters' models */
    /* the work as measured, noise of the machine in */
    double w_eff = st->mean_mean_us - place_noise_mean_us(&nz);
    const char *mk[4];
    double mv[4];
    int nm = place_noise_models(&nz, w_eff, N, mk, mv, 4);
    for (int i = 0; i < nm; i++) {
        char key[64];
        snprintf(key, sizeof key, "model_%s", mk[i]);
        json_object_set_new(o, key, json_real(mv[i]));
    }
    /* the measured steps: noise analysis and the models fitted on all of them */
    predicted all;
    place_step_noise sn;
    if (k >= 2 && predict(t, k, &all, &sn) == 0) {
        json_object_set_new(o, "step_noise",
                            json_pack("{s:f,s:f,s:f,s:o,s:f,s:o,s:o,s:o,s:o,s:o,s:f,s:f,s:b}",
                                      "ref_us", sn.ref_us, "threshold_us", sn.threshold_us,
                                      "hit_probability", sn.p, "pair_hit_probability", num(sn.p2),
                                      "hit_mean_us", sn.hit_mean_us, "coincidence_observed",
                                      num(sn.co.observed), "coincidence_chance",
                                      num(sn.co.expected), "coincidence_excess", num(sn.co.excess),
                                      "coincidence_kappa", num(sn.co.kappa), "length_correlation",
                                      num(sn.co.len_corr), "mixture_q_g", sn.q_g, "mixture_q_l",
                                      sn.q_l, "mixture_fits", sn.mixture_ok));
        json_object_set_new(o, "measured_excess_us", json_real(sn.excess_us));
        json_object_set_new(o, "fitted_excess_us",
                            json_pack("{s:o,s:o,s:o,s:o}", "b_hit_probability", num(all.b_hit),
                                      "poisson", num(all.poisson), "c_empirical",
                                      num(all.c_empirical), "mixture", num(all.mixture)));
    }
    /* half/half: fit on the first half, predict the second */
    if (N >= 2 && k >= 200) {
        int h = k / 2;
        predicted pa;
        place_step_noise sb;
        if (predict(t, h, &pa, NULL) == 0 &&
            place_step_noise_analyze(t + (size_t)h * N, k - h, N, &sb, NULL, NULL, &e) == 0) {
            double m = sb.excess_us;
            json_object_set_new(
                o, "halves",
                json_pack("{s:i,s:f,s:{s:o,s:o,s:o,s:o},s:{s:o,s:o,s:o,s:o}}", "steps_each", h,
                          "measured_excess_second_us", m, "predicted_excess_us",
                          "b_hit_probability", num(pa.b_hit), "poisson", num(pa.poisson),
                          "c_empirical", num(pa.c_empirical), "mixture", num(pa.mixture),
                          "ratio_predicted_measured", "b_hit_probability", num(pa.b_hit / m),
                          "poisson", num(pa.poisson / m), "c_empirical", num(pa.c_empirical / m),
                          "mixture", num(pa.mixture / m)));
        }
    }
}

/* The JSON report on standard output. */
static void report(const nbopts *o, int ring, int load_ok, const place_sysload_snap *l0,
                   const place_sysload_snap *l1)
{
    place_step_stats st;
    place_steprec_stats(rec, &st);
    /* the ring as steps x threads */
    int k = 0;
    double *col = malloc(sizeof(double) * (size_t)ring);
    double *t = malloc(sizeof(double) * (size_t)ring * (size_t)N);
    for (int i = 0; i < N; i++) {
        k = place_steprec_samples(rec, i, col, ring);
        for (int s = 0; s < k; s++)
            t[(size_t)s * N + i] = col[s];
    }
    free(col);
    double *x = malloc(sizeof(double) * (size_t)k * (size_t)N);
    memcpy(x, t, sizeof(double) * (size_t)k * (size_t)N);
    double model_c = place_model_empirical_slowdown(x, k * N, N);
    free(x);
    json_t *rep =
        json_pack("{s:i,s:i,s:f,s:s,s:s,s:b,s:f,s:f,s:f,s:f,s:f,s:f}", "threads", N, "steps", S,
                  "work_us", W, "work", "fixed: calibrated floating-point chain", "inject",
                  o->inject, "pinned", pinned, "mean_max_us", st.mean_max_us, "mean_mean_us",
                  st.mean_mean_us, "measured_slowdown", st.slowdown, "max_p99_us", st.max_p99_us,
                  "mean_wait_us", st.mean_wait_us, "model_c_empirical", model_c);
    json_object_set_new(rep, "fwq_iterations", json_integer(iters));
    { /* the metrics beside the slowdown, in the recorder's names */
        const char *k[PLACE_STEP_METRICS];
        double v[PLACE_STEP_METRICS];
        int nm = place_step_stats_metrics(&st, k, v, PLACE_STEP_METRICS);
        for (int i = 0; i < nm; i++)
            json_object_set_new(rep, k[i], num(v[i]));
        json_object_set_new(rep, "ref_rule", json_string(PLACE_STEP_REF_RULE));
    }
    if (nt_freq > 0)
        json_object_set_new(rep, "noise_thread",
                            json_pack("{s:f,s:f,s:s,s:f,s:s}", "freq_hz", nt_freq, "len_us", nt_len,
                                      "phase", nt_sync ? "sync" : "unsync", "fraction",
                                      nt_freq * nt_len * 1e-6, "policy", "SCHED_FIFO"));
    if (o->corun)
        json_object_set_new(rep, "corunner",
                            json_pack("{s:f,s:i}", "fraction", o->cfrac, "pu", o->cpu_c));
    if (load_ok) {
        place_sysload ld;
        place_sysload_between(l0, l1, &ld);
        json_object_set_new(rep, "machine_load",
                            json_pack("{s:o,s:o,s:f}", "other_cpus", num(ld.other_cpus),
                                      "steal_fraction", num(ld.steal_fraction), "elapsed_s",
                                      ld.elapsed_s));
    } else {
        json_object_set_new(rep, "machine_load", json_string("unavailable"));
    }
    report_models(rep, &st, t, k);
    json_object_set_new(rep, "migrations",
                        st.migrations == PLACE_UNAVAILABLE ? json_string("unavailable")
                                                           : json_integer(st.migrations));
    json_object_set_new(rep, "switches",
                        st.switches == PLACE_UNAVAILABLE ? json_string("unavailable")
                                                         : json_integer(st.switches));
    json_dumpf(rep, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(rep);
    free(t);
}

int main(int argc, char **argv)
{
    nbopts o;
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    cpu_set_t allowed;
    if ((rc = choose_pus(&o, &allowed)) >= 0)
        return rc;
    place_error e;
    int ring = S < 100000 ? S : 100000;
    int traced = 0; /* the trace's file is open (and dropped at the exit unless committed) */
    place_wfile wf; /* opened before the run: a path that cannot be written stops it first */
    if (o.trace) {
        if (place_wfile_open(&wf, "--trace", o.trace, &e) < 0)
            return die(e.msg);
        traced = 1;
    }
    if (place_steprec_create(&rec, N, ring, PLACE_STEPREC_COUNTERS, &e)) {
        rc = die(e.msg);
        goto out;
    }
    /* calibrate once, on the first thread's PU */
    cpu_set_t saved = allowed;
    if (pinned)
        pin_to(pus[0]);
    iters = place_jitter_fwq_calibrate(W);
    sched_setaffinity(0, sizeof saved, &saved);
    place_sysload_snap l0, l1;
    int load_ok = 0;
    if ((rc = run(&o, &l0, &l1, &load_ok)) >= 0)
        goto out;
    if (traced && (place_steprec_write_csv(rec, wf.f, &e) < 0 || place_wfile_commit(&wf, &e) < 0)) {
        rc = die(e.msg);
        goto out;
    }
    report(&o, ring, load_ok, &l0, &l1);
    rc = 0;
out: /* the one exit: what is still held released, a trace not committed dropped (nothing
        half-done left behind) */
    if (traced && rc != 0)
        place_wfile_fini(&wf);
    if (rec)
        place_steprec_free(rec);
    return rc;
}
