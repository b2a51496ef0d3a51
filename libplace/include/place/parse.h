/* place/parse.h: strict parsing of the numbers that users type.
 *
 * strtol accepts "12abc", " 12", "" and overflows silently; a placement tool must not
 * guess. These parsers accept only a complete decimal number inside [min, max] and
 * otherwise fill an error naming the option, the text given and the valid range.
 */
#ifndef PLACE_PARSE_H
#define PLACE_PARSE_H

#include "place/api.h"
#include <stdint.h>
#include "place/error.h"

/* The largest OS PU index a CPU list (--allowed) may name (Linux's own limit, NR_CPUS,
 * is at most 8192 on common kernels). */
#define PLACE_MAX_PU_INDEX 65535

#ifdef __cplusplus
extern "C" {
#endif

/* Parses `s` as a whole decimal number in [min, max]. `what` names the input in the
 * message (e.g. "-n"). Returns 0, or -1 with PLACE_EINVAL. */
PLACE_API int place_parse_int(const char *what, const char *s, long min, long max, int *out,
                              place_error *err);
PLACE_API int place_parse_i64(const char *what, const char *s, int64_t min, int64_t max,
                              int64_t *out, place_error *err);

/* Parses a real number (strtod syntax, finite) in [min, max]. */
PLACE_API int place_parse_double(const char *what, const char *s, double min, double max,
                                 double *out, place_error *err);

/* A comma-separated list of whole numbers, each in [min, max] ("0,2,4"), at most `cap`
 * of them, into out[]; *n gets the count. Empty items, spaces and signs that
 * place_parse_int refuses are refused. */
PLACE_API int place_parse_int_list(const char *what, const char *s, long min, long max, int *out,
                                   int cap, int *n, place_error *err);

/* A CPU list of OS PU indices ("0-3,8", each at most PLACE_MAX_PU_INDEX) into out[0..n),
 * ascending as written; at most cap. Returns 0, or -1 with an error naming `what`. */
PLACE_API int place_parse_cpulist(const char *what, const char *s, int *out, int cap, int *n,
                                  place_error *err);

/* The inverse: n numbers as "a,b,c", each between pre and post ("{0},{2}" for OMP_PLACES
 * with "{" and "}"). Returns a new string (caller frees) or NULL when out of memory. */
PLACE_API char *place_int_list_string(const int *v, int n, const char *pre, const char *post);

#ifdef __cplusplus
}
#endif
#endif
