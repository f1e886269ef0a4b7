/*
 * server/app.h - jotd the server, as `jotd serve` (cmd/serve.c) drives it:
 * the state behind the endpoints (keys, revocations, the password hashing
 * pool, throttles, metrics), built on a store, with its routes registered
 * on an HTTP server. What the endpoints share is in endpoints/endpoints.h;
 * nothing else needs it.
 */
#ifndef JOTD_APP_H
#define JOTD_APP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http/http.h"
#include "store/store.h"

typedef struct jotd_app jotd_app;

/* Load the master key (creating it beside a new store), the signing keys
 * (generating the first), the revocations in force, and start the password
 * hashing threads. -1 with a reason in err. */
int jotd_app_new(const jotd_config *cfg, jotd_store *store, jotd_app **out, char *err, size_t errlen);

/* Register every endpoint, and fill in the HTTP observer (metrics). */
void jotd_app_routes(jotd_app *a, jotd_http *h, jotd_http_options *o);

/* Periodic work, from one thread: reload keys and revocations from the
 * store, forget expired state, purge dead rows. */
void jotd_app_tick(jotd_app *a, int64_t now);

/* Stop taking new password jobs and start the delayed ones (shutdown, before
 * the HTTP layer waits for requests in flight). */
void jotd_app_shutdown(jotd_app *a);
void jotd_app_free(jotd_app *a);

#endif
