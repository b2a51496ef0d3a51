/* test_topo.c: loading machines (native, XML, synthetic, environment) and what the
 * topology module derives from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "place.h"

#define FIXTURE(name) PLACE_FIXTURES "/" name

static void test_native_machine_loads_with_its_cores(void **s)
{
    place_topo *t = NULL;
    place_error e;
    unsetenv("HWLOC_XMLFILE");
    unsetenv("HWLOC_SYNTHETIC");
    assert_int_equal(place_topo_load(&t, "native", 0, &e), 0);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_string_equal(ti.source, "native");
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(ti.pus, online);
    assert_true(ti.usable_cores >= 1 && ti.usable_cores <= ti.cores);
    assert_true(ti.domains >= 1);
    place_topo_free(t);
}

static void test_synthetic_counts_every_level(void **s)
{
    place_topo *t = NULL;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:4 numa:2 core:3 pu:2", 0, &e), 0);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.packages, 4);
    assert_int_equal(ti.numa_nodes, 8);
    assert_int_equal(ti.cores, 24);
    assert_int_equal(ti.pus, 48);
    assert_int_equal(ti.usable_pus, 48);
    assert_int_equal(ti.domains, 8);
    assert_int_equal(ti.max_pus_per_core, 2);
    assert_int_equal(ti.memory_only_numa, 0);
    assert_int_equal(place_topo_numa_distance(t, 0, 1), -1); /* none described */
    place_topo_free(t);
}

static void test_xml_by_path_and_by_environment_agree(void **s)
{
    place_topo *a = NULL, *b = NULL;
    place_error e;
    assert_int_equal(place_topo_load(&a, FIXTURE("epyc-2s-nps4.xml"), 0, &e), 0);
    setenv("HWLOC_XMLFILE", FIXTURE("epyc-2s-nps4.xml"), 1);
    assert_int_equal(place_topo_load(&b, NULL, 0, &e), 0);
    unsetenv("HWLOC_XMLFILE");
    place_topo_info ia, ib;
    place_topo_get_info(a, &ia);
    place_topo_get_info(b, &ib);
    assert_int_equal(ia.cores, 64);
    assert_int_equal(ib.cores, 64);
    assert_int_equal(ia.domains, 8);
    assert_int_equal(ib.domains, 8);
    assert_non_null(strstr(ib.source, "epyc-2s-nps4.xml"));
    assert_int_equal(place_topo_domain_numa_os(b, 7), 7);
    place_topo_free(a);
    place_topo_free(b);
}

static void test_missing_xml_in_environment_is_an_error_not_a_fallback(void **s)
{
    place_topo *t = NULL;
    place_error e;
    setenv("HWLOC_XMLFILE", "/nonexistent/machine.xml", 1);
    assert_int_equal(place_topo_load(&t, NULL, 0, &e), -1);
    unsetenv("HWLOC_XMLFILE");
    assert_null(t);
    assert_int_equal(e.code, PLACE_ENOENT);
    assert_non_null(strstr(e.msg, "/nonexistent/machine.xml"));
}

static void test_synthetic_from_environment(void **s)
{
    place_topo *t = NULL;
    place_error e;
    setenv("HWLOC_SYNTHETIC", "pack:3 core:2 pu:1", 1);
    assert_int_equal(place_topo_load(&t, "native", 0, &e), 0);
    unsetenv("HWLOC_SYNTHETIC");
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.packages, 3);
    assert_string_equal(ti.source, "synthetic:pack:3 core:2 pu:1");
    place_topo_free(t);
}

static void test_bad_specifications_give_one_line_errors(void **s)
{
    static const char *bad[] = {
        "synthetic:", "synthetic:pack:x", "synthetic:core:2 pack:2", "bogus", "missing.xml",
        "xml:",       "xml:/etc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        place_topo *t = NULL;
        place_error e;
        place_error_clear(&e);
        assert_int_equal(place_topo_load(&t, bad[i], 0, &e), -1);
        assert_null(t);
        assert_true(e.code != PLACE_OK);
        assert_true(strlen(e.msg) > 10);
        assert_null(strchr(e.msg, '\n'));
    }
}

static void test_restrict_limits_usable_pus_like_taskset(void **s)
{
    place_topo *t = NULL;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:2 core:4 pu:2", 0, &e), 0);
    assert_int_equal(place_topo_restrict(t, "0-5,8", &e), 0);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.usable_pus, 7);
    assert_int_equal(ti.usable_cores, 4); /* cores 0,1,2 and 4 */
    assert_string_equal(place_topo_disallowed_pus(t), "6-7,9-15");
    assert_int_equal(place_topo_restrict(t, "1-2x", &e), -1);
    assert_int_equal(e.code, PLACE_EINVAL);
    assert_int_equal(place_topo_restrict(t, "100-200", &e), -1);
    assert_int_equal(e.code, PLACE_EINFEASIBLE);
    assert_int_equal(place_topo_restrict(t, "", &e), -1);
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.usable_pus, 7); /* failed restrictions change nothing */
    place_topo_free(t);
}

static void test_cpu_kinds_are_read_with_efficiency(void **s)
{
    place_topo *t = NULL;
    place_error e;
    assert_int_equal(place_topo_load(&t, FIXTURE("hybrid-8p8e.xml"), 0, &e), 0);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.cpukinds, 2);
    assert_int_equal(ti.cores, 16);
    assert_int_equal(ti.pus, 24);
    const char *pus, *type;
    int eff;
    assert_int_equal(place_topo_cpukind(t, 1, &pus, &eff, &type), 0);
    assert_string_equal(pus, "0-15");
    assert_int_equal(eff, 1);
    assert_string_equal(type, "IntelCore");
    assert_int_equal(place_topo_cpukind(t, 2, &pus, &eff, &type), -1);
    place_topo_free(t);
}

static void test_memory_only_node_at_machine_level(void **s)
{
    place_topo *t = NULL;
    place_error e;
    assert_int_equal(
        place_topo_load(&t, "synthetic:[numa(memory=64GB)] pack:2 [numa] core:8 pu:2", 0, &e), 0);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    assert_int_equal(ti.numa_nodes, 3);
    assert_int_equal(ti.domains, 2);
    assert_int_equal(ti.memory_only_numa, 1);
    /* The machine-level node comes first in hwloc's logical order, yet is no core's. */
    int os = place_topo_memory_only_numa_os(t, 0);
    assert_true(os != place_topo_domain_numa_os(t, 0) && os != place_topo_domain_numa_os(t, 1));
    place_topo_free(t);
}

/* The library a test runs with was built as the header it was compiled against says. */
static void test_api_version(void **s)
{
    (void)s;
    assert_int_equal(place_api_version(), PLACE_API_VERSION);
    assert_true(PLACE_API_VERSION >= 101);
    /* the names of version 100 still link and do what the new ones do */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    int64_t lo, hi, lo2, hi2;
    place_split(1000, 7, 3, &lo, &hi);
    place_decomp_split(1000, 7, 3, &lo2, &hi2);
    assert_true(lo == lo2 && hi == hi2 && hi > lo);
    assert_true(place_harmonic(10) == place_model_harmonic(10));
    place_gpu_scope sc = {0};
    sc.from = strdup("CUDA_VISIBLE_DEVICES=0");
    place_gpu_scope_free(&sc);
    assert_null(sc.from);
#pragma GCC diagnostic pop
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_machine_loads_with_its_cores),
        cmocka_unit_test(test_api_version),
        cmocka_unit_test(test_synthetic_counts_every_level),
        cmocka_unit_test(test_xml_by_path_and_by_environment_agree),
        cmocka_unit_test(test_missing_xml_in_environment_is_an_error_not_a_fallback),
        cmocka_unit_test(test_synthetic_from_environment),
        cmocka_unit_test(test_bad_specifications_give_one_line_errors),
        cmocka_unit_test(test_restrict_limits_usable_pus_like_taskset),
        cmocka_unit_test(test_cpu_kinds_are_read_with_efficiency),
        cmocka_unit_test(test_memory_only_node_at_machine_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
