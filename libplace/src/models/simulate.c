/* simulate.c: a trace-driven simulation of bulk-synchronous steps at scale, in the spirit
 * of LogGOPSim: every rank is a node of T threads; each step every rank computes for the
 * slowest of its threads' times (drawn from a model or replayed from a recorded trace),
 * then the ranks synchronise through a modelled collective whose messages cost a
 * LogP-style overhead o at each end and a latency L in flight:
 *   barrier    dissemination: ceil(log2 N) rounds; in round k rank i hears from
 *              i - 2^k (mod N): t_i <- max(t_i + o, t_{i-2^k} + o + L) + o
 *   allreduce  binomial tree: a reduction to rank 0 then a broadcast back, a message
 *              from child to parent (and back) per tree edge, each round as above
 *   halo       each rank exchanges with its 6 neighbours on a 3D torus of N ranks (no
 *              global synchronisation: delays spread one neighbour per step): its sends
 *              (one o), then t_i <- max(t_i + o, t_j + o + L over the neighbours) + o
 *   none       no synchronisation (the mean thread time)
 * Noise is independent across ranks; inside a rank the threads' times are correlated as
 * recorded (a trace's rows are barrier-aligned steps of one node, replayed whole) or as
 * modelled (Poisson detours, a fraction `shared` of which hits every thread of the node at
 * once, each thread's detour of its own length: the probe measures the lengths of
 * coinciding detours as nearly uncorrelated, 0.03 here, not as one common length).
 *
 * Noise in the collective (in_collective, Poisson detours): the rank's thread that handles
 * messages keeps detouring while it does. Each o is CPU work on that rank: a detour that
 * arrives before the work starts holds the CPU until it ends (one arriving while the rank
 * waits for a message costs only what outlasts the wait), one that arrives during the work
 * stretches it, and so does one arriving in that stretch. A late send delays its receiver,
 * and through it every rank the message is forwarded to, as in LogGOPSim (Hoefler et al.,
 * SC10). Each collective starts the rank's arrivals afresh (Poisson: memoryless).
 *
 * Periodic noise (timer ticks, Ferreira et al. SC08; Hoefler et al. SC10): every CPU has a
 * tick of LEN every period at a phase fixed for the whole run (its own, or its group's); a
 * thread's work from time t ends where its CPU's ticks let it (place_periodic_step), and
 * with the noise in the collective the rank's first CPU handles the messages through the
 * same ticks: a tick running when the work starts is waited out, one during it stretches it.
 *
 * The mean step time comes from batch means (10 batches of the steps) with a Student-t
 * 95% interval. vs_no_noise divides it by the step without any noise (the work plus the
 * collective's cost without noise, one step with equal times): noise everywhere against
 * none. slowdown divides it by one thread's mean time (its noise included) plus that
 * collective cost: what the noise costs beyond each thread's own mean, a decomposition.
 * The allreduce charges LogP's costs: per message o at the sender, L, o at the receiver.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/models.h"

static double exp_draw(place_rng *r, double mean)
{
    return -mean * log(place_rng_uniform(r));
}

/* Compound Poisson delay over w us at rate R (Hz), lengths from L. */
static double poisson_draw(place_rng *r, double rate, double w, const place_lengths *L)
{
    if (rate <= 0)
        return 0;
    double d = 0, at = exp_draw(r, 1e6 / rate);
    while (at < w) {
        d += place_lengths_quantile(L, place_rng_uniform(r));
        at += exp_draw(r, 1e6 / rate);
    }
    return d;
}

static double rank_time(const place_sim_noise *nz, int T, const double *rowmax, place_rng *r)
{
    switch (nz->kind) {
    case PLACE_SIMN_EXP: {
        double mx = 0;
        for (int t = 0; t < T; t++) {
            double v = exp_draw(r, nz->mu_us);
            mx = v > mx ? v : mx;
        }
        return nz->w_us + mx;
    }
    case PLACE_SIMN_POISSON: {
        double mx = 0, own = nz->rate_hz * (1 - nz->shared);
        /* the shared arrivals of this step: the same count on every thread */
        int k = 0;
        if (nz->shared > 0)
            for (double at = exp_draw(r, 1e6 / (nz->rate_hz * nz->shared)); at < nz->w_us;
                 at += exp_draw(r, 1e6 / (nz->rate_hz * nz->shared)))
                k++;
        for (int t = 0; t < T; t++) {
            double v = poisson_draw(r, own, nz->w_us, &nz->len);
            for (int j = 0; j < k; j++)
                v += place_lengths_quantile(&nz->len, place_rng_uniform(r));
            mx = v > mx ? v : mx;
        }
        return nz->w_us + mx;
    }
    default: { /* a recorded step of the node, whole */
        int row = (int)(place_rng_uniform(r) * nz->trace_rows);
        return rowmax[row < nz->trace_rows ? row : nz->trace_rows - 1];
    }
    }
}

/* The CPUs of the ranks during a collective with noise in it (NULL: none). */
typedef struct comm_noise {
    const place_sim_noise *nz;
    place_rng *r;
    double *busy;        /* the rank's CPU is taken until then */
    double *next;        /* its next detour's arrival */
    const double *phase; /* PERIODIC: each phase group's phase */
    int T;               /* threads per rank */
    long group;          /* CPUs per phase group (0: one for all) */
} comm_noise;

/* PERIODIC: the end of d us of work that CPU c starts at time t, through its ticks. */
static double tick_work(const comm_noise *c, long cpu_i, double t, double d)
{
    double P = 1e6 / c->nz->rate_hz;
    double ph = c->phase[c->group ? cpu_i / c->group : 0];
    double phi = fmod(ph - fmod(t, P) + 2 * P, P); /* to its next tick */
    return t + place_periodic_step(d, P, c->nz->tick_len_us, phi);
}

/* Rank i does d us of message handling from time t: when the work ends. */
static double cpu(comm_noise *c, long i, double t, double d)
{
    if (!c)
        return t + d;
    const place_sim_noise *nz = c->nz;
    if (nz->kind == PLACE_SIMN_PERIODIC) {
        double start = t > c->busy[i] ? t : c->busy[i];
        return c->busy[i] = tick_work(c, i * c->T, start, d);
    }
    double start = t > c->busy[i] ? t : c->busy[i];
    while (c->next[i] <= start) { /* arrived first: takes the CPU from its arrival, or after
                                      the detour before it */
        double b = c->next[i] > c->busy[i] ? c->next[i] : c->busy[i];
        c->busy[i] = b + place_lengths_quantile(&nz->len, place_rng_uniform(c->r));
        c->next[i] += exp_draw(c->r, 1e6 / nz->rate_hz);
        start = c->busy[i] > start ? c->busy[i] : start;
    }
    double end = start + d;
    while (c->next[i] < end) { /* arrived during the work, or the stretch: stretches it */
        end += place_lengths_quantile(&nz->len, place_rng_uniform(c->r));
        c->next[i] += exp_draw(c->r, 1e6 / nz->rate_hz);
    }
    c->busy[i] = end;
    return end;
}

/* Every rank's work of one step from its own time: the slowest of its threads, each through
 * its CPU's ticks (periodic) or drawn from the model or the trace. */
static void compute_step(comm_noise *c, long ranks, int T, double *t, const double *rowmax)
{
    const place_sim_noise *nz = c->nz;
    if (nz->kind != PLACE_SIMN_PERIODIC) {
        for (long i = 0; i < ranks; i++)
            t[i] += rank_time(nz, T, rowmax, c->r);
        return;
    }
    for (long i = 0; i < ranks; i++) {
        double end = t[i];
        for (int k = 0; k < T; k++) {
            double e = tick_work(c, i * T + k, t[i], nz->w_us);
            end = e > end ? e : end;
        }
        t[i] = end;
    }
}

/* 3D torus dimensions of n (as near a cube as its factors allow). */
static void torus(long n, long d[3])
{
    d[0] = d[1] = d[2] = 1;
    long rest = n;
    for (int k = 0; k < 3; k++) {
        long target = (long)llround(pow((double)rest, 1.0 / (3 - k))), best = 1;
        for (long f = 1; f <= rest; f++)
            if (rest % f == 0 && labs(f - target) < labs(best - target))
                best = f;
        d[k] = best;
        rest /= best;
    }
    d[2] *= rest;
}

static void sync_step(place_sync sync, long n, double *t, double *u, double L, double o,
                      const long dims[3], comm_noise *c)
{
    if (n == 1 || sync == PLACE_SYNC_NONE)
        return;
    if (c) /* the ranks' arrivals start afresh (ticks: they keep their phases) */
        for (long i = 0; i < n; i++) {
            c->busy[i] = t[i];
            if (c->nz->kind != PLACE_SIMN_PERIODIC)
                c->next[i] = t[i] + exp_draw(c->r, 1e6 / c->nz->rate_hz);
        }
    if (sync == PLACE_SYNC_BARRIER) {
        for (long k = 1; k < n; k <<= 1) {
            for (long i = 0; i < n; i++) /* every rank sends ... */
                u[i] = cpu(c, i, t[i], o);
            for (long i = 0; i < n; i++) { /* ... and receives from i - k */
                long src = (i - k + n) % n;
                double b = u[src] + L;
                t[i] = cpu(c, i, u[i] > b ? u[i] : b, o);
            }
        }
    } else if (sync == PLACE_SYNC_ALLREDUCE) {
        long k;
        /* LogP: o at the sender, L in flight, o at the receiver once the message is there
         * and the receiver is ready (it sends nothing that round) */
        for (k = 1; k < n; k <<= 1) /* reduce: i with bit k set sends to i - k */
            for (long i = k; i < n; i += 2 * k) {
                double s = cpu(c, i, t[i], o), a = t[i - k];
                t[i] = s;
                t[i - k] = cpu(c, i - k, a > s + L ? a : s + L, o);
            }
        for (k >>= 1; k >= 1; k >>= 1) /* broadcast back down the same tree */
            for (long i = k; i < n; i += 2 * k) {
                double s = cpu(c, i - k, t[i - k], o), a = t[i];
                t[i - k] = s;
                t[i] = cpu(c, i, a > s + L ? a : s + L, o);
            }
    } else {                         /* halo: 6 neighbours on the torus */
        for (long i = 0; i < n; i++) /* every rank sends (one o) ... */
            u[i] = cpu(c, i, t[i], o);
        for (long i = 0; i < n; i++) { /* ... and receives its neighbours' */
            long x = i % dims[0], y = (i / dims[0]) % dims[1], z = i / (dims[0] * dims[1]);
            double m = u[i];
            for (int dir = 0; dir < 6; dir++) {
                long cc[3] = {x, y, z};
                int ax = dir / 2;
                if (dims[ax] == 1)
                    continue;
                cc[ax] = (cc[ax] + (dir % 2 ? dims[ax] - 1 : 1)) % dims[ax];
                long j = cc[0] + dims[0] * (cc[1] + dims[1] * cc[2]);
                double v = u[j] + L;
                m = v > m ? v : m;
            }
            t[i] = cpu(c, i, m, o);
        }
    }
}

/* The simulation's arguments checked: 0, or -1 with err. */
static int sim_check(const place_sim_noise *nz, long ranks, int T, int steps, double L, double o,
                     place_error *err)
{
    if (ranks < 1 || ranks > (1L << 24) || T < 1 || T > 4096 || steps < 10)
        return place_error_set(err, PLACE_EINVAL,
                               "%ld ranks x %d threads, %d steps; expected 1 to "
                               "2^24 ranks, 1 to 4096 threads, at least 10 steps",
                               ranks, T, steps);
    if (!(L >= 0 && o >= 0 && isfinite(L) && isfinite(o)))
        return place_error_set(err, PLACE_EINVAL,
                               "latency %g us, overhead %g us; expected finite "
                               "values of at least 0",
                               L, o);
    if (nz->kind == PLACE_SIMN_TRACE && (nz->trace_rows < 1 || nz->trace_cols < T))
        return place_error_set(err, PLACE_EINVAL,
                               "a trace of %d steps x %d threads cannot give %d "
                               "threads per rank; expected at least as many threads recorded",
                               nz->trace_rows, nz->trace_cols, T);
    if (nz->kind == PLACE_SIMN_PERIODIC &&
        !(nz->rate_hz > 0 && nz->tick_len_us >= 0 && nz->tick_len_us < 1e6 / nz->rate_hz &&
          nz->phase_group >= 0 && isfinite(nz->w_us) && nz->w_us > 0))
        return place_error_set(err, PLACE_EINVAL,
                               "periodic noise of %g us every %g us, phases in groups of %d; "
                               "expected a length shorter than the period, work > 0 and a "
                               "group of 0 (all aligned) or more CPUs",
                               nz->tick_len_us, nz->rate_hz > 0 ? 1e6 / nz->rate_hz : 0.0,
                               nz->phase_group);
    if (nz->in_collective &&
        !((nz->kind == PLACE_SIMN_POISSON || nz->kind == PLACE_SIMN_PERIODIC) && nz->rate_hz > 0))
        return place_error_set(err, PLACE_EINVAL,
                               "noise in the collective needs a detour stream or ticks "
                               "(Poisson detours at a positive rate: --poisson or --jitter; "
                               "--periodic)");
    if (nz->kind == PLACE_SIMN_PERIODIC && (double)ranks * T > (double)(1L << 26))
        return place_error_set(err, PLACE_EINVAL,
                               "%ld ranks x %d threads with periodic noise: a phase per CPU "
                               "for at most 2^26 CPUs",
                               ranks, T);
    return 0;
}

int place_simulate(const place_sim_noise *nz, long ranks, int T, int steps, place_sync sync,
                   double L, double o, uint64_t seed, place_sim_result *res, place_error *err)
{
    memset(res, 0, sizeof *res);
    if (sim_check(nz, ranks, T, steps, L, o, err) < 0)
        return -1;
    double *t = malloc(sizeof(double) * (size_t)ranks), *u = malloc(sizeof(double) * (size_t)ranks);
    double *rowmax = NULL, *busy = NULL, *next = NULL, *phase = NULL;
    long ncpu = ranks * (long)T, group = 0, nphase = 1;
    if (nz->kind == PLACE_SIMN_PERIODIC) {
        group = nz->phase_group;
        nphase = group ? (ncpu + group - 1) / group : 1;
        phase = malloc(sizeof(double) * (size_t)nphase);
        if (!phase) {
            free(t), free(u);
            return place_error_set(err, PLACE_ENOMEM, "out of memory for %ld phases", nphase);
        }
    }
    if (nz->in_collective) {
        busy = malloc(sizeof(double) * (size_t)ranks);
        next = malloc(sizeof(double) * (size_t)ranks);
        if (!busy || !next) {
            free(t), free(u), free(busy), free(next), free(phase);
            return place_error_set(err, PLACE_ENOMEM, "out of memory for %ld ranks", ranks);
        }
    }
    if (nz->kind == PLACE_SIMN_TRACE)
        rowmax = malloc(sizeof(double) * (size_t)nz->trace_rows);
    if (!t || !u || (nz->kind == PLACE_SIMN_TRACE && !rowmax)) {
        free(t), free(u), free(rowmax), free(busy), free(next), free(phase);
        return place_error_set(err, PLACE_ENOMEM, "out of memory for %ld ranks", ranks);
    }
    double base;
    if (nz->kind == PLACE_SIMN_EXP) {
        base = nz->w_us + nz->mu_us;
    } else if (nz->kind == PLACE_SIMN_POISSON) {
        base = nz->w_us + nz->rate_hz * nz->w_us * 1e-6 * place_lengths_mean(&nz->len);
    } else if (nz->kind == PLACE_SIMN_PERIODIC) { /* one thread's pace alone */
        base = nz->w_us / (1 - nz->tick_len_us * nz->rate_hz * 1e-6);
    } else {
        double s = 0;
        for (int i = 0; i < nz->trace_rows; i++) {
            double mx = 0;
            for (int c = 0; c < T; c++) {
                double v = nz->trace[(size_t)i * nz->trace_cols + c];
                mx = v > mx ? v : mx;
                s += v;
            }
            rowmax[i] = mx;
        }
        base = s / ((double)nz->trace_rows * T);
    }
    long dims[3];
    torus(ranks, dims);
    /* the collective without noise: one step from equal times */
    memset(t, 0, sizeof(double) * (size_t)ranks);
    sync_step(sync, ranks, t, u, L, o, dims, NULL);
    double sync0 = 0;
    for (long i = 0; i < ranks; i++)
        sync0 = t[i] > sync0 ? t[i] : sync0;
    place_rng r;
    place_rng_seed(&r, seed);
    for (long g = 0; g < (phase ? nphase : 0); g++) /* fixed for the run */
        phase[g] = place_rng_uniform(&r) * 1e6 / nz->rate_hz;
    comm_noise cn = {nz, &r, busy, next, phase, T, group};
    memset(t, 0, sizeof(double) * (size_t)ranks);
    enum { B = 10 };
    double bm[B], last = 0;
    int per = steps / B;
    for (int b = 0; b < B; b++) {
        for (int s = 0; s < per; s++) {
            compute_step(&cn, ranks, T, t, rowmax);
            sync_step(sync, ranks, t, u, L, o, dims, nz->in_collective ? &cn : NULL);
        }
        double now = 0;
        if (sync == PLACE_SYNC_NONE) { /* each rank on its own: the mean pace */
            for (long i = 0; i < ranks; i++)
                now += t[i] / (double)ranks;
        } else {
            for (long i = 0; i < ranks; i++)
                now = t[i] > now ? t[i] : now;
        }
        bm[b] = (now - last) / per;
        last = now;
    }
    double mean = 0, var = 0;
    for (int b = 0; b < B; b++)
        mean += bm[b] / B;
    for (int b = 0; b < B; b++)
        var += (bm[b] - mean) * (bm[b] - mean) / (B - 1);
    res->step_us = mean;
    res->ci95_us = 2.262 * sqrt(var / B); /* t, 9 degrees of freedom */
    res->sync0_us = sync0;
    res->base_us = base;
    res->slowdown = mean / (base + sync0);
    res->slowdown_ci95 = res->ci95_us / (base + sync0);
    res->noise_free_us = nz->kind == PLACE_SIMN_TRACE ? NAN : nz->w_us + sync0;
    res->vs_no_noise = mean / res->noise_free_us;
    res->vs_no_noise_ci95 = res->ci95_us / res->noise_free_us;
    res->steps = per * B;
    free(t), free(u), free(rowmax), free(busy), free(next), free(phase);
    return 0;
}
