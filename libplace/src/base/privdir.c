/* privdir.c (base): this user's private directory for plan files and the topology cache,
 * BASE/place-UID (BASE: PLACE_PLAN_DIR, else TMPDIR, else /tmp). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/base.h"
#include "place/runenv.h"

/* The user's private directory for plan files, BASE/place-UID: made 0700, or, when it
 * exists, checked through a descriptor opened without following links: a directory, owned
 * by this user, closed to everyone else. Anything else (another user made it first, it is
 * a link, it is open to others) is refused: nothing is written outside it. */
static int private_dir(const char *base, char *out, size_t n, place_error *err)
{
    if (base[0] != '/')
        return place_error_set(err, PLACE_EINVAL,
                               "plan directory '%.200s': a relative path; "
                               "expected an absolute PLACE_PLAN_DIR or TMPDIR",
                               base);
    uid_t me = geteuid();
    snprintf(out, n, "%s/place-%lu", base, (unsigned long)me);
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return place_error_set(err, PLACE_ESYS,
                               "plan directory '%.200s': cannot create it: %s "
                               "(set PLACE_PLAN_DIR to a writable directory)",
                               out, strerror(errno));
    int fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int ok = fd >= 0 && fstat(fd, &st) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return place_error_set(err, PLACE_ESYS,
                               "plan directory '%.200s': not a directory of "
                               "its own (a link or a file stands there); expected a private "
                               "directory of uid %lu (set PLACE_PLAN_DIR elsewhere)",
                               out, (unsigned long)me);
    if (st.st_uid != me || (st.st_mode & 077))
        return place_error_set(err, PLACE_ESYS,
                               "plan directory '%.200s': owned by uid %lu with "
                               "mode %03o; expected a private directory of uid %lu, mode 700 "
                               "(someone else made it first? set PLACE_PLAN_DIR elsewhere)",
                               out, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 0777),
                               (unsigned long)me);
    return 0;
}

int place_private_dir(char *pdir, size_t n, place_error *err)
{
    const char *dir = place_env_get(PLACE_ENV_PLAN_DIR);
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (strlen(dir) > PATH_MAX - 64)
        return place_error_set(err, PLACE_EINVAL, "plan directory '%.200s': too long", dir);
    return private_dir(dir, pdir, n, err);
}
