/* gpuscope.c (contract): the GPUs a batch system left to the step (place/gpuscope.h):
 * SLURM_STEP_GPUS and each GPU runtime's variables (topo/gpurt.c's rows), every entry
 * checked against the node's GPUs. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include "contract/contract_private.h"
#include "place/gpuscope.h"
#include "place/parse.h"

void place_gpu_scope_fini(place_gpu_scope *s)
{
    for (int i = 0; s->token && i < s->n; i++)
        free(s->token[i]);
    free(s->token);
    free(s->gpu);
    free(s->from);
    memset(s, 0, sizeof *s);
}

void place_gpu_scope_apply(const place_gpu_scope *s, place_request *req)
{
    req->ngpu_scope = s->from && s->n == 0 ? -1 : s->n;
    req->gpu_scope = s->gpu;
    req->gpu_scope_token = (const char *const *)s->token;
    req->gpu_scope_from = s->from;
}

/* The GPU of runtime `rt` that entry `tok` of a visibility variable names: an index in the
 * runtime's numbering ("2", Level Zero "0.1") or a UUID (CUDA's "GPU-...", ROCm's). */
static int gpu_by_token(const place_topo *t, const char *rt, const char *tok)
{
    int ng = place_topo_ndevices(t, PLACE_DEVICE_GPU);
    int idx = -1, sub = -1;
    const char *c = tok;
    if (*c >= '0' && *c <= '9') {
        long v = 0;
        for (; *c >= '0' && *c <= '9' && v < 100000; c++)
            v = v * 10 + (*c - '0');
        idx = (int)v;
        if (*c == '.' && c[1] >= '0' && c[1] <= '9') {
            long w = 0;
            for (c++; *c >= '0' && *c <= '9' && w < 100000; c++)
                w = w * 10 + (*c - '0');
            sub = (int)w;
        }
        if (*c)
            return -1;
    }
    for (int g = 0; g < ng; g++) {
        place_device_info d;
        place_topo_device(t, PLACE_DEVICE_GPU, g, &d);
        if (strcmp(d.runtime, rt))
            continue;
        if (idx >= 0 && d.index == idx && (d.sub == sub || (sub < 0 && d.sub <= 0)))
            return g;
        if (idx < 0 && d.uuid &&
            (!strcasecmp(d.uuid, tok) ||
             (!strncasecmp(tok, "GPU-", 4) && !strcasecmp(d.uuid, tok + 4))))
            return g;
    }
    return -1;
}

static int scope_add(place_gpu_scope *s, int g, const char *tok)
{
    for (int i = 0; i < s->n; i++)
        if (s->gpu[i] == g)
            return 0;
    int *ng = realloc(s->gpu, sizeof(int) * (size_t)(s->n + 1));
    if (!ng)
        return -1;
    s->gpu = ng;
    char **nt = realloc(s->token, sizeof(char *) * (size_t)(s->n + 1));
    if (!nt)
        return -1;
    s->token = nt;
    s->token[s->n] = tok ? place_strdup(tok) : NULL;
    if (tok && !s->token[s->n])
        return -1;
    s->gpu[s->n++] = g;
    return 0;
}

static int scope_from(place_gpu_scope *s, const char *name, const char *value)
{
    if (asprintf(&s->from, "%s=%.80s", name, value) < 0) {
        s->from = NULL;
        return -1;
    }
    return 0;
}

/* The items of a visibility list: at most 256 of at most 127 characters, no empty one. */
static int split_list(const char *name, const char *v, char items[][128], int *n, place_error *err)
{
    *n = 0;
    if (!*v)
        return 0;
    const char *at = v;
    for (;;) {
        size_t len = strcspn(at, ",");
        if (len == 0 || len > 127 || *n == 256)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s='%.80s': not a list of GPU indices or "
                                   "UUIDs separated by commas",
                                   name, v);
        memcpy(items[*n], at, len);
        items[(*n)++][len] = '\0';
        if (!at[len])
            break;
        at += len + 1;
    }
    return 0;
}

int place_gpu_scope_from_env(place_gpu_scope *s, const place_topo *t, place_error *err)
{
    memset(s, 0, sizeof *s);
    /* the runtimes (topo/gpurt.c) and their variables */
    int nrt;
    const place_gpu_runtime *rt = place_gpu_runtimes(&nrt);
    /* the lists, on the heap: 64 KiB of statics made the function neither reentrant nor
     * thread-safe */
    char(*items)[128] = malloc(sizeof(char[256][128])),
    (*steps)[128] = malloc(sizeof(char[256][128]));
    int *present = calloc((size_t)nrt, sizeof(int)), rc = -1;
    if (!items || !steps || !present)
        goto oom;
    for (int g = 0; g < place_topo_ndevices(t, PLACE_DEVICE_GPU); g++) {
        place_device_info d;
        place_topo_device(t, PLACE_DEVICE_GPU, g, &d);
        int k = place_gpu_runtime_named(d.runtime);
        if (k >= 0)
            present[k] = 1;
    }
    const char *step = getenv("SLURM_STEP_GPUS");
    int nstep = 0;
    if (step && split_list("SLURM_STEP_GPUS", step, steps, &nstep, err) < 0)
        goto fail;
    int limited = 0;
    for (int k = 0; k < nrt; k++) {
        const char *name = rt[k].visible, *v = getenv(name);
        if (!v && rt[k].also && (v = getenv(rt[k].also)))
            name = rt[k].also;
        if (!v || !present[k])
            continue;
        int n;
        if (split_list(name, v, items, &n, err) < 0)
            goto fail;
        limited = 1;
        if (!s->from && scope_from(s, name, v) < 0)
            goto oom;
        /* Slurm with ConstrainDevices renumbers the visible GPUs from 0; its
         * SLURM_STEP_GPUS keeps the node's numbering, position by position */
        int by_step = step && nstep == n;
        for (int i = 0; i < n; i++) {
            const char *key = by_step ? steps[i] : items[i];
            int g = gpu_by_token(t, rt[k].runtime, key);
            if (g < 0) {
                place_error_set(err, PLACE_EINVAL,
                                "%s entry '%.60s' names no %s GPU of this node; "
                                "expected indices of the runtime's numbering (as placerun --plan "
                                "--gpus auto lists them) or UUIDs",
                                by_step ? "SLURM_STEP_GPUS" : name, key, rt[k].runtime);
                goto fail;
            }
            if (scope_add(s, g, items[i]) < 0)
                goto oom;
        }
    }
    if (!limited && step) {
        /* only Slurm's list: its numbers are the runtime's (one GPU vendor per node) */
        if (scope_from(s, "SLURM_STEP_GPUS", step) < 0)
            goto oom;
        for (int i = 0; i < nstep; i++) {
            int g = -1;
            for (int k = 0; k < nrt && g < 0; k++)
                if (present[k])
                    g = gpu_by_token(t, rt[k].runtime, steps[i]);
            if (g < 0) {
                place_error_set(err, PLACE_EINVAL,
                                "SLURM_STEP_GPUS entry '%.60s' names no GPU of "
                                "this node",
                                steps[i]);
                goto fail;
            }
            if (scope_add(s, g, NULL) < 0)
                goto oom;
        }
    }
    rc = 0;
    goto done;
oom:
    place_error_set(err, PLACE_ENOMEM, "out of memory");
fail:
    place_gpu_scope_fini(s);
done:
    free(items);
    free(steps);
    free(present);
    return rc;
}
