/* base/base.h: the base layer's private header (libplace/src/layers.txt): what every layer
 * above may use and users do not see: strings, lists, notes, the PLACE_* names, the private
 * directory, the CPU-list syntax, device names, the models' random generator. */
#ifndef PLACE_BASE_H
#define PLACE_BASE_H

#include <hwloc.h>
#include <stddef.h>
#include <stdint.h>
#include "place/error.h"
#include "place/parse.h"

/* Duplicates a string or returns NULL; the callers check. */
char *place_strdup(const char *s);
/* A device name as place hands it to runtimes and launchers (PLACE_NICS, UCX_NET_DEVICES,
 * FI_*): 1 to 63 of [A-Za-z0-9_.:-], else 0. The plan reader and device discovery agree. */
int place_device_name_ok(const char *s);
#define PLACE_DEVICE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-"

/* FNV-1a, 64 bits, of n bytes: the names of files keyed by a text (the topology cache, the
 * noise profile, a single process's plan file) and the cache's checksum (against a file cut
 * short or damaged, not a forger: the files live in this user's private directory). */
unsigned long long place_fnv1a(const void *p, size_t n);

/* Formats an hwloc bitmap as a list string; returns NULL on allocation failure. */
char *place_bitmap_list(hwloc_const_bitmap_t b);

/* This user's private directory for plan files and the topology cache: BASE/place-UID
 * (BASE: PLACE_PLAN_DIR, else TMPDIR, else /tmp), made 0700 or checked to be ours and
 * closed to others. When another user holds that name (or it is not private) and BASE is
 * not PLACE_PLAN_DIR: $XDG_RUNTIME_DIR/place, else BASE/place-UID.XXXXXX of this user's
 * (found again, or made with mkdtemp); the first one made is said once in
 * place_private_dir_note. */
int place_private_dir(char *pdir, size_t n, place_error *err);

/* Whether the topology cache is on (PLACE_TOPO_CACHE, default on): 1, 0, or -1 with an
 * error for a malformed value. */
int place_env_topo_cache(place_error *err);

/* Appends "NAME=VALUE" to a NULL-terminated list (0, or -1 out of memory); the PLACE_*
 * names are place_env_name's (envnames.c). */
int place_env_push(char ***env, int *n, const char *name, const char *value);

/* A CPU list's syntax: N or N-M items (N <= M <= PLACE_MAX_PU_INDEX, decimal) separated by
 * commas, nothing else; *bad_index is set when the syntax was right but an index too large.
 * Checked before hwloc parses a list (hwloc's parser is lenient and "-6" runs to 2^64). */
int place_cpulist_syntax(const char *s, int *bad_index);

/* Notes: what a plan, a decomposition or a subdomain did that the caller may not expect,
 * one line each, each said once (notes.c). */
typedef struct place_notes {
    int n;
    char **v;
} place_notes;
void place_notes_add(place_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void place_notes_free(place_notes *n);
const char *place_notes_get(const place_notes *n, int i);
/* Moves the notes from index `mark` on into *out (empty before), for a candidate plan whose
 * notes are kept only if it wins; place_notes_take appends them back. */
void place_notes_cut(place_notes *n, int mark, place_notes *out);
void place_notes_take(place_notes *n, place_notes *from);

/* The 64-bit LCG of the injected noise (place/noise.h documents its stream: seeded runs
 * repeat) and of the jitter probe's reservoir samples: Knuth's MMIX constants. Steps
 * *state and returns the new state. */
static inline uint64_t place_lcg_next(uint64_t *state)
{
    return *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
}

/* The models' generator: xoshiro256** seeded by splitmix64: fast, and the same stream for
 * the same seed (models.c, noisemodels.c). */
typedef struct place_rng {
    uint64_t s[4];
} place_rng;

static inline void place_rng_seed(place_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
}

static inline double place_rng_uniform(place_rng *r) /* (0, 1) */
{
    uint64_t *s = r->s, x = s[1] * 5, res = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return ((double)(res >> 11) + 0.5) * 0x1.0p-53;
}

#endif
