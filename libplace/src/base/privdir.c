/* privdir.c (base): this user's private directory for plan files and the topology cache,
 * BASE/place-UID (BASE: PLACE_PLAN_DIR, else TMPDIR, else /tmp); when another user has
 * taken that name first, a directory only this user can make (docs/security.md). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/base.h"
#include "place/envnames.h"
#include "place/privdir.h"

/* Whether `path` is a private directory of this user: opened without following links, a
 * directory, owned by this user, closed to everyone else. 0, or -1 with the reason. */
static int check_private(const char *path, place_error *err)
{
    uid_t me = geteuid();
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int ok = fd >= 0 && fstat(fd, &st) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return place_error_set(err, PLACE_ESYS,
                               "plan directory '%.200s': not a directory of "
                               "its own (a link or a file stands there); expected a private "
                               "directory of uid %lu",
                               path, (unsigned long)me);
    if (st.st_uid != me || (st.st_mode & 077))
        return place_error_set(err, PLACE_ESYS,
                               "plan directory '%.200s': owned by uid %lu with "
                               "mode %03o; expected a private directory of uid %lu, mode 700",
                               path, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 0777),
                               (unsigned long)me);
    return 0;
}

/* DIR made 0700 (or there already), then checked. */
static int make_private(const char *path, place_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return place_error_set(err, PLACE_ESYS, "plan directory '%.200s': cannot create it: %s",
                               path, strerror(errno));
    return check_private(path, err);
}

/* The fallback when BASE/place-UID is not ours: $XDG_RUNTIME_DIR/place when the login
 * session has that directory (this user's, 0700: nobody else can make a name in it), else
 * a directory BASE/place-UID.XXXXXX of this user's (one made earlier is found again, so
 * that runs do not each leave one; another user's names there are passed over), else a
 * new one (mkdtemp: a random name nobody could have made first). */
static int fallback_dir(const char *base, char *out, size_t n, int *made)
{
    *made = 0;
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/' && strlen(xdg) < PATH_MAX - 64 && check_private(xdg, NULL) == 0) {
        snprintf(out, n, "%s/place", xdg);
        struct stat st;
        *made = lstat(out, &st) != 0;
        if (make_private(out, NULL) == 0)
            return 0;
    }
    char prefix[64];
    int plen = snprintf(prefix, sizeof prefix, "place-%lu.", (unsigned long)geteuid());
    DIR *d = opendir(base);
    struct dirent *de;
    int found = 0;
    for (int seen = 0; d && !found && seen < 100000 && (de = readdir(d)); seen++) {
        if (strncmp(de->d_name, prefix, (size_t)plen) || strlen(de->d_name) != (size_t)plen + 6)
            continue;
        snprintf(out, n, "%s/%s", base, de->d_name);
        found = check_private(out, NULL) == 0;
    }
    if (d)
        closedir(d);
    if (found)
        return 0;
    snprintf(out, n, "%s/%sXXXXXX", base, prefix);
    if (!mkdtemp(out) || check_private(out, NULL) < 0)
        return -1;
    *made = 1;
    return 0;
}

/* The note of this process's fallback, said once (place_private_dir_note). */
static pthread_mutex_t note_mu = PTHREAD_MUTEX_INITIALIZER;
static char note[PATH_MAX + 512];
static int note_taken;

const char *place_private_dir_note(void)
{
    pthread_mutex_lock(&note_mu);
    const char *r = note[0] && !note_taken ? note : NULL;
    note_taken |= r != NULL;
    pthread_mutex_unlock(&note_mu);
    return r;
}

int place_private_dir(char *pdir, size_t n, place_error *err)
{
    const char *given = place_env_get(PLACE_ENV_PLAN_DIR);
    const char *dir = given && *given ? given : getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (strlen(dir) > PATH_MAX - 64)
        return place_error_set(err, PLACE_EINVAL, "plan directory '%.200s': too long", dir);
    if (dir[0] != '/')
        return place_error_set(err, PLACE_EINVAL,
                               "plan directory '%.200s': a relative path; "
                               "expected an absolute PLACE_PLAN_DIR or TMPDIR",
                               dir);
    place_error why;
    snprintf(pdir, n, "%s/place-%lu", dir, (unsigned long)geteuid());
    if (make_private(pdir, &why) == 0)
        return 0;
    if (given && *given) /* the user named the base: theirs to fix, nothing else used */
        return place_error_set(err, why.code, "%s (set PLACE_PLAN_DIR elsewhere)", why.msg);
    char alt[PATH_MAX];
    int made = 0;
    if (fallback_dir(dir, alt, sizeof alt, &made) < 0)
        return place_error_set(err, why.code,
                               "%s, and no directory of this user's could be made in its "
                               "place (set PLACE_PLAN_DIR elsewhere)",
                               why.msg);
    if (made) {
        pthread_mutex_lock(&note_mu);
        if (!note[0])
            snprintf(note, sizeof note,
                     "%.600s (someone else made it first?): using '%.2000s' instead", why.msg, alt);
        pthread_mutex_unlock(&note_mu);
    }
    snprintf(pdir, n, "%s", alt);
    return 0;
}
