/*
 * fuzz_verify: token verification (RFC 7515 5.2, RFC 7519 7.2) against keys
 * of every type: HMAC secrets (HS256/384/512), RSA (RS*, PS*), P-256,
 * P-384, P-521 (ES*), Ed25519 and Ed448 (EdDSA). The keys are the files of
 * fuzz/keys/, loaded once; the verifiers hold their PUBLIC halves only (an
 * HMAC key is its secret), so that an asymmetric signature can verify only
 * if it was made with the private half - by the seed generator, or by this
 * target in raw mode - or if the fuzzer forged one, which must never happen.
 *
 * Two verifiers see every input: one for JWTs (claims checked, a fixed
 * clock at which the RFC 7515 A.1 claims are valid) and one for plain JWS
 * (JOT_VERIFY_JWS_ONLY).
 *
 * Inputs:
 *  - a token, verbatim (the default);
 *  - raw mode, when the first byte is 0x00: 0x00, a selector byte S, the
 *    protected header bytes, 0x00, the payload bytes. The target signs
 *    BASE64URL(header) "." BASE64URL(payload) itself with the private key
 *    and algorithm S picks (bit 7 of S: flip a bit of the signature), so
 *    that the fuzzer explores headers and claims behind a valid signature.
 *
 * Properties:
 *  - jot_verify gives only JOT_OK or a verification failure code;
 *  - whatever is accepted by the JWT verifier is accepted by the JWS one,
 *    and a claim failure never hides a signature failure (RFC 8725 3.1;
 *    DESIGN.md: a signature failure always wins);
 *  - a token accepted was signed by one of the keys: its segments are
 *    canonical base64url; for HMAC, RS* and EdDSA (deterministic) signing
 *    its header and payload bytes again with the private key reproduces
 *    the token byte for byte; every asymmetric signature also verifies under
 *    OpenSSL called directly (an oracle independent of lib/crypto, which
 *    checks the exact signature length, R||S in the curve's size, and the
 *    PSS salt length);
 *  - the header's "alg" is the algorithm the token was verified with, and
 *    in raw mode the one it was signed with, by that key (no confusion);
 *  - a token accepted re-verifies after a decode/encode round trip
 *    (jot_decode_unverified, then jot_jws_sign of the decoded JSON texts),
 *    with the same claims, header, algorithm and key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "fuzz_common.h"
#include "jws/jws.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NOW 1300819370

static fz_keys keys;
static jot_key **pub;     /* what the verifiers hold: public halves, HMAC secrets */
static EVP_PKEY **oracle; /* the same public keys, for OpenSSL directly; NULL for HMAC */
static jot_verifier *v_jwt, *v_jws;
static int trace; /* JOT_FUZZ_TRACE set: one line per verification on stderr */

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
    fz_load_keys(&keys);
    pub = calloc(keys.count, sizeof *pub);
    oracle = calloc(keys.count, sizeof *oracle);
    jot_keyset *set = NULL;
    FZ_CHECK(pub && oracle && jot_keyset_new(&set) == JOT_OK, "out of memory");
    for (size_t i = 0; i < keys.count; i++) {
        jot_key *k = keys.priv[i];
        FZ_CHECK(jot_key_is_private(k), "%s: the fuzz keys must be private", keys.names[i]);
        if (jot_key_type(k) == JOT_KTY_OCT) {
            char *jwk = NULL;
            FZ_CHECK(jot_key_to_jwk(k, JOT_JWK_PRIVATE, &jwk) == JOT_OK, "%s", keys.names[i]);
            FZ_CHECK(jot_key_from_jwk(jwk, strlen(jwk), &pub[i]) == JOT_OK, "%s", keys.names[i]);
            jot_free(jwk);
        } else {
            char *jwk = NULL, *pem = NULL;
            FZ_CHECK(jot_key_to_jwk(k, JOT_JWK_PUBLIC, &jwk) == JOT_OK, "%s", keys.names[i]);
            FZ_CHECK(jot_key_from_jwk(jwk, strlen(jwk), &pub[i]) == JOT_OK, "%s", keys.names[i]);
            FZ_CHECK(!jot_key_is_private(pub[i]), "%s", keys.names[i]);
            FZ_CHECK(jot_key_to_pem(k, JOT_JWK_PUBLIC, &pem) == JOT_OK, "%s", keys.names[i]);
            BIO *b = BIO_new_mem_buf(pem, -1);
            oracle[i] = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
            FZ_CHECK(oracle[i] != NULL, "%s: OpenSSL cannot read the public key", keys.names[i]);
            BIO_free(b);
            jot_free(jwk);
            jot_free(pem);
        }
        FZ_CHECK(jot_keyset_add(set, pub[i]) == JOT_OK, "out of memory");
    }
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = set;
    p.now = fixed_now;
    jot_status s = jot_verifier_new(&p, &v_jwt);
    FZ_CHECK(s == JOT_OK, "JWT verifier: %s", jot_strerror(s));
    p.flags = JOT_VERIFY_JWS_ONLY;
    s = jot_verifier_new(&p, &v_jws);
    FZ_CHECK(s == JOT_OK, "JWS verifier: %s", jot_strerror(s));
    FZ_CHECK(jot_verifier_algs(v_jwt) == JOT_ALG_ALL, "the fuzz keys must serve every algorithm");
    jot_keyset_free(set);
    return 0;
}

static int is_deterministic(jot_alg a)
{
    return a <= JOT_RS512 || a == JOT_EDDSA;
}

static const EVP_MD *md_of(jot_alg a)
{
    switch (a) {
    case JOT_RS256: case JOT_PS256: case JOT_ES256: return EVP_sha256();
    case JOT_RS384: case JOT_PS384: case JOT_ES384: return EVP_sha384();
    case JOT_RS512: case JOT_PS512: case JOT_ES512: return EVP_sha512();
    default: return NULL;
    }
}

/* The oracle: the JWA rules (RFC 7518 3.3-3.5, RFC 8037 3.1) checked with
 * OpenSSL directly. 1 when the signature is valid. */
static int oracle_verify(EVP_PKEY *pk, jot_alg a, const void *msg, size_t n, const uint8_t *sig, size_t sig_len)
{
    uint8_t der[256];
    const EVP_MD *md = md_of(a);
    int ok = 0;
    if (a >= JOT_RS256 && a <= JOT_PS512 && (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
                                             sig_len != (size_t)EVP_PKEY_get_size(pk)))
        return 0; /* RFC 8017 8.2.2 step 1: exactly k octets */
    if (a >= JOT_ES256 && a <= JOT_ES512) {
        size_t clen = ((size_t)EVP_PKEY_get_bits(pk) + 7) / 8;
        static const int bits[] = {256, 384, 521};
        if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC || EVP_PKEY_get_bits(pk) != bits[a - JOT_ES256] ||
            sig_len != 2 * clen)
            return 0; /* RFC 7518 3.4: R || S, each the curve's size */
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, (int)clen, NULL), *s = BN_bin2bn(sig + clen, (int)clen, NULL);
        FZ_CHECK(es && r && s && ECDSA_SIG_set0(es, r, s), "out of memory");
        unsigned char *p = der;
        int dl = i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        FZ_CHECK(dl > 0 && (size_t)dl <= sizeof der, "i2d_ECDSA_SIG");
        sig = der;
        sig_len = (size_t)dl;
    }
    if (a == JOT_EDDSA && EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 && EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED448)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    FZ_CHECK(ctx != NULL, "out of memory");
    if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pk) == 1) {
        ok = 1;
        if (a >= JOT_PS256 && a <= JOT_PS512)
            ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
        ok = ok && EVP_DigestVerify(ctx, sig, sig_len, msg, n) == 1;
    }
    EVP_MD_CTX_free(ctx);
    return ok;
}

static size_t key_index(const jot_key *k)
{
    for (size_t i = 0; i < keys.count; i++)
        if (pub[i] == k)
            return i;
    FZ_CHECK(0, "the verifying key is not one of the verifier's keys");
    __builtin_unreachable();
}

/* Decode a segment, and check that it is the one encoding of its bytes. */
static uint8_t *segment(const char *s, size_t n, size_t *out_len)
{
    uint8_t *b = malloc(JOT__B64_DEC_MAX(n) + 1);
    FZ_CHECK(b != NULL, "out of memory");
    FZ_CHECK(jot__b64url_decode(s, n, b, out_len) == 0, "an accepted token has a segment that is not base64url");
    char *e = malloc(JOT__B64_ENC_LEN(*out_len) + 1);
    FZ_CHECK(e != NULL, "out of memory");
    jot__b64url_encode(b, *out_len, e);
    FZ_CHECK(JOT__B64_ENC_LEN(*out_len) == n && memcmp(e, s, n) == 0, "an accepted segment is not canonical");
    free(e);
    return b;
}

static char *claims_json(const jot_claims *c, int header)
{
    char *out = NULL;
    jot_status s = header ? jot_claims_header_json(c, &out) : jot_claims_json(c, NULL, &out);
    FZ_CHECK(s == JOT_OK && out, "reading the %s of a verified token: %s", header ? "header" : "claims",
             jot_strerror(s));
    return out;
}

/* Everything that must hold of a token v accepted as c. */
static void check_accepted(const jot_verifier *v, const char *token, size_t len, const jot_claims *c)
{
    int jwt = v == v_jwt;
    jot_alg alg = jot_claims_alg(c);
    const jot_key *vk = jot_claims_key(c);
    FZ_CHECK(jot_alg_name(alg) != NULL, "accepted under no algorithm");
    size_t idx = key_index(vk);
    FZ_CHECK(jot_key_fits(vk, alg) == JOT_OK, "%s accepted with a %s key that does not fit it", jot_alg_name(alg),
             keys.names[idx]);

    const char *d1 = memchr(token, '.', len);
    FZ_CHECK(d1 != NULL, "accepted without a dot");
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    FZ_CHECK(d2 != NULL && !memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)), "accepted without 3 segments");
    size_t hl, pl, sl, si_len = (size_t)(d2 - token);
    uint8_t *h = segment(token, (size_t)(d1 - token), &hl);
    uint8_t *p = segment(d1 + 1, (size_t)(d2 - d1 - 1), &pl);
    uint8_t *sig = segment(d2 + 1, len - si_len - 1, &sl);

    /* The header's alg is the algorithm used (read here with Jansson, its
     * numbers made small enough for it). */
    json_t *hj = NULL;
    char *hz = fz_zero_numbers((const char *)h, hl);
    FZ_CHECK(jot__json_object(hz, hl, &hj, NULL, "header") == JOT_OK, "Jansson refuses the header");
    free(hz);
    json_t *a = json_object_get(hj, "alg");
    FZ_CHECK(json_is_string(a) && strcmp(json_string_value(a), jot_alg_name(alg)) == 0,
             "verified as %s, the header says otherwise", jot_alg_name(alg));
    json_decref(hj);
    const uint8_t *vp;
    size_t vpl;
    jot_claims_payload(c, &vp, &vpl);
    FZ_CHECK(vpl == pl && memcmp(vp, p, pl) == 0, "the verified payload is not the token's");

    /* Signed by the key: reproduced, and checked by the oracle. */
    if (is_deterministic(alg)) {
        char *again = NULL;
        jot_status s = jot__jws_compose(keys.priv[idx], alg, (const char *)h, hl, p, pl, &again);
        FZ_CHECK(s == JOT_OK, "re-signing with %s: %s", keys.names[idx], jot_strerror(s));
        FZ_CHECK(strlen(again) == len && memcmp(again, token, len) == 0,
                 "%s accepted a %s token that its private key does not produce", keys.names[idx],
                 jot_alg_name(alg));
        jot_free(again);
    }
    if (oracle[idx])
        FZ_CHECK(oracle_verify(oracle[idx], alg, token, si_len, sig, sl),
                 "%s accepted a %s signature that OpenSSL refuses", keys.names[idx], jot_alg_name(alg));

    /* The decode/encode round trip. */
    char *hdr = NULL, *pay = NULL, *tok2 = NULL;
    jot_status s = jot_decode_unverified(token, len, len, &hdr, &pay, NULL);
    if (jwt)
        FZ_CHECK(s == JOT_OK, "a verified JWT does not decode: %s", jot_strerror(s));
    else
        FZ_CHECK(s == JOT_OK || s == JOT_E_MALFORMED, "decoding a verified JWS: %s", jot_strerror(s));
    if (s == JOT_OK) {
        s = jot_jws_sign(keys.priv[idx], alg, hdr, strlen(hdr), pay, strlen(pay), &tok2);
        FZ_CHECK(s == JOT_OK, "re-signing the decoded token: %s", jot_strerror(s));
        jot_claims *c2 = NULL;
        size_t len2 = strlen(tok2);
        if (len2 <= 65536) {
            s = jot_verify(v, tok2, len2, &c2, NULL);
            FZ_CHECK(s == JOT_OK, "the decoded and re-signed token is rejected: %s\n  %s", jot_status_code(s),
                     tok2);
            FZ_CHECK(jot_claims_alg(c2) == alg && jot_claims_key(c2) == vk, "re-verified with another alg or key");
            char *x1 = claims_json(c, 1), *x2 = claims_json(c2, 1);
            FZ_CHECK(strcmp(x1, x2) == 0, "the header changed:\n  %s\n  %s", x1, x2);
            jot_free(x1);
            jot_free(x2);
            if (jwt) {
                x1 = claims_json(c, 0);
                x2 = claims_json(c2, 0);
                FZ_CHECK(strcmp(x1, x2) == 0, "the claims changed:\n  %s\n  %s", x1, x2);
                jot_free(x1);
                jot_free(x2);
            }
            jot_claims_free(c2);
        }
    }
    jot_free(hdr);
    jot_free(pay);
    jot_free(tok2);
    free(h);
    free(p);
    free(sig);
}

static int is_signature_failure(jot_status s)
{
    return s == JOT_E_ALG_NOT_ALLOWED || s == JOT_E_CRIT_UNSUPPORTED || s == JOT_E_NO_KEY ||
           s == JOT_E_BAD_SIGNATURE;
}

static int is_claim_failure(jot_status s)
{
    return s >= JOT_E_EXPIRED && s <= JOT_E_MISSING_CLAIM;
}

/* Verify with both verifiers; returns the JWS verifier's status and, when
 * out is not NULL, its result (the caller frees). */
static jot_status verify_both(const char *token, size_t len, jot_claims **out)
{
    jot_claims *c1 = NULL, *c2 = NULL;
    jot_diag d1, d2;
    jot_diag_init(&d1);
    jot_diag_init(&d2);
    jot_status s1 = jot_verify(v_jwt, token, len, &c1, &d1);
    jot_status s2 = jot_verify(v_jws, token, len, &c2, &d2);
    if (trace)
        fprintf(stderr, "fuzz_verify: jwt %s, jws %s%s%s\n", jot_status_code(s1), jot_status_code(s2),
                s2 == JOT_OK ? " " : ": ", s2 == JOT_OK ? jot_alg_name(jot_claims_alg(c2)) : d2.text);
    FZ_CHECK(fz_verify_status_ok(s1) && fz_verify_status_ok(s2), "statuses %d, %d: %s / %s", (int)s1, (int)s2,
             d1.text, d2.text);
    FZ_CHECK((s1 == JOT_OK) == (c1 != NULL) && (s2 == JOT_OK) == (c2 != NULL), "a result without success");
    FZ_CHECK(s1 != JOT_OK || s2 == JOT_OK, "the JWT verifier accepts what the JWS verifier refuses: %s",
             d2.text);
    FZ_CHECK(!(is_signature_failure(s2) && is_claim_failure(s1)), "a claim failure (%s) hides %s",
             jot_status_code(s1), jot_status_code(s2));
    if (c1)
        check_accepted(v_jwt, token, len, c1);
    if (c2)
        check_accepted(v_jws, token, len, c2);
    jot_claims_free(c1);
    if (out)
        *out = c2;
    else
        jot_claims_free(c2);
    return s2;
}

static void raw_mode(const uint8_t *data, size_t size)
{
    uint8_t sel = data[1];
    size_t idx = (sel & 0x7fu) % keys.count;
    int corrupt = (sel & 0x80u) != 0;
    const jot_key *k = keys.priv[idx];
    unsigned algs = jot_key_algs(k), n = (unsigned)__builtin_popcount(algs), pick;
    if (!n)
        return;
    pick = ((sel & 0x7fu) / keys.count) % n;
    int a = 0;
    for (unsigned seen = 0;; ) {
        a++;
        if ((algs & JOT_ALG_BIT(a)) && seen++ == pick)
            break;
    }
    const uint8_t *hdr = data + 2, *end = data + size;
    const uint8_t *sep = memchr(hdr, 0, (size_t)(end - hdr));
    size_t hl = sep ? (size_t)(sep - hdr) : (size_t)(end - hdr);
    const uint8_t *pay = sep ? sep + 1 : end;
    size_t pl = (size_t)(end - pay);

    size_t cap = JOT__B64_ENC_LEN(hl) + JOT__B64_ENC_LEN(pl) + JOT__B64_ENC_LEN(JOT_SIG_MAX) + 3;
    char *tok = malloc(cap);
    FZ_CHECK(tok != NULL, "out of memory");
    jot__b64url_encode(hdr, hl, tok);
    size_t len = JOT__B64_ENC_LEN(hl);
    tok[len++] = '.';
    jot__b64url_encode(pay, pl, tok + len);
    len += JOT__B64_ENC_LEN(pl);
    uint8_t sig[JOT_SIG_MAX];
    size_t sl = 0;
    jot_status s = jot_sig_sign(k, (jot_alg)a, tok, len, sig, &sl);
    FZ_CHECK(s == JOT_OK, "%s cannot sign %s: %s", keys.names[idx], jot_alg_name((jot_alg)a), jot_strerror(s));
    if (corrupt)
        sig[(size_t)sel % sl] ^= (uint8_t)(1u << (sel % 8));
    tok[len++] = '.';
    jot__b64url_encode(sig, sl, tok + len);
    len += JOT__B64_ENC_LEN(sl);

    jot_claims *c = NULL;
    if (verify_both(tok, len, &c) == JOT_OK) {
        FZ_CHECK(!corrupt, "a %s token with a corrupted signature was accepted", jot_alg_name((jot_alg)a));
        FZ_CHECK(jot_claims_alg(c) == (jot_alg)a, "signed with %s, accepted as %s", jot_alg_name((jot_alg)a),
                 jot_alg_name(jot_claims_alg(c)));
        FZ_CHECK(jot_claims_key(c) == pub[idx], "signed by %s, accepted with another key", keys.names[idx]);
    }
    jot_claims_free(c);
    free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    if (!data)
        data = empty; /* libFuzzer may pass NULL for an empty input */
    if (size >= 2 && data[0] == 0) {
        raw_mode(data, size);
        return 0;
    }
    verify_both((const char *)data, size, NULL);
    return 0;
}
