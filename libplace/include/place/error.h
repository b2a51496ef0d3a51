/* place/error.h: how libplace reports failure.
 *
 * Every fallible call takes a `place_error *` (which may be NULL) and returns 0 on
 * success or -1 on failure, after filling the error with a code and one line of text
 * that names the bad input and what would be valid. The text has no trailing newline
 * and no program name, so a CLI can print "placerun: <msg>" and a library user can log
 * it as it is.
 */
#ifndef PLACE_ERROR_H
#define PLACE_ERROR_H

#include "place/api.h"
#ifdef __cplusplus
extern "C" {
#endif

enum place_errcode {
    PLACE_OK = 0,
    PLACE_EINVAL = 1,      /* malformed or out-of-range input */
    PLACE_ENOENT = 2,      /* a named file or object does not exist */
    PLACE_EINFEASIBLE = 3, /* the request cannot be met on this topology */
    PLACE_ESYS = 4,        /* a system call or hwloc call failed; errno kept in sys_errno */
    PLACE_ENOMEM = 5,
    PLACE_ENOTPLACED = 6 /* not running under placerun: no PLACE_* contract to read */
};

#define PLACE_ERRMSG_MAX 512

typedef struct place_error {
    int code;      /* enum place_errcode */
    int sys_errno; /* errno of the failed system call, or 0 */
    char msg[PLACE_ERRMSG_MAX];
} place_error;

/* Sets *err (if not NULL) to the given code and printf-style message. Returns -1 so
 * that a caller can write `return place_error_set(err, ...)`. */
PLACE_API int place_error_set(place_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err to PLACE_OK and an empty message. */
PLACE_API void place_error_clear(place_error *err);

#ifdef __cplusplus
}
#endif
#endif
