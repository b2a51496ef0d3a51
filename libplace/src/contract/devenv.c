/* devenv.c (contract): a rank's device environment: PLACE_GPUS, PLACE_NICS and the
 * vendors' variables from its plan line, and the variables a plan gives one rank (what the
 * plan file, the exports and the SPANK plugin carry). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "contract/contract_private.h"
#include "place/parse.h"
#include "place/runenv.h"

/* ---- GPUs and NICs: the vendors' variables ------------------------------------------- */

/* Appends `item` to a comma list held in a growing buffer. */
static int append(char **buf, const char *item)
{
    size_t old = *buf ? strlen(*buf) : 0, add = strlen(item);
    char *b = realloc(*buf, old + add + 2);
    if (!b)
        return -1;
    if (old)
        b[old++] = ',';
    memcpy(b + old, item, add + 1);
    *buf = b;
    return 0;
}

static char *or_empty(char *s)
{
    return s ? s : place_strdup("");
}

/* The rank's PLACE_GPUS, PLACE_NICS and vendor variables from its plan line. */
int place_rank_devices(const place_plan *p, const place_rank_info *ri, char **gpus, char **nics,
                       char ***env, int *nenv)
{
    const place_topo *t = place_plan_topo(p);
    *gpus = *nics = NULL;
    int ok = 1;
    if (place_plan_binds_gpus(p)) {
        /* which runtimes the node's GPUs need (rows of topo/gpurt.c), and this rank's names
         * in each */
        int nrt;
        const place_gpu_runtime *rt = place_gpu_runtimes(&nrt);
        char **list = calloc((size_t)nrt, sizeof(char *));
        int *present = calloc((size_t)nrt, sizeof(int)), *sub = calloc((size_t)nrt, sizeof(int));
        ok = list && present && sub;
        for (int g = 0; ok && g < place_topo_ndevices(t, PLACE_DEVICE_GPU); g++) {
            place_device_info d;
            place_topo_device(t, PLACE_DEVICE_GPU, g, &d);
            int k = place_gpu_runtime_named(d.runtime);
            if (k >= 0)
                present[k] = 1;
        }
        char *pcis = NULL;
        for (int i = 0; i < ri->ngpus && ok; i++) {
            place_device_info d;
            place_topo_device(t, PLACE_DEVICE_GPU, ri->gpu[i], &d);
            char id[48];
            if (d.sub >= 0)
                snprintf(id, sizeof id, "%s/%d", d.pci, d.sub);
            else
                snprintf(id, sizeof id, "%s", d.pci);
            ok = append(&pcis, id) == 0;
            const char *tok = place_plan_gpu_token(p, ri->gpu[i]);
            int k = place_gpu_runtime_named(d.runtime);
            if (ok && k >= 0) {
                ok = tok && append(&list[k], tok) == 0;
                sub[k] |= d.sub >= 0;
            }
        }
        *gpus = or_empty(pcis);
        ok = ok && *gpus;
        for (int k = 0; ok && k < nrt; k++) {
            if (!present[k])
                continue;
            list[k] = or_empty(list[k]);
            ok = list[k] && place_env_push(env, nenv, rt[k].visible, list[k]) == 0;
            if (ok && rt[k].companion)
                ok = place_env_push(env, nenv, rt[k].companion, rt[k].companion_value) == 0;
            if (ok && rt[k].also) { /* numbered within what `visible` leaves: 0..k-1 */
                char also[256] = "";
                size_t at = 0;
                int j = 0;
                for (const char *c = list[k]; *list[k] && c; c = strchr(c + 1, ','), j++)
                    if (at + 12 < sizeof also)
                        at +=
                            (size_t)snprintf(also + at, sizeof also - at, "%s%d", j ? "," : "", j);
                ok = place_env_push(env, nenv, rt[k].also, also) == 0;
            }
            if (ok && sub[k] && rt[k].sub_companion)
                ok = place_env_push(env, nenv, rt[k].sub_companion, rt[k].sub_companion_value) == 0;
        }
        for (int k = 0; list && k < nrt; k++)
            free(list[k]);
        free(list), free(present), free(sub);
    }
    if (ok && place_plan_binds_nics(p)) {
        char *names_l = NULL, *ucx = NULL, *cxi = NULL, *ifaces = NULL, *tcp = NULL;
        for (int i = 0; i < ri->nnics && ok; i++) {
            place_device_info d;
            place_topo_device(t, PLACE_DEVICE_NIC, ri->nic[i], &d);
            ok = append(&names_l, d.name) == 0 && append(&ucx, d.ucx) == 0;
            if (ok && !strncmp(d.name, "cxi", 3))
                ok = append(&cxi, d.name) == 0;
            if (ok && d.netdev && strcmp(d.runtime, "Ethernet") && strcmp(d.runtime, "Slingshot"))
                ok = append(&ifaces, d.netdev) == 0;
            if (ok && d.netdev && !strcmp(d.runtime, "Ethernet"))
                ok = append(&tcp, d.netdev) == 0;
        }
        *nics = or_empty(names_l);
        ok = ok && *nics;
        if (ok && ucx)
            ok = place_env_push(env, nenv, "UCX_NET_DEVICES", ucx) == 0;
        if (ok && cxi)
            ok = place_env_push(env, nenv, "FI_CXI_DEVICE_NAME", cxi) == 0;
        if (ok && ifaces)
            ok = place_env_push(env, nenv, "FI_VERBS_IFACE", ifaces) == 0;
        if (ok && tcp)
            ok = place_env_push(env, nenv, "OMPI_MCA_btl_tcp_if_include", tcp) == 0 &&
                 place_env_push(env, nenv, "FI_TCP_IFACE", tcp) == 0;
        free(ucx);
        free(cxi);
        free(ifaces);
        free(tcp);
    }
    return ok ? 0 : -1;
}

int place_plan_rank_env(const place_plan *p, int rank, char ***env, int *n, place_error *err)
{
    *env = NULL;
    *n = 0;
    place_rank_info ri;
    if (place_plan_rank(p, rank, &ri, err) < 0)
        return -1;
    char *numa = place_int_list_string(ri.numa_os, ri.nnuma, "", ""),
         *pus = place_int_list_string(ri.thread_pu_os, ri.nthreads, "", ""), nt[16];
    char *gpus = NULL, *nics = NULL, **dev = NULL;
    int ndev = 0;
    snprintf(nt, sizeof nt, "%d", ri.nthreads);
    int ok = numa && pus &&
             place_env_push(env, n, place_env_name(PLACE_ENV_CPUSET), ri.cpuset) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_NUMA), numa) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_THREAD_PUS), pus) == 0 &&
             place_env_push(env, n, place_env_name(PLACE_ENV_NTHREADS), nt) == 0 &&
             place_rank_devices(p, &ri, &gpus, &nics, &dev, &ndev) == 0 &&
             (!gpus || place_env_push(env, n, place_env_name(PLACE_ENV_GPUS), gpus) == 0) &&
             (!nics || place_env_push(env, n, place_env_name(PLACE_ENV_NICS), nics) == 0);
    for (int i = 0; ok && i < ndev; i++) {
        char *eq = strchr(dev[i], '=');
        *eq = '\0';
        ok = place_env_push(env, n, dev[i], eq + 1) == 0;
        *eq = '=';
    }
    free(numa);
    free(pus);
    free(gpus);
    free(nics);
    place_env_list_free(dev, ndev);
    if (!ok) {
        place_env_list_free(*env, *n);
        *env = NULL;
        *n = 0;
        return place_error_set(err, PLACE_ENOMEM, "out of memory");
    }
    return 0;
}
