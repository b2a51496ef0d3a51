/* topo_load.c (topo): a machine loaded with hwloc: the source (native, XML, synthetic)
 * checked before hwloc parses it, the topology cache for the native machine, hwloc's
 * flags and filters, the binding when asked, then the tables derived (topo_derive.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "topo/topo_private.h"
/* The PUs an hwloc synthetic description asks for: the product of its level arities.
 * hwloc builds whatever it is given: "pack:1000 core:1000 pu:1000" ran for minutes and
 * gigabytes before this check (PLACE_SYNTHETIC_MAX_PUS). *cost gets the building cost,
 * the sum over levels of objects x arity (PLACE_SYNTHETIC_MAX_COST).
 *
 * The levels are walked the way hwloc's own parser walks them (topology-synthetic.c), so
 * that the count is the one hwloc will build, not a guess from the text: an optional
 * "(attributes)" for the root; then levels separated by blanks, each either "[numa...]"
 * (attached memory, no arity), or a type up to the next ':' followed by the arity, or a
 * bare arity; the arity is read with strtoul base 0 as hwloc reads it (so "0x10" is 16,
 * "010" is 8, leading blanks of any kind are skipped) and may be followed by
 * "(attributes)". A guess from the text missed "pa:\v\v0001008489101" (blanks before an
 * octal arity; fuzz.placerun). Where this walk and hwloc's part (a string hwloc refuses),
 * hwloc refuses it later anyway. Blanks skipped between levels are a superset of hwloc's
 * (' ' and '\n'), which can only count more. */
static double synthetic_pus(const char *syn, double *cost)
{
    double pus = 1;
    const char *pos = syn;
    *cost = 0;
    if (*pos == '(') {
        const char *close = strchr(pos, ')');
        if (!close)
            return pus;
        pos = close + 1;
    }
    while (*pos) {
        while (isspace((unsigned char)*pos))
            pos++;
        if (!*pos)
            break;
        if (*pos == '[') {
            const char *close = strchr(pos, ']');
            if (!close)
                break;
            pos = close + 1;
            continue;
        }
        if (*pos < '0' || *pos > '9') {
            const char *colon = strchr(pos, ':');
            if (!colon)
                break;
            pos = colon + 1;
        }
        char *end;
        errno = 0;
        unsigned long item = strtoul(pos, &end, 0);
        if (end == pos || item == 0)
            break; /* hwloc refuses it */
        double a = errno == ERANGE ? HUGE_VAL : (double)item;
        pus *= a;
        *cost += pus * a;
        pos = end;
        if (*pos == '(') {
            const char *close = strchr(pos, ')');
            if (!close)
                break;
            pos = close + 1;
        }
    }
    return pus;
}

/* Chooses the hwloc backend for `spec`. Environment variables are resolved here rather
 * than left to hwloc, so that a missing HWLOC_XMLFILE is an error and not a silent
 * fallback to the real machine. */
static int set_source(place_topo *t, const char *spec, place_error *err)
{
    const char *xml = NULL, *syn = NULL;
    if (!spec || !strcmp(spec, "native")) {
        xml = getenv("HWLOC_XMLFILE");
        syn = getenv("HWLOC_SYNTHETIC");
        if (xml && !*xml)
            xml = NULL;
        if (syn && !*syn)
            syn = NULL;
        if (!xml && !syn) {
            t->source = place_strdup("native");
            t->thissystem = 1;
            return t->source ? 0 : place_error_set(err, PLACE_ENOMEM, "out of memory");
        }
        const char *ts = getenv("HWLOC_THISSYSTEM");
        t->thissystem = ts && !strcmp(ts, "1");
    } else if (!strncmp(spec, "synthetic:", 10)) {
        syn = spec + 10;
    } else if (!strncmp(spec, "xml:", 4)) {
        xml = spec + 4;
    } else {
        size_t n = strlen(spec);
        if (n >= 4 && !strcmp(spec + n - 4, ".xml"))
            xml = spec;
        else
            return place_error_set(err, PLACE_EINVAL,
                                   "--topology '%.60s': not understood; expected native, FILE.xml, "
                                   "xml:FILE or synthetic:\"pack:2 numa:2 core:8 pu:2\"",
                                   spec);
    }
    if (xml) {
        /* A regular file of a sane size, checked without blocking (a FIFO) and before
         * hwloc reads a byte of it (/dev/zero was read without bound) */
        int fd = open(xml, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            place_error_set(err, e == ENOENT ? PLACE_ENOENT : PLACE_ESYS,
                            "topology XML '%.200s': %s; expected a file written by lstopo --of xml",
                            xml, strerror(e));
            err ? err->sys_errno = e : 0;
            return -1;
        }
        close(fd);
        if (!S_ISREG(st.st_mode))
            return place_error_set(err, PLACE_EINVAL,
                                   "topology XML '%.200s': not a regular file "
                                   "(a device, FIFO or directory); expected a file written by "
                                   "lstopo --of xml",
                                   xml);
        if (st.st_size > PLACE_XML_MAX_BYTES)
            return place_error_set(err, PLACE_EINVAL,
                                   "topology XML '%.200s': %lld bytes; expected "
                                   "at most %d (one node of %d PUs takes a few MB)",
                                   xml, (long long)st.st_size, PLACE_XML_MAX_BYTES,
                                   PLACE_SYNTHETIC_MAX_PUS);
        if (hwloc_topology_set_xml(t->h, xml) < 0)
            return place_error_set(err, PLACE_EINVAL,
                                   "topology XML '%.200s': hwloc cannot parse it; expected a file "
                                   "written by lstopo --of xml",
                                   xml);
        size_t n = strlen(xml) + 5;
        t->source = malloc(n);
        if (t->source)
            snprintf(t->source, n, "xml:%s", xml);
    } else {
        if (!*syn)
            return place_error_set(err, PLACE_EINVAL,
                                   "synthetic topology: empty description; expected e.g. "
                                   "synthetic:\"pack:2 numa:2 core:8 pu:2\"");
        double cost, pus = synthetic_pus(syn, &cost);
        if (pus > PLACE_SYNTHETIC_MAX_PUS)
            return place_error_set(
                err, PLACE_EINVAL,
                "synthetic topology '%.100s': describes %.3g PUs; expected at most %d "
                "(one node)",
                syn, pus, PLACE_SYNTHETIC_MAX_PUS);
        if (cost > PLACE_SYNTHETIC_MAX_COST)
            return place_error_set(err, PLACE_EINVAL,
                                   "synthetic topology '%.100s': levels too wide (%.3g objects x "
                                   "siblings; at most %d): hwloc would take minutes; expected a "
                                   "hierarchy, e.g. pack:16 core:64 pu:16 instead of pu:16384",
                                   syn, cost, PLACE_SYNTHETIC_MAX_COST);
        if (hwloc_topology_set_synthetic(t->h, syn) < 0)
            return place_error_set(
                err, PLACE_EINVAL,
                "synthetic topology '%.100s': hwloc rejects it; expected levels "
                "like \"pack:2 numa:2 core:8 pu:2\" (see hwloc's synthetic syntax)",
                syn);
        size_t n = strlen(syn) + 11;
        t->source = malloc(n);
        if (t->source)
            snprintf(t->source, n, "synthetic:%s", syn);
    }
    return t->source ? 0 : place_error_set(err, PLACE_ENOMEM, "out of memory");
}

/* hwloc dlopens every plugin at its first init: libxml2 with ICU, OpenCL, X11 (gl) and
 * libpciaccess. Placement needs none of them (hwloc's built-in XML reader reads what
 * lstopo writes), and loading them doubled placerun's start-up (measured: 10.6 ms ->
 * 4.7 ms per rank on this VM). Unless the user set HWLOC_PLUGINS_BLACKLIST, they are
 * blacklisted for that first init, and the variable is removed again so that the
 * application placerun execs does not inherit it. */
static int topology_init(hwloc_topology_t *h)
{
    int set = getenv("HWLOC_PLUGINS_BLACKLIST") == NULL;
    if (set)
        setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_pci,hwloc_opencl,hwloc_gl,hwloc_xml_libxml", 1);
    int rc = hwloc_topology_init(h);
    if (set)
        unsetenv("HWLOC_PLUGINS_BLACKLIST");
    return rc;
}

/* hwloc's XML reader crashes on some malformed files (hwloc 2.9.0, built-in parser: an
 * attribute without '=' dereferences NULL; found by tests/fuzz/fuzz_topo, lstopo crashes
 * the same way), and a misspelt os_index makes it allocate 512 MiB bitmaps (6 s here). A
 * described machine comes from a user's file, so it is read once in a child process
 * first, with 1 GiB more address space than the caller has and 30 s of CPU. Returns 0 if
 * the child read it, XML_UNREADABLE if hwloc refused it (or ran out of the memory
 * allowed), or the signal that ended the child (SIGABRT for a sanitizer's report). */
#define XML_UNREADABLE (-1)
#ifndef __has_feature
#define __has_feature(x) 0
#endif
static int xml_precheck(const char *xml, unsigned long hf, int io)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0; /* cannot check: the load below runs as before */
    if (pid == 0) {
        int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL); /* die by the signal, also under ASan */
#if !defined(__SANITIZE_ADDRESS__) && !__has_feature(address_sanitizer) /* ASan maps terabytes */
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long pages = 0;
        if (f && fscanf(f, "%lu", &pages) == 1 && pages) {
            rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (1ul << 30);
            struct rlimit as = {lim, lim};
            setrlimit(RLIMIT_AS, &as);
        }
        if (f)
            fclose(f);
#endif
        struct rlimit cpu = {30, 30};
        setrlimit(RLIMIT_CPU, &cpu);
        hwloc_topology_t h;
        if (topology_init(&h) < 0 || hwloc_topology_set_xml(h, xml) < 0)
            _exit(0); /* the parent reports these itself */
        hwloc_topology_set_flags(h, hf);
        if (io)
            hwloc_topology_set_io_types_filter(h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
        _exit(hwloc_topology_load(h) < 0 ? 3 : 0); /* no destroy, no exit handlers */
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 0;
    if (WIFSIGNALED(st))
        return WTERMSIG(st);
    return WEXITSTATUS(st) == 3 ? XML_UNREADABLE : WEXITSTATUS(st) ? SIGABRT : 0;
}

/* Whether a topology read from the cache disagrees with what the kernel says now: its
 * PUs are not the online CPUs, the CPUs this process may run on are not all allowed in it,
 * or its tree is one placement cannot use. NULL if it agrees, else what is wrong. */
static const char *cache_disagrees(hwloc_topology_t h)
{
    char online[4096];
    FILE *f = fopen("/sys/devices/system/cpu/online", "re");
    int ok = f && fgets(online, sizeof online, f);
    if (f)
        fclose(f);
    if (!ok)
        return NULL; /* nothing to compare with */
    online[strcspn(online, "\n")] = '\0';
    const char *why = NULL;
    hwloc_bitmap_t on = hwloc_bitmap_alloc(), aff = hwloc_bitmap_alloc();
    if (!on || !aff || place_cpulist_syntax(online, NULL) < 0 ||
        hwloc_bitmap_list_sscanf(on, online) < 0)
        why = NULL;
    else if (!hwloc_bitmap_isequal(on, hwloc_topology_get_topology_cpuset(h)))
        why = "not the online CPUs";
    else if (hwloc_get_cpubind(h, aff, HWLOC_CPUBIND_PROCESS) == 0 &&
             !hwloc_bitmap_isincluded(aff, hwloc_topology_get_allowed_cpuset(h)))
        why = "narrower than the CPUs this process may use";
    else if (topo_structure_problem(h))
        why = "a tree placement cannot use";
    hwloc_bitmap_free(on);
    hwloc_bitmap_free(aff);
    return why;
}

static int topo_load(place_topo **out, const char *spec, unsigned flags, place_error *err)
{
    *out = NULL;
    place_topo *t = calloc(1, sizeof *t);
    if (!t)
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    if (topology_init(&t->h) < 0) {
        free(t);
        return place_error_set(err, PLACE_ESYS, "hwloc_topology_init failed: %s", strerror(errno));
    }
    if (set_source(t, spec, err) < 0)
        goto fail;
    unsigned long hf = HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED;
    if (t->thissystem && strcmp(t->source, "native"))
        hf |= HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM;
    hwloc_topology_set_flags(t->h, hf);
    int io = (flags & PLACE_TOPO_DEVICES) != 0;
    if (io)
        hwloc_topology_set_io_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    /* the native machine: from the cache when a file for this very key passes the checks */
    char key[2000], cpath[PATH_MAX + 64];
    int cache = !strcmp(t->source, "native") ? place_env_topo_cache(err) : 0;
    if (cache < 0)
        goto fail;
    if (cache && (place_topo_cache_key(flags, key, sizeof key) < 0 ||
                  place_topocache_path(key, cpath, sizeof cpath) < 0))
        cache = 0;
    size_t clen = 0;
    const char *why = NULL;
    char *cxml = cache ? place_topocache_read(cpath, &clen, &why) : NULL;
    int tried = cxml != NULL;
    if (cxml) { /* into this very handle: no second hwloc init on the common path */
        hwloc_topology_set_flags(t->h, hf | HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM);
        const char *k = NULL;
        if (hwloc_topology_set_xmlbuffer(t->h, cxml, (int)clen + 1) < 0 ||
            hwloc_topology_load(t->h) < 0)
            why = "unreadable by hwloc";
        else if (!(k = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t->h), "PlaceCacheKey")) ||
                 strcmp(k, key))
            why = "made for another machine state";
        else
            why = cache_disagrees(t->h);
        t->from_cache = why == NULL;
        free(cxml);
    }
    if (why) {
        char note[PATH_MAX + 200];
        snprintf(note, sizeof note,
                 "the topology cache %s was %s: not used, the machine was "
                 "discovered again and the cache rewritten",
                 cpath, why);
        t->cache_note = place_strdup(note);
    }
    if (tried) {
        if (!t->from_cache) { /* refused: a fresh handle for the machine itself */
            hwloc_topology_destroy(t->h);
            t->h = NULL;
            if (topology_init(&t->h) < 0) {
                place_error_set(err, PLACE_ESYS, "hwloc_topology_init failed: %s", strerror(errno));
                goto fail;
            }
            hwloc_topology_set_flags(t->h, hf);
            if (io)
                hwloc_topology_set_io_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
        }
    }
    int sig = !strncmp(t->source, "xml:", 4) ? xml_precheck(t->source + 4, hf, io) : 0;
    if (sig > 0) {
        place_error_set(err, PLACE_EINVAL,
                        "topology XML '%.200s': malformed (hwloc %s reading it: %s); "
                        "expected a file written by lstopo --of xml",
                        t->source + 4, sig == SIGXCPU ? "spent 30 s of CPU" : "crashed",
                        strsignal(sig));
        goto fail;
    }
    if (sig == XML_UNREADABLE || (!t->from_cache && hwloc_topology_load(t->h) < 0)) {
        if (!strncmp(t->source, "xml:", 4))
            place_error_set(err, PLACE_EINVAL,
                            "topology XML '%.200s': hwloc cannot parse it; "
                            "expected a file written by lstopo --of xml",
                            t->source + 4);
        else
            place_error_set(err, PLACE_ESYS, "topology %s: hwloc could not load it: %s", t->source,
                            strerror(errno));
        goto fail;
    }
    if (cache && !t->from_cache)
        place_topocache_save(t->h, key, cpath);
    t->usable = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->h));
    if (!t->usable) {
        place_error_set(err, PLACE_ENOMEM, "out of memory");
        goto fail;
    }
    hwloc_bitmap_and(t->usable, t->usable, hwloc_topology_get_topology_cpuset(t->h));

    hwloc_bitmap_t unbound = hwloc_bitmap_alloc();
    if ((flags & PLACE_TOPO_THIS_BINDING) && t->thissystem) {
        hwloc_bitmap_t bind = hwloc_bitmap_alloc();
        if (hwloc_get_cpubind(t->h, bind, HWLOC_CPUBIND_PROCESS) == 0) {
            hwloc_bitmap_andnot(unbound, t->usable, bind);
            hwloc_bitmap_and(t->usable, t->usable, bind);
        }
        hwloc_bitmap_free(bind);
    }
    t->unbound_s = place_bitmap_list(unbound);
    hwloc_bitmap_free(unbound);
    const char *bad = topo_structure_problem(t->h);
    if (bad) {
        if (!strncmp(t->source, "xml:", 4))
            place_error_set(err, PLACE_EINVAL,
                            "topology XML '%.200s': %s; expected a file "
                            "written by lstopo --of xml",
                            t->source + 4, bad);
        else
            place_error_set(err, PLACE_EINVAL,
                            "topology %s: %s; hwloc built a tree placement "
                            "cannot use",
                            t->source, bad);
        goto fail;
    }
    if (topo_read_kinds_and_distances(t, err) < 0 || topo_derive(t, err) < 0 ||
        (io && place_devices_discover(t, err) < 0))
        goto fail;
    *out = t;
    return 0;
fail:
    place_topo_free(t);
    return -1;
}

/* HWLOC_ALLOW=all makes hwloc ignore the cgroup: a plan on PUs the kernel refuses this job.
 * It is ignored for place's own view (and restored for the application), and said. */
int place_topo_load(place_topo **out, const char *spec, unsigned flags, place_error *err)
{
    const char *allow = getenv("HWLOC_ALLOW");
    char *saved = allow ? place_strdup(allow) : NULL;
    if (saved)
        unsetenv("HWLOC_ALLOW");
    int rc = topo_load(out, spec, flags, err);
    if (saved) {
        setenv("HWLOC_ALLOW", saved, 1);
        free(saved);
        if (rc == 0)
            (*out)->allow_ignored = 1;
    }
    return rc;
}
