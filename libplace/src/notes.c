/* notes.c: the one helper for notes, the lines a plan, a decomposition or a subdomain
 * keeps to say what it did that the caller may not expect. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void place_notes_add(place_notes *n, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (int i = 0; i < n->n; i++)
        if (!strcmp(n->v[i], buf))
            return; /* said once is enough (both node classes may say the same) */
    char **v = realloc(n->v, sizeof(char *) * (size_t)(n->n + 1));
    if (!v)
        return; /* a lost note is not worth failing for */
    n->v = v;
    char *s = place_strdup(buf);
    if (s)
        n->v[n->n++] = s;
}

void place_notes_free(place_notes *n)
{
    for (int i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
    n->v = NULL;
    n->n = 0;
}

const char *place_notes_get(const place_notes *n, int i)
{
    return i >= 0 && i < n->n ? n->v[i] : NULL;
}
