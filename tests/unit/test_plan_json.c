/* test_plan_json.c: the "place-plan/1" JSON contract of docs/plan-json.md, read back with
 * jansson: every required field, with values that agree with the plan's accessors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

static json_t *plan_json(const char *topo, place_request q, place_plan **pp, place_topo **tp)
{
    place_error e;
    assert_int_equal(place_topo_load(tp, topo, 0, &e), 0);
    assert_int_equal(place_plan_compute(pp, *tp, &q, &e), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(place_plan_write_json(*pp, NULL, f, &e), 0);
    fclose(f);
    json_error_t je;
    json_t *o = json_loads(buf, 0, &je);
    if (!o)
        print_error("JSON does not parse: %s at line %d\n", je.text, je.line);
    assert_non_null(o);
    free(buf);
    return o;
}

static void test_json_has_every_required_field(void **s)
{
    place_request q;
    place_request_init(&q);
    q.ranks = 6;
    q.nodes = 2;
    q.threads = 2;
    place_plan *p;
    place_topo *t;
    json_t *o = plan_json("synthetic:pack:2 numa:2 core:4 pu:2", q, &p, &t);
    assert_string_equal(json_string_value(json_object_get(o, "schema")), "place-plan/1");
    json_t *topo = json_object_get(o, "topology");
    assert_true(json_is_string(json_object_get(topo, "source")));
    assert_int_equal(json_integer_value(json_object_get(topo, "packages")), 2);
    assert_int_equal(json_integer_value(json_object_get(topo, "numa_nodes")), 4);
    assert_int_equal(json_integer_value(json_object_get(topo, "cores")), 16);
    assert_int_equal(json_integer_value(json_object_get(topo, "pus")), 32);
    json_t *req = json_object_get(o, "request");
    assert_int_equal(json_integer_value(json_object_get(req, "ranks")), 6);
    assert_int_equal(json_integer_value(json_object_get(req, "nodes")), 2);
    assert_int_equal(json_integer_value(json_object_get(req, "threads_per_rank")), 2);
    assert_string_equal(json_string_value(json_object_get(req, "policy")), "numa");
    assert_null(json_object_get(o, "grid")); /* only with --grid */
    json_t *ranks = json_object_get(o, "ranks");
    assert_int_equal(json_array_size(ranks), 6);
    for (int r = 0; r < 6; r++) {
        json_t *jr = json_array_get(ranks, (size_t)r);
        place_rank_info ri;
        place_plan_rank(p, r, &ri, NULL);
        assert_int_equal(json_integer_value(json_object_get(jr, "rank")), r);
        assert_int_equal(json_integer_value(json_object_get(jr, "node")), ri.node);
        assert_int_equal(json_integer_value(json_object_get(jr, "local_rank")), ri.local_rank);
        assert_string_equal(json_string_value(json_object_get(jr, "cpuset")), ri.cpuset);
        json_t *numa = json_object_get(jr, "numa");
        assert_int_equal(json_array_size(numa), ri.nnuma);
        assert_int_equal(json_integer_value(json_array_get(numa, 0)), ri.numa_os[0]);
        json_t *th = json_object_get(jr, "threads");
        assert_int_equal(json_array_size(th), 2);
        for (int i = 0; i < 2; i++) {
            json_t *ti = json_array_get(th, (size_t)i);
            assert_int_equal(json_integer_value(json_object_get(ti, "thread")), i);
            assert_int_equal(json_integer_value(json_object_get(ti, "pu")), ri.thread_pu_os[i]);
        }
    }
    /* node 1 starts at rank 3 */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ranks, 3), "node")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ranks, 3), "local_rank")),
                     0);
    json_decref(o);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_json_reports_what_the_plan_left_out(void **s)
{
    place_request q;
    place_request_init(&q);
    place_plan *p;
    place_topo *t;
    json_t *o = plan_json("xml:" PLACE_FIXTURES "/offline-pus.xml", q, &p, &t);
    json_t *topo = json_object_get(o, "topology");
    assert_string_equal(json_string_value(json_object_get(topo, "offline_pus")), "3,12-13");
    json_t *notes = json_object_get(o, "notes");
    int found = 0;
    for (size_t i = 0; i < json_array_size(notes); i++)
        found |= strstr(json_string_value(json_array_get(notes, i)), "offline") != NULL;
    assert_true(found);
    json_decref(o);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_json_distances_are_a_matrix(void **s)
{
    place_request q;
    place_request_init(&q);
    q.ranks = 8;
    place_plan *p;
    place_topo *t;
    json_t *o = plan_json("xml:" PLACE_FIXTURES "/epyc-2s-nps4.xml", q, &p, &t);
    json_t *d = json_object_get(json_object_get(o, "topology"), "numa_distances");
    json_t *m = json_object_get(d, "matrix");
    assert_int_equal(json_array_size(m), 8);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(m, 0), 4)), 32);
    json_decref(o);
    place_plan_free(p);
    place_topo_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_has_every_required_field),
        cmocka_unit_test(test_json_reports_what_the_plan_left_out),
        cmocka_unit_test(test_json_distances_are_a_matrix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
