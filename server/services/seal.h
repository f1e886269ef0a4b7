/*
 * server/services/seal.h - the little cryptography jotd does itself, beside
 * libjot's signatures: the master key, random identifiers, SHA-256 of
 * refresh and API tokens, HMAC, and AES-256-GCM sealing under the master
 * key (signing keys at rest, and the successor token kept for the refresh
 * grace window).
 */
#ifndef JOTD_SERVICES_SEAL_H
#define JOTD_SERVICES_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define JOTD_MASTER_KEY_LEN 32
#define JOTD_SEAL_OVERHEAD (12 + 16) /* nonce + tag */

/* Random bytes from the OS-seeded DRBG; aborts if it fails (nothing safe
 * can be done without randomness). */
void jotd_random(void *out, size_t n);

/* Decode standard base64 (RFC 4648 4, padding required) of n characters
 * into out (cap bytes). 0 with *outlen, or -1 when malformed or too long. */
int jotd_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);

/* A random identifier: 16 bytes as base64url (22 characters) into out[23]. */
void jotd_random_id(char out[23]);
/* Whether id looks like one jotd makes (sid, jti: 1 to 47 base64url
 * characters): anything else is unknown without asking the store. */
int jotd_id_valid(const char *id);
/* A random RFC 9562 version 4 UUID, lower case, into out[37]. */
void jotd_random_uuid(char out[37]);

/* SHA-256 of a string. */
void jotd_sha256(const void *data, size_t n, uint8_t out[32]);

/* HMAC-SHA-256 (RFC 2104) of data under key. */
void jotd_hmac_sha256(const uint8_t *key, size_t keylen, const void *data, size_t n, uint8_t out[32]);

/* Seal plaintext with AES-256-GCM under key; aad is authenticated, not
 * encrypted (it binds the ciphertext to its row). *out (free with free())
 * is nonce(12) | ciphertext | tag(16). */
void jotd_seal(const uint8_t key[JOTD_MASTER_KEY_LEN], const char *aad, const void *plain, size_t n,
               uint8_t **out, size_t *outlen);
/* Open what jotd_seal made. On success returns 0 and *out is a new
 * NUL-terminated plaintext (free with jotd_free_secret); -1 when the tag
 * does not verify (wrong key, altered data, other aad). */
int jotd_open(const uint8_t key[JOTD_MASTER_KEY_LEN], const char *aad, const uint8_t *sealed, size_t n,
              char **out, size_t *outlen);

/* The master key: JOTD_MASTER_KEY (64 hex digits) if set, else the file
 * cfg->master_key_file (32 raw bytes, or 64 hex digits), which is created
 * with mode 0600 and fresh random bytes when absent and may_create is set.
 * A file readable by group or others is refused. -1 with err on failure. */
int jotd_master_key_load(const jotd_config *cfg, int may_create, uint8_t out[JOTD_MASTER_KEY_LEN], char *err,
                         size_t errlen);

#endif
