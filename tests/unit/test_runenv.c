/* test_runenv.c: the placerun-application contract (place/runenv.h) and the solver API
 * (place/solver.h): plan files written and read back (a 512-thread rank whose cpuset is
 * over 2,000 characters), forged plan files refused with their reason, the environment
 * exported and read back strictly, place_subdomain_get alone and under a launcher agreeing
 * with what placerun's shim computes, slabs and first-touch partitions with ghosts, the
 * job-wide step statistics, and atomic output that never clobbers a non-file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "place.h"

static char dir[64];

static int setup(void **s)
{
    snprintf(dir, sizeof dir, "/tmp/test_runenv.XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), dir, 1);
    return 0;
}

static int teardown(void **s)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void clear_env(void)
{
    for (int v = 0; v < PLACE_ENV_COUNT; v++)
        if (v != PLACE_ENV_PLAN_DIR)
            unsetenv(place_env_name((place_env_var)v));
    const char *launchers[] = {"OMPI_COMM_WORLD_RANK",
                               "OMPI_COMM_WORLD_SIZE",
                               "OMPI_COMM_WORLD_LOCAL_RANK",
                               "OMPI_COMM_WORLD_LOCAL_SIZE",
                               "PMIX_RANK",
                               "PMI_RANK",
                               "PMI_SIZE",
                               "SLURM_PROCID",
                               "SLURM_STEP_ID",
                               "HWLOC_SYNTHETIC",
                               "HWLOC_XMLFILE",
                               NULL};
    for (int i = 0; launchers[i]; i++)
        unsetenv(launchers[i]);
}

/* A 512-thread rank on every other PU of 1,024: its cpuset "0,2,4,...,1022" has 2,000+
 * characters. The file is written by the contract module and read back whole. */
static void test_long_cpuset_round_trips(void **s)
{
    place_topo *t;
    place_plan *p;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:1 numa:1 core:1024 pu:1", 0, &e), 0);
    char *allowed = malloc(8 * 1024);
    int at = 0;
    for (int i = 0; i < 1024; i += 2)
        at += sprintf(allowed + at, "%s%d", i ? "," : "", i);
    assert_int_equal(place_topo_restrict(t, allowed, &e), 0);
    place_request q;
    place_request_init(&q);
    assert_int_equal(place_plan_compute(&p, t, &q, &e), 0);
    place_launch l = {.launcher = "none", .rank = 0, .size = 1, .local_size = 1, .node = 0};
    snprintf(l.job, sizeof l.job, "unit");
    char *path;
    assert_int_equal(place_planfile_write(&l, p, 0, NULL, &path, &e), 0);
    assert_non_null(strstr(path, dir));
    place_assignment a, b;
    assert_int_equal(place_assignment_load(&a, path, 0, &e), 0);
    assert_int_equal(place_assignment_from_plan(&b, p, NULL, 0, &e), 0);
    assert_true(strlen(a.cpuset) > 2000);
    assert_string_equal(a.cpuset, b.cpuset);
    assert_int_equal(a.nthreads, 512);
    assert_memory_equal(a.thread_pu_os, b.thread_pu_os, sizeof(int) * 512);
    assert_int_equal(a.thread_pu_os[511], 1022);
    /* and through the environment, as an application under placerun sees it */
    assert_int_equal(place_env_export(&l, &a, path, &e), 0);
    place_assignment c;
    assert_int_equal(place_assignment_from_env(&c, &e), 0);
    assert_string_equal(c.cpuset, a.cpuset);
    assert_int_equal(c.nthreads, 512);
    place_assignment_fini(&a);
    place_assignment_fini(&b);
    place_assignment_fini(&c);
    clear_env();
    unlink(path);
    free(path);
    free(allowed);
    place_plan_free(p);
    place_topo_free(t);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A plan file for 2 ranks with a 2x1x1 grid; `rank0` is rank 0's entry. */
static void forged(const char *path, const char *rank0)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"schema\":\"place-plan/1\",\"request\":{\"ranks\":2},"
             "\"grid\":{\"global\":[8,4,4],\"dims\":[2,1,1]},\"ranks\":[%s,"
             "{\"rank\":1,\"node\":0,\"local_rank\":1,\"cpuset\":\"1\",\"numa\":[0],"
             "\"threads\":[{\"thread\":0,\"pu\":1}],\"box\":{\"lo\":[4,0,0],\"hi\":[8,4,4]},"
             "\"coords\":[1,0,0],\"neighbors\":[0,null,null,null,null,null]}]}",
             rank0);
    write_file(path, buf);
}

#define GOOD0                                                                                      \
    "{\"rank\":0,\"node\":0,\"local_rank\":0,\"cpuset\":\"0\",\"numa\":[0],"                       \
    "\"threads\":[{\"thread\":0,\"pu\":0}],\"box\":{\"lo\":[0,0,0],\"hi\":[4,4,4]},"               \
    "\"coords\":[0,0,0],\"neighbors\":[null,1,null,null,null,null]}"

static void test_forged_plan_files_are_refused(void **s)
{
    char path[128];
    snprintf(path, sizeof path, "%s/forged.json", dir);
    place_assignment a;
    place_error e;
    forged(path, GOOD0);
    assert_int_equal(place_assignment_load(&a, path, 0, &e), 0);
    assert_int_equal(a.box.hi[0], 4);
    assert_int_equal(a.box.neighbor[1], 1);
    place_assignment_fini(&a);
    static const struct {
        const char *from, *to, *why;
    } cases[] = {
        {"\"cpuset\":\"0\"", "\"cpuset\":\"not-a-cpulist; rm -rf /\"", "not a CPU list"},
        {"\"node\":0", "\"node\":-1", "node or local_rank"},
        {"\"pu\":0", "\"pu\":4294967299", "outside its rank's cpuset"},
        {"\"pu\":0", "\"pu\":5", "outside its rank's cpuset"},
        {"\"hi\":[4,4,4]", "\"hi\":[4,4,400000]", "outside the grid"},
        {"\"lo\":[0,0,0]", "\"lo\":[4,0,0]", "box is empty"},
        {"\"coords\":[0,0,0]", "\"coords\":[2,0,0]", "coords"},
        {"[null,1,", "[null,7,", "not a rank of the job"},
        {"\"numa\":[0]", "\"numa\":[-3]", "NUMA node"},
        {"\"local_rank\":0", "\"local_rank\":2", "node or local_rank"},
        {"\"rank\":0,", "\"rank\":0,\"rank\":0,", "duplicate"},
        /* boxes that overlap rank 1's [4,8) or leave a gap: they do not tile the grid */
        {"\"hi\":[4,4,4]", "\"hi\":[6,4,4]", "do not tile the grid"},
        {"\"hi\":[4,4,4]", "\"hi\":[3,4,4]", "do not tile the grid"},
        {"\"lo\":[0,0,0]", "\"lo\":[1,0,0]", "do not tile the grid"},
        {"\"coords\":[0,0,0]", "\"coords\":[1,0,0]", "different extents"},
        {"\"hi\":[4,4,4]", "\"hi\":[4,3,4]", "different extents"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char entry[1024];
        const char *at = strstr(GOOD0, cases[i].from);
        assert_non_null(at);
        snprintf(entry, sizeof entry, "%.*s%s%s", (int)(at - GOOD0), GOOD0, cases[i].to,
                 at + strlen(cases[i].from));
        forged(path, entry);
        place_error_clear(&e);
        if (place_assignment_load(&a, path, 0, &e) == 0)
            fail_msg("forged entry accepted: %s", entry);
        if (!strstr(e.msg, cases[i].why))
            fail_msg("forged entry %s: message '%s' lacks '%s'", entry, e.msg, cases[i].why);
        assert_int_equal(e.code, PLACE_EINVAL);
    }
    /* a rank the file is not for */
    forged(path, GOOD0);
    assert_int_equal(place_assignment_load(&a, path, 2, &e), -1);
    assert_non_null(strstr(e.msg, "for ranks 0 to 1"));
    /* a FIFO at the path (it would block until a writer came), a device, a file too large
     * to be a plan: refused at once, nothing read */
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/plan.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(place_assignment_load(&a, fifo, 0, &e), -1);
    assert_non_null(strstr(e.msg, "a FIFO; expected a regular file"));
    unlink(fifo);
    assert_int_equal(place_assignment_load(&a, "/dev/zero", 0, &e), -1);
    assert_non_null(strstr(e.msg, "a device; expected a regular file"));
    assert_int_equal(truncate(path, (off_t)PLACE_PLAN_FILE_MAX_BYTES + 1), 0);
    assert_int_equal(place_assignment_load(&a, path, 0, &e), -1);
    assert_non_null(strstr(e.msg, "bytes; expected at most"));
}

static void test_environment_is_read_strictly(void **s)
{
    clear_env();
    place_assignment a;
    place_error e;
    assert_int_equal(place_assignment_from_env(&a, &e), -1);
    assert_int_equal(e.code, PLACE_ENOTPLACED);
    assert_false(place_env_placed());
    assert_int_equal(place_bind_self_thread(NULL, 0, &e), -1);
    assert_int_equal(e.code, PLACE_ENOTPLACED);
    char path[128];
    snprintf(path, sizeof path, "%s/env.json", dir);
    forged(path, GOOD0);
    place_assignment good;
    assert_int_equal(place_assignment_load(&good, path, 0, &e), 0);
    place_launch l = {.launcher = "openmpi", .rank = 0, .size = 2, .local_size = 2, .node = 0};
    assert_int_equal(place_env_export(&l, &good, path, &e), 0);
    assert_string_equal(place_env_get(PLACE_ENV_BOX), "0:4,0:4,0:4");
    assert_string_equal(place_env_get(PLACE_ENV_DIMS), "2,1,1");
    assert_int_equal(place_assignment_from_env(&a, &e), 0);
    assert_int_equal(a.box.neighbor[1], 1);
    place_assignment_fini(&a);
    static const struct {
        place_env_var v;
        const char *value, *why;
    } cases[] = {
        {PLACE_ENV_RANK, "0x", "not a whole number"},
        {PLACE_ENV_RANK, " 0", "not a whole number"},
        {PLACE_ENV_RANK, "2", "is for ranks 0 to 1"},
        {PLACE_ENV_SIZE, "1", "differs from the plan file"},
        {PLACE_ENV_SIZE, "3", "carries a grid"}, /* read as a node's own plan: no grid there */
        {PLACE_ENV_CPUSET, "0-1", "differs from the plan file"},
        {PLACE_ENV_THREAD_PUS, "0,", "comma-separated"},
        {PLACE_ENV_THREAD_PUS, "1", "differs from the plan file"},
        {PLACE_ENV_NTHREADS, "-1", "out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *name = place_env_name(cases[i].v);
        char *keep = strdup(getenv(name));
        setenv(name, cases[i].value, 1);
        place_error_clear(&e);
        if (place_assignment_from_env(&a, &e) == 0)
            fail_msg("%s=%s accepted", name, cases[i].value);
        if (!strstr(e.msg, cases[i].why))
            fail_msg("%s=%s: message '%s' lacks '%s'", name, cases[i].value, e.msg, cases[i].why);
        setenv(name, keep, 1);
        free(keep);
    }
    place_assignment_fini(&good);
    clear_env();
}

/* Ranks not in node blocks (round-robin over nodes): placerun's file is the node's own
 * plan, numbered by local rank; the application still gets its own entry, with the job's
 * rank and size, and a grid is refused. */
static void test_node_plan_of_a_round_robin_layout(void **s)
{
    clear_env();
    setenv("HWLOC_SYNTHETIC", "pack:1 numa:1 core:4 pu:1", 1);
    place_launch l = {
        .launcher = "openmpi", .rank = 5, .size = 8, .local_rank = 1, .local_size = 2, .node = 0};
    snprintf(l.job, sizeof l.job, "rr");
    place_request req;
    place_request_init(&req);
    place_jobplan jp;
    place_error e;
    int64_t grid[3] = {8, 8, 8};
    assert_int_equal(place_jobplan_compute(&jp, &l, NULL, NULL, &req, grid, 0, &e), -1);
    assert_non_null(strstr(e.msg, "equal blocks per node"));
    assert_int_equal(place_jobplan_compute(&jp, &l, NULL, NULL, &req, NULL, 0, &e), 0);
    assert_false(jp.blocks);
    place_assignment a, b;
    char *path;
    assert_int_equal(place_jobplan_assignment(&jp, &l, &a, &e), 0);
    assert_int_equal(a.rank, 5);
    assert_string_equal(a.cpuset, "2-3");
    assert_int_equal(place_jobplan_write(&jp, &l, &path, &e), 0);
    assert_int_equal(place_env_export(&l, &a, path, &e), 0);
    assert_int_equal(place_assignment_from_env(&b, &e), 0);
    assert_int_equal(b.rank, 5);
    assert_int_equal(b.size, 8);
    assert_string_equal(b.cpuset, "2-3");
    place_assignment_fini(&a);
    place_assignment_fini(&b);
    place_jobplan_fini(&jp);
    unlink(path);
    free(path);
    clear_env();
}

/* Plan files live in BASE/place-UID, made 0700; whatever else stands at that name (open to
 * others, another user's, a link) is refused, and nothing is written. */
static void test_plan_files_go_to_a_private_directory(void **s)
{
    place_topo *t;
    place_plan *p;
    place_error e;
    assert_int_equal(place_topo_load(&t, "synthetic:pack:1 core:2 pu:1", 0, &e), 0);
    place_request q;
    place_request_init(&q);
    assert_int_equal(place_plan_compute(&p, t, &q, &e), 0);
    place_launch l = {.launcher = "none", .rank = 0, .size = 1, .local_size = 1, .node = 0};
    snprintf(l.job, sizeof l.job, "private");
    char base[128], priv[160], *path;
    snprintf(base, sizeof base, "%s/base", dir);
    assert_int_equal(mkdir(base, 0777), 0);
    chmod(base, 0777); /* like /tmp: anyone may make names here */
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), base, 1);
    snprintf(priv, sizeof priv, "%s/place-%lu/", base, (unsigned long)geteuid());
    assert_int_equal(place_planfile_write(&l, p, 0, NULL, &path, &e), 0);
    assert_true(!strncmp(path, priv, strlen(priv)));
    struct stat st;
    priv[strlen(priv) - 1] = '\0';
    assert_int_equal(lstat(priv, &st), 0);
    assert_true(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700 && st.st_uid == geteuid());
    free(path);
    /* open to others */
    chmod(priv, 0777);
    assert_int_equal(place_planfile_write(&l, p, 0, NULL, &path, &e), -1);
    assert_non_null(strstr(e.msg, "mode 777; expected a private directory"));
    /* another user's (when this test may give it away) */
    chmod(priv, 0700);
    if (geteuid() == 0 && chown(priv, 65534, 65534) == 0) {
        assert_int_equal(place_planfile_write(&l, p, 0, NULL, &path, &e), -1);
        assert_non_null(strstr(e.msg, "owned by uid 65534"));
        assert_int_equal(chown(priv, 0, 0), 0);
    }
    /* a link at the name, to a directory of ours: refused, nothing written there */
    char target[160], cmd[400];
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    assert_int_equal(mkdir(target, 0700), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && ln -s '%s' '%s'", priv, target, priv);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(place_planfile_write(&l, p, 0, NULL, &path, &e), -1);
    assert_non_null(strstr(e.msg, "not a directory of its own"));
    snprintf(cmd, sizeof cmd, "[ -z \"$(ls -A '%s')\" ]", target);
    assert_int_equal(system(cmd), 0);
    /* a relative base */
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), "relative/dir", 1);
    assert_int_equal(place_planfile_write(&l, p, 0, NULL, &path, &e), -1);
    assert_non_null(strstr(e.msg, "a relative path"));
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), dir, 1);
    place_plan_free(p);
    place_topo_free(t);
}

static void test_int_lists_are_strict(void **s)
{
    int v[4], n;
    place_error e;
    assert_int_equal(place_parse_int_list("L", "0,2,65535", 0, 65535, v, 4, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 65535);
    const char *bad[] = {"", ",", "1,,2", "1, 2", "+1", "1x", "65536", "-1", "1,2,3,4,5", NULL};
    for (int i = 0; bad[i]; i++)
        if (place_parse_int_list("L", bad[i], 0, 65535, v, 4, &n, &e) == 0)
            fail_msg("'%s' accepted", bad[i]);
}

/* Under a launcher without placerun, the solver's placement is what placerun's shim
 * computes for the same rank (place_jobplan), box and threads alike. */
static void test_subdomain_under_a_launcher_matches_the_shim(void **s)
{
    clear_env();
    setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 core:4 pu:2", 1);
    setenv("OMPI_COMM_WORLD_RANK", "5", 1);
    setenv("OMPI_COMM_WORLD_SIZE", "8", 1);
    setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);
    setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4", 1);
    place_solver_req q;
    place_solver_req_init(&q, 64, 32, 16);
    q.ghost = 2;
    place_subdomain *sd;
    place_error e;
    assert_int_equal(place_subdomain_get(&sd, &q, &e), 0);
    assert_int_equal(sd->source, PLACE_SOURCE_LAUNCHER);
    assert_int_equal(sd->rank, 5);
    assert_int_equal(sd->node, 1);
    place_launch l;
    assert_int_equal(place_launch_detect(&l, &e), 0);
    place_request req;
    place_request_init(&req);
    place_jobplan jp;
    int64_t grid[3] = {64, 32, 16};
    assert_int_equal(place_jobplan_compute(&jp, &l, NULL, NULL, &req, grid, 0, &e), 0);
    place_assignment a;
    assert_int_equal(place_jobplan_assignment(&jp, &l, &a, &e), 0);
    assert_string_equal(sd->cpuset, a.cpuset);
    assert_int_equal(sd->nthreads, a.nthreads);
    assert_memory_equal(sd->thread_pu, a.thread_pu_os, sizeof(int) * (size_t)a.nthreads);
    assert_memory_equal(&sd->box, &a.box, sizeof a.box);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sd->n[i], a.box.hi[i] - a.box.lo[i]);
        assert_int_equal(sd->alloc[i], sd->n[i] + 4);
    }
    for (int t = 0; t < sd->nthreads; t++)
        assert_int_equal(sd->thread_numa[t], sd->thread_pu[t] < 8 ? 0 : 1); /* OS order */
    /* the slabs tile the box along x */
    int64_t next = sd->box.lo[0];
    for (int t = 0; t < sd->nthreads; t++) {
        place_box sl;
        place_subdomain_slab(sd, t, &sl);
        assert_int_equal(sl.lo[0], next);
        next = sl.hi[0];
    }
    assert_int_equal(next, sd->box.hi[0]);
    /* the partition with ghosts: thread 0 from byte 0, the last to the end */
    place_array arr;
    place_partition part;
    assert_int_equal(place_subdomain_alloc(sd, sizeof(double), &arr, &part, &e), 0);
    size_t plane = (size_t)sd->alloc[1] * (size_t)sd->alloc[2] * sizeof(double);
    assert_int_equal(arr.bytes, plane * (size_t)sd->alloc[0]);
    assert_int_equal(part.off[0], 0);
    assert_int_equal(part.off[part.nparts], arr.bytes);
    place_box sl;
    place_subdomain_slab(sd, 1, &sl);
    assert_int_equal(part.off[1], plane * (size_t)(2 + sl.lo[0] - sd->box.lo[0]));
    place_partition_fini(&part);
    place_array_fini(&arr);
    /* MPI's view must agree with the launcher's */
    place_subdomain *bad;
    q.rank = 4;
    q.size = 8;
    assert_int_equal(place_subdomain_get(&bad, &q, &e), -1);
    assert_non_null(strstr(e.msg, "MPI says rank 4 of 8"));
    place_assignment_fini(&a);
    place_jobplan_fini(&jp);
    place_subdomain_free(sd);
    clear_env();
}

static void test_subdomain_alone_and_its_errors(void **s)
{
    clear_env();
    setenv("HWLOC_SYNTHETIC", "pack:1 numa:1 core:2 pu:1", 1);
    place_solver_req q;
    place_solver_req_init(&q, 10, 10, 10);
    q.nthreads = 4; /* more than the cores: planned oversubscribed, and said */
    place_subdomain *sd;
    place_error e;
    assert_int_equal(place_subdomain_get(&sd, &q, &e), 0);
    assert_int_equal(sd->source, PLACE_SOURCE_ALONE);
    assert_int_equal(sd->nthreads, 4);
    assert_true(sd->nnotes >= 1);
    assert_non_null(strstr(sd->notes[0], "oversubscribed"));
    assert_int_equal(sd->box.hi[0], 10);
    assert_int_equal(sd->box.neighbor[0], -1);
    assert_int_equal(place_bind_self_thread(sd, 4, &e), -1);
    assert_non_null(strstr(e.msg, "threads 0 to 3"));
    place_subdomain_free(sd);
    q.grid[2] = 0;
    assert_int_equal(place_subdomain_get(&sd, &q, &e), -1);
    assert_non_null(strstr(e.msg, "at least one cell"));
    q.grid[2] = 10;
    q.ghost = -1;
    assert_int_equal(place_subdomain_get(&sd, &q, &e), -1);
    /* a singleton MPI process: PMIX_RANK without a size; MPI's 0 of 1 decides */
    setenv("PMIX_RANK", "0", 1);
    q.ghost = 0;
    q.rank = 0;
    q.size = 1;
    assert_int_equal(place_subdomain_get(&sd, &q, &e), 0);
    assert_int_equal(sd->source, PLACE_SOURCE_ALONE);
    place_subdomain_free(sd);
    clear_env();
}

static void test_job_step_statistics(void **s)
{
    /* three steps over 4 threads of 2 ranks: the slowest thread and the threads' sum */
    double mx[3] = {10, 20, 30}, sum[3] = {32, 64, 96};
    place_step_stats st;
    place_step_stats_from_steps(mx, sum, 3, 4, 2, &st);
    assert_int_equal(st.steps, 3);
    assert_int_equal(st.ranks, 2);
    assert_true(fabs(st.mean_max_us - 20) < 1e-12);
    assert_true(fabs(st.mean_mean_us - 16) < 1e-12);
    assert_true(fabs(st.slowdown - 1.25) < 1e-12);
    assert_true(fabs(st.mean_wait_us - 4) < 1e-12);
    assert_true(st.migrations == PLACE_UNAVAILABLE);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    place_error e;
    assert_int_equal(place_step_stats_write_json(&st, f, &e), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\"scope\": \"job of 2 ranks\""));
    assert_non_null(strstr(buf, "\"migrations\": \"unavailable\""));
    free(buf);
}

static void test_atomic_output_never_clobbers(void **s)
{
    char path[128], link[128], target[128];
    place_wfile w;
    place_error e;
    snprintf(path, sizeof path, "%s/out.txt", dir);
    assert_int_equal(place_wfile_open(&w, "-o", path, &e), 0);
    fputs("first\n", w.f);
    assert_int_equal(place_wfile_commit(&w, &e), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 6);
    /* a failed write leaves the old file */
    assert_int_equal(place_wfile_open(&w, "-o", path, &e), 0);
    fputs("second, abandoned\n", w.f);
    place_wfile_fini(&w);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 6);
    /* a directory or a symlink at the target is left alone */
    snprintf(link, sizeof link, "%s/link.txt", dir);
    snprintf(target, sizeof target, "%s/victim.txt", dir);
    write_file(target, "victim\n");
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(place_wfile_open(&w, "-o", link, &e), -1); /* refused before any work */
    assert_non_null(strstr(e.msg, "is a symbolic link"));
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 7);
    assert_int_equal(place_wfile_open(&w, "-o", dir, &e), -1);
    assert_non_null(strstr(e.msg, "is a directory"));
    /* a link made between open and commit: the rename is refused, the target kept */
    char late[128];
    snprintf(late, sizeof late, "%s/late.txt", dir);
    assert_int_equal(place_wfile_open(&w, "-o", late, &e), 0);
    fputs("late\n", w.f);
    assert_int_equal(symlink(target, late), 0);
    assert_int_equal(place_wfile_commit(&w, &e), -1);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 7);
    /* a device is written in place, never replaced */
    assert_int_equal(place_wfile_open(&w, "-o", "/dev/null", &e), 0);
    fputs("discarded\n", w.f);
    assert_int_equal(place_wfile_commit(&w, &e), 0);
    assert_int_equal(lstat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* nothing left behind */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    assert_int_not_equal(system(cmd), 0);
}

/* A writer killed with SIGKILL leaves its temporary; the next output to the same file
 * removes it once it is a minute old and unlocked, and leaves a locked one (a live writer),
 * a young one, another target's and a link alone. */
static void test_killed_writers_temporaries_are_swept(void **s)
{
    char sub[160], path[200], t[5][240];
    snprintf(sub, sizeof sub, "%s/wsweep", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/out.csv", sub);
    const char *names[5] = {"out.csv.tmp.AAAAAA", "out.csv.tmp.BBBBBB", "out.csv.tmp.CCCCCC",
                            "other.csv.tmp.DDDDDD", "out.csv.tmp.EEEEEE"};
    for (int i = 0; i < 5; i++) {
        snprintf(t[i], sizeof t[i], "%s/%s", sub, names[i]);
        if (i < 4)
            write_file(t[i], "half\n");
        else
            assert_int_equal(symlink("/etc/hostname", t[i]), 0);
    }
    struct timespec old[2] = {{time(NULL) - 120, 0}, {time(NULL) - 120, 0}};
    for (int i = 0; i < 5; i++)
        assert_int_equal(utimensat(AT_FDCWD, t[i], old, AT_SYMLINK_NOFOLLOW), 0);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    assert_int_equal(utimensat(AT_FDCWD, t[2], now, 0), 0); /* young: being made */
    int held = open(t[1], O_RDONLY);                        /* a live writer's lock */
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX), 0);
    place_wfile w;
    place_error e;
    assert_int_equal(place_wfile_open(&w, "--probe-out", path, &e), 0);
    fputs("whole\n", w.f);
    assert_int_equal(place_wfile_commit(&w, &e), 0);
    struct stat st;
    assert_int_equal(lstat(t[0], &st), -1); /* the killed writer's: gone */
    assert_int_equal(lstat(t[1], &st), 0);  /* locked: kept */
    assert_int_equal(lstat(t[2], &st), 0);  /* young: kept */
    assert_int_equal(lstat(t[3], &st), 0);  /* another target's: kept */
    assert_int_equal(lstat(t[4], &st), 0);  /* a link: kept */
    close(held);
    /* openat: a name in a held directory, whatever the path comes to name */
    int dfd = open(sub, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    char moved[200];
    snprintf(moved, sizeof moved, "%s/wsweep-moved", dir);
    assert_int_equal(rename(sub, moved), 0);
    assert_int_equal(place_wfile_openat(&w, "checkpoint", dfd, "MANIFEST", &e), 0);
    fputs("{}\n", w.f);
    assert_int_equal(place_wfile_commit(&w, &e), 0);
    char where[240];
    snprintf(where, sizeof where, "%s/MANIFEST", moved);
    assert_int_equal(stat(where, &st), 0);
    assert_int_equal(place_wfile_openat(&w, "checkpoint", dfd, "a/b", &e), -1);
    close(dfd);
}

/* A single process's plan file is named by the plan's content (the same plan reuses one
 * file, another plan gets its own); plan files older than a day are swept, at most once an
 * hour (a stamp file's mtime), so that starting does not read a big directory every time. */
static void test_single_plan_files_and_the_sweep(void **s)
{
    (void)s;
    char sub[128], pdir[256], stale[320], stamp[320];
    snprintf(sub, sizeof sub, "%s/sweep", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), sub, 1);
    snprintf(pdir, sizeof pdir, "%s/place-%lu", sub, (unsigned long)getuid());
    place_topo *t;
    place_plan *p1, *p2;
    place_error e;
    place_request req;
    place_request_init(&req);
    assert_int_equal(place_topo_load(&t, "synthetic:pack:1 core:4 pu:1", 0, &e), 0);
    assert_int_equal(place_plan_compute(&p1, t, &req, &e), 0);
    req.ranks = 2;
    assert_int_equal(place_plan_compute(&p2, t, &req, &e), 0);
    place_launch l1 = {.launcher = "none", .rank = 0, .size = 1, .local_size = 1, .node = 0};
    place_launch l2 = l1;
    snprintf(l1.job, sizeof l1.job, "pid1");
    snprintf(l2.job, sizeof l2.job, "pid2");
    char *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(place_planfile_write(&l1, p1, 0, NULL, &a, &e), 0);
    assert_int_equal(place_planfile_write(&l2, p1, 0, NULL, &b, &e), 0);
    assert_string_equal(a, b); /* another pid, the same plan: the same file */
    assert_non_null(strstr(a, "-single-"));
    assert_int_equal(place_planfile_write(&l1, p2, 0, NULL, &c, &e), 0);
    assert_string_not_equal(a, c); /* another plan: its own file */
    /* the sweep: a file two days old goes at the next sweep, which comes once an hour */
    /* a file named as the module names them (a's name, another hash) */
    snprintf(stale, sizeof stale, "%s", a);
    char *hx = strstr(stale, "-single-");
    assert_non_null(hx);
    memset(hx + 8, '0', 16);
    assert_non_null(strstr(stale, pdir));
    snprintf(stamp, sizeof stamp, "%s/.place-swept", pdir);
    struct timespec old[2] = {{time(NULL) - 2 * 86400, 0}, {time(NULL) - 2 * 86400, 0}};
    struct timespec hour[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    FILE *f = fopen(stale, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(utimensat(AT_FDCWD, stale, old, 0), 0);
    free(a);
    assert_int_equal(place_planfile_write(&l1, p1, 0, NULL, &a, &e), 0);
    assert_int_equal(access(stale, F_OK), 0); /* swept less than an hour ago: left */
    /* beside it: a topology cache untouched for 8 days (a Slurm step's, long gone), one of
     * 2 days, and a plan file's temporary a killed writer left 2 hours ago */
    char topo_old[320], topo_new[320], tmpf[400];
    struct timespec week[2] = {{time(NULL) - 8 * 86400, 0}, {time(NULL) - 8 * 86400, 0}};
    snprintf(topo_old, sizeof topo_old, "%s/topo-00000000000000aa.xml", pdir);
    snprintf(topo_new, sizeof topo_new, "%s/topo-00000000000000bb.xml", pdir);
    snprintf(tmpf, sizeof tmpf, "%s.tmp.AbCdEf", stale);
    write_file(topo_old, "x");
    write_file(topo_new, "x");
    write_file(tmpf, "{");
    assert_int_equal(utimensat(AT_FDCWD, topo_old, week, 0), 0);
    assert_int_equal(utimensat(AT_FDCWD, topo_new, old, 0), 0);
    assert_int_equal(utimensat(AT_FDCWD, tmpf, hour, 0), 0);
    assert_int_equal(utimensat(AT_FDCWD, stamp, hour, 0), 0);
    free(a);
    assert_int_equal(place_planfile_write(&l1, p1, 0, NULL, &a, &e), 0);
    assert_int_equal(access(stale, F_OK), -1); /* the stamp two hours old: swept */
    assert_int_equal(access(a, F_OK), 0);      /* today's files stay */
    assert_int_equal(access(topo_old, F_OK), -1);
    assert_int_equal(access(topo_new, F_OK), 0);
    assert_int_equal(access(tmpf, F_OK), -1);
    /* a job running for two days keeps its file: its process holds the lock (here a child
     * that wrote the file and waits); once it is gone, the next sweep deletes the file */
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        close(go[1]);
        close(ready[0]);
        place_launch lj = {.launcher = "slurm", .rank = 0, .size = 1, .local_size = 1};
        snprintf(lj.job, sizeof lj.job, "4242");
        char *jp = NULL, ch;
        int ok = place_planfile_write(&lj, p1, 0, NULL, &jp, &e) == 0;
        if (ok)
            ok = write(ready[1], jp, strlen(jp) + 1) > 0;
        ok = ok && read(go[0], &ch, 1) >= 0;
        _exit(ok ? 0 : 1);
    }
    close(go[0]);
    close(ready[1]);
    char longjob[320] = "";
    assert_true(read(ready[0], longjob, sizeof longjob - 1) > 0);
    assert_non_null(strstr(longjob, "-4242-node0-")); /* its job's file */
    char longlock[320];
    snprintf(longlock, sizeof longlock, "%.*s.lock", (int)(strlen(longjob) - 5), longjob);
    assert_int_equal(access(longlock, F_OK), 0);
    assert_int_equal(utimensat(AT_FDCWD, longjob, old, 0), 0);
    assert_int_equal(utimensat(AT_FDCWD, longlock, old, 0), 0);
    assert_int_equal(utimensat(AT_FDCWD, stamp, hour, 0), 0);
    free(a);
    assert_int_equal(place_planfile_write(&l1, p1, 0, NULL, &a, &e), 0);
    assert_int_equal(access(longjob, F_OK), 0); /* its job still runs: kept */
    close(go[1]);
    int ws;
    assert_int_equal(waitpid(kid, &ws, 0), kid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    close(ready[0]);
    assert_int_equal(utimensat(AT_FDCWD, stamp, hour, 0), 0);
    free(a);
    assert_int_equal(place_planfile_write(&l1, p1, 0, NULL, &a, &e), 0);
    assert_int_equal(access(longjob, F_OK), -1); /* its job is gone: swept, lock and all */
    assert_int_equal(access(longlock, F_OK), -1);
    free(a);
    free(b);
    free(c);
    place_plan_free(p1);
    place_plan_free(p2);
    place_topo_free(t);
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), dir, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_cpuset_round_trips),
        cmocka_unit_test(test_forged_plan_files_are_refused),
        cmocka_unit_test(test_environment_is_read_strictly),
        cmocka_unit_test(test_node_plan_of_a_round_robin_layout),
        cmocka_unit_test(test_plan_files_go_to_a_private_directory),
        cmocka_unit_test(test_int_lists_are_strict),
        cmocka_unit_test(test_subdomain_under_a_launcher_matches_the_shim),
        cmocka_unit_test(test_subdomain_alone_and_its_errors),
        cmocka_unit_test(test_job_step_statistics),
        cmocka_unit_test(test_atomic_output_never_clobbers),
        cmocka_unit_test(test_killed_writers_temporaries_are_swept),
        cmocka_unit_test(test_single_plan_files_and_the_sweep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
