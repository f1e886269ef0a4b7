/*
 * cli/verify.c - `jot verify [options] [TOKEN]`: check a compact JWS/JWT
 * against the keys and expectations given, print its claims (CONTRACT.md,
 * `jot verify`). The token never chooses the algorithm or the key: the
 * options build a jot_verify_policy and libjot's verifier decides.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jot/jot.h>

#include "util.h"

static const char verify_usage[] =
    "Usage: jot verify [OPTIONS] [TOKEN]\n"
    "\n"
    "Verify a compact JWS/JWT and print its claims set as one line of JSON.\n"
    "TOKEN is read from stdin when absent or '-' (surrounding white space\n"
    "is ignored). At least one key is required.\n"
    "\n"
    "Options:\n"
    "  --key FILE           verification key: PEM (SPKI, PKCS#8, PKCS#1, SEC1,\n"
    "                       X.509 certificate), JWK or JWKS; may repeat\n"
    "  --secret-file FILE   HMAC key: all the raw bytes of FILE; may repeat\n"
    "  --alg ALG[,ALG...]   allowed algorithms (default: those that fit the keys)\n"
    "  --iss S              the 'iss' claim must equal S\n"
    "  --aud S              the 'aud' claim must contain S\n"
    "  --sub S              the 'sub' claim must equal S\n"
    "  --typ S              the header 'typ' must equal S (case-insensitive,\n"
    "                       'application/' prefix optional)\n"
    "  --require C[,C...]   these claims must be present\n"
    "  --leeway SECONDS     clock skew allowed for exp, nbf, iat (default 0)\n"
    "  --now UNIX_SECONDS   check against this time instead of the clock\n"
    "  --max-size BYTES     refuse longer tokens (default 65536)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 valid; 1 rejected (stderr: 'jot: rejected: CODE: detail');\n"
    "2 usage error, unreadable file or bad key.\n";

enum {
    OPT_KEY = 256,
    OPT_SECRET,
    OPT_ALG,
    OPT_ISS,
    OPT_AUD,
    OPT_SUB,
    OPT_TYP,
    OPT_REQUIRE,
    OPT_LEEWAY,
    OPT_NOW,
    OPT_MAX_SIZE,
};

static const struct option verify_options[] = {
    {"key", required_argument, NULL, OPT_KEY},
    {"secret-file", required_argument, NULL, OPT_SECRET},
    {"alg", required_argument, NULL, OPT_ALG},
    {"iss", required_argument, NULL, OPT_ISS},
    {"aud", required_argument, NULL, OPT_AUD},
    {"sub", required_argument, NULL, OPT_SUB},
    {"typ", required_argument, NULL, OPT_TYP},
    {"require", required_argument, NULL, OPT_REQUIRE},
    {"leeway", required_argument, NULL, OPT_LEEWAY},
    {"now", required_argument, NULL, OPT_NOW},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int64_t fixed_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Print the rejection line of the contract and give exit status 1. */
static int rejected(jot_status st, const jot_diag *diag)
{
    const char *detail = diag->text[0] != '\0' ? diag->text : jot_strerror(st);
    cli_err("rejected: %s: %s", jot_status_code(st), detail);
    return CLI_EXIT_REJECT;
}

int cli_verify(int argc, char **argv)
{
    const char *cmd = "verify";
    jot_keyset *keys = NULL;
    jot_verifier *verifier = NULL;
    jot_claims *claims = NULL;
    char **required = NULL;
    size_t required_count = 0;
    char *input = NULL;
    size_t input_len = 0;
    char *json = NULL;
    size_t nkeys_given = 0;
    unsigned algs = 0;
    int64_t now = 0;
    int have_now = 0;
    int rc = CLI_EXIT_USAGE;
    int c;
    jot_verify_policy policy;
    jot_status st;
    jot_diag diag;

    jot_verify_policy_init(&policy);
    jot_diag_init(&diag);
    if (jot_keyset_new(&keys) != JOT_OK)
        return cli_nomem();

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", verify_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(verify_usage, stdout);
            rc = CLI_EXIT_OK;
            goto out;
        case OPT_KEY: {
            jot_keyset *one = NULL;
            if (cli_load_keyset(optarg, &one) != CLI_EXIT_OK)
                goto out;
            int m = cli_keyset_merge(keys, one);
            jot_keyset_free(one);
            if (m != CLI_EXIT_OK)
                goto out;
            nkeys_given++;
            break;
        }
        case OPT_SECRET: {
            jot_key *k = NULL;
            if (cli_load_secret(optarg, &k) != CLI_EXIT_OK)
                goto out;
            st = jot_keyset_add(keys, k);
            jot_key_free(k);
            if (st != JOT_OK) {
                cli_nomem();
                goto out;
            }
            nkeys_given++;
            break;
        }
        case OPT_ALG: {
            char **names = NULL;
            size_t n = 0;
            if (cli_split_list(optarg, &names, &n) != 0) {
                free(names);
                cli_usage_error(cmd, "--alg takes a comma-separated list of algorithm names");
                goto out;
            }
            for (size_t i = 0; i < n; i++) {
                jot_alg a = cli_parse_alg(cmd, names[i]);
                if (a == JOT_ALG_UNSET) {
                    cli_free_list(names, n);
                    goto out;
                }
                algs |= JOT_ALG_BIT(a);
            }
            cli_free_list(names, n);
            break;
        }
        case OPT_ISS:
            policy.issuer = optarg;
            break;
        case OPT_AUD:
            policy.audience = optarg;
            break;
        case OPT_SUB:
            policy.subject = optarg;
            break;
        case OPT_TYP:
            policy.typ = optarg;
            break;
        case OPT_REQUIRE:
            if (cli_split_list(optarg, &required, &required_count) != 0) {
                cli_usage_error(cmd, "--require takes a comma-separated list of claim names");
                goto out;
            }
            break;
        case OPT_LEEWAY: {
            int64_t v;
            if (cli_parse_int64(optarg, 0, &v) != 0) {
                cli_usage_error(cmd, "--leeway takes a number of seconds, not '%s'", optarg);
                goto out;
            }
            policy.leeway = v;
            break;
        }
        case OPT_NOW:
            if (cli_parse_int64(optarg, 1, &now) != 0) {
                cli_usage_error(cmd, "--now takes UNIX seconds, not '%s'", optarg);
                goto out;
            }
            have_now = 1;
            break;
        case OPT_MAX_SIZE: {
            int64_t v;
            if (cli_parse_int64(optarg, 0, &v) != 0 || v == 0 || (uint64_t)v > SIZE_MAX / 2) {
                cli_usage_error(cmd, "--max-size takes a positive number of bytes, not '%s'", optarg);
                goto out;
            }
            policy.max_size = (size_t)v;
            break;
        }
        default:
            cli_bad_option(cmd, c, argv);
            goto out;
        }
    }
    if (argc - optind > 1) {
        cli_usage_error(cmd, "one token at most, got %d arguments", argc - optind);
        goto out;
    }
    if (nkeys_given == 0) {
        /* The contract: nothing is ever accepted unverified. */
        cli_usage_error(cmd, "no key given: use --key FILE or --secret-file FILE");
        goto out;
    }

    policy.keys = keys;
    policy.algs = algs;
    policy.required = (const char *const *)required;
    policy.required_count = required_count;
    if (have_now) {
        policy.now = fixed_now;
        policy.now_ctx = &now;
    }
    st = jot_verifier_new(&policy, &verifier);
    if (st != JOT_OK) {
        verifier = NULL;
        switch (st) {
        case JOT_E_WEAK_KEY:
            cli_err("an HMAC secret is shorter than the hash of an allowed algorithm (RFC 7518 3.2); "
                    "give a longer secret or narrow --alg");
            break;
        case JOT_E_KEY_MISMATCH:
            cli_err("no algorithm fits the key(s) given");
            break;
        case JOT_E_NOMEM:
            cli_nomem();
            break;
        default:
            cli_err("cannot build the verifier: %s", jot_strerror(st));
            break;
        }
        goto out;
    }
    /* An allowed algorithm that no key serves is the contract's no-key for
     * each token that uses it (an RSA key is never an HMAC secret), not a
     * usage error: the token is what is rejected. */

    if (optind < argc && strcmp(argv[optind], "-") != 0) {
        input_len = strlen(argv[optind]);
        input = malloc(input_len + 1);
        if (input == NULL) {
            cli_nomem();
            goto out;
        }
        memcpy(input, argv[optind], input_len + 1);
    } else {
        size_t max_size = policy.max_size != 0 ? policy.max_size : 65536;
        size_t limit = max_size > CLI_MAX_FILE ? max_size + 65536 : CLI_MAX_FILE;
        int too_big = 0;
        if (cli_read_file("-", limit, &input, &input_len, &too_big) != 0) {
            if (too_big) {
                /* Already longer than --max-size however much of it is
                 * white space: the token is rejected, not the command. */
                st = JOT_E_TOO_LARGE;
                snprintf(diag.text, sizeof diag.text, "the token on stdin is longer than %zu bytes",
                         max_size);
                rc = rejected(st, &diag);
            }
            goto out;
        }
    }

    /* Only surrounding white space is ignored; anything else inside is the
     * token's own business (and makes it malformed). */
    const char *tok = input;
    size_t tok_len = input_len;
    while (tok_len > 0 && is_space(tok[0])) {
        tok++;
        tok_len--;
    }
    while (tok_len > 0 && is_space(tok[tok_len - 1]))
        tok_len--;

    st = jot_verify(verifier, tok, tok_len, &claims, &diag);
    if (st != JOT_OK) {
        claims = NULL;
        rc = rejected(st, &diag);
        goto out;
    }
    st = jot_claims_json(claims, NULL, &json);
    if (st != JOT_OK) {
        json = NULL;
        cli_err("cannot print the claims: %s", jot_strerror(st));
        goto out;
    }
    rc = cli_print_line(json);

out:
    jot_free(json);
    jot_claims_free(claims);
    jot_verifier_free(verifier);
    jot_keyset_free(keys);
    cli_free_list(required, required_count);
    cli_wipe_free(input, input_len);
    return rc;
}
