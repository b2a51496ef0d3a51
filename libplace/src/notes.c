/* notes.c: the one helper for notes, the lines a plan, a decomposition or a subdomain
 * keeps to say what it did that the caller may not expect. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void place_notes_add(place_notes *n, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (len < 0)
        return; /* a lost note is not worth failing for */
    for (int i = 0; i < n->n; i++)
        if (!strcmp(n->v[i], s)) {
            free(s); /* said once is enough (both node classes may say the same) */
            return;
        }
    char **v = realloc(n->v, sizeof(char *) * (size_t)(n->n + 1));
    if (!v) {
        free(s);
        return;
    }
    n->v = v;
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
