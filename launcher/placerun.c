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
#include <stdio.h>
#include "placerun.h"

int main(int argc, char **argv)
{
    options o;
    place_error e;
    place_error_clear(&e);
    if (placerun_parse_args(argc, argv, &o, &e) < 0)
        return placerun_fail(&e, 2);
    if (o.help) {
        placerun_usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("placerun (place) %s\n", PLACE_VERSION);
        return 0;
    }
    if (o.plan)
        return placerun_plan_mode(&o);
    return placerun_run(&o);
}
