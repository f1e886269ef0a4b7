/*
 * The verifier: a policy fixed at construction, then any number of
 * concurrent jot_verify calls. Order of checks: size, structure, algorithm,
 * crit, key, signature, claims, then the caller's hook (RFC 8725 3.1, 3.2).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jwk/jwk.h"
#include "jws/jws.h"
#include "jwt/jwt.h"

#define JOT_DEFAULT_MAX_SIZE 65536u

struct jot_verifier {
    jot_keyset *keys;
    unsigned algs;
    char *issuer, *audience, *subject, *typ;
    char **required;
    size_t required_count;
    int64_t leeway;
    size_t max_size;
    int64_t (*now)(void *ctx);
    void *now_ctx;
    jot_status (*check)(const jot_claims *claims, void *ctx);
    void *check_ctx;
    unsigned flags;
};

void jot_verify_policy_init(jot_verify_policy *p)
{
    if (p)
        memset(p, 0, sizeof *p);
}

void jot_verifier_free(jot_verifier *v)
{
    if (!v)
        return;
    jot_keyset_free(v->keys);
    free(v->issuer);
    free(v->audience);
    free(v->subject);
    free(v->typ);
    for (size_t i = 0; i < v->required_count; i++)
        free(v->required[i]);
    free(v->required);
    free(v);
}

unsigned jot_verifier_algs(const jot_verifier *v)
{
    return v ? v->algs : 0;
}

/* Copy an optional string; 0 on success. */
static int copy_opt(char **dst, const char *src)
{
    *dst = NULL;
    return src && !(*dst = jot__strdup(src)) ? -1 : 0;
}

jot_status jot_verifier_new(const jot_verify_policy *p, jot_verifier **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!p || !p->keys || jot_keyset_count(p->keys) == 0 || (p->algs & ~(unsigned)JOT_ALG_ALL) ||
        p->leeway < 0 || (p->required_count && !p->required))
        return JOT_E_ARG;

    /* What the keys can serve, and what they would serve but for their size. */
    unsigned fit = 0, weak = 0;
    for (size_t i = 0; i < jot_keyset_count(p->keys); i++) {
        const jot_key *k = jot_keyset_get(p->keys, i);
        for (int a = 1; a <= JOT_ALG_MAX; a++) {
            jot_status s = jot_key_fits(k, (jot_alg)a);
            if (s == JOT_OK)
                fit |= JOT_ALG_BIT(a);
            else if (s == JOT_E_WEAK_KEY)
                weak |= JOT_ALG_BIT(a);
        }
    }
    unsigned algs = p->algs ? p->algs : fit;
    /* RFC 7518 3.2: asking for HS512 with a 32-byte secret is an error of
     * configuration, not a token to reject later. */
    if (algs & weak & ~fit)
        return JOT_E_WEAK_KEY;
    /* An allowed algorithm that no key serves is not an error here: tokens
     * that use it are answered JOT_E_NO_KEY (an RSA key never becomes an
     * HMAC secret). Only a verifier that could accept nothing is refused. */
    if (!algs)
        return JOT_E_KEY_MISMATCH;

    jot_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return JOT_E_NOMEM;
    v->algs = algs;
    v->leeway = p->leeway;
    v->max_size = p->max_size ? p->max_size : JOT_DEFAULT_MAX_SIZE;
    v->now = p->now;
    v->now_ctx = p->now_ctx;
    v->check = p->check;
    v->check_ctx = p->check_ctx;
    v->flags = p->flags;
    jot_status s = jot_keyset_new(&v->keys);
    for (size_t i = 0; s == JOT_OK && i < jot_keyset_count(p->keys); i++)
        s = jot_keyset_add(v->keys, (jot_key *)(uintptr_t)jot_keyset_get(p->keys, i));
    if (s == JOT_OK && (copy_opt(&v->issuer, p->issuer) || copy_opt(&v->audience, p->audience) ||
                        copy_opt(&v->subject, p->subject) || copy_opt(&v->typ, p->typ)))
        s = JOT_E_NOMEM;
    if (s == JOT_OK && p->required_count) {
        v->required = calloc(p->required_count, sizeof *v->required);
        if (!v->required)
            s = JOT_E_NOMEM;
        for (size_t i = 0; s == JOT_OK && i < p->required_count; i++, v->required_count++)
            if (!p->required[i] || !(v->required[i] = jot__strdup(p->required[i])))
                s = p->required[i] ? JOT_E_NOMEM : JOT_E_ARG;
    }
    if (s != JOT_OK) {
        jot_verifier_free(v);
        return s;
    }
    *out = v;
    return JOT_OK;
}

/* RFC 7515 4.1.11: a "crit" this verifier does not understand rejects the
 * token. libjot understands no extension, so every well-formed "crit" is
 * refused too; the detail says which case it was. */
static jot_status check_crit(const json_t *header, jot_diag *d)
{
    static const char *const registered[] = {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256",
                                             "typ", "cty", "crit"};
    json_t *crit = json_object_get(header, "crit");
    if (!crit)
        return JOT_OK;
    if (!json_is_array(crit) || json_array_size(crit) == 0)
        return jot__fail(d, JOT_E_CRIT_UNSUPPORTED, "\"crit\" is not a non-empty array");
    size_t i;
    json_t *name;
    json_array_foreach(crit, i, name) {
        if (!json_is_string(name))
            return jot__fail(d, JOT_E_CRIT_UNSUPPORTED, "\"crit\" holds a non-string");
        for (size_t r = 0; r < sizeof registered / sizeof registered[0]; r++)
            if (strcmp(json_string_value(name), registered[r]) == 0)
                return jot__fail(d, JOT_E_CRIT_UNSUPPORTED, "\"crit\" names the registered parameter \"%s\"",
                                 registered[r]);
        if (!json_object_get(header, json_string_value(name)))
            return jot__fail(d, JOT_E_CRIT_UNSUPPORTED, "\"crit\" names a parameter absent from the header");
    }
    return jot__fail(d, JOT_E_CRIT_UNSUPPORTED, "\"crit\" names a parameter this verifier does not understand");
}

/* RFC 7515 4.1.4, 4.1.9, 4.1.10: kid, typ and cty are strings. */
static jot_status check_header_types(const json_t *header, jot_diag *d)
{
    static const char *const names[] = {"kid", "typ", "cty"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *m = json_object_get(header, names[i]);
        if (m && !json_is_string(m))
            return jot__fail(d, JOT_E_MALFORMED, "header \"%s\" is not a string", names[i]);
    }
    return JOT_OK;
}

/* Try the keys that may serve alg and kid (RFC 7515 4.1.4): with a kid, the
 * keys that carry that kid, and keys that carry none; without, every key
 * that fits. Embedded keys (jwk, jku, x5u, x5c) are never looked at. */
static jot_status check_signature(const jot_verifier *v, jot_alg alg, const char *token, const jot__jws *jws,
                                  const jot_key **used, jot_diag *d)
{
    const char *kid = json_string_value(json_object_get(jws->header, "kid"));
    int candidates = 0;
    for (size_t i = 0; i < jot_keyset_count(v->keys); i++) {
        const jot_key *k = jot_keyset_get(v->keys, i);
        if (kid && k->kid && strcmp(kid, k->kid) != 0)
            continue;
        if (jot_key_fits(k, alg) != JOT_OK)
            continue;
        candidates++;
        if (jot_sig_verify(k, alg, token, jws->signing_input_len, jws->sig, jws->sig_len) == JOT_OK) {
            *used = k;
            return JOT_OK;
        }
    }
    if (!candidates)
        return kid ? jot__fail(d, JOT_E_NO_KEY, "no %s key with kid \"%.64s\"", jot_alg_name(alg), kid)
                   : jot__fail(d, JOT_E_NO_KEY, "no key for %s", jot_alg_name(alg));
    return jot__fail(d, JOT_E_BAD_SIGNATURE, "%s signature does not verify", jot_alg_name(alg));
}

/* RFC 7515 4.1.9: media types compare case-insensitively and the
 * "application/" prefix may be left out. */
static const char *strip_application(const char *t)
{
    return strncasecmp(t, "application/", 12) == 0 ? t + 12 : t;
}

static int string_claim_equals(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want) && strcmp(json_string_value(v), want) == 0;
}

static jot_status check_audience(const json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return string_claim_equals(aud, want) ? JOT_OK : JOT_E_BAD_AUDIENCE;
    size_t i;
    json_t *a;
    json_array_foreach(aud, i, a) {
        if (string_claim_equals(a, want))
            return JOT_OK;
    }
    return JOT_E_BAD_AUDIENCE;
}

static jot_status check_claims(const jot_verifier *v, const json_t *header, const json_t *claims, jot_diag *d)
{
    /* A registered claim of the wrong JSON type makes the token malformed. */
    jot_status s = jot__claims_check_types(claims, JOT_E_MALFORMED, d);
    if (s != JOT_OK)
        return s;

    int64_t now = v->now ? v->now(v->now_ctx) : (int64_t)time(NULL);
    double lo = (double)now - (double)v->leeway, hi = (double)now + (double)v->leeway;
    json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    json_t *iat = json_object_get(claims, "iat");
    /* RFC 7519 4.1.4: expired on or after exp. */
    if (exp && lo >= json_number_value(exp))
        return jot__fail(d, JOT_E_EXPIRED, "expired at %.0f, now %lld", json_number_value(exp), (long long)now);
    if (nbf && hi < json_number_value(nbf))
        return jot__fail(d, JOT_E_NOT_YET_VALID, "not valid before %.0f, now %lld", json_number_value(nbf),
                         (long long)now);
    if (iat && hi < json_number_value(iat))
        return jot__fail(d, JOT_E_ISSUED_IN_FUTURE, "issued at %.0f, after now %lld", json_number_value(iat),
                         (long long)now);

    if (v->typ) {
        json_t *typ = json_object_get(header, "typ");
        if (!json_is_string(typ) || strlen(json_string_value(typ)) != json_string_length(typ) ||
            strcasecmp(strip_application(json_string_value(typ)), strip_application(v->typ)) != 0)
            return jot__fail(d, JOT_E_BAD_TYPE, "header \"typ\" is not \"%.64s\"", v->typ);
    }
    static const struct {
        size_t offset;
        const char *name;
        jot_status bad;
    } expect[] = {
        {offsetof(jot_verifier, issuer), "iss", JOT_E_BAD_ISSUER},
        {offsetof(jot_verifier, audience), "aud", JOT_E_BAD_AUDIENCE},
        {offsetof(jot_verifier, subject), "sub", JOT_E_BAD_SUBJECT},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const char *want = *(char *const *)(const void *)((const char *)v + expect[i].offset);
        if (!want)
            continue;
        json_t *got = json_object_get(claims, expect[i].name);
        if (!got)
            return jot__fail(d, JOT_E_MISSING_CLAIM, "claim \"%s\" is required", expect[i].name);
        int ok = i == 1 ? check_audience(got, want) == JOT_OK : string_claim_equals(got, want);
        if (!ok)
            return jot__fail(d, expect[i].bad, "claim \"%s\" is not \"%.64s\"", expect[i].name, want);
    }
    for (size_t i = 0; i < v->required_count; i++)
        if (!json_object_get(claims, v->required[i]))
            return jot__fail(d, JOT_E_MISSING_CLAIM, "claim \"%.64s\" is required", v->required[i]);
    return JOT_OK;
}

jot_status jot_verify(const jot_verifier *v, const char *token, size_t len, jot_claims **out, jot_diag *d)
{
    if (out)
        *out = NULL;
    if (!v || !token)
        return jot__fail(d, JOT_E_ARG, "no verifier or no token");
    if (len > v->max_size)
        return jot__fail(d, JOT_E_TOO_LARGE, "token is %zu bytes, the limit is %zu", len, v->max_size);

    jot__jws jws;
    jot_status s = jot__jws_parse(token, len, &jws, d);
    if (s != JOT_OK)
        return s;
    json_t *claims = NULL;
    if (!(v->flags & JOT_VERIFY_JWS_ONLY))
        s = jot__json_object((const char *)jws.payload, jws.payload_len, &claims, d, "payload");

    if (s == JOT_OK)
        s = check_header_types(jws.header, d);
    jot_alg alg = JOT_ALG_UNSET;
    if (s == JOT_OK) {
        json_t *a = json_object_get(jws.header, "alg");
        if (!json_is_string(a))
            s = jot__fail(d, JOT_E_ALG_NOT_ALLOWED, "header \"alg\" is missing or not a string");
        else if ((alg = jot_alg_from_name(json_string_value(a), json_string_length(a))) == JOT_ALG_UNSET)
            s = jot__fail(d, JOT_E_ALG_NOT_ALLOWED, "algorithm \"%.32s\" is not supported",
                          json_string_value(a));
        else if (!(v->algs & JOT_ALG_BIT(alg)))
            s = jot__fail(d, JOT_E_ALG_NOT_ALLOWED, "algorithm %s is not allowed", jot_alg_name(alg));
    }
    if (s == JOT_OK)
        s = check_crit(jws.header, d);
    const jot_key *key = NULL;
    if (s == JOT_OK)
        s = check_signature(v, alg, token, &jws, &key, d);
    if (s == JOT_OK && claims)
        s = check_claims(v, jws.header, claims, d);

    jot_claims *c = NULL;
    if (s == JOT_OK && (v->check || out)) {
        c = calloc(1, sizeof *c);
        if (!c) {
            s = jot__fail(d, JOT_E_NOMEM, "out of memory");
        } else {
            c->header = jws.header;
            c->payload = claims;
            c->raw = jws.payload;
            c->raw_len = jws.payload_len;
            c->alg = alg;
            c->key = jot__key_ref(key);
            jws.header = NULL;
            jws.payload = NULL;
            claims = NULL;
        }
    }
    if (s == JOT_OK && v->check) {
        s = v->check(c, v->check_ctx);
        if (s != JOT_OK)
            jot__fail(d, s, "%s", jot_strerror(s));
    }
    json_decref(claims);
    jot__jws_release(&jws);
    if (s != JOT_OK || !out) {
        jot_claims_free(c);
        return s;
    }
    *out = c;
    return JOT_OK;
}
