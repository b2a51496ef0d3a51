/* error.c: filling place_error. Kept tiny: every module reports through it, so that
 * every message reaches the user as one line without a trailing newline. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "place/error.h"

int place_error_set(place_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    err->sys_errno = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* One line: a newline inside a message (from hwloc text, say) would break that; and no
     * control character of the user's input (an escape sequence) reaches a terminal. */
    for (char *c = err->msg; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
        else if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

void place_error_clear(place_error *err)
{
    if (!err)
        return;
    err->code = PLACE_OK;
    err->sys_errno = 0;
    err->msg[0] = '\0';
}
