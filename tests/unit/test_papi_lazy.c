/* test_papi_lazy.c: libplace maps PAPI only when a measurement asks for it (issue 38: a
 * start-up that plans or binds paid for libpapi and libpfm), and then finds it: the probe
 * loads it, and PAPI's verdict is PAPI's own (usable, or its perf_event component disabled
 * on a machine without a PMU), never that the library could not be loaded. This program
 * links libplace alone, not PAPI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "place.h"

static int papi_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    int found = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        found |= strstr(line, "/libpapi.") != NULL;
    fclose(f);
    return found;
}

static void test_papi_is_loaded_by_the_first_measurement(void **s)
{
    (void)s;
    place_topo *t = NULL;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:1 core:2 pu:1", 0, &e), 0);
    place_topo_free(t);
    assert_false(papi_mapped()); /* a topology and nothing measured: no PAPI */
    place_backend_status st[PLACE_NBACKEND];
    place_backend chosen[PLACE_NCTR];
    place_counters_probe(st, chosen);
    assert_true(papi_mapped());
    if (!st[PLACE_BACKEND_PAPI].usable) {
        print_message("PAPI not usable here: %s\n", st[PLACE_BACKEND_PAPI].why);
        assert_null(strstr(st[PLACE_BACKEND_PAPI].why, "cannot be loaded"));
        assert_null(strstr(st[PLACE_BACKEND_PAPI].why, " has no "));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_papi_is_loaded_by_the_first_measurement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
