/* util.c (base): small helpers every layer may use: string duplication, hwloc bitmaps as
 * lists, the device-name check shared by discovery and the plan reader, the API version. */
#include <stdlib.h>
#include <string.h>
#include "base/base.h"
#include "place/api.h"

int place_device_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 63)
        return 0;
    return strspn(s, PLACE_DEVICE_NAME_CHARS) == n;
}

char *place_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

unsigned long long place_fnv1a(const void *p, size_t n)
{
    const unsigned char *c = p;
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

char *place_bitmap_list(hwloc_const_bitmap_t b)
{
    char *s = NULL;
    if (hwloc_bitmap_list_asprintf(&s, b) < 0)
        return NULL;
    return s;
}

int place_api_version(void)
{
    return PLACE_API_VERSION;
}
