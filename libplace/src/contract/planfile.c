/* planfile.c: the node's plan file (place-plan/1) written by placerun and a rank's
 * assignment read back from it, from a plan, or from the environment (runenv.c).
 *
 * The file is untrusted input when read: another user may have written it, or edited it
 * since. Every value is checked before it is used: integers are bounded before they are
 * narrowed (a PU of 2^32 + 3 is refused, not read as 3), the cpuset must be a CPU list,
 * every thread's PU inside it, the box inside the grid and its coordinates inside the
 * process grid, every neighbour a rank of the job.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include "contract/contract_private.h"
#include "place/rfile.h"
#include "place/planio.h"
#include "place/runenv.h"
#include "place/wfile.h"

void place_assignment_fini(place_assignment *a)
{
    if (!a)
        return;
    free(a->cpuset);
    free(a->numa_os);
    free(a->thread_pu_os);
    free(a->gpus);
    free(a->nics);
    place_env_list_free(a->devenv, a->ndevenv);
    memset(a, 0, sizeof *a);
}
void place_assignment_free(place_assignment *a) __attribute__((alias("place_assignment_fini")));

static int alloc_arrays(place_assignment *a, int nnuma, int nthreads, place_error *err)
{
    a->nnuma = nnuma;
    a->nthreads = nthreads;
    a->numa_os = calloc((size_t)nnuma + 1, sizeof(int));
    a->thread_pu_os = calloc((size_t)nthreads + 1, sizeof(int));
    if (!a->numa_os || !a->thread_pu_os)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    return 0;
}

int place_assignment_from_plan(place_assignment *a, const place_plan *p, const place_decomp *d,
                               int rank, place_error *err)
{
    memset(a, 0, sizeof *a);
    place_rank_info ri;
    if (place_plan_rank(p, rank, &ri, err) < 0)
        return -1;
    a->rank = rank;
    a->size = place_plan_resolved(p)->ranks;
    a->local_rank = ri.local_rank;
    a->local_size = ri.local_size;
    a->node = ri.node;
    a->cpuset = place_strdup(ri.cpuset);
    if (!a->cpuset || alloc_arrays(a, ri.nnuma, ri.nthreads, err) < 0) {
        place_assignment_fini(a);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    memcpy(a->numa_os, ri.numa_os, sizeof(int) * (size_t)ri.nnuma);
    memcpy(a->thread_pu_os, ri.thread_pu_os, sizeof(int) * (size_t)ri.nthreads);
    if (place_rank_devices(p, &ri, &a->gpus, &a->nics, &a->devenv, &a->ndevenv) < 0) {
        place_assignment_fini(a);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    if (d) {
        a->has_grid = 1;
        place_decomp_dims(d, a->dims);
        place_decomp_global(d, a->global);
        place_decomp_rank(d, rank, &a->box, NULL);
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

static int bad(place_error *err, const char *path, const char *what)
{
    return place_error_set(err, PLACE_EINVAL, "plan file '%.200s': %s; expected a plan written by "
                           "placerun (schema place-plan/1)", path, what);
}

/* An integer member in [min, max]. */
static int get_int(json_t *o, const char *key, long long min, long long max, long long *out)
{
    json_t *x = json_object_get(o, key);
    if (!json_is_integer(x))
        return -1;
    long long v = json_integer_value(x);
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int get_triple(json_t *a, long long min, long long max, long long v[3])
{
    if (!json_is_array(a) || json_array_size(a) != 3)
        return -1;
    for (int i = 0; i < 3; i++) {
        json_t *x = json_array_get(a, (size_t)i);
        if (!json_is_integer(x) || json_integer_value(x) < min || json_integer_value(x) > max)
            return -1;
        v[i] = json_integer_value(x);
    }
    return 0;
}

static int read_grid(place_assignment *a, json_t *root, json_t *r, const char *path,
                     place_error *err)
{
    json_t *g = json_object_get(root, "grid");
    if (!g)
        return 0;
    long long n[3], dims[3], coords[3], lo[3], hi[3];
    json_t *box = json_object_get(r, "box"), *nb = json_object_get(r, "neighbors");
    if (get_triple(json_object_get(g, "global"), 1, INT64_MAX, n) < 0 ||
        get_triple(json_object_get(g, "dims"), 1, PLACE_MAX_RANKS, dims) < 0 ||
        dims[0] * dims[1] * dims[2] != a->size)
        return bad(err, path, "grid: global or dims malformed, or dims not a factorisation of "
                   "the ranks");
    if (get_triple(json_object_get(r, "coords"), 0, PLACE_MAX_RANKS, coords) < 0 ||
        !json_is_object(box) || get_triple(json_object_get(box, "lo"), 0, INT64_MAX, lo) < 0 ||
        get_triple(json_object_get(box, "hi"), 0, INT64_MAX, hi) < 0 || !json_is_array(nb) ||
        json_array_size(nb) != 6)
        return bad(err, path, "a rank's box, coords or neighbors malformed");
    for (int i = 0; i < 3; i++) {
        if (coords[i] >= dims[i] || lo[i] >= hi[i] || hi[i] > n[i])
            return bad(err, path, "a rank's box is empty or outside the grid, or its coords "
                       "outside the process grid");
        a->global[i] = n[i];
        a->dims[i] = (int)dims[i];
        a->box.coords[i] = (int)coords[i];
        a->box.lo[i] = lo[i];
        a->box.hi[i] = hi[i];
    }
    for (int i = 0; i < 6; i++) {
        json_t *x = json_array_get(nb, (size_t)i);
        if (json_is_null(x)) {
            a->box.neighbor[i] = -1;
        } else if (json_is_integer(x) && json_integer_value(x) >= 0 &&
                   json_integer_value(x) < a->size) {
            a->box.neighbor[i] = (int)json_integer_value(x);
        } else {
            return bad(err, path, "a neighbour is not a rank of the job (or null at a wall)");
        }
    }
    a->has_grid = 1;
    return 0;
}

/* The boxes of the file's ranks tile the grid: each box is the product of one interval per
 * axis, the interval of a coordinate the same in every rank that has it, the intervals of
 * consecutive coordinates adjacent (the first starting at 0, the last ending at the grid's
 * size), and no two ranks at one coordinate. With every rank in the file (a job's whole
 * plan), every coordinate must be there: the boxes cover the grid exactly once. A forged
 * plan of overlapping boxes was taken, and the solver's answer was wrong. */
static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int check_tiling(const place_assignment *a, json_t *ranks, const char *path,
                        place_error *err)
{
    size_t nr = json_array_size(ranks);
    int dmax = a->dims[0] > a->dims[1] ? a->dims[0] : a->dims[1];
    dmax = a->dims[2] > dmax ? a->dims[2] : dmax;
    long long *lo = malloc(sizeof(long long) * 3 * (size_t)dmax);
    long long *hi = malloc(sizeof(long long) * 3 * (size_t)dmax);
    long long *key = malloc(sizeof(long long) * (nr + 1));
    if (!lo || !hi || !key) {
        free(lo);
        free(hi);
        free(key);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    for (int x = 0; x < 3 * dmax; x++)
        lo[x] = hi[x] = -1;
    const char *why = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(ranks, i, r) {
        long long c[3], l[3], h[3];
        json_t *box = json_object_get(r, "box");
        if (get_triple(json_object_get(r, "coords"), 0, PLACE_MAX_RANKS, c) < 0 ||
            !json_is_object(box) || get_triple(json_object_get(box, "lo"), 0, INT64_MAX, l) < 0 ||
            get_triple(json_object_get(box, "hi"), 0, INT64_MAX, h) < 0) {
            why = "a rank's box or coords malformed";
            break;
        }
        for (int ax = 0; ax < 3 && !why; ax++) {
            if (c[ax] >= a->dims[ax] || l[ax] >= h[ax] || h[ax] > a->global[ax]) {
                why = "a rank's box is empty or outside the grid, or its coords outside the "
                      "process grid";
                break;
            }
            long long *pl = &lo[ax * dmax + c[ax]], *ph = &hi[ax * dmax + c[ax]];
            if (*pl >= 0 && (*pl != l[ax] || *ph != h[ax]))
                why = "two ranks at one coordinate of an axis have different extents there";
            *pl = l[ax];
            *ph = h[ax];
        }
        key[i] = (c[0] * a->dims[1] + c[1]) * a->dims[2] + c[2];
    }
    if (!why) { /* sorted, not pairwise: a file may hold a whole job's ranks */
        qsort(key, nr, sizeof *key, cmp_ll);
        for (size_t x = 1; !why && x < nr; x++)
            if (key[x] == key[x - 1])
                why = "two ranks at the same coordinates";
    }
    int whole = nr == (size_t)a->size;
    for (int ax = 0; ax < 3 && !why; ax++) {
        long long prev_hi = -1;
        int prev = -1;
        for (int c = 0; c < a->dims[ax] && !why; c++) {
            long long l = lo[ax * dmax + c], h = hi[ax * dmax + c];
            if (l < 0) {
                if (whole)
                    why = "the boxes leave part of the grid to no rank";
                continue;
            }
            if ((c == 0 && l != 0) || (c == a->dims[ax] - 1 && h != a->global[ax]) ||
                (prev >= 0 && (l < prev_hi || (prev == c - 1 && l != prev_hi))))
                why = "the boxes overlap or leave gaps: they do not tile the grid";
            prev = c;
            prev_hi = h;
        }
    }
    free(lo);
    free(hi);
    free(key);
    return why ? bad(err, path, why) : 0;
}

/* A PCI bus id as hwloc prints it: dddd:bb:dd.f (hex; the domain may be longer). */
static int pci_syntax(const char *s)
{
    size_t n = strlen(s);
    if (n < 12 || n > 16)
        return 0;
    size_t d = n - 8; /* ":bb:dd.f" is 8 */
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (i == d || i == d + 3) {
            if (c != ':')
                return 0;
        } else if (i == d + 6) {
            if (c != '.')
                return 0;
        } else if (i == n - 1) {
            if (c < '0' || c > '7')
                return 0;
        } else if (!hex) {
            return 0;
        }
    }
    return d >= 4;
}

/* "gpus": [{"pci": .., "sub": ..}], "nics": [{"name": ..}] into PLACE_GPUS / PLACE_NICS
 * form; absent: the plan hands none out. */
static int read_devices(place_assignment *a, json_t *r, const char *path, place_error *err)
{
    const char *keys[2] = {"gpus", "nics"};
    for (int k = 0; k < 2; k++) {
        json_t *arr = json_object_get(r, keys[k]), *x;
        if (!arr)
            continue;
        if (!json_is_array(arr) || json_array_size(arr) > 1024)
            return bad(err, path, k ? "a rank's nics is not a list" : "a rank's gpus is not a list");
        size_t cap = json_array_size(arr) * 72 + 1, at = 0, i;
        char *out = malloc(cap);
        if (!out)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        out[0] = '\0';
        json_array_foreach(arr, i, x) {
            const char *v = json_string_value(json_object_get(x, k ? "name" : "pci"));
            long long sub = -1;
            json_t *js = k ? NULL : json_object_get(x, "sub");
            if (!v || !(k ? place_device_name_ok(v) : pci_syntax(v)) ||
                (js && !json_is_null(js) && get_int(x, "sub", 0, 65535, &sub) < 0)) {
                free(out);
                return bad(err, path, k ? "a NIC's name is missing or not a device name"
                                        : "a GPU's pci is missing or not a PCI bus id (dddd:bb:dd.f)");
            }
            if (sub >= 0)
                at += (size_t)snprintf(out + at, cap - at, "%s%s/%lld", i ? "," : "", v, sub);
            else
                at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? "," : "", v);
        }
        if (k)
            a->nics = out;
        else
            a->gpus = out;
    }
    return 0;
}

static int read_rank(place_assignment *a, json_t *root, json_t *r, const char *path,
                     place_error *err)
{
    long long node, lr, v;
    json_t *cs = json_object_get(r, "cpuset"), *numa = json_object_get(r, "numa"),
           *threads = json_object_get(r, "threads");
    if (get_int(r, "node", 0, PLACE_MAX_RANKS, &node) < 0 ||
        get_int(r, "local_rank", 0, a->local_size - 1, &lr) < 0)
        return bad(err, path, "a rank entry's node or local_rank is missing or out of range");
    int bad_index = 0;
    if (!json_is_string(cs) || !place_cpulist_syntax(json_string_value(cs), &bad_index))
        return bad(err, path, "a rank entry's cpuset is missing or not a CPU list (OS PU "
                   "indices like 0-3,8)");
    if (!json_is_array(numa) || json_array_size(numa) > PLACE_MAX_PU_INDEX ||
        !json_is_array(threads) || json_array_size(threads) < 1 ||
        json_array_size(threads) > PLACE_MAX_PU_INDEX + 1)
        return bad(err, path, "a rank entry's numa or threads list is missing");
    a->node = (int)node;
    a->local_rank = (int)lr;
    a->cpuset = place_strdup(json_string_value(cs));
    if (!a->cpuset ||
        alloc_arrays(a, (int)json_array_size(numa), (int)json_array_size(threads), err) < 0)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    size_t i;
    json_t *x;
    json_array_foreach(numa, i, x) {
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            json_integer_value(x) > PLACE_MAX_PU_INDEX)
            return bad(err, path, "a NUMA node is not a whole number from 0 to 65535");
        a->numa_os[i] = (int)json_integer_value(x);
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set || hwloc_bitmap_list_sscanf(set, a->cpuset) < 0) {
        hwloc_bitmap_free(set);
        return bad(err, path, "a rank entry's cpuset is not a CPU list");
    }
    int rc = 0;
    json_array_foreach(threads, i, x) {
        if (get_int(x, "pu", 0, PLACE_MAX_PU_INDEX, &v) < 0 ||
            !hwloc_bitmap_isset(set, (unsigned)v)) {
            rc = bad(err, path, "a thread's pu is missing or outside its rank's cpuset");
            break;
        }
        a->thread_pu_os[i] = (int)v;
    }
    hwloc_bitmap_free(set);
    if (rc < 0 || read_devices(a, r, path, err) < 0)
        return -1;
    return read_grid(a, root, r, path, err);
}

int place_assignment_load(place_assignment *a, const char *path, int rank, place_error *err)
{
    return place_assignment_load_job(a, path, rank, -1, -1, -1, err);
}

/* When ranks do not sit on nodes in blocks, placerun's file is the node's own plan, its
 * ranks numbered 0 .. local_size - 1 (request.ranks = local_size < job_size): then the
 * entry is the local rank's, and rank and size are the job's. */
int place_assignment_load_job(place_assignment *a, const char *path, int rank, int local_rank,
                              int local_size, int job_size, place_error *err)
{
    memset(a, 0, sizeof *a);
    json_error_t je;
    /* a regular file of a plan's size, read without blocking (a FIFO at PLACE_PLAN hung
     * the solver; a file of 300 MB was read whole) */
    char *text = NULL;
    size_t tlen = 0;
    if (place_read_file("plan file", path, PLACE_PLAN_FILE_MAX_BYTES, &text, &tlen, err) < 0)
        return -1;
    json_t *root = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!root)
        return place_error_set(err, PLACE_EINVAL, "plan file '%.200s': %s (line %d); expected a "
                               "plan written by placerun", path, je.text, je.line);
    int rc = -1;
    const char *schema = NULL;
    json_t *ranks = NULL, *req = NULL;
    long long size;
    if (json_unpack(root, "{s:s,s:o,s:o}", "schema", &schema, "ranks", &ranks, "request", &req) ||
        strcmp(schema, PLACE_PLAN_SCHEMA) || !json_is_array(ranks) || json_array_size(ranks) < 1) {
        bad(err, path, "no place-plan/1 schema, request or ranks");
        goto out;
    }
    if (get_int(req, "ranks", 1, PLACE_MAX_RANKS, &size) < 0 ||
        json_array_size(ranks) > (size_t)size) {
        bad(err, path, "request.ranks is missing, out of range, or fewer than the entries");
        goto out;
    }
    int local = job_size > size && local_size == size && local_rank >= 0 && local_rank < size;
    int job_rank = rank;
    if (local)
        rank = local_rank;
    if (rank < 0 || rank >= size) {
        place_error_set(err, PLACE_EINVAL, "rank %d: the plan file '%.200s' is for ranks 0 to %lld",
                        rank, path, size - 1);
        goto out;
    }
    a->size = (int)size;
    size_t i;
    json_t *r = NULL;
    json_array_foreach(ranks, i, r) {
        long long rr;
        if (get_int(r, "rank", 0, size - 1, &rr) < 0) {
            bad(err, path, "a rank entry's rank is missing or out of range");
            goto out;
        }
        if (rr == rank)
            break;
    }
    if (i == json_array_size(ranks)) {
        place_error_set(err, PLACE_EINVAL, "plan file '%.200s' has no entry for rank %d (it holds "
                        "%zu ranks of this node)", path, rank, json_array_size(ranks));
        goto out;
    }
    a->rank = rank;
    a->local_size = (int)json_array_size(ranks);
    rc = read_rank(a, root, r, path, err);
    if (rc == 0 && a->has_grid)
        rc = check_tiling(a, ranks, path, err);
    if (rc == 0 && local) {
        if (a->has_grid) {
            rc = bad(err, path, "a node's own plan (ranks numbered on the node) carries a grid");
        } else {
            a->rank = job_rank;
            a->size = job_size;
        }
    }
out:
    if (rc)
        place_assignment_fini(a);
    json_decref(root);
    return rc;
}

/* ---- writing ------------------------------------------------------------------------ */

/* A job holds its plan file's lock (NAME.lock beside NAME.json, flock shared) from before
 * the file is written until its last process ends: the descriptor is kept open across
 * exec, so the solver and whatever it starts hold it too. The sweep deletes only files
 * whose lock nobody holds. */
static int lock_name(const char *json, char *out, size_t n)
{
    size_t l = strlen(json);
    if (l < 5 || strcmp(json + l - 5, ".json") || l + 1 > n)
        return -1;
    memcpy(out, json, l - 5);
    memcpy(out + l - 5, ".lock", 6);
    return 0;
}

/* Takes the shared lock of plan file NAME and keeps it (a descriptor without FD_CLOEXEC).
 * A process holds at most one lock per name. A sweep that won the lock first may have
 * unlinked the lock file while this process waited: then the lock is taken again on the
 * file now at the path. */
static int hold_lock(const char *json, place_error *err)
{
    static char held[PATH_MAX];
    static int held_fd = -1;
    char lk[PATH_MAX];
    if (lock_name(json, lk, sizeof lk) < 0)
        return place_error_set(err, PLACE_EINVAL, "plan file '%.200s': too long a name", json);
    if (held_fd >= 0 && !strcmp(held, lk)) {
        struct stat a, b;
        if (fstat(held_fd, &a) == 0 && lstat(lk, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev)
            return 0;
    }
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(lk, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (fd < 0)
            return place_error_set(err, PLACE_ESYS, "plan file lock '%.200s': cannot open it: %s",
                                   lk, strerror(errno));
        struct stat a, b;
        if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode) || a.st_uid != geteuid()) {
            close(fd);
            return place_error_set(err, PLACE_ESYS, "plan file lock '%.200s': not a regular file "
                                   "of uid %lu; it is left alone", lk, (unsigned long)geteuid());
        }
        int rc;
        while ((rc = flock(fd, LOCK_SH)) != 0 && errno == EINTR)
            ;
        if (rc != 0) {
            int e = errno;
            close(fd);
            return place_error_set(err, PLACE_ESYS, "plan file lock '%.200s': %s", lk,
                                   strerror(e));
        }
        if (lstat(lk, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            if (held_fd >= 0 && held_fd != fd)
                close(held_fd);
            held_fd = fd;
            snprintf(held, sizeof held, "%s", lk);
            return 0;
        }
        close(fd); /* swept while we waited: take the new one */
    }
    return place_error_set(err, PLACE_ESYS, "plan file lock '%.200s': replaced 100 times while "
                           "taking it", lk);
}

/* Plan files of this user's jobs that are gone: older than a day and their lock held by no
 * process (a file without a lock, written by a version before locks, goes by age alone).
 * The directory is read at most once an hour (the mtime of a stamp file says when):
 * reading thousands of entries on every start cost placerun tens of milliseconds. */
static void sweep_stale(const char *dir)
{
    time_t now = time(NULL);
    char stamp[PATH_MAX + 16];
    struct stat sst;
    snprintf(stamp, sizeof stamp, "%s/.place-swept", dir);
    if (lstat(stamp, &sst) == 0 && S_ISREG(sst.st_mode) && now - sst.st_mtime < 3600 &&
        sst.st_mtime <= now)
        return;
    int fd = open(stamp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd >= 0) {
        futimens(fd, NULL);
        close(fd);
    }
    DIR *d = opendir(dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        if (strncmp(nm, "place-plan-", 11) || l < 16)
            continue;
        int json = !strcmp(nm + l - 5, ".json"), lock = !strcmp(nm + l - 5, ".lock");
        struct stat st;
        if ((!json && !lock) || fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode) || now - st.st_mtime <= 24 * 3600)
            continue;
        char other[NAME_MAX + 1];
        snprintf(other, sizeof other, "%.*s%s", (int)(l - 5), nm, json ? ".lock" : ".json");
        int lfd = openat(dfd, json ? other : nm, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (lfd < 0) {
            if (json && errno == ENOENT)
                unlinkat(dfd, nm, 0); /* no lock: by age */
            continue;
        }
        struct stat ls;
        if (fstat(lfd, &ls) == 0 && S_ISREG(ls.st_mode) && flock(lfd, LOCK_EX | LOCK_NB) == 0) {
            /* nobody holds it; the plan file is checked again under the lock (a job may
             * have written it since the directory was read) */
            struct stat js;
            const char *jn = json ? nm : other, *ln = json ? other : nm;
            if (fstatat(dfd, jn, &js, AT_SYMLINK_NOFOLLOW) != 0 ||
                (S_ISREG(js.st_mode) && now - js.st_mtime > 24 * 3600)) {
                unlinkat(dfd, jn, 0);
                unlinkat(dfd, ln, 0);
            }
        }
        close(lfd);
    }
    closedir(d);
}

int place_planfile_write(const place_launch *l, const place_plan *p, int node,
                         const place_decomp *d, char **path, place_error *err)
{
    *path = NULL;
    const char *dir;
    char pdir[PATH_MAX];
    if (place_private_dir(pdir, sizeof pdir, err) < 0)
        return -1;
    sweep_stale(pdir);
    dir = pdir;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    for (char *c = host; *c; c++)
        if (*c == '/')
            *c = '_';
    /* A single process (no launcher) names its file by the plan's content: a file per pid
     * left thousands behind (one per run); the same plan now reuses one file, and a nested
     * placerun with another plan (exec keeps the pid) still gets its own. */
    char *buf = NULL;
    size_t blen = 0;
    char job[sizeof l->job + 32];
    snprintf(job, sizeof job, "%s", l->job);
    if (!strcmp(l->launcher, "none")) {
        FILE *m = open_memstream(&buf, &blen);
        if (!m)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        int rc = place_plan_write_node_json(p, d, node, m, err);
        fclose(m);
        if (rc < 0) {
            free(buf);
            return -1;
        }
        unsigned long long h = 1469598103934665603ull; /* FNV-1a, 64 bits */
        for (size_t i = 0; i < blen; i++)
            h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
        snprintf(job, sizeof job, "single-%016llx", h);
    }
    size_t n = strlen(dir) + strlen(job) + strlen(host) + 64;
    char *name = malloc(n);
    if (!name) {
        free(buf);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    snprintf(name, n, "%s/place-plan-%s-node%d-%s.json", dir, job, l->node, host);
    if (hold_lock(name, err) < 0) {
        free(name);
        free(buf);
        return -1;
    }
    /* Every rank of the node writes the same bytes and renames them onto the shared
     * name: readers never see a partial file and no rank waits for another. */
    place_wfile w;
    place_error e;
    if (place_wfile_open(&w, "the plan file", name, &e) < 0) {
        place_error_set(err, e.code, "%s (set PLACE_PLAN_DIR to a writable directory)", e.msg);
        if (err)
            err->sys_errno = e.sys_errno;
        free(name);
        free(buf);
        return -1;
    }
    int bad = buf ? fwrite(buf, 1, blen, w.f) != blen : place_plan_write_node_json(p, d, node, w.f, err) < 0;
    if (buf && bad)
        place_error_set(err, PLACE_ESYS, "writing the plan file failed");
    free(buf);
    if (bad || place_wfile_commit(&w, err) < 0) {
        place_wfile_fini(&w);
        free(name);
        return -1;
    }
    *path = name;
    return 0;
}
