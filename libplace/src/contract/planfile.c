/* planfile.c: the node's plan file on disk: written atomically into the user's private
 * directory under the job's lock, stale ones swept; and a rank's assignment from a plan in
 * memory. The file's place-plan/1 JSON, written and read back (strictly: it is untrusted
 * input), is planjson.c's; the environment's reading is runenv.c's. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
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
    if (!a->cpuset || contract_assignment_alloc(a, ri.nnuma, ri.nthreads, err) < 0) {
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
static int hold_lock_locked(const char *json, place_error *err);

/* The process's lock, process state by design (kept until exit, across exec): one mutex
 * keeps two threads that write plan files from racing on it. */
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static char held[PATH_MAX];
static int held_fd = -1;

static int hold_lock(const char *json, place_error *err)
{
    pthread_mutex_lock(&held_mu);
    int rc = hold_lock_locked(json, err);
    pthread_mutex_unlock(&held_mu);
    return rc;
}

static int hold_lock_locked(const char *json, place_error *err)
{
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
            return place_error_set(err, PLACE_ESYS,
                                   "plan file lock '%.200s': not a regular file "
                                   "of uid %lu; it is left alone",
                                   lk, (unsigned long)geteuid());
        }
        int rc;
        while ((rc = flock(fd, LOCK_SH)) != 0 && errno == EINTR)
            ;
        if (rc != 0) {
            int e = errno;
            close(fd);
            return place_error_set(err, PLACE_ESYS, "plan file lock '%.200s': %s", lk, strerror(e));
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
    return place_error_set(err, PLACE_ESYS,
                           "plan file lock '%.200s': replaced 100 times while "
                           "taking it",
                           lk);
}

/* Whether `nm` is NAME.tmp.XXXXXX for a NAME that starts with `prefix`: a temporary of
 * place_wfile. */
static int is_temporary(const char *nm, const char *prefix)
{
    size_t l = strlen(nm);
    return !strncmp(nm, prefix, strlen(prefix)) && l > 11 && !strncmp(nm + l - 11, ".tmp.", 5);
}

/* What the private directory holds that nobody needs any more:
 *  - plan files of this user's jobs that are gone: older than a day and their lock held by
 *    no process (a file without a lock, written by a version before locks, goes by age
 *    alone);
 *  - temporaries of plan files and topology caches whose writer was killed (unlocked,
 *    older than an hour; a live writer locks its temporary);
 *  - topology cache files untouched for a week (each cgroup, each Slurm step, has its own
 *    key and file; a file in use is touched hourly).
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
        struct stat st;
        int tmp = is_temporary(nm, "place-plan-") || is_temporary(nm, "topo-");
        if (tmp || (!strncmp(nm, "topo-", 5) && l > 9 && !strcmp(nm + l - 4, ".xml"))) {
            int tfd = openat(dfd, nm, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (tfd < 0)
                continue;
            if (fstat(tfd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                now - st.st_mtime > (tmp ? 3600 : 7 * 24 * 3600) &&
                (!tmp || flock(tfd, LOCK_EX | LOCK_NB) == 0))
                unlinkat(dfd, nm, 0);
            close(tfd);
            continue;
        }
        if (strncmp(nm, "place-plan-", 11) || l < 16)
            continue;
        int json = !strcmp(nm + l - 5, ".json"), lock = !strcmp(nm + l - 5, ".lock");
        if ((!json && !lock) || fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode) || now - st.st_mtime <= (time_t)24 * 3600)
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
                (S_ISREG(js.st_mode) && now - js.st_mtime > (time_t)24 * 3600)) {
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
        snprintf(job, sizeof job, "single-%016llx", place_fnv1a(buf, blen));
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
    if (place_wfile_open_quick(&w, "the plan file", name, &e) < 0) {
        place_error_set(err, e.code, "%s (set PLACE_PLAN_DIR to a writable directory)", e.msg);
        if (err)
            err->sys_errno = e.sys_errno;
        free(name);
        free(buf);
        return -1;
    }
    int bad = buf ? fwrite(buf, 1, blen, w.f) != blen
                  : place_plan_write_node_json(p, d, node, w.f, err) < 0;
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
