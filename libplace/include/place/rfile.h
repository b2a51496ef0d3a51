/* place/rfile.h: reading an input file that nobody vouches for.
 *
 * Opened without blocking (a FIFO another user left at the name would hang the reader
 * until a writer came, /dev/zero never ends), read only when it is a regular file of at
 * most `max` bytes, and read whole into memory with a terminating NUL. Every refusal is one
 * line naming `what` and the path.
 */
#ifndef PLACE_RFILE_H
#define PLACE_RFILE_H

#include <stddef.h>
#include "place/api.h"
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads `path` into *out (caller frees; NUL-terminated, *len bytes before the NUL). Returns
 * 0, or -1 with an error: PLACE_ENOENT when it does not exist, PLACE_EINVAL when it is not
 * a regular file, larger than max or holds a NUL byte, PLACE_ESYS when it cannot be read. */
PLACE_API int place_read_file(const char *what, const char *path, size_t max, char **out,
                              size_t *len, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
