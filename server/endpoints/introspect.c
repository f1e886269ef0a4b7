/*
 * server/endpoints/introspect.c - POST /introspect: OAuth 2.0 token
 * introspection (RFC 7662) for resource servers.
 *
 * The caller authenticates with HTTP Basic (RFC 7617) as
 * introspect-client-id with introspect-secret (RFC 7662 2.1 requires some
 * authorization, so that the endpoint is no oracle for token scanning).
 * Without a configured secret, every request gets 401.
 *
 * A token is active when it is one of jotd's access tokens or API tokens
 * that /verify would accept: signature by a published key, typ, iss, aud,
 * exp, and neither its login nor (an API token) itself revoked. Refresh
 * tokens are never active here: their audience is jotd itself, and a
 * resource server has no business holding one (RFC 7662 2.2 leaves the
 * choice to the server). Everything else -- revoked, expired, signed by
 * someone else, garbage -- is {"active":false} and nothing more (2.2).
 */
#include <stdio.h>
#include <string.h>

#include "endpoints/endpoints.h"

#define BASIC_MAX 600 /* decoded "id:secret": 256-byte secret, generous id */

static void unauthorized(jotd_req *r, const char *why)
{
    /* RFC 6749 5.2: invalid_client with 401 and the scheme to use. */
    jotd_resp_header(r, "WWW-Authenticate", "Basic realm=\"jotd introspection\", charset=\"UTF-8\"");
    jotd_resp_error(r, 401, "invalid_client", why);
}

/* 1 when the request carries the configured Basic credentials. */
static int client_ok(const jotd_app *a, const jotd_req *r)
{
    const char *h = jotd_req_header(r, "Authorization");
    if (!h || !jotd_strncaseeq(h, "Basic ", 6))
        return 0;
    h += 6;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    uint8_t plain[BASIC_MAX];
    size_t len = 0;
    if (jotd_b64_decode(h, n, plain, sizeof plain, &len) != 0)
        return 0;
    /* Compared as hashes: in constant time, whatever the lengths. */
    uint8_t got[32];
    jotd_sha256(plain, len, got);
    jot_wipe(plain, sizeof plain);
    int ok = jot_equal(got, a->introspect_auth, sizeof got);
    jot_wipe(got, sizeof got);
    return ok;
}

/* ,"name":<the claim's JSON> when the claim is there. */
static void claim(jotd_buf *b, const jot_claims *c, const char *name, const char *as)
{
    char *json = NULL;
    if (jot_claims_json(c, name, &json) != JOT_OK)
        return;
    jotd_buf_printf(b, ",\"%s\":", as);
    jotd_buf_adds(b, json);
    jot_free(json);
}

void jotd_h_introspect(jotd_req *r, void *ctx)
{
    jotd_app *a = ctx;
    if (!a->cfg->introspect_secret) {
        unauthorized(r, "introspection is off: jotd has no introspect-secret");
        return;
    }
    if (!client_ok(a, r)) {
        unauthorized(r, "HTTP Basic authentication as the introspection client is required");
        return;
    }
    const char *token = jotd_req_param(r, "token");
    if (!token) {
        jotd_resp_error(r, 400, "invalid_request", "the token parameter is required (RFC 7662 2.1)");
        return;
    }
    /* token_type_hint is only a hint (2.1): both kinds are tried anyway. */
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    jot_claims *c = NULL;
    int is_api = 0;
    size_t len = strlen(token);
    jot_status st = jotd_verify_bearer(ks, token, len, &c, &is_api);
    if (st != JOT_OK) {
        jotd_keysnap_release(ks);
        jotd_resp_json(r, 200, "{\"active\":false}");
        return;
    }
    jotd_buf b;
    jotd_buf_init(&b);
    jotd_buf_printf(&b, "{\"active\":true,\"token_type\":\"Bearer\",\"typ\":\"%s\"", is_api ? "api+jwt" : "at+jwt");
    claim(&b, c, "scope", "scope");
    claim(&b, c, "client_id", "client_id");
    claim(&b, c, "name", "username");
    claim(&b, c, "exp", "exp");
    claim(&b, c, "iat", "iat");
    claim(&b, c, "nbf", "nbf");
    claim(&b, c, "sub", "sub");
    claim(&b, c, "aud", "aud");
    claim(&b, c, "iss", "iss");
    claim(&b, c, "jti", "jti");
    claim(&b, c, "sid", "sid");
    claim(&b, c, "role", "role");
    jotd_buf_adds(&b, "}");
    jot_claims_free(c);
    jotd_keysnap_release(ks);
    jotd_resp_json(r, 200, b.p);
    jotd_buf_release(&b);
}
