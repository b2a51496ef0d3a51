/* fuzz_placerun: placerun's own inputs, through its real parser (the harness links
 * placerun's option unit, launcher/options.c, and its dry run, launcher/dryrun.c). First byte even: the rest is a command line, one argument per line
 * (--plan, the plan options, --grid, --check/--report/--monitor/--jitter and their
 * options); a command line that parses in --plan mode is planned (output to /dev/null).
 * Odd: the rest is a config file (INI) read as placerun --config reads it. Nothing is
 * executed and no file is written. */
#include <getopt.h>
#include <sanitizer/lsan_interface.h>
#include <stdlib.h>
#include <string.h>
#include "placerun.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("HOME", "/nonexistent", 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv(place_env_name(PLACE_ENV_CONFIG));
    if (!freopen("/dev/null", "w", stdout))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    options o;
    place_error e;
    place_error_clear(&e);
    if (data[0] % 2 == 0) {
        char *s = fuzz_str(data + 1, size - 1);
        char *argv[34] = {"placerun"};
        int argc = 1 + fuzz_split(s, '\n', argv + 1, 32);
        argv[argc] = NULL;
        optind = 0; /* glibc: reinitialise getopt for a new vector */
        if (placerun_parse_args(argc, argv, &o, &e) == 0 && o.plan && !o.output &&
            o.req.ranks <= 1024 && o.req.nodes <= 64 && o.req.ranks_per_node <= 1024) {
            /* the plan, to /dev/null (stdout); errors print one line to stderr. hwloc 2.9.0
             * leaks the memory-attached levels of a synthetic description ("[numa]"; a plain
             * hwloc program shows it, as fuzz_topo.c says): leaks made while such an input is
             * planned are not counted; ASan still checks every access. */
            int hwloc_leaks = memchr(data, '[', size) != NULL;
            if (hwloc_leaks)
                __lsan_disable();
            placerun_plan_mode(&o);
            if (hwloc_leaks)
                __lsan_enable();
        }
        free(s);
    } else {
        const char *path = fuzz_file(data + 1, size - 1, ".conf");
        placerun_options_init(&o);
        placerun_load_config(&o, path, 1, &e);
    }
    placerun_config_release();
    return 0;
}
