/*
 * cli/sign.c - `jot sign [options]`: build a claims set and sign it into a
 * compact JWS (RFC 7515 7.1, RFC 7519 7.1) printed on stdout
 * (CONTRACT.md, `jot sign`).
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jot/jot.h>

#include "util.h"

static const char sign_usage[] =
    "Usage: jot sign (--key FILE | --secret-file FILE) [OPTIONS]\n"
    "\n"
    "Sign a claims set and print the compact JWS (a JWT) on stdout.\n"
    "\n"
    "Options:\n"
    "  --key FILE           signing key: a private key in PEM (PKCS#8, PKCS#1,\n"
    "                       SEC1) or a JWK (a JWKS with one key, or with --kid)\n"
    "  --secret-file FILE   HMAC key: all the raw bytes of FILE\n"
    "  --alg ALG            algorithm (required unless the key is a JWK with 'alg')\n"
    "  --kid KID            header 'kid' (default: the key's own kid, if any)\n"
    "  --typ TYP            header 'typ' (default JWT; '' leaves it out)\n"
    "  --claims JSON        the claims set: a JSON object, @FILE, or - for stdin\n"
    "                       (default {})\n"
    "  --iss S              set the 'iss' claim\n"
    "  --sub S              set the 'sub' claim\n"
    "  --aud S              set the 'aud' claim\n"
    "  --jti S              set the 'jti' claim\n"
    "  --exp DURATION       set 'exp' to now + DURATION (900, 15m, 2h, 30d)\n"
    "  --nbf DURATION       set 'nbf' to now + DURATION\n"
    "  --iat                set 'iat' to now\n"
    "  --now UNIX_SECONDS   the time used for --exp, --nbf and --iat\n"
    "  -h, --help           show this help\n"
    "\n"
    "Options override members of --claims. Exit status: 0 signed;\n"
    "2 usage error, unreadable file or unusable key.\n";

enum {
    OPT_KEY = 256,
    OPT_SECRET,
    OPT_ALG,
    OPT_KID,
    OPT_TYP,
    OPT_CLAIMS,
    OPT_ISS,
    OPT_SUB,
    OPT_AUD,
    OPT_JTI,
    OPT_EXP,
    OPT_NBF,
    OPT_IAT,
    OPT_NOW,
};

static const struct option sign_options[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"secret-file", required_argument, NULL, OPT_SECRET},
    {"alg", required_argument, NULL, OPT_ALG},
    {"kid", required_argument, NULL, OPT_KID},
    {"typ", required_argument, NULL, OPT_TYP},
    {"claims", required_argument, NULL, OPT_CLAIMS},
    {"iss", required_argument, NULL, OPT_ISS},
    {"sub", required_argument, NULL, OPT_SUB},
    {"aud", required_argument, NULL, OPT_AUD},
    {"jti", required_argument, NULL, OPT_JTI},
    {"exp", required_argument, NULL, OPT_EXP},
    {"nbf", required_argument, NULL, OPT_NBF},
    {"iat", no_argument, NULL, OPT_IAT},
    {"now", required_argument, NULL, OPT_NOW},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The one signing key a --key file names: its only key, or the one whose
 * kid is kid when the file is a JWKS. Borrowed from set. */
static const jot_key *pick_key(const char *path, const jot_keyset *set, const char *kid)
{
    size_t n = jot_keyset_count(set);
    if (n == 1)
        return jot_keyset_get(set, 0);
    if (kid != NULL) {
        const jot_key *k = jot_keyset_find(set, kid);
        if (k != NULL)
            return k;
        cli_err("%s: no key with kid '%s' among its %zu keys", cli_path_name(path), kid, n);
        return NULL;
    }
    cli_err("%s: holds %zu keys; choose one with --kid", cli_path_name(path), n);
    return NULL;
}

static int builder_error(const char *what, jot_status st)
{
    if (st == JOT_E_NOMEM)
        return cli_nomem();
    cli_err("%s: %s", what, jot_strerror(st));
    return CLI_EXIT_USAGE;
}

int cli_sign(int argc, char **argv)
{
    const char *cmd = "sign";
    const char *key_path = NULL;
    const char *secret_path = NULL;
    const char *alg_name = NULL;
    const char *kid = NULL;
    const char *typ = NULL;
    const char *claims_arg = NULL;
    const char *iss = NULL, *sub = NULL, *aud = NULL, *jti = NULL;
    int64_t exp_in = 0, nbf_in = 0, now = 0;
    int have_exp = 0, have_nbf = 0, want_iat = 0, have_now = 0;
    jot_keyset *set = NULL;
    jot_key *secret = NULL;
    const jot_key *key = NULL;
    jot_builder *b = NULL;
    char *claims_buf = NULL;
    size_t claims_len = 0;
    char *token = NULL;
    jot_alg alg = JOT_ALG_UNSET;
    int rc = CLI_EXIT_USAGE;
    int c;
    jot_status st;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", sign_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(sign_usage, stdout);
            return CLI_EXIT_OK;
        case OPT_KEY:
        case OPT_SECRET:
            if (key_path != NULL || secret_path != NULL)
                return cli_usage_error(cmd, "one signing key only (--key or --secret-file)");
            if (c == OPT_KEY)
                key_path = optarg;
            else
                secret_path = optarg;
            break;
        case OPT_ALG:
            alg_name = optarg;
            break;
        case OPT_KID:
            kid = optarg;
            break;
        case OPT_TYP:
            typ = optarg;
            break;
        case OPT_CLAIMS:
            claims_arg = optarg;
            break;
        case OPT_ISS:
            iss = optarg;
            break;
        case OPT_SUB:
            sub = optarg;
            break;
        case OPT_AUD:
            aud = optarg;
            break;
        case OPT_JTI:
            jti = optarg;
            break;
        case OPT_EXP:
            if (cli_parse_duration(optarg, &exp_in) != 0)
                return cli_usage_error(cmd, "--exp takes a duration (900, 15m, 2h, 30d), not '%s'", optarg);
            have_exp = 1;
            break;
        case OPT_NBF:
            if (cli_parse_duration(optarg, &nbf_in) != 0)
                return cli_usage_error(cmd, "--nbf takes a duration (900, 15m, 2h, 30d), not '%s'", optarg);
            have_nbf = 1;
            break;
        case OPT_IAT:
            want_iat = 1;
            break;
        case OPT_NOW:
            if (cli_parse_int64(optarg, 1, &now) != 0)
                return cli_usage_error(cmd, "--now takes UNIX seconds, not '%s'", optarg);
            have_now = 1;
            break;
        default:
            return cli_bad_option(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (key_path == NULL && secret_path == NULL)
        return cli_usage_error(cmd, "no key given: use --key FILE or --secret-file FILE");
    if (alg_name != NULL && (alg = cli_parse_alg(cmd, alg_name)) == JOT_ALG_UNSET)
        return CLI_EXIT_USAGE;
    if (!have_now)
        now = (int64_t)time(NULL);
    if ((have_exp && now > INT64_MAX - exp_in) || (have_nbf && now > INT64_MAX - nbf_in))
        return cli_usage_error(cmd, "--now is too far in the future");

    /* The claims first, so that a malformed --claims is reported before a
     * key is even read. */
    if (claims_arg != NULL) {
        if (claims_arg[0] == '@' || strcmp(claims_arg, "-") == 0) {
            const char *path = claims_arg[0] == '@' ? claims_arg + 1 : "-";
            if (cli_read_file(path, CLI_MAX_FILE, &claims_buf, &claims_len, NULL) != 0)
                goto out;
        } else {
            claims_len = strlen(claims_arg);
            claims_buf = malloc(claims_len + 1);
            if (claims_buf == NULL) {
                rc = cli_nomem();
                goto out;
            }
            memcpy(claims_buf, claims_arg, claims_len + 1);
        }
    }

    if (key_path != NULL) {
        if (cli_load_keyset(key_path, &set) != CLI_EXIT_OK)
            goto out;
        key = pick_key(key_path, set, kid);
        if (key == NULL)
            goto out;
    } else {
        if (cli_load_secret(secret_path, &secret) != CLI_EXIT_OK)
            goto out;
        key = secret;
    }
    const char *key_name = cli_path_name(key_path != NULL ? key_path : secret_path);
    if (!jot_key_is_private(key)) {
        cli_err("%s: a public key cannot sign; give the private key", key_name);
        goto out;
    }
    if (alg == JOT_ALG_UNSET) {
        alg = jot_key_alg(key);
        if (alg == JOT_ALG_UNSET) {
            rc = cli_usage_error(cmd, "--alg is required (the key does not name its algorithm)");
            goto out;
        }
    }
    st = jot_key_fits(key, alg);
    if (st == JOT_E_WEAK_KEY) {
        cli_err("%s: key too weak for %s (RFC 7518 3.2: an HMAC key at least as long as the hash)",
                key_name, jot_alg_name(alg));
        goto out;
    }
    if (st != JOT_OK) {
        jot_alg bound = jot_key_alg(key);
        if (bound != JOT_ALG_UNSET && bound != alg)
            cli_err("%s: the key is bound to %s, not %s", key_name, jot_alg_name(bound), jot_alg_name(alg));
        else
            cli_err("%s: the key does not fit %s", key_name, jot_alg_name(alg));
        goto out;
    }

    st = jot_builder_new(&b);
    if (st != JOT_OK) {
        b = NULL;
        rc = cli_nomem();
        goto out;
    }
    if (claims_buf != NULL) {
        st = jot_builder_claims_json(b, claims_buf, claims_len);
        if (st != JOT_OK) {
            if (st == JOT_E_TYPE)
                cli_err("--claims: a registered claim has the wrong JSON type, or exp/nbf/iat is beyond "
                        "int64 seconds (RFC 7519 4.1)");
            else if (st == JOT_E_MALFORMED)
                cli_err("--claims: not one JSON object (or duplicate member names)");
            else
                builder_error("--claims", st);
            goto out;
        }
    }
    struct {
        const char *name;
        const char *value;
    } strs[] = {{"iss", iss}, {"sub", sub}, {"aud", aud}, {"jti", jti}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strs[i].value == NULL)
            continue;
        st = jot_builder_set_string(b, strs[i].name, strs[i].value);
        if (st != JOT_OK) {
            rc = builder_error(strs[i].name, st);
            goto out;
        }
    }
    /* RFC 7519 4.1.4-4.1.6: NumericDate values, seconds since the epoch. */
    if (have_exp && (st = jot_builder_set_int(b, "exp", now + exp_in)) != JOT_OK) {
        rc = builder_error("exp", st);
        goto out;
    }
    if (have_nbf && (st = jot_builder_set_int(b, "nbf", now + nbf_in)) != JOT_OK) {
        rc = builder_error("nbf", st);
        goto out;
    }
    if (want_iat && (st = jot_builder_set_int(b, "iat", now)) != JOT_OK) {
        rc = builder_error("iat", st);
        goto out;
    }
    if (typ != NULL && (st = jot_builder_header_string(b, "typ", typ[0] != '\0' ? typ : NULL)) != JOT_OK) {
        rc = builder_error("typ", st);
        goto out;
    }
    if (kid != NULL && (st = jot_builder_header_string(b, "kid", kid)) != JOT_OK) {
        rc = builder_error("kid", st);
        goto out;
    }
    st = jot_builder_sign(b, key, alg, &token);
    if (st != JOT_OK) {
        token = NULL;
        if (st == JOT_E_NOMEM)
            rc = cli_nomem();
        else
            cli_err("cannot sign: %s", jot_strerror(st));
        goto out;
    }
    rc = cli_print_line(token);

out:
    jot_free(token);
    jot_builder_free(b);
    jot_key_free(secret);
    jot_keyset_free(set);
    cli_wipe_free(claims_buf, claims_len);
    return rc;
}
