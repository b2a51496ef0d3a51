/* place/memory.h: data next to the threads that use it, and proof of where it is.
 *
 * Linux places an anonymous page on the NUMA node of the thread that first writes it
 * (under the default "local" policy that placerun sets). So the right placement comes
 * from first touch by the owning threads, with the same static schedule as the compute
 * loop: each thread touches its own part, inside the application's own OpenMP parallel
 * region (libplace does not impose an OpenMP runtime). Where first touch cannot be
 * arranged, each part can be bound to its owner's node explicitly (mbind).
 *
 * A partition divides an array into contiguous parts, part i = [off[i], off[i+1]) bytes,
 * owned by NUMA node owner[i]. A page belongs to the part that holds its first byte.
 */
#ifndef PLACE_MEMORY_H
#define PLACE_MEMORY_H

#include "place/api.h"
#include <stddef.h>
#include <stdint.h>
#include "place/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PLACE_ALLOC_HUGE = 1u << 0 /* ask for transparent huge pages (madvise); see granted */
};

typedef struct place_array {
    void *ptr;     /* page-aligned */
    size_t bytes;  /* as asked */
    size_t mapped; /* rounded up to pages */
    size_t page;   /* base page size */
    int huge_asked;
} place_array;

/* Maps `bytes` of anonymous memory, page-aligned and not yet touched (no page exists
 * until written). Fails with PLACE_ENOMEM naming the size. */
PLACE_API int place_array_alloc(place_array *a, size_t bytes, unsigned flags, place_error *err);
PLACE_API void place_array_fini(place_array *a);

/* Bytes of the array backed by transparent huge pages now (its own mapping's line of
 * /proc/self/smaps; a guard page keeps arrays from sharing one), or
 * -1 if that cannot be read. */
PLACE_API long long place_array_huge_bytes(const place_array *a);

typedef struct place_partition {
    int nparts;
    size_t *off; /* nparts + 1 byte offsets, off[0] = 0, off[nparts] = array bytes */
    int *owner;  /* NUMA node (OS index) of each part */
} place_partition;

/* Builds a partition of `bytes` into `nparts` contiguous parts the way OpenMP's
 * schedule(static) splits `nitems` items of `item_bytes` (the first nitems mod nparts
 * parts get one item more), each owned by owner[i] (copied). */
PLACE_API int place_partition_static(place_partition *p, size_t nitems, size_t item_bytes,
                                     int nparts, const int *owner, place_error *err);

/* Checks that a partition covers [0, bytes) exactly, in order, with existing nodes. */
PLACE_API int place_partition_check(const place_partition *p, size_t bytes, place_error *err);
PLACE_API void place_partition_fini(place_partition *p);

/* First touch of part t by the calling thread (call it from thread t of the parallel
 * region that will compute on the part): writes a zero into every page of the part. */
PLACE_API void place_array_touch_part(const place_array *a, const place_partition *p, int t);

/* Binds every part to its owner's node (mbind MPOL_BIND, moving pages already present),
 * for data that cannot be first-touched by its owners. */
PLACE_API int place_bind_parts(const place_array *a, const place_partition *p, place_error *err);

#define PLACE_MAX_NUMA 1024

typedef struct place_locality {
    int64_t pages;                   /* in the array */
    int64_t untouched;               /* no page yet (never written) */
    int64_t on_node[PLACE_MAX_NUMA]; /* pages per NUMA node */
    int max_node;                    /* highest node seen */
    int64_t local, remote;           /* touched pages on / off their part's owner */
    double local_fraction;           /* local / (local + remote), 1 if nothing touched */
    int nparts;
    int64_t *part_local, *part_remote, *part_untouched; /* per part (owned by the result) */
} place_locality;

/* Where every page of the array is (move_pages with nodes NULL): the histogram per node,
 * untouched pages reported as such (never as node 0), and with a partition (or NULL) the
 * local and remote pages of each part. */
PLACE_API int place_locality_query(const place_array *a, const place_partition *p,
                                   place_locality *l, place_error *err);
PLACE_API void place_locality_fini(place_locality *l);

typedef struct place_migration {
    int64_t misplaced; /* touched pages not on their owner's node */
    int64_t moved;     /* pages the kernel moved */
    int64_t failed;    /* pages it refused (their errno in first_errno) */
    int first_errno;
    double seconds;
    double bandwidth_gbs; /* moved bytes / seconds, in GB/s (10^9 B/s) */
} place_migration;

/* Moves every misplaced page of the array to its part's owner (move_pages). Pages the
 * kernel refuses stay where they were (the array stays usable) and are counted; a
 * refusal of the whole call (EPERM, ENOMEM) is an error naming it. */
PLACE_API int place_migrate_parts(const place_array *a, const place_partition *p,
                                  place_migration *m, place_error *err);

/* The cost model: repair when remaining_s x sigma > cost, where cost = misplaced bytes /
 * bandwidth. Writes one line with the numbers and the decision into `line`; returns 1
 * to migrate, 0 not. */
PLACE_API int place_migration_decide(int64_t misplaced_pages, size_t page, double bandwidth_gbs,
                                     double remaining_s, double sigma, char *line, size_t n);

/* The kernel's count of pages migrated successfully (pgmigrate_success in /proc/vmstat),
 * or -1 if unreadable. */
PLACE_API long long place_vmstat_pgmigrate_success(void);

/* Memory this process may still allocate, in bytes: the smaller of the kernel's
 * MemAvailable and the headroom under its cgroup's memory limit (v2: memory.max less
 * memory.current; v1: memory.limit_in_bytes less memory.usage_in_bytes). -1 if neither
 * can be read. `why` (n bytes) says which bound decided, with its numbers. */
PLACE_API int64_t place_memory_headroom(char *why, size_t n);

#ifdef __cplusplus
}
#endif
#endif
