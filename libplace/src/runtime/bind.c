/* bind.c: applying a plan to the calling process: CPU binding and memory policy.
 *
 * CPU binding goes through hwloc (OS indices, as the plan holds them). On a described
 * topology that is not this system, hwloc refuses to bind (ENOSYS); with
 * HWLOC_THISSYSTEM=1 it binds to the OS indices, and fails (EINVAL) for PUs that the
 * kernel does not have. The memory policy uses set_mempolicy directly rather than
 * libnuma's void numa_set_* calls, which report errors only by printing them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numaif.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "contract/contract_private.h"
#include "place/bind.h"

int place_bind_process(const place_topo *t, const char *cpulist, place_error *err)
{
    if (!t->thissystem)
        return place_error_set(err, PLACE_ESYS,
                               "binding to PUs %.200s failed: the topology is %s, "
                               "not this machine (set HWLOC_THISSYSTEM=1 if it describes it)",
                               cpulist, t->source);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    if (hwloc_bitmap_list_sscanf(set, cpulist) < 0 || hwloc_bitmap_iszero(set)) {
        hwloc_bitmap_free(set);
        return place_error_set(err, PLACE_EINVAL, "cpuset '%.60s': not a CPU list", cpulist);
    }
    int rc = hwloc_set_cpubind(t->h, set, HWLOC_CPUBIND_PROCESS);
    int e = errno;
    if (rc < 0) {
        hwloc_bitmap_free(set);
        if (access("/proc/self/task", R_OK) != 0) /* hwloc binds each thread listed there */
            place_error_set(
                err, PLACE_ESYS,
                "binding to PUs %.200s failed: /proc/self/task is not "
                "readable (%s), and binding a process means binding each of its threads; "
                "expected /proc mounted",
                cpulist, strerror(errno));
        else
            place_error_set(err, PLACE_ESYS, "binding to PUs %.200s failed: %s", cpulist,
                            strerror(e));
        if (err)
            err->sys_errno = e;
        return -1;
    }
    /* The kernel silently drops CPUs it does not have (a described machine that is not
     * this one): check what it applied. */
    char *now = place_current_binding();
    hwloc_bitmap_t got = hwloc_bitmap_alloc();
    int same = now && hwloc_bitmap_list_sscanf(got, now) == 0 && hwloc_bitmap_isequal(got, set);
    if (!same)
        place_error_set(err, PLACE_ESYS,
                        "binding to PUs %.200s failed: the kernel applied PUs %.200s "
                        "(does this machine have every PU of the plan?)",
                        cpulist, now ? now : "?");
    free(now);
    hwloc_bitmap_free(got);
    hwloc_bitmap_free(set);
    return same ? 0 : -1;
}

char *place_current_binding(void)
{
    cpu_set_t cs;
    if (sched_getaffinity(0, sizeof cs, &cs) < 0)
        return NULL;
    hwloc_bitmap_t b = hwloc_bitmap_alloc();
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &cs))
            hwloc_bitmap_set(b, (unsigned)i);
    char *s = place_bitmap_list(b);
    hwloc_bitmap_free(b);
    return s;
}

int place_set_membind(const char *mode, const int *numa_os, int n, place_error *err)
{
    if (!mode || !strcmp(mode, "none"))
        return 0;
    long rc;
    if (!strcmp(mode, "local")) {
        rc = set_mempolicy(MPOL_LOCAL, NULL, 0);
    } else if (!strcmp(mode, "interleave")) {
        unsigned long mask[16] = {0};
        for (int i = 0; i < n; i++) {
            if (numa_os[i] < 0 || numa_os[i] >= (int)(8 * sizeof mask))
                return place_error_set(err, PLACE_EINVAL, "NUMA node %d: out of range", numa_os[i]);
            mask[numa_os[i] / (8 * sizeof(long))] |= 1UL << (numa_os[i] % (8 * sizeof(long)));
        }
        rc = set_mempolicy(MPOL_INTERLEAVE, mask, 8 * sizeof mask);
    } else {
        return place_error_set(err, PLACE_EINVAL,
                               "--membind '%.40s': unknown; expected local, interleave or none",
                               mode);
    }
    if (rc < 0) {
        int e = errno;
        place_error_set(err, PLACE_ESYS, "set_mempolicy(%s) failed: %s", mode, strerror(e));
        if (err)
            err->sys_errno = e;
        return -1;
    }
    return 0;
}

int place_bind_thread_pu(int pu, place_error *err)
{
    if (pu < 0 || pu >= CPU_SETSIZE)
        return place_error_set(err, PLACE_EINVAL, "PU %d: expected an OS index from 0 to %d", pu,
                               CPU_SETSIZE - 1);
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(pu, &cs);
    if (sched_setaffinity(0, sizeof cs, &cs) < 0) {
        int e = errno;
        place_error_set(err, PLACE_ESYS, "binding a thread to PU %d failed: %s", pu, strerror(e));
        if (err)
            err->sys_errno = e;
        return -1;
    }
    return 0;
}
