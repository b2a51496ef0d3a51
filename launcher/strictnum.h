/* strictnum.h: the strict number parser of the two preloaded libraries (libplacemon,
 * libplacepin), which stay free of libplace (a preloaded library must not bring hwloc into
 * every program) and so cannot call place_parse_int. Header-only, one copy for both. */
#ifndef PLACE_STRICTNUM_H
#define PLACE_STRICTNUM_H

#include <errno.h>
#include <stdlib.h>

/* A whole decimal number in [min, max] and nothing else ("12abc", " 12", "" fail). */
static inline int strict_long(const char *s, long min, long max, long *out)
{
    if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

#endif
