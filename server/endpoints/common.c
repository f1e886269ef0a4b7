/*
 * server/endpoints/common.c - what several endpoints answer with, and how
 * they learn who is asking: the token response and its cookie, the store's
 * failure, the Bearer token, the client's address (behind trusted
 * proxies), the caller of an account endpoint.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints/endpoints.h"

/* ---- Answering ------------------------------------------------------------ */

void jotd_token_response(jotd_req *r, const char *access, int64_t access_exp, const char *refresh,
                         int64_t refresh_exp, int in_body, int64_t now)
{
    /* Room for the usual tokens on the stack: no allocation, no growth. */
    char stack[2048], cstack[1024];
    jotd_buf b;
    jotd_buf_init_stack(&b, stack, sizeof stack);
    jotd_buf_adds(&b, "{\"access_token\":");
    jotd_buf_json_str(&b, access);
    jotd_buf_printf(&b, ",\"token_type\":\"Bearer\",\"expires_in\":%lld", (long long)(access_exp - now));
    if (!refresh) {
        /* The access token alone: the client holds its refresh token. */
    } else if (in_body) {
        jotd_buf_adds(&b, ",\"refresh_token\":");
        jotd_buf_json_str(&b, refresh);
        jotd_buf_printf(&b, ",\"refresh_expires_in\":%lld", (long long)(refresh_exp - now));
    } else {
        /* The refresh token lives in a cookie that scripts cannot read
         * (HttpOnly), that travels only over HTTPS (Secure), never on a
         * cross-site request (SameSite=Strict, RFC 6265bis), and only
         * to the refresh endpoint and below (Path=/token). */
        jotd_buf c;
        jotd_buf_init_stack(&c, cstack, sizeof cstack);
        jotd_buf_printf(&c, "%s=%s; Path=%s; Max-Age=%lld; HttpOnly; Secure; SameSite=Strict", JOTD_COOKIE,
                        refresh, JOTD_COOKIE_PATH, (long long)(refresh_exp - now));
        jotd_resp_header(r, "Set-Cookie", c.p);
        jotd_buf_release(&c);
    }
    jotd_buf_adds(&b, "}");
    jotd_resp_json(r, 200, b.p);
    jotd_buf_release(&b);
}

void jotd_clear_cookie(jotd_req *r)
{
    jotd_resp_header(r, "Set-Cookie",
                     JOTD_COOKIE "=; Path=" JOTD_COOKIE_PATH "; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
}

const char *jotd_bearer(const jotd_req *r, size_t *len)
{
    const char *h = jotd_req_header(r, "Authorization");
    if (!h)
        return NULL;
    /* RFC 6750 2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive
     * (RFC 9110 11.1). */
    if (!jotd_strncaseeq(h, "Bearer ", 7))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    *len = n;
    return h;
}

void jotd_store_failed(jotd_req *r)
{
    jotd_resp_header(r, "Retry-After", "1");
    jotd_resp_error(r, 503, "temporarily_unavailable", "the store is not available");
}

/* ---- Who is asking -------------------------------------------------------- */

static int is_proxy(const jotd_app *a, const char *addr)
{
    for (size_t i = 0; i < a->nproxies; i++)
        if (strcmp(a->proxies[i], addr) == 0)
            return 1;
    return 0;
}

/* Say once that X-Forwarded-For came from a peer that is not a trusted
 * proxy: behind a proxy that jotd does not trust, every client has the
 * proxy's address, and the per-address login limit is shared by all. */
static void warn_untrusted_xff(const jotd_req *r, const char *peer)
{
    static atomic_int warned;
    if (atomic_load_explicit(&warned, memory_order_relaxed) || !jotd_req_header(r, "X-Forwarded-For") ||
        atomic_exchange(&warned, 1))
        return;
    jotd_log("warn",
             "X-Forwarded-For from a peer that is not in trusted-proxies: it is ignored, and every client behind "
             "that peer shares its address (and its login limits); set trusted-proxies if it is your proxy",
             "peer", peer, NULL);
}

/* Every X-Forwarded-For line, joined (a proxy may add a line of its own
 * after one the client wrote, rather than append to it): in buf when it
 * fits, else in memory the caller frees (*heap). NULL when there is none. */
static char *xff_lines(const jotd_req *r, char *buf, size_t n, char **heap)
{
    *heap = NULL;
    int rc = jotd_req_header_list(r, "X-Forwarded-For", buf, n);
    if (rc >= 0)
        return rc == 1 ? buf : NULL;
    /* Longer than buf: as long as the request's headers may be. */
    size_t big = 256 * 1024;
    *heap = jotd_xmalloc(big);
    if (jotd_req_header_list(r, "X-Forwarded-For", *heap, big) != 1) {
        free(*heap);
        *heap = NULL;
        return NULL;
    }
    return *heap;
}

const char *jotd_client_addr(const jotd_app *a, const jotd_req *r, char *buf, size_t n)
{
    const char *peer = jotd_req_client(r);
    snprintf(buf, n, "%s", peer);
    if (!is_proxy(a, peer)) {
        warn_untrusted_xff(r, peer);
        return buf;
    }
    char stack[2048], *heap;
    const char *xff = xff_lines(r, stack, sizeof stack, &heap);
    if (!xff)
        return buf;
    /* From the right: each hop appended the address it saw. */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *b = start, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        char hop[64];
        if ((size_t)(e - b) >= sizeof hop)
            break; /* not an address: keep the last one trusted */
        memcpy(hop, b, (size_t)(e - b));
        hop[e - b] = '\0';
        if (!jotd_ip_valid(hop))
            break;
        snprintf(buf, n, "%s", hop);
        if (!is_proxy(a, hop))
            break;
        end = start > xff ? start - 1 : xff;
    }
    free(heap);
    return buf;
}

jot_status jotd_verify_bearer(const jotd_keysnap *ks, const char *token, size_t len, jot_claims **out,
                              int *is_api)
{
    *is_api = 0;
    jot_status st = jot_verify(ks->access, token, len, out, NULL);
    if (st != JOT_E_BAD_TYPE && st != JOT_E_NO_KEY)
        return st;
    /* Not an access token, or signed by a key that only API tokens may
     * use now (keyring.h): perhaps an API token. When it is not one either,
     * the access verifier's answer stands. */
    jot_status api = jot_verify(ks->api, token, len, out, NULL);
    *is_api = api == JOT_OK;
    return api == JOT_E_BAD_TYPE ? st : api;
}

static void caller_unauthorized(jotd_req *r, const char *why, int had_token)
{
    /* RFC 6750 3.1: no error code when the request had no token at all. */
    jotd_resp_header(r, "WWW-Authenticate", had_token ? "Bearer error=\"invalid_token\"" : "Bearer");
    jotd_resp_error(r, 401, "invalid_token", why);
}

int jotd_caller_auth(jotd_app *a, jotd_req *r, jotd_caller *out)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    const char *token = jotd_bearer(r, &len);
    if (!token) {
        caller_unauthorized(r, "a Bearer access token is required", 0);
        return -1;
    }
    jotd_keysnap *ks = jotd_keyring_acquire(a->keys);
    jot_claims *c = NULL;
    jot_status st = jot_verify(ks->access, token, len, &c, NULL);
    jotd_keysnap_release(ks);
    if (st != JOT_OK) {
        /* An API token or a refresh token comes here as bad-type. */
        caller_unauthorized(r, st == JOT_E_BAD_TYPE ? "bad-type: an access token from a login is required"
                                             : jot_status_code(st),
                     1);
        return -1;
    }
    const char *sub = NULL, *sid = NULL;
    size_t sublen = 0, sidlen = 0;
    int ok = jot_claims_string(c, "sub", &sub, &sublen) == JOT_OK &&
             jot_claims_string(c, "sid", &sid, &sidlen) == JOT_OK && sublen < sizeof out->sub &&
             sidlen < sizeof out->sid;
    if (ok) {
        memcpy(out->sub, sub, sublen + 1);
        memcpy(out->sid, sid, sidlen + 1);
    }
    jot_claims_free(c);
    if (!ok) {
        caller_unauthorized(r, "malformed", 1);
        return -1;
    }
    return 0;
}
