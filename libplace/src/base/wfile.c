/* wfile.c: atomic, non-clobbering file output (see place/wfile.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "base/base.h"
#include "place/wfile.h"

/* Writing to a pipe without ever blocking for long or dying of SIGPIPE: the descriptor is
 * non-blocking, a full pipe is waited for at most PIPE_WAIT_MS at a time, and a reader gone
 * away is a write error (EPIPE), the signal it raises taken back. */
#define PIPE_WAIT_MS 10000

static ssize_t pipe_write(void *cookie, const char *buf, size_t n)
{
    int fd = (int)(intptr_t)cookie;
    sigset_t pipe_sig, old;
    sigemptyset(&pipe_sig);
    sigaddset(&pipe_sig, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_sig, &old);
    size_t done = 0;
    int e = 0;
    while (done < n) {
        ssize_t r = write(fd, buf + done, n - done);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {fd, POLLOUT, 0};
            int k = poll(&p, 1, PIPE_WAIT_MS);
            if (k > 0 && !(p.revents & (POLLERR | POLLHUP)))
                continue;
            e = k == 0 ? ETIMEDOUT : EPIPE;
        } else {
            e = r < 0 ? errno : EIO;
        }
        break;
    }
    if (e == EPIPE) { /* the SIGPIPE the write raised, while blocked: taken back */
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_sig, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (done == 0 && e) {
        errno = e;
        return -1;
    }
    return (ssize_t)done;
}

static int pipe_close(void *cookie)
{
    return close((int)(intptr_t)cookie);
}

static int wfail(place_wfile *w, place_error *err, const char *what, const char *path,
                 const char *doing, int e)
{
    place_error_set(err, PLACE_ESYS, "%s '%.200s': %s: %s", what, path, doing, strerror(e));
    if (err)
        err->sys_errno = e;
    place_wfile_fini(w);
    return -1;
}

/* The name's last component. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Temporaries of this target left by a writer that was killed (SIGKILL, a crash): regular
 * files of this user's named TARGET.tmp.XXXXXX, not locked (a live writer holds an flock
 * on its temporary from its creation on) and untouched for a minute (the moment between a
 * temporary's creation and its lock). Others' files and names are left alone. */
static void sweep_temporaries(int dfd, const char *target)
{
    int d2 = dfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                             : openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
    if (!d) {
        if (d2 >= 0)
            close(d2);
        return;
    }
    size_t n = strlen(target);
    time_t now = time(NULL);
    struct dirent *de;
    for (int seen = 0; seen < 100000 && (de = readdir(d)); seen++) {
        const char *nm = de->d_name;
        if (strncmp(nm, target, n) || strncmp(nm + n, ".tmp.", 5) || strlen(nm + n) != 11)
            continue;
        int fd = openat(d2, nm, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
            continue;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
            now - st.st_mtime > 60 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            struct stat again; /* still the file that was checked */
            if (fstatat(d2, nm, &again, AT_SYMLINK_NOFOLLOW) == 0 && again.st_ino == st.st_ino &&
                again.st_dev == st.st_dev)
                unlinkat(d2, nm, 0);
        }
        close(fd);
    }
    closedir(d);
}

/* A new temporary in dfd, its name `tmp` with its last six characters made random:
 * O_EXCL|O_NOFOLLOW (a name nobody could have prepared, never a link followed). */
static int make_temporary(int dfd, char *tmp)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = strlen(tmp);
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            uint64_t x = (uint64_t)ts.tv_nsec * 6364136223846793005ull + (uint64_t)getpid() +
                         (uint64_t)tries;
            memcpy(r, &x, sizeof r);
        }
        for (int i = 0; i < 6; i++)
            tmp[n - 6 + (size_t)i] = chars[r[i] % (sizeof chars - 1)];
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

static int wfile_open(place_wfile *w, const char *what, int dfd, const char *path, int sweep,
                      place_error *err)
{
    memset(w, 0, sizeof *w);
    w->dirfd = -1;
    if (!path || !*path)
        return place_error_set(err, PLACE_EINVAL, "%s: empty file name", what);
    size_t n = strlen(path);
    if (path[n - 1] == '/')
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.200s': names a directory; expected a "
                               "file name",
                               what, path);
    w->what = what;
    struct stat st;
    if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
        if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.200s': is %s; expected a regular file "
                                   "(or a device such as /dev/null)",
                                   what, path,
                                   S_ISLNK(st.st_mode)    ? "a symbolic link"
                                   : S_ISDIR(st.st_mode)  ? "a directory"
                                   : S_ISSOCK(st.st_mode) ? "a socket"
                                                          : "not a regular file");
        /* a pipe another user made would hand them the output (fs.protected_fifos does not
         * stop a writer that is its owner's peer): refused */
        if (S_ISFIFO(st.st_mode) && st.st_uid != geteuid())
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.200s': is a FIFO of another user "
                                   "(uid %lu); expected a regular file or a FIFO of yours",
                                   what, path, (unsigned long)st.st_uid);
        /* a device or a pipe: written where it is, never replaced; opened without blocking
         * (a pipe no one reads fails here, not at the end of a run) */
        int fd = openat(dfd, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            return place_error_set(err, PLACE_ESYS, "%s '%.200s': cannot open: %s", what, path,
                                   errno == ENXIO ? "a FIFO that no process reads"
                                                  : strerror(errno));
        struct stat now;
        if (fstat(fd, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
            close(fd);
            return place_error_set(err, PLACE_EINVAL, "%s '%.200s': replaced while it was opened",
                                   what, path);
        }
        if (S_ISFIFO(st.st_mode)) {
            cookie_io_functions_t io = {NULL, pipe_write, NULL, pipe_close};
            w->f = fopencookie((void *)(intptr_t)fd, "w", io);
        } else {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            w->f = fdopen(fd, "w");
        }
        if (!w->f) {
            close(fd);
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        }
        w->direct = 1;
        return 0;
    }
    w->path = place_strdup(path);
    w->tmp = malloc(n + 16);
    if (!w->path || !w->tmp) {
        place_wfile_fini(w);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    /* the directory, held: the temporary, its rename and its removal all happen in it */
    char *dir = place_strdup(path);
    if (!dir) {
        place_wfile_fini(w);
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    const char *dname = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
    w->dirfd = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int de = errno;
    free(dir);
    if (w->dirfd < 0)
        return wfail(w, err, what, path, "cannot create a file there", de);
    const char *base = base_name(path);
    if (sweep)
        sweep_temporaries(w->dirfd, base);
    snprintf(w->tmp, n + 16, "%s.tmp.XXXXXX", base);
    int fd = make_temporary(w->dirfd, w->tmp);
    if (fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        return wfail(w, err, what, path, "cannot create a file there", e);
    }
    flock(fd, LOCK_EX | LOCK_NB); /* "being written": the sweep passes it over */
    w->f = fdopen(fd, "w");
    if (!w->f) {
        int e = errno;
        close(fd);
        return wfail(w, err, what, path, "cannot open", e);
    }
    return 0;
}

int place_wfile_open(place_wfile *w, const char *what, const char *path, place_error *err)
{
    return wfile_open(w, what, AT_FDCWD, path, 1, err);
}

int place_wfile_openat(place_wfile *w, const char *what, int dirfd, const char *name,
                       place_error *err)
{
    if (name && strchr(name, '/'))
        return place_error_set(err, PLACE_EINVAL, "%s '%.200s': expected a name in the directory",
                               what, name);
    return wfile_open(w, what, dirfd, name, 1, err);
}

int place_wfile_open_quick(place_wfile *w, const char *what, const char *path, place_error *err)
{
    return wfile_open(w, what, AT_FDCWD, path, 0, err);
}

int place_wfile_commit(place_wfile *w, place_error *err)
{
    const char *what = w->what ? w->what : "output";
    if (!w->f)
        return place_error_set(err, PLACE_EINVAL, "output: not open");
    if (w->direct) {
        FILE *f = w->f;
        w->f = NULL;
        int bad = fflush(f) != 0 || ferror(f);
        bad |= fclose(f) != 0;
        place_wfile_fini(w);
        return bad ? place_error_set(err, PLACE_ESYS, "%s: write failed", what) : 0;
    }
    mode_t mask = umask(0);
    umask(mask);
    int fd = fileno(w->f);
    if (fflush(w->f) != 0 || ferror(w->f))
        return wfail(w, err, what, w->path, "write failed", errno ? errno : EIO);
    if (fchmod(fd, 0666 & ~mask) != 0 || (w->durable && fsync(fd) != 0))
        return wfail(w, err, what, w->path, "cannot finish the file", errno);
    const char *base = base_name(w->path);
    struct stat st;
    if (fstatat(w->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
        return wfail(w, err, what, w->path, "exists and is not a regular file; it is left alone",
                     EEXIST);
    /* renamed while the temporary is still open and locked: the sweep never takes it */
    if (renameat(w->dirfd, w->tmp, w->dirfd, base) != 0)
        return wfail(w, err, what, w->path, "cannot rename the finished file into place", errno);
    free(w->tmp);
    w->tmp = NULL;
    FILE *f = w->f;
    w->f = NULL;
    if (fclose(f) != 0)
        return wfail(w, err, what, w->path, "write failed", errno);
    if (w->durable) /* the rename itself, durable */
        fsync(w->dirfd);
    place_wfile_fini(w);
    return 0;
}

void place_wfile_fini(place_wfile *w)
{
    if (!w)
        return;
    if (w->tmp && w->dirfd >= 0)
        unlinkat(w->dirfd, w->tmp, 0);
    if (w->f)
        fclose(w->f);
    if (w->dirfd >= 0)
        close(w->dirfd);
    free(w->tmp);
    free(w->path);
    memset(w, 0, sizeof *w);
    w->dirfd = -1;
}
