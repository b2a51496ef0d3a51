/* place/envnames.h: the names of the PLACE_* variables, in one table (base/envnames.c).
 *
 * What each variable carries is the contract of place/runenv.h (docs/design.md, "The
 * launcher environment"); this header is the table's: every name, who sets it, whether a
 * rank's reader checks it, and the lists of "NAME=VALUE" strings built from them.
 */
#ifndef PLACE_ENVNAMES_H
#define PLACE_ENVNAMES_H

#include "place/api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every PLACE_* variable. The first group is what placerun exports to the application;
 * the second what placerun, its monitor and libplace read from the user. */
typedef enum place_env_var {
    PLACE_ENV_RANK = 0,            /* global rank */
    PLACE_ENV_SIZE,                /* ranks in the job */
    PLACE_ENV_LOCAL_RANK,          /* rank on its node */
    PLACE_ENV_LOCAL_SIZE,          /* ranks on the node */
    PLACE_ENV_NODE,                /* node index, -1 if unknown */
    PLACE_ENV_LAUNCHER,            /* openmpi, mpich, ..., slurm, none */
    PLACE_ENV_CPUSET,              /* the rank's PUs, a CPU list of OS indices */
    PLACE_ENV_NUMA,                /* its NUMA nodes, OS indices, comma-separated */
    PLACE_ENV_THREAD_PUS,          /* thread t's PU, comma-separated, t = 0.. */
    PLACE_ENV_NTHREADS,            /* threads planned */
    PLACE_ENV_PLAN,                /* the node's plan file (place-plan/1 JSON) */
    PLACE_ENV_DIMS,                /* with --grid: process grid px,py,pz */
    PLACE_ENV_COORDS,              /* with --grid: this rank's coords */
    PLACE_ENV_BOX,                 /* with --grid: lo:hi,lo:hi,lo:hi (hi exclusive) */
    PLACE_ENV_OMP_SET,             /* the OMP_* placerun set, NAME=VALUE;...: a nested placerun
                                 tells them from the user's */
    PLACE_ENV_GPUS,                /* with GPUs: the rank's GPUs, PCI bus ids (PCI/SUB for a
                                 sub-device), comma-separated, in the order the runtime
                                 numbers them (device 0 first); "" for none */
    PLACE_ENV_NICS,                /* with NICs: the rank's NICs' names, comma-separated */
    PLACE_ENV_MONITOR_OUT,         /* --monitor: the monitor's output file */
    PLACE_ENV_MONITOR_PID,         /* --monitor: the pid to sample (exec keeps it) */
    PLACE_ENV_MONITOR_INTERVAL_US, /* user: the monitor's sampling interval */
    PLACE_ENV_PIN_THREADS,         /* --pin-threads: PID:auto or PID:0xMASK (the threads the
                                 program creates pinned in order; libplacepin) */
    PLACE_ENV_NOISY_PUS,           /* with a noise profile: the rank's PUs it calls noisy ("" none;
                                 the monitor says when a compute thread ran there) */
    PLACE_ENV_HELPER_PUS,          /* --avoid-noisy: the PUs for helper threads (the monitor's
                                 sampler, --pin-threads' helpers): the rank's noisiest */
    PLACE_ENV_PLAN_DIR,            /* user: where placerun writes plan files */
    PLACE_ENV_CONFIG,              /* user: placerun's profile (like --config) */
    PLACE_ENV_PAPI_EVENTS,         /* user: PAPI event names for the counters */
    PLACE_ENV_TOPO_CACHE,          /* user: "off" turns the topology cache off (default on) */
    PLACE_ENV_COUNT
} place_env_var;

/* The variable's name ("PLACE_RANK"), and its value in the environment or NULL. */
PLACE_API const char *place_env_name(place_env_var v);
/* Who sets it and whether a rank's reader checks it: PLACE_ENV_FROM_PLACERUN (placerun or
 * the SPANK plugin exports it for the rank) or PLACE_ENV_FROM_USER (the user sets it for
 * place to read), and PLACE_ENV_CHECKED (the node's plan file holds it too, and
 * place_assignment_from_env refuses a value the file contradicts: a PLACE_SIZE above the
 * file's ranks is a job larger than the node, not a contradiction). 0 for no variable. */
#define PLACE_ENV_FROM_PLACERUN 1u
#define PLACE_ENV_FROM_USER 2u
#define PLACE_ENV_CHECKED 4u
PLACE_API unsigned place_env_flags(place_env_var v);
PLACE_API const char *place_env_get(place_env_var v);

/* Whether this process runs under placerun (PLACE_RANK is set). */
PLACE_API int place_env_placed(void);

/* Frees a list of "NAME=VALUE" strings (place_env_exports, place_plan_rank_env). */
PLACE_API void place_env_list_free(char **env, int n);

#ifdef __cplusplus
}
#endif
#endif
