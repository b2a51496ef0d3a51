/* place/privdir.h: the user's private directory for plan files and the topology cache
 * (base/privdir.c): BASE/place-UID, or the fallback place/runenv.h's place_planfile_write
 * describes when another user made that name first.
 */
#ifndef PLACE_PRIVDIR_H
#define PLACE_PRIVDIR_H

#include "place/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why this process uses a directory other than BASE/place-UID and which, when it made that
 * directory (its first use): the line to say, returned once per process, else NULL. */
PLACE_API const char *place_private_dir_note(void);

#ifdef __cplusplus
}
#endif
#endif
