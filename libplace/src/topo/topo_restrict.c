/* topo_restrict.c (topo): the usable PUs restricted as a cgroup or taskset would, to a CPU
 * list or hwloc locations; messages name the input as the caller calls it (placerun's
 * --allowed, the Slurm plugin's step CPUs). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "topo/topo_private.h"
/* hwloc locations ("numa:0", "package:1.core:0-3", "l3:all"; logical indices, nested with
 * '.'), several separated by commas, a number alone a PU by OS index: into set. */
static int locations(place_topo *t, const char *what, const char *s, hwloc_bitmap_t set,
                     place_error *err)
{
    char item[128];
    hwloc_bitmap_zero(set);
    for (const char *at = s;;) {
        size_t len = strcspn(at, ",");
        if (len == 0 || len >= sizeof item)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.60s': an empty or over-long "
                                   "item; expected locations like numa:0 or package:1.core:0-3",
                                   what, s);
        memcpy(item, at, len);
        item[len] = '\0';
        if (item[0] >= '0' && item[0] <= '9') {
            int bad = 0;
            if (!place_cpulist_syntax(item, &bad))
                return place_error_set(err, PLACE_EINVAL,
                                       "%s '%.60s': '%s' is neither a "
                                       "PU index nor a location like numa:0",
                                       what, s, item);
            hwloc_bitmap_t one = hwloc_bitmap_alloc();
            if (!one)
                return place_error_set(err, PLACE_ENOMEM, "out of memory");
            hwloc_bitmap_list_sscanf(one, item); /* decimal: the syntax has no leading zeros */
            hwloc_bitmap_or(set, set, one);
            hwloc_bitmap_free(one);
        } else {
            /* walk the components: the objects of each level inside the previous ones */
            hwloc_bitmap_t cur = hwloc_bitmap_dup(hwloc_topology_get_complete_cpuset(t->h));
            hwloc_bitmap_t next = hwloc_bitmap_alloc();
            int rc = cur && next ? 0 : place_error_set(err, PLACE_ENOMEM, "out of memory");
            for (char *comp = item, *dot; rc == 0 && comp; comp = dot) {
                dot = strchr(comp, '.');
                if (dot)
                    *dot++ = '\0';
                char *colon = strchr(comp, ':');
                hwloc_obj_type_t type;
                if (!colon) {
                    rc = place_error_set(err, PLACE_EINVAL,
                                         "%s '%.60s': '%s' is neither a "
                                         "PU index nor a location; expected OS PU indices like "
                                         "0-3,8 or locations like numa:0, package:1.core:0-3",
                                         what, s, comp);
                    break;
                }
                *colon = '\0';
                if (hwloc_type_sscanf(comp, &type, NULL, 0) < 0 || type == HWLOC_OBJ_BRIDGE ||
                    type == HWLOC_OBJ_PCI_DEVICE || type == HWLOC_OBJ_OS_DEVICE ||
                    type == HWLOC_OBJ_MISC) {
                    rc = place_error_set(err, PLACE_EINVAL,
                                         "%s '%.60s': '%s' is not an hwloc "
                                         "object type; expected package, numa, l3, core, pu ...",
                                         what, s, comp);
                    break;
                }
                const char *idx = colon + 1;
                long lo = 0, hi = -1;
                char *end = NULL;
                if (!strcmp(idx, "all")) {
                    lo = 0;
                    hi = 1L << 20;
                } else if (*idx >= '0' && *idx <= '9') {
                    lo = strtol(idx, &end, 10);
                    hi = lo;
                    if (*end == '-' && end[1] >= '0' && end[1] <= '9')
                        hi = strtol(end + 1, &end, 10);
                }
                if ((strcmp(idx, "all") && (!end || *end)) || hi < lo || lo > 1L << 20) {
                    rc = place_error_set(err, PLACE_EINVAL,
                                         "%s '%.60s': index '%s' of %s; "
                                         "expected N, N-M or all (logical indices)",
                                         what, s, idx, comp);
                    break;
                }
                int depth = hwloc_get_type_depth(t->h, type);
                int n = (int)hwloc_get_nbobjs_inside_cpuset_by_depth(t->h, cur, depth);
                if (depth == HWLOC_TYPE_DEPTH_UNKNOWN || n <= 0 ||
                    (strcmp(idx, "all") && hi >= n)) {
                    rc = place_error_set(err, PLACE_EINFEASIBLE,
                                         "%s '%.60s': %s:%s: there %s "
                                         "%d %s there (logical indices 0 to %d)",
                                         what, s, comp, idx, n == 1 ? "is" : "are", n > 0 ? n : 0,
                                         hwloc_obj_type_string(type), n - 1);
                    break;
                }
                hwloc_bitmap_zero(next);
                for (long i = lo; i <= hi && i < n; i++) {
                    hwloc_obj_t o =
                        hwloc_get_obj_inside_cpuset_by_depth(t->h, cur, depth, (unsigned)i);
                    if (o && o->cpuset)
                        hwloc_bitmap_or(next, next, o->cpuset);
                }
                hwloc_bitmap_copy(cur, next);
            }
            if (rc == 0)
                hwloc_bitmap_or(set, set, cur);
            hwloc_bitmap_free(cur);
            hwloc_bitmap_free(next);
            if (rc < 0)
                return -1;
        }
        if (!at[len])
            break;
        at += len + 1;
    }
    return 0;
}

int place_topo_restrict_as(place_topo *t, const char *what, const char *cpulist, place_error *err)
{
    int named = 0;
    for (const char *c = cpulist; c && *c; c++)
        named |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
    char *converted = NULL;
    if (named) {
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        if (!set)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        int rc = locations(t, what, cpulist, set, err);
        converted = rc == 0 ? place_bitmap_list(set) : NULL;
        hwloc_bitmap_free(set);
        if (rc < 0)
            return -1;
        if (!converted)
            return place_error_set(err, PLACE_ENOMEM, "out of memory");
        if (!*converted) {
            free(converted);
            return place_error_set(err, PLACE_EINFEASIBLE, "%s '%.60s': names no PU", what,
                                   cpulist);
        }
        int rc2 = place_topo_restrict_as(t, what, converted, err);
        free(converted);
        return rc2;
    }
    /* Checked here before hwloc parses it: hwloc's parser is lenient about trailing
     * garbage, reads "-6" as a range to 2^64 (2.6 s; found by fuzz_numbers) and allocates
     * the bitmap to the largest index ("0-2000000000": 250 MB). */
    int bad_index = 0;
    if (!place_cpulist_syntax(cpulist, &bad_index)) {
        if (bad_index)
            return place_error_set(err, PLACE_EINVAL,
                                   "%s '%.60s': a PU index is out of range; "
                                   "expected OS PU indices up to %d",
                                   what, cpulist, PLACE_MAX_PU_INDEX);
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.60s': not a CPU list; expected OS PU indices like 0-3,8",
                               what, cpulist ? cpulist : "");
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    int bad = hwloc_bitmap_list_sscanf(set, cpulist) < 0 || hwloc_bitmap_iszero(set) ||
              hwloc_bitmap_weight(set) < 0;
    if (bad) {
        hwloc_bitmap_free(set);
        return place_error_set(err, PLACE_EINVAL,
                               "%s '%.60s': not a CPU list; expected OS PU indices like 0-3,8",
                               what, cpulist ? cpulist : "");
    }
    hwloc_bitmap_t newset = hwloc_bitmap_alloc();
    hwloc_bitmap_and(newset, t->usable, set);
    if (hwloc_bitmap_iszero(newset)) {
        char *u = place_bitmap_list(t->usable);
        place_error_set(err, PLACE_EINFEASIBLE, "%s '%.60s': holds none of the usable PUs (%s)",
                        what, cpulist, u ? u : "?");
        free(u);
        hwloc_bitmap_free(set);
        hwloc_bitmap_free(newset);
        return -1;
    }
    /* Record the restriction in hwloc's allowed set too, so that XML exports and the
     * disallowed report agree with what the plan uses. */
    hwloc_topology_allow(t->h, newset, NULL, HWLOC_ALLOW_FLAG_CUSTOM);
    hwloc_bitmap_copy(t->usable, newset);
    hwloc_bitmap_free(set);
    hwloc_bitmap_free(newset);
    if (topo_derive(t, err) < 0)
        return -1;
    if (t->devices_loaded) { /* localities are usable PUs: found again inside the new set */
        place_devices_free(t);
        return place_devices_discover(t, err);
    }
    return 0;
}

int place_topo_restrict(place_topo *t, const char *cpulist, place_error *err)
{
    return place_topo_restrict_as(t, "place_topo_restrict", cpulist, err);
}
