/*
 * jot/jot.h - libjot: JSON Web Tokens done right, in C.
 *
 * Include this header and nothing else. It brings:
 *   jot/error.h  the status codes, jot_strerror, jot_diag, jot_free
 *   jot/jwk.h    algorithms, keys (PEM, JWK, JWKS), thumbprints, keygen
 *   jot/jws.h    compact JWS and the JWA signature layer
 *   jot/jwt.h    signing claims, the verifier, reading verified claims
 *   jot/util.h   base64url, wiping, constant-time compare, UTF-8 and JSON
 *                depth checks
 *
 * Ownership: every function that hands back a new object or string says so;
 * objects are freed with their own _free (NULL is always accepted), strings
 * with jot_free. Nothing is handed back on failure.
 *
 * Threads: keys, key sets and verifiers are safe to share for reading once
 * built; builders and claims belong to one thread at a time.
 */
#ifndef JOT_JOT_H
#define JOT_JOT_H

#include "error.h"
#include "jwk.h"
#include "jws.h"
#include "jwt.h"
#include "util.h"

#define JOT_VERSION_MAJOR 0
#define JOT_VERSION_MINOR 1
#define JOT_VERSION_PATCH 0
#define JOT_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0" (may differ from the header's
 * when linked dynamically). */
const char *jot_version(void);

#ifdef __cplusplus
}
#endif
#endif
