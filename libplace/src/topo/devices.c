/* devices.c: GPUs and NICs from hwloc's I/O objects.
 *
 * hwloc gives PCI devices (with their locality: the first non-I/O ancestor) and, under
 * them, OS devices: DRM cards and render nodes, NVML/RSMI (GPU), CUDA/OpenCL/Level Zero
 * (co-processor), network interfaces and OpenFabrics devices. Placement wants one entry
 * per device a runtime can be told to use: one per GPU (the OS devices of one PCI device
 * collapsed, a runtime's sub-devices kept apart) and one per NIC, each with the name and
 * index the vendor's runtime uses and the NUMA node it is local to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "topo/topo_private.h"

static const struct {
    int id;
    const char *name;
} vendors[] = {
    {0x15b3, "Mellanox"},   {0x17db, "HPE"},      {0x1077, "QLogic"}, {0x14e4, "Broadcom"},
    {0x1924, "Solarflare"}, {0x1fc1, "Cornelis"}, {0x1cf0, "Atos"},   {0x1af4, "Red Hat (virtio)"},
    {0x1d0f, "Amazon"}};

/* A vendor's name: the GPU runtimes' table's (gpurt.c), else the one above, else the id. */
static char *vendor_name(int id)
{
    char buf[16];
    int n, k = place_gpu_runtime_of_vendor((unsigned)id);
    if (k >= 0)
        return place_strdup(place_gpu_runtimes(&n)[k].vendor);
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++)
        if (vendors[i].id == id)
            return place_strdup(vendors[i].name);
    snprintf(buf, sizeof buf, "0x%04x", (unsigned)id & 0xffff);
    return place_strdup(buf);
}

void place_devices_free(place_topo *t)
{
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < t->ndev[k]; i++) {
            place_dev *d = &t->dev[k][i];
            free(d->pci);
            free(d->vendor);
            free(d->name);
            free(d->uuid);
            free(d->osdevs);
            free(d->netdev);
            free(d->ucx);
            free(d->cpuset);
            hwloc_bitmap_free(d->locality);
        }
        free(t->dev[k]);
        t->dev[k] = NULL;
        t->ndev[k] = 0;
    }
    free(t->dev_refused);
    t->dev_refused = NULL;
}

/* A name read from the topology, for a message: characters that are not a device name's
 * shown as '?' (the name may hold control characters or a shell's). */
static void shown(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n; i++)
        out[i] = (char)(strchr(PLACE_DEVICE_NAME_CHARS, s[i]) ? s[i] : '?');
    out[i] = '\0';
}

/* Records a device left out of the plan for its name; said in the plan's notes. */
static int refuse_dev(place_topo *t, const char *kind, const char *pci, const char *name)
{
    char nm[72], line[256];
    shown(name, nm, sizeof nm);
    snprintf(line, sizeof line, "%s%s at %s named '%s'", t->dev_refused ? "; " : "", kind, pci, nm);
    size_t old = t->dev_refused ? strlen(t->dev_refused) : 0;
    if (old > 4096)
        return 0;
    char *r = realloc(t->dev_refused, old + strlen(line) + 1);
    if (!r)
        return -1;
    memcpy(r + old, line, strlen(line) + 1);
    t->dev_refused = r;
    return 0;
}

/* The OS devices under PCI device `pci` (depth first, sub-devices of OS devices included). */
typedef struct osdev_list {
    hwloc_obj_t o[64];
    int n;
} osdev_list;

static void collect_osdevs(hwloc_obj_t o, osdev_list *l)
{
    for (hwloc_obj_t c = o->io_first_child; c; c = c->next_sibling)
        if (c->type == HWLOC_OBJ_OS_DEVICE) {
            if (l->n < (int)(sizeof l->o / sizeof l->o[0]))
                l->o[l->n++] = c;
            collect_osdevs(c, l);
        }
}

static int name_index(const char *name, const char *prefix, int *sub)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) || name[n] < '0' || name[n] > '9')
        return -1;
    char *end;
    long v = strtol(name + n, &end, 10);
    if (v < 0 || v > 65535)
        return -1;
    if (sub) {
        *sub = -1;
        if (*end == '.' && end[1] >= '0' && end[1] <= '9') {
            long s = strtol(end + 1, &end, 10);
            if (*end || s > 65535)
                return -1;
            *sub = (int)s;
        }
    }
    return *end ? -1 : (int)v;
}

static int is_gpu_osdev(hwloc_obj_t o)
{
    hwloc_obj_osdev_type_t ty = o->attr->osdev.type;
    if (ty == HWLOC_OBJ_OSDEV_GPU)
        return 1; /* DRM card/render node, NVML, RSMI */
    if (ty == HWLOC_OBJ_OSDEV_COPROC)
        return 1; /* CUDA, OpenCL, Level Zero */
    return 0;
}

/* Locality: the usable PUs of the first non-I/O ancestor, and that ancestor's one NUMA
 * node of ordinary memory (-1 if it has several: a device attached at the machine). */
static int locality(place_topo *t, hwloc_obj_t pci, place_dev *d)
{
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t->h, pci);
    d->anc = anc;
    d->locality = hwloc_bitmap_dup(anc && anc->cpuset ? anc->cpuset
                                                      : hwloc_topology_get_topology_cpuset(t->h));
    if (!d->locality)
        return -1;
    hwloc_bitmap_and(d->locality, d->locality, t->usable);
    d->cpuset = place_bitmap_list(d->locality);
    if (!d->cpuset)
        return -1;
    d->info.numa_os = -1;
    int found = 0;
    hwloc_obj_t n = NULL;
    while (anc && anc->nodeset && (n = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, n))) {
        if (n->subtype && !strcmp(n->subtype, "GPUMemory"))
            continue;
        if (hwloc_bitmap_isset(anc->nodeset, n->os_index)) {
            found++;
            d->info.numa_os = (int)n->os_index;
        }
    }
    if (found != 1)
        d->info.numa_os = -1;
    return 0;
}

static int grow(place_topo *t, int k, int *cap)
{
    if (t->ndev[k] < *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 8;
    place_dev *nd = realloc(t->dev[k], sizeof *nd * (size_t)nc);
    if (!nd)
        return -1;
    t->dev[k] = nd;
    *cap = nc;
    return 0;
}

static char *join_osdevs(const osdev_list *l)
{
    size_t len = 1;
    for (int i = 0; i < l->n; i++)
        len += strlen(l->o[i]->name ? l->o[i]->name : "?") + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    size_t at = 0;
    for (int i = 0; i < l->n; i++) {
        if (i)
            s[at++] = ',';
        shown(l->o[i]->name ? l->o[i]->name : "?", s + at, len - at);
        at += strlen(s + at);
    }
    return s;
}

static void pci_key(hwloc_obj_t pci, place_dev *d, int sub)
{
    d->key[0] = pci->attr->pcidev.domain;
    d->key[1] = pci->attr->pcidev.bus;
    d->key[2] = pci->attr->pcidev.dev;
    d->key[3] = pci->attr->pcidev.func;
    d->key[4] = (unsigned)(sub + 1);
}

static char *pci_string(hwloc_obj_t pci)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%04x:%02x:%02x.%01x", (unsigned)pci->attr->pcidev.domain,
             (unsigned)pci->attr->pcidev.bus, (unsigned)pci->attr->pcidev.dev,
             (unsigned)pci->attr->pcidev.func);
    return place_strdup(buf);
}

/* A new device of kind k for PCI device `pci`, with what GPUs and NICs share; NULL out of
 * memory (or with a string missing: the caller checks them). */
static place_dev *new_dev(place_topo *t, int k, int *cap, hwloc_obj_t pci, const osdev_list *l)
{
    if (grow(t, k, cap) < 0)
        return NULL;
    place_dev *d = &t->dev[k][t->ndev[k]++];
    memset(d, 0, sizeof *d);
    d->vendor_id = pci->attr->pcidev.vendor_id;
    d->pci = pci_string(pci);
    d->vendor = vendor_name(d->vendor_id);
    d->osdevs = join_osdevs(l);
    d->info.memory_numa_os = -1;
    return d;
}

static int add_gpu(place_topo *t, hwloc_obj_t pci, const osdev_list *l, int *cap, int sub,
                   int sub_index, const char *uuid)
{
    place_dev *d = new_dev(t, 0, cap, pci, l);
    if (!d)
        return -1;
    /* a UUID is matched against CUDA_VISIBLE_DEVICES and printed: letters, digits and
     * dashes only (GPU-3a5b...), else the GPU is known by its index alone */
    if (uuid && (strlen(uuid) > 64 ||
                 strspn(uuid, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") !=
                     strlen(uuid)))
        uuid = NULL;
    d->uuid = uuid ? place_strdup(uuid) : NULL;
    d->info.index = sub_index; /* the runtime's own index if an OS device gave it, else -1 */
    d->info.sub = sub;
    pci_key(pci, d, sub);
    if (!d->pci || !d->vendor || !d->osdevs || (uuid && !d->uuid))
        return -1;
    return locality(t, pci, d);
}

static int add_nic(place_topo *t, hwloc_obj_t pci, const osdev_list *l, int *cap)
{
    hwloc_obj_t of = NULL, net = NULL;
    for (int i = 0; i < l->n; i++) {
        hwloc_obj_osdev_type_t ty = l->o[i]->attr->osdev.type;
        if (ty == HWLOC_OBJ_OSDEV_OPENFABRICS && !of)
            of = l->o[i];
        if (ty == HWLOC_OBJ_OSDEV_NETWORK && !net)
            net = l->o[i];
    }
    if (!of && !net)
        return 0;
    /* its names go into the environment (PLACE_NICS, UCX_NET_DEVICES, FI_*): a name that
     * is not a device name (a shell's characters, a space, a control character: a forged or
     * damaged topology) leaves the NIC out, said */
    int bad_of = of && !place_device_name_ok(of->name),
        bad_net = net && !place_device_name_ok(net->name);
    if (bad_of || bad_net) {
        const char *nm = bad_of ? of->name : net->name;
        char *ps = pci_string(pci);
        int rc = ps ? refuse_dev(t, "NIC", ps, nm ? nm : "") : -1;
        free(ps);
        return rc;
    }
    place_dev *d = new_dev(t, 1, cap, pci, l);
    if (!d)
        return -1;
    d->name = place_strdup((of ? of : net)->name ? (of ? of : net)->name : "?");
    d->netdev = net && net->name ? place_strdup(net->name) : NULL;
    d->info.index = -1;
    d->info.sub = -1;
    pci_key(pci, d, -1);
    if (!d->pci || !d->vendor || !d->osdevs || !d->name)
        return -1;
    const char *nn = net && net->name ? net->name : "";
    if ((of &&
         ((of->subtype && !strcmp(of->subtype, "Slingshot")) || !strncmp(of->name, "cxi", 3))) ||
        !strncmp(nn, "hsn", 3))
        d->info.runtime = "Slingshot";
    else if (of)
        d->info.runtime = "OpenFabrics";
    else if (!strncmp(nn, "ib", 2))
        d->info.runtime = "InfiniBand";
    else
        d->info.runtime = "Ethernet";
    d->info.high_speed = strcmp(d->info.runtime, "Ethernet") != 0;
    /* UCX names an OpenFabrics device with its port: the first active one, else 1 */
    char ucx[96];
    if (of && strcmp(d->info.runtime, "Slingshot")) {
        int port = 0;
        for (int p = 1; p <= 8 && !port; p++) {
            char key[32];
            snprintf(key, sizeof key, "Port%dState", p);
            const char *st = hwloc_obj_get_info_by_name(of, key);
            if (st && !strcmp(st, "4")) /* IB_PORT_ACTIVE */
                port = p;
        }
        snprintf(ucx, sizeof ucx, "%.80s:%d", of->name, port ? port : 1);
    } else {
        snprintf(ucx, sizeof ucx, "%.80s", d->netdev ? d->netdev : d->name);
    }
    d->ucx = place_strdup(ucx);
    if (!d->ucx || (net && net->name && !d->netdev))
        return -1;
    return locality(t, pci, d);
}

static int cmp_dev(const void *a, const void *b)
{
    const place_dev *x = a, *y = b;
    for (int i = 0; i < 5; i++)
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    return 0;
}

/* A GPU vendor's (a row of gpurt.c) display controller (0x03xx) or processing accelerator
 * (0x1200), or one of its devices with a GPU OS device: a BMC's VGA (ASPEED, Matrox; a DRM
 * card of its own) or a virtual display is not a GPU. */
static int is_gpu_pci(hwloc_obj_t pci, const osdev_list *l)
{
    unsigned cls = pci->attr->pcidev.class_id, v = pci->attr->pcidev.vendor_id;
    if (place_gpu_runtime_of_vendor(v) < 0)
        return 0;
    for (int i = 0; i < l->n; i++)
        if (is_gpu_osdev(l->o[i]))
            return 1;
    return (cls >> 8) == 0x03 || cls == 0x1200;
}

/* The device number of an OpenCL OS device "opencl<platform>d<device>", -1 if not one. */
static int opencl_device(const char *name)
{
    if (strncmp(name, "opencl", 6) || name[6] < '0' || name[6] > '9')
        return -1;
    char *end;
    long plat = strtol(name + 6, &end, 10);
    if (plat > 65535 || *end != 'd' || end[1] < '0' || end[1] > '9')
        return -1;
    long dev = strtol(end + 1, &end, 10);
    return *end || dev > 65535 ? -1 : (int)dev;
}

/* The runtime of a GPU vendor (its row's name). */
static const char *gpu_runtime(int vendor)
{
    int n, k = place_gpu_runtime_of_vendor((unsigned)vendor);
    return k >= 0 ? place_gpu_runtimes(&n)[k].runtime : "gpu";
}

/* A GPU (is_gpu_pci) and, from its OS devices, the runtime's own index. */
static int discover_pci(place_topo *t, hwloc_obj_t pci, int *cap)
{
    osdev_list l = {.n = 0};
    collect_osdevs(pci, &l);
    if (!is_gpu_pci(pci, &l))
        return add_nic(t, pci, &l, &cap[1]);
    int nrt;
    const place_gpu_runtime *rts = place_gpu_runtimes(&nrt);
    const place_gpu_runtime *rt = &rts[place_gpu_runtime_of_vendor(pci->attr->pcidev.vendor_id)];
    /* sub-devices the runtime names separately: ze0.0, ze0.1 */
    int nsub = 0;
    for (int i = 0; i < l.n && rt->sub_osdev; i++) {
        int s;
        if (name_index(l.o[i]->name ? l.o[i]->name : "", rt->sub_osdev, &s) >= 0 && s >= 0)
            nsub++;
    }
    if (nsub >= 2) {
        for (int i = 0; i < l.n; i++) {
            int s, idx = name_index(l.o[i]->name ? l.o[i]->name : "", rt->sub_osdev, &s);
            if (idx >= 0 && s >= 0 &&
                add_gpu(t, pci, &l, &cap[0], s, idx,
                        hwloc_obj_get_info_by_name(l.o[i], rt->uuid_info)) < 0)
                return -1;
        }
        return 0;
    }
    /* the runtime's index from its OS device: the management library's (NVML, RSMI) or
     * Level Zero's, else the second prefix (CUDA's), else OpenCL's device number
     * (opencl0d1: device 1); the UUID from the first OS device holding one of the
     * runtimes' UUID keys */
    int idx = -1, prio = 0;
    const char *uuid = NULL;
    for (int i = 0; i < l.n; i++) {
        const char *nm = l.o[i]->name ? l.o[i]->name : "";
        int k, pr = 0;
        if ((k = name_index(nm, rt->index_osdev, NULL)) >= 0)
            pr = 3;
        else if (rt->alt_osdev && (k = name_index(nm, rt->alt_osdev, NULL)) >= 0)
            pr = 2;
        else if ((k = opencl_device(nm)) >= 0)
            pr = 1;
        if (pr > prio) {
            prio = pr;
            idx = k;
        }
        const char *u = NULL;
        for (int r = 0; r < nrt && !u; r++)
            u = hwloc_obj_get_info_by_name(l.o[i], rts[r].uuid_info);
        if (u && !uuid)
            uuid = u;
    }
    return add_gpu(t, pci, &l, &cap[0], -1, idx, uuid);
}

/* GPU memory NUMA nodes: by their PCIBusID info (what hwloc's Linux backend writes), else
 * the k-th unmatched one of a locality to the k-th GPU there without memory. */
static void attach_memory(place_topo *t)
{
    hwloc_obj_t n = NULL;
    while ((n = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, n))) {
        if (!n->subtype || strcmp(n->subtype, "GPUMemory"))
            continue;
        const char *bus = hwloc_obj_get_info_by_name(n, "PCIBusID");
        place_dev *best = NULL;
        for (int i = 0; i < t->ndev[0]; i++) {
            place_dev *d = &t->dev[0][i];
            if (d->info.memory_numa_os >= 0)
                continue;
            if (bus) {
                if (!strcasecmp(bus, d->pci)) {
                    best = d;
                    break;
                }
            } else if (!best && n->cpuset && hwloc_bitmap_isincluded(d->locality, n->cpuset) &&
                       !hwloc_bitmap_iszero(d->locality)) {
                best = d;
            }
        }
        if (best) {
            best->info.memory_numa_os = (int)n->os_index;
            best->info.memory_by_order = bus == NULL;
        }
    }
}

int place_devices_discover(place_topo *t, place_error *err)
{
    int cap[2] = {0, 0};
    t->devices_loaded = 1;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_pcidev(t->h, o));)
        if (discover_pci(t, o, cap) < 0)
            goto oom;
    for (int k = 0; k < 2; k++)
        if (t->ndev[k] > 1)
            qsort(t->dev[k], (size_t)t->ndev[k], sizeof(place_dev), cmp_dev);
    /* Index in the runtime's numbering. Where the topology names a vendor's runtime
     * devices (nvml0, cuda0, rsmi0, ze0, opencl0d1), each GPU of that vendor takes its
     * index from them, and one without such a device (hidden from the runtime when the
     * topology was written, or not working) has none: it is not handed out. Without
     * any, PCI order is assumed: CUDA's with CUDA_DEVICE_ORDER=PCI_BUS_ID (which place
     * exports), said by the plan for ROCm and Level Zero. */
    int nrt;
    const place_gpu_runtime *rts = place_gpu_runtimes(&nrt);
    int *count = calloc((size_t)nrt, sizeof(int)), *named = calloc((size_t)nrt, sizeof(int));
    if (!count || !named) {
        free(count), free(named);
        goto oom;
    }
    for (int i = 0; i < t->ndev[0]; i++) {
        place_dev *d = &t->dev[0][i];
        named[place_gpu_runtime_of_vendor((unsigned)d->vendor_id)] |= d->info.index >= 0;
    }
    for (int i = 0; i < t->ndev[0]; i++) {
        place_dev *d = &t->dev[0][i];
        int vi = place_gpu_runtime_of_vendor((unsigned)d->vendor_id);
        if (!named[vi]) {
            d->info.index_from_runtime = rts[vi].pci_order_is_runtimes;
            if (d->info.sub < 0 || d->info.sub == 0)
                d->info.index = count[vi]++;
            else
                d->info.index = count[vi] - 1;
        } else if (d->info.index >= 0) {
            d->info.index_from_runtime = 1;
            for (int j = 0; j < i; j++) /* two GPUs with one index: the second has none */
                if (t->dev[0][j].vendor_id == d->vendor_id &&
                    t->dev[0][j].info.index == d->info.index &&
                    t->dev[0][j].info.sub == d->info.sub)
                    d->info.index = -1;
        }
        char nm[48];
        if (d->info.index < 0)
            snprintf(nm, sizeof nm, "%s-none", gpu_runtime(d->vendor_id));
        else if (d->info.sub >= 0)
            snprintf(nm, sizeof nm, "%s%d.%d", gpu_runtime(d->vendor_id), d->info.index,
                     d->info.sub);
        else
            snprintf(nm, sizeof nm, "%s%d", gpu_runtime(d->vendor_id), d->info.index);
        d->name = place_strdup(nm);
        if (!d->name) {
            free(count), free(named);
            goto oom;
        }
    }
    free(count), free(named);
    attach_memory(t);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < t->ndev[k]; i++) {
            place_dev *d = &t->dev[k][i];
            d->info.kind = (place_device_kind)k;
            d->info.pci = d->pci;
            d->info.vendor = d->vendor;
            d->info.name = d->name;
            if (k == 0)
                d->info.runtime = gpu_runtime(d->vendor_id);
            d->info.uuid = d->uuid;
            d->info.osdevs = d->osdevs;
            d->info.netdev = d->netdev;
            d->info.ucx = d->ucx;
            d->info.cpuset = d->cpuset;
        }
    return 0;
oom:
    return place_error_set(err, PLACE_ENOMEM, "out of memory while reading the topology's devices");
}

int place_topo_devices_loaded(const place_topo *t)
{
    return t->devices_loaded;
}

int place_topo_ndevices(const place_topo *t, place_device_kind kind)
{
    return kind == PLACE_DEVICE_GPU || kind == PLACE_DEVICE_NIC ? t->ndev[kind] : 0;
}

int place_topo_device(const place_topo *t, place_device_kind kind, int i, place_device_info *out)
{
    if ((kind != PLACE_DEVICE_GPU && kind != PLACE_DEVICE_NIC) || i < 0 || i >= t->ndev[kind])
        return -1;
    *out = t->dev[kind][i].info;
    return 0;
}
