/* profile.c: placerun --profile-node [SECONDS]: this node's noise profile (docs/noise-aware.md),
 * measured on every usable PU at once, written to the user's private directory (where
 * --reserve-cores auto and --avoid-noisy look for it) or to -o FILE, and summed up on
 * standard output. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "placerun.h"
#include "place/profilenode.h"

int placerun_profile_node(const options *o)
{
    place_error e;
    place_topo *t = NULL;
    /* the PUs a job may use here: the cgroup's, not this process's binding */
    if (place_topo_load(&t, o->topology, 0, &e) < 0)
        return placerun_fail(&e, 2);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    if (strcmp(ti.source, "native")) {
        place_topo_free(t);
        place_error_set(&e, PLACE_EINVAL,
                        "--profile-node measures this node: drop --topology (a described node "
                        "takes a profile with --noise-profile FILE)");
        return placerun_fail(&e, 2);
    }
    int n = ti.usable_pus;
    int *pus = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!pus) {
        place_topo_free(t);
        place_error_set(&e, PLACE_ENOMEM, "out of memory");
        return placerun_fail(&e, 1);
    }
    n = place_topo_usable_pus(t, pus, n);
    place_topo_free(t);
    char path[PATH_MAX];
    if (!o->output && place_noise_profile_path(path, sizeof path, &e) < 0) {
        free(pus);
        return placerun_fail(&e, 1);
    }
    const char *where = o->output ? o->output : path;
    place_wfile w; /* opened before the measurement: a bad -o fails first */
    if (place_wfile_open(&w, o->output ? "-o" : "the noise profile", where, &e) < 0) {
        free(pus);
        return placerun_fail(&e, e.code == PLACE_EINVAL ? 2 : 1);
    }
    place_jitter_opts jo = o->jopts;
    jo.seconds = o->profile_seconds;
    place_noise_profile p;
    if (place_noise_profile_measure(&p, pus, n, &jo, &e) < 0) {
        place_wfile_fini(&w);
        free(pus);
        return placerun_fail(&e, 1);
    }
    free(pus);
    int rc = 0;
    if (place_noise_profile_write(&p, w.f, &e) < 0 || place_wfile_commit(&w, &e) < 0) {
        place_wfile_fini(&w);
        rc = placerun_fail(&e, 1);
    }
    if (rc == 0) {
        printf("# noise profile of %s, %s, %.1f s on %d PUs at once (fwq, quantum %g us): %s\n",
               p.host, p.measured, p.seconds, p.npus, p.quantum_us, where);
        printf("# kernel: isolated %s, nohz_full %s%s%s\n", p.isolated[0] ? p.isolated : "none",
               p.nohz_full[0] ? p.nohz_full : "none", p.irqaffinity[0] ? ", irqaffinity " : "",
               p.irqaffinity);
        if (p.tick_found)
            printf("# a timer tick of %.0f Hz, the CPUs' phases %s\n", p.tick_hz,
                   p.tick_aligned ? "aligned" : "staggered");
        printf("%4s %9s %8s %8s %9s %10s  %s\n", "pu", "detours/s", "noise_%", "p99_us", "max_us",
               "irq/s", "why");
        for (int i = 0; i < p.npus; i++) {
            const place_noise_pu *x = &p.pus[i];
            printf("%4d %9.0f %8.3f %8.1f %9.1f %10.0f  %s\n", x->pu, x->detour_rate_hz,
                   100 * x->noise_fraction, x->len_p99_us, x->len_max_us,
                   p.seconds > 0 ? x->interrupts / p.seconds : 0.0, x->why[0] ? x->why : "-");
        }
    }
    place_noise_profile_fini(&p);
    return rc;
}

/* The noise profile a plan needs (--reserve-cores auto, --avoid-noisy, or --noise-profile
 * given) or the monitor reads (--monitor: its verdict names noisy PUs a compute thread ran
 * on): --noise-profile FILE, else this node's in the private directory. A profile of
 * this node measured in another state (another boot, other CPUs online) is not used; that,
 * or no profile at all, goes into o->noise_note for the caller to say (the planner says
 * what it does without one). */
int placerun_load_noise(options *o, place_error *e)
{
    static place_noise_profile prof; /* lives as long as the options */
    int needed = o->req.reserve_auto || o->req.avoid_noisy || o->noise_profile || o->monitor;
    if (!needed || o->profile_node)
        return 0;
    char path[PATH_MAX];
    const char *file = o->noise_profile;
    int native = !o->topology || !strcmp(o->topology, "native");
    if (!file) {
        if (!native)
            return 0; /* a described node has no profile of its own: the planner says so */
        if (place_noise_profile_path(path, sizeof path, e) < 0)
            return -1;
        if (access(path, F_OK) != 0)
            return 0;
        file = path;
    }
    if (place_noise_profile_read(&prof, file, e) < 0)
        return -1;
    char key[400];
    if (native && place_noise_profile_key(key, sizeof key) == 0 && strcmp(key, prof.key)) {
        snprintf(o->noise_note, sizeof o->noise_note,
                 "noise profile '%.200s' (%s) was measured in another state of this node (%s): "
                 "not used (placerun --profile-node measures it again)",
                 file, prof.measured,
                 strstr(prof.key, "boot=") ? "another boot or other CPUs online" : "no key");
        place_noise_profile_fini(&prof);
        return 0;
    }
    o->req.noise = &prof;
    return 0;
}
