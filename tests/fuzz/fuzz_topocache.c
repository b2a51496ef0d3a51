/* fuzz_topocache: the native topology's cache file as place_topo_load reads it. The input
 * is written where this process's cache lives (its key's file in a private directory of
 * the harness's own); the load must then give the real machine (the same usable PUs and
 * cores as a discovery with the cache off), say so whenever the file was there and not
 * used, and never crash or hang. Seeds: a cache file of this kind of machine (its key
 * names another boot, so it passes the checksum and is refused at the key), and cut and
 * damaged copies. */
#include <fcntl.h>
#include <sys/stat.h>
#include "fuzz.h"
#include "place.h"

static char path[4096];
static int want_pus, want_cores;

static void init(void)
{
    static char dir[64] = "/tmp/place-fuzz-cache.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), dir, 1);
    setenv(place_env_name(PLACE_ENV_TOPO_CACHE), "off", 1);
    place_topo *t;
    place_error e;
    place_topo_info i;
    if (place_topo_load(&t, NULL, 0, &e) < 0)
        abort();
    place_topo_get_info(t, &i);
    want_pus = i.usable_pus;
    want_cores = i.usable_cores;
    place_topo_free(t);
    unsetenv(place_env_name(PLACE_ENV_TOPO_CACHE));
    char key[4096];
    if (place_topo_cache_key(0, key, sizeof key) < 0)
        abort();
    unsigned long long h = 1469598103934665603ull; /* topocache.c's file name for a key */
    for (const char *c = key; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    snprintf(path, sizeof path, "%s/place-%lu", dir, (unsigned long)geteuid());
    mkdir(path, 0700);
    snprintf(path + strlen(path), sizeof path - strlen(path), "/topo-%016llx.xml", h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0])
        init();
    if (size > (1 << 20))
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    close(fd);
    place_topo *t;
    place_error e;
    if (place_topo_load(&t, NULL, 0, &e) < 0)
        abort(); /* a bad cache is never an error: the machine is discovered again */
    place_topo_info i;
    place_topo_get_info(t, &i);
    if (i.usable_pus != want_pus || i.usable_cores != want_cores)
        abort(); /* the machine shrank or grew */
    if (!i.from_cache && size > 0 && !place_topo_cache_note(t))
        abort(); /* a file was there and not used: it must be said */
    place_topo_free(t);
    return 0;
}
