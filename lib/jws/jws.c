/* JWS compact serialization (RFC 7515 3.1, 5, 7.1); see jot/jws.h. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "jws/jws.h"

#define JOT_DEFAULT_MAX_SIZE 65536u

/* Decode one segment into buf; a NUL follows the bytes. */
static jot_status decode_segment(const char *s, size_t n, char *buf, size_t *out_len, jot_diag *d, const char *what)
{
    if (jot__b64url_decode(s, n, (uint8_t *)buf, out_len) != 0)
        return jot__fail(d, JOT_E_MALFORMED, "%s is not valid base64url", what);
    buf[*out_len] = '\0';
    return JOT_OK;
}

jot_status jot__jws_parse_header(const char *token, size_t len, char *buf, jot__jws *out, jot_diag *d)
{
    memset(out, 0, sizeof *out);
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return jot__fail(d, JOT_E_MALFORMED, "not three base64url segments separated by dots");
    out->token = token;
    out->token_len = len;
    out->signing_input_len = (size_t)(dot2 - token);
    out->payload_b64 = dot1 + 1;
    char *h = buf;
    jot_status s = decode_segment(token, (size_t)(dot1 - token), h, &out->header_len, d, "header");
    if (s == JOT_OK)
        s = jot__jscan_object(h, out->header_len, &out->hdoc, d, "header");
    if (s == JOT_OK)
        out->header = h;
    return s;
}

jot_status jot__jws_parse_rest(jot__jws *jws, jot_diag *d)
{
    /* Each decoding is at most 3/4 of its segment, so the three with their
     * NULs fit in JOT__JWS_BUF(len) after the header. */
    char *p = (char *)(uintptr_t)jws->header + jws->header_len + 1;
    const char *dot2 = jws->token + jws->signing_input_len;
    jot_status s = decode_segment(jws->payload_b64, (size_t)(dot2 - jws->payload_b64), p, &jws->payload_len, d,
                                  "payload");
    char *sig = p + jws->payload_len + 1;
    if (s == JOT_OK)
        s = decode_segment(dot2 + 1, jws->token_len - jws->signing_input_len - 1, sig, &jws->sig_len, d,
                           "signature");
    if (s != JOT_OK)
        return s;
    jws->payload = p;
    jws->sig = (const uint8_t *)sig;
    return JOT_OK;
}

jot_status jot__jws_parse(const char *token, size_t len, char *buf, jot__jws *out, jot_diag *d)
{
    jot_status s = jot__jws_parse_header(token, len, buf, out, d);
    if (s == JOT_OK && (s = jot__jws_parse_rest(out, d)) != JOT_OK)
        jot__jdoc_release(&out->hdoc);
    return s;
}

jot_status jot__jws_verify(const jot__jws *jws, const jot_key *key, jot_alg alg)
{
    return jot__sig_verify(key, alg, jws->token, jws->signing_input_len, jws->sig, jws->sig_len);
}

jot_status jot__jws_compose(const jot_key *key, jot_alg alg, const char *header, size_t header_len,
                            const void *payload, size_t payload_len, char **out)
{
    size_t hl = JOT__B64_ENC_LEN(header_len), pl = JOT__B64_ENC_LEN(payload_len);
    char *tok = malloc(hl + 1 + pl + 1 + JOT__B64_ENC_LEN(JOT_SIG_MAX) + 1);
    if (!tok)
        return JOT_E_NOMEM;
    jot__b64url_encode((const uint8_t *)header, header_len, tok);
    tok[hl] = '.';
    jot__b64url_encode(payload, payload_len, tok + hl + 1);
    size_t input_len = hl + 1 + pl;

    uint8_t sig[JOT_SIG_MAX];
    size_t sig_len;
    jot_status s = jot__sig_sign(key, alg, tok, input_len, sig, &sig_len);
    if (s != JOT_OK) {
        free(tok);
        return s;
    }
    tok[input_len] = '.';
    jot__b64url_encode(sig, sig_len, tok + input_len + 1);
    tok[input_len + 1 + JOT__B64_ENC_LEN(sig_len)] = '\0';
    *out = tok;
    return JOT_OK;
}

jot_status jot_jws_sign(const jot_key *key, jot_alg alg, const char *header, size_t header_len,
                        const void *payload, size_t payload_len, char **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!key || !header || (!payload && payload_len) || !jot_alg_name(alg))
        return JOT_E_ARG;
    jot__jdoc h;
    jot_status s = jot__jscan_object(header, header_len, &h, NULL, "header");
    if (s != JOT_OK)
        return s;
    const jot__jmember *a = jot__jdoc_reg(&h, JOT__R_ALG);
    int ok = a && a->type == JOT__J_STRING &&
             jot__jstr_equals(a->value, a->value_len, a->value_escaped, jot_alg_name(alg), strlen(jot_alg_name(alg)));
    jot__jdoc_release(&h);
    if (!ok)
        return JOT_E_MALFORMED;
    if ((s = jot_key_fits(key, alg)) != JOT_OK)
        return s;
    return jot__jws_compose(key, alg, header, header_len, payload ? payload : "", payload_len, out);
}

/* A compact copy of a JSON value text from a successful scan. */
static char *compact(const char *text, size_t n)
{
    char *s = malloc(n + 1);
    if (s)
        jot__json_compact(text, n, s);
    return s;
}

/* The payload as JSON text: a JSON object compacted (numbers as written),
 * another JSON value as Jansson reads it, else a JSON string. */
static char *payload_as_json(const char *p, size_t n)
{
    jot__jdoc doc;
    if (jot__jscan_object(p, n, &doc, NULL, "payload") == JOT_OK) {
        jot__jdoc_release(&doc);
        return compact(p, n);
    }
    return jot__json_redump(p, n);
}

jot_status jot_decode_unverified(const char *token, size_t len, size_t max_size, char **header_json,
                                 char **payload_json, jot_diag *diag)
{
    if (!header_json || !payload_json)
        return JOT_E_ARG;
    *header_json = *payload_json = NULL;
    if (!token)
        return JOT_E_ARG;
    if (len > (max_size ? max_size : JOT_DEFAULT_MAX_SIZE))
        return jot__fail(diag, JOT_E_TOO_LARGE, "token is %zu bytes, more than allowed", len);
    char *buf = malloc(JOT__JWS_BUF(len));
    if (!buf)
        return JOT_E_NOMEM;
    jot__jws jws;
    jot_status s = jot__jws_parse(token, len, buf, &jws, diag);
    if (s == JOT_OK) {
        jot__jdoc_release(&jws.hdoc);
        *header_json = compact(jws.header, jws.header_len);
        *payload_json = payload_as_json(jws.payload, jws.payload_len);
        if (!*header_json || !*payload_json) {
            free(*header_json);
            free(*payload_json);
            *header_json = *payload_json = NULL;
            /* json_stringn refuses a payload that is not UTF-8. */
            s = jot__fail(diag, JOT_E_MALFORMED, "payload is neither JSON nor UTF-8 text");
        }
    }
    free(buf);
    return s;
}
