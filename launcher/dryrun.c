/* dryrun.c: placerun --plan: load a topology (this machine's or a described one),
 * compute the plan and print it; nothing runs and nothing is bound.
 */
#include <stdio.h>
#include <string.h>
#include "placerun.h"

/* To standard output, or atomically to -o FILE (a failed run leaves no truncated plan). */
static int write_plan(const options *o, const place_plan *plan, const place_decomp *d,
                      place_error *e)
{
    int json = !strcmp(o->format, "json");
    if (!o->output)
        return json ? place_plan_write_json(plan, d, stdout, e)
                    : place_plan_write_text(plan, d, stdout, e);
    place_wfile w;
    if (place_wfile_open(&w, "-o", o->output, e) < 0)
        return -1;
    int rc = json ? place_plan_write_json(plan, d, w.f, e) : place_plan_write_text(plan, d, w.f, e);
    if (rc == 0)
        return place_wfile_commit(&w, e);
    place_wfile_free(&w);
    return -1;
}

int placerun_plan_mode(const options *o)
{
    place_error e;
    place_topo *topo = NULL;
    unsigned flags = PLACE_TOPO_THIS_BINDING | (o->devices ? PLACE_TOPO_DEVICES : 0);
    if (place_topo_load(&topo, o->topology, flags, &e) < 0)
        return placerun_fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    if (o->allowed && place_topo_restrict(topo, o->allowed, &e) < 0) {
        place_topo_free(topo);
        return placerun_fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    }
    place_plan *plan = NULL;
    place_decomp *d = NULL;
    int rc = 0;
    /* GPUs a batch system left to this step (Slurm's variables), as a rank would see them */
    place_gpu_scope scope = {0};
    place_request req = o->req;
    if (o->devices && place_gpu_scope_from_env(&scope, topo, &e) < 0) {
        place_topo_free(topo);
        return placerun_fail(&e, 2);
    }
    place_gpu_scope_apply(&scope, &req);
    if (place_plan_compute(&plan, topo, &req, &e) < 0)
        rc = placerun_fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    else if (o->grid && place_decomp_compute(&d, o->n, plan, 0, o->decomp_flags, &e) < 0)
        rc = placerun_fail(&e, 2);
    else if (write_plan(o, plan, d, &e) < 0)
        rc = placerun_fail(&e, 1);
    place_decomp_free(d);
    place_plan_free(plan);
    place_gpu_scope_free(&scope);
    place_topo_free(topo);
    return rc;
}

