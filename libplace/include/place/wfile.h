/* place/wfile.h: writing a file so that no reader ever sees it half-written, and no one
 * else's file is clobbered on the way.
 *
 * The data goes to a new temporary file beside the target, created with O_EXCL and
 * O_NOFOLLOW (mkostemp: a name nobody could have prepared, never a symlink followed);
 * commit flushes it, checks that the target is absent or a regular file (never renames
 * over a directory, a symlink or a device) and renames it into place; a durable wfile is
 * also fsynced, and its directory after the rename. A target that is a character device or
 * a FIFO (/dev/null, a pipe) is written directly, never replaced; a symlink or a directory
 * at the target is refused at open, before any work. abort removes the temporary. The one implementation for every output of
 * place: placerun's -o, the plan files, reports, probe and energy CSVs, checkpoints.
 */
#ifndef PLACE_WFILE_H
#define PLACE_WFILE_H

#include <stdio.h>
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct place_wfile {
    FILE *f;          /* write here between open and commit */
    char *path;       /* the target */
    char *tmp;        /* the temporary beside it: its name in dirfd */
    const char *what; /* names the output in messages (a string that outlives the wfile) */
    int durable;      /* set after open to fsync the file and its directory at commit, so the
                      new content survives a crash (checkpoints); else atomic only */
    int direct;       /* the target is a device or FIFO, written in place */
    int dirfd;        /* the target's directory, held from open to commit: the temporary is
                         made, renamed and removed in it, whatever its path comes to name */
} place_wfile;

/* Creates the temporary beside `path`. `what` names the output in messages (e.g. "-o",
 * "--report"). The temporary is locked (flock) while it is written; temporaries of the same
 * target that a killed writer left (this user's, unlocked, untouched for a minute) are
 * removed on the way. */
PLACE_API int place_wfile_open(place_wfile *w, const char *what, const char *path,
                               place_error *err);
/* The same for `name` in the directory `dirfd` (a descriptor the caller holds: a path
 * changed under it, a link swapped in, does not move the output). */
PLACE_API int place_wfile_openat(place_wfile *w, const char *what, int dirfd, const char *name,
                                 place_error *err);
/* place_wfile_open without the sweep of killed writers' temporaries (a directory that its
 * owner sweeps itself, such as the plan files'). */
PLACE_API int place_wfile_open_quick(place_wfile *w, const char *what, const char *path,
                                     place_error *err);

/* Finishes the file: flush (and fsync if durable), rename into place (and fsync the
 * directory if durable). The file
 * gets mode 0666 less the umask, as a plain create would. On failure the temporary is
 * removed and the target is unchanged. Either way the wfile is released. */
PLACE_API int place_wfile_commit(place_wfile *w, place_error *err);

/* Removes the temporary and releases the wfile; the target is unchanged. */
PLACE_API void place_wfile_fini(place_wfile *w);

#ifdef __cplusplus
}
#endif
#endif
