/* fuzz_topo: topology specifications. First byte: 0 the rest is a synthetic description,
 * 1 the rest is an XML file's content, 2 the rest is a --topology spec as given; then a
 * plan (ranks and threads from the second byte) and its JSON, and a decomposition. */
#include <sanitizer/lsan_interface.h>
#include "fuzz.h"
#include "place.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 8192)
        return 0;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    int mode = data[0] % 3, shape = data[1];
    char *rest = fuzz_str(data + 2, size - 2);
    char *spec = malloc(size + 64);
    if (mode == 0)
        snprintf(spec, size + 64, "synthetic:%s", rest);
    else if (mode == 1)
        snprintf(spec, size + 64, "xml:%s", fuzz_file(data + 2, size - 2, ".xml"));
    else
        snprintf(spec, size + 64, "%s", rest);
    place_topo *t = NULL;
    place_error e;
    /* hwloc 2.9.0 leaks (a plain hwloc program shows both): the memory-attached levels of a
     * synthetic description ("[numa(...)]") in hwloc_topology_set_synthetic, and objects
     * already built when its XML reader gives up part-way. Leaks made while loading such
     * inputs are not counted (the same code of ours is leak-checked on the synthetic
     * inputs); ASan still checks every access, and everything after the load. */
    int hwloc_leaks = mode == 1 || strchr(rest, '[');
    if (hwloc_leaks)
        __lsan_disable();
    int loaded = place_topo_load(&t, spec, 0, &e) == 0;
    if (hwloc_leaks)
        __lsan_enable();
    if (loaded) {
        place_topo_info info;
        place_topo_get_info(t, &info);
        place_request req;
        place_request_init(&req);
        req.ranks = 1 + (shape & 7);
        req.threads = (shape >> 3) & 3; /* 0: fill */
        req.policy = (place_policy)((shape >> 5) % 3);
        place_plan *p = NULL;
        if (place_plan_compute(&p, t, &req, &e) == 0) {
            place_rank_info ri;
            for (int r = 0; r < req.ranks; r++)
                place_plan_rank(p, r, &ri, &e);
            place_decomp *d = NULL;
            int64_t n[3] = {64, 48, 32};
            if (place_decomp_compute(&d, n, p, 0, 0, &e) == 0) {
                place_plan_write_json(p, d, devnull, &e);
                place_decomp_free(d);
            }
            place_plan_free(p);
        }
        place_topo_free(t);
    }
    free(spec);
    free(rest);
    return 0;
}
