/* parse.c: strict number parsing for every option and file place reads. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "place/parse.h"

/* Messages quote at most this many characters of the user's text: hostile input of a
 * megabyte must still give one readable line. */
#define QUOTE "%.40s%s"
#define QARG(s) (s), (strlen(s) > 40 ? "..." : "")

#include <string.h>

int place_parse_i64(const char *what, const char *s, int64_t min, int64_t max,
                    int64_t *out, place_error *err)
{
    if (!s || !*s)
        return place_error_set(err, PLACE_EINVAL,
                               "%s: empty value; expected a whole number from %lld to %lld",
                               what, (long long)min, (long long)max);
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9')
        goto bad;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0')
        goto bad;
    if (errno == ERANGE || v < min || v > max)
        return place_error_set(err, PLACE_EINVAL,
                               "%s '" QUOTE "': out of range; expected a whole number from %lld to %lld",
                               what, QARG(s), (long long)min, (long long)max);
    *out = v;
    return 0;
bad:
    return place_error_set(err, PLACE_EINVAL,
                           "%s '" QUOTE "': not a whole number; expected one from %lld to %lld",
                           what, QARG(s), (long long)min, (long long)max);
}

int place_parse_int(const char *what, const char *s, long min, long max, int *out,
                    place_error *err)
{
    int64_t v;
    if (place_parse_i64(what, s, min, max, &v, err))
        return -1;
    *out = (int)v;
    return 0;
}

int place_parse_double(const char *what, const char *s, double min, double max,
                       double *out, place_error *err)
{
    if (!s || !*s)
        return place_error_set(err, PLACE_EINVAL, "%s: empty value; expected a number from %g to %g",
                               what, min, max);
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return place_error_set(err, PLACE_EINVAL,
                               "%s '" QUOTE "': not a finite number; expected one from %g to %g",
                               what, QARG(s), min, max);
    if (errno == ERANGE || v < min || v > max)
        return place_error_set(err, PLACE_EINVAL,
                               "%s '" QUOTE "': out of range; expected a number from %g to %g",
                               what, QARG(s), min, max);
    *out = v;
    return 0;
}
