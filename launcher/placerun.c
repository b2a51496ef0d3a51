/* placerun: the launcher front end of libplace.
 *
 * main parses the options (options.c) and dispatches: `--plan` is the dry run
 * (dryrun.c); everything else runs something and lives in run.c (the per-rank shim under
 * any MPI launcher, the single process, and the wrapper that starts mpirun or srun).
 *
 * Every error is one line on stderr, "placerun: <what was wrong and what is valid>",
 * and a non-zero exit: 2 for bad usage, 1 for a request the machine cannot meet, 127 for
 * an application that cannot be executed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "placerun.h"

/* What was printed must have been written: a full disk, /dev/full or a closed pipe on
 * standard output is a failure (exit 1), not a silent success. */
static int flushed(int rc)
{
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) { /* else already said */
        fprintf(stderr, "placerun: standard output: write failed: %s\n",
                errno ? strerror(errno) : "I/O error");
        return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    place_error e;
    place_error_clear(&e);
    if (placerun_parse_args(argc, argv, &o, &e) < 0)
        return placerun_fail(&e, 2);
    if (o.help) {
        placerun_usage(stdout);
        return flushed(0);
    }
    if (o.version) {
        printf("placerun (place) %s\n", PLACE_VERSION);
        return flushed(0);
    }
    if (o.list) { /* the names the options take, from the tables that define them */
        if (!strcmp(o.list, "formats"))
            for (int i = 0; i < placerun_nformats; i++)
                puts(placerun_formats[i].name);
        else if (!strcmp(o.list, "policies"))
            for (int p = 0; p < PLACE_POLICY_COUNT; p++)
                puts(place_policy_name((place_policy)p));
        else
            for (int k = 0; k < PLACE_NOISE_COUNT; k++)
                puts(place_noise_name((place_noise_kind)k));
        return flushed(0);
    }
    if (placerun_load_noise(&o, &e) < 0)
        return placerun_fail(&e, 2);
    if (o.noise_note[0] && !o.profile_node)
        fprintf(stderr, "placerun: note: %s\n", o.noise_note);
    if (o.plan)
        return flushed(placerun_plan_mode(&o));
    if (o.profile_node)
        return flushed(placerun_profile_node(&o));
    return flushed(placerun_run(&o));
}
