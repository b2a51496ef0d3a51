/* output.c (fdtd3d): the probe, energy, trace and report outputs, written whole or not at
 * all (place/wfile.h), their temporaries removed on a fatal signal. */
#define _GNU_SOURCE
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdtd3d.h"

/* Outputs are written whole or not at all (place/wfile.h), and opened before the first
 * step (rank 0): a typo or an unwritable directory fails at start, not after hours. */
enum { OUT_PROBE, OUT_ENERGY, OUT_REPORT, OUT_TRACE, NOUT };
static place_wfile outs[NOUT];

void drop_outputs(void) /* at exit or death: temporaries of unfinished outputs go */
{
    for (int k = 0; k < NOUT; k++)
        place_wfile_fini(&outs[k]);
}

/* the temporaries' names and directories, where a signal handler can read them */
static char tmp_names[NOUT][NAME_MAX + 1];
static int tmp_dirs[NOUT] = {-1, -1, -1, -1};

static void on_fatal_signal(int sig) /* async-signal-safe: unlinkat, raise */
{
    for (int k = 0; k < NOUT; k++)
        if (tmp_names[k][0] && tmp_dirs[k] >= 0)
            unlinkat(tmp_dirs[k], tmp_names[k], 0); /* after a commit: ENOENT, nothing lost */
    raise(sig); /* SA_RESETHAND restored the action before ours: it ends the process */
}

/* Every signal whose default action ends the process, and that the program has left at the
 * default, takes the outputs' temporaries with it: SIGTERM, SIGINT, SIGHUP, SIGQUIT,
 * SIGUSR1 and SIGUSR2 (sbatch --signal), SIGXCPU and SIGXFSZ (limits), SIGALRM,
 * SIGVTALRM, SIGPROF, SIGPIPE, SIGPWR, SIGSTKFLT, the faults (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGABRT, SIGTRAP, SIGSYS) and the real-time signals. One caught by a handler of
 * its own (the MPI library's, the checkpoint's stop) is left to that handler. */
void fdtd3d_clean_on_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT,  SIGHUP,    SIGQUIT, SIGUSR1, SIGUSR2, SIGXCPU,
                               SIGXFSZ, SIGALRM, SIGVTALRM, SIGPROF, SIGPIPE, SIGPWR,  SIGSTKFLT,
                               SIGSEGV, SIGBUS,  SIGILL,    SIGFPE,  SIGABRT, SIGTRAP, SIGSYS};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(sigs[i], &sa, NULL);
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        if (sigaction(s, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
            sigaction(s, &sa, NULL);
}

/* path's directory resolved, with its last component: two spellings of one file agree. */
static int resolved(const char *path, char *out, size_t n)
{
    char dir[PATH_MAX], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash == dir)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, real))
        return -1;
    size_t rl = strlen(real), bl = strlen(base);
    if (rl + bl + 2 > n)
        return -1;
    memcpy(out, real, rl); // NOLINT(bugprone-not-null-terminated-result): base's copy ends it
    out[rl] = '/';
    memcpy(out + rl + 1, base, bl + 1);
    return 0;
}

/* Rank 0: the outputs' checks and their temporaries; every rank learns the outcome. */
void open_outputs(const opts *o)
{
    char msg[600] = "";
    if (rank == 0) {
        const char *path[NOUT] = {o->probe_out, o->energy_out, o->report, o->trace_out};
        const char *what[NOUT] = {"--probe-out", "--energy-out", "--report", "--trace-out"};
        /* the checkpoint directory, resolved even before it is made */
        char res[NOUT][PATH_MAX + 256], ck[PATH_MAX + 256] = "";
        if (o->ck_dir && resolved(o->ck_dir, ck, sizeof ck) < 0)
            ck[0] = '\0';
        size_t cl = strlen(ck), tl = o->ck_dir ? strlen(o->ck_dir) : 0;
        place_error e;
        for (int k = 0; k < NOUT && !msg[0]; k++) {
            if (!path[k])
                continue;
            int found = resolved(path[k], res[k], sizeof res[k]) == 0;
            if ((found && cl && !strncmp(res[k], ck, cl) && res[k][cl] == '/') ||
                (!found && tl && !strncmp(path[k], o->ck_dir, tl) && path[k][tl] == '/')) {
                snprintf(msg, sizeof msg,
                         "%s '%.300s': inside the checkpoint directory; expected "
                         "a path outside it",
                         what[k], path[k]);
                break;
            }
            if (!found) {
                snprintf(msg, sizeof msg,
                         "%s '%.300s': its directory does not exist; expected a "
                         "file in an existing directory",
                         what[k], path[k]);
                break;
            }
            for (int j = 0; j < k; j++)
                if (path[j] && !strcmp(res[j], res[k]))
                    snprintf(msg, sizeof msg,
                             "%s and %s name the same file '%.300s'; expected "
                             "one file each",
                             what[j], what[k], path[k]);
            if (!msg[0] && place_wfile_open(&outs[k], what[k], path[k], &e) < 0)
                snprintf(msg, sizeof msg, "%s", e.msg);
        }
    }
    MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (msg[0])
        die("%s", msg);
    /* A signal that ends the run takes the temporaries with it (fdtd3d_clean_on_signals;
     * with a checkpoint directory, the stop signals end the run at a step instead): the
     * names are copied where the handler can read them without the allocator. */
    for (int k = 0; k < NOUT; k++)
        if (outs[k].tmp && strlen(outs[k].tmp) < sizeof tmp_names[k]) {
            snprintf(tmp_names[k], sizeof tmp_names[k], "%s", outs[k].tmp);
            tmp_dirs[k] = outs[k].dirfd;
        }
    fdtd3d_clean_on_signals();
}

static void close_out(place_wfile *w)
{
    place_error e;
    int k = (int)(w - outs);
    tmp_names[k][0] = '\0'; /* committed or removed: the handler has nothing left to do */
    tmp_dirs[k] = -1;
    if (place_wfile_commit(w, &e) < 0)
        die("%s", e.msg);
}

void write_trace(const result *r)
{
    place_error e;
    if (place_steprec_write_csv(r->rec, outs[OUT_TRACE].f, &e) < 0)
        die("%s", e.msg);
    close_out(&outs[OUT_TRACE]);
}

void write_probes(const opts *o, const result *r, double dt)
{
    place_wfile *w = &outs[OUT_PROBE];
    FILE *f = w->f;
    const char *fmt = o->dbl ? "%.17g" : "%.9g";
    fprintf(
        f,
        "# fdtd3d probes: step n, t = n dt in s; E in V/m at t = n dt, H in A/m at t = (n - 1/2) dt;\n"
        "# each component at its own Yee position in cell (I,J,K): Ex at ((I+1/2) dx, J dx, K dx),\n"
        "# Ey at (I dx, (J+1/2) dx, K dx), Ez at (I dx, J dx, (K+1/2) dx), Hx at (I dx, (J+1/2) dx,\n"
        "# (K+1/2) dx), Hy at ((I+1/2) dx, J dx, (K+1/2) dx), Hz at ((I+1/2) dx, (J+1/2) dx, K dx)\n");
    fprintf(f, "# grid %lldx%lldx%lld, dx %g m, dt %.9g s, precision %s\n", (long long)o->n[0],
            (long long)o->n[1], (long long)o->n[2], o->dx, dt, o->dbl ? "double" : "single");
    fprintf(f, "step,t");
    for (int p = 0; p < o->nprobes; p++)
        fprintf(f, ",Ex_%d_%d_%d,Ey_%d_%d_%d,Ez_%d_%d_%d,Hx_%d_%d_%d,Hy_%d_%d_%d,Hz_%d_%d_%d",
                o->probe[p][0], o->probe[p][1], o->probe[p][2], o->probe[p][0], o->probe[p][1],
                o->probe[p][2], o->probe[p][0], o->probe[p][1], o->probe[p][2], o->probe[p][0],
                o->probe[p][1], o->probe[p][2], o->probe[p][0], o->probe[p][1], o->probe[p][2],
                o->probe[p][0], o->probe[p][1], o->probe[p][2]);
    fputc('\n', f);
    for (int n = r->rows_first; n <= r->last; n++) {
        fprintf(f, "%d,%.9g", n, n * dt);
        for (int c = 0; c < 6 * o->nprobes; c++) {
            fputc(',', f);
            fprintf(f, fmt, r->probe[(size_t)(n - 1) * 6 * o->nprobes + c]);
        }
        fputc('\n', f);
    }
    close_out(w);
}

void write_energy(const opts *o, const result *r, double dt)
{
    place_wfile *w = &outs[OUT_ENERGY];
    FILE *f = w->f;
    fprintf(
        f,
        "# total field energy in J (E at step n, H as H(n-1/2).H(n+1/2): conserved by the leapfrog)\n");
    fprintf(f, "step,t,energy_J\n");
    for (int i = 1; i < r->nenergy; i++) {
        int n = i * o->energy_every;
        if (n <= o->steps - 1 && !isnan(r->energy[i]))
            fprintf(f, "%d,%.9g,%.17g\n", n, n * dt, r->energy[i]);
    }
    close_out(w);
}

static json_t *counter_json(int64_t a, int64_t b)
{
    return (a == PLACE_UNAVAILABLE || b == PLACE_UNAVAILABLE) ? json_string("unavailable")
                                                              : json_integer(b - a);
}

void write_report(const opts *o, const result *r, const geom *g, const ckpt *ck, double dt)
{
    int ran = r->last - r->first; /* steps this run computed */
    place_step_stats st;
    place_steprec_stats(r->rec, &st);
    /* every rank's summary, gathered */
    double mine[6] = {st.mean_max_us,
                      st.mean_mean_us,
                      st.slowdown,
                      r->loc_ok ? r->loc.local_fraction : -1,
                      st.migrations == PLACE_UNAVAILABLE ? -1 : (double)st.migrations,
                      st.switches == PLACE_UNAVAILABLE ? -1 : (double)st.switches};
    double *all = rank == 0 ? malloc(sizeof(double) * 6 * (size_t)nranks) : NULL;
    MPI_Gather(mine, 6, MPI_DOUBLE, all, 6, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    /* The job's barrier step spans every thread of every rank (halo exchanges tie the
     * ranks together each step): gather the per-step thread times of the ring. */
    int kept = o->ring < ran ? o->ring : ran, T = r->nthreads;
    double *mysamp = malloc(sizeof(double) * (size_t)kept * (size_t)T + 1);
    for (int t = 0; t < T; t++)
        place_steprec_samples(r->rec, t, mysamp + (size_t)t * kept, kept);
    double *job =
        rank == 0 ? malloc(sizeof(double) * (size_t)kept * (size_t)T * (size_t)nranks + 1) : NULL;
    MPI_Gather(mysamp, kept * T, MPI_DOUBLE, job, kept * T, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    free(mysamp);
    if (rank != 0)
        return;
    int NT = T * nranks;
    double sum_max = 0, sum_mean = 0;
    for (int s = 0; s < kept; s++) {
        double mx = 0, mean = 0;
        for (int q = 0; q < NT; q++) {
            double v = job[(size_t)q * kept + s];
            mx = v > mx ? v : mx;
            mean += v;
        }
        sum_max += mx;
        sum_mean += mean / NT;
    }
    double job_slowdown = sum_mean > 0 ? sum_max / sum_mean : 1;
    double job_model_c = kept ? place_model_empirical_slowdown(job, kept * NT, NT) : 1;
    free(job);
    double cells = (double)o->n[0] * (double)o->n[1] * (double)o->n[2];
    place_backend_status bs[PLACE_NBACKEND];
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(bs, chosen);
    json_t *threads = json_array();
    for (int t = 0; t < r->nthreads; t++) {
        json_t *c = json_object();
        for (int k = 0; k < PLACE_NCTR; k++)
            json_object_set_new(c, place_ctr_name((place_ctr)k),
                                counter_json(r->ti[t].ctr0[k], r->ti[t].ctr1[k]));
        json_array_append_new(threads,
                              json_pack("{s:i,s:i,s:i,s:o}", "thread", t, "pu_at_start",
                                        r->ti[t].pu, "numa", r->ti[t].node, "counters", c));
    }
    json_t *backends = json_object();
    for (int k = 0; k < PLACE_NCTR; k++)
        json_object_set_new(backends, place_ctr_name((place_ctr)k),
                            json_string(place_backend_name(chosen[k])));
    /* the models beside the measurement */
    int ring = o->ring < ran ? o->ring : ran, m = 0;
    double *x = malloc(sizeof(double) * (size_t)ring * (size_t)r->nthreads + 1);
    for (int t = 0; t < r->nthreads; t++)
        m += place_steprec_samples(r->rec, t, x + m, ring);
    json_t *models = json_object();
    json_object_set_new(models, "c_empirical",
                        json_real(m ? place_model_empirical_slowdown(x, m, r->nthreads) : 1));
    json_object_set_new(models, "job_c_empirical", json_real(job_model_c));
    const place_noise *nz = &o->noise;
    double w = st.mean_mean_us - place_noise_mean_us(nz);
    /* the injected noise's models (place/noise.h), for the rank's threads and the job's */
    const char *mk[4], *jk[4];
    double mv[4], jv[4];
    int nm = place_noise_models(nz, w, r->nthreads, mk, mv, 4);
    int nj = place_noise_models(nz, w, NT, jk, jv, 4);
    for (int i = 0; i < nm && i < nj; i++) {
        char key[64];
        json_object_set_new(models, mk[i], json_real(mv[i]));
        snprintf(key, sizeof key, "job_%s", jk[i]);
        json_object_set_new(models, key, json_real(jv[i]));
    }
    json_object_set_new(models, "work_us", json_real(w));
    free(x);
    json_t *ranks = json_array();
    /* the job's migrations and switches (every rank's threads), unavailable if any rank's are */
    double jmig = 0, jsw = 0;
    for (int k = 0; k < nranks; k++) {
        json_array_append_new(ranks, json_pack("{s:i,s:f,s:f,s:f,s:f}", "rank", k, "mean_max_us",
                                               all[(size_t)6 * k], "mean_mean_us",
                                               all[(size_t)6 * k + 1], "slowdown", all[6 * k + 2],
                                               "page_local_fraction", all[6 * k + 3]));
        jmig = jmig < 0 || all[6 * k + 4] < 0 ? -1 : jmig + all[6 * k + 4];
        jsw = jsw < 0 || all[6 * k + 5] < 0 ? -1 : jsw + all[6 * k + 5];
    }
    free(all);
    json_t *loc =
        r->loc_ok ? json_pack("{s:s,s:I,s:I,s:I,s:f}", "array", "Ez of rank 0", "pages",
                              (json_int_t)r->loc.pages, "local", (json_int_t)r->loc.local, "remote",
                              (json_int_t)r->loc.remote, "local_fraction", r->loc.local_fraction)
                  : json_string("unavailable");
    json_t *rep = json_pack(
        "{s:s,s:[I,I,I],s:i,s:i,s:i,s:s,s:f,s:f,s:f,s:f,s:f,s:s,s:{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f},"
        "s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
        "schema", "fdtd3d-report/1", "grid", (json_int_t)o->n[0], (json_int_t)o->n[1],
        (json_int_t)o->n[2], "steps", ran, "ranks", nranks, "threads", r->nthreads, "precision",
        o->dbl ? "double" : "single", "dx_m", o->dx, "dt_s", dt, "seconds", r->seconds,
        "mcells_per_s", r->seconds > 0 ? cells * ran / r->seconds * 1e-6 : 0.0, "courant",
        o->courant, "inject", place_noise_name(o->noise.kind), "steps_stats", "steps",
        (json_int_t)st.steps, "mean_of_max_us", st.mean_max_us, "mean_of_mean_us", st.mean_mean_us,
        "slowdown", isnan(st.slowdown) ? 1.0 : st.slowdown, "max_p50_us", st.max_p50_us,
        "max_p90_us", st.max_p90_us, "max_p99_us", st.max_p99_us, "mean_wait_us", st.mean_wait_us,
        "models", models, "counter_backends", backends, "threads_rank0", threads,
        "page_locality_rank0", loc, "ranks_summary", ranks, "job_slowdown", json_real(job_slowdown),
        "migrations_rank0",
        st.migrations == PLACE_UNAVAILABLE ? json_string("unavailable")
                                           : json_integer(st.migrations));
    (void)g;
    { /* what the slowdown leaves out: barrier to barrier, start skew, absolute noise cost */
        json_t *ss = json_object_get(rep, "steps_stats");
        const char *k[PLACE_STEP_METRICS];
        double v[PLACE_STEP_METRICS];
        int nm = place_step_stats_metrics(&st, k, v, PLACE_STEP_METRICS);
        for (int i = 0; i < nm; i++)
            json_object_set_new(ss, k[i],
                                isfinite(v[i]) ? json_real(v[i]) : json_string("unavailable"));
        json_object_set_new(ss, "ref_rule", json_string(PLACE_STEP_REF_RULE));
    }
    json_object_set_new(rep, "migrations_job",
                        jmig < 0 ? json_string("unavailable") : json_integer((json_int_t)jmig));
    json_object_set_new(rep, "switches_job",
                        jsw < 0 ? json_string("unavailable") : json_integer((json_int_t)jsw));
    json_object_set_new(rep, "isa", json_string(isa_names[fdtd3d_isa]));
    json_object_set_new(rep, "tile_rows", json_integer(fdtd3d_tile_rows));
    json_object_set_new(rep, "prefetch", json_integer(fdtd3d_prefetch));
    json_object_set_new(rep, "row_fuse", json_integer(fdtd3d_rowfuse));
    json_object_set_new(rep, "huge_pages_asked", json_integer(fdtd3d_huge));
    json_object_set_new(rep, "huge_page_bytes_rank0",
                        r->huge_bytes < 0 ? json_string("unavailable")
                                          : json_integer(r->huge_bytes));
    json_object_set_new(rep, "first_step", json_integer(r->first + 1));
    json_object_set_new(rep, "last_step", json_integer(r->last));
    if (ck->on)
        json_object_set_new(rep, "checkpoints",
                            json_pack("{s:s,s:i,s:I,s:f,s:I,s:b}", "dir", ck->dir, "written",
                                      ck->written, "last_step", (json_int_t)ck->last_written,
                                      "seconds", ck->seconds, "restarted_from",
                                      (json_int_t)ck->start, "stopped_by_signal", ck->stopped));
    place_wfile *out = &outs[OUT_REPORT];
    FILE *f = out->f;
    json_dumpf(rep, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    close_out(out);
    json_decref(rep);
}
