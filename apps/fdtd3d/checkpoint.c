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
_Static_assert(sizeof(ck_header) == 144, "ck_header has no padding: it is compared byte for byte");

static int64_t s_prev = -1;   /* this rank's last complete checkpoint, to delete later */
static uint32_t s_expect_crc; /* from the manifest, for ck_restart_read */
/* The checkpoint directory and the restart's, opened once and held for the run: every file
 * is made, renamed, read and removed relative to them (openat, renameat, unlinkat), so a
 * link swapped in on the path later does not move the checkpoints elsewhere. */
static int s_dir = -1, s_rdir = -1;
/* The restart's rows (rank 0): read and checked with the manifest, handed to the run. */
static ck_rows_in s_rows;

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

/* A rank's file of a step, and the probe and energy rows of a step (rank 0's), by name in
 * the directory. */
static void file_name(char *out, size_t n, int64_t step, int rank)
{
    snprintf(out, n, "step-%010" PRId64 ".rank-%06d.bin", step, rank);
}
static void rows_name(char *out, size_t n, int64_t step)
{
    snprintf(out, n, "step-%010" PRId64 ".rows.bin", step);
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

/* The file whole under its name in the checkpoint directory or not changed, also across a
 * crash: place_wfile writes a new temporary (NAME.tmp.XXXXXX, O_EXCL|O_NOFOLLOW) in the
 * held directory, fsyncs it (durable), renames it over NAME (only if NAME is a regular
 * file or absent) and fsyncs the directory. */
static int durable_replace(const char *dir, const char *name, const void *head, size_t hn,
                           const void *const *arr, int narr, size_t bytes, char *err, size_t errn)
{
    place_wfile w;
    place_error e;
    if (place_wfile_openat(&w, "checkpoint", s_dir, name, &e) < 0)
        return fail(err, errn, "%s (checkpoint directory '%.300s')", e.msg, dir);
    w.durable = 1;
    int ok = fwrite(head, 1, hn, w.f) == hn;
    for (int c = 0; ok && arr && c < narr; c++)
        ok = fwrite(arr[c], 1, bytes, w.f) == bytes;
    if (!ok) {
        int en = errno;
        place_wfile_fini(&w);
        return fail(err, errn, "checkpoint: cannot write '%.300s/%s': %s", dir, name, strerror(en));
    }
    if (place_wfile_commit(&w, &e) < 0)
        return fail(err, errn, "%s (checkpoint directory '%.300s')", e.msg, dir);
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

/* Rank 0: D made if missing (0700), checked, and locked for the run; its descriptor. */
static int prepare_dir(const char *dir, char *err, size_t errn)
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
    if (lk < 0) {
        int e = errno;
        close(fd);
        return fail(err, errn, "--checkpoint-dir '%.300s': cannot create its lock file: %s", dir,
                    strerror(e));
    }
    if (flock(lk, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(lk);
        close(fd);
        return fail(err, errn,
                    "--checkpoint-dir '%.300s': %s; expected a directory no other run "
                    "is checkpointing to",
                    dir, e == EWOULDBLOCK ? "another run holds its lock" : strerror(e));
    }
    return fd; /* lk stays open: the lock lasts as long as the run */
}

int ck_open_dir(const char *dir, char *err, size_t errn)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int fd = rank == 0 ? prepare_dir(dir, err, errn) : 0;
    if (agree(fd < 0 ? -1 : 0, err, errn) < 0)
        return -1;
    if (rank != 0) /* the directory rank 0 made: each rank holds its own descriptor */
        fd = open_owned(dir, "--checkpoint-dir", err, errn);
    if (agree(fd < 0 ? -1 : 0, err, errn) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s_dir = fd;
    return 0;
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

/* The rows file: a header, the probes' cells, the probe rows of steps 1..step, the energy
 * samples; its CRC-32 and size are in the manifest. */
#define ROWS_MAGIC "FDTDROW1"
typedef struct rows_header {
    char magic[8];
    int64_t step;
    int32_t nprobes, energy_every;
    int64_t nenergy;
} rows_header;

/* Rank 0: the rows of st->step into their file; its CRC and size for the manifest. */
static int write_rows(const char *dir, const ck_state *st, const ck_rows *rows, uint32_t *crc,
                      uint64_t *bytes, char *err, size_t errn)
{
    rows_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, ROWS_MAGIC, 8);
    h.step = st->step;
    h.nprobes = rows && rows->probe_rows ? rows->nprobes : 0;
    h.energy_every = rows && rows->energy ? rows->energy_every : 0;
    h.nenergy = h.energy_every ? (st->step - 1) / h.energy_every + 1 : 0;
    if (h.energy_every && h.nenergy > rows->nenergy)
        h.nenergy = rows->nenergy;
    int32_t *cells = malloc(sizeof(int32_t) * 3 * (size_t)h.nprobes + 1);
    if (!cells)
        return fail(err, errn, "checkpoint: out of memory for the rows");
    for (int p = 0; p < h.nprobes; p++)
        for (int d = 0; d < 3; d++)
            cells[3 * p + d] = rows->probe[p][d];
    size_t cb = sizeof(int32_t) * 3 * (size_t)h.nprobes;
    size_t pb = sizeof(double) * 6 * (size_t)h.nprobes * (size_t)h.step;
    size_t eb = sizeof(double) * (size_t)h.nenergy;
    const void *parts[3] = {cells, h.nprobes ? (const void *)rows->probe_rows : cells,
                            h.nenergy ? (const void *)rows->energy : cells};
    size_t sizes[3] = {cb, pb, eb};
    uLong c = crc32_z(0, (const Bytef *)&h, sizeof h);
    for (int k = 0; k < 3; k++)
        c = crc32_z(c, parts[k], sizes[k]);
    *crc = (uint32_t)c;
    *bytes = sizeof h + cb + pb + eb;
    char name[64];
    rows_name(name, sizeof name, st->step);
    /* three parts of different sizes: written as one run of bytes each */
    place_wfile w;
    place_error e;
    int rc = 0;
    if (place_wfile_openat(&w, "checkpoint", s_dir, name, &e) < 0) {
        rc = fail(err, errn, "%s (checkpoint directory '%.300s')", e.msg, dir);
    } else {
        w.durable = 1;
        int ok = fwrite(&h, 1, sizeof h, w.f) == sizeof h;
        for (int k = 0; ok && k < 3; k++)
            ok = fwrite(parts[k], 1, sizes[k], w.f) == sizes[k];
        if (!ok) {
            int en = errno;
            place_wfile_fini(&w);
            rc = fail(err, errn, "checkpoint: cannot write '%.300s/%s': %s", dir, name,
                      strerror(en));
        } else if (place_wfile_commit(&w, &e) < 0) {
            rc = fail(err, errn, "%s (checkpoint directory '%.300s')", e.msg, dir);
        }
    }
    free(cells);
    return rc;
}

static int write_manifest(const char *dir, const ck_run *run, const ck_state *st,
                          const uint32_t *crcs, uint64_t file_bytes, uint32_t rows_crc,
                          uint64_t rows_bytes, char *err, size_t errn)
{
    json_t *files = json_array();
    char name[PATH_MAX];
    for (int r = 0; r < run->nranks; r++) {
        char hex[16];
        snprintf(hex, sizeof hex, "%08x", crcs[r]);
        file_name(name, sizeof name, st->step, r);
        json_array_append_new(files, json_pack("{s:i,s:s,s:I,s:s}", "rank", r, "file", name,
                                               "bytes", (json_int_t)file_bytes, "crc32", hex));
    }
    char rhex[16];
    snprintf(rhex, sizeof rhex, "%08x", rows_crc);
    rows_name(name, sizeof name, st->step);
    json_t *m = json_pack(
        "{s:s,s:I,s:[I,I,I],s:i,s:s,s:f,s:f,s:[i,i,i],s:s,s:f,s:o,s:{s:s,s:I,s:s}}", "schema",
        CK_SCHEMA, "step", (json_int_t)st->step, "grid", (json_int_t)run->grid[0],
        (json_int_t)run->grid[1], (json_int_t)run->grid[2], "ranks", run->nranks, "precision",
        run->elem_bytes == 8 ? "double" : "single", "dx_m", run->dx, "courant", run->courant,
        "source", run->src[0], run->src[1], run->src[2], "source_type",
        run->sine ? "sine" : "pulse", "freq_hz", run->freq, "files", files, "rows", "file", name,
        "bytes", (json_int_t)rows_bytes, "crc32", rhex);
    char *text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(m);
    if (!text)
        return fail(err, errn, "checkpoint: cannot format the manifest (out of memory)");
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps's terminator becomes the last line's newline */
    int rc = durable_replace(dir, "MANIFEST", text, len + 1, NULL, 0, 0, err, errn);
    free(text);
    return rc;
}

/* Rank 0, after a manifest is durable: files of other steps and temporaries left by a
 * killed writer (only names this module makes). */
static void sweep(int64_t keep)
{
    int fd = dup(s_dir);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t s;
        int r, n = 0;
        const char *nm = de->d_name;
        int ours = sscanf(nm, "step-%" SCNd64 ".rank-%d.bin%n", &s, &r, &n) == 2 && n > 0;
        if (!ours) {
            n = 0;
            ours = sscanf(nm, "step-%" SCNd64 ".rows.bin%n", &s, &n) == 1 && n > 0;
        }
        int stale = ours && (nm[n] == '\0' ? s != keep : is_tmp_of(nm, (size_t)n));
        if (stale || (!strncmp(nm, "MANIFEST", 8) && is_tmp_of(nm, 8)))
            unlinkat(s_dir, nm, 0);
    }
    closedir(d);
}

int ck_write(const char *dir, const ck_run *run, const ck_state *st, void *const arr[6],
             size_t bytes, const ck_rows *rows, char *err, size_t errn)
{
    ck_header h;
    fill_header(&h, run, st, bytes);
    h.payload_crc = fields_crc(arr, bytes);
    h.header_crc = header_crc(&h);
    char name[64], rname[64];
    file_name(name, sizeof name, st->step, run->rank);
    rows_name(rname, sizeof rname, st->step);
    int rc =
        durable_replace(dir, name, &h, sizeof h, (const void *const *)arr, 6, bytes, err, errn);
    /* A checkpoint that fails on any rank leaves nothing of its step behind: the ranks that
     * wrote their file delete it (unless it is the step the manifest already names). */
    int wrote = rc == 0;
    if (agree(rc, err, errn) < 0) {
        if (wrote && st->step != s_prev)
            unlinkat(s_dir, name, 0);
        return -1;
    }
    uint32_t *crcs = run->rank == 0 ? malloc(sizeof(uint32_t) * (size_t)run->nranks) : NULL;
    MPI_Gather(&h.payload_crc, 1, MPI_UINT32_T, crcs, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
    rc = 0;
    if (run->rank == 0) { /* the rows, then the manifest that names them and the files */
        uint32_t rcrc = 0;
        uint64_t rbytes = 0;
        rc = write_rows(dir, st, rows, &rcrc, &rbytes, err, errn);
        if (rc == 0)
            rc = write_manifest(dir, run, st, crcs, sizeof h + 6 * (uint64_t)bytes, rcrc, rbytes,
                                err, errn);
        if (rc < 0 && st->step != s_prev)
            unlinkat(s_dir, rname, 0);
        free(crcs);
    }
    if (agree(rc, err, errn) < 0) {
        if (st->step != s_prev)
            unlinkat(s_dir, name, 0);
        return -1; /* the previous manifest and its files stay */
    }
    if (s_prev >= 0 && s_prev != st->step) {
        file_name(name, sizeof name, s_prev, run->rank);
        unlinkat(s_dir, name, 0);
        if (run->rank == 0) {
            rows_name(rname, sizeof rname, s_prev);
            unlinkat(s_dir, rname, 0);
        }
    }
    s_prev = st->step;
    if (run->rank == 0)
        sweep(st->step);
    return 0;
}

/* ---- restart ------------------------------------------------------------------------- */

/* Rank 0: the rows file the manifest names, whole and matching its CRC, into s_rows. */
static int read_rows(const char *dir, json_t *entry, int64_t step, char *err, size_t errn)
{
    const char *file = NULL, *hex = NULL;
    json_int_t bytes = 0;
    char want[64];
    rows_name(want, sizeof want, step);
    unsigned long crc = 0;
    char *end = NULL;
    if (json_unpack(entry, "{s:s,s:I,s:s}", "file", &file, "bytes", &bytes, "crc32", &hex) < 0 ||
        strcmp(file, want) || bytes < (json_int_t)sizeof(rows_header) || bytes > (1LL << 40) ||
        (crc = strtoul(hex, &end, 16), *end || end == hex || crc > 0xffffffffUL))
        return fail(err, errn, "--restart '%.300s': MANIFEST is corrupt (its rows); refusing it",
                    dir);
    int fd = openat(s_rdir, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    char *buf = NULL;
    int rc = 0;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc =
            fail(err, errn, "--restart '%.300s': %s: cannot open: %s; the checkpoint is incomplete",
                 dir, file, strerror(fd < 0 ? errno : EINVAL));
    } else if ((json_int_t)sb.st_size != bytes) {
        rc = fail(err, errn,
                  "--restart '%.300s': %s is %lld bytes, expected %lld: truncated or padded; "
                  "refusing it",
                  dir, file, (long long)sb.st_size, (long long)bytes);
    } else if (!(buf = malloc((size_t)bytes)) || read_all(fd, buf, (size_t)bytes) != 0) {
        rc = fail(err, errn, "--restart '%.300s': %s: cannot read it", dir, file);
    } else if ((uint32_t)crc32_z(0, (const Bytef *)buf, (size_t)bytes) != (uint32_t)crc) {
        rc = fail(err, errn,
                  "--restart '%.300s': %s: rows are corrupt (CRC-32 mismatch); refusing it", dir,
                  file);
    }
    if (fd >= 0)
        close(fd);
    rows_header h;
    if (rc == 0) {
        memcpy(&h, buf, sizeof h);
        uint64_t np = (uint64_t)(h.nprobes < 0 ? 0 : h.nprobes), ne = (uint64_t)h.nenergy;
        if (memcmp(h.magic, ROWS_MAGIC, 8) || h.step != step || h.nprobes < 0 ||
            h.nprobes > 1 << 20 || h.energy_every < 0 || h.nenergy < 0 ||
            (h.energy_every == 0) != (h.nenergy == 0) ||
            sizeof h + 12 * np + 48 * np * (uint64_t)step + 8 * ne != (uint64_t)bytes)
            rc = fail(err, errn,
                      "--restart '%.300s': %s does not match MANIFEST (step or sizes); refusing it",
                      dir, file);
    }
    if (rc < 0) {
        free(buf);
        return -1;
    }
    free(s_rows.buf);
    memset(&s_rows, 0, sizeof s_rows);
    s_rows.buf = buf;
    s_rows.step = step;
    s_rows.nprobes = h.nprobes;
    s_rows.probe = (const int32_t *)(buf + sizeof h);
    s_rows.probe_rows = (const double *)(buf + sizeof h + 12 * (size_t)h.nprobes);
    s_rows.energy_every = h.energy_every;
    s_rows.nenergy = (int)h.nenergy;
    s_rows.energy = s_rows.probe_rows + 6 * (size_t)h.nprobes * (size_t)step;
    s_rows.have = 1;
    return 0;
}

const ck_rows_in *ck_restart_rows(void)
{
    return s_rows.have ? &s_rows : NULL;
}

/* Rank 0: the manifest against this run; fills every rank's expected CRC. */
static int check_manifest(const char *dir, const ck_run *run, int steps, int64_t *step,
                          uint32_t *crcs, char *err, size_t errn)
{
    int mfd = openat(s_rdir, "MANIFEST", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat mst;
    if (mfd < 0 || fstat(mfd, &mst) != 0 || !S_ISREG(mst.st_mode)) {
        int e = mfd < 0 ? errno : EINVAL;
        if (mfd >= 0)
            close(mfd);
        return fail(err, errn,
                    "--restart '%.300s': no checkpoint there (%s: %s); expected a --checkpoint-dir "
                    "of an earlier run",
                    dir, "MANIFEST", strerror(e));
    }
    json_error_t je;
    json_t *m = json_loadfd(mfd, 0, &je);
    close(mfd);
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
    json_t *rows = json_object_get(m, "rows"); /* absent from checkpoints made before it */
    if (rows && read_rows(dir, rows, st, err, errn) < 0)
        goto out;
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
    /* the owner and mode checks of --checkpoint-dir, also when it is another directory; the
     * directory held from here on */
    s_rdir = open_owned(dir, "--restart", err, errn);
    rc = s_rdir < 0 ? -1 : 0;
    if (run->rank == 0 && rc == 0)
        rc = check_manifest(dir, run, steps, &st, crcs, err, errn);
    if (agree(rc, err, errn) < 0) {
        free(crcs);
        return -1;
    }
    MPI_Bcast(&st, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    MPI_Scatter(crcs, 1, MPI_UINT32_T, &s_expect_crc, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
    free(crcs);

    /* this rank's file: present, whole, its header intact and of this rank's box */
    char base[64];
    file_name(base, sizeof base, st, run->rank);
    ck_header h, want;
    ck_state ws = {st};
    size_t bytes = 0;
    int fd = openat(s_rdir, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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
        /* the whole header bit for bit (its doubles too: the same options exactly) */
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)
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
                      (unsigned long long)sizeof h + 6 * (unsigned long long)h.array_bytes);
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
    char base[64];
    file_name(base, sizeof base, step, run->rank);
    ck_header h;
    int rc = 0;
    int fd = openat(s_rdir, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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
