/* place/runenv.h: the contract between placerun and the application it starts.
 *
 * placerun (or anything else that applies a plan, such as a batch-system plugin) hands a
 * rank its placement in two forms: PLACE_* environment variables, and the node's plan
 * file (schema place-plan/1) named by PLACE_PLAN. This module is the only code that
 * writes or reads either; every variable is in one table (place_env_var, documented in
 * docs/design.md, "The launcher environment"), and every value read is parsed strictly and
 * checked against the rest before use.
 *
 * A rank's assignment has one type, place_assignment, which owns its memory (no
 * fixed-size buffers): from a plan (what placerun applies), from the plan file (what a
 * solver reads), or from the environment. The variables' names are place/envnames.h's; a
 * job's plan as a launcher computes it is place/jobplan.h's.
 */
#ifndef PLACE_RUNENV_H
#define PLACE_RUNENV_H

#include <stdint.h>
#include <stdio.h>
#include "place/api.h"
#include "place/error.h"
#include "place/decomp.h"
#include "place/envnames.h"
#include "place/launch.h"
#include "place/plan.h"
#include "place/gpuscope.h"
#include "place/privdir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a rank's assignment ----------------------------------------------------------- */

typedef struct place_assignment {
    int rank, size; /* global */
    int local_rank, local_size;
    int node;     /* -1 if unknown */
    char *cpuset; /* CPU list of OS PU indices */
    int nnuma;
    int *numa_os; /* the NUMA nodes the cpuset touches */
    int nthreads;
    int *thread_pu_os; /* thread t runs on PU thread_pu_os[t] */
    int has_grid;      /* the rest only with a decomposition */
    int64_t global[3]; /* the grid */
    int dims[3];       /* the process grid */
    place_box box;     /* this rank's cells [lo, hi), coords, neighbours */
    char *gpus;        /* PLACE_GPUS's value; NULL when the plan hands out no GPUs */
    char *nics;        /* PLACE_NICS's value; NULL when it hands out no NICs */
    int ndevenv;       /* from a plan: the vendors' variables for its GPUs and NICs */
    char **devenv;     /* "NAME=VALUE" */
} place_assignment;

/* Rank `rank`'s assignment in a plan (and decomposition `d`, or NULL). */
PLACE_API int place_assignment_from_plan(place_assignment *a, const place_plan *p,
                                         const place_decomp *d, int rank, place_error *err);

/* Rank `rank`'s entry of a plan file, validated: every number in range, the cpuset a CPU
 * list, every thread's PU inside it, the box inside the grid and its coords inside the
 * process grid, neighbours valid ranks. */
PLACE_API int place_assignment_load(place_assignment *a, const char *path, int rank,
                                    place_error *err);

/* This rank's assignment as placerun exported it: PLACE_PLAN's entry for PLACE_RANK,
 * checked against PLACE_CPUSET and PLACE_THREAD_PUS. PLACE_ENOTPLACED when not under
 * placerun (PLACE_RANK unset); PLACE_EINVAL when a variable or the file is malformed. */
PLACE_API int place_assignment_from_env(place_assignment *a, place_error *err);

PLACE_API void place_assignment_fini(place_assignment *a);

/* ---- writing the contract (placerun, plugins) ----------------------------------------- */

/* Exports PLACE_* for the assignment (PLACE_PLAN = plan_path when not NULL), and the
 * vendors' GPU/NIC variables. */
PLACE_API int place_env_export(const place_launch *l, const place_assignment *a,
                               const char *plan_path, place_error *err);

/* The same variables as "NAME=VALUE" strings, for a caller that sets another process's
 * environment (the Slurm plugin: spank_setenv). Free with place_env_list_free. */
PLACE_API int place_env_exports(const place_launch *l, const place_assignment *a,
                                const char *plan_path, char ***env, int *n, place_error *err);

/* OMP_* that placerun sets, and whether a value in the environment is one placerun set
 * (recorded in PLACE_OMP_SET, name and value alike) rather than the user's. */
PLACE_API int place_env_export_omp(const char *const *names, const char *const *values, int n,
                                   place_error *err);
PLACE_API int place_env_omp_by_placerun(const char *name, const char *value);
/* PLACE_OMP_SET's value for these (for a caller that sets another process's environment). */
PLACE_API int place_env_omp_record(const char *const *names, const char *const *values, int n,
                                   char **rec, place_error *err);

/* OMP_PLACES for threads on PUs pu[0..n): "{0},{2},..." while the kernel takes that as one
 * environment string, else OpenMP's interval notation ("{0}:16:2"); NULL if even that is
 * too long (or out of memory). Caller frees. */
PLACE_API char *place_omp_places(const int *pu, int n);

/* Whether the assignment's PLACE_* values fit the kernel's limit on one environment string
 * (MAX_ARG_STRLEN, 128 KiB): to be checked before anything is bound, since exec fails
 * after. */
PLACE_API int place_env_fits(const place_assignment *a, place_error *err);

/* Exports the monitor's variables: its output file and the pid it samples. */
PLACE_API int place_env_export_monitor(const char *out, long pid, place_error *err);
/* --pin-threads: PLACE_PIN_THREADS=PID:SKIP (SKIP auto, or a mask 0x... over the threads
 * the program creates, bit i the i-th). */
PLACE_API int place_env_export_pin(long pid, const char *skip, place_error *err);
/* With a noise profile: PLACE_NOISY_PUS (and, helpers non-NULL, PLACE_HELPER_PUS), lists of
 * OS indices. */
PLACE_API int place_env_export_noise(const char *noisy, const char *helpers, place_error *err);

/* Writes the node's plan file atomically and returns its path in *path (caller frees).
 * The file goes to the user's private directory BASE/place-UID (made 0700, or checked to be
 * this user's and closed to others), BASE being PLACE_PLAN_DIR, else TMPDIR, else /tmp
 * (absolute). When another user made that name first: refused under PLACE_PLAN_DIR, else
 * a directory only this user can make ($XDG_RUNTIME_DIR/place, or BASE/place-UID.XXXXXX
 * with a random name, found again by later runs), which place_private_dir_note
 * (place/privdir.h, included here) says once. Plan files there older than a day are
 * removed. With a decomposition the file carries the grid and every rank's box. */
PLACE_API int place_planfile_write(const place_launch *l, const place_plan *p, int node,
                                   const place_decomp *d, char **path, place_error *err);

/* The GPUs a batch system left to the step: place/gpuscope.h (included here). */

/* Rank `rank`'s exported environment as a plan gives it (no launcher variables, no OMP_*,
 * which depend on the environment at run time): PLACE_CPUSET, PLACE_NUMA,
 * PLACE_THREAD_PUS, PLACE_NTHREADS, PLACE_GPUS, PLACE_NICS and the vendors' variables, as
 * "NAME=VALUE" strings in *env (n in *n; free with place_env_list_free). */
PLACE_API int place_plan_rank_env(const place_plan *p, int rank, char ***env, int *n,
                                  place_error *err);

#ifdef __cplusplus
}
#endif
#endif
