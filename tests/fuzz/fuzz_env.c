/* fuzz_env: launcher environment variables. Each input line is one variable: its first
 * byte picks the name from every variable place_launch_detect reads, the rest is the
 * value. Whatever the values say, a detected launch must be self-consistent. */
#include "fuzz.h"
#include "place.h"

static const char *const names[] = {"OMPI_COMM_WORLD_RANK",
                                    "OMPI_COMM_WORLD_SIZE",
                                    "OMPI_COMM_WORLD_LOCAL_RANK",
                                    "OMPI_COMM_WORLD_LOCAL_SIZE",
                                    "PMI_RANK",
                                    "PMI_SIZE",
                                    "MPI_LOCALRANKID",
                                    "MPI_LOCALNRANKS",
                                    "MV2_COMM_WORLD_RANK",
                                    "MV2_COMM_WORLD_SIZE",
                                    "MV2_COMM_WORLD_LOCAL_RANK",
                                    "MV2_COMM_WORLD_LOCAL_SIZE",
                                    "PMIX_RANK",
                                    "PMIX_SIZE",
                                    "PMIX_LOCAL_RANK",
                                    "PMIX_LOCAL_SIZE",
                                    "PMIX_NODEID",
                                    "PALS_RANKID",
                                    "PALS_LOCAL_RANKID",
                                    "PALS_LOCAL_SIZE",
                                    "PALS_NODEID",
                                    "FLUX_TASK_RANK",
                                    "FLUX_JOB_SIZE",
                                    "FLUX_TASK_LOCAL_ID",
                                    "FLUX_JOB_NNODES",
                                    "JSM_NAMESPACE_RANK",
                                    "JSM_NAMESPACE_SIZE",
                                    "JSM_NAMESPACE_LOCAL_RANK",
                                    "JSM_NAMESPACE_LOCAL_SIZE",
                                    "SLURM_PROCID",
                                    "SLURM_NTASKS",
                                    "SLURM_LOCALID",
                                    "SLURM_NODEID",
                                    "SLURM_STEP_ID",
                                    "SLURM_JOB_ID",
                                    "SLURM_STEP_TASKS_PER_NODE",
                                    "SLURM_STEP_NUM_NODES",
                                    "SLURM_NNODES",
                                    "PMI_ID",
                                    "OMPI_COMM_WORLD_NODE_RANK",
                                    "PALS_APID",
                                    "FLUX_JOB_ID",
                                    "PMIX_NAMESPACE",
                                    "OMPI_MCA_orte_ess_num_procs"};
#define NNAMES (int)(sizeof names / sizeof names[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048)
        return 0;
    for (int i = 0; i < NNAMES; i++)
        unsetenv(names[i]);
    char *s = fuzz_str(data, size);
    char *lines[32];
    int n = size ? fuzz_split(s, '\n', lines, 32) : 0;
    for (int i = 0; i < n; i++)
        if (lines[i][0])
            setenv(names[(unsigned char)lines[i][0] % NNAMES], lines[i] + 1, 1);
    place_launch l;
    place_error e;
    if (place_launch_detect(&l, &e) == 0) {
        if (l.size < 1 || l.rank < 0 || l.rank >= l.size || l.local_size < 1 || l.local_rank < 0 ||
            l.local_rank >= l.local_size || l.local_size > l.size || !l.launcher ||
            !memchr(l.job, 0, sizeof l.job))
            abort(); /* accepted values that contradict each other */
    }
    free(s);
    return 0;
}
