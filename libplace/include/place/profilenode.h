/* place/profilenode.h: measuring a node's noise profile (`placerun --profile-node`), and
 * writing and reading it (schema place-noise/1, docs/noise-aware.md). The profile itself,
 * and what it predicts, are place/noiseprof.h's. */
#ifndef PLACE_PROFILENODE_H
#define PLACE_PROFILENODE_H

#include <stdio.h>
#include "place/api.h"
#include "place/error.h"
#include "place/jitter.h"
#include "place/noiseprof.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The machine state a profile holds for: the boot and the online CPUs ("place-noise/1
 * boot=... online=..."). A profile whose key is not the node's present one (a reboot, CPUs
 * taken offline or brought up) describes another node state and is not used. */
PLACE_API int place_noise_profile_key(char *buf, size_t n);

/* Measures every PU of pus at once, for o->seconds: the FWQ probe on each (one pinned
 * thread per PU, all together, as a job's threads run), the interrupts each CPU served
 * (/proc/interrupts before and after) and the devices whose interrupts go to one CPU
 * (/proc/irq/N/effective_affinity_list), the kernel's isolation (isolated, nohz_full, the
 * command line's isolcpus and irqaffinity; the rest are housekeeping CPUs), and the threads
 * of other processes and of the kernel that ran there (/proc/PID/task/TID/stat before and
 * after). Fills *p (its key the present one); place_noise_profile_fini frees it. */
PLACE_API int place_noise_profile_measure(place_noise_profile *p, const int *pus, int npus,
                                          const place_jitter_opts *o, place_error *err);

PLACE_API int place_noise_profile_write(const place_noise_profile *p, FILE *f, place_error *err);

/* Reads a profile strictly (a regular file of at most 16 MiB, schema place-noise/1, every
 * number bounded); an error names the file and what is wrong. */
PLACE_API int place_noise_profile_read(place_noise_profile *p, const char *path, place_error *err);

/* This node's profile file in the user's private directory (noise-HASH.json, HASH of the
 * present key): where --profile-node writes and where --reserve-cores auto looks. */
PLACE_API int place_noise_profile_path(char *buf, size_t n, place_error *err);

#ifdef __cplusplus
}
#endif
#endif
