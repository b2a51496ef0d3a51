/* test_devices.c: GPUs and NICs (place/topo.h devices, the plan's gpus and nics, the
 * contract's PLACE_GPUS/PLACE_NICS and vendor variables): discovery on the described GPU
 * nodes (the OS devices of one PCI device are one GPU, tiles are separate GPUs, a BMC's VGA
 * is none, ROCm's numbering kept, GPU memory attached by PCIBusID or by order), a job plan
 * computed as a launcher's rank does with the environment exported and read back through
 * the node's plan file, a forged plan file refused, and a restriction that moves devices'
 * localities; every row of the GPU runtimes' table (topo/gpurt.c) with a fixture of its GPUs,
 * the names, the variables and the scope its row says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "place.h"

static char dir[64];
static const char *fx(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s.xml", PLACE_FIXTURES, name);
    return path;
}

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof dir, "/tmp/test_devices.XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv(place_env_name(PLACE_ENV_PLAN_DIR), dir, 1);
    const char *v[] = {"SLURM_STEP_GPUS",     "CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                       "HIP_VISIBLE_DEVICES", "ZE_AFFINITY_MASK",     NULL};
    for (int i = 0; v[i]; i++)
        unsetenv(v[i]);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static place_topo *load(const char *name)
{
    place_topo *t = NULL;
    place_error e;
    int rc = place_topo_load(&t, fx(name), PLACE_TOPO_DEVICES, &e);
    if (rc)
        fail_msg("%s: %s", name, e.msg);
    return t;
}

static void test_discovery(void **s)
{
    (void)s;
    place_device_info d;
    /* 4 H100 (card+render+nvml collapsed into one each), the ASPEED VGA left out */
    place_topo *t = load("gpu-2s-4nvidia-2nic");
    assert_int_equal(place_topo_ndevices(t, PLACE_DEVICE_GPU), 4);
    assert_int_equal(place_topo_ndevices(t, PLACE_DEVICE_NIC), 3);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, 2, &d), 0);
    assert_string_equal(d.pci, "0000:b1:00.0");
    assert_string_equal(d.name, "cuda2");
    assert_string_equal(d.vendor, "NVIDIA");
    assert_string_equal(d.osdevs, "card3,renderD131,nvml2");
    assert_int_equal(d.numa_os, 1);
    assert_non_null(d.uuid);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, 4, &d), -1);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_NIC, 1, &d), 0);
    assert_string_equal(d.name, "mlx5_0");
    assert_string_equal(d.netdev, "ib0");
    assert_string_equal(d.ucx, "mlx5_0:1");
    assert_true(d.high_speed);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_NIC, 0, &d), 0);
    assert_string_equal(d.runtime, "Ethernet");
    assert_false(d.high_speed);
    place_topo_free(t);

    /* ROCm's own numbering, not PCI order; Slingshot NICs */
    t = load("gpu-amd-4x2-8gcd");
    const char *want[8] = {"rocm4", "rocm5", "rocm2", "rocm3", "rocm6", "rocm7", "rocm0", "rocm1"};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, i, &d), 0);
        assert_string_equal(d.name, want[i]);
        assert_int_equal(d.numa_os, i);
        assert_true(d.index_from_runtime);
    }
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_NIC, 3, &d), 0);
    assert_string_equal(d.name, "cxi3");
    assert_string_equal(d.runtime, "Slingshot");
    place_topo_free(t);

    /* Level Zero tiles: 2 cards, 4 GPUs; no high-speed NIC */
    t = load("gpu-no-nic");
    assert_int_equal(place_topo_ndevices(t, PLACE_DEVICE_GPU), 4);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, 3, &d), 0);
    assert_string_equal(d.name, "ze1.1");
    assert_int_equal(d.index, 1);
    assert_int_equal(d.sub, 1);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_NIC, 0, &d), 0);
    assert_false(d.high_speed);
    place_topo_free(t);

    /* without NVML: PCI order, which is CUDA's with CUDA_DEVICE_ORDER=PCI_BUS_ID */
    t = load("gpu-one-socket");
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, 3, &d), 0);
    assert_string_equal(d.name, "cuda3");
    assert_null(d.uuid);
    place_topo_free(t);

    /* GPU memory: socket 0's nodes by PCIBusID, socket 1's by order */
    t = load("power9-v100-gpus");
    int mem[4] = {1, 2, 4, 5}, by_order[4] = {0, 0, 1, 1};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, i, &d), 0);
        assert_int_equal(d.memory_numa_os, mem[i]);
        assert_int_equal(d.memory_by_order, by_order[i]);
    }
    /* restricted to socket 1 (its usable PUs are 96-175): socket 0's devices keep no PU */
    place_error e;
    assert_int_equal(place_topo_restrict(t, "96-175", &e), 0);
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, 0, &d), 0);
    assert_string_equal(d.cpuset, "");
    assert_int_equal(place_topo_device(t, PLACE_DEVICE_GPU, 3, &d), 0);
    assert_string_equal(d.cpuset, "96-175");
    place_topo_free(t);

    /* without PLACE_TOPO_DEVICES: none loaded, and a GPU request is refused */
    assert_int_equal(place_topo_load(&t, fx("gpu-2s-4nvidia-2nic"), 0, &e), 0);
    assert_false(place_topo_devices_loaded(t));
    assert_int_equal(place_topo_ndevices(t, PLACE_DEVICE_GPU), 0);
    place_request req;
    place_request_init(&req);
    req.gpus_per_rank = 1;
    place_plan *p = NULL;
    assert_int_equal(place_plan_compute(&p, t, &req, &e), -1);
    assert_non_null(strstr(e.msg, "loaded without its devices"));
    place_topo_free(t);
}

/* Rank 2 of 4 under Open MPI on the 4-GPU node, GPUs and NICs auto: its job plan, its
 * assignment and the node's plan file (*path, caller frees). */
static void gpu_rank(place_launch *l, place_jobplan *jp, place_assignment *a, char **path)
{
    *l = (place_launch){
        .launcher = "openmpi", .rank = 2, .size = 4, .local_rank = 2, .local_size = 4, .node = 0};
    place_request req;
    place_request_init(&req);
    req.gpus_per_rank = PLACE_GPUS_AUTO;
    req.nics = PLACE_NICS_AUTO;
    place_error e;
    assert_int_equal(
        place_jobplan_compute(jp, l, fx("gpu-2s-4nvidia-2nic"), NULL, &req, NULL, 0, &e), 0);
    assert_int_equal(place_jobplan_assignment(jp, l, a, &e), 0);
    *path = NULL;
    assert_int_equal(place_jobplan_write(jp, l, path, &e), 0);
}

/* A launcher's rank 2 of 4 on the 4-GPU node: its job plan, its exported variables, and
 * the same read back from the environment and the node's plan file. */
static void test_export_round_trip(void **s)
{
    (void)s;
    place_launch l;
    place_jobplan jp;
    place_assignment a;
    char *path;
    place_error e;
    gpu_rank(&l, &jp, &a, &path);
    assert_string_equal(a.gpus, "0000:b1:00.0");
    assert_string_equal(a.nics, "mlx5_1");
    assert_int_equal(place_env_export(&l, &a, path, &e), 0);
    assert_string_equal(getenv("CUDA_VISIBLE_DEVICES"), "2");
    assert_string_equal(getenv("CUDA_DEVICE_ORDER"), "PCI_BUS_ID");
    assert_string_equal(getenv("UCX_NET_DEVICES"), "mlx5_1:1");
    assert_string_equal(getenv("FI_VERBS_IFACE"), "ib1");
    assert_string_equal(getenv(place_env_name(PLACE_ENV_GPUS)), "0000:b1:00.0");
    place_assignment b;
    assert_int_equal(place_assignment_from_env(&b, &e), 0);
    assert_string_equal(b.gpus, "0000:b1:00.0");
    assert_string_equal(b.nics, "mlx5_1");
    place_assignment_fini(&b);
    /* a PLACE_GPUS that the file does not say is refused */
    setenv(place_env_name(PLACE_ENV_GPUS), "0000:31:00.0", 1);
    assert_int_equal(place_assignment_from_env(&b, &e), -1);
    char want[128];
    snprintf(want, sizeof want, "%s='0000:31:00.0' differs from the plan file",
             place_env_name(PLACE_ENV_GPUS));
    assert_non_null(strstr(e.msg, want));
    /* the solver API gives the rank its GPUs and NICs */
    setenv(place_env_name(PLACE_ENV_GPUS), "0000:b1:00.0", 1);
    place_subdomain *sd = NULL;
    place_solver_req q;
    place_solver_req_init(&q, 8, 8, 8);
    assert_int_equal(place_subdomain_get(&sd, &q, &e), 0);
    assert_string_equal(sd->gpus, "0000:b1:00.0");
    assert_string_equal(sd->nics, "mlx5_1");
    place_subdomain_free(sd);
    for (int v = 0; v < PLACE_ENV_COUNT; v++)
        if (v != PLACE_ENV_PLAN_DIR)
            unsetenv(place_env_name((place_env_var)v));
    place_assignment_fini(&a);
    free(path);
    place_jobplan_fini(&jp);
}

/* Plan files whose GPU or NIC entries are forged are refused with their reason. */
static void test_forged_devices(void **s)
{
    (void)s;
    place_topo *t = load("gpu-amd-4x2-8gcd");
    place_request req;
    place_request_init(&req);
    req.gpus_per_rank = PLACE_GPUS_AUTO;
    req.nics = PLACE_NICS_AUTO;
    place_plan *p;
    place_error e;
    assert_int_equal(place_plan_compute(&p, t, &req, &e), 0);
    char good[256], bad[256];
    snprintf(good, sizeof good, "%s/good.json", dir);
    FILE *f = fopen(good, "w");
    assert_non_null(f);
    assert_int_equal(place_plan_write_json(p, NULL, f, &e), 0);
    fclose(f);
    place_assignment a;
    assert_int_equal(place_assignment_load(&a, good, 6, &e), 0);
    assert_string_equal(a.gpus, "0000:d9:00.0");
    assert_string_equal(a.nics, "cxi3");
    place_assignment_fini(&a);
    const char *forgeries[][3] = {
        {"0000:d9:00.0", "0000:d9:00.0; rm -rf", "not a PCI bus id"},
        {"\"cxi3\"", "\"cxi3 $(id)\"", "not a device name"},
        {"\"gpus\":[", "\"gpus\":{\"a\":1},\"x\":[", "gpus is not a list"}};
    for (size_t k = 0; k < sizeof forgeries / sizeof forgeries[0]; k++) {
        char cmd[1024];
        snprintf(bad, sizeof bad, "%s/bad%zu.json", dir, k);
        snprintf(
            cmd, sizeof cmd,
            "python3 -c \"import sys; s=open(sys.argv[1]).read(); "
            "open(sys.argv[2],'w').write(s.replace(sys.argv[3], sys.argv[4]))\" '%s' '%s' '%s' '%s'",
            good, bad, forgeries[k][0], forgeries[k][1]);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(place_assignment_load(&a, bad, 6, &e), -1);
        if (!strstr(e.msg, forgeries[k][2]))
            fail_msg("forgery %zu: '%s'", k, e.msg);
    }
    place_plan_free(p);
    place_topo_free(t);
}

/* The PLACE_* table's flags against what the contract does: every variable set by one side
 * only; what place_env_exports gives a rank is placerun's, never the user's; and, on a rank
 * with GPUs and NICs read back through its plan file, a changed value of each variable
 * flagged PLACE_ENV_CHECKED is refused by place_assignment_from_env naming it, while one
 * the reader does not use (node, launcher, NUMA list) is not. */
static void test_env_flags_match_the_contract(void **s)
{
    (void)s;
    place_launch l;
    place_jobplan jp;
    place_assignment a;
    char *path;
    place_error e;
    gpu_rank(&l, &jp, &a, &path);
    char **env = NULL;
    int n = 0;
    assert_int_equal(place_env_exports(&l, &a, path, &env, &n, &e), 0);
    for (int v = 0; v < PLACE_ENV_COUNT; v++) {
        unsigned f = place_env_flags((place_env_var)v);
        const char *name = place_env_name((place_env_var)v);
        assert_true(!(f & PLACE_ENV_FROM_PLACERUN) != !(f & PLACE_ENV_FROM_USER));
        assert_true(!(f & PLACE_ENV_CHECKED) || (f & PLACE_ENV_FROM_PLACERUN));
        size_t len = strlen(name);
        for (int i = 0; i < n; i++)
            if (!strncmp(env[i], name, len) && env[i][len] == '=' && !(f & PLACE_ENV_FROM_PLACERUN))
                fail_msg("%s is exported for a rank but flagged as the user's", name);
    }
    assert_int_equal(place_env_flags(PLACE_ENV_COUNT), 0);
    place_env_list_free(env, n);
    assert_int_equal(place_env_export(&l, &a, path, &e), 0);
    place_assignment b;
    assert_int_equal(place_assignment_from_env(&b, &e), 0);
    place_assignment_fini(&b);
    static const struct {
        place_env_var v;
        const char *other; /* a well-formed value the plan file contradicts */
    } tamper[] = {
        {PLACE_ENV_SIZE, "3"},         {PLACE_ENV_CPUSET, "0"},
        {PLACE_ENV_THREAD_PUS, "0"},   {PLACE_ENV_GPUS, "0000:31:00.0"},
        {PLACE_ENV_NICS, "mlx5_0"},    {PLACE_ENV_NODE, "3"},
        {PLACE_ENV_LAUNCHER, "mpich"}, {PLACE_ENV_NUMA, "0"},
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof tamper / sizeof *tamper; i++) {
        const char *name = place_env_name(tamper[i].v);
        const char *was = getenv(name);
        assert_non_null(was);
        assert_string_not_equal(was, tamper[i].other);
        char *keep = strdup(was);
        setenv(name, tamper[i].other, 1);
        place_error_clear(&e);
        int rc = place_assignment_from_env(&b, &e);
        if (place_env_flags(tamper[i].v) & PLACE_ENV_CHECKED) {
            checked++;
            if (rc == 0)
                fail_msg("%s=%s accepted, though flagged as checked", name, tamper[i].other);
            if (!strstr(e.msg, name))
                fail_msg("%s=%s refused without naming it: %s", name, tamper[i].other, e.msg);
        } else {
            if (rc != 0)
                fail_msg("%s=%s refused (%s), though not flagged as checked", name, tamper[i].other,
                         e.msg);
            place_assignment_fini(&b);
        }
        setenv(name, keep, 1);
        free(keep);
    }
    /* every variable flagged as checked was tried */
    int flagged = 0;
    for (int v = 0; v < PLACE_ENV_COUNT; v++)
        flagged += !!(place_env_flags((place_env_var)v) & PLACE_ENV_CHECKED);
    assert_int_equal(checked, flagged);
    for (int v = 0; v < PLACE_ENV_COUNT; v++)
        if (v != PLACE_ENV_PLAN_DIR)
            unsetenv(place_env_name((place_env_var)v));
    place_assignment_fini(&a);
    free(path);
    place_jobplan_fini(&jp);
}

/* Each GPU runtime's row: found by its vendor id and its name, a fixture with its GPUs
 * (a new vendor comes with one), each GPU named and numbered as the row says, a rank given
 * the row's variables, and the row's variable read back as a scope. */
static void test_every_gpu_runtime(void **s)
{
    (void)s;
    int nrt;
    const place_gpu_runtime *rt = place_gpu_runtimes(&nrt);
    assert_true(nrt >= 3);
    assert_int_equal(place_gpu_runtime_of_vendor(0x15b3), -1); /* a NIC vendor is no row */
    assert_int_equal(place_gpu_runtime_named("gpu"), -1);
    for (int k = 0; k < nrt; k++) {
        assert_int_equal(place_gpu_runtime_of_vendor(rt[k].pci_vendor), k);
        assert_int_equal(place_gpu_runtime_named(rt[k].runtime), k);
        assert_non_null(rt[k].visible);
        assert_non_null(rt[k].index_osdev);
        assert_non_null(rt[k].uuid_info);
        /* the first fixture (in name order) with this runtime's GPUs */
        struct dirent **ents;
        int nent = scandir(PLACE_FIXTURES, &ents, NULL, alphasort), found = 0;
        assert_true(nent > 0);
        for (int i = 0; i < nent; i++) {
            size_t len = strlen(ents[i]->d_name);
            if (!found && len > 4 && !strcmp(ents[i]->d_name + len - 4, ".xml")) {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(len - 4), ents[i]->d_name);
                place_topo *t = NULL;
                place_error e;
                if (place_topo_load(&t, fx(name), PLACE_TOPO_DEVICES, &e) == 0) {
                    int mine = 0;
                    for (int g = 0; g < place_topo_ndevices(t, PLACE_DEVICE_GPU); g++) {
                        place_device_info d;
                        place_topo_device(t, PLACE_DEVICE_GPU, g, &d);
                        if (strcmp(d.runtime, rt[k].runtime))
                            continue;
                        mine++;
                        assert_string_equal(d.vendor, rt[k].vendor);
                        assert_int_equal(strncmp(d.name, rt[k].runtime, strlen(rt[k].runtime)), 0);
                    }
                    if (mine) {
                        found = 1;
                        place_request req;
                        place_request_init(&req);
                        req.ranks = 1;
                        req.gpus_per_rank = 1;
                        place_plan *p = NULL;
                        if (place_plan_compute(&p, t, &req, &e))
                            fail_msg("%s: %s", name, e.msg);
                        char **env = NULL;
                        int n = 0;
                        assert_int_equal(place_plan_rank_env(p, 0, &env, &n, &e), 0);
                        int vis = 0, comp = !rt[k].companion;
                        for (int v = 0; v < n; v++) {
                            size_t l = strlen(rt[k].visible);
                            vis |= !strncmp(env[v], rt[k].visible, l) && env[v][l] == '=' &&
                                   env[v][l + 1];
                            if (rt[k].companion) {
                                char want[128];
                                snprintf(want, sizeof want, "%s=%s", rt[k].companion,
                                         rt[k].companion_value);
                                comp |= !strcmp(env[v], want);
                            }
                        }
                        if (!vis || !comp)
                            fail_msg("%s: the rank is not given %s (and its companion)", name,
                                     rt[k].visible);
                        place_env_list_free(env, n);
                        place_plan_free(p);
                        /* the row's variable limits the GPUs: its first GPU only */
                        place_device_info d0;
                        int g0 = 0;
                        for (; g0 < place_topo_ndevices(t, PLACE_DEVICE_GPU); g0++) {
                            place_topo_device(t, PLACE_DEVICE_GPU, g0, &d0);
                            if (!strcmp(d0.runtime, rt[k].runtime) && d0.index >= 0)
                                break;
                        }
                        char tok[32];
                        if (d0.sub >= 0)
                            snprintf(tok, sizeof tok, "%d.%d", d0.index, d0.sub);
                        else
                            snprintf(tok, sizeof tok, "%d", d0.index);
                        setenv(rt[k].visible, tok, 1);
                        place_gpu_scope sc;
                        if (place_gpu_scope_from_env(&sc, t, &e))
                            fail_msg("%s: %s=%s: %s", name, rt[k].visible, tok, e.msg);
                        unsetenv(rt[k].visible);
                        assert_int_equal(sc.n, 1);
                        assert_int_equal(sc.gpu[0], g0);
                        place_gpu_scope_fini(&sc);
                    }
                    place_topo_free(t);
                }
            }
            free(ents[i]);
        }
        free(ents);
        if (!found)
            fail_msg("no fixture in %s has %s GPUs (%s): a GPU runtime comes with one",
                     PLACE_FIXTURES, rt[k].vendor, rt[k].runtime);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_forged_devices),
        cmocka_unit_test(test_every_gpu_runtime),
        cmocka_unit_test(test_env_flags_match_the_contract),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
