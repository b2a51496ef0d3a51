/* fuzz_numbers: every small value parser: whole numbers, 64-bit counts, reals with
 * bounds, policies, CPU kinds, noise specs (--inject), CPU lists (--allowed). The first
 * byte chooses the parser; the rest is the string. */
#include <math.h>
#include "fuzz.h"
#include "place.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 512)
        return 0;
    char *s = fuzz_str(data + 1, size - 1);
    place_error e;
    switch (data[0] % 7) {
    case 0: {
        int v;
        if (place_parse_int("-n", s, -5, 1000, &v, &e) == 0 && (v < -5 || v > 1000))
            abort();
        break;
    }
    case 1: {
        int64_t v;
        if (place_parse_i64("--grid", s, 1, INT64_MAX, &v, &e) == 0 && v < 1)
            abort();
        break;
    }
    case 2: {
        double v;
        if (place_parse_double("--dx", s, 1e-12, 1e6, &v, &e) == 0 && !(v >= 1e-12 && v <= 1e6))
            abort();
        break;
    }
    case 3: {
        place_policy p;
        place_policy_parse("--policy", s, &p, &e);
        break;
    }
    case 4: {
        place_kinds k;
        place_kinds_parse("--cpu-kinds", s, &k, &e);
        break;
    }
    case 5: {
        place_noise nz;
        if (place_noise_parse("--inject", s, &nz, &e) == 0 &&
            (nz.kind < 0 || nz.kind >= PLACE_NOISE_COUNT || !isfinite(nz.mean_us) ||
             nz.mean_us < 0 || nz.p < 0 || nz.p > 1 || !isfinite(nz.len_us) || nz.len_us < 0 ||
             (nz.kind == PLACE_NOISE_POISSON && !(nz.rate_hz > 0 && isfinite(nz.rate_hz)))))
            abort();
        break;
    }
    case 6: {
        /* a refused list leaves the topology as it was: reload only after an accepted one
         * (loading is what makes this harness slow) */
        static place_topo *t;
        if (!t && place_topo_load(&t, "synthetic:pack:2 numa:2 core:4 pu:2", 0, &e) < 0)
            abort();
        if (place_topo_restrict(t, s, &e) == 0) {
            place_topo_info info;
            place_topo_get_info(t, &info);
            if (info.usable_pus < 1 || info.usable_pus > 32)
                abort();
            place_topo_free(t);
            t = NULL;
        } else {
            place_topo_info info;
            place_topo_get_info(t, &info);
            if (info.usable_pus != 32)
                abort(); /* a refused list changed the topology */
        }
        break;
    }
    }
    free(s);
    return 0;
}
