/* papiload.c (measure): PAPI loaded when a measurement first asks for it
 * (measure/measure_private.h says why), once per process (pthread_once); a library or a
 * function that is missing leaves the PAPI backend unavailable, with the reason, as a PAPI
 * whose perf_event component is disabled does. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "measure/measure_private.h"

#ifdef PLACE_HAVE_PAPI
static place_papi_lib papi;
static int papi_ok;
static char papi_why[200];

/* the functions, in the order of place_papi_lib's fields */
static const char *const papi_names[] = {"PAPI_library_init",
                                         "PAPI_thread_init",
                                         "PAPI_strerror",
                                         "PAPI_get_component_index",
                                         "PAPI_get_component_info",
                                         "PAPI_create_eventset",
                                         "PAPI_add_named_event",
                                         "PAPI_start",
                                         "PAPI_read",
                                         "PAPI_stop",
                                         "PAPI_cleanup_eventset",
                                         "PAPI_destroy_eventset"};
_Static_assert(sizeof papi == sizeof papi_names / sizeof *papi_names * sizeof(void (*)(void)),
               "a name for every field of place_papi_lib");

static void papi_once(void)
{
    void *h = dlopen(PLACE_PAPI_SONAME, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        snprintf(papi_why, sizeof papi_why, "%s cannot be loaded: %.150s", PLACE_PAPI_SONAME,
                 dlerror());
        return;
    }
    /* dlsym's documented idiom for a function pointer (POSIX: XSH dlsym) */
    void **slot = (void **)&papi;
    for (size_t i = 0; i < sizeof papi_names / sizeof *papi_names; i++) {
        dlerror();
        slot[i] = dlsym(h, papi_names[i]);
        if (!slot[i]) { /* kept loaded: another part of the process may hold it too */
            snprintf(papi_why, sizeof papi_why, "%s has no %s", PLACE_PAPI_SONAME, papi_names[i]);
            return;
        }
    }
    papi_ok = 1;
}

const place_papi_lib *place_papi_lib_get(char *why, size_t n)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, papi_once);
    if (!papi_ok && why && n)
        snprintf(why, n, "%s", papi_why);
    return papi_ok ? &papi : NULL;
}
#endif
