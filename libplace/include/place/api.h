/* place/api.h: what libplace exports. libplace is built with hidden visibility; only
 * declarations marked PLACE_API are part of its ABI. */
#ifndef PLACE_API_H
#define PLACE_API_H

#define PLACE_VERSION "0.1.0"
/* The API as a number for #if; place_api_version() says which the library a
 * program runs with was built as. 101: a function that clears a caller's struct is
 * place_X_fini (place_X_free frees a handle the library allocated), and module names
 * (place_decomp_split, place_model_harmonic, place_jitter_fwq_work and _calibrate,
 * place_array_touch_part); the 100 names remain as deprecated aliases. */
#define PLACE_API_VERSION 101

#if defined(__GNUC__) || defined(__clang__)
#define PLACE_API __attribute__((visibility("default")))
#else
#define PLACE_API
#endif

/* A name kept for programs written against an earlier PLACE_API_VERSION: the same function
 * as its new name (an alias in the library), which the compiler's warning gives. */
#if defined(__GNUC__) || defined(__clang__)
#define PLACE_DEPRECATED(use) __attribute__((deprecated("the old name; use " use)))
#else
#define PLACE_DEPRECATED(use)
#endif

/* The library's PLACE_API_VERSION as it was built: a program compiled against one
 * version can check the one it runs with. */
PLACE_API int place_api_version(void);

#endif
