/* parse.c: strict number parsing for every option and file place reads. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "place/parse.h"
#include "base/base.h"

/* Messages quote at most this many characters of the user's text: hostile input of a
 * megabyte must still give one readable line. */
#define QUOTE "%.40s%s"
#define QARG(s) (s), (strlen(s) > 40 ? "..." : "")

#include <string.h>

int place_parse_i64(const char *what, const char *s, int64_t min, int64_t max, int64_t *out,
                    place_error *err)
{
    if (!s || !*s)
        return place_error_set(err, PLACE_EINVAL,
                               "%s: empty value; expected a whole number from %lld to %lld", what,
                               (long long)min, (long long)max);
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
                               "%s '" QUOTE
                               "': out of range; expected a whole number from %lld to %lld",
                               what, QARG(s), (long long)min, (long long)max);
    *out = v;
    return 0;
bad:
    return place_error_set(err, PLACE_EINVAL,
                           "%s '" QUOTE "': not a whole number; expected one from %lld to %lld",
                           what, QARG(s), (long long)min, (long long)max);
}

int place_parse_int(const char *what, const char *s, long min, long max, int *out, place_error *err)
{
    int64_t v;
    if (place_parse_i64(what, s, min, max, &v, err))
        return -1;
    *out = (int)v;
    return 0;
}

int place_parse_double(const char *what, const char *s, double min, double max, double *out,
                       place_error *err)
{
    if (!s || !*s)
        return place_error_set(err, PLACE_EINVAL,
                               "%s: empty value; expected a number from %g to %g", what, min, max);
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

/* A CPU list: N or N-M items (N <= M <= PLACE_MAX_PU_INDEX, decimal without leading zeros)
 * separated by commas, nothing else. *bad_index says the syntax was right but an index too
 * large. What passes reads the same to hwloc_bitmap_list_sscanf (strtoul base 0: a leading
 * zero would be octal to it), which place then uses to build the set. */
int place_cpulist_syntax(const char *s, int *bad_index)
{
    if (!s || !*s)
        return 0;
    for (;;) {
        long lo = -1, hi;
        for (int part = 0; part < 2; part++) {
            if (*s < '0' || *s > '9')
                return 0;
            if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
                return 0; /* a leading zero: hwloc's reader (strtoul base 0) would take it for octal */
            long v = 0;
            int digits = 0;
            while (*s >= '0' && *s <= '9') {
                if (++digits > 9)
                    return (*bad_index = 1), 0;
                v = v * 10 + (*s++ - '0');
            }
            if (v > PLACE_MAX_PU_INDEX)
                return (*bad_index = 1), 0;
            if (part == 0)
                lo = v;
            hi = v;
            if (*s != '-' || part == 1)
                break;
            s++;
        }
        if (hi < lo)
            return 0;
        if (!*s)
            return 1;
        if (*s++ != ',')
            return 0;
    }
}

/* A comma-separated list of whole numbers in [min, max], at most `cap` of them; *n gets
 * the count. Each item goes through place_parse_int, so "1,,2", " 1" and "1x" fail; no
 * item may carry a sign. */
int place_parse_int_list(const char *what, const char *s, long min, long max, int *out, int cap,
                         int *n, place_error *err)
{
    if (!s || !*s)
        return place_error_set(err, PLACE_EINVAL, "%s: empty; expected comma-separated numbers",
                               what);
    *n = 0;
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, ",");
        char buf[24];
        if (len == 0 || len >= sizeof buf)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.60s': expected comma-separated whole "
                                   "numbers from %ld to %ld",
                                   what, s, min, max);
        if (*n == cap)
            return place_error_set(err, PLACE_EINVAL, "%s '%.60s': more than %d entries", what, s,
                                   cap);
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (buf[0] == '+')
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.60s': expected comma-separated whole "
                                   "numbers from %ld to %ld",
                                   what, s, min, max);
        if (place_parse_int(what, buf, min, max, &out[*n], err) < 0)
            return -1;
        (*n)++;
        p += len;
        if (!*p)
            return 0;
        p++;
    }
}

int place_parse_cpulist(const char *what, const char *s, int *out, int cap, int *n,
                        place_error *err)
{
    int bad_index = 0;
    *n = 0;
    if (!place_cpulist_syntax(s, &bad_index))
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.60s': %s; expected OS PU indices like "
                               "0-3,8",
                               what, s ? s : "",
                               bad_index ? "a PU index is out of range" : "not a CPU list");
    for (const char *p = s; *p;) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (*end == '-')
            hi = strtol(end + 1, &end, 10);
        for (long v = lo; v <= hi; v++) {
            if (*n == cap)
                return place_error_set(err, PLACE_EINVAL, "%s '%.60s': more than %d PUs", what, s,
                                       cap);
            out[(*n)++] = (int)v;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

char *place_int_list_string(const int *v, int n, const char *pre, const char *post)
{
    size_t cap = (size_t)n * (12 + strlen(pre) + strlen(post)) + 1;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t at = 0;
    s[0] = '\0';
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s%s%d%s", i ? "," : "", pre, v[i], post);
    return s;
}
