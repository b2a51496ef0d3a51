/* place.h: the public API of libplace, a pinning and placement library for MPI/OpenMP
 * codes. Include this one header; the sections live in place/NAME.h:
 *   place/error.h  error codes and messages
 *   place/topo.h   the machine: hwloc native, XML or synthetic
 *   place/plan.h   placement plans: ranks to cpusets, threads to PUs
 *   place/parse.h  strict parsing of numbers and lists, shared by the CLIs
 *   place/decomp.h domain decomposition of a 3D grid over ranks and threads
 *   place/planio.h a plan (and its decomposition) written as JSON or text
 *   place/launch.h rank discovery, binding, and the assignment placerun exported
 *   place/measure.h counters, software-defined events, jitter, step recorder, models
 *   place/noiseprof.h a node's noise profile and the barrier step it predicts
 *   place/profilenode.h the profile measured (placerun --profile-node), written and read
 *   place/memory.h first touch, page locality, page migration
 *   place/runenv.h the placerun-application contract: PLACE_* and the node's plan file
 *   place/solver.h a rank's whole placement for a grid solver, in one call
 *   place/wfile.h  atomic, non-clobbering file output
 *   place/rfile.h  reading an input file nobody vouches for
 *   place/mpi.h    (include it yourself) MPI helpers: Cartesian communicator, job-wide
 *                  step statistics
 */
#ifndef PLACE_H
#define PLACE_H

#define PLACE_VERSION "0.1.0"
/* The API as a number for #if; place_api_version() (place/api.h) says which the library a
 * program runs with was built as. 101: a function that clears a caller's struct is
 * place_X_fini (place_X_free frees a handle the library allocated), and module names
 * (place_decomp_split, place_model_harmonic, place_jitter_fwq_work and _calibrate,
 * place_array_touch_part); the 100 names remain as deprecated aliases. */
#define PLACE_API_VERSION 101

#include "place/error.h"
#include "place/parse.h"
#include "place/topo.h"
#include "place/plan.h"
#include "place/decomp.h"
#include "place/planio.h"
#include "place/launch.h"
#include "place/measure.h"
#include "place/noiseprof.h"
#include "place/profilenode.h"
#include "place/memory.h"
#include "place/gpuscope.h"
#include "place/runenv.h"
#include "place/solver.h"
#include "place/wfile.h"
#include "place/rfile.h"

#endif
