/* assign.c: reading a rank's assignment back from the plan file placerun exported.
 *
 * A solver under placerun finds PLACE_PLAN (the node's plan, "place-plan/1" JSON) and
 * PLACE_RANK in its environment; this module reads that file with jansson and returns
 * the rank's entry, so that the solver uses exactly what placerun applied instead of
 * recomputing it (and perhaps getting another answer on another library version).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "place/launch.h"

void place_assignment_free(place_assignment *a)
{
    if (!a)
        return;
    free(a->thread_pu_os);
    a->thread_pu_os = NULL;
}

static int bad(place_error *err, const char *path, const char *what)
{
    return place_error_set(err, PLACE_EINVAL, "plan file '%.200s': %s; expected a plan written by "
                           "placerun (schema place-plan/1)", path, what);
}

static int read_triple_ll(json_t *a, long long v[3])
{
    if (!json_is_array(a) || json_array_size(a) != 3)
        return -1;
    for (int i = 0; i < 3; i++) {
        json_t *x = json_array_get(a, (size_t)i);
        if (!json_is_integer(x))
            return -1;
        v[i] = json_integer_value(x);
    }
    return 0;
}

static int read_grid(place_assignment *a, json_t *root, json_t *r)
{
    json_t *g = json_object_get(root, "grid");
    if (!g)
        return 0;
    long long dims[3], coords[3];
    json_t *box = json_object_get(r, "box"), *nb = json_object_get(r, "neighbors");
    if (read_triple_ll(json_object_get(g, "global"), a->global) < 0 ||
        read_triple_ll(json_object_get(g, "dims"), dims) < 0 ||
        read_triple_ll(json_object_get(r, "coords"), coords) < 0 || !box ||
        read_triple_ll(json_object_get(box, "lo"), a->lo) < 0 ||
        read_triple_ll(json_object_get(box, "hi"), a->hi) < 0 || !json_is_array(nb) ||
        json_array_size(nb) != 6)
        return -1;
    for (int i = 0; i < 3; i++) {
        a->dims[i] = (int)dims[i];
        a->coords[i] = (int)coords[i];
    }
    for (int i = 0; i < 6; i++) {
        json_t *x = json_array_get(nb, (size_t)i);
        a->neighbor[i] = json_is_integer(x) ? (int)json_integer_value(x) : -1;
    }
    a->has_grid = 1;
    return 0;
}

int place_assignment_load(place_assignment *a, const char *path, int rank, place_error *err)
{
    memset(a, 0, sizeof *a);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return place_error_set(err, PLACE_EINVAL, "plan file '%.200s': %s (line %d); expected a "
                               "plan written by placerun", path, je.text, je.line);
    int rc = -1;
    const char *schema = NULL;
    json_t *ranks = NULL, *req = NULL;
    if (json_unpack(root, "{s:s,s:o,s:o}", "schema", &schema, "ranks", &ranks, "request", &req) ||
        strcmp(schema, PLACE_PLAN_SCHEMA) || !json_is_array(ranks)) {
        bad(err, path, "no place-plan/1 schema, request or ranks");
        goto out;
    }
    json_unpack(req, "{s?i}", "ranks", &a->size);
    size_t i;
    json_t *r = NULL;
    json_array_foreach(ranks, i, r) {
        json_int_t rr = -1;
        if (json_unpack(r, "{s:I}", "rank", &rr) == 0 && rr == rank)
            break;
    }
    if (i == json_array_size(ranks)) {
        place_error_set(err, PLACE_EINVAL, "plan file '%.200s' has no entry for rank %d (it holds "
                        "%zu ranks of this node)", path, rank, json_array_size(ranks));
        goto out;
    }
    const char *cpuset = NULL;
    json_t *numa = NULL, *threads = NULL;
    if (json_unpack(r, "{s:i,s:i,s:s,s:o,s:o}", "node", &a->node, "local_rank", &a->local_rank,
                    "cpuset", &cpuset, "numa", &numa, "threads", &threads) ||
        !json_is_array(numa) || !json_is_array(threads) || strlen(cpuset) >= sizeof a->cpuset) {
        bad(err, path, "a rank entry lacks node, local_rank, cpuset, numa or threads");
        goto out;
    }
    a->rank = rank;
    a->local_size = (int)json_array_size(ranks);
    strcpy(a->cpuset, cpuset);
    a->nnuma = 0;
    json_t *x;
    json_array_foreach(numa, i, x) {
        if (a->nnuma < 64 && json_is_integer(x))
            a->numa_os[a->nnuma++] = (int)json_integer_value(x);
    }
    a->nthreads = (int)json_array_size(threads);
    a->thread_pu_os = calloc((size_t)a->nthreads + 1, sizeof(int));
    if (!a->thread_pu_os) {
        place_error_set(err, PLACE_ENOMEM, "out of memory");
        goto out;
    }
    json_array_foreach(threads, i, x) {
        int pu = -1;
        if (json_unpack(x, "{s:i}", "pu", &pu) || pu < 0) {
            bad(err, path, "a thread entry lacks its pu");
            goto out;
        }
        a->thread_pu_os[i] = pu;
    }
    if (read_grid(a, root, r) < 0) {
        bad(err, path, "grid, box, coords or neighbors malformed");
        goto out;
    }
    rc = 0;
out:
    if (rc)
        place_assignment_free(a);
    json_decref(root);
    return rc;
}

int place_assignment_from_env(place_assignment *a, place_error *err)
{
    const char *path = getenv("PLACE_PLAN"), *rank = getenv("PLACE_RANK");
    if (!path || !*path)
        return place_error_set(err, PLACE_EINVAL, "PLACE_PLAN is not set; run under placerun, "
                               "which exports the node's plan");
    int r;
    if (place_parse_int("PLACE_RANK", rank, 0, 1 << 30, &r, err) < 0)
        return -1;
    return place_assignment_load(a, path, r, err);
}
