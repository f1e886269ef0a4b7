/*
 * test_security.c - the security rules of DESIGN.md, each with a test that
 * fails when the rule is broken, through the public API only.
 *
 * Most cases are data: tests/vectors/attacks/attacks.txt, one attack token a
 * line with the keys the verifier holds, its policy, the status it must get
 * and the reference (RFC 8725 section, CVE) of the attack. The tokens were
 * made by tests/vectors/attacks/gen_attacks.py so that a verifier that broke
 * the rule would accept them (see tests/vectors/README.md). The rest are
 * checks that need code: sizes, the claim hook, the key/algorithm binding on
 * the signature layer, outputs on failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jot/jot.h>

#define ATTACKS_FILE "vectors/attacks/attacks.txt"
#define KEYS_DIR "vectors/attacks/keys"

/* attacks.txt holds 139 cases today; fewer means the file was cut short. */
#define MIN_ATTACKS 139

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

static int64_t fixed_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* One key file of KEYS_DIR, parsed the way its name says. */
static jot_status load_key(const char *file, jot_key **out)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", KEYS_DIR, file);
    size_t len = 0;
    char *data = slurp(path, &len);
    if (data == NULL)
        return JOT_E_NOT_FOUND;
    size_t fl = strlen(file);
    jot_status st;
    if (fl > 4 && strcmp(file + fl - 4, ".pem") == 0)
        st = jot_key_from_pem(data, len, out);
    else
        st = jot_key_from_jwk(data, len, out);
    free(data);
    return st;
}

/* A key set of the comma-separated key files in list. */
static jot_status load_keys(const char *list, jot_keyset **out)
{
    jot_keyset *set = NULL;
    jot_status st = jot_keyset_new(&set);
    if (st != JOT_OK)
        return st;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *f = strtok_r(buf, ",", &save); f != NULL; f = strtok_r(NULL, ",", &save)) {
        jot_key *k = NULL;
        st = load_key(f, &k);
        if (st == JOT_OK)
            st = jot_keyset_add(set, k);
        jot_key_free(k);
        if (st != JOT_OK) {
            jot_keyset_free(set);
            return st;
        }
    }
    *out = set;
    return JOT_OK;
}

/* Expand the escapes that let a token hold white space in a one-line,
 * space-separated file: \s space, \t tab, \n newline, \\ backslash. */
static size_t unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        if (*r == '\\' && r[1] != '\0') {
            r++;
            *w++ = *r == 's' ? ' ' : *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* Whether got is one of the '|'-separated codes in want. */
static int code_matches(const char *want, const char *got)
{
    size_t gl = strlen(got);
    for (const char *p = want; *p != '\0';) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == gl && strncmp(p, got, len) == 0)
            return 1;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    return 0;
}

typedef struct policy_spec {
    unsigned algs;
    int64_t now;
    int has_now;
    char iss[64];
    size_t max_size;
    unsigned flags;
} policy_spec;

static int parse_policy(const char *text, policy_spec *ps)
{
    memset(ps, 0, sizeof *ps);
    if (strcmp(text, "-") == 0)
        return 1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        if (strncmp(item, "algs=", 5) == 0) {
            char *save2 = NULL;
            for (char *a = strtok_r(item + 5, "+", &save2); a != NULL; a = strtok_r(NULL, "+", &save2)) {
                jot_alg alg = jot_alg_from_name(a, strlen(a));
                if (alg == JOT_ALG_UNSET)
                    return 0;
                ps->algs |= JOT_ALG_BIT(alg);
            }
        } else if (strncmp(item, "now=", 4) == 0) {
            ps->now = strtoll(item + 4, NULL, 10);
            ps->has_now = 1;
        } else if (strncmp(item, "iss=", 4) == 0) {
            snprintf(ps->iss, sizeof ps->iss, "%s", item + 4);
        } else if (strncmp(item, "max=", 4) == 0) {
            ps->max_size = (size_t)strtoul(item + 4, NULL, 10);
        } else if (strcmp(item, "jws") == 0) {
            ps->flags |= JOT_VERIFY_JWS_ONLY;
        } else {
            return 0;
        }
    }
    return 1;
}

/* ---- attacks.txt ------------------------------------------------------- */

static void test_attack_vectors(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = slurp(ATTACKS_FILE, &len);
    if (text == NULL)
        fail_msg("cannot read %s (the test runs in tests/)", ATTACKS_FILE);

    int cases = 0, failures = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *f[5];
        char *save2 = NULL;
        int nf = 0;
        while (nf < 5) {
            char *tok = strtok_r(nf == 0 ? line : NULL, " ", &save2);
            if (tok == NULL)
                break;
            f[nf++] = tok;
        }
        /* What strtok_r has not consumed is the reference, spaces and all. */
        const char *ref = save2 != NULL ? save2 : "";
        if (nf != 5) {
            fprintf(stderr, "FAIL malformed line in %s: \"%s\"\n", ATTACKS_FILE, line);
            failures++;
            continue;
        }
        const char *name = f[0], *keys = f[1], *pol = f[2], *want = f[3];
        char *token = f[4];
        size_t tlen = unescape(token);
        cases++;

        policy_spec ps;
        if (!parse_policy(pol, &ps)) {
            fprintf(stderr, "FAIL %s: bad policy \"%s\"\n", name, pol);
            failures++;
            continue;
        }
        jot_keyset *set = NULL;
        jot_status st = load_keys(keys, &set);
        if (st != JOT_OK) {
            fprintf(stderr, "FAIL %s: keys %s: %s (%s)\n", name, keys, jot_status_code(st), jot_strerror(st));
            failures++;
            continue;
        }
        jot_verify_policy p;
        jot_verify_policy_init(&p);
        p.keys = set;
        p.algs = ps.algs;
        p.max_size = ps.max_size;
        p.flags = ps.flags;
        if (ps.iss[0] != '\0')
            p.issuer = ps.iss;
        if (ps.has_now) {
            p.now = fixed_now;
            p.now_ctx = &ps.now;
        }
        jot_verifier *v = NULL;
        st = jot_verifier_new(&p, &v);
        if (st != JOT_OK) {
            fprintf(stderr, "FAIL %s: jot_verifier_new: %s (%s)\n", name, jot_status_code(st), jot_strerror(st));
            failures++;
            jot_keyset_free(set);
            continue;
        }
        jot_diag diag;
        jot_diag_init(&diag);
        /* A non-NULL sentinel: on failure jot_verify must set *out to NULL. */
        jot_claims *claims = (jot_claims *)&diag;
        st = jot_verify(v, token, tlen, &claims, &diag);
        if (!code_matches(want, jot_status_code(st))) {
            fprintf(stderr, "FAIL %s [%s]: want %s, got %s (%s; %s)\n", name, ref, want, jot_status_code(st),
                    jot_strerror(st), diag.text);
            failures++;
        } else if (st != JOT_OK && claims != NULL) {
            fprintf(stderr, "FAIL %s: rejected (%s) but *out was not set to NULL\n", name, jot_status_code(st));
            failures++;
            claims = NULL;
        } else if (st != JOT_OK && diag.text[0] == '\0') {
            fprintf(stderr, "FAIL %s: rejected (%s) with no detail in the diag\n", name, jot_status_code(st));
            failures++;
        }
        if (st == JOT_OK)
            jot_claims_free(claims);
        jot_verifier_free(v);
        jot_keyset_free(set);
    }
    free(text);
    printf("attack vectors: %d cases, %d failures\n", cases, failures);
    if (cases < MIN_ATTACKS)
        fail_msg("%s holds %d cases; at least %d expected", ATTACKS_FILE, cases, MIN_ATTACKS);
    if (failures != 0)
        fail_msg("%d attack case(s) got the wrong answer (see above)", failures);
}

/* ---- helpers for the coded checks -------------------------------------- */

typedef struct fixture {
    jot_key *hs;       /* HMAC, kid hs-1 */
    jot_key *es256;    /* P-256 private, kid es256-1 */
    jot_key *rsa_pub;  /* RSA 2048 public, from PEM */
    char *rsa_pem;
    size_t rsa_pem_len;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL)
        return -1;
    if (load_key("hs.jwk", &fx->hs) != JOT_OK || load_key("es256.jwk", &fx->es256) != JOT_OK ||
        load_key("rsa.pub.pem", &fx->rsa_pub) != JOT_OK)
        return -1;
    fx->rsa_pem = slurp(KEYS_DIR "/rsa.pub.pem", &fx->rsa_pem_len);
    if (fx->rsa_pem == NULL)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    jot_key_free(fx->hs);
    jot_key_free(fx->es256);
    jot_key_free(fx->rsa_pub);
    free(fx->rsa_pem);
    free(fx);
    return 0;
}

static jot_verifier *verifier_for(const jot_key *k, unsigned algs, const char *iss)
{
    jot_keyset *set = NULL;
    jot_verifier *v = NULL;
    if (jot_keyset_new(&set) != JOT_OK)
        return NULL;
    /* jot_keyset_add takes a reference, which does not modify the key's
     * meaning; the public API just declares it non-const. */
    if (jot_keyset_add(set, (jot_key *)k) != JOT_OK) {
        jot_keyset_free(set);
        return NULL;
    }
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = set;
    p.algs = algs;
    p.issuer = iss;
    jot_status st = jot_verifier_new(&p, &v);
    jot_keyset_free(set);
    if (st != JOT_OK) {
        fprintf(stderr, "jot_verifier_new: %s (%s)\n", jot_status_code(st), jot_strerror(st));
        return NULL;
    }
    return v;
}

#define assert_status(got, want)                                                                               \
    do {                                                                                                       \
        jot_status got_ = (got), want_ = (want);                                                               \
        if (got_ != want_)                                                                                     \
            fail_msg("%s: want %s (%s), got %s (%s)", #got, jot_status_code(want_), jot_strerror(want_), jot_status_code(got_), \
                     jot_strerror(got_));                                                                      \
    } while (0)

/* ---- size bounds ------------------------------------------------------- */

/* DESIGN: size is bounded before parsing. A validly signed 70000-byte token
 * is refused by default (65536), and the bound is exact. */
static void test_oversize(void **state)
{
    fixture *fx = *state;
    size_t pad = 70000;
    char *payload = malloc(pad + 64);
    assert_non_null(payload);
    int hl = snprintf(payload, 64, "{\"sub\":\"x\",\"pad\":\"");
    memset(payload + hl, 'a', pad);
    memcpy(payload + (size_t)hl + pad, "\"}", 3);
    static const char hdr[] = "{\"alg\":\"HS256\"}";
    char *tok = NULL;
    assert_status(jot_jws_sign(fx->hs, JOT_HS256, hdr, sizeof hdr - 1, payload, strlen(payload), &tok), JOT_OK);

    jot_verifier *v = verifier_for(fx->hs, 0, NULL);
    assert_non_null(v);
    jot_diag d;
    jot_diag_init(&d);
    assert_status(jot_verify(v, tok, strlen(tok), NULL, &d), JOT_E_TOO_LARGE);
    jot_verifier_free(v);

    /* With a larger max_size the very same token is fine: the refusal above
     * was the size rule, nothing else. */
    jot_keyset *set = NULL;
    assert_status(jot_keyset_new(&set), JOT_OK);
    assert_status(jot_keyset_add(set, fx->hs), JOT_OK);
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = set;
    size_t tlen = strlen(tok);
    p.max_size = tlen;
    assert_status(jot_verifier_new(&p, &v), JOT_OK);
    assert_status(jot_verify(v, tok, tlen, NULL, NULL), JOT_OK);
    jot_verifier_free(v);
    p.max_size = tlen - 1;
    assert_status(jot_verifier_new(&p, &v), JOT_OK);
    assert_status(jot_verify(v, tok, tlen, NULL, NULL), JOT_E_TOO_LARGE);
    jot_verifier_free(v);

    /* jot_decode_unverified has the same bound. */
    char *h = NULL, *pl = NULL;
    assert_status(jot_decode_unverified(tok, tlen, 0, &h, &pl, NULL), JOT_E_TOO_LARGE);
    assert_null(h);
    assert_null(pl);

    jot_keyset_free(set);
    jot_free(tok);
    free(payload);
}

/* The length bound is checked before the structure: 65537 bytes of an
 * otherwise malformed text are too-large, not malformed; and the empty
 * token is malformed. */
static void test_length_is_checked_first(void **state)
{
    fixture *fx = *state;
    jot_verifier *v = verifier_for(fx->hs, 0, NULL);
    assert_non_null(v);
    static const char junk[] = "a.b.c";
    char *big = calloc(1, 65537 + 1);
    assert_non_null(big);
    memcpy(big, junk, sizeof junk - 1);
    assert_status(jot_verify(v, big, 65537, NULL, NULL), JOT_E_TOO_LARGE);
    free(big);
    assert_status(jot_verify(v, "", 0, NULL, NULL), JOT_E_MALFORMED);
    jot_verifier_free(v);
}

/* ---- alg none and the allowed set ------------------------------------- */

static void test_none_does_not_exist(void **state)
{
    fixture *fx = *state;
    static const char *const spellings[] = {"none", "None", "NONE", "nOnE", "", "none "};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        assert_int_equal(jot_alg_from_name(spellings[i], strlen(spellings[i])), JOT_ALG_UNSET);
    assert_null(jot_alg_name(JOT_ALG_UNSET));
    assert_null(jot_alg_name((jot_alg)(JOT_ALG_MAX + 1)));

    /* A caller who sets the bit of JOT_ALG_UNSET (the "not set" value) in
     * the allowed mask must not thereby allow "none": either the policy is
     * refused, or the token still is. */
    static const char none_tok[] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    jot_keyset *set = NULL;
    assert_status(jot_keyset_new(&set), JOT_OK);
    assert_status(jot_keyset_add(set, fx->hs), JOT_OK);
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = set;
    p.algs = JOT_ALG_BIT(JOT_ALG_UNSET) | JOT_ALG_BIT(JOT_HS256);
    jot_verifier *v = NULL;
    jot_status st = jot_verifier_new(&p, &v);
    if (st == JOT_OK) {
        assert_status(jot_verify(v, none_tok, sizeof none_tok - 1, NULL, NULL), JOT_E_ALG_NOT_ALLOWED);
        assert_int_equal(jot_verifier_algs(v) & JOT_ALG_BIT(JOT_ALG_UNSET), 0);
        jot_verifier_free(v);
    } else {
        assert_status(st, JOT_E_ARG);
    }
    /* Every algorithm allowed (with a secret long enough for HS512, so that
     * the policy is accepted): still no "none". */
    jot_key *hs512 = NULL;
    jot_keyset *set512 = NULL;
    assert_status(jot_key_generate(JOT_HS512, 0, &hs512), JOT_OK);
    assert_status(jot_keyset_new(&set512), JOT_OK);
    assert_status(jot_keyset_add(set512, hs512), JOT_OK);
    jot_verify_policy all;
    jot_verify_policy_init(&all);
    all.keys = set512;
    all.algs = JOT_ALG_ALL;
    assert_status(jot_verifier_new(&all, &v), JOT_OK);
    assert_status(jot_verify(v, none_tok, sizeof none_tok - 1, NULL, NULL), JOT_E_ALG_NOT_ALLOWED);
    jot_verifier_free(v);
    jot_keyset_free(set512);
    jot_key_free(hs512);
    /* Without an explicit set, the allowed algorithms are those the keys fit:
     * an HMAC key allows HS* and nothing else. */
    p.algs = 0;
    assert_status(jot_verifier_new(&p, &v), JOT_OK);
    unsigned hs_bits = JOT_ALG_BIT(JOT_HS256) | JOT_ALG_BIT(JOT_HS384) | JOT_ALG_BIT(JOT_HS512);
    assert_int_equal(jot_verifier_algs(v) & ~hs_bits, 0);
    assert_int_not_equal(jot_verifier_algs(v) & JOT_ALG_BIT(JOT_HS256), 0);
    jot_verifier_free(v);
    jot_keyset_free(set);

    /* Signing refuses JOT_ALG_UNSET too: no path produces an unsigned token. */
    char *out = NULL;
    static const char hdr[] = "{\"alg\":\"none\"}";
    assert_int_not_equal(jot_jws_sign(fx->hs, JOT_ALG_UNSET, hdr, sizeof hdr - 1, "x", 1, &out), JOT_OK);
    assert_null(out);
}

/* ---- key binding ------------------------------------------------------- */

/* DESIGN: an RSA or EC public key is never used as an HMAC secret, at any
 * layer: not by the key, not by the signature functions. */
static void test_key_bound_to_family(void **state)
{
    fixture *fx = *state;
    assert_int_equal(jot_key_type(fx->rsa_pub), JOT_KTY_RSA);
    for (jot_alg a = JOT_HS256; a <= JOT_HS512; a++) {
        assert_status(jot_key_fits(fx->rsa_pub, a), JOT_E_KEY_MISMATCH);
        assert_status(jot_key_fits(fx->es256, a), JOT_E_KEY_MISMATCH);
    }
    assert_int_equal(jot_key_algs(fx->rsa_pub) &
                         (JOT_ALG_BIT(JOT_HS256) | JOT_ALG_BIT(JOT_HS384) | JOT_ALG_BIT(JOT_HS512)),
                     0);

    /* The MAC an attacker computes with the PEM text as the secret. */
    static const char si[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
    jot_key *as_secret = NULL;
    assert_status(jot_key_from_secret(fx->rsa_pem, fx->rsa_pem_len, &as_secret), JOT_OK);
    uint8_t mac[JOT_SIG_MAX];
    size_t mac_len = 0;
    assert_status(jot_sig_sign(as_secret, JOT_HS256, si, sizeof si - 1, mac, &mac_len), JOT_OK);
    jot_status st = jot_sig_verify(fx->rsa_pub, JOT_HS256, si, sizeof si - 1, mac, mac_len);
    if (st == JOT_OK)
        fail_msg("jot_sig_verify accepted an HS256 MAC keyed with the RSA public key's PEM");
    assert_status(st, JOT_E_KEY_MISMATCH);
    assert_status(jot_sig_verify(fx->es256, JOT_HS256, si, sizeof si - 1, mac, mac_len), JOT_E_KEY_MISMATCH);
    /* And signing with a public key or across families is refused. */
    mac_len = 0;
    assert_int_not_equal(jot_sig_sign(fx->rsa_pub, JOT_RS256, si, sizeof si - 1, mac, &mac_len), JOT_OK);
    assert_status(jot_sig_sign(fx->es256, JOT_HS256, si, sizeof si - 1, mac, &mac_len), JOT_E_KEY_MISMATCH);
    assert_status(jot_sig_sign(fx->es256, JOT_ES384, si, sizeof si - 1, mac, &mac_len), JOT_E_KEY_MISMATCH);
    assert_status(jot_sig_sign(fx->hs, JOT_RS256, si, sizeof si - 1, mac, &mac_len), JOT_E_KEY_MISMATCH);
    jot_key_free(as_secret);
}

/* RFC 7518 3.4 on the signature layer: r = s = 0 (CVE-2022-21449), the DER
 * form, and lengths other than 64 are bad signatures; a good one passes. */
static void test_ecdsa_encoding(void **state)
{
    fixture *fx = *state;
    static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0";
    uint8_t sig[JOT_SIG_MAX];
    size_t sig_len = 0;
    assert_status(jot_sig_sign(fx->es256, JOT_ES256, msg, sizeof msg - 1, sig, &sig_len), JOT_OK);
    assert_int_equal(sig_len, 64);
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, sig, sig_len), JOT_OK);

    uint8_t zero[64] = {0};
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, zero, sizeof zero), JOT_E_BAD_SIGNATURE);
    /* r valid, s = 0; r = 0, s valid. */
    uint8_t half[64];
    memcpy(half, sig, 32);
    memset(half + 32, 0, 32);
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, half, 64), JOT_E_BAD_SIGNATURE);
    memset(half, 0, 32);
    memcpy(half + 32, sig + 32, 32);
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, half, 64), JOT_E_BAD_SIGNATURE);

    /* The DER form of the same (r, s): SEQUENCE { INTEGER r, INTEGER s }. */
    uint8_t der[80];
    size_t dl = 2;
    for (int part = 0; part < 2; part++) {
        const uint8_t *v = sig + 32 * part;
        size_t skip = 0;
        while (skip < 31 && v[skip] == 0)
            skip++;
        int lead = (v[skip] & 0x80) != 0;
        der[dl++] = 0x02;
        der[dl++] = (uint8_t)(32 - skip + (size_t)lead);
        if (lead)
            der[dl++] = 0;
        memcpy(der + dl, v + skip, 32 - skip);
        dl += 32 - skip;
    }
    der[0] = 0x30;
    der[1] = (uint8_t)(dl - 2);
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, der, dl), JOT_E_BAD_SIGNATURE);
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, sig, 63), JOT_E_BAD_SIGNATURE);
    uint8_t longer[65];
    memcpy(longer, sig, 64);
    longer[64] = 0;
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, longer, 65), JOT_E_BAD_SIGNATURE);
    assert_status(jot_sig_verify(fx->es256, JOT_ES256, msg, sizeof msg - 1, sig, 0), JOT_E_BAD_SIGNATURE);
}

/* HMAC: a truncated MAC (even a prefix that matches) or an empty one never
 * verifies; the length is checked before the comparison. */
static void test_mac_length(void **state)
{
    fixture *fx = *state;
    static const char msg[] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0";
    uint8_t mac[JOT_SIG_MAX];
    size_t mac_len = 0;
    assert_status(jot_sig_sign(fx->hs, JOT_HS256, msg, sizeof msg - 1, mac, &mac_len), JOT_OK);
    assert_int_equal(mac_len, 32);
    assert_status(jot_sig_verify(fx->hs, JOT_HS256, msg, sizeof msg - 1, mac, 32), JOT_OK);
    for (size_t l = 0; l < 32; l++)
        assert_status(jot_sig_verify(fx->hs, JOT_HS256, msg, sizeof msg - 1, mac, l), JOT_E_BAD_SIGNATURE);
    mac[31] ^= 1;
    assert_status(jot_sig_verify(fx->hs, JOT_HS256, msg, sizeof msg - 1, mac, 32), JOT_E_BAD_SIGNATURE);
}

/* ---- order of checks and the hook -------------------------------------- */

typedef struct hook_state {
    int calls;
    jot_status answer;
} hook_state;

static jot_status count_hook(const jot_claims *c, void *ctx)
{
    (void)c;
    hook_state *h = ctx;
    h->calls++;
    return h->answer;
}

static char *sign_claims(const jot_key *k, jot_alg alg, const char *claims)
{
    jot_builder *b = NULL;
    char *out = NULL;
    if (jot_builder_new(&b) != JOT_OK)
        return NULL;
    jot_status st = jot_builder_claims_json(b, claims, strlen(claims));
    if (st == JOT_OK)
        st = jot_builder_sign(b, k, alg, &out);
    if (st != JOT_OK)
        fprintf(stderr, "signing %s: %s (%s)\n", claims, jot_status_code(st), jot_strerror(st));
    jot_builder_free(b);
    return out;
}

static char *flip_signature(const char *tok)
{
    char *t = strdup(tok);
    if (t == NULL)
        return NULL;
    char *sig = strrchr(t, '.') + 1;
    /* Change a character in the middle: all six bits there are significant. */
    size_t mid = strlen(sig) / 2;
    sig[mid] = sig[mid] == 'A' ? 'B' : 'A';
    return t;
}

/* DESIGN: hooks that change state run only after the signature and every
 * claim check passed; a signature failure wins over every claim failure. */
static void test_hook_and_order(void **state)
{
    fixture *fx = *state;
    jot_keyset *set = NULL;
    assert_status(jot_keyset_new(&set), JOT_OK);
    assert_status(jot_keyset_add(set, fx->es256), JOT_OK);
    hook_state hs = {0, JOT_OK};
    jot_verify_policy p;
    jot_verify_policy_init(&p);
    p.keys = set;
    p.issuer = "good";
    p.audience = "api";
    p.check = count_hook;
    p.check_ctx = &hs;
    jot_verifier *v = NULL;
    assert_status(jot_verifier_new(&p, &v), JOT_OK);

    char *good = sign_claims(fx->es256, JOT_ES256, "{\"iss\":\"good\",\"aud\":\"api\",\"jti\":\"1\"}");
    char *expired = sign_claims(fx->es256, JOT_ES256, "{\"iss\":\"good\",\"aud\":\"api\",\"exp\":1000}");
    char *all_bad = sign_claims(fx->es256, JOT_ES256,
                                "{\"iss\":\"evil\",\"aud\":\"other\",\"exp\":1000,\"nbf\":99999999999,"
                                "\"iat\":99999999999}");
    assert_non_null(good);
    assert_non_null(expired);
    assert_non_null(all_bad);

    assert_status(jot_verify(v, good, strlen(good), NULL, NULL), JOT_OK);
    assert_int_equal(hs.calls, 1);

    char *bad_sig = flip_signature(good);
    assert_status(jot_verify(v, bad_sig, strlen(bad_sig), NULL, NULL), JOT_E_BAD_SIGNATURE);
    assert_int_equal(hs.calls, 1);

    assert_status(jot_verify(v, expired, strlen(expired), NULL, NULL), JOT_E_EXPIRED);
    assert_int_equal(hs.calls, 1);

    char *bad_sig_expired = flip_signature(expired);
    assert_status(jot_verify(v, bad_sig_expired, strlen(bad_sig_expired), NULL, NULL), JOT_E_BAD_SIGNATURE);
    char *bad_sig_all = flip_signature(all_bad);
    assert_status(jot_verify(v, bad_sig_all, strlen(bad_sig_all), NULL, NULL), JOT_E_BAD_SIGNATURE);
    assert_int_equal(hs.calls, 1);
    /* Validly signed, every claim wrong: rejected for a claim, hook not run. */
    jot_status st = jot_verify(v, all_bad, strlen(all_bad), NULL, NULL);
    assert_true(st >= JOT_E_EXPIRED && st <= JOT_E_MISSING_CLAIM);
    assert_int_equal(hs.calls, 1);

    /* The hook's refusal is the answer, and nothing is handed back. */
    hs.answer = JOT_E_REVOKED;
    jot_claims *c = (jot_claims *)&hs;
    assert_status(jot_verify(v, good, strlen(good), &c, NULL), JOT_E_REVOKED);
    assert_null(c);
    assert_int_equal(hs.calls, 2);

    jot_verifier_free(v);
    jot_keyset_free(set);
    free(bad_sig);
    free(bad_sig_expired);
    free(bad_sig_all);
    jot_free(good);
    jot_free(expired);
    jot_free(all_bad);
}

/* ---- NUL inside a string claim ----------------------------------------- */

/* "\u0000" inside a string claim: libjot may refuse the token as malformed
 * or keep the NUL and report the true length (jot/jwt.h allows either
 * reading), but it must never compare the claim as a C string: iss
 * "a\u0000b" must not satisfy an expected issuer "a". */
static void test_nul_in_claim(void **state)
{
    fixture *fx = *state;
    static const char hdr[] = "{\"alg\":\"ES256\"}";
    static const char pl[] = "{\"iss\":\"a\\u0000b\",\"sub\":\"a\"}";
    char *tok = NULL;
    assert_status(jot_jws_sign(fx->es256, JOT_ES256, hdr, sizeof hdr - 1, pl, sizeof pl - 1, &tok), JOT_OK);

    jot_verifier *v = verifier_for(fx->es256, 0, NULL);
    assert_non_null(v);
    jot_claims *c = NULL;
    jot_status st = jot_verify(v, tok, strlen(tok), &c, NULL);
    if (st == JOT_OK) {
        const char *s = NULL;
        size_t len = 0;
        assert_status(jot_claims_string(c, "iss", &s, &len), JOT_OK);
        assert_int_equal(len, 3);
        assert_memory_equal(s, "a\0b", 3);
        jot_claims_free(c);
    } else {
        assert_status(st, JOT_E_MALFORMED);
    }
    jot_verifier_free(v);

    v = verifier_for(fx->es256, 0, "a");
    assert_non_null(v);
    st = jot_verify(v, tok, strlen(tok), NULL, NULL);
    if (st != JOT_E_BAD_ISSUER && st != JOT_E_MALFORMED)
        fail_msg("iss \"a\\u0000b\" against expected \"a\": want bad-issuer or malformed, got %s (%s)", jot_status_code(st),
                 jot_strerror(st));
    jot_verifier_free(v);
    jot_free(tok);

    /* A claim lookup is by the whole name: no prefix match ("issuer" is not
     * "iss", "iss" is not "issue"). */
    char *tok2 = sign_claims(fx->es256, JOT_ES256, "{\"issuer\":\"a\"}");
    assert_non_null(tok2);
    v = verifier_for(fx->es256, 0, "a");
    assert_non_null(v);
    st = jot_verify(v, tok2, strlen(tok2), NULL, NULL);
    if (st != JOT_E_MISSING_CLAIM)
        fail_msg("expected iss, token has only \"issuer\": want missing-claim, got %s (%s)", jot_status_code(st),
                 jot_strerror(st));
    jot_verifier_free(v);
    v = verifier_for(fx->es256, 0, NULL);
    assert_non_null(v);
    assert_status(jot_verify(v, tok2, strlen(tok2), &c, NULL), JOT_OK);
    const char *s = NULL;
    size_t len = 0;
    assert_status(jot_claims_string(c, "iss", &s, &len), JOT_E_NOT_FOUND);
    assert_status(jot_claims_string(c, "issue", &s, &len), JOT_E_NOT_FOUND);
    assert_status(jot_claims_string(c, "issuer", &s, &len), JOT_OK);
    jot_claims_free(c);
    jot_verifier_free(v);
    jot_free(tok2);
}

/* ---- crit and key-naming headers, built by the library itself --------- */

/* The builder's own tokens: a crit the verifier does not understand is
 * refused even though the signature is good, and an embedded jwk naming the
 * signer's own public key changes nothing (the verifier's key decides). */
static void test_crit_and_embedded_keys(void **state)
{
    fixture *fx = *state;
    jot_builder *b = NULL;
    assert_status(jot_builder_new(&b), JOT_OK);
    assert_status(jot_builder_set_string(b, "sub", "x"), JOT_OK);
    static const char crit[] = "[\"urn:example:unknown\"]";
    assert_status(jot_builder_header_json(b, "crit", crit, sizeof crit - 1), JOT_OK);
    assert_status(jot_builder_header_json(b, "urn:example:unknown", "true", 4), JOT_OK);
    char *tok = NULL;
    assert_status(jot_builder_sign(b, fx->es256, JOT_ES256, &tok), JOT_OK);
    jot_builder_free(b);

    jot_verifier *v = verifier_for(fx->es256, 0, NULL);
    assert_non_null(v);
    assert_status(jot_verify(v, tok, strlen(tok), NULL, NULL), JOT_E_CRIT_UNSUPPORTED);
    jot_free(tok);

    /* An attacker's key in "jwk", the token signed by the attacker. */
    jot_key *attacker = NULL;
    assert_status(jot_key_generate(JOT_ES256, 0, &attacker), JOT_OK);
    char *ajwk = NULL;
    assert_status(jot_key_to_jwk(attacker, JOT_JWK_PUBLIC, &ajwk), JOT_OK);
    static const char *const members[] = {"jwk", "jku", "x5u"};
    for (size_t i = 0; i < 3; i++) {
        assert_status(jot_builder_new(&b), JOT_OK);
        assert_status(jot_builder_set_string(b, "sub", "x"), JOT_OK);
        if (i == 0)
            assert_status(jot_builder_header_json(b, members[i], ajwk, strlen(ajwk)), JOT_OK);
        else
            assert_status(jot_builder_header_string(b, members[i], "http://127.0.0.1:9/keys"), JOT_OK);
        assert_status(jot_builder_sign(b, attacker, JOT_ES256, &tok), JOT_OK);
        jot_builder_free(b);
        jot_status st = jot_verify(v, tok, strlen(tok), NULL, NULL);
        if (st != JOT_E_BAD_SIGNATURE)
            fail_msg("header \"%s\" naming the attacker's key: want bad-signature, got %s (%s)", members[i],
                     jot_status_code(st), jot_strerror(st));
        jot_free(tok);
    }
    jot_free(ajwk);
    jot_key_free(attacker);
    jot_verifier_free(v);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attack_vectors),
        cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_is_checked_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_does_not_exist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_bound_to_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecdsa_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mac_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hook_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_in_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crit_and_embedded_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
