/* fuzz_plan_json: the node plan file read back by the library (place_assignment_load,
 * what place_assignment_from_env reads from $PLACE_PLAN). The first byte is the rank
 * asked for; the rest is the file. */
#include "fuzz.h"
#include "place.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    const char *path = fuzz_file(data + 1, size - 1, ".json");
    place_assignment a;
    place_error e;
    if (place_assignment_load(&a, path, data[0] % 8, &e) == 0) {
        /* what the loader promises of an accepted file */
        if (a.nthreads < 1 || !a.thread_pu_os || a.nnuma < 0 || (a.nnuma && !a.numa_os) ||
            !a.cpuset || a.rank != data[0] % 8 || a.rank >= a.size || a.local_rank >= a.local_size)
            abort();
        for (int t = 0; t < a.nthreads; t++)
            if (a.thread_pu_os[t] < 0 || a.thread_pu_os[t] > PLACE_MAX_PU_INDEX)
                abort();
        for (int i = 0; a.has_grid && i < 3; i++)
            if (a.box.lo[i] < 0 || a.box.lo[i] >= a.box.hi[i] || a.box.hi[i] > a.global[i] ||
                a.box.coords[i] < 0 || a.box.coords[i] >= a.dims[i])
                abort();
        for (int i = 0; a.has_grid && i < 6; i++)
            if (a.box.neighbor[i] < -1 || a.box.neighbor[i] >= a.size)
                abort();
        place_assignment_fini(&a);
    }
    return 0;
}
