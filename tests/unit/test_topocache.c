/* test_topocache.c: the native topology's cache (place_topo_load, topocache.c): used on
 * the second load and giving the same machine; its key naming every input (hwloc's
 * version, boot id, online CPUs, the cgroup's cpuset and mems, the process's affinity and
 * allowed memory, devices); a file under another key, a file others may write, another
 * user's file or a symbolic link refused, and the machine loaded again (a link never
 * followed, its target untouched); a file cut short, grown or damaged, or one whose
 * checksum holds but which disagrees with the machine (online CPUs, the CPUs this process
 * may use), refused with one note and rewritten; HWLOC_* and PLACE_TOPO_CACHE=off bypass
 * it. (tests/runtime/cache-cpuset.sh runs it inside and outside a real cpuset.) */
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

static char last_note[1024];

/* Loads the native machine; returns from_cache; *pus its usable PUs; last_note the
 * cache's note ("" if none). */
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
    const char *cn = place_topo_cache_note(t);
    snprintf(last_note, sizeof last_note, "%s", cn ? cn : "");
    place_topo_free(t);
    return i.from_cache;
}

/* Rewrites the cache file's XML: every FROM replaced with TO, and the header's length and
 * checksum made right again (a file that passes the checksum but says something else). */
static void rewrite(const char *from, const char *to)
{
    FILE *f = fopen(cache, "r");
    assert_non_null(f);
    static char buf[1 << 20], out[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *xml = strchr(buf, '\n');
    assert_non_null(xml);
    xml++;
    size_t at = 0, fl = strlen(from);
    for (const char *p = xml; *p;) {
        if (!strncmp(p, from, fl)) {
            at += (size_t)snprintf(out + at, sizeof out - at, "%s", to);
            p += fl;
        } else {
            out[at++] = *p++;
        }
    }
    out[at] = '\0';
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < at; i++)
        h = (h ^ (unsigned char)out[i]) * 1099511628211ull;
    f = fopen(cache, "w");
    assert_non_null(f);
    fprintf(f, "place-topocache/1 %zu %llx\n%s", at, h, out);
    fclose(f);
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

/* Removes every cache file, so that the next load writes the only one. */
static void clear_caches(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/place-%lu/topo-*.xml", dir, (unsigned long)geteuid());
    assert_int_equal(system(cmd), 0);
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
    assert_non_null(strstr(key, " affinity="));
    assert_non_null(strstr(key, " mems_allowed="));
    /* the cgroup's cpuset is found whatever the layout: this machine's has one */
    if (!access("/sys/fs/cgroup/cpuset", F_OK) ||
        !access("/sys/fs/cgroup/cgroup.controllers", F_OK))
        assert_null(strstr(key, " cpus=- "));
    assert_non_null(strstr(key, "devices=0"));
    assert_int_equal(place_topo_cache_key(PLACE_TOPO_DEVICES, key, sizeof key), 0);
    assert_non_null(strstr(key, "devices=1"));
}

/* A file written under another key (another boot) is refused, and replaced. */
static void test_other_key_refused(void **s)
{
    (void)s;
    clear_caches();
    load(0, NULL, 0);
    find_cache();
    rewrite("boot=", "boot=X");
    assert_int_equal(load(0, NULL, 0), 0); /* refused: loaded again */
    assert_non_null(strstr(last_note, "made for another machine state"));
    assert_int_equal(load(0, NULL, 0), 1); /* and replaced under the right key */
    assert_string_equal(last_note, "");
}

/* Cut short, grown, damaged: refused before hwloc reads it, said once, rewritten, and the
 * machine is the real one. */
static void test_damaged_refused(void **s)
{
    (void)s;
    char want[512], got[512];
    clear_caches();
    load(0, want, sizeof want);
    find_cache();
    struct {
        const char *what, *note; /* a shell command on the file ("%s"), the note's words */
    } cases[] = {
        {"truncate -s 101 '%s'", "cut short"},
        {"truncate -s 0 '%s'", "impossible size"},
        {"printf x >> '%s'", "cut short or grown"},
        {"printf 'garbage\\n' | dd conv=notrunc bs=1 seek=0 of='%s' 2>/dev/null", "header"},
        {"printf X | dd conv=notrunc bs=1 seek=400 of='%s' 2>/dev/null", "damaged (checksum)"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[PATH_MAX + 256];
        snprintf(cmd, sizeof cmd, cases[i].what, cache);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(load(0, got, sizeof got), 0);
        assert_string_equal(got, want);
        if (!strstr(last_note, cases[i].note))
            fail_msg("%s: note '%s', expected '%s'", cases[i].what, last_note, cases[i].note);
        assert_int_equal(load(0, got, sizeof got), 1); /* rewritten: used, and silent */
        assert_string_equal(last_note, "");
    }
}

/* A file whose checksum holds but which says the process may use fewer CPUs than it may
 * (written inside a cpuset under this very key) or other CPUs than are online: refused. */
static void test_disagreeing_refused(void **s)
{
    (void)s;
    char want[512], got[512];
    clear_caches();
    load(0, want, sizeof want);
    find_cache();
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 2)
        skip();
    char all[64], one[64];
    snprintf(all, sizeof all, "allowed_cpuset=\"0x%08lx\"", (1ul << ncpu) - 1);
    snprintf(one, sizeof one, "allowed_cpuset=\"0x%08lx\"", 1ul);
    rewrite(all, one);
    assert_int_equal(load(0, got, sizeof got), 0);
    assert_string_equal(got, want);
    assert_non_null(strstr(last_note, "narrower than the CPUs this process may use"));
    assert_int_equal(load(0, got, sizeof got), 1);
    /* PU 1 renamed PU 5 (on a machine of CPUs 0-1): not the online CPUs */
    if (ncpu != 2 || access("/sys/devices/system/cpu/cpu5", F_OK) == 0)
        return;
    rewrite("\"0x00000002\"", "\"0x00000020\"");
    rewrite("\"0x00000003\"", "\"0x00000021\"");
    rewrite("type=\"PU\" os_index=\"1\"", "type=\"PU\" os_index=\"5\"");
    assert_int_equal(load(0, got, sizeof got), 0);
    assert_string_equal(got, want);
    assert_non_null(strstr(last_note, "not the online CPUs"));
    assert_int_equal(load(0, got, sizeof got), 1);
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
        cmocka_unit_test(test_damaged_refused),
        cmocka_unit_test(test_disagreeing_refused),
        cmocka_unit_test(test_unsafe_files_refused),
        cmocka_unit_test(test_bypassed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
