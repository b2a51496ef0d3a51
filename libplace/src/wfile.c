/* wfile.c: atomic, non-clobbering file output (see place/wfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "place/wfile.h"

static int wfail(place_wfile *w, place_error *err, const char *what, const char *path,
                 const char *doing, int e)
{
    place_error_set(err, PLACE_ESYS, "%s '%.200s': %s: %s", what, path, doing, strerror(e));
    if (err)
        err->sys_errno = e;
    place_wfile_free(w);
    return -1;
}

int place_wfile_open(place_wfile *w, const char *what, const char *path, place_error *err)
{
    memset(w, 0, sizeof *w);
    if (!path || !*path)
        return place_error_set(err, PLACE_EINVAL, "%s: empty file name", what);
    size_t n = strlen(path);
    if (path[n - 1] == '/')
        return place_error_set(err, PLACE_EINVAL, "%s '%.200s': names a directory; expected a "
                               "file name", what, path);
    w->what = what;
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
            return place_error_set(err, PLACE_EINVAL, "%s '%.200s': is %s; expected a regular file "
                                   "(or a device such as /dev/null)", what, path,
                                   S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode)
                                   ? "a directory" : "not a regular file");
        /* a device or a pipe: written where it is, never replaced */
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            return place_error_set(err, PLACE_ESYS, "%s '%.200s': cannot open: %s", what, path,
                                   strerror(errno));
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        w->f = fdopen(fd, "w");
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
        place_wfile_free(w);
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
        place_wfile_free(w);
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
    place_wfile_free(w);
    return 0;
}

void place_wfile_free(place_wfile *w)
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
