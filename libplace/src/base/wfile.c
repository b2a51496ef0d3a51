/* wfile.c: atomic, non-clobbering file output (see place/wfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int place_wfile_open(place_wfile *w, const char *what, const char *path, place_error *err)
{
    memset(w, 0, sizeof *w);
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
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
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
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
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
    snprintf(w->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(w->tmp, O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        return wfail(w, err, what, path, "cannot create a file there", e);
    }
    w->f = fdopen(fd, "w");
    if (!w->f) {
        int e = errno;
        close(fd);
        return wfail(w, err, what, path, "cannot open", e);
    }
    return 0;
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
    FILE *f = w->f;
    w->f = NULL;
    if (fclose(f) != 0)
        return wfail(w, err, what, w->path, "write failed", errno);
    struct stat st;
    if (lstat(w->path, &st) == 0 && !S_ISREG(st.st_mode))
        return wfail(w, err, what, w->path, "exists and is not a regular file; it is left alone",
                     EEXIST);
    if (rename(w->tmp, w->path) != 0)
        return wfail(w, err, what, w->path, "cannot rename the finished file into place", errno);
    free(w->tmp);
    w->tmp = NULL;
    /* the rename itself, durable */
    char *dir = w->durable ? place_strdup(w->path) : NULL;
    if (dir) {
        char *slash = strrchr(dir, '/');
        const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
        int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    place_wfile_fini(w);
    return 0;
}

void place_wfile_fini(place_wfile *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    memset(w, 0, sizeof *w);
}
void place_wfile_free(place_wfile *w) __attribute__((alias("place_wfile_fini")));
