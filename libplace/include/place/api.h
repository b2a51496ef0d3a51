/* place/api.h: what libplace exports. libplace is built with hidden visibility; only
 * declarations marked PLACE_API are part of its ABI. */
#ifndef PLACE_API_H
#define PLACE_API_H

#if defined(__GNUC__) || defined(__clang__)
#define PLACE_API __attribute__((visibility("default")))
#else
#define PLACE_API
#endif

/* The library's PLACE_API_VERSION (place.h) as it was built: a program compiled against one
 * version can check the one it runs with. */
PLACE_API int place_api_version(void);

#endif
