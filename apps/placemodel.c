/* placemodel: expected barrier-step slowdown for N = 1 to 1,000,000 threads, by closed
 * form and by Monte Carlo side by side: how the noise measured on one node extrapolates
 * to a cluster.
 *
 *   placemodel --exp MEAN_US [--work US]          (a) i.i.d. exponential delays
 *   placemodel --detour P:LEN_US [--work US]      (b) rare fixed-length detours
 *   placemodel --jitter FILE.json                 (c) the quantum times of a jitter probe
 *                                                     (placerun --jitter -o FILE.json), and
 *                                                     the Poisson model with the measured
 *                                                     detour rate and lengths, its tail
 *                                                     fitted (GPD) with a confidence band
 *   placemodel --poisson RATE_HZ:LEN_US [--lengths fixed|exp] [--work US]
 *                                                 detours arriving in time
 *   [--trials T] [--seed S] [--max-n N] [--cap-us US] [--boot B] [--format text|json|csv]
 *
 *   placemodel --simulate (--exp MEAN_US | --poisson RATE_HZ:LEN_US [--shared F] |
 *                          --jitter FILE.json | --trace FILE.csv) [--work US]
 *              [--threads T] [--sync barrier|allreduce|halo|none] [--latency-us L]
 *              [--overhead-us O] [--steps S] [--max-n RANKS]
 *       simulates N = 1, 2, 4, ... ranks of T threads (to 1,048,576 by default) through a
 *       modelled collective (libplace/src/models/simulate.c), beside the closed form where it is
 *       exact (no latency and overhead, a barrier or allreduce, independent threads)
 *
 * Slowdown = E[step time of the slowest of N threads] / E[step time of one thread].
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "place.h"

static void usage(FILE *f)
{
    fputs(
        "usage: placemodel (--exp MEAN_US | --detour P:LEN_US | --poisson RATE_HZ:LEN_US |\n"
        "                   --jitter FILE.json) [--work US] [--lengths fixed|exp] [--trials T]\n"
        "                  [--seed S] [--max-n N] [--cap-us US] [--boot B] [--format text|json|csv]\n"
        "Prints the expected barrier-step slowdown of N threads, N = 1, 2, 4, ... up to\n"
        "--max-n (default 1000000), by closed form and by Monte Carlo (95% interval).\n"
        "  --exp MEAN_US     (a) each thread, each step, an exponential delay of this mean\n"
        "  --detour P:LEN_US (b) the hit-probability model: at most one detour of LEN_US per\n"
        "                        step, with probability P (the chance of a hit, not the cost\n"
        "                        of noise that arrives in time)\n"
        "  --poisson RATE_HZ:LEN_US  detours arriving at RATE_HZ while a thread works --work\n"
        "                        us, of length LEN_US (--lengths fixed, the default) or of\n"
        "                        exponential lengths of that mean (--lengths exp)\n"
        "  --jitter FILE     (c) the per-quantum times measured by placerun --jitter -o FILE\n"
        "                        (all threads' samples pooled), and the Poisson model with\n"
        "                        the measured rate and detour lengths, as measured and with a\n"
        "                        generalized Pareto tail up to --cap-us (default 10000), with\n"
        "                        its band: parametric (xi at its 95% ends) and bootstrap\n"
        "                        (--boot resamples, default 40; 0: none); --work defaults to\n"
        "                        the probe's quantum\n"
        "  --periodic F:LEN  periodic noise: LEN_US every 1/F s on each CPU at a phase fixed\n"
        "                    for the run (barrier steps walked on the timeline), beside the\n"
        "                    limit as N grows\n"
        "                        (--phase-group G: G threads share one phase, aligned ticks)\n"
        "  --work US         work per step per thread (default 100 us)\n"
        "  --trials T        Monte Carlo steps per N (default 20000; fewer where one step of\n"
        "                        N threads draws many numbers, said in the output; none, and\n"
        "                        'skipped', where not even 10 steps fit in 4e8 draws)\n"
        "Simulation (--simulate): N = 1, 2, 4, ... ranks (--max-n, default 1048576) of\n"
        "--threads T threads run --steps S (default 100) bulk-synchronous steps through a\n"
        "modelled collective; noise from --exp, --poisson (--shared F: the fraction of\n"
        "detours that hit every thread of a rank), --jitter FILE (measured rate and lengths,\n"
        "shared as the chance-corrected coincidence) or --trace FILE.csv (steps recorded by\n"
        "noisebench --trace, each rank replaying whole rows: the node's own correlation;\n"
        "beyond as many ranks as the trace has steps a replay saturates, said per row) or\n"
        "--periodic F:LEN (a tick on every CPU at a phase fixed for the run, --phase-group\n"
        "G CPUs sharing one; in the work and in the collective)\n"
        "  --tail gpd        with --jitter: the detour lengths with a fitted GPD tail up to\n"
        "                        --cap-us (default: the measured lengths only)\n"
        "  --sync S          barrier (dissemination, default), allreduce (binomial tree),\n"
        "                        halo (6 neighbours on a 3D torus) or none\n"
        "  --latency-us L, --overhead-us O   LogP costs of a message (default 0)\n"
        "  --loggp FILE      L and o measured by loggp (mpirun -np 2 placerun -t 1 -- loggp\n"
        "                        -o FILE): this machine's MPI\n"
        "  --noise-in-collective   with --poisson or --jitter: the detours also hit the\n"
        "                        thread handling the collective's messages (each o stretched\n"
        "                        by detours that arrive first or during it; a late message\n"
        "                        delays every rank it is forwarded to)\n"
        "  --max-seconds S   refuse a simulation estimated (from a small timed run) to take\n"
        "                        longer than S seconds (default 600)\n",
        f);
}

/* One JSON document on stdout, then freed. */
static void put_json(json_t *o)
{
    json_dumpf(o, stdout, JSON_INDENT(1));
    putchar('\n');
    json_decref(o);
}

static int fail(const char *msg)
{
    fprintf(stderr, "placemodel: %s\n", msg);
    return 2;
}

/* Pools quantum_sample_us of every thread of a place-jitter/1 file. */
static double *load_jitter(const char *path, int *m, char *err, size_t n)
{
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o) {
        snprintf(err, n, "--jitter '%.120s': %.120s; expected a file from placerun --jitter -o",
                 path, je.text);
        return NULL;
    }
    json_t *th = json_object_get(o, "threads");
    const char *schema = json_string_value(json_object_get(o, "schema"));
    size_t total = 0, i;
    json_t *t;
    json_array_foreach(th, i, t) total += json_array_size(json_object_get(t, "quantum_sample_us"));
    if (!schema || strcmp(schema, "place-jitter/1") || total == 0) {
        snprintf(err, n,
                 "--jitter '%.200s': no place-jitter/1 quantum samples (run the probe in "
                 "fwq mode)",
                 path);
        json_decref(o);
        return NULL;
    }
    double *x = malloc(sizeof(double) * total);
    if (!x) {
        snprintf(err, n, "--jitter '%.200s': out of memory for %zu samples", path, total);
        json_decref(o);
        return NULL;
    }
    *m = 0;
    json_array_foreach(th, i, t)
    {
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(t, "quantum_sample_us"), k, v)
        {
            double s = json_is_number(v) ? json_number_value(v) : NAN;
            if (!(s > 0 && isfinite(s))) { /* a step time is positive and finite */
                snprintf(err, n,
                         "--jitter '%.200s': thread %zu sample %zu is %s; expected "
                         "quantum times in us, each a positive number",
                         path, i, k, json_is_number(v) ? "not positive" : "not a number");
                free(x);
                json_decref(o);
                return NULL;
            }
            x[(*m)++] = s;
        }
    }
    json_decref(o);
    return x;
}

/* A length array of a place-jitter/1 thread: every entry a positive number of us. */
static double *json_lengths(json_t *a, const char *path, size_t thread, const char *key, int *n,
                            char *err, size_t errn)
{
    size_t k, len = json_array_size(a);
    json_t *v;
    *n = 0;
    double *x = malloc(sizeof(double) * (len + 1));
    if (!x) {
        snprintf(err, errn, "--jitter '%.200s': out of memory for %zu lengths", path, len);
        return NULL;
    }
    json_array_foreach(a, k, v)
    {
        double d = json_number_value(v);
        if (!(json_is_number(v) && d > 0 && isfinite(d))) {
            snprintf(err, errn,
                     "--jitter '%.200s': thread %zu %s %zu is not a positive number of us", path,
                     thread, key, k);
            free(x);
            return NULL;
        }
        x[(*n)++] = d;
    }
    return x;
}

/* The detours of every thread of a place-jitter/1 file, pooled (place_detour_pool: a uniform
 * sample of all their lengths and every length above the tail threshold), their mean rate
 * per thread and the mean baseline quantum. A file whose threads kept a part of their
 * detours without the largest (an older placerun) is taken as it is, said on stderr. */
static int load_detours(const char *path, place_detour_pool *pool, double *rate, double *quantum,
                        char *err, size_t n)
{
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je), *t;
    size_t i;
    *rate = *quantum = 0;
    memset(pool, 0, sizeof *pool);
    if (!o) {
        snprintf(err, n, "--jitter '%.120s': %.120s", path, je.text);
        return -1;
    }
    json_t *th = json_object_get(o, "threads");
    size_t nt = json_array_size(th);
    place_detour_keep *k = calloc(nt + 1, sizeof *k);
    int rc = k ? 0 : -1, old = 0;
    if (!k)
        snprintf(err, n, "--jitter '%.200s': out of memory", path);
    json_array_foreach(th, i, t)
    {
        if (rc)
            break;
        double r = json_number_value(json_object_get(t, "detour_rate_hz"));
        double q = json_number_value(json_object_get(t, "baseline_us"));
        json_t *cnt = json_object_get(t, "detours");
        if (!(r >= 0 && isfinite(r) && q > 0 && isfinite(q))) {
            snprintf(err, n,
                     "--jitter '%.200s': thread %zu has no valid detour_rate_hz and "
                     "baseline_us; expected numbers from placerun --jitter -o",
                     path, i);
            rc = -1;
            break;
        }
        *rate += r;
        *quantum += q;
        double *s =
            json_lengths(json_object_get(t, "detour_us"), path, i, "detour", &k[i].nsample, err, n);
        double *big = s ? json_lengths(json_object_get(t, "detour_largest_us"), path, i,
                                       "largest detour", &k[i].nlargest, err, n)
                        : NULL;
        k[i].sample = s, k[i].largest = big;
        if (!s || !big) {
            rc = -1;
            break;
        }
        k[i].count = k[i].nsample;
        if (cnt && !(json_is_integer(cnt) && json_integer_value(cnt) >= k[i].nsample)) {
            snprintf(err, n,
                     "--jitter '%.200s': thread %zu counts %s detours and keeps %d; "
                     "expected a whole count of at least the lengths kept",
                     path, i, json_is_integer(cnt) ? "fewer" : "no whole number of", k[i].nsample);
            rc = -1;
            break;
        }
        if (cnt)
            k[i].count = json_integer_value(cnt);
        if (k[i].count > k[i].nsample && k[i].nlargest == 0) {
            old = 1; /* a part, without the largest: taken as all there is */
            k[i].count = k[i].nsample;
        }
    }
    if (!rc && old)
        fprintf(stderr,
                "placemodel: note: --jitter '%s' keeps only part of its detours and not "
                "the largest (written by an older placerun); the lengths kept are taken as all "
                "there were, so the tail misses the longest\n",
                path);
    place_error e;
    if (!rc && place_detour_pool_build(k, (int)nt, 1, pool, &e) < 0) {
        snprintf(err, n, "--jitter '%.150s': %.150s", path, e.msg);
        rc = -1;
    }
    for (size_t j = 0; k && j < nt; j++) {
        free((double *)k[j].sample);
        free((double *)k[j].largest);
    }
    free(k);
    json_decref(o);
    if (!rc && nt) {
        *rate /= (double)nt;
        *quantum /= (double)nt;
    }
    return rc;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The longest detour measured. */
static double pool_max(const place_detour_pool *p)
{
    return p->ntop ? p->top[p->ntop - 1] : p->nbody ? p->body[p->nbody - 1] : 0;
}

/* The lengths a GPD-tailed model draws from: the pooled sample up to u, then every length
 * above it (malloc'd, sorted; *m entries). */
static double *tail_lengths(const place_detour_pool *p, int *m)
{
    int b = 0;
    while (b < p->nbody && p->body[b] <= p->u)
        b++;
    double *x = malloc(sizeof(double) * (size_t)(b + p->ntop + 1));
    if (!x)
        return NULL;
    memcpy(x, p->body, sizeof(double) * (size_t)b);
    memcpy(x + b, p->top, sizeof(double) * (size_t)p->ntop);
    *m = b + p->ntop;
    return x;
}

/* The Poisson model with the pooled lengths, a GPD tail fitted to every detour above the
 * pool's threshold and capped (or ended by the fit itself, xi < 0): E[max of N] slowdowns for
 * the nn values of Ns into out. Returns -1 when the tail cannot be fitted (fewer than 30
 * exceedances), or, with why set, when the fitted tail gives no delay distribution. */
static int poisson_gpd_why(const place_detour_pool *p, double rate, double w, double cap,
                           const double *Ns, int nn, double xi_override, double *out,
                           place_gpd_fit *fit_out, char *why, size_t whyn)
{
    place_gpd_fit f;
    if (place_gpd_fit_samples(p->top, p->ntop, p->u, 0, 1, &f, NULL) < 0)
        return -1;
    f.m = (int)(p->count < INT32_MAX ? p->count : INT32_MAX);
    if (fit_out)
        *fit_out = f;
    if (!isnan(xi_override))
        f.xi = xi_override;
    int m;
    double *x = tail_lengths(p, &m);
    if (!x)
        return -1;
    place_lengths L = {.kind = PLACE_LEN_GPD_TAIL,
                       .x = x,
                       .m = m,
                       .u = f.u,
                       .xi = f.xi,
                       .sigma = f.sigma,
                       .cap_us = cap,
                       .tail_frac = (double)f.n / (double)p->count};
    place_delay_dist d;
    place_error e;
    if (place_poisson_delay(&L, rate * w * 1e-6, &d, &e) < 0) {
        if (why)
            snprintf(why, whyn,
                     "the tail fitted above %.1f us (xi %.3f) gives no delay "
                     "distribution: %.240s",
                     f.u, f.xi, e.msg);
        free(x);
        return -1;
    }
    for (int i = 0; i < nn; i++)
        out[i] = place_model_poisson_slowdown(&d, w, Ns[i]);
    place_delay_dist_fini(&d);
    free(x);
    return 0;
}

static int poisson_gpd(const place_detour_pool *p, double rate, double w, double cap,
                       const double *Ns, int nn, double xi_override, double *out,
                       place_gpd_fit *fit_out)
{
    return poisson_gpd_why(p, rate, w, cap, Ns, nn, xi_override, out, fit_out, NULL, 0);
}

/* A step recorder CSV (place_steprec_write_csv: noisebench --trace, fdtd3d): its thread
 * columns t0_us, t1_us, ... as rows x cols. Every field parsed strictly. */
static double *load_trace(const char *path, int *rows, int *cols, char *err, size_t n)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, n,
                 "--trace '%.200s': cannot open it; expected a step CSV from noisebench "
                 "--trace",
                 path);
        return NULL;
    }
    char line[65536];
    int header = 0, first = 5, cap = 0;
    double *x = NULL;
    *rows = *cols = 0;
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#')
            continue;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, n, "--trace '%.200s' line %ld: longer than %zu bytes", path, lineno,
                     sizeof line);
            goto bad;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (!header) {
            static const char hdr[] = "step,max_us,mean_us,migrations,switches,t0_us";
            if (strncmp(line, hdr, sizeof hdr - 1)) {
                snprintf(err, n,
                         "--trace '%.200s': no header 'step,max_us,mean_us,migrations,"
                         "switches,t0_us,...'; expected a step CSV from noisebench --trace",
                         path);
                goto bad;
            }
            for (char *c = line; *c; c++)
                *cols += *c == ',';
            *cols -= first - 1;
            header = 1;
            continue;
        }
        if (*rows == cap) {
            cap = cap ? cap * 2 : 1024;
            double *nx = realloc(x, sizeof(double) * (size_t)cap * (size_t)*cols);
            if (!nx) {
                snprintf(err, n, "--trace '%.200s': out of memory", path);
                goto bad;
            }
            x = nx;
        }
        char *p = line;
        for (int k = 0; k < first + *cols; k++) {
            char *end = strchr(p, ',');
            if (end)
                *end = '\0';
            if (k >= first) {
                char *e2;
                double v = strtod(p, &e2);
                if (e2 == p || *e2 || !(v > 0 && isfinite(v))) {
                    snprintf(err, n,
                             "--trace '%.200s' line %ld column %d: '%.20s' is not a positive "
                             "time in us",
                             path, lineno, k + 1, p);
                    goto bad;
                }
                x[(size_t)*rows * *cols + (k - first)] = v;
            }
            if (!end && k < first + *cols - 1) {
                snprintf(err, n, "--trace '%.200s' line %ld: %d fields, expected %d", path, lineno,
                         k + 1, first + *cols);
                goto bad;
            }
            p = end ? end + 1 : p + strlen(p);
        }
        (*rows)++;
    }
    fclose(f);
    if (!header || *rows < 1 || *cols < 1) {
        snprintf(err, n, "--trace '%.200s': no steps; expected a step CSV from noisebench --trace",
                 path);
        free(x);
        return NULL;
    }
    return x;
bad:
    fclose(f);
    free(x);
    return NULL;
}

/* The shared fraction of detours in a jitter file: its chance-corrected coincidence. */
static double jitter_shared(const char *path)
{
    json_t *o = json_load_file(path, 0, NULL);
    double k = json_number_value(json_object_get(o, "coincidence_kappa"));
    json_decref(o);
    return isfinite(k) && k > 0 ? (k < 1 ? k : 1) : 0;
}

/* --loggp FILE (loggp's place-loggp/1): the measured L and o, each a mean in [0, 1e6) us;
 * 0, or -1 with the reason in msg. */
static int load_loggp(const char *path, double *L, double *o, char *msg, size_t n)
{
    json_error_t je;
    json_t *d = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!d) {
        snprintf(msg, n, "--loggp '%.200s': %.120s; expected loggp's JSON (place-loggp/1)", path,
                 je.text);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(d, "schema"));
    double l = json_number_value(json_object_get(json_object_get(d, "L_us"), "mean"));
    double ov = json_number_value(json_object_get(json_object_get(d, "o_us"), "mean"));
    int ok = schema && !strcmp(schema, "place-loggp/1") &&
             json_is_number(json_object_get(json_object_get(d, "L_us"), "mean")) &&
             json_is_number(json_object_get(json_object_get(d, "o_us"), "mean")) && isfinite(l) &&
             isfinite(ov) && l >= 0 && l < 1e6 && ov >= 0 && ov < 1e6;
    json_decref(d);
    if (!ok) {
        snprintf(msg, n,
                 "--loggp '%.200s': not loggp's output (schema place-loggp/1 with L_us and o_us "
                 "means from 0 to 1e6 us)",
                 path);
        return -1;
    }
    *L = l;
    *o = ov;
    return 0;
}

typedef struct simopts {
    int threads, steps, threads_given;
    place_sync sync;
    double latency, overhead, shared;
    const char *loggp;  /* where latency and overhead came from, or NULL (given or 0) */
    int lo_given;       /* --latency-us or --overhead-us */
    double max_seconds; /* the longest run allowed without asking (--max-seconds) */
} simopts;

/* How long the rows up to maxn will take: a small run timed (4096 ranks or fewer, 10
 * steps, the best of 3) and scaled by the rank-thread-steps of every row, which the
 * simulation's cost follows.
 * Seconds, or a negative number if the small run fails (the real run then says why). */
static double simulate_estimate(place_sim_noise *nz, const simopts *so, double maxn, uint64_t seed)
{
    /* the best of three timings of 4096 ranks (or fewer): one preemption on a loaded machine
     * must not make a sub-millisecond run look like a long one */
    double n0 = maxn < 4096 ? maxn : 4096, total = 0, secs = INFINITY;
    int steps0 = 10;
    place_sim_result r;
    for (int k = 0; k < 3; k++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (place_simulate(nz, (long)n0, so->threads, steps0, so->sync, so->latency, so->overhead,
                           seed, &r, NULL) < 0)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        secs = s < secs ? s : secs;
    }
    for (double N = 1; N <= maxn; N *= 2) {
        total += N;
        if (nz->kind == PLACE_SIMN_TRACE && N >= nz->trace_rows)
            break; /* a replay stops where it saturates */
    }
    return secs / (n0 * steps0) * total * so->steps;
}

/* --simulate's header: what is simulated and the columns (text), or the CSV's header. */
static void sim_header(const place_sim_noise *nz, const simopts *so, const char *source, int text,
                       int csv)
{
    static const char *syncs[] = {"barrier", "allreduce", "halo", "none"};
    int T = so->threads;
    if (text) {
        printf("# simulation: %s; %d thread%s per rank, %s, latency %g us, overhead %g us%s%s%s, "
               "%d steps per N (95%% interval from 10 batch means)\n",
               source, T, T > 1 ? "s" : "", syncs[so->sync], so->latency, so->overhead,
               so->loggp ? " (measured: " : "", so->loggp ? so->loggp : "", so->loggp ? ")" : "",
               so->steps);
        printf("# noise in the collective: %s\n",
               nz->in_collective
                   ? (nz->kind == PLACE_SIMN_PERIODIC
                          ? "yes, the ticks also hit the CPU that handles its messages"
                          : "yes, the detours also hit the thread that handles its messages")
                   : "no, the collective costs its noise-free time after the slowest rank "
                     "(--noise-in-collective puts the detours into it)");
        printf("# vs_no_noise = mean step / (work + the collective without noise): noise "
               "everywhere against none; slowdown = mean step / (one thread's mean step, its "
               "noise included, + that collective): the cost beyond each thread's mean noise, a "
               "decomposition; closed form (of the slowdown) where exact (no latency or overhead, "
               "barrier or allreduce, independent threads)\n");
        printf("%10s %12s %10s %10s %10s %12s %12s %12s %10s\n", "ranks", "vs_no_noise", "ci95",
               "slowdown", "ci95", "step_us", "sync0_us", "closed_form", "seconds");
    } else if (csv) {
        printf("ranks,threads,slowdown,ci95,step_us,step_ci95_us,sync0_us,closed_form,seconds,"
               "saturated,vs_no_noise,vs_no_noise_ci95\n");
    }
}

/* --simulate: rows of ranks 1, 2, 4, ... up to maxn, the simulation beside the exact closed
 * form where there is one. */
static int simulate_main(place_sim_noise *nz, const simopts *so, double maxn, uint64_t seed,
                         const char *format, const char *source)
{
    static const char *syncs[] = {"barrier", "allreduce", "halo", "none"};
    int T = so->threads, text = !strcmp(format, "text"), csv = !strcmp(format, "csv");
    int exact = so->latency == 0 && so->overhead == 0 && !nz->in_collective &&
                (so->sync == PLACE_SYNC_BARRIER || so->sync == PLACE_SYNC_ALLREDUCE);
    place_delay_dist pd = {0};
    if (nz->kind == PLACE_SIMN_POISSON && nz->shared == 0 && /* independent threads */
        place_poisson_delay(&nz->len, nz->rate_hz * nz->w_us * 1e-6, &pd, NULL) < 0)
        pd.pmf = NULL;
    double *col = NULL;
    int m = 0;
    if (nz->kind == PLACE_SIMN_TRACE && T == 1) { /* (c) on the first thread's column */
        col = malloc(sizeof(double) * (size_t)nz->trace_rows);
        for (int i = 0; col && i < nz->trace_rows; i++)
            col[m++] = nz->trace[(size_t)i * nz->trace_cols];
    }
    double est = simulate_estimate(nz, so, maxn, seed);
    if (est > so->max_seconds) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "--simulate: about %.0f s for %d steps of up to %.0f ranks "
                 "(timed on a small run); expected at most --max-seconds %.0f: give a larger "
                 "--max-seconds to run it, or fewer --steps or a smaller --max-n",
                 est, so->steps, maxn, so->max_seconds);
        place_delay_dist_fini(&pd);
        free(col);
        return fail(msg);
    }
    sim_header(nz, so, source, text, csv);
    json_t *rows = json_array();
    int rc = 0;
    for (double N = 1; N <= maxn; N *= 2) {
        place_sim_result r;
        place_error e;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (place_simulate(nz, (long)N, T, so->steps, so->sync, so->latency, so->overhead,
                           seed + (uint64_t)N, &r, &e) < 0) {
            rc = fail(e.msg);
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        double closed = NAN;
        if (exact && nz->kind == PLACE_SIMN_EXP)
            closed = place_model_exp_slowdown(nz->w_us, nz->mu_us, N * T);
        else if (exact && pd.pmf)
            closed = place_model_poisson_slowdown(&pd, nz->w_us, N * T);
        else if (exact && col)
            closed = place_model_empirical_slowdown(col, m, N);
        char cf[32] = "-";
        if (isfinite(closed))
            snprintf(cf, sizeof cf, "%.4f", closed);
        /* a replay cannot pass the longest recorded step: once N ranks draw more rows than
         * the trace has, most steps end at its largest row, and the interval narrows to 0 */
        int sat = nz->kind == PLACE_SIMN_TRACE && N >= nz->trace_rows;
        /* saturated: the value is the trace's longest steps, not an estimate of the machine at
         * N ranks, and its interval only the simulation's: no interval, and the curve stops */
        char vn[32] = "-", vc[32] = "-"; /* unknown for a trace */
        if (isfinite(r.vs_no_noise)) {
            snprintf(vn, sizeof vn, "%.4f", r.vs_no_noise);
            snprintf(vc, sizeof vc, "%.4f", r.vs_no_noise_ci95);
        }
        if (text && sat)
            printf("%10.0f %12s %10s %10.4f %10s %12.2f %12.2f %12s %10.2f  saturated at the "
                   "longest recorded step\n",
                   N, vn, "-", r.slowdown, "-", r.step_us, r.sync0_us, cf, secs);
        else if (text)
            printf("%10.0f %12s %10s %10.4f %10.4f %12.2f %12.2f %12s %10.2f\n", N, vn, vc,
                   r.slowdown, r.slowdown_ci95, r.step_us, r.sync0_us, cf, secs);
        if (csv && sat)
            printf("%.0f,%d,%.9g,,%.9g,,%.9g,%s,%.3f,%d,%s,\n", N, T, r.slowdown, r.step_us,
                   r.sync0_us, isfinite(closed) ? cf : "", secs, sat,
                   isfinite(r.vs_no_noise) ? vn : "");
        else if (csv)
            printf("%.0f,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%s,%.3f,%d,%s,%s\n", N, T, r.slowdown,
                   r.slowdown_ci95, r.step_us, r.ci95_us, r.sync0_us, isfinite(closed) ? cf : "",
                   secs, sat, isfinite(r.vs_no_noise) ? vn : "", isfinite(r.vs_no_noise) ? vc : "");
        json_t *row =
            json_pack("{s:f,s:i,s:f,s:o,s:f,s:o,s:f,s:f}", "ranks", N, "threads", T, "slowdown",
                      r.slowdown, "ci95", sat ? json_null() : json_real(r.slowdown_ci95), "step_us",
                      r.step_us, "step_ci95_us", sat ? json_null() : json_real(r.ci95_us),
                      "sync0_us", r.sync0_us, "seconds", secs);
        json_object_set_new(row, "closed_form", isfinite(closed) ? json_real(closed) : json_null());
        json_object_set_new(row, "vs_no_noise",
                            isfinite(r.vs_no_noise) ? json_real(r.vs_no_noise) : json_null());
        json_object_set_new(row, "vs_no_noise_ci95",
                            isfinite(r.vs_no_noise) && !sat ? json_real(r.vs_no_noise_ci95)
                                                            : json_null());
        json_object_set_new(row, "saturated", json_boolean(sat));
        json_array_append_new(rows, row);
        if (sat)
            break;
    }
    if (!rc && text && nz->kind == PLACE_SIMN_TRACE && maxn >= nz->trace_rows)
        printf("# saturated at the longest recorded step: from %d ranks on (the trace's steps) the "
               "ranks draw more steps than it has, so most steps end at its largest; the curve "
               "stops there. A longer trace, or --jitter with its tail, goes further\n",
               nz->trace_rows);
    if (!rc && !strcmp(format, "json")) {
        json_t *o =
            json_pack("{s:s,s:s,s:i,s:s,s:f,s:f,s:i,s:o}", "schema", "place-simulation/1", "source",
                      source, "threads", T, "sync", syncs[so->sync], "latency_us", so->latency,
                      "overhead_us", so->overhead, "steps", so->steps, "rows", rows);
        json_object_set_new(o, "noise_in_collective", json_boolean(nz->in_collective));
        json_object_set_new(o, "loggp_from", so->loggp ? json_string(so->loggp) : json_null());
        put_json(o);
    } else {
        json_decref(rows);
    }
    place_delay_dist_fini(&pd);
    free(col);
    return rc;
}

/* --periodic: the slowdown with each CPU's phase fixed for the run (the timeline walked,
 * place_model_periodic_fixed) beside its limit as N grows (place_model_periodic_slowdowns)
 * and the Poisson model with the same rate and length (random arrivals). */
static int periodic_main(double w, double freq, double len, int group, const double *Ns, int nn,
                         int trials, uint64_t seed, const char *format)
{
    double lim[64];
    place_error e;
    if (!(w > 0))
        return fail("--work 0: every step takes no time, and no slowdown is defined; expected "
                    "--work > 0");
    if (place_model_periodic_slowdowns(w, freq, len, group, Ns, nn, lim, &e) < 0)
        return fail(e.msg);
    place_lengths pl = {.kind = PLACE_LEN_FIXED, .len_us = len};
    place_delay_dist pd;
    int have_po =
        freq * w * 1e-6 <= 500 && place_poisson_delay(&pl, freq * w * 1e-6, &pd, NULL) == 0;
    int text = !strcmp(format, "text"), csv = !strcmp(format, "csv");
    long budget = (long)trials * 1000; /* --trials 20000 (the default): 2e7 step times per N */
    if (text) {
        printf(
            "# periodic noise: %g us every %g us (%g Hz, %.3g%% of a CPU) on %g us of work; %s\n",
            len, 1e6 / freq, freq, 100 * len * freq * 1e-6, w,
            group > 1 ? "phases shared by groups of threads (aligned ticks), groups independent"
                      : "every CPU its own phase");
        if (group > 1)
            printf("# phase group: %d threads\n", group);
        printf("# slowdown = mean barrier step / one thread's pace alone (w / (1 - len / period));"
               " fixed_phases: each CPU's phase fixed for the run, barrier steps walked on the "
               "timeline (8 runs of fresh phases, 95%% interval); limit: phases uniform at every "
               "release (exact as N grows); poisson: the same rate and length as random "
               "arrivals\n");
        printf("%10s %14s %12s %14s %14s\n", "N", "fixed_phases", "ci95", "limit", "poisson");
    } else if (csv) {
        printf("n,fixed_phases,ci95,limit,poisson\n");
    }
    json_t *rows = json_array();
    for (int i = 0; i < nn; i++) {
        double ci = NAN, fx = NAN;
        double g = ceil(Ns[i] / group);
        if (g * 8 * 20 <= 4e8) /* bound the step times walked, as the other models do */
            fx = place_model_periodic_fixed(w, freq, len, group, Ns[i], budget, seed + (uint64_t)i,
                                            &ci);
        double p = have_po ? place_model_poisson_slowdown(&pd, w, Ns[i]) : NAN;
        if (text) {
            if (isfinite(fx))
                printf("%10.0f %14.6f %12.6f %14.6f %14.6f\n", Ns[i], fx, ci, lim[i], p);
            else
                printf("%10.0f %14s %12s %14.6f %14.6f\n", Ns[i], "skipped", "-", lim[i], p);
        } else if (csv) {
            if (isfinite(fx))
                printf("%.0f,%.9g,%.9g,%.9g,%.9g\n", Ns[i], fx, ci, lim[i], p);
            else
                printf("%.0f,,,%.9g,%.9g\n", Ns[i], lim[i], p);
        }
        json_t *r = json_pack("{s:f,s:f}", "n", Ns[i], "limit", lim[i]);
        json_object_set_new(r, "fixed_phases",
                            isfinite(fx) ? json_real(fx) : json_string("skipped"));
        json_object_set_new(r, "ci95", isfinite(ci) ? json_real(ci) : json_string("skipped"));
        json_object_set_new(r, "poisson", isfinite(p) ? json_real(p) : json_string("unavailable"));
        json_array_append_new(rows, r);
    }
    if (have_po)
        place_delay_dist_fini(&pd);
    if (!strcmp(format, "json"))
        put_json(json_pack("{s:s,s:s,s:f,s:f,s:f,s:i,s:o}", "schema", "place-model/1", "model",
                           "periodic", "work_us", w, "freq_hz", freq, "len_us", len, "phase_group",
                           group, "rows", rows));
    else
        json_decref(rows);
    return 0;
}

/* What the command line asks for (parse_options). kind: 'a' --exp, 'b' --detour, 'p'
 * --poisson, 'q' --periodic, 'c' --jitter, 't' --trace. */
typedef struct mopts {
    char kind;
    double mu, p, L, w, maxn, rate, cap;
    int trials, boot, work_given, exp_lengths, phase_group;
    int64_t seed;
    const char *jitter, *format, *trace;
    int simulate, maxn_given, gpd_tail, in_coll;
    simopts so;
} mopts;

/* Parses and checks the command line into *o. Returns -1 to go on, else the exit status (0
 * after --help, 2 after one line on standard error). */
static int parse_options(int argc, char **argv, mopts *o)
{
    static const struct option lo[] = {{"exp", required_argument, 0, 'e'},
                                       {"detour", required_argument, 0, 'd'},
                                       {"poisson", required_argument, 0, 'P'},
                                       {"periodic", required_argument, 0, 'R'},
                                       {"phase-group", required_argument, 0, 'g'},
                                       {"lengths", required_argument, 0, 'L'},
                                       {"jitter", required_argument, 0, 'j'},
                                       {"work", required_argument, 0, 'w'},
                                       {"trials", required_argument, 0, 't'},
                                       {"seed", required_argument, 0, 's'},
                                       {"max-n", required_argument, 0, 'n'},
                                       {"cap-us", required_argument, 0, 'C'},
                                       {"boot", required_argument, 0, 'B'},
                                       {"simulate", no_argument, 0, 'X'},
                                       {"trace", required_argument, 0, 'r'},
                                       {"threads", required_argument, 0, 'T'},
                                       {"sync", required_argument, 0, 'y'},
                                       {"latency-us", required_argument, 0, 'l'},
                                       {"overhead-us", required_argument, 0, 'o'},
                                       {"loggp", required_argument, 0, 'O'},
                                       {"steps", required_argument, 0, 'k'},
                                       {"shared", required_argument, 0, 'F'},
                                       {"max-seconds", required_argument, 0, 'M'},
                                       {"noise-in-collective", no_argument, 0, 'Q'},
                                       {"tail", required_argument, 0, 'G'},
                                       {"format", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    *o =
        (mopts){.w = 100,
                .maxn = 1e6,
                .cap = 10000,
                .trials = 20000,
                .boot = 40,
                .phase_group = 1,
                .seed = 1,
                .format = "text",
                .so = {.threads = 1, .steps = 100, .sync = PLACE_SYNC_BARRIER, .max_seconds = 600}};
    place_error e;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'e':
            o->kind = 'a';
            rc = place_parse_double("--exp", optarg, 1e-9, 1e12, &o->mu, &e);
            break;
        case 'd':
        case 'P': {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *colon = strchr(buf, ':');
            if (!colon)
                return fail(c == 'd' ? "--detour: expected P:LEN_US, e.g. 0.001:500"
                                     : "--poisson: expected RATE_HZ:LEN_US, e.g. 1400:36");
            *colon = '\0';
            if (c == 'd') {
                o->kind = 'b';
                rc = place_parse_double("--detour P", buf, 0, 1, &o->p, &e) ||
                     place_parse_double("--detour LEN_US", colon + 1, 0, 1e12, &o->L, &e);
            } else {
                o->kind = 'p';
                rc = place_parse_double("--poisson RATE_HZ", buf, 0, 1e9, &o->rate, &e) ||
                     place_parse_double("--poisson LEN_US", colon + 1, 0, 1e12, &o->L, &e);
            }
            break;
        }
        case 'R': {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", optarg);
            char *colon = strchr(buf, ':');
            if (!colon)
                return fail("--periodic: expected FREQ_HZ:LEN_US, e.g. 250:20");
            *colon = '\0';
            o->kind = 'q';
            rc = place_parse_double("--periodic FREQ_HZ", buf, 1e-3, 1e6, &o->rate, &e) ||
                 place_parse_double("--periodic LEN_US", colon + 1, 0, 1e9, &o->L, &e);
            if (!rc && !(o->L < 1e6 / o->rate))
                return fail("--periodic: the length is as long as the period or longer (the CPU "
                            "would never work); expected LEN_US below 1e6 / FREQ_HZ");
            break;
        }
        case 'g':
            rc = place_parse_int("--phase-group", optarg, 1, 1 << 30, &o->phase_group, &e);
            break;
        case 'L':
            if (strcmp(optarg, "fixed") && strcmp(optarg, "exp"))
                return fail("--lengths: expected fixed or exp");
            o->exp_lengths = !strcmp(optarg, "exp");
            break;
        case 'j':
            o->kind = 'c';
            o->jitter = optarg;
            break;
        case 'w':
            rc = place_parse_double("--work", optarg, 0, 1e12, &o->w, &e);
            o->work_given = 1;
            break;
        case 't': rc = place_parse_int("--trials", optarg, 10, 100000000, &o->trials, &e); break;
        case 's': rc = place_parse_i64("--seed", optarg, 0, INT64_MAX, &o->seed, &e); break;
        case 'n':
            rc = place_parse_double("--max-n", optarg, 1, 1e9, &o->maxn, &e);
            o->maxn_given = 1;
            break;
        case 'X': o->simulate = 1; break;
        case 'r':
            o->kind = 't';
            o->trace = optarg;
            break;
        case 'T':
            rc = place_parse_int("--threads", optarg, 1, 4096, &o->so.threads, &e);
            o->so.threads_given = 1;
            break;
        case 'l':
            rc = place_parse_double("--latency-us", optarg, 0, 1e9, &o->so.latency, &e);
            o->so.lo_given = 1;
            break;
        case 'o':
            rc = place_parse_double("--overhead-us", optarg, 0, 1e9, &o->so.overhead, &e);
            o->so.lo_given = 1;
            break;
        case 'O': o->so.loggp = optarg; break;
        case 'k': rc = place_parse_int("--steps", optarg, 10, 100000000, &o->so.steps, &e); break;
        case 'M':
            rc = place_parse_double("--max-seconds", optarg, 1, 1e7, &o->so.max_seconds, &e);
            break;
        case 'F': rc = place_parse_double("--shared", optarg, 0, 1, &o->so.shared, &e); break;
        case 'G':
            if (strcmp(optarg, "measured") && strcmp(optarg, "gpd"))
                return fail("--tail: expected measured or gpd");
            o->gpd_tail = !strcmp(optarg, "gpd");
            break;
        case 'y': {
            static const char *names[] = {"barrier", "allreduce", "halo", "none"};
            int k = 0;
            while (k < 4 && strcmp(optarg, names[k]))
                k++;
            if (k == 4)
                return fail("--sync: expected barrier, allreduce, halo or none");
            o->so.sync = (place_sync)k;
            break;
        }
        case 'C': rc = place_parse_double("--cap-us", optarg, 1, 1e9, &o->cap, &e); break;
        case 'Q': o->in_coll = 1; break;
        case 'B': rc = place_parse_int("--boot", optarg, 0, 10000, &o->boot, &e); break;
        case 'f':
            if (strcmp(optarg, "text") && strcmp(optarg, "json") && strcmp(optarg, "csv"))
                return fail("--format: expected text, json or csv");
            o->format = optarg;
            break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "placemodel: %s needs a value; see placemodel --help\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "placemodel: '%s': unknown option; see placemodel --help\n",
                    argv[optind - 1]);
            return 2;
        }
        if (rc)
            return fail(e.msg);
    }
    if (!o->kind)
        return fail("no noise given; expected --exp MEAN_US, --detour P:LEN_US, --poisson "
                    "RATE_HZ:LEN_US, --periodic FREQ_HZ:LEN_US or --jitter FILE");
    if (optind < argc)
        return fail("unexpected argument; see placemodel --help");
    if (o->kind == 't' && !o->simulate)
        return fail("--trace replays recorded steps in a simulation; expected --simulate with it");
    if (o->so.loggp && o->so.lo_given)
        return fail("--loggp gives the latency and the overhead (measured); drop --latency-us "
                    "and --overhead-us, or --loggp");
    if (o->so.loggp && !o->simulate)
        return fail("--loggp: the measured message costs go into a simulation; expected "
                    "--simulate with it");
    if (o->so.loggp) {
        char msg[400];
        if (load_loggp(o->so.loggp, &o->so.latency, &o->so.overhead, msg, sizeof msg) < 0)
            return fail(msg);
    }
    if (o->in_coll && !(o->simulate && (o->kind == 'p' || o->kind == 'c' || o->kind == 'q')))
        return fail("--noise-in-collective needs a detour stream in a simulation; expected "
                    "--simulate with --poisson, --jitter or --periodic");
    return -1;
}

/* --simulate --periodic: a CPU's timer, which hits whatever the CPU does (the work and the
 * collective's messages), phases fixed for the run. */
static void periodic_source(const mopts *o, place_sim_noise *nz, char *src, size_t n)
{
    nz->kind = PLACE_SIMN_PERIODIC;
    nz->rate_hz = o->rate;
    nz->tick_len_us = o->L;
    nz->phase_group = o->phase_group;
    nz->in_collective = 1;
    snprintf(src, n,
             "periodic noise, %g us every %g us on every CPU (phases fixed for the run, %s), in "
             "the work and in the collective, on %g us of work",
             o->L, 1e6 / o->rate,
             o->phase_group > 1 ? "shared by groups of --phase-group CPUs" : "each CPU its own",
             o->w);
}

/* --simulate: the noise source (exponential, Poisson, a jitter file's detours or a step
 * trace) handed to the simulator. */
static int simulate_mode(mopts *o)
{
    place_error e;
    if (o->kind == 'b')
        return fail(
            "--simulate takes --exp, --poisson, --jitter, --periodic or --trace; --detour is the "
            "hit-probability model, a chance and not a noise source");
    if (!o->maxn_given)
        o->maxn = 1048576;
    if (o->maxn > 16777216)
        return fail("--max-n: at most 16777216 ranks in a simulation");
    place_sim_noise nz = {.w_us = o->w, .in_collective = o->in_coll};
    char src[512], err[400];
    double *tr = NULL, *dets = NULL;
    place_detour_pool dpool = {0};
    if (o->kind == 'q') {
        periodic_source(o, &nz, src, sizeof src);
    } else if (o->kind == 'a') {
        nz.kind = PLACE_SIMN_EXP;
        nz.mu_us = o->mu;
        snprintf(src, sizeof src, "exponential delays of mean %g us on %g us of work", o->mu, o->w);
    } else if (o->kind == 'p') {
        nz.kind = PLACE_SIMN_POISSON;
        nz.rate_hz = o->rate;
        nz.shared = o->so.shared;
        nz.len = (place_lengths){.kind = o->exp_lengths ? PLACE_LEN_EXP : PLACE_LEN_FIXED,
                                 .len_us = o->L};
        snprintf(src, sizeof src,
                 "Poisson detours, %g per second of %s %g us, %g shared by a rank's "
                 "threads, on %g us of work",
                 o->rate, o->exp_lengths ? "exponential" : "fixed", o->L, o->so.shared, o->w);
    } else if (o->kind == 'c') {
        double q;
        if (load_detours(o->jitter, &dpool, &nz.rate_hz, &q, err, sizeof err) < 0)
            return fail(err);
        if (dpool.nbody < 1) {
            place_detour_pool_fini(&dpool);
            return fail("--jitter: the probe saw no detours; nothing to simulate");
        }
        if (!o->work_given)
            nz.w_us = q;
        nz.kind = PLACE_SIMN_POISSON;
        nz.len = (place_lengths){.kind = PLACE_LEN_EMPIRICAL, .x = dpool.body, .m = dpool.nbody};
        nz.shared = jitter_shared(o->jitter);
        char tailtxt[200] = "";
        if (o->gpd_tail) { /* the measured lengths with a fitted tail, capped */
            place_gpd_fit f;
            int nx;
            if (place_gpd_fit_samples(dpool.top, dpool.ntop, dpool.u, 0, 1, &f, &e) < 0) {
                place_detour_pool_fini(&dpool);
                return fail(e.msg);
            }
            if (!(o->cap > f.max_sample)) {
                place_detour_pool_fini(&dpool);
                return fail(
                    "--cap-us is below the longest measured detour; expected a cap above it");
            }
            if (!(dets = tail_lengths(&dpool, &nx))) {
                place_detour_pool_fini(&dpool);
                return fail("out of memory for the detour lengths");
            }
            nz.len = (place_lengths){.kind = PLACE_LEN_GPD_TAIL,
                                     .x = dets,
                                     .m = nx,
                                     .u = f.u,
                                     .xi = f.xi,
                                     .sigma = f.sigma,
                                     .cap_us = o->cap,
                                     .tail_frac = (double)f.n / (double)dpool.count};
            snprintf(tailtxt, sizeof tailtxt,
                     ", a GPD tail above %.1f us (xi %.3f) capped at %g us", f.u, f.xi, o->cap);
        }
        snprintf(src, sizeof src,
                 "%s: Poisson detours at %.1f per second, %lld measured lengths "
                 "(%s)%s, %.2f of them shared by a rank's threads (the chance-corrected "
                 "coincidence), on %g us of work",
                 o->jitter, nz.rate_hz, (long long)dpool.count,
                 dpool.exact ? "all kept"
                             : "a uniform sample and every one above the tail "
                               "threshold kept",
                 tailtxt, nz.shared, nz.w_us);
    } else {
        int rows, cols;
        tr = load_trace(o->trace, &rows, &cols, err, sizeof err);
        if (!tr)
            return fail(err);
        nz.kind = PLACE_SIMN_TRACE;
        nz.trace = tr;
        nz.trace_rows = rows;
        nz.trace_cols = cols;
        if (!o->so.threads_given)
            o->so.threads = cols;
        if (o->so.threads >= cols)
            snprintf(src, sizeof src, "%s: %d recorded steps of %d threads, replayed whole",
                     o->trace, rows, cols);
        else /* a rank of fewer threads replays the row's first ones */
            snprintf(src, sizeof src,
                     "%s: %d recorded steps of %d threads, each rank "
                     "replaying the first %d of a row",
                     o->trace, rows, cols, o->so.threads);
    }
    if (nz.kind == PLACE_SIMN_POISSON && nz.rate_hz * nz.w_us * 1e-6 > 500) {
        free(dets);
        place_detour_pool_fini(&dpool);
        return fail("--poisson: more than 500 detours per step (RATE_HZ x --work); expected fewer");
    }
    int rc2 = simulate_main(&nz, &o->so, o->maxn, (uint64_t)o->seed, o->format, src);
    free(tr);
    free(dets);
    place_detour_pool_fini(&dpool);
    return rc2;
}

/* The table's inputs and results, shared by its parts (table_mode). */
typedef struct tctx {
    mopts *o;
    double *x, *det, jrate, quantum, biggest; /* x: a jitter file's quantum times (m) */
    int m, ndet, cap_low, nn;
    place_detour_pool pool;
    double Ns[64]; /* the N values (nn) */
    place_delay_dist pd;
    double *pg, *plo, *phi, *blo, *bhi; /* the tail column and its bands */
    place_gpd_fit fit;
    char gpd_why[400];
    int have_poisson, have_gpd;
    place_lengths plen;
    json_t *rows, *capt;
    int text, csv;
} tctx;

/* The Poisson model (given detours, or a jitter file's) and its fitted tail with the bands.
 * Returns -1 to go on, else the exit status. */
static int fit_models(tctx *t)
{
    mopts *o = t->o;
    /* the Poisson model with measured detours (jitter) or given ones */
    place_error e;
    t->plen =
        (place_lengths){.kind = o->exp_lengths ? PLACE_LEN_EXP : PLACE_LEN_FIXED, .len_us = o->L};
    if (o->kind == 'p') {
        if (place_poisson_delay(&t->plen, o->rate * o->w * 1e-6, &t->pd, &e) < 0)
            return fail(e.msg);
        t->have_poisson = 1;
    } else if (o->kind == 'c' && t->ndet > 0) {
        t->plen = (place_lengths){.kind = PLACE_LEN_EMPIRICAL, .x = t->det, .m = t->ndet};
        o->rate = t->jrate;
        if (o->rate * o->w * 1e-6 <= 500 &&
            place_poisson_delay(&t->plen, o->rate * o->w * 1e-6, &t->pd, &e) == 0)
            t->have_poisson = 1;
        t->pg = malloc(sizeof(double) * 64 * 5);
        t->plo = t->pg + 64, t->phi = t->pg + 128, t->blo = t->pg + 192, t->bhi = t->pg + 256;
        if (t->have_poisson && !t->cap_low &&
            poisson_gpd_why(&t->pool, o->rate, o->w, o->cap, t->Ns, t->nn, NAN, t->pg, &t->fit,
                            t->gpd_why, sizeof t->gpd_why) == 0) {
            t->have_gpd = 1;
            /* the band: the slowdowns at xi's interval ends; an end the model cannot take
             * leaves that side unavailable, never the memory it would have filled */
            if (poisson_gpd(&t->pool, o->rate, o->w, o->cap, t->Ns, t->nn, fmax(t->fit.xi_lo, -0.9),
                            t->plo, NULL) < 0)
                for (int i = 0; i < t->nn; i++)
                    t->plo[i] = NAN;
            if (poisson_gpd(&t->pool, o->rate, o->w, o->cap, t->Ns, t->nn, t->fit.xi_hi, t->phi,
                            NULL) < 0)
                for (int i = 0; i < t->nn; i++)
                    t->phi[i] = NAN;
            for (int i = 0; i < t->nn; i++) {
                if (t->plo[i] > t->phi[i]) {
                    double lo = t->plo[i];
                    t->plo[i] = t->phi[i], t->phi[i] = lo;
                }
                t->blo[i] = t->bhi[i] = NAN;
            }
            if (o->boot > 0) { /* resample the exceedances, refit, recompute */
                double *rs = malloc(sizeof(double) * (size_t)(t->pool.ntop + 1));
                double *bv = malloc(sizeof(double) * (size_t)o->boot * 64);
                uint64_t st = (uint64_t)o->seed * 2654435761u + 17;
                int ok = 0;
                place_detour_pool bp = t->pool;
                bp.top = rs;
                for (int b = 0; rs && bv && b < o->boot; b++) {
                    for (int i = 0; i < t->pool.ntop; i++) {
                        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                        rs[i] = t->pool.top[(st >> 33) % (uint64_t)t->pool.ntop];
                    }
                    qsort(rs, (size_t)t->pool.ntop, sizeof *rs, cmpd);
                    if (poisson_gpd(&bp, o->rate, o->w, o->cap, t->Ns, t->nn, NAN,
                                    bv + (size_t)ok * 64, NULL) == 0)
                        ok++;
                }
                for (int i = 0; i < t->nn && ok >= 10; i++) {
                    double col[10000];
                    for (int b = 0; b < ok; b++)
                        col[b] = bv[(size_t)b * 64 + i];
                    qsort(col, (size_t)ok, sizeof *col, cmpd);
                    t->blo[i] = col[(int)(0.025 * (ok - 1))];
                    t->bhi[i] = col[(int)ceil(0.975 * (ok - 1))];
                }
                free(rs);
                free(bv);
            }
        }
    }
    return -1;
}

/* The table's header: what the models were given, the tail fit, the columns. */
static void print_header(tctx *t)
{
    const mopts *o = t->o;
    t->rows = json_array();
    t->text = !strcmp(o->format, "text");
    t->csv = !strcmp(o->format, "csv");
    if (t->text) {
        if (o->kind == 'a')
            printf("# (a) exponential delays, mean %g us, work %g us per step\n", o->mu, o->w);
        else if (o->kind == 'b')
            printf(
                "# (b) hit probability: at most one detour of %g us per step with probability %g, "
                "work %g us per step\n",
                o->L, o->p, o->w);
        else if (o->kind == 'p')
            printf(
                "# Poisson detours: %g per second, %s lengths of %g us, work %g us per step (%.4g "
                "detours per step)\n",
                o->rate, o->exp_lengths ? "exponential" : "fixed", o->L, o->w,
                o->rate * o->w * 1e-6);
        else {
            printf("# (c) empirical: %d quantum times from %s\n", t->m, o->jitter);
            if (t->have_poisson)
                printf(
                    "# Poisson: %lld measured detours (%s; largest %.1f us), %.1f per second, "
                    "work %g us per step\n",
                    (long long)t->pool.count,
                    t->pool.exact
                        ? "all kept"
                        : "lengths: a uniform sample of them and every one above the tail threshold",
                    t->biggest, o->rate, o->w);
            if (t->have_gpd && t->fit.xi < 0 && t->fit.u + t->fit.sigma / -t->fit.xi < o->cap)
                printf(
                    "# tail: GPD above %.1f us (%d detours), xi %.3f [%.3f, %.3f]: a bounded tail "
                    "that ends at %.1f us, below --cap-us %g (the cap does not bind); band: xi "
                    "at its 95%% ends, and %d bootstrap resamples of the exceedances (95%%)\n",
                    t->fit.u, t->fit.n, t->fit.xi, t->fit.xi_lo, t->fit.xi_hi,
                    t->fit.u + t->fit.sigma / -t->fit.xi, o->cap, o->boot);
            else if (t->have_gpd)
                printf(
                    "# tail: GPD above %.1f us (%d detours), xi %.3f [%.3f, %.3f], capped at %g us "
                    "(--cap-us: an assumption, the longest detour thought possible); band: xi at "
                    "its 95%% ends, and %d bootstrap resamples of the exceedances (95%%)\n",
                    t->fit.u, t->fit.n, t->fit.xi, t->fit.xi_lo, t->fit.xi_hi, o->cap, o->boot);
            char chk[600];
            if (t->have_gpd) {
                place_gpd_checks_text(&t->fit, chk, sizeof chk);
                printf("# tail checks: %s\n", chk);
            } else if (t->cap_low)
                printf(
                    "# tail: no fit: --cap-us %g is below the longest detour measured (%.1f us); "
                    "give a cap above it for the tail column\n",
                    o->cap, t->biggest);
            else if (t->ndet && t->gpd_why[0])
                printf("# tail: no fit: %s\n", t->gpd_why);
            else if (t->ndet)
                printf("# tail: no fit (fewer than 30 detours above the 90%% quantile)\n");
        }
        printf("# slowdown = E[slowest of N] / E[one thread]; Monte Carlo 95%% interval\n");
        if (o->kind == 'c')
            printf("%10s %10s %10s %9s %10s %10s %10s %10s %10s %10s %s\n", "N", "c_closed", "c_mc",
                   "c_ci95", "poisson", "pois_gpd", "param_lo", "param_hi", "boot_lo", "boot_hi",
                   "beyond");
        else if (o->kind == 'p')
            printf("%10s %14s %14s %12s %8s %14s\n", "N", "closed_form", "monte_carlo", "ci95",
                   "trials", "b_hit_prob");
        else
            printf("%10s %14s %14s %12s\n", "N", "closed_form", "monte_carlo", "ci95");
    } else if (t->csv) {
        if (o->kind == 'c')
            printf("n,closed_form,monte_carlo,ci95,poisson,poisson_gpd,param_lo,param_hi,boot_lo,"
                   "boot_hi,beyond_sample\n");
        else if (o->kind == 'p')
            printf("n,closed_form,monte_carlo,ci95,trials,b_hit_probability\n");
        else
            printf("n,closed_form,monte_carlo,ci95\n");
    }
}

/* One row per N: the closed form, the Monte Carlo estimate and the model's columns; 1 (said)
 * if a value is not a finite slowdown of at least 1. */
static int print_rows(tctx *t)
{
    const mopts *o = t->o;
    double *scratch = t->x ? malloc(sizeof(double) * (size_t)t->m) : NULL;
    int rc = 0;
    for (int i = 0; i < t->nn; i++) {
        double N = t->Ns[i], closed, ci, mc;
        int tr = o->trials;
        if (o->kind == 'a')
            closed = place_model_exp_slowdown(o->w, o->mu, N);
        else if (o->kind == 'b')
            closed = place_model_detour_slowdown(o->w, o->p, o->L, N);
        else if (o->kind == 'p')
            closed = place_model_poisson_slowdown(&t->pd, o->w, N);
        else {
            memcpy(scratch, t->x, sizeof(double) * (size_t)t->m);
            closed = place_model_empirical_slowdown(scratch, t->m, N);
        }
        if (o->kind == 'p') { /* bound the numbers drawn: threads (or arrivals) x trials */
            double per =
                N <= 4096 ? N * (1 + o->rate * o->w * 1e-6) : N * o->rate * o->w * 1e-6 + 1;
            if (per * tr > 4e7)
                tr = (int)fmax(10, 4e7 / per);
            if (per * tr > 4e8) { /* not even 10 steps in 4e8 draws: no estimate, said */
                tr = 0;
                mc = ci = NAN;
            } else {
                mc = place_model_poisson_monte_carlo(&t->plen, o->rate, o->w, N, tr,
                                                     (uint64_t)o->seed + (uint64_t)i, &ci);
            }
        } else {
            mc = place_model_monte_carlo(o->kind, o->w, o->kind == 'a' ? o->mu : o->p, o->L, t->x,
                                         t->m, N, o->trials, (uint64_t)o->seed + (uint64_t)i, &ci);
        }
        /* a closed form is finite and at least 1 (to rounding), an estimate finite: anything
         * else is a bug, said and not printed. (An estimate may fall below 1: with few
         * trials of rare detours every drawn step can be detour-free, and its interval 0.) */
        if (!isfinite(closed) ||
            ((!isfinite(mc) || !isfinite(ci)) && !(o->kind == 'p' && tr == 0)) ||
            closed < 1 - 1e-9) {
            fprintf(stderr,
                    "placemodel: N = %.0f gave closed form %g, Monte Carlo %g +- %g; "
                    "expected finite slowdowns of at least 1\n",
                    N, closed, mc, ci);
            rc = 1;
            break;
        }
        json_t *row = json_pack("{s:f,s:f}", "n", N, "closed_form", closed);
        json_object_set_new(row, "monte_carlo",
                            isfinite(mc) ? json_real(mc) : json_string("skipped"));
        json_object_set_new(row, "ci95", isfinite(ci) ? json_real(ci) : json_string("skipped"));
        if (o->kind == 'p') {
            double bh = place_model_detour_slowdown(o->w, -expm1(-o->rate * o->w * 1e-6), o->L, N);
            if (t->text && tr)
                printf("%10.0f %14.6f %14.6f %12.6f %8d %14.6f\n", N, closed, mc, ci, tr, bh);
            else if (t->text) /* too many draws for a Monte Carlo: the closed form alone */
                printf("%10.0f %14.6f %14s %12s %8s %14.6f\n", N, closed, "skipped", "-", "0", bh);
            else if (t->csv && tr)
                printf("%.0f,%.9g,%.9g,%.9g,%d,%.9g\n", N, closed, mc, ci, tr, bh);
            else if (t->csv)
                printf("%.0f,%.9g,,,0,%.9g\n", N, closed, bh);
            json_object_set_new(row, "trials", json_integer(tr));
            json_object_set_new(row, "b_hit_probability", json_real(bh));
        } else if (o->kind == 'c') {
            double po = t->have_poisson ? place_model_poisson_slowdown(&t->pd, o->w, N) : NAN;
            /* beyond: the expected slowest delay passes the longest detour measured */
            int beyond = t->have_poisson && (po - 1) * (o->w + t->pd.mean_us) > t->biggest;
            double g = t->have_gpd ? t->pg[i] : NAN, a1 = t->have_gpd ? t->plo[i] : NAN,
                   a2 = t->have_gpd ? t->phi[i] : NAN;
            double b1 = t->have_gpd ? t->blo[i] : NAN, b2 = t->have_gpd ? t->bhi[i] : NAN;
            if (t->text)
                printf("%10.0f %10.4f %10.4f %9.4f %10.4f %10.4f %10.4f %10.4f %10.4f %10.4f %s\n",
                       N, closed, mc, ci, po, g, a1, a2, b1, b2, beyond ? "yes" : "no");
            else if (t->csv)
                printf("%.0f,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d\n", N, closed, mc, ci,
                       po, g, a1, a2, b1, b2, beyond);
            const char *k[] = {"poisson",  "poisson_gpd", "param_lo",
                               "param_hi", "boot_lo",     "boot_hi"};
            double v[] = {po, g, a1, a2, b1, b2};
            for (int q = 0; q < 6; q++)
                json_object_set_new(row, k[q],
                                    isfinite(v[q]) ? json_real(v[q]) : json_string("unavailable"));
            json_object_set_new(row, "beyond_sample", json_boolean(beyond));
        } else if (t->text) {
            printf("%10.0f %14.6f %14.6f %12.6f\n", N, closed, mc, ci);
        } else if (t->csv) {
            printf("%.0f,%.9g,%.9g,%.9g\n", N, closed, mc, ci);
        }
        json_array_append_new(t->rows, row);
    }
    if (!rc && t->text && o->kind == 'c' && t->have_poisson)
        printf(
            "# beyond = yes: the expected slowest delay is longer than any detour measured; the "
            "measured-length column cannot go there, the GPD column extrapolates (with its band)\n");
    free(scratch);
    return rc;
}

/* Beyond the measured detours the tail column is set by the cap, an assumption: the
     * largest N's value over caps from twice the longest detour to 100 ms (and --cap-us). The
     * bands above hold xi's and the sample's uncertainty at one cap, not the cap's. */
static void cap_sensitivity(tctx *t)
{
    const mopts *o = t->o;
    if (t->have_gpd && t->nn > 0) {
        double caps[6] = {2 * t->biggest, 1e4, 3e4, 1e5, o->cap, 0};
        int nc = 5;
        qsort(caps, (size_t)nc, sizeof caps[0], cmpd);
        t->capt = json_array();
        double vals[6], one[64];
        int kept = 0;
        for (int c = 0; c < nc; c++) {
            if ((c > 0 && caps[c] == caps[c - 1]) || caps[c] <= t->biggest)
                continue;
            if (poisson_gpd(&t->pool, o->rate, o->w, caps[c], &t->Ns[t->nn - 1], 1, NAN, one,
                            NULL) < 0)
                continue;
            caps[kept] = caps[c];
            vals[kept++] = one[0];
            json_array_append_new(
                t->capt, json_pack("{s:f,s:f}", "cap_us", caps[kept - 1], "slowdown", one[0]));
        }
        if (t->text && kept) {
            printf(
                "# N = %.0f, the tail column over caps (it is set by the cap, an assumption; the "
                "bands above are at --cap-us %g only):",
                t->Ns[t->nn - 1], o->cap);
            for (int c = 0; c < kept; c++)
                printf(" %g us %.4f%s", caps[c], vals[c], c + 1 < kept ? "," : "\n");
        }
    }
}

/* Models (a), (b), (c), Poisson and periodic: a table over N, closed forms beside Monte Carlo. */
static int table_mode(mopts *o)
{
    tctx tc = {.o = o}, *t = &tc;
    if ((o->kind == 'b' && !(o->w + o->p * o->L > 0)) || (o->kind == 'p' && !(o->w > 0)))
        return fail("--work 0 with detours of mean 0: every step takes no time, and no slowdown "
                    "is defined; expected --work > 0 or detours of positive mean");
    if (o->kind == 'p' && o->rate * o->w * 1e-6 > 500)
        return fail("--poisson: more than 500 detours per step (RATE_HZ x --work); expected fewer");
    if (o->kind == 'c') {
        char err[400];
        t->x = load_jitter(o->jitter, &t->m, err, sizeof err);
        if (!t->x)
            return fail(err);
        if (load_detours(o->jitter, &t->pool, &t->jrate, &t->quantum, err, sizeof err) < 0) {
            free(t->x);
            return fail(err);
        }
        if (!o->work_given)
            o->w = t->quantum;
        t->det = t->pool.body; /* the measured-length model draws from the uniform sample */
        t->ndet = t->pool.nbody;
    }
    t->biggest = pool_max(&t->pool);
    /* a cap below the longest detour measured cannot bound the tail: no tail column, said */
    t->cap_low = o->kind == 'c' && t->ndet && t->biggest >= o->cap;
    /* the N values: 1, 2, 4, ... and exactly 1,000,000 */
    for (double N = 1; t->nn < 64; N = N < 1e6 ? N * 2 : N * 10) {
        if (N > o->maxn)
            N = o->maxn;
        if (N < 1e6 && N * 2 > 1e6 && o->maxn >= 1e6 && N != 1e6) {
            t->Ns[t->nn++] = N;
            N = 1e6 / 2;
            continue;
        }
        t->Ns[t->nn++] = N;
        if (N >= o->maxn)
            break;
    }
    if (o->kind == 'q')
        return periodic_main(o->w, o->rate, o->L, o->phase_group, t->Ns, t->nn, o->trials,
                             (uint64_t)o->seed, o->format);
    int rc = fit_models(t);
    if (rc >= 0)
        return rc;
    print_header(t);
    rc = print_rows(t);
    if (!rc)
        cap_sensitivity(t);
    if (!rc && !strcmp(o->format, "json")) {
        json_t *rep =
            json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:i,s:o}", "schema", "place-model/1", "model",
                      o->kind == 'a'   ? "exponential"
                      : o->kind == 'b' ? "hit-probability"
                      : o->kind == 'p' ? "poisson"
                                       : "empirical",
                      "work_us", o->w, "mean_us", o->mu, "p", o->p, "len_us", o->L, "trials",
                      o->trials, "rows", t->rows);
        if (o->kind == 'p' || t->have_poisson)
            json_object_set_new(rep, "rate_hz", json_real(o->rate));
        if (t->capt)
            json_object_set_new(rep, "cap_sensitivity", t->capt), t->capt = NULL;
        if (t->have_gpd)
            json_object_set_new(
                rep, "tail",
                json_pack(
                    "{s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:o,s:i}", "threshold_us", t->fit.u,
                    "exceedances", t->fit.n, "xi", t->fit.xi, "xi_lo95", t->fit.xi_lo, "xi_hi95",
                    t->fit.xi_hi, "sigma_us", t->fit.sigma, "cap_us", o->cap, "ends_at_us",
                    t->fit.xi < 0 ? json_real(t->fit.u + t->fit.sigma / -t->fit.xi) : json_null(),
                    "boot", o->boot));
        if (t->have_gpd) {
            json_t *tl = json_object_get(rep, "tail"), *st = json_array();
            for (int i = 0; i < t->fit.nstab; i++)
                json_array_append_new(
                    st, json_pack("{s:f,s:i,s:f,s:f,s:f}", "threshold_us", t->fit.stab_u[i],
                                  "exceedances", t->fit.stab_n[i], "xi", t->fit.stab_xi[i],
                                  "xi_lo95", t->fit.stab_lo[i], "xi_hi95", t->fit.stab_hi[i]));
            json_object_set_new(tl, "stability", st);
            json_object_set_new(tl, "threshold_stable", json_boolean(t->fit.stable));
            json_object_set_new(tl, "xi_second_mode",
                                isnan(t->fit.xi_alt) ? json_null() : json_real(t->fit.xi_alt));
        }
        put_json(rep);
    } else {
        json_decref(t->rows);
    }
    json_decref(t->capt);
    place_delay_dist_fini(&t->pd);
    free(t->pg);
    free(t->x);
    place_detour_pool_fini(&t->pool);
    return rc;
}

int main(int argc, char **argv)
{
    mopts o;
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;
    return o.simulate ? simulate_mode(&o) : table_mode(&o);
}
