/* run.c: placerun's run-time modes.
 *
 * Shim (under mpirun, srun, ...) and single process share one path: find this rank in
 * the launcher's environment, load the local topology (the cgroup's allowed PUs, not the
 * launcher's per-rank binding, so that every rank of the node computes the same node
 * plan), take this rank's line of the plan, then, in this order so that nothing starts
 * half-done: check that the application can be executed, bind, set the memory policy,
 * export OMP_* and PLACE_*, write the node's plan file, report, exec.
 *
 * Wrapper: no launcher around us and more than one rank asked for: exec mpirun or srun
 * with their own binding turned off and placerun itself as the per-rank shim.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <hwloc.h>
#include "placerun.h"

/* The directory holding this executable (for placecheck) or libplace (for the monitor). */
static int self_dir(char *buf, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static int lib_dir(char *buf, size_t n)
{
    Dl_info info;
    if (!dladdr((void *)place_topo_load, &info) || !info.dli_fname)
        return -1;
    snprintf(buf, n, "%s", info.dli_fname);
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

/* Finds an executable the way execvp will; fills `path`. */
static int find_executable(const char *name, char *path, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(path, n, "%s", name);
        struct stat st;
        return (access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) ? 0 : -1;
    }
    const char *p = getenv("PATH");
    if (!p)
        p = "/usr/local/bin:/usr/bin:/bin";
    while (*p) {
        size_t len = strcspn(p, ":");
        snprintf(path, n, "%.*s/%s", (int)len, p, name);
        struct stat st;
        if (access(path, X_OK) == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
        p += len + (p[len] == ':');
    }
    errno = ENOENT;
    return -1;
}

/* FILE for one rank, FILE.rankN(.json) when there are several. */
static void rank_file(const char *file, const place_launch *l, char *out, size_t n)
{
    const char *dot = strrchr(file, '.');
    if (l->size > 1 && dot && !strcmp(dot, ".json"))
        snprintf(out, n, "%.*s.rank%d.json", (int)(dot - file), file, l->rank);
    else if (l->size > 1)
        snprintf(out, n, "%s.rank%d", file, l->rank);
    else
        snprintf(out, n, "%s", file);
}

/* ---- the shim's steps ------------------------------------------------------------- */

typedef struct shim {
    place_jobplan jp;
    place_assignment a; /* this rank's line of the plan */
    char app[PATH_MAX]; /* the program to exec, and its argv */
    char probe[PATH_MAX];
    char *check_argv[2];
    char **argv;
    char *plan_path;
} shim;

static void shim_free(shim *s)
{
    place_assignment_fini(&s->a);
    place_jobplan_fini(&s->jp);
    free(s->plan_path);
}

static int exit_code(const place_error *e)
{
    return e->code == PLACE_EINFEASIBLE ? 1 : 2;
}

/* 1. The plan every rank of the node computes alike, and this rank's line of it. */
static int shim_plan(const options *o, const place_launch *l, shim *s, place_error *e)
{
    if (place_jobplan_compute(&s->jp, l, o->topology, o->allowed, &o->req, o->grid ? o->n : NULL,
                              o->decomp_flags, e) < 0 ||
        place_jobplan_assignment(&s->jp, l, &s->a, e) < 0)
        return exit_code(e);
    const char *cn = place_topo_cache_note(s->jp.topo);
    if (cn)
        fprintf(stderr, "placerun: note: %s\n", cn);
    return 0;
}

/* 2. The application (or placerun's probe), checked before anything is changed. */
static int shim_find_app(const options *o, shim *s, place_error *e)
{
    s->argv = o->app_argv;
    if (o->check) {
        char dir[PATH_MAX - 32];
        if (self_dir(dir, sizeof dir) < 0)
            snprintf(dir, sizeof dir, ".");
        snprintf(s->probe, sizeof s->probe, "%s/placecheck", dir);
        s->check_argv[0] = s->probe;
        s->argv = s->check_argv;
    }
    if (find_executable(s->argv[0], s->app, sizeof s->app) < 0) {
        place_error_set(e, PLACE_ENOENT, "cannot execute '%.200s': %s", s->argv[0],
                        strerror(errno));
        return 127;
    }
    return 0;
}

/* The ELF interpreter app names (PT_INTERP), in buf; -1 for a script, a static binary or
 * anything unreadable. */
static int elf_interp(const char *app, char *buf, size_t n)
{
    unsigned char h[64];
    int fd = open(app, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc = -1;
    if (fd < 0)
        return -1;
    if (read(fd, h, sizeof h) == (ssize_t)sizeof h && !memcmp(h, "\177ELF", 4) && h[4] == 2) {
        uint64_t phoff;
        uint16_t phentsize, phnum;
        memcpy(&phoff, h + 32, 8);
        memcpy(&phentsize, h + 54, 2);
        memcpy(&phnum, h + 56, 2);
        for (int i = 0; i < phnum && i < 256 && phentsize >= 56 && rc < 0; i++) {
            unsigned char ph[56];
            if (pread(fd, ph, sizeof ph, (off_t)(phoff + (uint64_t)i * phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            uint32_t type;
            uint64_t off, size;
            memcpy(&type, ph, 4);
            memcpy(&off, ph + 8, 8);
            memcpy(&size, ph + 32, 8);
            if (type == 3 && size > 1 && size < n && /* PT_INTERP */
                pread(fd, buf, size, (off_t)off) == (ssize_t)size && buf[size - 1] == '\0' &&
                buf[0] == '/')
                rc = 0;
        }
    }
    close(fd);
    return rc;
}

/* Whether app loads an MPI library: its dynamic loader lists what it would load (ld.so
 * --list, as ldd; the program itself does not run). 1, 0, or -1 when it cannot be told
 * (a script, a static binary, a loader that takes more than 2 s). */
static int links_mpi(const char *app)
{
    char interp[256];
    int pfd[2];
    if (elf_interp(app, interp, sizeof interp) < 0 || pipe2(pfd, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2);
        execl(interp, interp, "--list", app, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    int found = pid > 0 ? 0 : -1;
    char buf[4096], tail[16] = "";
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        clock_gettime(CLOCK_MONOTONIC, &t);
        int left = 2000 - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (pid < 0 || left <= 0 || poll(&p, 1, left) <= 0) {
            found = -1;
            break;
        }
        ssize_t r = read(pfd[0], buf, sizeof buf - 1);
        if (r <= 0)
            break;
        buf[r] = '\0';
        char joined[sizeof tail + sizeof buf];
        snprintf(joined, sizeof joined, "%s%s", tail, buf);
        if (strstr(joined, "/libmpi"))
            found = 1;
        snprintf(tail, sizeof tail, "%s", joined + (strlen(joined) > 8 ? strlen(joined) - 8 : 0));
    }
    close(pfd[0]);
    if (pid > 0) {
        int st;
        if (found < 0)
            kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        if (found == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            found = -1;
    }
    return found;
}

/* Before the run, from rank 0: a job of several ranks of a program that links no MPI
 * library runs that many copies that do not talk (a thread-MPI GROMACS started twice
 * overwrites its own files). */
static void warn_not_mpi(const place_launch *l, const char *app, const options *o)
{
    if (l->size <= 1 || l->rank != 0 || o->check)
        return;
    /* shells, interpreters and wrappers start the program that matters: not known here */
    static const char *const starters[] = {
        "sh",      "bash",    "dash",   "ksh",    "zsh",      "env",  "time",   "timeout", "nice",
        "taskset", "numactl", "stdbuf", "strace", "valgrind", "perl", "python", "ruby",    NULL};
    const char *b = strrchr(app, '/');
    b = b ? b + 1 : app;
    for (int i = 0; starters[i]; i++)
        if (!strncmp(b, starters[i], strlen(starters[i])) &&
            (!b[strlen(starters[i])] ||
             (b[strlen(starters[i])] >= '0' && b[strlen(starters[i])] <= '9')))
            return;
    if (links_mpi(app) == 0)
        fprintf(stderr,
                "placerun: warning: a job of %d ranks, but '%.200s' loads no MPI "
                "library: each rank runs alone (a program with its own threads, such as "
                "GROMACS's thread-MPI gmx, runs as one rank: -n 1 -t N --pin-threads)\n",
                l->size, app);
}

/* 3. The launcher's binding, if narrower than the plan, is said and replaced; then the
 *    process is bound and its memory policy set. */
static int shim_bind(const options *o, const place_launch *l, shim *s, place_error *e)
{
    char *before = place_current_binding();
    if (before && strcmp(l->launcher, "none")) {
        hwloc_bitmap_t want = hwloc_bitmap_alloc(), have = hwloc_bitmap_alloc();
        hwloc_bitmap_list_sscanf(want, s->a.cpuset);
        hwloc_bitmap_list_sscanf(have, before);
        if (!hwloc_bitmap_isincluded(want, have))
            fprintf(stderr,
                    "placerun: note: rank %d: the launcher bound this process to PUs %s, "
                    "narrower than the plan's %s; placerun rebinds it (turn the launcher's binding "
                    "off: mpirun --bind-to none, srun --cpu-bind=none)\n",
                    l->rank, before, s->a.cpuset);
        hwloc_bitmap_free(want);
        hwloc_bitmap_free(have);
    }
    free(before);
    if (place_bind_process(s->jp.topo, s->a.cpuset, e) < 0) {
        if (!o->best_effort)
            return 1;
        fprintf(stderr, "placerun: warning: rank %d runs unbound (--best-effort): %s\n", l->rank,
                e->msg);
    }
    if (place_set_membind(o->membind, s->a.numa_os, s->a.nnuma, e) < 0) {
        if (!o->best_effort)
            return 1;
        fprintf(stderr, "placerun: warning: rank %d keeps its memory policy (--best-effort): %s\n",
                l->rank, e->msg);
    }
    return 0;
}

/* OMP_PLACES for the plan's threads: "{0},{2},..." as long as the kernel takes it as one
 * environment string (MAX_ARG_STRLEN, 128 KiB); longer lists in the interval notation of
 * OpenMP ("{0}:64:2", runs of a constant stride). NULL when even that is too long. */
#define ENV_STRING_MAX (32 * 4096)

/* 3a. The environment the application will get must fit the kernel's limit on one string,
 *     checked before anything is bound (exec failed with E2BIG after binding). */
static int shim_check_env(const place_assignment *a, place_error *e)
{
    char *places = place_omp_places(a->thread_pu_os, a->nthreads);
    int rc = places ? place_env_fits(a, e)
                    : place_error_set(e, PLACE_EINVAL,
                                      "%d threads on PUs %.60s...: their "
                                      "OMP_PLACES would exceed the kernel's %d bytes for one "
                                      "environment string; expected fewer threads per rank",
                                      a->nthreads, a->cpuset, ENV_STRING_MAX);
    free(places);
    return rc ? 2 : 0;
}

/* 4. OMP_*: an explicit -t (or --force-env) wins over what the environment holds; without
 *    it the user's own values are kept, and placerun says which (once per node, from local
 *    rank 0). Values an outer placerun set (PLACE_OMP_SET) are not the user's. */
static int shim_export_omp(const options *o, const place_launch *l, const place_assignment *a,
                           place_error *e)
{
    if (o->pin_threads) { /* the program sets its own thread counts; its threads are pinned */
        if (l->local_rank == 0 && (o->threads_given || o->force_env))
            fprintf(stderr,
                    "placerun: note: --pin-threads: OMP_NUM_THREADS, OMP_PLACES and "
                    "OMP_PROC_BIND are left as they are (-t %d plans the PUs the program's "
                    "threads are pinned to, in the order it creates them)\n",
                    a->nthreads);
        return 0;
    }
    char *places = place_omp_places(a->thread_pu_os, a->nthreads);
    if (!places)
        return place_error_set(e, PLACE_ENOMEM, "out of memory"), 1;
    char nthreads[16];
    snprintf(nthreads, sizeof nthreads, "%d", a->nthreads);
    const char *keys[3] = {"OMP_NUM_THREADS", "OMP_PLACES", "OMP_PROC_BIND"};
    const char *vals[3] = {nthreads, places, "close"};
    const char *set_k[3], *set_v[3];
    int nset = 0;
    for (int i = 0; i < 3; i++) {
        const char *old = getenv(keys[i]);
        int users = old && !place_env_omp_by_placerun(keys[i], old);
        if (users && strcmp(old, vals[i]) && !o->force_env) {
            if (!o->threads_given) {
                if (l->local_rank == 0)
                    fprintf(stderr,
                            "placerun: note: keeping the user's %s=%.60s (plan: %.60s); "
                            "-t or --force-env overrides it\n",
                            keys[i], old, vals[i]);
                continue;
            }
            if (l->local_rank == 0)
                fprintf(stderr,
                        "placerun: note: -t %d overrides the inherited %s=%.60s (now "
                        "%.60s)\n",
                        a->nthreads, keys[i], old, vals[i]);
        }
        set_k[nset] = keys[i];
        set_v[nset++] = vals[i];
    }
    int rc = place_env_export_omp(set_k, set_v, nset, e);
    free(places);
    return rc < 0 ? 1 : 0;
}

/* What --monitor cannot see, said before the run: a static binary takes no preload, and a
 * script's interpreter is the process sampled (the programs it starts are not). */
static void monitor_notes(const char *app, const place_launch *l, const char *opt)
{
    if (l->local_rank != 0)
        return;
    unsigned char h[64];
    int fd = open(app, O_RDONLY | O_CLOEXEC), n = fd >= 0 ? (int)read(fd, h, sizeof h) : -1;
    struct stat st;
    char cap[64];
    /* the loader ignores LD_PRELOAD in a program that runs with privileges it gains at exec
     * (set-user-ID, set-group-ID, file capabilities): nothing of place's is loaded into it */
    const char *priv = fd < 0 || fstat(fd, &st) != 0                      ? NULL
                       : (st.st_mode & S_ISUID) && st.st_uid != geteuid() ? "set-user-ID"
                       : (st.st_mode & S_ISGID) && st.st_gid != getegid() ? "set-group-ID"
                       : fgetxattr(fd, "security.capability", cap, sizeof cap) > 0
                           ? "given file capabilities"
                           : NULL;
    if (priv) {
        fprintf(stderr,
                "placerun: note: %s: '%.200s' is %s: the loader does not preload libraries "
                "into it, so %s\n",
                opt, app, priv,
                strcmp(opt, "--monitor") ? "its threads are not pinned: they keep the rank's PUs"
                                         : "no monitor report will be written");
        close(fd);
        return;
    }
    if (n >= 2 && h[0] == '#' && h[1] == '!') {
        fprintf(stderr,
                "placerun: note: %s: '%.200s' is a script: its interpreter is the "
                "process %s, not the programs it starts\n",
                opt, app, strcmp(opt, "--monitor") ? "whose threads are pinned" : "sampled");
    } else if (n >= 64 && !memcmp(h, "\177ELF", 4) && h[4] == 2) { /* 64-bit ELF */
        uint64_t phoff;
        uint16_t phentsize, phnum;
        memcpy(&phoff, h + 32, 8);
        memcpy(&phentsize, h + 54, 2);
        memcpy(&phnum, h + 56, 2);
        int interp = 0;
        for (int i = 0; i < phnum && i < 256 && phentsize >= 4; i++) {
            uint32_t type;
            if (pread(fd, &type, 4, (off_t)(phoff + (uint64_t)i * phentsize)) != 4)
                break;
            interp |= type == 3; /* PT_INTERP */
        }
        if (!interp)
            fprintf(stderr, "placerun: note: %s: '%.200s' is statically linked: %s\n", opt, app,
                    strcmp(opt, "--monitor") ? "its threads cannot be pinned (no preload), they "
                                               "keep the rank's PUs"
                                             : "the monitor cannot be preloaded into it, and no "
                                               "report will be written");
    }
    if (fd >= 0)
        close(fd);
}

/* A library of place's (beside libplace) put first in LD_PRELOAD. */
static int shim_preload(const char *name, const char *opt, place_error *e)
{
    char lib[PATH_MAX - 32], pre[PATH_MAX];
    if (lib_dir(lib, sizeof lib) < 0)
        snprintf(lib, sizeof lib, ".");
    snprintf(pre, sizeof pre, "%s/%s", lib, name);
    if (access(pre, R_OK) != 0)
        return place_error_set(e, PLACE_ENOENT, "%s: the library '%.200s' is missing", opt, pre);
    const char *old = getenv("LD_PRELOAD");
    char both[2 * PATH_MAX + 8];
    snprintf(both, sizeof both, "%s%s%s", pre, old && *old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", both, 1);
    return 0;
}

/* With a noise profile: the rank's PUs it calls noisy (PLACE_NOISY_PUS, for the monitor)
 * and, with --avoid-noisy, the PUs for helper threads (PLACE_HELPER_PUS): the rank's PUs
 * that run no thread of the plan (--avoid-noisy left them: the noisiest), else its noisiest
 * PU. */
static int shim_noise(const options *o, const place_assignment *a, place_error *e)
{
    const place_noise_profile *nz = o->req.noise;
    if (!nz)
        return 0;
    int pus[1024], n = 0;
    if (place_parse_cpulist("the rank's cpuset", a->cpuset, pus, 1024, &n, e) < 0)
        return -1;
    char noisy[4096] = "", helpers[4096] = "";
    size_t at = 0;
    for (int i = 0; i < n && at + 12 < sizeof noisy; i++)
        if (place_noise_pu_noisy(nz, place_noise_profile_pu(nz, pus[i])))
            at += (size_t)snprintf(noisy + at, sizeof noisy - at, "%s%d", at ? "," : "", pus[i]);
    if (!o->req.avoid_noisy)
        return place_env_export_noise(noisy, NULL, e);
    /* the spare PUs; the rank's noisiest when none is spare */
    double step = o->req.step_us > 0 ? o->req.step_us : PLACE_STEP_US_DEFAULT;
    int best = -1;
    double bcost = -1;
    at = 0;
    for (int pass = 0; pass < 2 && !at; pass++)
        for (int i = 0; i < n; i++) {
            int used = 0;
            for (int t = 0; t < a->nthreads; t++)
                used |= a->thread_pu_os[t] == pus[i];
            double c = place_noise_pu_mean_delay(place_noise_profile_pu(nz, pus[i]), step);
            if (pass == 0 && !used && at + 12 < sizeof helpers)
                at += (size_t)snprintf(helpers + at, sizeof helpers - at, "%s%d", at ? "," : "",
                                       pus[i]);
            if (c > bcost) {
                bcost = c;
                best = pus[i];
            }
        }
    if (!at && best >= 0)
        snprintf(helpers, sizeof helpers, "%d", best);
    return place_env_export_noise(noisy, helpers, e);
}

/* 5. The contract: the node's plan file, PLACE_*, the preloads of --pin-threads and
 *    --monitor. */
static int shim_contract(const options *o, const place_launch *l, shim *s, place_error *e)
{
    if (place_jobplan_write(&s->jp, l, &s->plan_path, e) < 0 ||
        place_env_export(l, &s->a, s->plan_path, e) < 0)
        return 1;
    const char *pn = place_private_dir_note(); /* another user holds the usual directory */
    if (pn)
        fprintf(stderr, "placerun: note: %s\n", pn);
    if (shim_noise(o, &s->a, e) < 0)
        return 1;
    if (o->pin_threads && shim_preload("libplacepin.so", "--pin-threads", e) < 0)
        return 1;
    if (o->pin_threads && place_env_export_pin((long)getpid(), o->pin_skip, e) < 0)
        return 1;
    if (o->pin_threads)
        monitor_notes(s->app, l, "--pin-threads");
    if (!o->monitor)
        return 0;
    char out[PATH_MAX];
    if (shim_preload("libplacemon.so", "--monitor", e) < 0)
        return 1;
    /* relative to where placerun runs, not where the application ends up */
    char abs[PATH_MAX];
    if (o->monitor[0] != '/' && getcwd(abs, sizeof abs - 16)) {
        size_t n = strlen(abs);
        snprintf(abs + n, sizeof abs - n, "/%s", o->monitor);
    } else {
        snprintf(abs, sizeof abs, "%s", o->monitor);
    }
    rank_file(abs, l, out, sizeof out);
    /* where the report goes, checked now, not when the program ends: a regular file (or
     * none yet) in a directory this user can write a new file in (the report is written
     * whole at the end, through a temporary renamed over it) */
    struct stat st;
    if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        place_error_set(e, PLACE_EINVAL,
                        "--monitor '%.200s': is %s; expected a regular file (the report is "
                        "written whole when the program ends)",
                        out,
                        S_ISFIFO(st.st_mode)  ? "a FIFO"
                        : S_ISLNK(st.st_mode) ? "a symbolic link"
                        : S_ISDIR(st.st_mode) ? "a directory"
                        : S_ISCHR(st.st_mode) ? "a device"
                                              : "not a regular file");
        return 2;
    }
    place_wfile probe;
    if (place_wfile_open(&probe, "--monitor", out, e) < 0)
        return e->code == PLACE_EINVAL ? 2 : 1;
    place_wfile_fini(&probe); /* the directory takes a new file: the report's temporary */
    monitor_notes(s->app, l, "--monitor");
    return place_env_export_monitor(out, (long)getpid(), e) < 0 ? 1 : 0; /* exec keeps the pid */
}

/* 6. --report: what was applied, on stderr. */
static void shim_report(const options *o, const place_launch *l, const place_assignment *a)
{
    char *bound = place_current_binding();
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    char threads[512];
    int at = 0;
    for (int t = 0; t < a->nthreads && at < (int)sizeof threads - 24; t++)
        at += snprintf(threads + at, sizeof threads - (size_t)at, "%s%d=P#%d", t ? " " : "", t,
                       a->thread_pu_os[t]);
    char *numa = place_int_list_string(a->numa_os, a->nnuma, "", "");
    fprintf(stderr,
            "placerun: rank %d/%d (%s, node %d %s, local %d/%d): bound to PUs %s, NUMA %s, "
            "memory %s; threads %s\n",
            l->rank, l->size, l->launcher, l->node, host, l->local_rank, l->local_size,
            bound ? bound : "?", numa ? numa : "?", o->membind, threads);
    if (a->gpus || a->nics) {
        char dev[1024];
        int at2 = 0;
        for (int i = 0; i < a->ndevenv && at2 < (int)sizeof dev - 8; i++)
            at2 += snprintf(dev + at2, sizeof dev - (size_t)at2, " %s", a->devenv[i]);
        fprintf(stderr, "placerun: rank %d: GPUs %s, NICs %s;%s\n", l->rank,
                a->gpus ? (*a->gpus ? a->gpus : "none") : "not handed out",
                a->nics ? (*a->nics ? a->nics : "none") : "not handed out", dev);
    }
    free(numa);
    free(bound);
}

/* --jitter: the probe on this rank's planned PUs, in this process. */
static int jitter_run(const options *o, const place_launch *l, const place_assignment *a)
{
    place_error e;
    place_jitter_result r;
    if (place_jitter_run(a->thread_pu_os, a->nthreads, &o->jopts, &r, &e) < 0)
        return placerun_fail(&e, 1);
    printf("# rank %d: %s probe, %.2f s, threshold %.1f us; detour lengths in us\n", l->rank,
           o->jopts.mode == PLACE_JITTER_FWQ ? "fwq" : "selfish", o->jopts.seconds,
           o->jopts.threshold_us);
    printf("%5s %4s %10s %9s %8s %8s %8s %8s %8s %9s %7s\n", "rank", "pu", "baseline_us", "detours",
           "rate_hz", "noise_%", "p50", "p90", "p99", "max", "coinc");
    for (int i = 0; i < r.nthreads; i++) {
        const place_jitter_thread *t = &r.t[i];
        printf("%5d %4d %10.2f %9lld %8.0f %8.3f %8.1f %8.1f %8.1f %9.1f %7.2f\n", l->rank, t->pu,
               t->baseline_us, (long long)t->detours, t->detour_rate_hz, 100 * t->noise_fraction,
               t->len_p50_us, t->len_p90_us, t->len_p99_us, t->len_max_us, t->coincident_fraction);
    }
    if (r.nthreads > 1)
        printf("# rank %d: coincident %.2f, by chance alone %.2f, kappa %.2f (0 independent, 1 "
               "identical)\n",
               l->rank, r.coincident_fraction, r.coincidence_chance, r.coincidence_kappa);
    if (r.tail_ok)
        printf(
            "# rank %d: tail above %.1f us (%d detours): xi %.3f [%.3f, %.3f] (95%%), tail index "
            "%.2f\n",
            l->rank, r.tail_u, r.tail_n, r.tail_xi, r.tail_xi_lo, r.tail_xi_hi, r.tail_index);
    if (r.tick.found)
        printf(
            "# rank %d: a timer tick: detours cluster at a %.1f us period (%.0f Hz, p %.2g), %.0f%% "
            "of them within 5%% of its phase; the CPUs' phases %s\n",
            l->rank, r.tick.period_us, r.tick.hz, r.tick.p_value, 100 * r.tick.near_fraction,
            r.tick.nthreads < 2 ? "(one CPU)"
            : r.tick.aligned
                ? "aligned (the CPUs tick at once: shared noise, as without skew_tick=1)"
                : "staggered (each CPU ticks at its own phase)");
    else
        printf("# rank %d: no timer tick in the detours (100, 250, 300, 1000 Hz: p %.2g)\n",
               l->rank, r.tick.p_value);
    if (r.tail_ok) {
        char chk[600];
        place_gpd_checks_text(&r.tail_fit, chk, sizeof chk);
        printf("# rank %d: tail checks: %s\n", l->rank, chk);
    } else
        printf("# rank %d: tail unavailable: %s\n", l->rank, r.tail_note);
    int rc = 0;
    if (o->output) {
        char path[PATH_MAX];
        place_wfile w;
        rank_file(o->output, l, path, sizeof path);
        if (place_wfile_open(&w, "-o", path, &e) < 0 || place_jitter_write_json(&r, w.f, &e) < 0 ||
            place_wfile_commit(&w, &e) < 0) {
            place_wfile_fini(&w);
            rc = placerun_fail(&e, 1);
        }
    }
    place_jitter_fini(&r);
    return rc;
}

static int shim_run(const options *o, const place_launch *l)
{
    place_error e;
    shim s;
    memset(&s, 0, sizeof s);
    int code = shim_plan(o, l, &s, &e);
    if (!code && o->jitter) {
        code = jitter_run(o, l, &s.a);
        shim_free(&s);
        return code;
    }
    if (!code)
        code = shim_find_app(o, &s, &e);
    if (!code)
        warn_not_mpi(l, s.app, o);
    if (!code)
        code = shim_check_env(&s.a, &e);
    if (!code)
        code = shim_bind(o, l, &s, &e);
    if (!code)
        code = shim_export_omp(o, l, &s.a, &e);
    if (!code)
        code = shim_contract(o, l, &s, &e);
    if (code) {
        shim_free(&s);
        return placerun_fail(&e, code);
    }
    if (o->report)
        shim_report(o, l, &s.a);
    shim_free(&s);
    execv(s.app, s.argv);
    if (errno == ENOEXEC) { /* a script without "#!": run by /bin/sh, as execvp, env do */
        int n = 0;
        while (s.argv[n])
            n++;
        char **sh = calloc((size_t)n + 2, sizeof *sh);
        if (sh) {
            sh[0] = "sh";
            sh[1] = s.app;
            for (int i = 1; i < n; i++)
                sh[i + 1] = s.argv[i];
            execv("/bin/sh", sh);
        }
        errno = ENOEXEC;
    }
    fprintf(stderr, "placerun: cannot execute '%.200s': %s\n", s.app, strerror(errno));
    return 127;
}

/* ---- wrapper ----------------------------------------------------------------------- */

static int is_wrapper_option(const char *a)
{
    return !strcmp(a, "--launcher") || !strncmp(a, "--launcher=", 11) ||
           !strcmp(a, "--launcher-args") || !strncmp(a, "--launcher-args=", 16);
}

/* The wrapper's job before anything starts: the nodes (-N, else one per host named, else
 * one) and the plan on this machine's topology for them, as every node's ranks will make
 * it (nodes like this one, or --topology's). A plan that does not fit, hosts fewer than
 * the nodes, or a host given fewer slots than the ranks the plan puts there are refused
 * here with one line, not by the launcher after it has started. Fills the ranks per node
 * (counts[i] for node i) and the hosts. */
static int wrapper_plan(const options *o, placerun_hosts *h, int **counts, int *nodes,
                        place_error *e)
{
    *counts = NULL;
    place_request req = o->req;
    if (placerun_load_hosts(o, 0, h, e) < 0)
        return -1;
    if (h->n && !o->nodes_given) {
        int per = req.ranks_per_node;
        int want = per && req.ranks ? (req.ranks + per - 1) / per : h->n;
        if (req.ranks && want > req.ranks)
            want = req.ranks; /* -n 2 over 4 hosts: the first 2 */
        req.nodes = want;
    }
    if (h->n && req.nodes > h->n)
        return place_error_set(e, PLACE_EINVAL,
                               "the job needs %d nodes, but %s names %d host%s; expected at "
                               "least one per node",
                               req.nodes, o->hosts ? "--hosts" : "--hostfile", h->n,
                               h->n == 1 ? "" : "s");
    place_topo *t = NULL;
    place_plan *plan = NULL;
    if (placerun_plan_job(o, &req, 0, &t, &plan, e) < 0)
        return -1;
    const place_request *r = place_plan_resolved(plan);
    *nodes = r->nodes;
    *counts = calloc((size_t)r->nodes, sizeof **counts);
    int rc = *counts ? 0 : place_error_set(e, PLACE_ENOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < r->nodes; i++) {
        int first;
        place_plan_node_range(plan, i, &first, &(*counts)[i]);
        if (i < h->n && h->slots[i] && (*counts)[i] > h->slots[i] && !r->oversubscribe)
            rc = place_error_set(e, PLACE_EINFEASIBLE,
                                 "the plan puts %d ranks on host %s, which has %d slot%s in %s; "
                                 "expected fewer ranks (-n, --ranks-per-node), more hosts or "
                                 "--oversubscribe",
                                 (*counts)[i], h->name[i], h->slots[i], h->slots[i] == 1 ? "" : "s",
                                 o->hosts ? "--hosts" : "--hostfile");
    }
    place_plan_free(plan);
    place_topo_free(t);
    if (rc < 0) {
        free(*counts);
        *counts = NULL;
    }
    return rc;
}

/* "a:2,b:2" (mpirun --host) or "a,b" (srun --nodelist): the plan's nodes' hosts. */
static char *host_list(const placerun_hosts *h, const int *counts, int nodes, int slots)
{
    size_t len = 1;
    for (int i = 0; i < nodes; i++)
        len += strlen(h->name[i]) + 16;
    char *s = malloc(len), *at = s;
    for (int i = 0; s && i < nodes; i++)
        at += slots ? sprintf(at, "%s%s:%d", i ? "," : "", h->name[i], counts[i])
                    : sprintf(at, "%s%s", i ? "," : "", h->name[i]);
    return s;
}

/* The launcher's own words: the rank count, its binding off, the hosts and their slots
 * (mpirun --host, srun --nodelist) or the ranks per node. Returns how many. */
static int launcher_words(const options *o, const char *L, int N, char *hostarg, int nodes,
                          char **args, char np[16], char per[48], char nodestr[16])
{
    int k = 0;
    args[k++] = (char *)L;
    snprintf(np, 16, "%d", N);
    if (!strcmp(L, "mpirun")) {
        args[k++] = "-np";
        args[k++] = np;
        args[k++] = "--bind-to";
        args[k++] = "none";
        int R = o->req.ranks_per_node ? o->req.ranks_per_node
                : o->req.nodes        ? (N + o->req.nodes - 1) / o->req.nodes
                                      : 0;
        if (hostarg) { /* each host with the plan's ranks as its slots, filled in order */
            args[k++] = "--host";
            args[k++] = hostarg;
            args[k++] = "--map-by";
            args[k++] = "slot";
        } else if (R) {
            snprintf(per, 48, "ppr:%d:node", R);
            args[k++] = "--map-by";
            args[k++] = per;
        }
        if (o->req.oversubscribe)
            args[k++] = "--oversubscribe";
    } else {
        args[k++] = "-n";
        args[k++] = np;
        if (o->req.nodes || hostarg) {
            snprintf(nodestr, 16, "%d", nodes);
            args[k++] = "-N";
            args[k++] = nodestr;
        }
        if (hostarg) {
            args[k++] = "--nodelist";
            args[k++] = hostarg;
            args[k++] = "--distribution=block";
        }
        if (o->req.ranks_per_node) {
            snprintf(per, 48, "--ntasks-per-node=%d", o->req.ranks_per_node);
            args[k++] = per;
        }
        args[k++] = "--cpu-bind=none";
    }
    return k;
}

/* Starts the launcher (does not return) or says why not and returns the exit status. */
static int wrapper_exec(const options *o, const placerun_hosts *hosts, const int *counts, int nodes)
{
    const char *L = o->launcher ? o->launcher : o->profile_launcher;
    char path[PATH_MAX], self[PATH_MAX];
    if (!L)
        L = (getenv("SLURM_JOB_ID") && find_executable("srun", path, sizeof path) == 0) ? "srun"
                                                                                        : "mpirun";
    char *hostarg = hosts->n ? host_list(hosts, counts, nodes, strcmp(L, "srun")) : NULL;
    if (hosts->n && !hostarg) {
        fprintf(stderr, "placerun: out of memory\n");
        return 1;
    }
    if (find_executable(L, path, sizeof path) < 0) {
        fprintf(stderr,
                "placerun: cannot start %s: not found in PATH (install it, or run under "
                "your launcher: %s -n N placerun ...)\n",
                L, L);
        free(hostarg);
        return 127;
    }
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "placerun: cannot find its own executable: %s\n", strerror(errno));
        free(hostarg);
        return 1;
    }
    self[len] = '\0';
    int N = o->req.ranks ? o->req.ranks : 1;
    place_error e;
    int nla = o->launcher_args ? placerun_launcher_args(o->launcher_args, NULL, 0, &e) : 0;
    if (nla < 0) {
        free(hostarg);
        return placerun_fail(&e, 2);
    }
    char **args = calloc((size_t)o->argc + (size_t)nla + 16, sizeof *args);
    if (!args) {
        free(hostarg);
        place_error_set(&e, PLACE_ENOMEM, "out of memory");
        return placerun_fail(&e, 1);
    }
    char np[16], per[48], nodestr[16]; /* the launcher's argv points here until exec */
    int k = launcher_words(o, L, N, hostarg, nodes, args, np, per, nodestr);
    if (nla > 0)
        k += placerun_launcher_args(o->launcher_args, args + k, nla, &e);
    /* Open MPI's mpirun refuses root without these; as root placerun starts it anyway */
    if (!strcmp(L, "mpirun") && geteuid() == 0 && !getenv("OMPI_ALLOW_RUN_AS_ROOT")) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
        fprintf(stderr, "placerun: note: running as root: OMPI_ALLOW_RUN_AS_ROOT=1 and "
                        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 set for mpirun\n");
    }
    args[k++] = self;
    /* placerun's own options, minus the wrapper's, then the application */
    int first_app = o->argc - o->app_argc;
    for (int i = 1; i < first_app; i++) {
        if (is_wrapper_option(o->argv[i])) {
            if (!strcmp(o->argv[i], "--launcher") || !strcmp(o->argv[i], "--launcher-args"))
                i++;
            continue;
        }
        if (!strcmp(o->argv[i], "--"))
            continue;
        args[k++] = o->argv[i];
    }
    if (o->app_argc) {
        args[k++] = "--";
        for (int i = 0; i < o->app_argc; i++)
            args[k++] = o->app_argv[i];
    }
    args[k] = NULL;
    if (o->verbose) {
        fprintf(stderr, "placerun: running:");
        for (int i = 0; args[i]; i++)
            fprintf(stderr, " %s", args[i]);
        fputc('\n', stderr);
    }
    execv(path, args);
    fprintf(stderr, "placerun: cannot start %s: %s\n", path, strerror(errno));
    free(args);
    free(hostarg);
    return 127;
}

static int wrapper_run(const options *o)
{
    placerun_hosts hosts;
    int *counts = NULL, nodes = 1;
    place_error e;
    if (wrapper_plan(o, &hosts, &counts, &nodes, &e) < 0) {
        placerun_hosts_free(&hosts);
        return placerun_fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    }
    int rc = wrapper_exec(o, &hosts, counts, nodes);
    placerun_hosts_free(&hosts);
    free(counts);
    return rc;
}

int placerun_run(const options *o)
{
    place_error e;
    place_launch l;
    if (place_launch_detect(&l, &e) < 0)
        return placerun_fail(&e, 2);
    int alone = !strcmp(l.launcher, "none");
    if (alone && (o->launcher || o->req.ranks > 1 || o->req.nodes > 1 || o->req.ranks_per_node > 1))
        return wrapper_run(o);
    if (!alone && o->launcher) {
        place_error_set(&e, PLACE_EINVAL,
                        "--launcher %s: already running under %s; drop "
                        "--launcher (it starts a launcher, it does not nest one)",
                        o->launcher, l.launcher);
        return placerun_fail(&e, 2);
    }
    if (o->ranks_given && o->req.ranks != l.size) {
        place_error_set(&e, PLACE_EINVAL, "-n %d, but the launcher (%s) started %d ranks",
                        o->req.ranks, l.launcher, l.size);
        return placerun_fail(&e, 2);
    }
    return shim_run(o, &l);
}
