/* rfile.c: reading an input file that nobody vouches for (see place/rfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "place/rfile.h"

int place_read_file(const char *what, const char *path, size_t max, char **out, size_t *len,
                    place_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        place_error_set(err, e == ENOENT ? PLACE_ENOENT : PLACE_ESYS, "%s '%.200s': %s", what, path,
                        strerror(e));
        if (err)
            err->sys_errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return place_error_set(err, PLACE_EINVAL, "%s '%.200s': %s; expected a regular file", what,
                               path,
                               S_ISDIR(st.st_mode)    ? "a directory"
                               : S_ISFIFO(st.st_mode) ? "a FIFO"
                               : S_ISSOCK(st.st_mode) ? "a socket"
                                                      : "a device");
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return place_error_set(err, PLACE_EINVAL, "%s '%.200s': %lld bytes; expected at most %zu",
                               what, path, (long long)st.st_size, max);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = 0;
    ssize_t r = 1;
    while (buf && n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
        n += (size_t)r;
    int e = errno;
    close(fd);
    if (!buf) {
        return place_error_set(err, PLACE_ENOMEM, "%s '%.200s': out of memory", what, path);
    }
    if (r < 0) {
        free(buf);
        return place_error_set(err, PLACE_ESYS, "%s '%.200s': cannot read it: %s", what, path,
                               strerror(e));
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        return place_error_set(err, PLACE_EINVAL, "%s '%.200s': holds a NUL byte; expected text",
                               what, path);
    }
    *out = buf;
    *len = n;
    return 0;
}
