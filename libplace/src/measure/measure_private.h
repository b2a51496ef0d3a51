/* measure/measure_private.h: the measure layer's private header: PAPI, loaded when a
 * measurement first asks for it (dlopen, once per process) instead of when a program linked
 * with libplace starts, so that placerun, its shim and every program that only plans or
 * binds map neither libpapi nor libpfm (issue 38: start-up paid for measurement it did not
 * do). The functions have PAPI's own types (papi.h); the file is the soname the build found
 * (PLACE_PAPI_SONAME). libsde stays linked: PAPI's SDE component looks for libsde's API
 * when PAPI initialises (it says "libsde API not found" and stays off for the process
 * otherwise), so it must be in the process before any PAPI tool starts; it is 50 KB and
 * needs only libc. */
#ifndef PLACE_MEASURE_PRIVATE_H
#define PLACE_MEASURE_PRIVATE_H

#include <stddef.h>
#include "base/base.h"
#ifdef PLACE_HAVE_PAPI
#include <papi.h>

typedef struct place_papi_lib {
    __typeof__(PAPI_library_init) *library_init;
    __typeof__(PAPI_thread_init) *thread_init;
    __typeof__(PAPI_strerror) *error_text;
    __typeof__(PAPI_get_component_index) *get_component_index;
    __typeof__(PAPI_get_component_info) *get_component_info;
    __typeof__(PAPI_create_eventset) *create_eventset;
    __typeof__(PAPI_add_named_event) *add_named_event;
    __typeof__(PAPI_start) *start;
    __typeof__(PAPI_read) *read;
    __typeof__(PAPI_stop) *stop;
    __typeof__(PAPI_cleanup_eventset) *cleanup_eventset;
    __typeof__(PAPI_destroy_eventset) *destroy_eventset;
} place_papi_lib;

/* The library, loaded on the first call, or NULL with why it is not there in why[0..n)
 * (the file and dlerror's words; why may be NULL). */
const place_papi_lib *place_papi_lib_get(char *why, size_t n);
#endif

#endif
