/* memory.c: page-aligned arrays, first touch by owners, where pages are, and repair.
 *
 * Queries and migrations go through move_pages(2) in batches (the kernel walks the page
 * tables for each address given): with nodes == NULL it reports each page's node, or
 * -ENOENT for a page that does not exist yet (never written), which is reported as
 * untouched, not as node 0. Migration passes only the misplaced pages with their owners'
 * nodes; per-page failures come back in status[] and leave those pages where they were.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "contract/contract_private.h"
#include "place/memory.h"
#include "place/measure.h"

#define BATCH 4096

int place_array_alloc(place_array *a, size_t bytes, unsigned flags, place_error *err)
{
    memset(a, 0, sizeof *a);
    if (bytes == 0)
        return place_error_set(err, PLACE_EINVAL, "array of 0 bytes: expected at least 1");
    a->page = (size_t)sysconf(_SC_PAGESIZE);
    a->mapped = (bytes + a->page - 1) / a->page * a->page;
    /* One page more, left inaccessible: a mapping of its own that the kernel cannot merge
     * with the next array's (so place_array_huge_bytes, which reads the mapping's line of
     * smaps, counts this array's huge pages only), and an overrun faults at once. Huge
     * pages asked for: the start on a 2 MiB boundary (mapped 2 MiB more, the ends given
     * back), so that every whole 2 MiB of the array can be one. */
    const size_t huge = 2u << 20, extra = (flags & PLACE_ALLOC_HUGE) ? huge : 0;
    char *m = mmap(NULL, a->mapped + a->page + extra, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        int e = errno;
        place_error_set(err, PLACE_ENOMEM, "cannot map %zu bytes: %s", bytes, strerror(e));
        if (err)
            err->sys_errno = e;
        return -1;
    }
    char *p = m;
    if (extra) {
        p = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
        if (p > m)
            munmap(m, (size_t)(p - m));
        if (p < m + extra) /* the tail past the guard page */
            munmap(p + a->mapped + a->page, (size_t)(m + extra - p));
    }
    if (mprotect((char *)p + a->mapped, a->page, PROT_NONE) != 0) {
        int e = errno;
        munmap(p, a->mapped + a->page);
        place_error_set(err, PLACE_ENOMEM, "cannot protect the guard page after %zu bytes: %s",
                        bytes, strerror(e));
        if (err)
            err->sys_errno = e;
        return -1;
    }
    if (flags & PLACE_ALLOC_HUGE) {
        a->huge_asked = 1;
        madvise(p, a->mapped, MADV_HUGEPAGE); /* a request; place_array_huge_bytes says */
    } else {
        madvise(p, a->mapped, MADV_NOHUGEPAGE); /* base pages: locality per 4 KiB page */
    }
    a->ptr = p;
    a->bytes = bytes;
    return 0;
}

void place_array_fini(place_array *a)
{
    if (a && a->ptr)
        munmap(a->ptr, a->mapped + a->page);
    if (a)
        a->ptr = NULL;
}

long long place_array_huge_bytes(const place_array *a)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[256];
    unsigned long lo = (unsigned long)a->ptr, start, end;
    int in = 0;
    long long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx", &start, &end) == 2 && strchr(line, ' ') &&
            strchr(line, '-') < strchr(line, ' '))
            in = start <= lo && lo < end;
        else if (in && !strncmp(line, "AnonHugePages:", 14)) {
            char *end;
            long long v = strtoll(line + 14, &end, 10);
            if (end > line + 14 && v >= 0 && !strncmp(end, " kB", 3))
                kb = (kb < 0 ? 0 : kb) + v;
        }
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

int place_partition_static(place_partition *p, size_t nitems, size_t item_bytes, int nparts,
                           const int *owner, place_error *err)
{
    memset(p, 0, sizeof *p);
    if (nparts < 1)
        return place_error_set(err, PLACE_EINVAL, "partition into %d parts: expected at least 1",
                               nparts);
    p->off = malloc(sizeof(size_t) * (size_t)(nparts + 1));
    p->owner = malloc(sizeof(int) * (size_t)nparts);
    if (!p->off || !p->owner) {
        place_partition_fini(p);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    p->nparts = nparts;
    size_t q = nitems / (size_t)nparts, r = nitems % (size_t)nparts;
    for (int i = 0; i <= nparts; i++) {
        size_t first = (size_t)i * q + ((size_t)i < r ? (size_t)i : r);
        p->off[i] = first * item_bytes;
    }
    for (int i = 0; i < nparts; i++)
        p->owner[i] = owner[i];
    return 0;
}

void place_partition_fini(place_partition *p)
{
    if (!p)
        return;
    free(p->off);
    free(p->owner);
    p->off = NULL;
    p->owner = NULL;
    p->nparts = 0;
}

int place_partition_check(const place_partition *p, size_t bytes, place_error *err)
{
    if (!p || p->nparts < 1 || !p->off || !p->owner)
        return place_error_set(err, PLACE_EINVAL, "partition: empty; expected at least one part");
    if (p->off[0] != 0 || p->off[p->nparts] != bytes)
        return place_error_set(err, PLACE_EINVAL,
                               "partition covers bytes %zu to %zu of an array of "
                               "%zu bytes; expected exactly 0 to %zu",
                               p->off[0], p->off[p->nparts], bytes, bytes);
    int maxnode = numa_available() < 0 ? 0 : numa_max_node();
    for (int i = 0; i < p->nparts; i++) {
        if (p->off[i + 1] < p->off[i])
            return place_error_set(err, PLACE_EINVAL,
                                   "partition part %d ends (%zu) before it starts "
                                   "(%zu)",
                                   i, p->off[i + 1], p->off[i]);
        if (p->owner[i] < 0 || p->owner[i] > maxnode ||
            (numa_available() >= 0 &&
             !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)p->owner[i])))
            return place_error_set(err, PLACE_EINVAL,
                                   "partition part %d: NUMA node %d does not exist "
                                   "here (nodes 0 to %d)",
                                   i, p->owner[i], maxnode);
    }
    return 0;
}

void place_array_touch_part(const place_array *a, const place_partition *p, int t)
{
    if (t < 0 || t >= p->nparts)
        return;
    volatile char *c = a->ptr;
    size_t lo = p->off[t], hi = p->off[t + 1];
    /* the first byte of every page whose first byte is in the part */
    size_t first = (lo + a->page - 1) / a->page * a->page;
    for (size_t b = first; b < hi; b += a->page)
        c[b] = 0;
}

int place_bind_parts(const place_array *a, const place_partition *p, place_error *err)
{
    if (place_partition_check(p, a->bytes, err) < 0)
        return -1;
    for (int i = 0; i < p->nparts; i++) {
        size_t lo = (p->off[i] + a->page - 1) / a->page * a->page;
        size_t hi = (p->off[i + 1] + a->page - 1) / a->page * a->page;
        if (hi > a->mapped)
            hi = a->mapped;
        if (hi <= lo)
            continue;
        unsigned long mask[PLACE_MAX_NUMA / (8 * sizeof(long))] = {0};
        mask[p->owner[i] / (8 * sizeof(long))] |= 1UL << (p->owner[i] % (8 * sizeof(long)));
        if (mbind((char *)a->ptr + lo, hi - lo, MPOL_BIND, mask, PLACE_MAX_NUMA, MPOL_MF_MOVE) <
            0) {
            int e = errno;
            place_error_set(err, PLACE_ESYS, "mbind of part %d to NUMA node %d failed: %s", i,
                            p->owner[i], strerror(e));
            if (err)
                err->sys_errno = e;
            return -1;
        }
    }
    return 0;
}

static int part_of(const place_partition *p, size_t byte, int hint)
{
    int i = hint;
    while (i + 1 < p->nparts && byte >= p->off[i + 1])
        i++;
    return i;
}

void place_locality_fini(place_locality *l)
{
    if (!l)
        return;
    free(l->part_local);
    free(l->part_remote);
    free(l->part_untouched);
    l->part_local = l->part_remote = l->part_untouched = NULL;
}

int place_locality_query(const place_array *a, const place_partition *p, place_locality *l,
                         place_error *err)
{
    memset(l, 0, sizeof *l);
    if (p && place_partition_check(p, a->bytes, err) < 0)
        return -1;
    l->pages = (int64_t)(a->mapped / a->page);
    l->max_node = -1;
    if (p) {
        l->nparts = p->nparts;
        l->part_local = calloc((size_t)p->nparts, sizeof(int64_t));
        l->part_remote = calloc((size_t)p->nparts, sizeof(int64_t));
        l->part_untouched = calloc((size_t)p->nparts, sizeof(int64_t));
        if (!l->part_local || !l->part_remote || !l->part_untouched) {
            place_locality_fini(l);
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        }
    }
    void *pages[BATCH];
    int status[BATCH];
    int part = 0;
    for (int64_t first = 0; first < l->pages; first += BATCH) {
        int n = (int)(l->pages - first < BATCH ? l->pages - first : BATCH);
        for (int i = 0; i < n; i++)
            pages[i] = (char *)a->ptr + (size_t)(first + i) * a->page;
        if (move_pages(0, (unsigned long)n, pages, NULL, status, 0) < 0) {
            int e = errno;
            place_locality_fini(l);
            place_error_set(err, PLACE_ESYS, "move_pages (query) failed: %s", strerror(e));
            if (err)
                err->sys_errno = e;
            return -1;
        }
        for (int i = 0; i < n; i++) {
            size_t byte = (size_t)(first + i) * a->page;
            if (p)
                part = part_of(p, byte < a->bytes ? byte : a->bytes - 1, part);
            if (status[i] < 0) { /* -ENOENT: never touched; other errors alike: not there */
                l->untouched++;
                if (p)
                    l->part_untouched[part]++;
                continue;
            }
            if (status[i] < PLACE_MAX_NUMA)
                l->on_node[status[i]]++;
            if (status[i] > l->max_node)
                l->max_node = status[i];
            if (p) {
                if (status[i] == p->owner[part]) {
                    l->local++;
                    l->part_local[part]++;
                } else {
                    l->remote++;
                    l->part_remote[part]++;
                }
            }
        }
    }
    l->local_fraction =
        l->local + l->remote ? (double)l->local / (double)(l->local + l->remote) : 1.0;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int place_migrate_parts(const place_array *a, const place_partition *p, place_migration *m,
                        place_error *err)
{
    memset(m, 0, sizeof *m);
    if (place_partition_check(p, a->bytes, err) < 0)
        return -1;
    int64_t npages = (int64_t)(a->mapped / a->page);
    void **pages = malloc(sizeof(void *) * BATCH);
    int *nodes = malloc(sizeof(int) * BATCH), *status = malloc(sizeof(int) * BATCH);
    if (!pages || !nodes || !status) {
        free(pages);
        free(nodes);
        free(status);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    int rc = 0, part = 0;
    double t0 = now_s();
    for (int64_t first = 0; first < npages && rc == 0; first += BATCH) {
        int n = (int)(npages - first < BATCH ? npages - first : BATCH), k = 0;
        for (int i = 0; i < n; i++)
            pages[i] = (char *)a->ptr + (size_t)(first + i) * a->page;
        if (move_pages(0, (unsigned long)n, pages, NULL, status, 0) < 0) {
            rc = place_error_set(err, PLACE_ESYS, "move_pages (query) failed: %s", strerror(errno));
            break;
        }
        /* keep the misplaced ones, with their owners' nodes */
        for (int i = 0; i < n; i++) {
            size_t byte = (size_t)(first + i) * a->page;
            part = part_of(p, byte < a->bytes ? byte : a->bytes - 1, part);
            if (status[i] >= 0 && status[i] != p->owner[part]) {
                pages[k] = pages[i];
                nodes[k] = p->owner[part];
                k++;
            }
        }
        if (!k)
            continue;
        m->misplaced += k;
        if (move_pages(0, (unsigned long)k, pages, nodes, status, MPOL_MF_MOVE) < 0) {
            int e = errno;
            rc = place_error_set(err, PLACE_ESYS, "move_pages refused the migration: %s%s",
                                 strerror(e),
                                 e == EPERM ? " (moving pages shared with other processes needs "
                                              "CAP_SYS_NICE)"
                                            : "");
            if (err)
                err->sys_errno = e;
            break;
        }
        for (int i = 0; i < k; i++) {
            if (status[i] == nodes[i])
                m->moved++;
            else {
                m->failed++;
                if (!m->first_errno && status[i] < 0)
                    m->first_errno = -status[i];
            }
        }
    }
    m->seconds = now_s() - t0;
    m->bandwidth_gbs = m->seconds > 0 ? (double)m->moved * (double)a->page / m->seconds * 1e-9 : 0;
    free(pages);
    free(nodes);
    free(status);
    return rc;
}

int place_migration_decide(int64_t misplaced, size_t page, double bandwidth_gbs, double remaining_s,
                           double sigma, char *line, size_t n)
{
    if (misplaced <= 0) {
        snprintf(line, n, "no misplaced pages: nothing to migrate");
        return 0;
    }
    double bytes = (double)misplaced * (double)page;
    double cost = bandwidth_gbs > 0 ? bytes / (bandwidth_gbs * 1e9) : INFINITY;
    int go = place_model_migrate(remaining_s, sigma, cost);
    snprintf(line, n,
             "migrate %lld misplaced pages (%.1f MB)? cost %.4f s at %.2f GB/s; saving "
             "%.4f s (remaining %.3f s x remote slowdown %.3f): %s",
             (long long)misplaced, bytes * 1e-6, cost, bandwidth_gbs, remaining_s * sigma,
             remaining_s, sigma, go ? "yes, migrate" : "no, keep the pages where they are");
    return go;
}

long long place_vmstat_pgmigrate_success(void)
{
    FILE *f = fopen("/proc/vmstat", "r");
    if (!f)
        return -1;
    char key[64];
    long long v, r = -1;
    while (fscanf(f, "%63s %lld", key, &v) == 2)
        if (!strcmp(key, "pgmigrate_success"))
            r = v;
    fclose(f);
    return r;
}

/* ---- memory headroom ---------------------------------------------------------------- */

/* A whole number of bytes (or "max") from a one-line kernel file; -1 unreadable, INT64_MAX
 * for no limit. */
static int64_t read_bytes(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[64];
    int64_t v = -1;
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *end;
        errno = 0;
        long long x = strtoll(line, &end, 10);
        if (!strcmp(line, "max"))
            v = INT64_MAX;
        else if (end != line && !*end && !errno && x >= 0)
            v = x >= (1LL << 62) ? INT64_MAX : x; /* v1 writes 2^63 - page for "none" */
    }
    fclose(f);
    return v;
}

int64_t place_memory_headroom(char *why, size_t n)
{
    int64_t best = -1;
    if (why && n)
        why[0] = '\0';
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        long long kb;
        char *end;
        if (strncmp(line, "MemAvailable:", 13))
            continue;
        errno = 0;
        kb = strtoll(line + 13, &end, 10);
        if (end != line + 13 && !errno && kb >= 0 && !strncmp(end, " kB", 3)) {
            best = kb * 1024;
            if (why)
                snprintf(why, n, "MemAvailable %lld MiB", kb / 1024);
        }
    }
    if (f)
        fclose(f);
    /* the cgroup: v2 ("0::/path") or v1's memory controller ("N:memory:/path") */
    f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || strstr(c2 + 1, ".."))
            continue;
        *c2 = '\0';
        const char *ctl = c1 + 1, *path = c2 + 1;
        char lim[PATH_MAX], use[PATH_MAX];
        if (!*ctl && !strncmp(line, "0", 1)) {
            snprintf(lim, sizeof lim, "/sys/fs/cgroup%s/memory.max", path);
            snprintf(use, sizeof use, "/sys/fs/cgroup%s/memory.current", path);
        } else if (strstr(ctl, "memory")) {
            snprintf(lim, sizeof lim, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", path);
            snprintf(use, sizeof use, "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", path);
        } else {
            continue;
        }
        int64_t l = read_bytes(lim), u = read_bytes(use);
        if (l < 0 || l == INT64_MAX || u < 0)
            continue;
        int64_t room = l > u ? l - u : 0;
        if (best < 0 || room < best) {
            best = room;
            if (why)
                snprintf(why, n, "the cgroup's memory limit of %lld MiB, %lld MiB in use",
                         (long long)(l >> 20), (long long)(u >> 20));
        }
    }
    if (f)
        fclose(f);
    return best;
}
