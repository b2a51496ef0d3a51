/* placerun.h: what the launcher's files share: the parsed command line. */
#ifndef PLACERUN_H
#define PLACERUN_H

#include <stdint.h>
#include <stdio.h>
#include "place.h"

typedef struct options {
    int plan;   /* --plan: print, run nothing */
    int check;  /* --check: run the built-in affinity probe */
    int report; /* --report: print the binding applied */
    int verbose;
    int force_env;
    int best_effort;
    int help, version; /* --help, --version: print and exit 0 (in main) */
    const char *list;  /* --list formats|policies|noise: the names, one a line (in main) */
    const char *topology;
    const char *allowed;
    const char *format;   /* a row of placerun_formats (export.c) */
    const char *hosts;    /* --hosts h1,h2,...: the plan's nodes' names (exports) */
    const char *hostfile; /* --hostfile FILE */
    const char *output;
    const char *membind;          /* local | interleave | none */
    const char *launcher;         /* --launcher: wrapper mode with mpirun | srun */
    const char *launcher_args;    /* --launcher-args "...": words for the launcher the wrapper
                                  starts (checked in options.c, split in run.c) */
    const char *profile_launcher; /* a profile's launcher: which one the wrapper starts when
                                     wrapper mode is needed anyway; never forces it */
    int in_config;                /* options being applied from a profile */
    const char *monitor;          /* --monitor FILE */
    int pin_threads;              /* --pin-threads: preload libplacepin */
    const char *pin_skip;         /* --pin-skip 0xMASK */
    int jitter;                   /* --jitter [SECONDS]: run the jitter probe */
    int profile_node;             /* --profile-node [SECONDS]: measure the noise profile */
    double profile_seconds;
    const char *noise_profile; /* --noise-profile FILE (else this node's, when one is needed) */
    char noise_note[600];      /* why the profile was not used, for the modes to say */
    place_jitter_opts jopts;
    int grid;
    int64_t n[3];
    unsigned decomp_flags;
    int ranks_given, nodes_given;
    int threads_given; /* -t on the command line: it beats inherited OMP_* */
    int nics_given;
    int devices; /* GPUs or NICs asked for: load the topology's devices */
    place_request req;
    int app_argc; /* the application: argv[app_first ...] */
    char **app_argv;
    int argc; /* placerun's own arguments, for the wrapper to pass on */
    char **argv;
} options;

/* options.c: fills *o from the config layers and the command line; one line in *e on
 * error. options_init sets the defaults alone. */
void placerun_options_init(options *o);
int placerun_parse_args(int argc, char **argv, options *o, place_error *e);
int placerun_load_config(options *o, const char *path, int must_exist, place_error *e);
void placerun_config_release(void); /* the kept config values (for the fuzz harness) */
void placerun_usage(FILE *f);

/* options.c: --launcher-args split into words (single and double quotes group, no
 * expansion), at most max into words[] (NULL: only checked); the words a wrapper sets
 * itself (rank counts, binding) are refused. Returns the count, or -1 with *e. The words
 * point into a copy that lives until exit. */
int placerun_launcher_args(const char *s, char **words, int max, place_error *e);

/* Prints "placerun: MSG" and returns code. */
int placerun_fail(const place_error *e, int code);

/* dryrun.c: --plan. Returns the exit status. */
int placerun_plan_mode(const options *o);
/* dryrun.c: the plan of `req` on o's machine (--topology, --allowed, the step's GPUs), with
 * the topology loaded with `flags` (and devices when asked for); the caller frees both. */
int placerun_plan_job(const options *o, const place_request *req, unsigned flags, place_topo **topo,
                      place_plan **plan, place_error *e);

/* export.c: --format, one row per format: its name, whether it goes with --plan only
 * (every format but text and json), whether lstopo draws it (png, svg: to -o FILE), whether
 * it takes the nodes' host names (--hosts, --hostfile), and its writer (NULL for a
 * picture). A new format is a row, its writer, its line in --help and its tests. */
typedef struct placerun_format {
    const char *name;
    int plan_only, picture, hosts;
    int (*write)(const options *o, const place_plan *p, const place_decomp *d, char **hosts,
                 FILE *f, place_error *e);
} placerun_format;
extern const placerun_format placerun_formats[];
extern const int placerun_nformats;
/* The row of `name`, NULL if none. */
const placerun_format *placerun_format_named(const char *name);

/* export.c: the plan in o->format to f (with the host names if the format takes them). */
int placerun_export(const options *o, const place_plan *plan, const place_decomp *d, FILE *f,
                    place_error *e);

/* export.c: the hosts of --hosts (NAME or NAME:SLOTS, comma-separated) or --hostfile (a
 * line per host: NAME, NAME slots=N, NAME max_slots=N or NAME:N; '#' comments), the first
 * `want` of them (0: all); none when neither is given. slots[i] is 0 where none was given.
 * One line in *e on a bad name or file. */
typedef struct placerun_hosts {
    char **name;
    int *slots;
    int n;
} placerun_hosts;
int placerun_load_hosts(const options *o, int want, placerun_hosts *h, place_error *e);
void placerun_hosts_free(placerun_hosts *h);

/* profile.c: --profile-node. Returns the exit status. */
int placerun_profile_node(const options *o);
/* profile.c: the noise profile the request needs into o->req.noise (NULL when there is
 * none, or it is of another state of this node: o->noise_note says so). -1 with *e for a
 * profile file that cannot be read or is malformed. */
int placerun_load_noise(options *o, place_error *e);

/* run.c: the run-time modes. Each returns an exit status (after printing one line on
 * failure) or does not return (exec). */
int placerun_run(const options *o);

#endif
