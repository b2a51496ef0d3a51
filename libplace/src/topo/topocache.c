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
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "topo/topo_private.h"
#include "place/wfile.h"

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

/* A mount point or root as /proc/self/mountinfo writes it: octal escapes (\040) decoded. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* Where this process's cpuset controller lives, whatever the layout (cgroup v1, v2, or
 * both: v1 controllers beside cgroup2 at /sys/fs/cgroup/unified): the cgroup's directory
 * from /proc/self/cgroup joined to the controller's mount from /proc/self/mountinfo, v1's
 * cpuset hierarchy first (in a hybrid layout cgroup2 has no cpuset). 1 for v1, 2 for v2, 0
 * if none is found. */
static int cpuset_dir(char *out, size_t n)
{
    char line[4096], p1[1024] = "", p2[1024] = "", m1[1024] = "", r1[1024] = "", m2[1024] = "",
                     r2[1024] = "";
    int has1 = 0, has2 = 0;
    FILE *f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctl = c1 + 1, *path = c2 + 1;
        if (!strcmp(line, "0") && !*ctl) {
            snprintf(p2, sizeof p2, "%s", path);
            has2 = 1;
        }
        for (const char *at = ctl; *at;) { /* the controllers, comma-separated */
            size_t l = strcspn(at, ",");
            if (l == 6 && !strncmp(at, "cpuset", 6)) {
                snprintf(p1, sizeof p1, "%s", path);
                has1 = 1;
            }
            at += l + (at[l] == ',');
        }
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/mountinfo", "re");
    while (f && fgets(line, sizeof line, f)) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
        char *fld[64];
        int nf = 0;
        for (char *tok = strtok(line, " \n"); tok && nf < 64; tok = strtok(NULL, " \n"))
            fld[nf++] = tok;
        int dash = -1;
        for (int i = 6; i < nf && dash < 0; i++)
            if (!strcmp(fld[i], "-"))
                dash = i;
        if (dash < 0 || dash + 3 >= nf)
            continue;
        const char *type = fld[dash + 1], *super = fld[dash + 3];
        if (!strcmp(type, "cgroup2") && !m2[0]) {
            snprintf(r2, sizeof r2, "%s", fld[3]);
            snprintf(m2, sizeof m2, "%s", fld[4]);
        } else if (!strcmp(type, "cgroup") && !m1[0]) {
            for (const char *at = super; *at;) {
                size_t l = strcspn(at, ",");
                if (l == 6 && !strncmp(at, "cpuset", 6)) {
                    snprintf(r1, sizeof r1, "%s", fld[3]);
                    snprintf(m1, sizeof m1, "%s", fld[4]);
                }
                at += l + (at[l] == ',');
            }
        }
    }
    if (f)
        fclose(f);
    unescape(r1);
    unescape(m1);
    unescape(r2);
    unescape(m2);
    const char *path, *root, *mnt;
    int v;
    if (has1 && m1[0]) {
        v = 1, path = p1, root = r1, mnt = m1;
    } else if (has2 && m2[0]) {
        v = 2, path = p2, root = r2, mnt = m2;
    } else {
        return 0;
    }
    size_t rl = strlen(root);
    if (rl > 1 && !strncmp(path, root, rl) && (path[rl] == '/' || !path[rl]))
        path += rl; /* the cgroup seen from the mount's root (a container's view) */
    int w = snprintf(out, n, "%s%s", mnt, strcmp(path, "/") ? path : "");
    return w > 0 && (size_t)w < n ? v : 0;
}

/* The cpuset and mems of the cgroup this process runs in, and the CPUs and memory nodes
 * it may really use (its affinity, and Mems_allowed from /proc/self/status): every one of
 * them changes what hwloc finds allowed. */
static void cgroup_part(char *out, size_t n)
{
    char dir[2048], path[2200], a[512] = "-", b[512] = "-", aff[512] = "-", mems[512] = "-";
    int v = cpuset_dir(dir, sizeof dir);
    if (v == 1) {
        snprintf(path, sizeof path, "%s/cpuset.effective_cpus", dir);
        line_of(path, a, sizeof a);
        snprintf(path, sizeof path, "%s/cpuset.effective_mems", dir);
        line_of(path, b, sizeof b);
    } else if (v == 2) {
        snprintf(path, sizeof path, "%s/cpuset.cpus.effective", dir);
        line_of(path, a, sizeof a);
        snprintf(path, sizeof path, "%s/cpuset.mems.effective", dir);
        line_of(path, b, sizeof b);
    }
    cpu_set_t cs;
    if (sched_getaffinity(0, sizeof cs, &cs) == 0) {
        hwloc_bitmap_t bm = hwloc_bitmap_alloc();
        for (int i = 0; bm && i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &cs))
                hwloc_bitmap_set(bm, (unsigned)i);
        char *l = bm ? place_bitmap_list(bm) : NULL;
        snprintf(aff, sizeof aff, "%s", l ? l : "-");
        free(l);
        hwloc_bitmap_free(bm);
    }
    char line[512];
    FILE *f = fopen("/proc/self/status", "re");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Mems_allowed_list:", 18)) {
            char *v0 = line + 18;
            v0 += strspn(v0, " \t");
            v0[strcspn(v0, "\n")] = '\0';
            snprintf(mems, sizeof mems, "%s", v0);
        }
    if (f)
        fclose(f);
    snprintf(out, n, "cg=v%d:%.300s cpus=%.200s mems=%.100s affinity=%.200s mems_allowed=%.100s", v,
             v ? dir : "-", a, b, aff, mems);
}

int place_topo_cache_key(unsigned flags, char *buf, size_t n)
{
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, "HWLOC_", 6) && strncmp(*e, "HWLOC_ALLOW=", 12))
            return -1; /* hwloc's own variables change discovery: not cached */
    char boot[64], cpus[256], nodes[256], cg[1400];
    line_of("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    line_of("/sys/devices/system/cpu/online", cpus, sizeof cpus);
    line_of("/sys/devices/system/node/online", nodes, sizeof nodes);
    cgroup_part(cg, sizeof cg);
    int w =
        snprintf(buf, n, "place-topo/2 hwloc=%x boot=%s online=%s nodes=%s %s devices=%d",
                 hwloc_get_api_version(), boot, cpus, nodes, cg, (flags & PLACE_TOPO_DEVICES) != 0);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

/* The cache file for a key: topo-HASH.xml in the private directory. */
int place_topocache_path(const char *key, char *path, size_t n)
{
    char dir[PATH_MAX];
    if (place_private_dir(dir, sizeof dir, NULL) < 0)
        return -1;
    int w = snprintf(path, n, "%s/topo-%016llx.xml", dir, place_fnv1a(key, strlen(key)));
    return w > 0 && (size_t)w < n ? 0 : -1;
}

#define CACHE_MAGIC "place-topocache/1 "

/* The cached XML, if a file there passes the checks: a regular file of this user's, closed
 * to others, whose first line gives the XML's length and checksum, both right (the key is
 * checked after hwloc loads it). Returns the XML (a buffer to free), or NULL with *why
 * saying what was wrong when a file was there but not trusted (NULL when there was none). */
char *place_topocache_read(const char *path, size_t *len, const char **why)
{
    *why = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT)
            *why = errno == ELOOP ? "a symbolic link" : "unreadable";
        return NULL;
    }
    struct stat st;
    char *buf = NULL, *xml = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        *why = "not a regular file";
    else if (st.st_uid != geteuid())
        *why = "another user's";
    else if (st.st_mode & 022)
        *why = "writable by others";
    else if (st.st_size <= 0 || st.st_size > PLACE_XML_MAX_BYTES + 64)
        *why = "of an impossible size";
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        *why = "too large for memory";
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    /* in use: touched (at most once an hour) so that the plan directory's sweep, which
     * removes cache files untouched for a week (one per Slurm step's cgroup), keeps it */
    if (buf && got == (size_t)st.st_size && time(NULL) - st.st_mtime > 3600)
        futimens(fd, NULL);
    close(fd);
    if (buf && got != (size_t)st.st_size)
        *why = "cut short while read";
    if (buf && !*why) {
        buf[got] = '\0';
        /* "place-topocache/1 LEN SUM\n" then LEN bytes of XML */
        unsigned long long n = 0, sum = 0;
        char *nl = memchr(buf, '\n', got < 80 ? got : 80), *e1 = NULL, *e2 = NULL;
        size_t ml = strlen(CACHE_MAGIC);
        if (!nl || strncmp(buf, CACHE_MAGIC, ml) || buf[ml] < '1' || buf[ml] > '9') {
            *why = "without its header";
        } else {
            n = strtoull(buf + ml, &e1, 10);
            if (*e1 == ' ' && e1[1] >= '0' && e1[1] <= 'f')
                sum = strtoull(e1 + 1, &e2, 16);
            if (!e2 || e2 != nl || n != got - (size_t)(nl + 1 - buf) || n > PLACE_XML_MAX_BYTES)
                *why = "cut short or grown";
            else if (place_fnv1a(nl + 1, (size_t)n) != sum)
                *why = "damaged (checksum)";
            else if ((xml = malloc((size_t)n + 1))) {
                memcpy(xml, nl + 1, (size_t)n);
                xml[n] = '\0';
                *len = (size_t)n;
            }
        }
    }
    free(buf);
    return xml;
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
    if (hwloc_topology_export_xmlbuffer(h, &xml, &len, 0) < 0 || !xml || len < 1)
        return;
    size_t n = (size_t)len - 1;
    place_wfile w;
    if (place_wfile_open(&w, "the topology cache", path, NULL) == 0) {
        if (fprintf(w.f, "%s%zu %llx\n", CACHE_MAGIC, n, place_fnv1a(xml, n)) > 0 &&
            fwrite(xml, 1, n, w.f) == n)
            place_wfile_commit(&w, NULL);
        else
            place_wfile_fini(&w);
    }
    hwloc_free_xmlbuffer(h, xml);
}
