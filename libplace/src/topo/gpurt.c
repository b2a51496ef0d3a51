/* gpurt.c (topo): the GPU runtimes, one row per GPU vendor. Everything place knows of a
 * vendor's runtime is here: how hwloc names its devices (found in topo/devices.c), the
 * name of the library a note cites, the variables a rank is given (contract/devenv.c), the
 * variables a batch step limits the GPUs with (contract/runenv.c's GPU scope, the SPANK
 * plugin). A new vendor is a new row, a fixture with its GPUs, and its line in
 * docs/gpus.md. */
#include <string.h>
#include "topo/topo_private.h"

static const place_gpu_runtime rows[] = {
    {.pci_vendor = 0x10de,
     .vendor = "NVIDIA",
     .runtime = "cuda",
     .index_osdev = "nvml",
     .index_library = "NVML",
     .alt_osdev = "cuda",
     .sub_osdev = NULL,
     .uuid_info = "NVIDIAUUID",
     .visible = "CUDA_VISIBLE_DEVICES",
     .also = NULL,
     .companion = "CUDA_DEVICE_ORDER",
     .companion_value = "PCI_BUS_ID",
     .pci_order_is_runtimes = 1},
    {.pci_vendor = 0x1002,
     .vendor = "AMD",
     .runtime = "rocm",
     .index_osdev = "rsmi",
     .index_library = "RSMI",
     .alt_osdev = NULL,
     .sub_osdev = NULL,
     .uuid_info = "AMDUUID",
     .visible = "ROCR_VISIBLE_DEVICES",
     .also = "HIP_VISIBLE_DEVICES",
     .companion = NULL,
     .pci_order_is_runtimes = 0},
    {.pci_vendor = 0x8086,
     .vendor = "Intel",
     .runtime = "ze",
     .index_osdev = "ze",
     .index_library = "Level Zero",
     .alt_osdev = NULL,
     .sub_osdev = "ze",
     .uuid_info = "LevelZeroUUID",
     .visible = "ZE_AFFINITY_MASK",
     .also = NULL,
     .sub_companion = "ZE_FLAT_DEVICE_HIERARCHY",
     .sub_companion_value = "COMPOSITE",
     .pci_order_is_runtimes = 0},
};

const place_gpu_runtime *place_gpu_runtimes(int *count)
{
    *count = (int)(sizeof rows / sizeof rows[0]);
    return rows;
}

int place_gpu_runtime_of_vendor(unsigned pci_vendor)
{
    for (int k = 0; k < (int)(sizeof rows / sizeof rows[0]); k++)
        if (rows[k].pci_vendor == pci_vendor)
            return k;
    return -1;
}

int place_gpu_runtime_named(const char *runtime)
{
    for (int k = 0; k < (int)(sizeof rows / sizeof rows[0]); k++)
        if (runtime && !strcmp(rows[k].runtime, runtime))
            return k;
    return -1;
}
