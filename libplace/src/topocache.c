/* topocache.c: the native topology, cached as hwloc XML.
 *
 * Discovering the machine is most of what placerun costs at start-up. The XML that hwloc
 * exports of a native topology (disallowed PUs included) loads several times faster and
 * gives the same tables. It is kept in the user's private directory, one file per key, and
 * trusted only when every check passes: a regular file (no link followed), owned by this
 * user, closed to others, at most PLACE_XML_MAX_BYTES, and carrying in its root object the
 * very key this process computes now (hwloc's version, the boot id, online CPUs and NUMA
 * nodes, the cgroup and its effective cpuset and mems, devices or not). Anything else: the
 * machine is loaded again and the file replaced (atomically, never over a non-file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "place/wfile.h"

extern char **environ;

/* The first line of a small file, "-" if it cannot be read. */
static void line_of(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "re");
    if (!f || !fgets(out, (int)n, f))
        snprintf(out, n, "-");
    else
        out[strcspn(out, "\n")] = '\0';
    if (f)
        fclose(f);
}

/* The effective cpuset and mems of this process's cgroup (v2, else v1's cpuset). */
static void cgroup_part(char *out, size_t n)
{
    char line[1024], a[512], b[512], path[1400];
    FILE *f = fopen("/proc/self/cgroup", "re");
    snprintf(out, n, "cg=-");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *rel = NULL;
        int v2 = !strncmp(line, "0::", 3);
        if (v2)
            rel = line + 3;
        else if (strstr(line, ":cpuset:"))
            rel = strstr(line, ":cpuset:") + 8;
        if (!rel)
            continue;
        if (v2) {
            snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpuset.cpus.effective", rel);
            line_of(path, a, sizeof a);
            snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpuset.mems.effective", rel);
            line_of(path, b, sizeof b);
        } else {
            snprintf(path, sizeof path, "/sys/fs/cgroup/cpuset%s/cpuset.effective_cpus", rel);
            line_of(path, a, sizeof a);
            snprintf(path, sizeof path, "/sys/fs/cgroup/cpuset%s/cpuset.effective_mems", rel);
            line_of(path, b, sizeof b);
        }
        snprintf(out, n, "cg=%.300s cpus=%.200s mems=%.100s", rel, a, b);
        if (v2)
            break;
    }
    fclose(f);
}

int place_topo_cache_key(unsigned flags, char *buf, size_t n)
{
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, "HWLOC_", 6) && strncmp(*e, "HWLOC_ALLOW=", 12))
            return -1; /* hwloc's own variables change discovery: not cached */
    char boot[64], cpus[256], nodes[256], cg[700];
    line_of("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    line_of("/sys/devices/system/cpu/online", cpus, sizeof cpus);
    line_of("/sys/devices/system/node/online", nodes, sizeof nodes);
    cgroup_part(cg, sizeof cg);
    int w = snprintf(buf, n, "place-topo/1 hwloc=%x boot=%s online=%s nodes=%s %s devices=%d",
                     hwloc_get_api_version(), boot, cpus, nodes, cg,
                     (flags & PLACE_TOPO_DEVICES) != 0);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

/* The cache file for a key: topo-HASH.xml in the private directory. */
int place_topocache_path(const char *key, char *path, size_t n)
{
    char dir[PATH_MAX];
    if (place_private_dir(dir, sizeof dir, NULL) < 0)
        return -1;
    unsigned long long h = 1469598103934665603ull;
    for (const char *c = key; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    int w = snprintf(path, n, "%s/topo-%016llx.xml", dir, h);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

/* The cached XML, if a file there passes the checks (the key itself is checked after
 * hwloc loads it). Returns a buffer to free, or NULL. */
char *place_topocache_read(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        !(st.st_mode & 022) && st.st_size > 0 && st.st_size <= PLACE_XML_MAX_BYTES) {
        buf = malloc((size_t)st.st_size + 1);
        size_t got = 0;
        while (buf && got < (size_t)st.st_size) {
            ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (buf && got == (size_t)st.st_size) {
            buf[got] = '\0';
            *len = got;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    close(fd);
    return buf;
}

/* Saves the loaded native topology under its key (best effort: a cache that cannot be
 * written only costs the next start its discovery). */
void place_topocache_save(hwloc_topology_t h, const char *key, const char *path)
{
    hwloc_obj_t root = hwloc_get_root_obj(h);
    if (!hwloc_obj_get_info_by_name(root, "PlaceCacheKey"))
        hwloc_obj_add_info(root, "PlaceCacheKey", key);
    char *xml = NULL;
    int len = 0;
    if (hwloc_topology_export_xmlbuffer(h, &xml, &len, 0) < 0 || !xml)
        return;
    place_wfile w;
    if (place_wfile_open(&w, "the topology cache", path, NULL) == 0) {
        if (fwrite(xml, 1, (size_t)(len > 0 ? len - 1 : 0), w.f) == (size_t)(len > 0 ? len - 1 : 0))
            place_wfile_commit(&w, NULL);
        else
            place_wfile_free(&w);
    }
    hwloc_free_xmlbuffer(h, xml);
}
