/* notes.c: the one helper for notes, the lines a plan, a decomposition or a subdomain
 * keeps to say what it did that the caller may not expect. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base.h"

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

void place_notes_cut(place_notes *n, int mark, place_notes *out)
{
    out->n = 0;
    out->v = NULL;
    if (mark < 0 || mark >= n->n)
        return;
    out->v = malloc(sizeof(char *) * (size_t)(n->n - mark));
    if (!out->v) { /* the candidate's notes are lost, not the plan's */
        for (int i = mark; i < n->n; i++)
            free(n->v[i]);
    } else {
        for (int i = mark; i < n->n; i++)
            out->v[out->n++] = n->v[i];
    }
    n->n = mark;
}

void place_notes_take(place_notes *n, place_notes *from)
{
    for (int i = 0; i < from->n; i++)
        place_notes_add(n, "%s", from->v[i]);
    place_notes_free(from);
}
