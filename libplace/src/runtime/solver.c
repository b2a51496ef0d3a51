/* solver.c: a rank's whole placement for a grid solver (place/solver.h), under placerun,
 * under a launcher, or alone. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "contract/contract_private.h"
#include "place/bind.h"
#include "place/jobplan.h"
#include "place/runenv.h"
#include "place/solver.h"

const char *place_source_name(place_source s)
{
    return s == PLACE_SOURCE_PLACERUN   ? "placerun"
           : s == PLACE_SOURCE_LAUNCHER ? "launcher"
                                        : "alone";
}

void place_solver_req_init(place_solver_req *q, int64_t nx, int64_t ny, int64_t nz)
{
    memset(q, 0, sizeof *q);
    q->grid[0] = nx;
    q->grid[1] = ny;
    q->grid[2] = nz;
    q->rank = q->size = -1;
}

void place_subdomain_free(place_subdomain *s)
{
    if (!s)
        return;
    place_notes n = {s->nnotes, s->notes};
    place_notes_free(&n);
    free(s->thread_pu);
    free(s->thread_numa);
    free(s->cpuset);
    free(s->gpus);
    free(s->nics);
    free(s);
}

static void note(place_subdomain *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(place_subdomain *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    place_notes n = {s->nnotes, s->notes}; /* the public fields, kept by the one helper */
    place_notes_add(&n, "%s", buf);
    s->nnotes = n.n;
    s->notes = n.v;
}

/* The launcher's view, reconciled with what the caller's MPI says. */
static int who(const place_solver_req *q, place_launch *l, place_subdomain *s, place_error *err)
{
    int given = q->rank >= 0 || q->size >= 0;
    if (given && (q->size < 1 || q->rank < 0 || q->rank >= q->size))
        return place_error_set(err, PLACE_EINVAL,
                               "rank %d of %d: expected 0 <= rank < size (from "
                               "MPI_Comm_rank and MPI_Comm_size), or both -1",
                               q->rank, q->size);
    place_error e;
    if (place_launch_detect(l, &e) < 0) {
        /* MPI knows the ranks, the environment does not say enough (a singleton MPI
         * process has PMIX_RANK and no size): the caller's numbers decide */
        if (!given) {
            if (err)
                *err = e;
            return -1;
        }
        memset(l, 0, sizeof *l);
        l->launcher = "none";
        l->size = l->local_size = 1;
        if (q->size > 1)
            note(s, "the launcher's variables say too little (%s)", e.msg);
    }
    if (!given)
        return 0;
    if (!strcmp(l->launcher, "none")) {
        if (q->size > 1) {
            /* a launcher place does not know: the node's other ranks are unknown */
            l->rank = q->rank;
            l->size = q->size;
            l->node = -1;
            note(s,
                 "the launcher is not one place knows: rank %d of %d runs unbound, and the "
                 "decomposition ignores nodes (run it under placerun)",
                 q->rank, q->size);
        }
        return 0;
    }
    if (l->rank != q->rank || l->size != q->size)
        return place_error_set(err, PLACE_EINVAL,
                               "MPI says rank %d of %d, the launcher (%s) says "
                               "%d of %d; expected the job's communicator (MPI_COMM_WORLD)",
                               q->rank, q->size, l->launcher, l->rank, l->size);
    return 0;
}

static int take_assignment(place_subdomain *s, const place_assignment *a, int nthreads,
                           place_error *err)
{
    s->rank = a->rank;
    s->size = a->size;
    s->local_rank = a->local_rank;
    s->local_size = a->local_size;
    s->node = a->node;
    s->nthreads = nthreads ? nthreads : a->nthreads;
    s->cpuset = place_strdup(a->cpuset ? a->cpuset : "");
    if ((a->gpus && !(s->gpus = place_strdup(a->gpus))) ||
        (a->nics && !(s->nics = place_strdup(a->nics))))
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    s->thread_pu = malloc(sizeof(int) * (size_t)s->nthreads);
    s->thread_numa = malloc(sizeof(int) * (size_t)s->nthreads);
    if (!s->cpuset || !s->thread_pu || !s->thread_numa)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    for (int t = 0; t < s->nthreads; t++) {
        s->thread_pu[t] = t < a->nthreads ? a->thread_pu_os[t] : -1;
        s->thread_numa[t] = -1;
    }
    if (a->nthreads && s->nthreads != a->nthreads)
        note(s, "the solver runs %d threads, the plan has %d%s", s->nthreads, a->nthreads,
             s->nthreads > a->nthreads ? ": the threads beyond the plan are not bound" : "");
    return 0;
}

static void set_box(place_subdomain *s, const int64_t global[3], const int dims[3],
                    const place_box *b, int ghost)
{
    memcpy(s->global, global, sizeof s->global);
    memcpy(s->dims, dims, sizeof s->dims);
    s->box = *b;
    s->ghost = ghost;
    for (int i = 0; i < 3; i++) {
        s->n[i] = b->hi[i] - b->lo[i];
        s->alloc[i] = s->n[i] + 2 * (int64_t)ghost;
    }
}

/* The box of `rank` in a decomposition over `size` ranks that knows no nodes. */
static int box_without_plan(place_subdomain *s, const place_solver_req *q, int rank, int size,
                            place_error *err)
{
    place_decomp *d;
    if (place_decomp_compute(&d, q->grid, NULL, size, q->decomp_flags, err) < 0)
        return -1;
    place_box b;
    int dims[3];
    place_decomp_rank(d, rank, &b, NULL);
    place_decomp_dims(d, dims);
    set_box(s, q->grid, dims, &b, q->ghost);
    place_decomp_free(d);
    return 0;
}

/* Under placerun: its plan file. */
static int from_placerun(place_subdomain *s, const place_solver_req *q, place_error *err)
{
    place_assignment a;
    if (place_assignment_from_env(&a, err) < 0)
        return -1;
    int rc = -1;
    s->source = PLACE_SOURCE_PLACERUN;
    if (q->size >= 0 && (a.rank != q->rank || a.size != q->size)) {
        place_error_set(err, PLACE_EINVAL,
                        "MPI says rank %d of %d, placerun's plan says %d of %d; "
                        "expected placerun under the job's own launcher",
                        q->rank, q->size, a.rank, a.size);
        goto out;
    }
    if (take_assignment(s, &a, q->nthreads, err) < 0)
        goto out;
    if (a.has_grid) {
        for (int i = 0; i < 3; i++)
            if (a.global[i] != q->grid[i]) {
                place_error_set(err, PLACE_EINVAL,
                                "grid %lldx%lldx%lld differs from placerun's "
                                "--grid %lldx%lldx%lld; give both the same",
                                (long long)q->grid[0], (long long)q->grid[1], (long long)q->grid[2],
                                (long long)a.global[0], (long long)a.global[1],
                                (long long)a.global[2]);
                goto out;
            }
        set_box(s, a.global, a.dims, &a.box, q->ghost);
    } else {
        if (box_without_plan(s, q, a.rank, a.size, err) < 0)
            goto out;
        if (a.size > 1)
            note(s, "placerun was run without --grid: the decomposition ignores nodes and NUMA "
                    "nodes (give placerun --grid for one that follows them)");
    }
    rc = 0;
out:
    place_assignment_fini(&a);
    return rc;
}

/* Without placerun: the plan placerun's shim would compute. */
static int computed(place_subdomain *s, const place_solver_req *q, place_topo **topo,
                    place_error *err)
{
    place_launch l;
    if (who(q, &l, s, err) < 0)
        return -1;
    s->source =
        strcmp(l.launcher, "none") || l.size > 1 ? PLACE_SOURCE_LAUNCHER : PLACE_SOURCE_ALONE;
    if (l.node < 0) { /* ranks of an unknown launcher: nothing to plan threads with */
        place_assignment a = {.rank = l.rank, .size = l.size, .node = -1, .local_size = 1};
        if (take_assignment(s, &a, q->nthreads ? q->nthreads : 1, err) < 0)
            return -1;
        return box_without_plan(s, q, l.rank, l.size, err);
    }
    place_request req;
    place_request_init(&req);
    req.threads = q->nthreads;
    place_jobplan jp;
    place_error e;
    if (place_jobplan_compute(&jp, &l, NULL, NULL, &req, q->grid, q->decomp_flags, &e) < 0) {
        if (e.code != PLACE_EINFEASIBLE) {
            if (err)
                *err = e;
            return -1;
        }
        req.oversubscribe = 1;
        if (place_jobplan_compute(&jp, &l, NULL, NULL, &req, q->grid, q->decomp_flags, err) < 0)
            return -1;
        note(s, "%s; threads share PUs (oversubscribed)", e.msg);
    }
    place_assignment a;
    int rc = place_jobplan_assignment(&jp, &l, &a, err);
    if (rc == 0)
        rc = take_assignment(s, &a, 0, err);
    if (rc == 0)
        set_box(s, a.global, a.dims, &a.box, q->ghost);
    place_assignment_fini(&a);
    *topo = jp.topo; /* kept for the NUMA nodes */
    jp.topo = NULL;
    place_jobplan_fini(&jp);
    return rc;
}

int place_subdomain_get(place_subdomain **out, const place_solver_req *q, place_error *err)
{
    *out = NULL;
    for (int i = 0; i < 3; i++)
        if (q->grid[i] < 1)
            return place_error_set(err, PLACE_EINVAL,
                                   "grid %lldx%lldx%lld: expected at least one "
                                   "cell per axis",
                                   (long long)q->grid[0], (long long)q->grid[1],
                                   (long long)q->grid[2]);
    if (q->ghost < 0 || q->ghost > 64 || q->nthreads < 0 || q->nthreads > PLACE_MAX_PU_INDEX + 1)
        return place_error_set(err, PLACE_EINVAL,
                               "ghost %d, threads %d: expected 0 to 64 ghost "
                               "layers and 0 to %d threads",
                               q->ghost, q->nthreads, PLACE_MAX_PU_INDEX + 1);
    place_subdomain *s = calloc(1, sizeof *s);
    if (!s)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    place_topo *topo = NULL;
    int rc = place_env_placed() ? from_placerun(s, q, err) : computed(s, q, &topo, err);
    if (rc == 0 && !topo && place_topo_load(&topo, NULL, 0, NULL) < 0)
        note(s, "the topology could not be loaded: the threads' NUMA nodes are unknown");
    for (int t = 0; rc == 0 && topo && t < s->nthreads; t++)
        s->thread_numa[t] = s->thread_pu[t] < 0 ? -1 : place_topo_pu_numa(topo, s->thread_pu[t]);
    place_topo_free(topo);
    if (rc == 0)
        for (int i = 0; i < 3; i++)
            if (s->n[i] < 1)
                rc = place_error_set(err, PLACE_EINVAL,
                                     "rank %d's box is empty along %c; expected "
                                     "at least one cell per rank",
                                     s->rank, "xyz"[i]);
    if (rc < 0) {
        place_subdomain_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void place_subdomain_slab(const place_subdomain *s, int t, place_box *slab)
{
    place_box_thread_slab(&s->box, s->nthreads, t, slab);
}

int place_bind_self_thread(const place_subdomain *s, int t, place_error *err)
{
    int pu;
    if (!s) {
        if (place_env_thread_pu(t, &pu, err) < 0)
            return -1;
    } else if (t < 0 || t >= s->nthreads || s->thread_pu[t] < 0) {
        return place_error_set(err, PLACE_EINVAL, "thread %d: the plan has threads 0 to %d%s", t,
                               s->nthreads - 1,
                               t >= 0 && t < s->nthreads ? ", and this one is not "
                                                           "planned"
                                                         : "");
    } else {
        pu = s->thread_pu[t];
    }
    return place_bind_thread_pu(pu, err);
}

int place_subdomain_alloc(const place_subdomain *s, size_t elem_bytes, place_array *a,
                          place_partition *part, place_error *err)
{
    memset(part, 0, sizeof *part);
    size_t plane = (size_t)s->alloc[1] * (size_t)s->alloc[2] * elem_bytes;
    if (elem_bytes == 0 || plane / elem_bytes / (size_t)s->alloc[2] != (size_t)s->alloc[1] ||
        (size_t)s->alloc[0] > SIZE_MAX / plane)
        return place_error_set(err, PLACE_EINVAL,
                               "array of %lldx%lldx%lld elements of %zu bytes: "
                               "too large",
                               (long long)s->alloc[0], (long long)s->alloc[1],
                               (long long)s->alloc[2], elem_bytes);
    if (place_array_alloc(a, plane * (size_t)s->alloc[0], 0, err) < 0)
        return -1;
    int *owner = malloc(sizeof(int) * (size_t)s->nthreads);
    if (!owner) {
        place_array_fini(a);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    for (int t = 0; t < s->nthreads; t++)
        owner[t] = s->thread_numa[t] < 0 ? 0 : s->thread_numa[t];
    int rc = place_partition_static(part, (size_t)s->n[0], plane, s->nthreads, owner, err);
    free(owner);
    if (rc < 0) {
        place_array_fini(a);
        return -1;
    }
    /* the owned planes start after the lower ghosts; the ghosts go to the end threads */
    for (int t = 1; t < s->nthreads; t++)
        part->off[t] += (size_t)s->ghost * plane;
    part->off[s->nthreads] = a->bytes;
    return 0;
}
