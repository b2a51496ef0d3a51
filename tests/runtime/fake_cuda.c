/* fake_cuda.c: a stand-in for CUDA's driver library (libcuda.so.1) with the four entry
 * points placecheck calls, for testing the vendor-runtime path of placerun --check on a
 * machine without a GPU. It "sees" the PCI ids in FAKE_CUDA_BUSIDS (comma-separated, in
 * device order), upper-case as the real cuDeviceGetPCIBusId writes them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char ids[16][32];
static int n = -1;

int cuInit(unsigned flags)
{
    (void)flags;
    const char *s = getenv("FAKE_CUDA_BUSIDS");
    n = 0;
    while (s && *s && n < 16) {
        size_t len = strcspn(s, ",");
        if (len >= sizeof ids[0])
            return 1;
        for (size_t i = 0; i < len; i++)
            ids[n][i] = (char)toupper((unsigned char)s[i]);
        ids[n][len] = '\0';
        n++;
        s += len + (s[len] == ',');
    }
    return 0;
}

int cuDeviceGetCount(int *count)
{
    if (n < 0)
        return 3; /* CUDA_ERROR_NOT_INITIALIZED */
    *count = n;
    return 0;
}

int cuDeviceGet(int *dev, int ordinal)
{
    if (ordinal < 0 || ordinal >= n)
        return 101; /* CUDA_ERROR_INVALID_DEVICE */
    *dev = ordinal;
    return 0;
}

int cuDeviceGetPCIBusId(char *bus, int len, int dev)
{
    if (dev < 0 || dev >= n || len < 1)
        return 101;
    snprintf(bus, (size_t)len, "%s", ids[dev]);
    return 0;
}
