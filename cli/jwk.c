/*
 * cli/jwk.c - `jot jwk [--public] [--kid KID] [--thumbprint] FILE` (one key
 * to a JWK, RFC 7517 4, or its RFC 7638 thumbprint) and `jot jwks FILE...`
 * (the public halves as a JWK Set, RFC 7517 5). CONTRACT.md, `jot jwk`.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jot/jot.h>

#include "util.h"

static const char jwk_usage[] =
    "Usage: jot jwk [--public | --private] [--kid KID] [--thumbprint] FILE\n"
    "\n"
    "Convert one key (PEM or JWK; FILE '-' is stdin) to a one-line JWK. The\n"
    "whole key as given (private members included) unless --public.\n"
    "\n"
    "Options:\n"
    "  --public       only the public half (refused for HMAC keys)\n"
    "  --private      the whole key as given (the default)\n"
    "  --kid KID      set the key's 'kid'\n"
    "  --thumbprint   print the RFC 7638 SHA-256 thumbprint (base64url) instead\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 printed; 2 usage error, unreadable file or bad key.\n";

static const char jwks_usage[] =
    "Usage: jot jwks FILE...\n"
    "\n"
    "Print a JWK Set (JWKS) of the public halves of every key in the FILEs\n"
    "(PEM, JWK or JWKS; '-' is stdin). HMAC keys have no public half and are\n"
    "left out, with a note on stderr.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 printed; 2 usage error, unreadable file or bad key.\n";

enum { OPT_PUBLIC = 256, OPT_PRIVATE, OPT_KID, OPT_THUMBPRINT };

static const struct option jwk_options[] = {
    {"public", no_argument, NULL, OPT_PUBLIC},
    {"private", no_argument, NULL, OPT_PRIVATE},
    {"kid", required_argument, NULL, OPT_KID},
    {"thumbprint", no_argument, NULL, OPT_THUMBPRINT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option jwks_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A private copy of key, with kid set. Keys in a set are shared and must
 * not change, so the copy goes through the key's own JWK form. */
static jot_status copy_with_kid(const jot_key *key, const char *kid, jot_key **out)
{
    char *jwk = NULL;
    unsigned flags = jot_key_is_private(key) ? JOT_JWK_PRIVATE : JOT_JWK_PUBLIC;
    jot_status st = jot_key_to_jwk(key, flags, &jwk);
    if (st != JOT_OK)
        return st;
    st = jot_key_from_jwk(jwk, strlen(jwk), out);
    jot_free(jwk);
    if (st != JOT_OK)
        return st;
    st = jot_key_set_kid(*out, kid);
    if (st != JOT_OK) {
        jot_key_free(*out);
        *out = NULL;
    }
    return st;
}

int cli_jwk(int argc, char **argv)
{
    const char *cmd = "jwk";
    int want_public = 0, want_private = 0, want_thumbprint = 0;
    const char *kid = NULL;
    jot_keyset *set = NULL;
    jot_key *copy = NULL;
    char *text = NULL;
    int rc = CLI_EXIT_USAGE;
    int c;
    jot_status st;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", jwk_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(jwk_usage, stdout);
            return CLI_EXIT_OK;
        case OPT_PUBLIC:
            want_public = 1;
            break;
        case OPT_PRIVATE:
            want_private = 1;
            break;
        case OPT_KID:
            kid = optarg;
            break;
        case OPT_THUMBPRINT:
            want_thumbprint = 1;
            break;
        default:
            return cli_bad_option(cmd, c, argv);
        }
    }
    if (want_public && want_private)
        return cli_usage_error(cmd, "--public and --private exclude each other");
    if (argc - optind != 1)
        return cli_usage_error(cmd, "exactly one FILE expected, got %d", argc - optind);
    const char *path = argv[optind];

    if (cli_load_keyset(path, &set) != CLI_EXIT_OK)
        goto out;
    if (jot_keyset_count(set) != 1) {
        cli_err("%s: holds %zu keys; 'jot jwk' takes one (see 'jot jwks')", cli_path_name(path),
                jot_keyset_count(set));
        goto out;
    }
    const jot_key *key = jot_keyset_get(set, 0);
    if (kid != NULL) {
        st = copy_with_kid(key, kid, &copy);
        if (st != JOT_OK) {
            copy = NULL;
            cli_err("%s: cannot set the kid: %s", cli_path_name(path), jot_strerror(st));
            goto out;
        }
        key = copy;
    }

    if (want_thumbprint) {
        char tp[44];
        st = jot_key_thumbprint(key, tp);
        if (st != JOT_OK) {
            cli_err("%s: cannot compute the thumbprint: %s", cli_path_name(path), jot_strerror(st));
            goto out;
        }
        rc = cli_print_line(tp);
        goto out;
    }
    if (want_public && jot_key_type(key) == JOT_KTY_OCT) {
        cli_err("%s: an HMAC key has no public half", cli_path_name(path));
        goto out;
    }
    unsigned flags = (!want_public && jot_key_is_private(key)) ? JOT_JWK_PRIVATE : JOT_JWK_PUBLIC;
    st = jot_key_to_jwk(key, flags, &text);
    if (st != JOT_OK) {
        text = NULL;
        cli_err("%s: cannot export the key: %s", cli_path_name(path), jot_strerror(st));
        goto out;
    }
    rc = cli_print_line(text);

out:
    jot_free(text);
    jot_key_free(copy);
    jot_keyset_free(set);
    return rc;
}

int cli_jwks(int argc, char **argv)
{
    const char *cmd = "jwks";
    jot_keyset *all = NULL;
    char *text = NULL;
    int rc = CLI_EXIT_USAGE;
    int c;
    jot_status st;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", jwks_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(jwks_usage, stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option(cmd, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error(cmd, "at least one FILE expected");
    if (jot_keyset_new(&all) != JOT_OK)
        return cli_nomem();
    for (int i = optind; i < argc; i++) {
        jot_keyset *one = NULL;
        if (cli_load_keyset(argv[i], &one) != CLI_EXIT_OK)
            goto out;
        for (size_t k = 0; k < jot_keyset_count(one); k++) {
            if (jot_key_type(jot_keyset_get(one, k)) == JOT_KTY_OCT) {
                cli_err("note: %s: an HMAC key has no public half; left out", cli_path_name(argv[i]));
                break;
            }
        }
        int m = cli_keyset_merge(all, one);
        jot_keyset_free(one);
        if (m != CLI_EXIT_OK)
            goto out;
    }
    st = jot_keyset_to_jwks(all, JOT_JWK_PUBLIC, &text);
    if (st != JOT_OK) {
        text = NULL;
        cli_err("cannot export the keys: %s", jot_strerror(st));
        goto out;
    }
    rc = cli_print_line(text);

out:
    jot_free(text);
    jot_keyset_free(all);
    return rc;
}
