/* place.h: the public API of libplace, a pinning and placement library for MPI/OpenMP
 * codes. Include this one header; the sections live in place/NAME.h:
 *   place/error.h  error codes and messages
 *   place/topo.h   the machine: hwloc native, XML or synthetic
 *   place/plan.h   placement plans: ranks to cpusets, threads to PUs
 *   place/parse.h  strict parsing of numbers and lists, shared by the CLIs
 *   place/decomp.h domain decomposition of a 3D grid over ranks and threads
 *   place/planio.h a plan (and its decomposition) written as JSON or text
 *   place/api.h    the version (PLACE_VERSION, PLACE_API_VERSION) and what is exported
 *   place/launch.h rank discovery from the launcher's environment
 *   place/bind.h   binding a process or thread, the memory policy
 *   place/measure.h counters, software-defined events, jitter, step recorder, models
 *   place/noiseprof.h a node's noise profile and the barrier step it predicts
 *   place/profilenode.h the profile measured (placerun --profile-node), written and read
 *   place/memory.h first touch, page locality, page migration
 *   place/runenv.h the placerun-application contract: PLACE_* and the node's plan file
 *   place/envnames.h the PLACE_* variables' names
 *   place/privdir.h the user's private directory (its fallback said once)
 *   place/jobplan.h a job's plan as a launcher computes it
 *   place/solver.h a rank's whole placement for a grid solver, in one call
 *   place/wfile.h  atomic, non-clobbering file output
 *   place/rfile.h  reading an input file nobody vouches for
 *   place/deprecated.h the names of API version 100, to go at 200 (PLACE_NO_DEPRECATED
 *                  hides them)
 *   place/mpi.h    (include it yourself) MPI helpers: Cartesian communicator, job-wide
 *                  step statistics
 */
#ifndef PLACE_H
#define PLACE_H

#include "place/api.h"
#include "place/error.h"
#include "place/parse.h"
#include "place/topo.h"
#include "place/plan.h"
#include "place/decomp.h"
#include "place/planio.h"
#include "place/launch.h"
#include "place/bind.h"
#include "place/measure.h"
#include "place/noiseprof.h"
#include "place/profilenode.h"
#include "place/memory.h"
#include "place/gpuscope.h"
#include "place/envnames.h"
#include "place/privdir.h"
#include "place/runenv.h"
#include "place/jobplan.h"
#include "place/solver.h"
#include "place/wfile.h"
#include "place/rfile.h"
#include "place/deprecated.h"

#endif
