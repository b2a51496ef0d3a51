/* test_launch.c: rank discovery from each launcher's environment, in docs/design.md's order,
 * and refusal of values that are malformed or contradict each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

extern char **environ;

/* Every variable any launcher row reads, cleared before each test. */
static const char *const vars[] = {"OMPI_COMM_WORLD_RANK",
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
                                   "PMIX_NAMESPACE",
                                   "PALS_RANKID",
                                   "PALS_LOCAL_RANKID",
                                   "PALS_LOCAL_SIZE",
                                   "PALS_NODEID",
                                   "PALS_APID",
                                   "FLUX_TASK_RANK",
                                   "FLUX_JOB_SIZE",
                                   "FLUX_TASK_LOCAL_ID",
                                   "FLUX_JOB_NNODES",
                                   "FLUX_JOB_ID",
                                   "JSM_NAMESPACE_RANK",
                                   "JSM_NAMESPACE_SIZE",
                                   "JSM_NAMESPACE_LOCAL_RANK",
                                   "JSM_NAMESPACE_LOCAL_SIZE",
                                   "LSB_JOBID",
                                   "SLURM_PROCID",
                                   "SLURM_NTASKS",
                                   "SLURM_LOCALID",
                                   "SLURM_NODEID",
                                   "SLURM_STEP_TASKS_PER_NODE",
                                   "SLURM_JOB_ID",
                                   "SLURM_STEP_ID",
                                   "OMPI_MCA_ess_base_jobid",
                                   NULL};

static void slurm_step(void)
{
    setenv("SLURM_STEP_ID", "0", 1);
}

static int clear(void **s)
{
    for (int i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    return 0;
}

static void set4(const char *r, const char *rv, const char *n, const char *nv, const char *lr,
                 const char *lrv, const char *ls, const char *lsv)
{
    if (r)
        setenv(r, rv, 1);
    if (n)
        setenv(n, nv, 1);
    if (lr)
        setenv(lr, lrv, 1);
    if (ls)
        setenv(ls, lsv, 1);
}

static void expect(const char *launcher, int rank, int size, int lr, int ls, int node)
{
    place_launch l;
    place_error e;
    if (place_launch_detect(&l, &e) < 0) {
        print_error("detect: %s\n", e.msg);
        fail();
    }
    assert_string_equal(l.launcher, launcher);
    assert_int_equal(l.rank, rank);
    assert_int_equal(l.size, size);
    assert_int_equal(l.local_rank, lr);
    assert_int_equal(l.local_size, ls);
    assert_int_equal(l.node, node);
    assert_true(strlen(l.job) > 0);
}

static void expect_error(const char *needle)
{
    place_launch l;
    place_error e;
    place_error_clear(&e);
    assert_int_equal(place_launch_detect(&l, &e), -1);
    if (!strstr(e.msg, needle)) {
        print_error("message '%s' lacks '%s'\n", e.msg, needle);
        fail();
    }
    assert_null(strchr(e.msg, '\n'));
}

static void test_no_launcher_is_rank_0_of_1(void **s)
{
    expect("none", 0, 1, 0, 1, 0);
}

static void test_open_mpi(void **s)
{
    set4("OMPI_COMM_WORLD_RANK", "5", "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK",
         "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "4");
    expect("openmpi", 5, 8, 1, 4, 1);
}

static void test_open_mpi_wins_over_stale_slurm(void **s)
{
    /* mpirun inside an allocation: every rank sees SLURM_PROCID=0 */
    set4("SLURM_PROCID", "0", "SLURM_NTASKS", "1", "SLURM_LOCALID", "0", "SLURM_NODEID", "0");
    set4("OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_LOCAL_RANK",
         "3", "OMPI_COMM_WORLD_LOCAL_SIZE", "4");
    expect("openmpi", 3, 4, 3, 4, 0);
}

static void test_mpich_hydra(void **s)
{
    set4("PMI_RANK", "6", "PMI_SIZE", "12", "MPI_LOCALRANKID", "2", "MPI_LOCALNRANKS", "4");
    expect("mpich", 6, 12, 2, 4, 1);
}

static void test_mvapich2(void **s)
{
    set4("MV2_COMM_WORLD_RANK", "1", "MV2_COMM_WORLD_SIZE", "2", "MV2_COMM_WORLD_LOCAL_RANK", "1",
         "MV2_COMM_WORLD_LOCAL_SIZE", "2");
    expect("mvapich2", 1, 2, 1, 2, 0);
}

static void test_pmix_takes_the_size_from_slurm(void **s)
{
    /* srun --mpi=pmix: PMIx gives rank and local rank, Slurm the rest */
    set4("PMIX_RANK", "3", NULL, NULL, "PMIX_LOCAL_RANK", "1", NULL, NULL);
    set4("SLURM_PROCID", "3", "SLURM_NTASKS", "4", "SLURM_LOCALID", "1", "SLURM_NODEID", "1");
    slurm_step();
    setenv("SLURM_STEP_TASKS_PER_NODE", "2(x2)", 1);
    expect("pmix", 3, 4, 1, 2, 1);
}

/* mpirun inside a Slurm step (srun --pty bash, then mpirun): every rank still has the
 * step's SLURM_* (task 0 of 1 on node 3); Open MPI's layout decides, Slurm's nothing. */
static void test_stale_slurm_under_mpirun_decides_nothing(void **s)
{
    set4("OMPI_COMM_WORLD_RANK", "5", "OMPI_COMM_WORLD_SIZE", "8", "OMPI_COMM_WORLD_LOCAL_RANK",
         "1", "OMPI_COMM_WORLD_LOCAL_SIZE", "4");
    set4("SLURM_PROCID", "0", "SLURM_NTASKS", "1", "SLURM_LOCALID", "0", "SLURM_NODEID", "3");
    slurm_step();
    setenv("SLURM_STEP_TASKS_PER_NODE", "1", 1);
    setenv("SLURM_JOB_ID", "77", 1);
    setenv("OMPI_MCA_ess_base_jobid", "4242", 1);
    expect("openmpi", 5, 8, 1, 4, 1); /* node from the block layout, not SLURM_NODEID=3 */
    place_launch l;
    assert_int_equal(place_launch_detect(&l, NULL), 0);
    assert_string_equal(l.job, "4242");
    /* the same rank 0 of a one-rank stale step: SLURM_PROCID agrees, SLURM_NTASKS does not */
    set4("OMPI_COMM_WORLD_RANK", "0", NULL, NULL, "OMPI_COMM_WORLD_LOCAL_RANK", "0", NULL, NULL);
    expect("openmpi", 0, 8, 0, 4, 0);
}

static void test_pals(void **s)
{
    set4("PALS_RANKID", "9", "PMI_SIZE", "16", "PALS_LOCAL_RANKID", "1", "PALS_LOCAL_SIZE", "8");
    setenv("PALS_NODEID", "1", 1);
    expect("pals", 9, 16, 1, 8, 1);
}

static void test_flux_local_size_from_nodes(void **s)
{
    set4("FLUX_TASK_RANK", "5", "FLUX_JOB_SIZE", "8", "FLUX_TASK_LOCAL_ID", "1", "FLUX_JOB_NNODES",
         "2");
    expect("flux", 5, 8, 1, 4, 1);
}

static void test_jsrun(void **s)
{
    set4("JSM_NAMESPACE_RANK", "2", "JSM_NAMESPACE_SIZE", "6", "JSM_NAMESPACE_LOCAL_RANK", "2",
         "JSM_NAMESPACE_LOCAL_SIZE", "6");
    expect("jsrun", 2, 6, 2, 6, 0);
}

static void test_slurm_tasks_per_node_syntax(void **s)
{
    /* 7 tasks: 3 on nodes 0 and 1, 1 on node 2; rank 6 is node 2's only task */
    set4("SLURM_PROCID", "6", "SLURM_NTASKS", "7", "SLURM_LOCALID", "0", "SLURM_NODEID", "2");
    setenv("SLURM_STEP_TASKS_PER_NODE", "3(x2),1", 1);
    slurm_step();
    expect("slurm", 6, 7, 0, 1, 2);
}

/* Found by fuzz_env: a repeat count past 2^63 overflowed the node count (UB). */
static void test_slurm_tasks_per_node_huge_counts_do_not_overflow(void **s)
{
    set4("SLURM_PROCID", "1", "SLURM_NTASKS", "4", "SLURM_LOCALID", "0", "SLURM_NODEID", "1");
    slurm_step();
    setenv("SLURM_STEP_TASKS_PER_NODE", "1(x2147483647),3", 1);
    place_launch l;
    place_error e;
    assert_int_equal(place_launch_detect(&l, &e), 0);
    assert_int_equal(l.local_size, 1); /* node 1 is inside the first, huge, entry */
    setenv("SLURM_STEP_TASKS_PER_NODE", "1(x9223372036854775807),3", 1);
    assert_int_equal(place_launch_detect(&l, &e), -1);
    setenv("SLURM_STEP_TASKS_PER_NODE", "2(x99999999999999999999),1", 1);
    assert_int_equal(place_launch_detect(&l, &e), -1);
    assert_non_null(
        strstr(e.msg, "SLURM_STEP_TASKS_PER_NODE '2(x99999999999999999999),1': cannot read"));
    setenv("SLURM_STEP_TASKS_PER_NODE", "99999999999", 1);
    assert_int_equal(place_launch_detect(&l, &e), -1);
}

static void test_a_batch_script_is_not_a_slurm_task(void **s)
{
    /* sbatch's script: SLURM_PROCID=0 but no step; placerun there is alone (and may wrap) */
    set4("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_LOCALID", "0", "SLURM_NODEID", "0");
    setenv("SLURM_JOB_ID", "42", 1);
    expect("none", 0, 1, 0, 1, 0);
}

static void test_bad_values_are_refused(void **s)
{
    setenv("OMPI_COMM_WORLD_RANK", "two", 1);
    expect_error("launcher variable OMPI_COMM_WORLD_RANK 'two': not a whole number");
    clear(NULL);
    set4("OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_LOCAL_RANK",
         "2", "OMPI_COMM_WORLD_LOCAL_SIZE", "2");
    expect_error("launcher says local rank 2 but only 2 ranks on this node");
    clear(NULL);
    set4("OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_LOCAL_RANK",
         "0", "OMPI_COMM_WORLD_LOCAL_SIZE", "1");
    expect_error("is not below the job size 2");
    clear(NULL);
    set4("OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_LOCAL_RANK",
         "0", "OMPI_COMM_WORLD_LOCAL_SIZE", "4");
    expect_error("contradict");
    clear(NULL);
    set4("OMPI_COMM_WORLD_RANK", "0", "OMPI_COMM_WORLD_SIZE", "-3", NULL, NULL, NULL, NULL);
    expect_error("OMPI_COMM_WORLD_SIZE '-3': out of range");
    clear(NULL);
    set4("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_LOCALID", "0", "SLURM_NODEID", "0");
    setenv("SLURM_STEP_TASKS_PER_NODE", "2(x", 1);
    slurm_step();
    expect_error("SLURM_STEP_TASKS_PER_NODE '2(x'");
    clear(NULL);
    setenv("PMIX_RANK", "0", 1);
    expect_error("no variable gives the job size");
}

static void test_ranks_not_in_blocks_have_no_node_index(void **s)
{
    /* --map-by node: rank 1 is local rank 0 of the second node */
    set4("OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_LOCAL_RANK",
         "0", "OMPI_COMM_WORLD_LOCAL_SIZE", "2");
    expect("openmpi", 1, 4, 0, 2, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_launcher_is_rank_0_of_1, clear),
        cmocka_unit_test_setup(test_open_mpi, clear),
        cmocka_unit_test_setup(test_slurm_tasks_per_node_huge_counts_do_not_overflow, clear),
        cmocka_unit_test_setup(test_open_mpi_wins_over_stale_slurm, clear),
        cmocka_unit_test_setup(test_mpich_hydra, clear),
        cmocka_unit_test_setup(test_mvapich2, clear),
        cmocka_unit_test_setup(test_pmix_takes_the_size_from_slurm, clear),
        cmocka_unit_test_setup(test_stale_slurm_under_mpirun_decides_nothing, clear),
        cmocka_unit_test_setup(test_pals, clear),
        cmocka_unit_test_setup(test_flux_local_size_from_nodes, clear),
        cmocka_unit_test_setup(test_jsrun, clear),
        cmocka_unit_test_setup(test_slurm_tasks_per_node_syntax, clear),
        cmocka_unit_test_setup(test_a_batch_script_is_not_a_slurm_task, clear),
        cmocka_unit_test_setup(test_bad_values_are_refused, clear),
        cmocka_unit_test_setup(test_ranks_not_in_blocks_have_no_node_index, clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
