/* launch.c: rank discovery from the launcher's environment.
 *
 * One table row per launcher, in the order of docs/design.md ("The launcher environment"). Each row names the variables for
 * rank, size, local rank, local size and node index (NULL where that launcher exports
 * none). Slurm's local size is not a variable: it is this node's entry of
 * SLURM_STEP_TASKS_PER_NODE ("2(x3),1": 2 tasks on each of 3 nodes, then 1).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/base.h"
#include "place/parse.h"
#include "place/launch.h"

typedef struct source {
    const char *name;
    const char *rank, *size, *local_rank, *local_size, *node;
    const char *only_with; /* the row counts only when this is set too */
} source;

// a new row re-lays no other
// clang-format off
static const source sources[] = {
    {"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
     "OMPI_COMM_WORLD_LOCAL_SIZE", NULL, NULL},
    {"mpich", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS", NULL, NULL},
    {"mvapich2", "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_LOCAL_RANK",
     "MV2_COMM_WORLD_LOCAL_SIZE", NULL, NULL},
    {"pmix", "PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK", "PMIX_LOCAL_SIZE", "PMIX_NODEID", NULL},
    {"pals", "PALS_RANKID", NULL, "PALS_LOCAL_RANKID", "PALS_LOCAL_SIZE", "PALS_NODEID", NULL},
    {"flux", "FLUX_TASK_RANK", "FLUX_JOB_SIZE", "FLUX_TASK_LOCAL_ID", NULL, NULL, NULL},
    {"jsrun", "JSM_NAMESPACE_RANK", "JSM_NAMESPACE_SIZE", "JSM_NAMESPACE_LOCAL_RANK",
     "JSM_NAMESPACE_LOCAL_SIZE", NULL, NULL},
    /* A batch script has SLURM_PROCID=0 but is no task of a step: only srun's tasks have
     * SLURM_STEP_ID. */
    {"slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", NULL, "SLURM_NODEID",
     "SLURM_STEP_ID"},
};
// clang-format on
#define NSOURCES ((int)(sizeof sources / sizeof *sources))

/* Reads an integer variable; returns 1 if set and valid, 0 if unset, -1 on garbage. */
static int env_int(const char *var, long min, int *out, place_error *err)
{
    const char *v = var ? getenv(var) : NULL;
    if (!v)
        return 0;
    char what[96];
    snprintf(what, sizeof what, "launcher variable %s", var);
    if (place_parse_int(what, v, min, 1 << 30, out, err) < 0)
        return -1;
    return 1;
}

/* Slurm: tasks on node `node` from "2(x3),1" syntax; -1 if it cannot be read. */
static int slurm_tasks_on_node(const char *spec, int node)
{
    const char *p = spec;
    long long at = 0; /* nodes before this entry; counts bounded so nothing overflows */
    while (p && *p) {
        char *end;
        errno = 0;
        long n = strtol(p, &end, 10), rep = 1;
        if (end == p || n < 0 || n > INT_MAX || errno)
            return -1;
        p = end;
        if (!strncmp(p, "(x", 2)) {
            rep = strtol(p + 2, &end, 10);
            if (end == p + 2 || *end != ')' || rep < 1 || rep > INT_MAX || errno)
                return -1;
            p = end + 1;
        }
        if (node < at + rep)
            return (int)n;
        at += rep;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return -1;
}

/* Whether Slurm's variables describe the task that `src` (the launcher found) says is
 * rank `rank`: Slurm is that launcher, or its task id and task count agree with it. */
static int slurm_describes(const source *src, int rank)
{
    if (!strcmp(src->name, "slurm"))
        return 1;
    int procid, ntasks, size;
    if (env_int("SLURM_PROCID", 0, &procid, NULL) != 1 || procid != rank)
        return 0;
    if (src->size && env_int(src->size, 1, &size, NULL) == 1 &&
        env_int("SLURM_NTASKS", 1, &ntasks, NULL) == 1 && ntasks != size)
        return 0;
    return 1;
}

static void job_key(place_launch *l, int slurm_may_decide, int single)
{
    /* a single process is a job of its own, even in a batch script: two started from one
     * shell or script must not share a plan file (exec keeps the pid) */
    if (single) {
        snprintf(l->job, sizeof l->job, "pid%ld", (long)getpid());
        return;
    }
    static const char *const keys[] = {
        "PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid", "FLUX_JOB_ID", "PALS_APID", "LSB_JOBID", NULL};
    for (int i = 0; keys[i]; i++) {
        const char *v = getenv(keys[i]);
        if (v && *v) {
            snprintf(l->job, sizeof l->job, "%.100s", v);
            goto clean;
        }
    }
    const char *job = getenv("SLURM_JOB_ID"), *step = getenv("SLURM_STEP_ID");
    if (slurm_may_decide && job && *job) {
        snprintf(l->job, sizeof l->job, "%.60s.%.60s", job, step ? step : "0");
        goto clean;
    }
    /* No job id: the ranks of one node share their parent (mpirun, orted, hydra). */
    snprintf(l->job, sizeof l->job, "ppid%ld", (long)getppid());
clean:
    for (char *c = l->job; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == '_'))
            *c = '_';
}

int place_launch_detect(place_launch *l, place_error *err)
{
    memset(l, 0, sizeof *l);
    l->launcher = "none";
    l->size = l->local_size = 1;
    l->node = 0;
    int s = 0;
    for (; s < NSOURCES; s++)
        if (getenv(sources[s].rank) && (!sources[s].only_with || getenv(sources[s].only_with)))
            break;
    job_key(l, s == NSOURCES || !strcmp(sources[s].name, "slurm"), s == NSOURCES);
    if (s == NSOURCES)
        return 0;
    const source *src = &sources[s];
    l->launcher = src->name;
    int have[5] = {0};
    if ((have[0] = env_int(src->rank, 0, &l->rank, err)) < 0)
        return -1;
    /* Missing values come from the other launchers' variables, later ones first (PALS
     * exports no job size; Cray sets PMI_SIZE beside it). Slurm's only when they describe
     * this very task (srun --mpi=pmix: SLURM_PROCID is the PMIx rank): mpirun inside a
     * Slurm step (srun --pty bash, then mpirun) leaves that step's SLURM_PROCID,
     * SLURM_NODEID, SLURM_STEP_TASKS_PER_NODE in every rank, stale. */
    int is_slurm = slurm_describes(src, l->rank);
    const char *used_size = NULL, *used_lsize = NULL;
    for (int step = 0; step < NSOURCES; step++) {
        const source *o = &sources[(s + step) % NSOURCES];
        if (o->only_with && !getenv(o->only_with))
            continue;
        if (!is_slurm && !strcmp(o->name, "slurm"))
            continue;
        int r;
        if (!have[1] && o->size && (r = env_int(o->size, 1, &l->size, err)) != 0) {
            if (r < 0)
                return -1;
            have[1] = 1;
            used_size = o->size;
        }
        if (!have[2] && o->local_rank &&
            (r = env_int(o->local_rank, 0, &l->local_rank, err)) != 0) {
            if (r < 0)
                return -1;
            have[2] = 1;
        }
        if (!have[3] && o->local_size &&
            (r = env_int(o->local_size, 1, &l->local_size, err)) != 0) {
            if (r < 0)
                return -1;
            have[3] = 1;
            used_lsize = o->local_size;
        }
        if (!have[4] && o->node && (r = env_int(o->node, 0, &l->node, err)) != 0) {
            if (r < 0)
                return -1;
            have[4] = 1;
        }
    }
    if (!have[3] && have[4] && is_slurm && getenv("SLURM_STEP_TASKS_PER_NODE")) {
        int n = slurm_tasks_on_node(getenv("SLURM_STEP_TASKS_PER_NODE"), l->node);
        if (n < 1)
            return place_error_set(
                err, PLACE_EINVAL,
                "launcher variable SLURM_STEP_TASKS_PER_NODE '%.60s': cannot read "
                "node %d's task count; expected e.g. 2(x3),1",
                getenv("SLURM_STEP_TASKS_PER_NODE"), l->node);
        l->local_size = n;
        have[3] = 1;
        used_lsize = "SLURM_STEP_TASKS_PER_NODE";
    }
    if (!have[3] && !strcmp(src->name, "flux") && getenv("FLUX_JOB_NNODES")) {
        int nn = 0;
        if (env_int("FLUX_JOB_NNODES", 1, &nn, err) < 0)
            return -1;
        if (have[1] && l->size % nn == 0) {
            l->local_size = l->size / nn;
            have[3] = 1;
            used_lsize = "FLUX_JOB_SIZE / FLUX_JOB_NNODES";
        }
    }
    if (!have[1])
        return place_error_set(err, PLACE_EINVAL,
                               "%s is set (%s) but no variable gives the job "
                               "size; expected one of the launchers' size variables",
                               src->rank, src->name);
    if (!have[2] || !have[3])
        return place_error_set(err, PLACE_EINVAL,
                               "%s is set (%s) but the local rank and local "
                               "size on this node are not both known",
                               src->rank, src->name);
    if (l->rank >= l->size)
        return place_error_set(err, PLACE_EINVAL,
                               "launcher variable %s=%d is not below the job "
                               "size %d (%s)",
                               src->rank, l->rank, l->size, used_size);
    if (l->local_rank >= l->local_size)
        return place_error_set(err, PLACE_EINVAL,
                               "launcher says local rank %d but only %d ranks on "
                               "this node (%s); the launcher's variables contradict each other",
                               l->local_rank, l->local_size, used_lsize);
    if (l->local_size > l->size || l->local_rank > l->rank)
        return place_error_set(err, PLACE_EINVAL,
                               "launcher says local rank %d of %d on this node "
                               "but rank %d of %d in the job; the variables contradict each other",
                               l->local_rank, l->local_size, l->rank, l->size);
    if (!have[4])
        l->node = (l->rank - l->local_rank) % l->local_size == 0 ? l->rank / l->local_size : -1;
    return 0;
}
