/* run.h: fdtd3d's time loop, included twice by fdtd3d.c (as kernel.h is) with REAL =
 * float (SUF _f, MPIREAL MPI_FLOAT) and REAL = double (SUF _d, MPIREAL MPI_DOUBLE), so
 * that errors and breakpoints land on real lines of real functions. It uses fdtd3d.c's
 * types and helpers (opts, geom, result, ckpt, halo, die, inject) and kernel.h's sweeps.
 */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUF)

/* Samples the probes this rank holds and gathers them on rank 0 (a sum in which only the
 * owner's value is non-zero: exact). */
static void FN(step_probes)(const opts *o, const geom *g, const FN(fields) *f, double *pv,
                              double *pr, result *res, int n)
{
    int np = o->nprobes;
    if (!np)
        return;
    long si = (long)g->sy * g->sz, sj = g->sz;
    for (int p = 0; p < np; p++) {
        const int *q = o->probe[p];
        int mine = q[0] >= g->lo[0] && q[0] < g->hi[0] && q[1] >= g->lo[1] && q[1] < g->hi[1] &&
                   q[2] >= g->lo[2] && q[2] < g->hi[2];
        long at = (long)(q[0] - g->lo[0] + 1) * si + (q[1] - g->lo[1] + 1) * sj + (q[2] - g->lo[2] + 1);
        REAL *a6[6] = {f->ex, f->ey, f->ez, f->hx, f->hy, f->hz};
        for (int c = 0; c < 6; c++)
            pv[6 * p + c] = mine ? (double)a6[c][at] / (c >= 3 ? ETA0 : 1) : 0;
    }
    MPI_Reduce(pv, pr, 6 * np, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        memcpy(res->probe + (size_t)(n - 1) * 6 * np, pr, sizeof(double) * 6 * (size_t)np);
}

/* The state of one run, shared by the threads. */
typedef struct FN(run_state) {
    place_array arr[6];
    FN(fields) f;
    void *a6[6];
    size_t cells;
    long si, src_at;
    halo h;
    double dt, t0;
    REAL c1;
    int own_src, alone, np, nen;
    double *pv, *pr;        /* probe values, this rank's and the reduced ones */
    double e_acc, h_acc;    /* the threads' parts of the energy, added atomically */
    int ck_bad, ck_stop;
} FN(run_state);

/* Arrays, halo types, recorder and output buffers, before the threads start. */
static void FN(run_setup)(const opts *o, const geom *g, const int nb[6], result *res, ckpt *ck,
                          FN(run_state) *s)
{
    place_error e;
    memset(s, 0, sizeof *s);
    s->cells = (size_t)g->sx * g->sy * g->sz;
    /* each array starts lanes - 1 elements into its (page-aligned) mapping, so that
     * element 1 of every row (rows are padded, decompose) starts on FDTD3D_ALIGN */
    const size_t lanes = FDTD3D_ALIGN / sizeof(REAL);
    for (int c = 0; c < 6; c++)
        if (place_array_alloc(&s->arr[c], (s->cells + lanes) * sizeof(REAL), fdtd3d_huge ? PLACE_ALLOC_HUGE : 0, &e) < 0)
            die("rank %d: %s", rank, e.msg);
    REAL *p[6];
    for (int c = 0; c < 6; c++)
        s->a6[c] = p[c] = (REAL *)s->arr[c].ptr + (lanes - 1);
    s->f = (FN(fields)){p[0], p[1], p[2], p[3], p[4], p[5]};
    halo_init(&s->h, g, MPIREAL, nb);
    s->dt = o->courant * o->dx / (C0 * sqrt(3.0));
    s->c1 = (REAL)(C0 * s->dt / o->dx);
    int T = omp_get_max_threads();
    res->nthreads = T;
    res->ti = calloc((size_t)T, sizeof *res->ti);
    if (!res->ti)
        die("rank %d: out of memory for %d threads' counters", rank, T);
    if (place_steprec_create(&res->rec, T, o->ring, PLACE_STEPREC_COUNTERS, &e) < 0)
        die("%s", e.msg);
    s->own_src = o->src[0] >= g->lo[0] && o->src[0] < g->hi[0] && o->src[1] >= g->lo[1] &&
                 o->src[1] < g->hi[1] && o->src[2] >= g->lo[2] && o->src[2] < g->hi[2];
    long sj = g->sz;
    s->si = (long)g->sy * g->sz;
    s->src_at = (long)(o->src[0] - g->lo[0] + 1) * s->si + (o->src[1] - g->lo[1] + 1) * sj +
                (o->src[2] - g->lo[2] + 1);
    s->np = o->nprobes;
    s->pv = calloc((size_t)(6 * s->np + 1), sizeof(double));
    s->pr = calloc((size_t)(6 * s->np + 1), sizeof(double));
    if (!s->pv || !s->pr)
        die("rank %d: out of memory for the probes", rank);
    if (rank == 0 && s->np) {
        res->probe = malloc(sizeof(double) * (size_t)o->steps * 6 * s->np + 1);
        if (!res->probe)
            die("out of memory for %d steps of %d probes (%.0f MiB)", o->steps, s->np,
                8.0 * o->steps * 6 * s->np / (1 << 20));
    }
    s->nen = o->energy_out ? o->steps / o->energy_every + 1 : 0;
    if (rank == 0 && s->nen) {
        res->energy = malloc(sizeof(double) * (size_t)s->nen);
        if (!res->energy)
            die("out of memory for %d energy samples", s->nen);
        for (int q = 0; q < s->nen; q++) /* NaN: not computed by this run */
            res->energy[q] = NAN;
    }
    s->alone = nb[0] < 0 && nb[1] < 0 && nb[2] < 0 && nb[3] < 0 && nb[4] < 0 && nb[5] < 0;
    res->first = res->last = (int)ck->start;
}

/* Thread t, before the first step: where it runs, first touch of its slabs, the restart
 * read into those pages, and the start of the clock. */
static void FN(thread_start)(const opts *o, const geom *g, result *res, ckpt *ck,
                             FN(run_state) *s, int t)
{
    res->ti[t].pu = sched_getcpu();
    res->ti[t].node = numa_available() < 0 ? 0 : numa_node_of_cpu(res->ti[t].pu);
    FN(first_touch)(&s->f, g);
    #pragma omp barrier
    #pragma omp master
    {
        if (ck->start) { /* into the pages the threads touched first */
            ck_state st;
            s->ck_bad = ck_restart_read(o->restart, &ck->run, ck->start, s->a6,
                                        s->cells * sizeof(REAL), &st, ck->err, sizeof ck->err) < 0;
        }
        MPI_Barrier(MPI_COMM_WORLD);
        s->t0 = MPI_Wtime();
    }
}

/* E(n)^2 of this thread's part, into the step's energy (an omp for: all threads). */
static void FN(add_e2)(const geom *g, FN(run_state) *s)
{
    double x = FN(sum_e2)(&s->f, g);
    #pragma omp atomic
    s->e_acc += x;
}

/* Step n of a rank without neighbours, when no energy is due: one fused sweep. */
static void FN(step_fused)(const opts *o, const geom *g, result *res, FN(run_state) *s, int t,
                           int n, uint64_t *rng)
{
    FN(update_fused)(&s->f, g, s->c1);
    inject(o, rng);
    place_steprec_work_end(res->rec, t);
    #pragma omp barrier
    #pragma omp master
    {
        if (s->own_src)
            s->f.ez[s->src_at] += (REAL)source_value(o, n * s->dt);
        FN(step_probes)(o, g, &s->f, s->pv, s->pr, res, n);
        place_steprec_step_end(res->rec);
    }
    if (s->nen && n % o->energy_every == 0)
        FN(add_e2)(g, s);
    #pragma omp barrier
}

/* Step n: H, its halo, E, its halo, the source and probes, and the energy when due. */
static void FN(step_split)(const opts *o, const geom *g, result *res, FN(run_state) *s, int t,
                           int n, int want_energy, uint64_t *rng)
{
    double hd = FN(update_h)(&s->f, g, s->c1, want_energy);
    place_steprec_work_pause(res->rec, t);
    if (want_energy) { /* H(n-3/2) . H(n-1/2): completes step n-1's energy */
        #pragma omp atomic
        s->h_acc += hd;
    }
    #pragma omp master
    exchange_h(&s->h, s->f.hx, s->f.hy, s->f.hz);
    #pragma omp barrier
    place_steprec_work_resume(res->rec, t);
    FN(update_e)(&s->f, g, s->c1);
    inject(o, rng);
    place_steprec_work_end(res->rec, t);
    #pragma omp barrier
    #pragma omp master
    {
        if (want_energy) {
            double loc[2] = {s->e_acc, s->h_acc}, glob[2];
            s->e_acc = s->h_acc = 0;
            MPI_Reduce(loc, glob, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
            if (rank == 0)
                res->energy[(n - 1) / o->energy_every] =
                    0.5 * EPS0 * o->dx * o->dx * o->dx * (glob[0] + glob[1]);
        }
        if (s->own_src)
            s->f.ez[s->src_at] += (REAL)source_value(o, n * s->dt);
        exchange_e(&s->h, s->f.ex, s->f.ey, s->f.ez);
        FN(step_probes)(o, g, &s->f, s->pv, s->pr, res, n);
        place_steprec_step_end(res->rec);
    }
    if (s->nen && n % o->energy_every == 0)
        FN(add_e2)(g, s);
    #pragma omp barrier
}

/* Thread t's time loop: every step ends at a barrier; a checkpoint when due. */
static void FN(thread_loop)(const opts *o, const geom *g, result *res, ckpt *ck,
                            FN(run_state) *s, int t)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(rank * 1024 + t + 1);
    if (ck->start && !s->ck_bad && s->nen && ck->start % o->energy_every == 0)
        FN(add_e2)(g, s); /* step start's E^2, as its run would have */
    for (int n = (int)ck->start + 1; !s->ck_bad && n <= o->steps; n++) {
        int want_energy = s->nen && (n - 1) % o->energy_every == 0 && n > 1;
        place_steprec_work_begin(res->rec, t);
        if (s->alone && !want_energy)
            FN(step_fused)(o, g, res, s, t, n, &rng);
        else
            FN(step_split)(o, g, res, s, t, n, want_energy, &rng);
        #pragma omp master
        res->last = n;
        if (ck->on) {
            #pragma omp master
            ck_point(ck, n, o->steps, s->a6, s->cells * sizeof(REAL), &s->ck_stop);
            #pragma omp barrier
            if (s->ck_stop)
                break;
        }
    }
}

/* After the threads: the run's time, page locality of Ez against the threads' nodes (its
 * x slabs, schedule(static)), and the arrays freed. */
static void FN(run_finish)(const geom *g, result *res, ckpt *ck, FN(run_state) *s)
{
    place_error e;
    if (s->ck_bad)
        die("%s", ck->err);
    double dtloc = MPI_Wtime() - s->t0;
    MPI_Allreduce(&dtloc, &res->seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    res->nenergy = s->nen;
    int T = res->nthreads;
    int *owner = malloc(sizeof(int) * (size_t)(T + 2));
    place_partition part;
    owner[0] = res->ti[0].node;
    for (int k = 0; k < T; k++)
        owner[k + 1] = res->ti[k].node;
    owner[T + 1] = res->ti[T - 1].node;
    if (place_partition_static(&part, (size_t)g->nx, (size_t)s->si * sizeof(REAL), T, owner + 1,
                               &e) == 0) {
        /* the slabs sit after ghost plane 0; fold it and the top planes into the ends */
        for (int k = 1; k <= T; k++)
            part.off[k] += (size_t)s->si * sizeof(REAL) + (size_t)((char *)s->f.ez - (char *)s->arr[2].ptr);
        part.off[T] = s->arr[2].bytes;
        res->loc_ok = place_locality_query(&s->arr[2], &part, &res->loc, &e) == 0;
        place_partition_free(&part);
    }
    free(owner);
    res->huge_bytes = 0;
    for (int c = 0; c < 6 && res->huge_bytes >= 0; c++) {
        long long hb = place_array_huge_bytes(&s->arr[c]);
        res->huge_bytes = hb < 0 ? -1 : res->huge_bytes + hb;
    }
    free(s->pv);
    free(s->pr);
    for (int c = 0; c < 6; c++)
        place_array_free(&s->arr[c]);
}

static void FN(run)(const opts *o, const geom *g, const int nb[6], result *res, ckpt *ck)
{
    FN(run_state) s;
    FN(run_setup)(o, g, nb, res, ck, &s);
    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        place_counters *ctr = NULL;
        place_counters_open(&ctr, NULL);
        FN(thread_start)(o, g, res, ck, &s, t);
        place_counters_read(ctr, res->ti[t].ctr0);
        #pragma omp barrier
        FN(thread_loop)(o, g, res, ck, &s, t);
        place_counters_read(ctr, res->ti[t].ctr1);
        place_counters_free(ctr);
    }
    FN(run_finish)(g, res, ck, &s);
}

#undef FN
