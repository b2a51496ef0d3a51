/* deprecated.c (runtime): the names of PLACE_API_VERSION 100 (place/deprecated.h), each
 * calling its new name. In runtime because the new names live in every layer below. */
#include "place/deprecated.h"

#if PLACE_API_VERSION >= 200
#error "API version 200 removes the names of version 100: delete place/deprecated.h and this file"
#endif

void place_split(int64_t n, int p, int i, int64_t *lo, int64_t *hi)
{
    place_decomp_split(n, p, i, lo, hi);
}

void place_gpu_scope_free(place_gpu_scope *s)
{
    place_gpu_scope_fini(s);
}

void place_fwq_work(long iters)
{
    place_jitter_fwq_work(iters);
}

long place_fwq_calibrate(double quantum_us)
{
    return place_jitter_fwq_calibrate(quantum_us);
}

void place_jitter_free(place_jitter_result *r)
{
    place_jitter_fini(r);
}

void place_jobplan_free(place_jobplan *jp)
{
    place_jobplan_fini(jp);
}

void place_array_free(place_array *a)
{
    place_array_fini(a);
}

void place_partition_free(place_partition *p)
{
    place_partition_fini(p);
}

void place_touch_part(const place_array *a, const place_partition *p, int t)
{
    place_array_touch_part(a, p, t);
}

void place_locality_free(place_locality *l)
{
    place_locality_fini(l);
}

double place_harmonic(double N)
{
    return place_model_harmonic(N);
}

void place_delay_dist_free(place_delay_dist *d)
{
    place_delay_dist_fini(d);
}

void place_detour_pool_free(place_detour_pool *p)
{
    place_detour_pool_fini(p);
}

void place_assignment_free(place_assignment *a)
{
    place_assignment_fini(a);
}

void place_wfile_free(place_wfile *w)
{
    place_wfile_fini(w);
}
