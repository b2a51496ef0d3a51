/* dryrun.c: placerun --plan: load a topology (this machine's or a described one),
 * compute the plan and print it; nothing runs and nothing is bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "placerun.h"

/* The usable PUs with a mark (PLACE_PU_RESERVED or PLACE_PU_NOISY) as a list in buf; 0 if
 * none. */
static int picture_marks(const place_plan *plan, int mark, char *buf, size_t n)
{
    const place_topo *t = place_plan_topo(plan);
    place_topo_info ti;
    place_topo_get_info(t, &ti);
    int *pus = malloc(sizeof(int) * (size_t)(ti.usable_pus > 0 ? ti.usable_pus : 1));
    size_t at = 0;
    buf[0] = '\0';
    int np = pus ? place_topo_usable_pus(t, pus, ti.usable_pus) : 0;
    for (int i = 0; i < np && at + 12 < n; i++)
        if (place_plan_pu_marks(plan, pus[i]) & mark)
            at += (size_t)snprintf(buf + at, n - at, "%s%d", at ? "," : "", pus[i]);
    free(pus);
    return at > 0;
}

/* --format png|svg: lstopo draws the node from an XML copy of the topology whose PUs (and
 * GPUs, NICs) carry each rank's colour; both files live in a private directory (mkdtemp,
 * 0700) until the picture is copied to -o atomically. */
static int picture(const options *o, const place_plan *plan, place_error *e)
{
    char *xml = NULL;
    if (place_plan_styled_xml(plan, 0, &xml, e) < 0)
        return -1;
    const char *tmp = getenv("TMPDIR");
    char dir[PATH_MAX], in[PATH_MAX + 16], out[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/placerun-picture.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(xml);
        return place_error_set(e, PLACE_ESYS, "cannot make a private directory in %s: %s",
                               tmp && *tmp == '/' ? tmp : "/tmp", strerror(errno));
    }
    snprintf(in, sizeof in, "%s/node.xml", dir);
    snprintf(out, sizeof out, "%s/node.%s", dir, o->format);
    int rc = -1;
    int fd = open(in, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || fputs(xml, f) < 0 || fclose(f) != 0) {
        if (!f && fd >= 0)
            close(fd);
        place_error_set(e, PLACE_ESYS, "writing %s: %s", in, strerror(errno));
        goto out;
    }
    /* the legend: what each colour is */
    const place_request *r = place_plan_resolved(plan);
    int first, count;
    place_plan_node_range(plan, 0, &first, &count);
    char **argv = calloc((size_t)2 * count + 16, sizeof(char *));
    char(*leg)[256] = calloc((size_t)count + 2, sizeof *leg);
    int ac = 0;
    if (!argv || !leg) {
        free(argv);
        free(leg);
        place_error_set(e, PLACE_ENOMEM, "out of memory");
        goto out;
    }
    argv[ac++] = "lstopo";
    argv[ac++] = "--if";
    argv[ac++] = "xml";
    argv[ac++] = "-i";
    argv[ac++] = in;
    argv[ac++] = "--of";
    argv[ac++] = (char *)o->format;
    argv[ac++] = "-f";
    argv[ac++] = "--no-factorize";
    argv[ac++] = "--no-default-legend";
    for (int l = 0; l < count && l < 64; l++) {
        place_rank_info ri;
        place_plan_rank(plan, first + l, &ri, NULL);
        int at = snprintf(leg[l], sizeof leg[l], "rank %d (%s): PUs %.60s", first + l,
                          place_plan_rank_colour_name(l), ri.cpuset);
        const place_topo *t = place_plan_topo(plan);
        /* devices as the drawing names them: "PCI bb:dd.f" (the domain when not 0000) */
        for (int k = 0; k < 2; k++)
            for (int g = 0; g < (k ? ri.nnics : ri.ngpus) && at < 200; g++) {
                place_device_info d;
                int idx = k ? ri.nic[g] : ri.gpu[g];
                place_topo_device(t, k ? PLACE_DEVICE_NIC : PLACE_DEVICE_GPU, idx, &d);
                int shared = 0;
                for (int m = 0; m < count; m++) {
                    place_rank_info rm;
                    place_plan_rank(plan, first + m, &rm, NULL);
                    for (int q = 0; q < (k ? rm.nnics : rm.ngpus); q++)
                        shared += m != l && (k ? rm.nic[q] : rm.gpu[q]) == idx;
                }
                at += snprintf(leg[l] + at, sizeof leg[l] - (size_t)at, "%s%s PCI %s (%s)%s",
                               g ? "," : ";", k ? " NIC" : " GPU",
                               strncmp(d.pci, "0000:", 5) ? d.pci : d.pci + 5, d.name,
                               shared ? " shared: grey" : "");
            }
        argv[ac++] = "--append-legend";
        argv[ac++] = leg[l];
        if (o->verbose)
            fprintf(stderr, "placerun: legend: %s\n", leg[l]);
    }
    if (count > 64) {
        snprintf(leg[64 < count ? 64 : count], sizeof leg[0],
                 "... and %d more ranks (colours repeat)", count - 64);
        argv[ac++] = "--append-legend";
        argv[ac++] = leg[64];
    }
    static char marks[2][256];
    for (int m = 0; m < 2; m++) {
        char pus[160];
        if (!picture_marks(plan, m ? PLACE_PU_NOISY : PLACE_PU_RESERVED, pus, sizeof pus))
            continue;
        snprintf(marks[m], sizeof marks[m], "%s: PUs %.150s (%s)",
                 m ? "noisy by the noise profile" : "left to the OS by --reserve-cores auto", pus,
                 m ? "white text; black where no rank runs and none is reserved" : "dark grey");
        argv[ac++] = "--append-legend";
        argv[ac++] = marks[m];
        if (o->verbose)
            fprintf(stderr, "placerun: legend: %s\n", marks[m]);
    }
    argv[ac++] = out;
    argv[ac] = NULL;
    (void)r;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execvp("lstopo", argv);
        _exit(127);
    }
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    free(argv);
    free(leg);
    if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        place_error_set(e, PLACE_ESYS,
                        "--format %s: lstopo (Debian's hwloc package, built with "
                        "cairo) %s",
                        o->format,
                        pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127
                            ? "is not installed"
                            : "could not draw the node");
        goto out;
    }
    /* copy the picture to -o atomically */
    FILE *src = fopen(out, "rb");
    place_wfile w;
    if (!src) {
        place_error_set(e, PLACE_ESYS, "lstopo wrote no %s", o->format);
        goto out;
    }
    if (place_wfile_open(&w, "-o", o->output, e) < 0) {
        fclose(src);
        goto out;
    }
    char buf[65536];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, src)) > 0)
        bad = fwrite(buf, 1, n, w.f) != n;
    fclose(src);
    if (bad) {
        place_wfile_fini(&w);
        place_error_set(e, PLACE_ESYS, "-o '%.200s': write failed", o->output);
        goto out;
    }
    rc = place_wfile_commit(&w, e);
out:
    unlink(in);
    unlink(out);
    rmdir(dir);
    free(xml);
    return rc;
}

/* To standard output, or atomically to -o FILE (a failed run leaves no truncated plan). */
static int write_plan(const options *o, const place_plan *plan, const place_decomp *d,
                      place_error *e)
{
    const placerun_format *fmt = placerun_format_named(o->format);
    if (fmt && fmt->picture)
        return picture(o, plan, e);
    if (!o->output)
        return placerun_export(o, plan, d, stdout, e);
    place_wfile w;
    if (place_wfile_open(&w, "-o", o->output, e) < 0)
        return -1;
    int rc = placerun_export(o, plan, d, w.f, e);
    if (rc == 0)
        return place_wfile_commit(&w, e);
    place_wfile_fini(&w);
    return -1;
}

int placerun_plan_job(const options *o, const place_request *req, unsigned flags, place_topo **topo,
                      place_plan **plan, place_error *e)
{
    *topo = NULL;
    *plan = NULL;
    flags |= o->devices ? PLACE_TOPO_DEVICES : 0;
    if (place_topo_load(topo, o->topology, flags, e) < 0)
        return -1;
    if (o->allowed && place_topo_restrict_as(*topo, "--allowed", o->allowed, e) < 0)
        goto fail;
    /* GPUs a batch system left to this step (Slurm's variables), as a rank would see them */
    place_gpu_scope scope = {0};
    place_request q = *req;
    if (o->devices && place_gpu_scope_from_env(&scope, *topo, e) < 0)
        goto fail;
    place_gpu_scope_apply(&scope, &q);
    int rc = place_plan_compute(plan, *topo, &q, e);
    place_gpu_scope_fini(&scope);
    if (rc == 0)
        return 0;
fail:
    place_topo_free(*topo);
    *topo = NULL;
    return -1;
}

int placerun_plan_mode(const options *o)
{
    place_error e;
    place_topo *topo = NULL;
    place_plan *plan = NULL;
    place_decomp *d = NULL;
    int rc = 0;
    if (placerun_plan_job(o, &o->req, PLACE_TOPO_THIS_BINDING, &topo, &plan, &e) < 0)
        return placerun_fail(&e, e.code == PLACE_EINFEASIBLE ? 1 : 2);
    if (o->grid && place_decomp_compute(&d, o->n, plan, 0, o->decomp_flags, &e) < 0)
        rc = placerun_fail(&e, 2);
    else if (write_plan(o, plan, d, &e) < 0) /* bad input (host names) 2, else 1 */
        rc = placerun_fail(&e, e.code == PLACE_EINVAL ? 2 : 1);
    const char *pn = place_private_dir_note(); /* the topology cache's directory */
    if (pn)
        fprintf(stderr, "placerun: note: %s\n", pn);
    place_decomp_free(d);
    place_plan_free(plan);
    place_topo_free(topo);
    return rc;
}
