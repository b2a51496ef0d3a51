/* test_memory.c: allocation, partitions and page locality on this machine (one NUMA
 * node): touched pages are on node 0, untouched pages are reported untouched, the
 * bookkeeping per part is exact, and bad partitions are refused with the array intact.
 * Multi-node behaviour (first touch, repair, pgmigrate) is tested in the QEMU guest. */
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

static void test_untouched_pages_are_reported_as_untouched(void **s)
{
    place_array a;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    assert_int_equal(place_array_alloc(&a, 10 * page + 100, 0, NULL), 0);
    assert_int_equal(((uintptr_t)a.ptr) % page, 0);
    assert_int_equal(a.mapped, 11 * page);
    place_locality l;
    assert_int_equal(place_locality_query(&a, NULL, &l, NULL), 0);
    assert_int_equal(l.pages, 11);
    assert_int_equal(l.untouched, 11);
    assert_int_equal(l.on_node[0], 0); /* not node 0 */
    assert_int_equal(l.max_node, -1);
    place_locality_fini(&l);
    place_array_fini(&a);
}

static void test_touched_pages_land_on_node_0_and_parts_are_counted_exactly(void **s)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    place_array a;
    assert_int_equal(place_array_alloc(&a, 64 * page, 0, NULL), 0);
    int owner[4] = {0, 0, 0, 0};
    place_partition p;
    /* 64 items of one page over 4 parts: 16 pages each */
    assert_int_equal(place_partition_static(&p, 64, page, 4, owner, NULL), 0);
    for (int i = 0; i <= 4; i++)
        assert_int_equal(p.off[i], (size_t)i * 16 * page);
    place_array_touch_part(&a, &p, 1);
    place_array_touch_part(&a, &p, 3);
    place_locality l;
    assert_int_equal(place_locality_query(&a, &p, &l, NULL), 0);
    assert_int_equal(l.on_node[0], 32);
    assert_int_equal(l.untouched, 32);
    assert_int_equal(l.local, 32);
    assert_int_equal(l.remote, 0);
    assert_true(l.local_fraction == 1.0);
    assert_int_equal(l.part_untouched[0], 16);
    assert_int_equal(l.part_local[1], 16);
    assert_int_equal(l.part_untouched[2], 16);
    assert_int_equal(l.part_local[3], 16);
    place_locality_fini(&l);
    /* on one node nothing is misplaced, so nothing moves */
    place_migration m;
    assert_int_equal(place_migrate_parts(&a, &p, &m, NULL), 0);
    assert_int_equal(m.misplaced, 0);
    assert_int_equal(m.moved, 0);
    /* binding parts to node 0 works and keeps the data */
    ((char *)a.ptr)[16 * page] = 42;
    assert_int_equal(place_bind_parts(&a, &p, NULL), 0);
    assert_int_equal(((char *)a.ptr)[16 * page], 42);
    place_partition_fini(&p);
    place_array_fini(&a);
}

static void test_uneven_static_partition_matches_openmp(void **s)
{
    int owner[3] = {0, 0, 0};
    place_partition p;
    /* 10 items of 8 bytes over 3 parts: 4, 3, 3 items (first 10 mod 3 parts one more) */
    assert_int_equal(place_partition_static(&p, 10, 8, 3, owner, NULL), 0);
    assert_int_equal(p.off[1], 32);
    assert_int_equal(p.off[2], 56);
    assert_int_equal(p.off[3], 80);
    assert_int_equal(place_partition_check(&p, 80, NULL), 0);
    place_partition_fini(&p);
}

static void test_bad_partitions_are_refused_and_the_array_stays_usable(void **s)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    place_array a;
    assert_int_equal(place_array_alloc(&a, 8 * page, 0, NULL), 0);
    memset(a.ptr, 7, 8 * page);
    int owner[2] = {0, 0};
    place_partition p;
    place_error e;
    /* does not cover the array */
    assert_int_equal(place_partition_static(&p, 4, page, 2, owner, NULL), 0);
    place_locality l;
    assert_int_equal(place_locality_query(&a, &p, &l, &e), -1);
    assert_non_null(strstr(e.msg, "expected exactly 0 to"));
    place_migration m;
    assert_int_equal(place_migrate_parts(&a, &p, &m, &e), -1);
    place_partition_fini(&p);
    /* a node that does not exist */
    int bad[2] = {0, 63};
    assert_int_equal(place_partition_static(&p, 8, page, 2, bad, NULL), 0);
    assert_int_equal(place_migrate_parts(&a, &p, &m, &e), -1);
    assert_non_null(strstr(e.msg, "NUMA node 63 does not exist"));
    assert_int_equal(place_bind_parts(&a, &p, &e), -1);
    place_partition_fini(&p);
    /* the array is intact */
    for (size_t i = 0; i < 8 * page; i++)
        if (((unsigned char *)a.ptr)[i] != 7)
            fail();
    assert_int_equal(place_partition_static(&p, 1, 1, 0, owner, &e), -1);
    place_array_fini(&a);
    assert_int_equal(place_array_alloc(&a, 0, 0, &e), -1);
}

static void test_migration_decision_says_its_numbers(void **s)
{
    char line[400];
    /* 25600 pages of 4 KiB = 104.9 MB at 1 GB/s: 0.105 s; 10 s x 5% = 0.5 s saved */
    assert_int_equal(place_migration_decide(25600, 4096, 1.0, 10, 0.05, line, sizeof line), 1);
    assert_non_null(strstr(line, "yes, migrate"));
    assert_non_null(strstr(line, "cost 0.1049 s"));
    assert_int_equal(place_migration_decide(25600, 4096, 1.0, 1, 0.05, line, sizeof line), 0);
    assert_non_null(strstr(line, "no, keep"));
}

static void test_huge_pages_are_asked_for_and_reported(void **s)
{
    place_array a;
    size_t bytes = 8u << 20;
    assert_int_equal(place_array_alloc(&a, bytes, PLACE_ALLOC_HUGE, NULL), 0);
    assert_true(a.huge_asked);
    memset(a.ptr, 1, bytes);
    long long huge = place_array_huge_bytes(&a);
    print_message("huge pages granted for %lld of %zu bytes\n", huge, bytes);
    assert_true(huge >= 0 && huge <= (long long)a.mapped); /* readable; granted or not */
    place_array_fini(&a);
    assert_true(place_vmstat_pgmigrate_success() >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untouched_pages_are_reported_as_untouched),
        cmocka_unit_test(test_touched_pages_land_on_node_0_and_parts_are_counted_exactly),
        cmocka_unit_test(test_uneven_static_partition_matches_openmp),
        cmocka_unit_test(test_bad_partitions_are_refused_and_the_array_stays_usable),
        cmocka_unit_test(test_migration_decision_says_its_numbers),
        cmocka_unit_test(test_huge_pages_are_asked_for_and_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
