/* sde.c: place's measurements as PAPI software-defined events.
 *
 * Library "place" registers, per thread t, the counters migrations_tT, barrier_wait_ns_tT,
 * detours_tT and noise_ppm_tT, and groups migrations, barrier_wait_ns, detours (sums)
 * and noise_ppm (maximum), so that any PAPI tool can read "sde:::place::migrations".
 * The values live here; the recorder and the jitter probe update them.
 */
#include <stdio.h>
#include <stdlib.h>
#include "base/base.h"
#include "place/sde.h"
#include "place/measure.h"
#ifdef PLACE_HAVE_PAPI
#include <sde_lib.h>
#endif

#define SDE_MAX_THREADS 4096

static long long *values; /* 4 per thread */
static int published;

int place_sde_publish(int nthreads, place_error *err)
{
#ifdef PLACE_HAVE_PAPI
    if (nthreads < 1 || nthreads > SDE_MAX_THREADS)
        return place_error_set(err, PLACE_EINVAL, "SDE: %d threads; expected 1 to %d", nthreads,
                               SDE_MAX_THREADS);
    if (published)
        return 0;
    values = calloc((size_t)nthreads * 4, sizeof *values);
    if (!values)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    papi_handle_t h = papi_sde_init("place");
    static const char *names[4] = {"migrations", "barrier_wait_ns", "detours", "noise_ppm"};
    for (int t = 0; t < nthreads; t++)
        for (int k = 0; k < 4; k++) {
            char ev[64];
            snprintf(ev, sizeof ev, "%s_t%d", names[k], t);
            if (papi_sde_register_counter(h, ev, PAPI_SDE_RO | PAPI_SDE_INSTANT, PAPI_SDE_long_long,
                                          &values[t * 4 + k]) != 0 ||
                papi_sde_add_counter_to_group(h, ev, names[k],
                                              k == 3 ? PAPI_SDE_MAX : PAPI_SDE_SUM) != 0)
                return place_error_set(err, PLACE_ESYS, "SDE: registering %s failed", ev);
        }
    published = nthreads;
    return 0;
#else
    return place_error_set(err, PLACE_ESYS,
                           "SDE: this libplace was built without PAPI (install "
                           "libpapi-dev and reconfigure)");
#endif
}

void place_sde_set(int thread, int64_t migrations, int64_t wait_ns, int64_t detours,
                   int64_t noise_ppm)
{
    if (!published || thread < 0 || thread >= published)
        return;
    long long *v = &values[(size_t)thread * 4];
    if (migrations >= 0)
        v[0] = migrations;
    if (wait_ns >= 0)
        v[1] = wait_ns;
    if (detours >= 0)
        v[2] = detours;
    if (noise_ppm >= 0)
        v[3] = noise_ppm;
}
