/* checkpoint.h: fdtd3d's checkpoint/restart (--checkpoint-every, --checkpoint-dir,
 * --restart, and the final checkpoint on SIGTERM).
 *
 * A checkpoint of step S in directory D is one file per rank, D/step-S.rank-R.bin (a
 * header with the run's identity and a CRC-32 of the six field arrays, then the arrays,
 * ghost planes included, so a restarted run is bit-identical), and D/MANIFEST, a JSON
 * file that names step S, the run's parameters and every rank's file with its size and
 * CRC. Order of writing, so that a kill at any moment leaves the previous checkpoint
 * whole: each rank writes its file to a temporary, fsyncs it, renames it into place and
 * fsyncs D; all ranks agree; rank 0 writes the manifest the same way (temporary, fsync,
 * rename, fsync D); only then does each rank delete its previous file. MANIFEST always
 * names a complete set. D must be one directory all ranks see (a shared file system on
 * several nodes).
 *
 * Every call is collective over MPI_COMM_WORLD unless said otherwise and returns the same
 * status on every rank: 0, or -1 with the failing rank's message in err (one line).
 */
#ifndef FDTD3D_CHECKPOINT_H
#define FDTD3D_CHECKPOINT_H
#include <stddef.h>
#include <stdint.h>

/* What makes two runs the same run: a checkpoint is restored only into an identical one. */
typedef struct ck_run {
    int64_t grid[3];
    int lo[3], hi[3]; /* this rank's box */
    int rank, nranks;
    int elem_bytes; /* 4 single, 8 double */
    double dx, courant, freq;
    int src[3], sine;
} ck_run;

/* The state written besides the fields. */
typedef struct ck_state {
    int64_t step; /* steps completed (the fields are all of the state: a pending
                              energy sample is recomputed from E on restart) */
} ck_state;

/* Collective: rank 0 makes D (one level, mode 0700) if missing, refuses a path that is not
 * a writable directory of this user's closed to others' writes, and locks it for the run;
 * every rank then holds a descriptor of D for the run, and every checkpoint file is made,
 * renamed and removed relative to it (a link swapped in on the path does not move them). */
int ck_open_dir(const char *dir, char *err, size_t errn);

/* The probe and energy rows of the steps so far (rank 0's), kept with each checkpoint in
 * D/step-S.rows.bin (named in the manifest with its size and CRC), so that a run restarted
 * after any kill, SIGKILL included, writes the whole series. */
typedef struct ck_rows {
    int nprobes;
    const int (*probe)[3];    /* the probes' cells */
    const double *probe_rows; /* steps 1..S, 6 x nprobes values each; NULL: none */
    int energy_every;
    const double *energy; /* sample i is the energy at step i x energy_every; NULL: none */
    int nenergy;          /* samples in the array (those below step S are kept) */
} ck_rows;

/* Writes the checkpoint of st->step: the six arrays of bytes each, and on rank 0 the rows
 * (NULL on the other ranks). */
int ck_write(const char *dir, const ck_run *run, const ck_state *st, void *const arr[6],
             size_t bytes, const ck_rows *rows, char *err, size_t errn);

/* Reads D/MANIFEST and this rank's file header; refuses a checkpoint of another run (grid,
 * ranks, box, precision, dx, Courant number, source), a corrupt one (its rows file too), or
 * one at or past steps. D is held from here on. On success *step is the checkpoint's
 * step. */
int ck_restart_check(const char *dir, const ck_run *run, int steps, int64_t *step, char *err,
                     size_t errn);

/* The rows the restart's checkpoint keeps (rank 0, after ck_restart_check), checked against
 * their CRC; NULL when the checkpoint has none (made before rows were kept). */
typedef struct ck_rows_in {
    int have;
    int64_t step; /* probe rows of steps 1..step */
    int nprobes;
    const int32_t *probe; /* 3 per probe: its cell */
    const double *probe_rows;
    int energy_every, nenergy;
    const double *energy;
    char *buf; /* what the pointers point into */
} ck_rows_in;
const ck_rows_in *ck_restart_rows(void);

/* Reads the fields into arr (already first-touched by their threads) and checks the CRC
 * against the manifest's. Call on the thread that calls MPI, after ck_restart_check. */
int ck_restart_read(const char *dir, const ck_run *run, int64_t step, void *const arr[6],
                    size_t bytes, ck_state *st, char *err, size_t errn);

#endif
