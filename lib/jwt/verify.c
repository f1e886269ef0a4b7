/*
 * The verifier: a policy fixed at construction, then any number of
 * concurrent jot_verify calls. Order of checks: size, structure, algorithm,
 * crit, key, signature, claims, then the caller's hook (RFC 8725 3.1, 3.2).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/key.h"
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
    int (*revoked)(const char *jti, size_t len, void *ctx);
    void *revoked_ctx;
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
    v->revoked = p->revoked;
    v->revoked_ctx = p->revoked_ctx;
    jot_status s = jot_keyset_new(&v->keys);
    for (size_t i = 0; s == JOT_OK && i < jot_keyset_count(p->keys); i++)
        s = jot_keyset_add(v->keys, jot_keyset_get(p->keys, i));
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
static jot_status check_crit(const jot__jws *jws, jot_diag *d)
{
    static const char *const registered[] = {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256",
                                             "typ", "cty", "crit"};
    const jot__jmember *crit = jot__jdoc_reg(&jws->hdoc, JOT__R_CRIT);
    if (!crit)
        return JOT_OK;
    const char *why = "\"crit\" names a parameter this verifier does not understand";
    size_t pos = 0;
    jot__jmember el;
    if (crit->type != JOT__J_ARRAY || !jot__jarray_next(crit->value, crit->value_len, &pos, &el))
        why = "\"crit\" is not a non-empty array";
    else
        do {
            if (el.type != JOT__J_STRING) {
                why = "\"crit\" holds a non-string";
                break;
            }
            char *name = malloc(el.value_len + 1u);
            if (!name)
                return jot__fail(d, JOT_E_NOMEM, "out of memory");
            jot__jstr_decode(el.value, el.value_len, el.value_escaped, name);
            for (size_t r = 0; r < sizeof registered / sizeof registered[0]; r++)
                if (strcmp(name, registered[r]) == 0)
                    why = "\"crit\" names a registered parameter";
            if (!jot__jdoc_get(&jws->hdoc, name))
                why = "\"crit\" names a parameter absent from the header";
            free(name);
        } while (jot__jarray_next(crit->value, crit->value_len, &pos, &el));
    return jot__fail(d, JOT_E_CRIT_UNSUPPORTED, "%s", why);
}

/* A string member's decoded value in buf (cap bytes), or NULL when absent
 * or too long. */
static const char *member_string(const jot__jmember *m, char *buf, size_t cap)
{
    if (!m || m->type != JOT__J_STRING || m->value_len >= cap)
        return NULL;
    jot__jstr_decode(m->value, m->value_len, m->value_escaped, buf);
    return buf;
}

/* RFC 7515 4.1.4, 4.1.9, 4.1.10: kid, typ and cty are strings. */
static jot_status check_header_types(const jot__jdoc *h, jot_diag *d)
{
    static const struct {
        jot__reg reg;
        const char *name;
    } members[] = {{JOT__R_KID, "kid"}, {JOT__R_TYP, "typ"}, {JOT__R_CTY, "cty"}};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        const jot__jmember *m = jot__jdoc_reg(h, members[i].reg);
        if (m && m->type != JOT__J_STRING)
            return jot__fail(d, JOT_E_MALFORMED, "header \"%s\" is not a string", members[i].name);
    }
    return JOT_OK;
}

static jot_status check_alg(const jot_verifier *v, const jot__jdoc *h, jot_alg *alg, jot_diag *d)
{
    char name[64]; /* an alg name is 5 characters, each up to 6 when escaped */
    const jot__jmember *m = jot__jdoc_reg(h, JOT__R_ALG);
    if (!m || m->type != JOT__J_STRING)
        return jot__fail(d, JOT_E_ALG_NOT_ALLOWED, "header \"alg\" is missing or not a string");
    const char *a = member_string(m, name, sizeof name);
    *alg = a ? jot_alg_from_name(a, strlen(a)) : JOT_ALG_UNSET;
    if (*alg == JOT_ALG_UNSET)
        return jot__fail(d, JOT_E_ALG_NOT_ALLOWED, "algorithm \"%.32s\" is not supported",
                         a ? a : "(too long)");
    if (!(v->algs & JOT_ALG_BIT(*alg)))
        return jot__fail(d, JOT_E_ALG_NOT_ALLOWED, "algorithm %s is not allowed", jot_alg_name(*alg));
    return JOT_OK;
}

/* Try the keys that may serve alg and kid (RFC 7515 4.1.4): with a kid, the
 * keys that carry that kid (a key that carries none answers any kid only
 * when it is the verifier's one key); without, every key that fits.
 * Embedded keys (jwk, jku, x5u, x5c) are never looked at. */
static jot_status check_signature(const jot_verifier *v, jot_alg alg, const jot__jws *jws, const jot_key **used,
                                  jot_diag *d)
{
    const jot__jmember *kid = jot__jdoc_reg(&jws->hdoc, JOT__R_KID);
    int candidates = 0;
    size_t nkeys = jot_keyset_count(v->keys);
    for (size_t i = 0; i < nkeys; i++) {
        const jot_key *k = jot_keyset_get(v->keys, i);
        if (kid && (k->kid ? !jot__jstr_equals(kid->value, kid->value_len, kid->value_escaped, k->kid, strlen(k->kid))
                           : nkeys > 1))
            continue;
        if (jot_key_fits(k, alg) != JOT_OK)
            continue;
        candidates++;
        if (jot__jws_verify(jws, k, alg) == JOT_OK) {
            *used = k;
            return JOT_OK;
        }
    }
    if (!candidates) {
        char buf[65];
        const char *name = member_string(kid, buf, sizeof buf);
        return kid ? jot__fail(d, JOT_E_NO_KEY, "no %s key with kid \"%s\"", jot_alg_name(alg), name ? name : "...")
                   : jot__fail(d, JOT_E_NO_KEY, "no key for %s", jot_alg_name(alg));
    }
    return jot__fail(d, JOT_E_BAD_SIGNATURE, "%s signature does not verify", jot_alg_name(alg));
}

/* RFC 7515 4.1.9: media types compare case-insensitively and the
 * "application/" prefix may be left out. */
static const char *strip_application(const char *t)
{
    return strncasecmp(t, "application/", 12) == 0 ? t + 12 : t;
}

static int string_equals(const jot__jmember *m, const char *want)
{
    return m->type == JOT__J_STRING && jot__jstr_equals(m->value, m->value_len, m->value_escaped, want, strlen(want));
}

/* RFC 7519 4.1.3: aud is a string or an array of strings. */
static int audience_contains(const jot__jmember *aud, const char *want)
{
    if (aud->type == JOT__J_STRING)
        return string_equals(aud, want);
    size_t pos = 0;
    jot__jmember el;
    while (jot__jarray_next(aud->value, aud->value_len, &pos, &el))
        if (string_equals(&el, want))
            return 1;
    return 0;
}

const char *jot__claim_date_range_error(const jot__jmember *m)
{
    int64_t secs;
    return jot__jnum_int64(m, &secs) != 0 ? "is out of range for a NumericDate (int64 seconds)" : NULL;
}

const char *jot__claim_audience_error(const jot__jmember *m)
{
    size_t pos = 0;
    jot__jmember el;
    if (m->type != JOT__J_ARRAY)
        return "is neither a string nor an array";
    while (jot__jarray_next(m->value, m->value_len, &pos, &el))
        if (el.type != JOT__J_STRING)
            return "holds a non-string";
    return NULL;
}

static jot_status check_claim_types(const jot__jdoc *p, jot_diag *d)
{
    /* The order decides which claim the detail names when several are wrong. */
    static const jot__reg order[] = {JOT__R_ISS, JOT__R_EXP, JOT__R_SUB, JOT__R_NBF,
                                     JOT__R_JTI, JOT__R_IAT, JOT__R_AUD};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const jot__jmember *m = jot__jdoc_reg(p, order[i]);
        const char *why = m ? jot__claim_type_error(jot__reg_names[order[i]], m) : NULL;
        if (why)
            return jot__fail(d, JOT_E_MALFORMED, "claim \"%s\" %s", jot__reg_names[order[i]], why);
    }
    return JOT_OK;
}

static jot_status check_claims(const jot_verifier *v, const jot__jdoc *h, const jot__jdoc *p, jot_diag *d)
{
    jot_status s = check_claim_types(p, d);
    if (s != JOT_OK)
        return s;

    int64_t now = v->now ? v->now(v->now_ctx) : (int64_t)time(NULL);
    double lo = (double)now - (double)v->leeway, hi = (double)now + (double)v->leeway;
    const jot__jmember *exp = jot__jdoc_reg(p, JOT__R_EXP), *nbf = jot__jdoc_reg(p, JOT__R_NBF);
    const jot__jmember *iat = jot__jdoc_reg(p, JOT__R_IAT);
    /* RFC 7519 4.1.4: expired on or after exp. */
    if (exp && lo >= jot__jnum_value(exp))
        return jot__fail(d, JOT_E_EXPIRED, "expired at %.0f, now %lld", jot__jnum_value(exp), (long long)now);
    if (nbf && hi < jot__jnum_value(nbf))
        return jot__fail(d, JOT_E_NOT_YET_VALID, "not valid before %.0f, now %lld", jot__jnum_value(nbf),
                         (long long)now);
    if (iat && hi < jot__jnum_value(iat))
        return jot__fail(d, JOT_E_ISSUED_IN_FUTURE, "issued at %.0f, after now %lld", jot__jnum_value(iat),
                         (long long)now);

    if (v->typ) {
        char buf[256];
        const char *typ = member_string(jot__jdoc_reg(h, JOT__R_TYP), buf, sizeof buf);
        if (!typ ||
            strcasecmp(strip_application(typ), strip_application(v->typ)) != 0)
            return jot__fail(d, JOT_E_BAD_TYPE, "header \"typ\" is not \"%.64s\"", v->typ);
    }
    const jot__jmember *m;
    if (v->issuer && !(m = jot__jdoc_reg(p, JOT__R_ISS)))
        return jot__fail(d, JOT_E_MISSING_CLAIM, "claim \"iss\" is required");
    if (v->issuer && !string_equals(m, v->issuer))
        return jot__fail(d, JOT_E_BAD_ISSUER, "claim \"iss\" is not \"%.64s\"", v->issuer);
    if (v->audience && !(m = jot__jdoc_reg(p, JOT__R_AUD)))
        return jot__fail(d, JOT_E_MISSING_CLAIM, "claim \"aud\" is required");
    if (v->audience && !audience_contains(m, v->audience))
        return jot__fail(d, JOT_E_BAD_AUDIENCE, "claim \"aud\" does not contain \"%.64s\"", v->audience);
    if (v->subject && !(m = jot__jdoc_reg(p, JOT__R_SUB)))
        return jot__fail(d, JOT_E_MISSING_CLAIM, "claim \"sub\" is required");
    if (v->subject && !string_equals(m, v->subject))
        return jot__fail(d, JOT_E_BAD_SUBJECT, "claim \"sub\" is not \"%.64s\"", v->subject);
    for (size_t i = 0; i < v->required_count; i++)
        if (!jot__jdoc_get(p, v->required[i]))
            return jot__fail(d, JOT_E_MISSING_CLAIM, "claim \"%.64s\" is required", v->required[i]);
    return JOT_OK;
}

/* The policy's revocation callback, on the token's jti (claims checked:
 * a jti that is present is a string). */
static jot_status check_revoked(const jot_verifier *v, const jot_claims *c, jot_diag *d)
{
    const char *jti;
    size_t len;
    jot_status s = c->has_pdoc ? jot_claims_string(c, "jti", &jti, &len) : JOT_E_NOT_FOUND;
    if (s == JOT_E_NOT_FOUND)
        return jot__fail(d, JOT_E_MISSING_CLAIM, "the token has no jti to check for revocation");
    if (s != JOT_OK)
        return jot__fail(d, JOT_E_MALFORMED, "jti is not a string");
    if (v->revoked(jti, len, v->revoked_ctx))
        return jot__fail(d, JOT_E_REVOKED, "the token's jti is revoked");
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

    /* One allocation for the whole verification: the result and the
     * decoded token it points into. */
    jot_claims *c = malloc(sizeof *c + JOT__JWS_BUF(len));
    if (!c)
        return jot__fail(d, JOT_E_NOMEM, "out of memory");
    c->has_pdoc = 0;
    c->alg = JOT_ALG_UNSET;
    c->key = NULL;
    c->strings = NULL;

    jot_status s = jot__jws_parse_header(token, len, c->buf, &c->jws, d);
    if (s != JOT_OK) {
        free(c);
        return s;
    }
    /* A header with "crit" is judged before the payload is even decoded:
     * RFC 7797's "b64":false announces a payload that is not base64url,
     * and such a token must be refused for its crit, not as malformed. */
    int crit = jot__jdoc_reg(&c->jws.hdoc, JOT__R_CRIT) != NULL;
    if (crit) {
        s = check_header_types(&c->jws.hdoc, d);
        if (s == JOT_OK)
            s = check_alg(v, &c->jws.hdoc, &c->alg, d);
        if (s == JOT_OK)
            s = check_crit(&c->jws, d);
    }
    if (s == JOT_OK)
        s = jot__jws_parse_rest(&c->jws, d);
    if (s == JOT_OK && !(v->flags & JOT_VERIFY_JWS_ONLY)) {
        s = jot__jscan_object(c->jws.payload, c->jws.payload_len, &c->pdoc, d, "payload");
        c->has_pdoc = s == JOT_OK;
    }
    if (s == JOT_OK && !crit)
        s = check_header_types(&c->jws.hdoc, d);
    if (s == JOT_OK && !crit)
        s = check_alg(v, &c->jws.hdoc, &c->alg, d);
    const jot_key *key = NULL;
    if (s == JOT_OK)
        s = check_signature(v, c->alg, &c->jws, &key, d);
    if (s == JOT_OK && c->has_pdoc)
        s = check_claims(v, &c->jws.hdoc, &c->pdoc, d);
    if (s == JOT_OK) {
        /* Borrowed, not referenced: the verifier holds the key, and an
         * atomic count touched by every verification would make threads
         * sharing a verifier fight over one cache line. */
        c->key = key;
        if (v->revoked)
            s = check_revoked(v, c, d);
        if (s == JOT_OK && v->check && (s = v->check(c, v->check_ctx)) != JOT_OK)
            jot__fail(d, s, "%s", jot_strerror(s));
    }
    if (s != JOT_OK || !out) {
        jot_claims_free(c);
        return s;
    }
    *out = c;
    return JOT_OK;
}
