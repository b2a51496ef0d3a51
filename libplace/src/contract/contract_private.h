/* contract/contract_private.h: the contract layer's private header (for it and the
 * runtime layer): a rank's device environment, a job's rank read from a plan file, a
 * thread's PU from the environment. */
#ifndef PLACE_CONTRACT_PRIVATE_H
#define PLACE_CONTRACT_PRIVATE_H

#include "plan/plan_private.h"

/* A rank's PLACE_GPUS and PLACE_NICS values (NULL when the plan hands none out) and its
 * vendors' variables ("NAME=VALUE", appended to *env). 0, or -1 out of memory. */
int place_rank_devices(const place_plan *p, const place_rank_info *ri, char **gpus, char **nics,
                       char ***env, int *nenv);

/* place_assignment_load for a job's rank, also from a node's own plan (planfile.c). */
struct place_assignment;
int place_assignment_load_job(struct place_assignment *a, const char *path, int rank,
                              int local_rank, int local_size, int job_size, place_error *err);

/* Thread t's PU from PLACE_THREAD_PUS, strictly parsed (runenv.c). */
int place_env_thread_pu(int t, int *pu, place_error *err);

/* A write of the plan failed: PLACE_ESYS with errno's reason (plan_out.c), -1. */
int contract_write_failed(place_error *err);
/* A rank's NUMA and thread arrays, zeroed (planjson.c). 0, or -1 out of memory. */
int contract_assignment_alloc(struct place_assignment *a, int nnuma, int nthreads,
                              place_error *err);

#endif
