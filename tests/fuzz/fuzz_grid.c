/* fuzz_grid: grid strings (--grid) and the decomposition they drive. Bytes 0-1: the rank
 * count (1..4096), byte 2: flags (periodic axes, linear) and thread count; the rest is
 * the grid string. Every rank's box and every thread slab is checked to tile the grid. */
#include "fuzz.h"
#include "place.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 256)
        return 0;
    int P = 1 + ((data[0] << 8 | data[1]) & 4095);
    unsigned flags = data[2] & 15;
    int T = 1 + (data[2] >> 4);
    char *s = fuzz_str(data + 3, size - 3);
    int64_t n[3];
    place_error e;
    if (place_grid_parse("--grid", s, n, &e) == 0) {
        place_decomp *d = NULL;
        if (place_decomp_compute(&d, n, NULL, P, flags, &e) == 0) {
            __int128 cells = 0, want = (__int128)n[0] * n[1] * n[2];
            for (int r = 0; r < P; r++) {
                place_box b, slab;
                if (place_decomp_rank(d, r, &b, &e) < 0)
                    abort();
                cells += (__int128)(b.hi[0] - b.lo[0]) * (b.hi[1] - b.lo[1]) * (b.hi[2] - b.lo[2]);
                int64_t xs = 0;
                for (int t = 0; t < T; t++) {
                    place_box_thread_slab(&b, T, t, &slab);
                    xs += slab.hi[0] - slab.lo[0];
                }
                if (xs != b.hi[0] - b.lo[0])
                    abort(); /* thread slabs do not tile the box */
            }
            if (cells != want)
                abort(); /* boxes do not tile the grid */
            place_decomp_free(d);
        }
    }
    free(s);
    return 0;
}
