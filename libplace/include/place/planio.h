/* place/planio.h: a plan written out, as "place-plan/1" JSON (docs/plan-json.md) or as
 * a text map, with its decomposition when there is one. Separate from place/plan.h so that
 * the plan does not depend on the decomposition (which is computed over a plan). */
#ifndef PLACE_PLANIO_H
#define PLACE_PLANIO_H

#include <stdio.h>
#include "place/api.h"
#include "place/decomp.h"
#include "place/error.h"
#include "place/plan.h"

#define PLACE_PLAN_SCHEMA "place-plan/1"

/* The largest plan file place reads (a node of 16,384 ranks of 512 threads fits). */
#define PLACE_PLAN_FILE_MAX_BYTES (64u << 20)

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the plan as one "place-plan/1" JSON object (see docs/plan-json.md), streaming
 * rank by rank so that memory stays bounded whatever the rank count. With a
 * decomposition `d` (else NULL), adds "grid" and each rank's box, coords and neighbours. */
PLACE_API int place_plan_write_json(const place_plan *p, const place_decomp *d, FILE *f,
                                    place_error *err);

/* The same for the ranks of one node only (the file placerun exports as PLACE_PLAN);
 * the object carries "scope": {"ranks_of": "node", "node": N}. */
PLACE_API int place_plan_write_node_json(const place_plan *p, const place_decomp *d, int node,
                                         FILE *f, place_error *err);

/* Writes the plan as text: a header, then one line per rank, readable as a map; with a
 * decomposition, the grid's dims and halo by link level, and each rank's box. */
PLACE_API int place_plan_write_text(const place_plan *p, const place_decomp *d, FILE *f,
                                    place_error *err);

/* A map of node `node`'s plan (one line per package, each core's PUs between '/', a
 * character per PU: the local rank that owns it), with a legend; in *text (caller frees). */
PLACE_API int place_plan_map_text(const place_plan *p, int node, char **text, place_error *err);

/* The node's topology as hwloc XML with each rank's PUs (and its GPUs and NICs) coloured by
 * "lstopoStyle" info attributes, for lstopo to draw; in *xml (caller frees). The colour of
 * local rank l is place_plan_rank_colour(l) ("#rrggbb"), named place_plan_rank_colour_name(l)
 * ("red"); a GPU or NIC that several ranks share is PLACE_PLAN_SHARED_COLOUR ("grey"). */
PLACE_API int place_plan_styled_xml(const place_plan *p, int node, char **xml, place_error *err);
PLACE_API const char *place_plan_rank_colour(int local_rank);
PLACE_API const char *place_plan_rank_colour_name(int local_rank);
#define PLACE_PLAN_SHARED_COLOUR "#a9a9a9"
/* With a noise profile (docs/noise-aware.md): a PU of a core --reserve-cores auto left to
 * the OS is drawn PLACE_PLAN_RESERVED_COLOUR ("dark grey"), a PU the profile calls noisy
 * has white text, and PLACE_PLAN_NOISY_COLOUR ("black") where no rank runs and none is
 * reserved. */
#define PLACE_PLAN_RESERVED_COLOUR "#404040"
#define PLACE_PLAN_NOISY_COLOUR "#202020"

#ifdef __cplusplus
}
#endif
#endif
