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

static void FN(run)(const opts *o, const geom *g, const int nb[6], result *res, ckpt *ck)
{
    size_t cells = (size_t)g->sx * g->sy * g->sz;
    place_array arr[6];
    place_error e;
    for (int c = 0; c < 6; c++)
        if (place_array_alloc(&arr[c], cells * sizeof(REAL), 0, &e) < 0)
            die("rank %d: %s", rank, e.msg);
    FN(fields) f = {arr[0].ptr, arr[1].ptr, arr[2].ptr, arr[3].ptr, arr[4].ptr, arr[5].ptr};
    halo h;
    halo_init(&h, g, MPIREAL, nb);
    double dt = o->courant * o->dx / (C0 * sqrt(3.0));
    REAL c1 = (REAL)(C0 * dt / o->dx);
    int T = omp_get_max_threads();
    res->nthreads = T;
    res->ti = calloc((size_t)T, sizeof *res->ti);
    if (place_steprec_create(&res->rec, T, o->ring, PLACE_STEPREC_COUNTERS, &e) < 0)
        die("%s", e.msg);
    int own_src = o->src[0] >= g->lo[0] && o->src[0] < g->hi[0] && o->src[1] >= g->lo[1] &&
                  o->src[1] < g->hi[1] && o->src[2] >= g->lo[2] && o->src[2] < g->hi[2];
    long si = (long)g->sy * g->sz, sj = g->sz;
    long src_at = (long)(o->src[0] - g->lo[0] + 1) * si + (o->src[1] - g->lo[1] + 1) * sj +
                  (o->src[2] - g->lo[2] + 1);
    int np = o->nprobes;
    double *pv = calloc((size_t)(6 * np + 1), sizeof(double));
    double *pr = calloc((size_t)(6 * np + 1), sizeof(double));
    if (rank == 0 && np)
        res->probe = malloc(sizeof(double) * (size_t)o->steps * 6 * np + 1);
    int nen = o->energy_out ? o->steps / o->energy_every + 1 : 0;
    if (rank == 0 && nen) {
        res->energy = malloc(sizeof(double) * (size_t)nen);
        for (int q = 0; q < nen; q++) /* NaN: not computed by this run */
            res->energy[q] = NAN;
    }
    double e_acc = 0, h_acc = 0; /* the threads' parts, added atomically */
    int alone = nb[0] < 0 && nb[1] < 0 && nb[2] < 0 && nb[3] < 0 && nb[4] < 0 && nb[5] < 0;
    double t0 = 0;
    void *const a6[6] = {f.ex, f.ey, f.ez, f.hx, f.hy, f.hz};
    int ck_bad = 0, ck_stop = 0;
    res->first = res->last = (int)ck->start;
    #pragma omp parallel
    {
        int t = omp_get_thread_num();
        place_counters *ctr = NULL;
        place_counters_open(&ctr, NULL);
        res->ti[t].pu = sched_getcpu();
        res->ti[t].node = numa_available() < 0 ? 0 : numa_node_of_cpu(res->ti[t].pu);
        FN(first_touch)(&f, g);
        uint64_t rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(rank * 1024 + t + 1);
        #pragma omp barrier
        #pragma omp master
        {
            if (ck->start) { /* into the pages the threads touched first */
                ck_state st;
                ck_bad = ck_restart_read(o->restart, &ck->run, ck->start, a6,
                                         cells * sizeof(REAL), &st, ck->err,
                                         sizeof ck->err) < 0;
            }
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
        }
        place_counters_read(ctr, res->ti[t].ctr0);
        #pragma omp barrier
        if (ck->start && !ck_bad && nen && ck->start % o->energy_every == 0) {
            double s = FN(sum_e2)(&f, g); /* step start's E^2, as its run would have */
            #pragma omp atomic
            e_acc += s;
        }
        for (int n = (int)ck->start + 1; !ck_bad && n <= o->steps; n++) {
            int want_energy = nen && (n - 1) % o->energy_every == 0 && n > 1;
            place_steprec_work_begin(res->rec, t);
            if (alone && !want_energy) { /* one sweep: H and E fused */
                FN(update_fused)(&f, g, c1);
                inject(o, &rng);
                place_steprec_work_end(res->rec, t);
                #pragma omp barrier
                #pragma omp master
                {
                    if (own_src)
                        f.ez[src_at] += (REAL)source_value(o, n * dt);
                    FN(step_probes)(o, g, &f, pv, pr, res, n);
                    place_steprec_step_end(res->rec);
                }
                if (nen && n % o->energy_every == 0) {
                    double s = FN(sum_e2)(&f, g);
                    #pragma omp atomic
                    e_acc += s;
                }
                #pragma omp barrier
                goto step_done;
            }
            double hd = FN(update_h)(&f, g, c1, want_energy);
            place_steprec_work_pause(res->rec, t);
            if (want_energy) { /* H(n-3/2) . H(n-1/2): completes step n-1's energy */
                #pragma omp atomic
                h_acc += hd;
            }
            #pragma omp master
            exchange_h(&h, f.hx, f.hy, f.hz);
            #pragma omp barrier
            place_steprec_work_resume(res->rec, t);
            FN(update_e)(&f, g, c1);
            inject(o, &rng);
            place_steprec_work_end(res->rec, t);
            #pragma omp barrier
            #pragma omp master
            {
                if (want_energy) {
                    double loc[2] = {e_acc, h_acc}, glob[2];
                    e_acc = h_acc = 0;
                    MPI_Reduce(loc, glob, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
                    if (rank == 0)
                        res->energy[(n - 1) / o->energy_every] =
                            0.5 * EPS0 * o->dx * o->dx * o->dx * (glob[0] + glob[1]);
                }
                if (own_src)
                    f.ez[src_at] += (REAL)source_value(o, n * dt);
                exchange_e(&h, f.ex, f.ey, f.ez);
                FN(step_probes)(o, g, &f, pv, pr, res, n);
                place_steprec_step_end(res->rec);
            }
            if (nen && n % o->energy_every == 0) {
                double s = FN(sum_e2)(&f, g); /* E(n)^2: an omp for, all threads */
                #pragma omp atomic
                e_acc += s;
            }
        #pragma omp barrier
        step_done:
            #pragma omp master
            res->last = n;
            if (ck->on) {
                #pragma omp master
                ck_point(ck, n, o->steps, a6, cells * sizeof(REAL), &ck_stop);
                #pragma omp barrier
                if (ck_stop)
                    break;
            }
        }
        place_counters_read(ctr, res->ti[t].ctr1);
        place_counters_close(ctr);
    }
    if (ck_bad)
        die("%s", ck->err);
    double dtloc = MPI_Wtime() - t0;
    MPI_Allreduce(&dtloc, &res->seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    res->nenergy = nen;
    /* page locality of Ez against the threads' nodes (its x slabs, schedule(static)) */
    int *owner = malloc(sizeof(int) * (size_t)(T + 2));
    place_partition part;
    owner[0] = res->ti[0].node;
    for (int k = 0; k < T; k++)
        owner[k + 1] = res->ti[k].node;
    owner[T + 1] = res->ti[T - 1].node;
    if (place_partition_static(&part, (size_t)g->nx, (size_t)si * sizeof(REAL), T, owner + 1,
                               &e) == 0) {
        /* the slabs sit after ghost plane 0; fold it and the top planes into the ends */
        for (int k = 1; k <= T; k++)
            part.off[k] += (size_t)si * sizeof(REAL);
        part.off[T] = arr[2].bytes;
        res->loc_ok = place_locality_query(&arr[2], &part, &res->loc, &e) == 0;
        place_partition_free(&part);
    }
    free(owner);
    free(pv);
    free(pr);
    for (int c = 0; c < 6; c++)
        place_array_free(&arr[c]);
}

#undef FN
