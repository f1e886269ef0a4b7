/*
 * fuzz_claims: claims validation (RFC 7519 4.1, 7.2 step 10; RFC 8725 3.8
 * to 3.11) behind a valid signature.
 *
 * Input: three option bytes, then the claims set (any bytes).
 *   byte 0, the policy: bit 0 iss, bit 1 aud, bit 2 sub, bit 3 typ (bit 4:
 *           "at+jwt" instead of "JWT"), bit 5 required jti and role, bit 6
 *           required exp, bit 7 a leeway in units of 10^7 s;
 *   byte 1, the leeway;
 *   byte 2, the header: bits 0-2 its typ (absent, "JWT", "jwt",
 *           "application/JWT", "at+jwt", "application/AT+JWT", the number 1,
 *           "JWTx"), bit 3 a kid.
 * The claims are signed as they are with a fixed HMAC key, and also, when
 * jot_builder_claims_json takes them, through the builder; each token is
 * verified with the policy the option bytes describe, at a fixed clock.
 *
 * Properties: no crash; the status is JOT_OK or one of the verification
 * codes a validly signed token can get (never a signature, key or
 * algorithm failure); and it agrees with a reference written here from the
 * contract with Jansson: "malformed" exactly when the claims are not a JSON
 * object, a registered claim has the wrong JSON type (or the header's typ
 * is not a string), or exp, nbf or iat is beyond int64 seconds (read here
 * from its text with strtoll and strtod); otherwise JOT_OK exactly when no
 * check fails, and a failure code only for a check that does fail. Numbers
 * beyond Jansson's range are valid JSON: Jansson then judges the claims
 * with their numbers made small (fz_zero_numbers). A token made by the
 * builder from the same claims gets the same answer. On JOT_OK the
 * accessors return what the policy demanded, and every NumericDate reads
 * with jot_claims_int.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jscan.h"
#include "fuzz_common.h"
#include "jws/jws.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NOW 1700000000
#define ISSUER "https://issuer.example"
#define AUDIENCE "api"
#define SUBJECT "alice"

static jot_key *key;
static int trace; /* JOT_FUZZ_TRACE set: one line per verification on stderr */
static jot_keyset *set;

static const char *const typs[8] = {NULL, "\"JWT\"", "\"jwt\"", "\"application/JWT\"", "\"at+jwt\"",
                                    "\"application/AT+JWT\"", "1", "\"JWTx\""};

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return FZ_NOW;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    trace = getenv("JOT_FUZZ_TRACE") != NULL;
    static const char secret[] = "fuzz_claims: a fixed HMAC secret of 48 bytes...";
    FZ_CHECK(jot_key_from_secret(secret, 48, &key) == JOT_OK, "key");
    FZ_CHECK(jot_key_set_kid(key, "claims") == JOT_OK, "kid");
    FZ_CHECK(jot_keyset_new(&set) == JOT_OK && jot_keyset_add(set, key) == JOT_OK, "key set");
    return 0;
}

typedef struct reference {
    int malformed;
    int fails[JOT_E_MISSING_CLAIM + 1]; /* by status: that check fails */
} reference;

static int string_is(const json_t *v, const char *want)
{
    return json_is_string(v) && json_string_length(v) == strlen(want) && memcmp(json_string_value(v), want,
                                                                                   strlen(want)) == 0;
}

/* RFC 7515 4.1.9: compared case-insensitively, "application/" optional. */
static const char *media(const char *t)
{
    return strncasecmp(t, "application/", 12) == 0 ? t + 12 : t;
}

/* A NumericDate's value (the number m as written, m from the scanner), and
 * whether it is within int64 seconds: an integer must fit int64 exactly, a
 * fraction or exponent form lie in [-2^63, 2^63). */
static int date_value(const jot__jmember *m, double *out)
{
    char *t = malloc(m->value_len + 1u);
    FZ_CHECK(t != NULL, "out of memory");
    memcpy(t, m->value, m->value_len);
    t[m->value_len] = '\0';
    int ok;
    *out = strtod(t, NULL);
    if (strpbrk(t, ".eE")) {
        ok = *out >= -0x1p63 && *out < 0x1p63;
    } else {
        errno = 0;
        (void)strtoll(t, NULL, 10);
        ok = errno != ERANGE;
    }
    free(t);
    return ok;
}

static void compute_reference(reference *r, const uint8_t *payload, size_t plen, const jot_verify_policy *p,
                              int typ_choice)
{
    memset(r, 0, sizeof *r);
    if (typ_choice == 6) { /* the header's typ is a number */
        r->malformed = 1;
        return;
    }
    json_t *c = NULL;
    jot__jdoc doc;
    if (jot__json_object((const char *)payload, plen, &c, NULL, "claims") != JOT_OK) {
        char *zeroed = fz_zero_numbers((const char *)payload, plen);
        jot_status s = jot__json_object(zeroed, plen, &c, NULL, "claims");
        free(zeroed);
        if (s != JOT_OK) {
            r->malformed = 1;
            return;
        }
    }
    /* The scanner's own bounds (fuzz_jscan checks they are the only
     * difference from Jansson) also make a payload malformed. */
    if (jot__jscan_object((const char *)payload, plen, &doc, NULL, "claims") != JOT_OK) {
        r->malformed = 1;
        json_decref(c);
        return;
    }

    static const char *const strings[] = {"iss", "sub", "jti"}, *const dates[] = {"exp", "nbf", "iat"};
    double date[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(c, strings[i]);
        if (v && !json_is_string(v))
            r->malformed = 1;
        v = json_object_get(c, dates[i]);
        if (v && !json_is_number(v))
            r->malformed = 1;
        if (v && json_is_number(v) && !date_value(jot__jdoc_get(&doc, dates[i]), &date[i]))
            r->malformed = 1;
    }
    jot__jdoc_release(&doc);
    json_t *aud = json_object_get(c, "aud");
    if (aud && !json_is_string(aud)) {
        if (!json_is_array(aud))
            r->malformed = 1;
        for (size_t i = 0; i < json_array_size(aud); i++)
            if (!json_is_string(json_array_get(aud, i)))
                r->malformed = 1;
    }
    if (r->malformed) {
        json_decref(c);
        return;
    }

    /* RFC 7519 4.1.4, 4.1.5, 4.1.6 with the leeway of RFC 7519 4.1.4. */
    double now = (double)FZ_NOW, lw = (double)p->leeway;
    r->fails[JOT_E_EXPIRED] = json_object_get(c, "exp") && now - lw >= date[0];
    r->fails[JOT_E_NOT_YET_VALID] = json_object_get(c, "nbf") && now + lw < date[1];
    r->fails[JOT_E_ISSUED_IN_FUTURE] = json_object_get(c, "iat") && now + lw < date[2];
    if (p->typ) {
        const char *t = typs[typ_choice];
        char buf[64];
        if (t) {
            size_t n = strlen(t) - 2;
            memcpy(buf, t + 1, n);
            buf[n] = '\0';
        }
        r->fails[JOT_E_BAD_TYPE] = !t || strcasecmp(media(buf), media(p->typ)) != 0;
    }
    if (p->issuer) {
        json_t *v = json_object_get(c, "iss");
        r->fails[JOT_E_MISSING_CLAIM] |= !v;
        r->fails[JOT_E_BAD_ISSUER] = v && !string_is(v, p->issuer);
    }
    if (p->audience) {
        r->fails[JOT_E_MISSING_CLAIM] |= !aud;
        int found = aud && string_is(aud, p->audience);
        for (size_t i = 0; aud && i < json_array_size(aud); i++)
            found |= string_is(json_array_get(aud, i), p->audience);
        r->fails[JOT_E_BAD_AUDIENCE] = aud && !found;
    }
    if (p->subject) {
        json_t *v = json_object_get(c, "sub");
        r->fails[JOT_E_MISSING_CLAIM] |= !v;
        r->fails[JOT_E_BAD_SUBJECT] = v && !string_is(v, p->subject);
    }
    for (size_t i = 0; i < p->required_count; i++)
        r->fails[JOT_E_MISSING_CLAIM] |= !json_object_get(c, p->required[i]);
    json_decref(c);
}

static int any_failure(const reference *r)
{
    for (int i = 0; i <= JOT_E_MISSING_CLAIM; i++)
        if (r->fails[i])
            return 1;
    return 0;
}

static void check_ok_result(const jot_claims *c, const jot_verify_policy *p)
{
    const char *s;
    size_t n, len;
    char *json = NULL;
    FZ_CHECK(jot_claims_json(c, NULL, &json) == JOT_OK, "the claims of a verified token do not dump");
    jot_free(json);
    if (p->issuer)
        FZ_CHECK(jot_claims_string(c, "iss", &s, &len) == JOT_OK && strcmp(s, ISSUER) == 0 && len == strlen(s),
                 "verified iss is not the policy's");
    if (p->subject)
        FZ_CHECK(jot_claims_string(c, "sub", &s, &len) == JOT_OK && strcmp(s, SUBJECT) == 0, "verified sub");
    if (p->audience) {
        int found = 0;
        FZ_CHECK(jot_claims_array_len(c, "aud", &n) == JOT_OK && n > 0, "verified aud has no member");
        for (size_t i = 0; i < n; i++) {
            FZ_CHECK(jot_claims_array_string(c, "aud", i, &s, &len) == JOT_OK, "aud[%zu]", i);
            found |= strcmp(s, AUDIENCE) == 0 && len == strlen(AUDIENCE);
        }
        FZ_CHECK(found, "verified aud does not hold the audience");
    }
    for (size_t i = 0; i < p->required_count; i++) {
        FZ_CHECK(jot_claims_json(c, p->required[i], &json) == JOT_OK, "required claim %s", p->required[i]);
        jot_free(json);
    }
    static const char *const dates[] = {"exp", "nbf", "iat"};
    for (int i = 0; i < 3; i++) {
        int64_t v;
        jot_status st = jot_claims_int(c, dates[i], &v);
        FZ_CHECK(st == JOT_OK || st == JOT_E_NOT_FOUND, "verified %s does not read as an integer: %s", dates[i],
                 jot_status_code(st));
    }
}

static void check_status(jot_status s, const reference *r, const jot_diag *d, const char *how)
{
    if (trace)
        fprintf(stderr, "fuzz_claims: %s %s %s\n", how, jot_status_code(s), d->text);
    FZ_CHECK(s == JOT_OK || s == JOT_E_MALFORMED || (s >= JOT_E_EXPIRED && s <= JOT_E_MISSING_CLAIM),
             "%s: status %d (%s) for a validly signed token: %s", how, (int)s, jot_status_code(s), d->text);
    if (r->malformed) {
        FZ_CHECK(s == JOT_E_MALFORMED, "%s: malformed claims answered %s", how, jot_status_code(s));
        return;
    }
    FZ_CHECK(s != JOT_E_MALFORMED, "%s: well-typed claims answered malformed: %s", how, d->text);
    if (s == JOT_OK)
        FZ_CHECK(!any_failure(r), "%s: accepted, but a check fails (expired %d nbf %d iat %d typ %d iss %d aud %d "
                 "sub %d missing %d)", how, r->fails[JOT_E_EXPIRED], r->fails[JOT_E_NOT_YET_VALID],
                 r->fails[JOT_E_ISSUED_IN_FUTURE], r->fails[JOT_E_BAD_TYPE], r->fails[JOT_E_BAD_ISSUER],
                 r->fails[JOT_E_BAD_AUDIENCE], r->fails[JOT_E_BAD_SUBJECT], r->fails[JOT_E_MISSING_CLAIM]);
    else
        FZ_CHECK(r->fails[s], "%s: rejected as %s, which the reference does not find: %s", how,
                 jot_status_code(s), d->text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    if (!data)
        data = empty; /* libFuzzer may pass NULL for an empty input */
    if (size < 3)
        return 0;
    uint8_t opt = data[0], lw = data[1], hsel = data[2];
    const uint8_t *payload = data + 3;
    size_t plen = size - 3;
    int typ_choice = hsel & 7;

    static const char *const required[] = {"jti", "role", "exp"};
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = set;
    p.now = fixed_now;
    p.issuer = opt & 1 ? ISSUER : NULL;
    p.audience = opt & 2 ? AUDIENCE : NULL;
    p.subject = opt & 4 ? SUBJECT : NULL;
    p.typ = opt & 8 ? (opt & 16 ? "at+jwt" : "JWT") : NULL;
    p.required = opt & 32 ? required : required + 2;
    p.required_count = (opt & 32 ? 2u : 0u) + (opt & 64 ? 1u : 0u);
    p.leeway = (int64_t)lw * (opt & 128 ? 10000000 : 1);
    jot_verifier *v = NULL;
    jot_status s = jot_verifier_new(&p, &v);
    FZ_CHECK(s == JOT_OK, "verifier: %s", jot_strerror(s));

    reference ref;
    compute_reference(&ref, payload, plen, &p, typ_choice);

    /* The claims signed as they are. */
    char header[128];
    snprintf(header, sizeof header, "{\"alg\":\"HS256\"%s%s%s}", typs[typ_choice] ? ",\"typ\":" : "",
             typs[typ_choice] ? typs[typ_choice] : "", hsel & 8 ? ",\"kid\":\"claims\"" : "");
    char *tok = NULL;
    s = jot__jws_compose(key, JOT_HS256, header, strlen(header), payload, plen, &tok);
    FZ_CHECK(s == JOT_OK, "signing: %s", jot_strerror(s));
    jot_claims *c = NULL;
    jot_diag d;
    jot_diag_init(&d);
    jot_status s1 = jot_verify(v, tok, strlen(tok), &c, &d);
    check_status(s1, &ref, &d, "raw");
    if (c)
        check_ok_result(c, &p);
    jot_claims_free(c);
    jot_free(tok);

    /* The same claims through the builder (typ as a string or absent). */
    jot_builder *b = NULL;
    FZ_CHECK(jot_builder_new(&b) == JOT_OK, "builder");
    s = jot_builder_claims_json(b, (const char *)payload, plen);
    FZ_CHECK(s == JOT_OK || s == JOT_E_MALFORMED || s == JOT_E_TYPE, "jot_builder_claims_json: %s",
             jot_strerror(s));
    FZ_CHECK(s == JOT_OK || ref.malformed, "the builder refuses claims the verifier finds well-formed: %s",
             jot_strerror(s));
    if (s == JOT_OK && typ_choice != 6) {
        char typ[32] = {0};
        if (typs[typ_choice])
            memcpy(typ, typs[typ_choice] + 1, strlen(typs[typ_choice]) - 2);
        FZ_CHECK(jot_builder_header_string(b, "typ", typs[typ_choice] ? typ : NULL) == JOT_OK, "typ");
        s = jot_builder_sign(b, key, JOT_HS256, &tok);
        FZ_CHECK(s == JOT_OK, "builder sign: %s", jot_strerror(s));
        jot_diag_init(&d);
        jot_status s2 = jot_verify(v, tok, strlen(tok), &c, &d);
        check_status(s2, &ref, &d, "builder");
        FZ_CHECK(s2 == s1, "the builder's token is answered %s, the same claims signed as given %s",
                 jot_status_code(s2), jot_status_code(s1));
        if (c)
            check_ok_result(c, &p);
        jot_claims_free(c);
        jot_free(tok);
    }
    jot_builder_free(b);
    jot_verifier_free(v);
    return 0;
}
