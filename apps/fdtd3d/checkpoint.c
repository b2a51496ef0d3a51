/* checkpoint.c: fdtd3d's checkpoint files and manifest; the order of writes and why is in
 * checkpoint.h. Files are native-endian: a checkpoint is restored on the machine kind
 * that wrote it. CRC-32 is zlib's. */
#define _GNU_SOURCE
#include "checkpoint.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "place.h"

#define CK_MAGIC "FDTDCKP1"
#define CK_VERSION 1
#define CK_SCHEMA "fdtd3d-checkpoint/1"

typedef struct ck_header {
    char magic[8];
    uint32_t version, header_bytes;
    int32_t rank, nranks;
    int64_t step;
    int64_t grid[3];
    int32_t lo[3], hi[3];
    int32_t elem_bytes, ncomp;
    uint64_t array_bytes;
    double dx, courant, freq;
    int32_t src[3], sine;
    uint32_t payload_crc, header_crc;
} ck_header;

static int64_t s_prev = -1;   /* this rank's last complete checkpoint, to delete later */
static uint32_t s_expect_crc; /* from the manifest, for ck_restart_read */

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Every rank learns whether any failed, and the first failing rank's message. */
static int agree(int rc, char *err, size_t errn)
{
    int rank, bad, first;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    bad = rc < 0 ? rank : INT_MAX;
    MPI_Allreduce(&bad, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == INT_MAX)
        return 0;
    char buf[512] = "";
    if (rank == first)
        snprintf(buf, sizeof buf, "%s", err);
    MPI_Bcast(buf, sizeof buf, MPI_CHAR, first, MPI_COMM_WORLD);
    snprintf(err, errn, "%s", buf);
    return -1;
}

static void file_name(char *out, size_t n, const char *dir, int64_t step, int rank)
{
    snprintf(out, n, "%s/step-%010" PRId64 ".rank-%06d.bin", dir, step, rank);
}

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The file whole under path or not changed, also across a crash: place_wfile writes a new
 * temporary (path.tmp.XXXXXX, O_EXCL|O_NOFOLLOW), fsyncs it (durable), renames it over
 * path (only if path is a regular file or absent) and fsyncs the directory. */
static int durable_replace(const char *dir, const char *path, const void *head, size_t hn,
                           void *const arr[6], size_t bytes, char *err, size_t errn)
{
    (void)dir;
    place_wfile w;
    place_error e;
    if (place_wfile_open(&w, "checkpoint", path, &e) < 0)
        return fail(err, errn, "%s", e.msg);
    w.durable = 1;
    int ok = fwrite(head, 1, hn, w.f) == hn;
    for (int c = 0; ok && arr && c < 6; c++)
        ok = fwrite(arr[c], 1, bytes, w.f) == bytes;
    if (!ok) {
        int en = errno;
        place_wfile_fini(&w);
        return fail(err, errn, "checkpoint: cannot write '%.300s': %s", path, strerror(en));
    }
    if (place_wfile_commit(&w, &e) < 0)
        return fail(err, errn, "%s", e.msg);
    return 0;
}

/* A temporary this module's writer leaves when killed: NAME.tmp.XXXXXX. */
static int is_tmp_of(const char *nm, size_t n)
{
    return !strncmp(nm + n, ".tmp.", 5) && strlen(nm + n) == 11;
}

/* Another user who can write there could replace the files between runs (or turn them
 * into links): a checkpoint directory, written or read, must be this user's and closed to
 * others' writes. Returns a descriptor of the directory. */
static int open_owned(const char *dir, const char *opt, char *err, size_t errn)
{
    struct stat sb;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(err, errn, "%s '%.300s': cannot open it: %s; expected a directory of uid %lu",
                    opt, dir, strerror(e), (unsigned long)geteuid());
    }
    if (sb.st_uid != geteuid() || (sb.st_mode & 022)) {
        close(fd);
        return fail(
            err, errn,
            "%s '%.300s': owned by uid %lu with mode %03o; expected a "
            "directory of uid %lu that others cannot write (chmod go-w, or another directory)",
            opt, dir, (unsigned long)sb.st_uid, (unsigned)(sb.st_mode & 0777),
            (unsigned long)geteuid());
    }
    return fd;
}

int ck_prepare_dir(const char *dir, char *err, size_t errn)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT || mkdir(dir, 0700) != 0)
            return fail(
                err, errn,
                "--checkpoint-dir '%.300s': cannot create: %s; expected a writable directory", dir,
                strerror(errno));
    } else if (!S_ISDIR(sb.st_mode)) {
        return fail(err, errn,
                    "--checkpoint-dir '%.300s': not a directory; expected a writable directory",
                    dir);
    }
    if (access(dir, W_OK | X_OK) != 0)
        return fail(err, errn,
                    "--checkpoint-dir '%.300s': not writable (%s); expected a writable directory",
                    dir, strerror(errno));
    int fd = open_owned(dir, "--checkpoint-dir", err, errn);
    if (fd < 0)
        return -1;
    /* One run at a time: a lock held until this process ends (a second run would delete
     * the first one's checkpoints as stale). */
    int lk = openat(fd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    close(fd);
    if (lk < 0)
        return fail(err, errn, "--checkpoint-dir '%.300s': cannot create its lock file: %s", dir,
                    strerror(errno));
    if (flock(lk, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(lk);
        return fail(err, errn,
                    "--checkpoint-dir '%.300s': %s; expected a directory no other run "
                    "is checkpointing to",
                    dir, e == EWOULDBLOCK ? "another run holds its lock" : strerror(e));
    }
    return 0; /* lk stays open: the lock lasts as long as the run */
}

static void fill_header(ck_header *h, const ck_run *run, const ck_state *st, size_t bytes)
{
    memset(h, 0, sizeof *h); /* padding too: the header CRC covers every byte */
    memcpy(h->magic, CK_MAGIC, 8);
    h->version = CK_VERSION;
    h->header_bytes = sizeof *h;
    h->rank = run->rank;
    h->nranks = run->nranks;
    h->step = st->step;
    for (int d = 0; d < 3; d++) {
        h->grid[d] = run->grid[d];
        h->lo[d] = run->lo[d];
        h->hi[d] = run->hi[d];
        h->src[d] = run->src[d];
    }
    h->elem_bytes = run->elem_bytes;
    h->ncomp = 6;
    h->array_bytes = bytes;
    h->dx = run->dx;
    h->courant = run->courant;
    h->freq = run->freq;
    h->sine = run->sine;
}

static uint32_t header_crc(const ck_header *h)
{
    ck_header c = *h;
    c.header_crc = 0;
    return (uint32_t)crc32_z(0, (const Bytef *)&c, sizeof c);
}

static uint32_t fields_crc(void *const arr[6], size_t bytes)
{
    uLong crc = crc32_z(0, Z_NULL, 0);
    for (int c = 0; c < 6; c++)
        crc = crc32_z(crc, arr[c], bytes);
    return (uint32_t)crc;
}

static int write_manifest(const char *dir, const ck_run *run, const ck_state *st,
                          const uint32_t *crcs, uint64_t file_bytes, char *err, size_t errn)
{
    json_t *files = json_array();
    char name[PATH_MAX];
    for (int r = 0; r < run->nranks; r++) {
        char hex[16];
        snprintf(hex, sizeof hex, "%08x", crcs[r]);
        file_name(name, sizeof name, ".", st->step, r);
        json_array_append_new(files, json_pack("{s:i,s:s,s:I,s:s}", "rank", r, "file", name + 2,
                                               "bytes", (json_int_t)file_bytes, "crc32", hex));
    }
    json_t *m = json_pack("{s:s,s:I,s:[I,I,I],s:i,s:s,s:f,s:f,s:[i,i,i],s:s,s:f,s:o}", "schema",
                          CK_SCHEMA, "step", (json_int_t)st->step, "grid", (json_int_t)run->grid[0],
                          (json_int_t)run->grid[1], (json_int_t)run->grid[2], "ranks", run->nranks,
                          "precision", run->elem_bytes == 8 ? "double" : "single", "dx_m", run->dx,
                          "courant", run->courant, "source", run->src[0], run->src[1], run->src[2],
                          "source_type", run->sine ? "sine" : "pulse", "freq_hz", run->freq,
                          "files", files);
    char *text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(m);
    if (!text)
        return fail(err, errn, "checkpoint: cannot format the manifest (out of memory)");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps's terminator becomes the last line's newline */
    int rc = durable_replace(dir, path, text, len + 1, NULL, 0, err, errn);
    free(text);
    return rc;
}

/* Rank 0, after a manifest is durable: files of other steps and temporaries left by a
 * killed writer (only names this module makes). */
static void sweep(const char *dir, int64_t keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char path[PATH_MAX];
    while ((de = readdir(d))) {
        int64_t s;
        int r, n = 0;
        const char *nm = de->d_name;
        int ours = sscanf(nm, "step-%" SCNd64 ".rank-%d.bin%n", &s, &r, &n) == 2 && n > 0;
        int stale = ours && (nm[n] == '\0' ? s != keep : is_tmp_of(nm, (size_t)n));
        if (stale || (!strncmp(nm, "MANIFEST", 8) && is_tmp_of(nm, 8))) {
            snprintf(path, sizeof path, "%s/%s", dir, nm);
            unlink(path);
        }
    }
    closedir(d);
}

int ck_write(const char *dir, const ck_run *run, const ck_state *st, void *const arr[6],
             size_t bytes, char *err, size_t errn)
{
    ck_header h;
    fill_header(&h, run, st, bytes);
    h.payload_crc = fields_crc(arr, bytes);
    h.header_crc = header_crc(&h);
    char path[PATH_MAX];
    file_name(path, sizeof path, dir, st->step, run->rank);
    int rc = durable_replace(dir, path, &h, sizeof h, arr, bytes, err, errn);
    /* A checkpoint that fails on any rank leaves nothing of its step behind: the ranks that
     * wrote their file delete it (unless it is the step the manifest already names). */
    int wrote = rc == 0;
    if (agree(rc, err, errn) < 0) {
        if (wrote && st->step != s_prev)
            unlink(path);
        return -1;
    }
    uint32_t *crcs = run->rank == 0 ? malloc(sizeof(uint32_t) * (size_t)run->nranks) : NULL;
    MPI_Gather(&h.payload_crc, 1, MPI_UINT32_T, crcs, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
    rc = 0;
    if (run->rank == 0) {
        rc = write_manifest(dir, run, st, crcs, sizeof h + 6 * (uint64_t)bytes, err, errn);
        free(crcs);
    }
    if (agree(rc, err, errn) < 0) {
        if (st->step != s_prev)
            unlink(path);
        return -1; /* the previous manifest and its files stay */
    }
    if (s_prev >= 0 && s_prev != st->step) {
        file_name(path, sizeof path, dir, s_prev, run->rank);
        unlink(path);
    }
    s_prev = st->step;
    if (run->rank == 0)
        sweep(dir, st->step);
    return 0;
}

/* ---- restart ------------------------------------------------------------------------- */

/* Rank 0: the manifest against this run; fills every rank's expected CRC. */
static int check_manifest(const char *dir, const ck_run *run, int steps, int64_t *step,
                          uint32_t *crcs, char *err, size_t errn)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    if (access(path, R_OK) != 0)
        return fail(err, errn,
                    "--restart '%.300s': no checkpoint there (%s: %s); expected a --checkpoint-dir "
                    "of an earlier run",
                    dir, "MANIFEST", strerror(errno));
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    if (!m)
        return fail(err, errn,
                    "--restart '%.300s': MANIFEST is corrupt (line %d: %.100s); refusing it", dir,
                    je.line, je.text);
    json_int_t st = -1, g[3] = {0, 0, 0};
    int ranks = 0, src[3] = {0, 0, 0};
    const char *schema = NULL, *prec = NULL, *stype = NULL;
    double dx = 0, courant = 0, freq = 0;
    json_t *files = NULL;
    int rc =
        json_unpack_ex(m, &je, 0, "{s:s,s:I,s:[I,I,I],s:i,s:s,s:F,s:F,s:[i,i,i],s:s,s:F,s:o}",
                       "schema", &schema, "step", &st, "grid", &g[0], &g[1], &g[2], "ranks", &ranks,
                       "precision", &prec, "dx_m", &dx, "courant", &courant, "source", &src[0],
                       &src[1], &src[2], "source_type", &stype, "freq_hz", &freq, "files", &files);
    if (rc < 0 || strcmp(schema, CK_SCHEMA) || st < 0 || !json_is_array(files) ||
        (int)json_array_size(files) != ranks) {
        rc = fail(err, errn,
                  "--restart '%.300s': MANIFEST is corrupt or not %s (%.100s); refusing it", dir,
                  CK_SCHEMA, rc < 0 ? je.text : "fields out of range");
        goto out;
    }
    rc = -1;
    if (g[0] != run->grid[0] || g[1] != run->grid[1] || g[2] != run->grid[2]) {
        fail(err, errn,
             "--restart '%.300s': checkpoint of grid %lldx%lldx%lld, this run has --grid "
             "%lldx%lldx%lld; restart with the same grid",
             dir, (long long)g[0], (long long)g[1], (long long)g[2], (long long)run->grid[0],
             (long long)run->grid[1], (long long)run->grid[2]);
        goto out;
    }
    if (ranks != run->nranks) {
        fail(err, errn,
             "--restart '%.300s': checkpoint of %d ranks, this run has %d; restart with %d ranks",
             dir, ranks, run->nranks, ranks);
        goto out;
    }
    const char *mine = run->elem_bytes == 8 ? "double" : "single";
    if (strcmp(prec, mine)) {
        fail(
            err, errn,
            "--restart '%.300s': checkpoint in %s precision, this run %s; restart with --precision %s",
            dir, prec, mine, prec);
        goto out;
    }
    if (dx != run->dx || courant != run->courant || memcmp(src, run->src, sizeof src) ||
        strcmp(stype, run->sine ? "sine" : "pulse") || freq != run->freq) {
        fail(err, errn,
             "--restart '%.300s': checkpoint of another run (--dx %.15g --courant %.15g --source "
             "%d,%d,%d --source-type %s --freq %.15g); restart with the same options",
             dir, dx, courant, src[0], src[1], src[2], stype, freq);
        goto out;
    }
    if (st >= steps) {
        fail(err, errn,
             "--restart '%.300s': checkpoint is at step %lld, --steps %d leaves nothing to run; "
             "expected --steps greater than %lld (--steps is the total)",
             dir, (long long)st, steps, (long long)st);
        goto out;
    }
    for (int r = 0; r < ranks; r++) {
        json_t *f = json_array_get(files, (size_t)r);
        int fr = -1;
        const char *hex = NULL;
        unsigned long v = 0;
        char *end = NULL;
        if (json_unpack(f, "{s:i,s:s}", "rank", &fr, "crc32", &hex) < 0 || fr != r ||
            (v = strtoul(hex, &end, 16), *end || end == hex || v > 0xffffffffUL)) {
            fail(err, errn,
                 "--restart '%.300s': MANIFEST is corrupt (entry %d of files); refusing it", dir,
                 r);
            goto out;
        }
        crcs[r] = (uint32_t)v;
    }
    *step = st;
    rc = 0;
out:
    json_decref(m);
    return rc;
}

int ck_restart_check(const char *dir, const ck_run *run, int steps, int64_t *step, char *err,
                     size_t errn)
{
    uint32_t *crcs = run->rank == 0 ? calloc((size_t)run->nranks, sizeof(uint32_t)) : NULL;
    int64_t st = -1;
    int rc = 0;
    if (run->rank == 0) {
        /* the owner and mode checks of --checkpoint-dir, also when it is another directory */
        int dfd = open_owned(dir, "--restart", err, errn);
        rc = dfd < 0 ? -1 : check_manifest(dir, run, steps, &st, crcs, err, errn);
        if (dfd >= 0)
            close(dfd);
    }
    if (agree(rc, err, errn) < 0) {
        free(crcs);
        return -1;
    }
    MPI_Bcast(&st, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    MPI_Scatter(crcs, 1, MPI_UINT32_T, &s_expect_crc, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
    free(crcs);

    /* this rank's file: present, whole, its header intact and of this rank's box */
    char path[PATH_MAX];
    file_name(path, sizeof path, dir, st, run->rank);
    const char *base = strrchr(path, '/') + 1;
    ck_header h, want;
    ck_state ws = {st};
    size_t bytes = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    rc = 0;
    if (fd < 0) {
        rc =
            fail(err, errn, "--restart '%.300s': %s: cannot open: %s; the checkpoint is incomplete",
                 dir, base, strerror(errno));
    } else if (fstat(fd, &sb) != 0 || read_all(fd, &h, sizeof h) != 0 ||
               memcmp(h.magic, CK_MAGIC, 8) || h.header_bytes != sizeof h ||
               h.header_crc != header_crc(&h)) {
        rc = fail(
            err, errn,
            "--restart '%.300s': %s: header is corrupt or not an fdtd3d checkpoint; refusing it",
            dir, base);
    } else {
        bytes = h.array_bytes;
        fill_header(&want, run, &ws, bytes);
        want.payload_crc = h.payload_crc;
        want.header_crc = h.header_crc;
        if (h.lo[0] != run->lo[0] || h.lo[1] != run->lo[1] || h.lo[2] != run->lo[2] ||
            h.hi[0] != run->hi[0] || h.hi[1] != run->hi[1] || h.hi[2] != run->hi[2])
            rc = fail(
                err, errn,
                "--restart '%.300s': rank %d's box in the checkpoint [%d,%d)x[%d,%d)x[%d,%d) is "
                "not this run's [%d,%d)x[%d,%d)x[%d,%d): another decomposition; restart with the same "
                "placerun --grid",
                dir, run->rank, h.lo[0], h.hi[0], h.lo[1], h.hi[1], h.lo[2], h.hi[2], run->lo[0],
                run->hi[0], run->lo[1], run->hi[1], run->lo[2], run->hi[2]);
        else if (memcmp(&h, &want, sizeof h) || h.payload_crc != s_expect_crc)
            rc = fail(
                err, errn,
                "--restart '%.300s': %s does not match MANIFEST (rank, step or run); refusing it",
                dir, base);
        else if ((uint64_t)sb.st_size != sizeof h + 6 * h.array_bytes)
            rc = fail(err, errn,
                      "--restart '%.300s': %s is %lld bytes, expected %llu: truncated or padded; "
                      "refusing it",
                      dir, base, (long long)sb.st_size,
                      (unsigned long long)(sizeof h + 6 * h.array_bytes));
    }
    if (fd >= 0)
        close(fd);
    if (agree(rc, err, errn) < 0)
        return -1;
    *step = st;
    return 0;
}

int ck_restart_read(const char *dir, const ck_run *run, int64_t step, void *const arr[6],
                    size_t bytes, ck_state *st, char *err, size_t errn)
{
    char path[PATH_MAX];
    file_name(path, sizeof path, dir, step, run->rank);
    const char *base = strrchr(path, '/') + 1;
    ck_header h;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read_all(fd, &h, sizeof h) != 0 || h.array_bytes != bytes) {
        rc = fail(err, errn,
                  "--restart '%.300s': %s: changed while restarting, or its arrays are not this "
                  "run's size; refusing it",
                  dir, base);
    } else {
        for (int c = 0; c < 6 && !rc; c++)
            if (read_all(fd, arr[c], bytes) != 0)
                rc = fail(err, errn, "--restart '%.300s': %s: cannot read: truncated", dir, base);
        if (!rc && (fields_crc(arr, bytes) != h.payload_crc || h.payload_crc != s_expect_crc))
            rc =
                fail(err, errn,
                     "--restart '%.300s': %s: field data is corrupt (CRC-32 mismatch); refusing it",
                     dir, base);
    }
    if (fd >= 0)
        close(fd);
    st->step = step;
    if (agree(rc, err, errn) < 0)
        return -1;
    s_prev = step;
    return 0;
}
