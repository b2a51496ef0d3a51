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
        if (a.nthreads < 0 || (a.nthreads && !a.thread_pu_os) || a.nnuma < 0 || a.nnuma > 64 ||
            !memchr(a.cpuset, 0, sizeof a.cpuset))
            abort();
        for (int t = 0; t < a.nthreads; t++)
            if (a.thread_pu_os[t] < 0)
                abort();
        place_assignment_free(&a);
    }
    return 0;
}
