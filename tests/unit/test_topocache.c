/* test_topocache.c: the native topology's cache (place_topo_load, topocache.c): used on
 * the second load and giving the same machine; its key naming every input (hwloc's
 * version, boot id, online CPUs, cgroup cpuset, devices); a file under another key, a file
 * others may write, another user's file or a symbolic link refused, and the machine loaded
 * again (a link never followed, its target untouched); HWLOC_* and PLACE_TOPO_CACHE=off
 * bypass it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "place.h"

static char dir[64], cache[PATH_MAX];

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof dir, "/tmp/test_topocache.XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), dir, 1);
    unsetenv(place_env_name(PLACE_ENV_TOPO_CACHE));
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* Loads the native machine; returns from_cache; *pus its usable PUs. */
static int load(unsigned flags, char *pus, size_t n)
{
    place_topo *t;
    place_error e;
    place_topo_info i;
    if (place_topo_load(&t, NULL, flags, &e) < 0)
        fail_msg("%s", e.msg);
    place_topo_get_info(t, &i);
    if (pus)
        snprintf(pus, n, "%d %d %d %s %s", i.usable_pus, i.usable_cores, i.numa_nodes,
                 place_topo_disallowed_pus(t), place_topo_offline_pus(t));
    place_topo_free(t);
    return i.from_cache;
}

static int ncache(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s'/place-%lu/topo-*.xml 2>/dev/null | wc -l", dir,
             (unsigned long)geteuid());
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

static void find_cache(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s'/place-%lu/topo-*.xml", dir, (unsigned long)geteuid());
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(cache, sizeof cache, p));
    cache[strcspn(cache, "\n")] = '\0';
    pclose(p);
}

static void test_used_and_same(void **s)
{
    (void)s;
    char a[512], b[512];
    assert_int_equal(load(0, a, sizeof a), 0);
    assert_int_equal(ncache(), 1);
    assert_int_equal(load(0, b, sizeof b), 1);
    assert_string_equal(a, b);
    /* devices are another key, another file */
    assert_int_equal(load(PLACE_TOPO_DEVICES, NULL, 0), 0);
    assert_int_equal(load(PLACE_TOPO_DEVICES, NULL, 0), 1);
    assert_int_equal(ncache(), 2);
}

static void test_key_names_every_input(void **s)
{
    (void)s;
    char key[2048], boot[64] = "", online[256] = "";
    assert_int_equal(place_topo_cache_key(0, key, sizeof key), 0);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    assert_non_null(f);
    assert_non_null(fgets(boot, sizeof boot, f));
    fclose(f);
    boot[strcspn(boot, "\n")] = '\0';
    f = fopen("/sys/devices/system/cpu/online", "r");
    assert_non_null(f);
    assert_non_null(fgets(online, sizeof online, f));
    fclose(f);
    online[strcspn(online, "\n")] = '\0';
    char want[512];
    snprintf(want, sizeof want, "boot=%s ", boot);
    assert_non_null(strstr(key, want));
    snprintf(want, sizeof want, "online=%s ", online);
    assert_non_null(strstr(key, want));
    assert_non_null(strstr(key, "hwloc="));
    assert_non_null(strstr(key, " cg="));
    assert_non_null(strstr(key, "devices=0"));
    assert_int_equal(place_topo_cache_key(PLACE_TOPO_DEVICES, key, sizeof key), 0);
    assert_non_null(strstr(key, "devices=1"));
}

/* A file written under another key (another boot) is refused, and replaced. */
static void test_other_key_refused(void **s)
{
    (void)s;
    load(0, NULL, 0);
    find_cache();
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "sed -i 's/boot=[0-9a-f]/boot=X/' '%s'", cache);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(load(0, NULL, 0), 0); /* refused: loaded again */
    assert_int_equal(load(0, NULL, 0), 1); /* and replaced under the right key */
}

static void test_unsafe_files_refused(void **s)
{
    (void)s;
    load(0, NULL, 0);
    find_cache();
    /* writable by others */
    assert_int_equal(chmod(cache, 0666), 0);
    assert_int_equal(load(0, NULL, 0), 0);
    struct stat st;
    assert_int_equal(stat(cache, &st), 0);
    assert_int_equal(st.st_mode & 022, 0); /* replaced by a private one */
    assert_int_equal(load(0, NULL, 0), 1);
    /* another user's (as root only) */
    if (geteuid() == 0) {
        assert_int_equal(chown(cache, 65534, 65534), 0);
        assert_int_equal(load(0, NULL, 0), 0);
        assert_int_equal(stat(cache, &st), 0);
        assert_int_equal(st.st_uid, 0);
    }
    /* a symbolic link: never followed, its target untouched, and not replaced */
    char target[PATH_MAX];
    snprintf(target, sizeof target, "%s/target", dir);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs("not a topology\n", f);
    fclose(f);
    assert_int_equal(unlink(cache), 0);
    assert_int_equal(symlink(target, cache), 0);
    assert_int_equal(load(0, NULL, 0), 0);
    assert_int_equal(load(0, NULL, 0), 0);
    char buf[64] = "";
    f = fopen(target, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "not a topology\n");
    assert_int_equal(lstat(cache, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    unlink(cache);
}

static void test_bypassed(void **s)
{
    (void)s;
    load(0, NULL, 0);
    assert_int_equal(load(0, NULL, 0), 1);
    setenv(place_env_name(PLACE_ENV_TOPO_CACHE), "off", 1);
    assert_int_equal(load(0, NULL, 0), 0);
    setenv(place_env_name(PLACE_ENV_TOPO_CACHE), "sometimes", 1);
    place_topo *t;
    place_error e;
    assert_int_equal(place_topo_load(&t, NULL, 0, &e), -1);
    assert_non_null(strstr(e.msg, "expected on or off"));
    unsetenv(place_env_name(PLACE_ENV_TOPO_CACHE));
    setenv("HWLOC_COMPONENTS", "linux", 1);
    char key[2048];
    assert_int_equal(place_topo_cache_key(0, key, sizeof key), -1);
    assert_int_equal(load(0, NULL, 0), 0);
    unsetenv("HWLOC_COMPONENTS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_used_and_same),
        cmocka_unit_test(test_key_names_every_input),
        cmocka_unit_test(test_other_key_refused),
        cmocka_unit_test(test_unsafe_files_refused),
        cmocka_unit_test(test_bypassed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
