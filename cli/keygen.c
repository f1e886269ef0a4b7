/*
 * cli/keygen.c - `jot keygen --alg ALG [--kid KID] [--format pem|jwk]
 * [--bits N] [--out FILE]`: a new private key fit for ALG
 * (CONTRACT.md, `jot keygen`).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jot/jot.h>

#include "util.h"

static const char keygen_usage[] =
    "Usage: jot keygen --alg ALG [--kid KID] [--format pem|jwk] [--bits N] [--out FILE]\n"
    "\n"
    "Generate a new private key fit for ALG:\n"
    "  HS256/384/512   random bytes of the hash's size (a JWK of kty 'oct')\n"
    "  RS*/PS*         RSA of 2048 bits, or --bits N (2048 to 16384)\n"
    "  ES256/384/512   P-256, P-384, P-521\n"
    "  EdDSA           Ed25519 (--bits 448: Ed448)\n"
    "\n"
    "Options:\n"
    "  --alg ALG        the algorithm the key is for (required)\n"
    "  --kid KID        the key's 'kid' (default: its RFC 7638 thumbprint)\n"
    "  --format FORMAT  jwk (default: includes 'alg' and 'kid') or pem (PKCS#8;\n"
    "                   not for HS*); with --out FILE.pem, pem is the default\n"
    "  --bits N         RSA modulus size, or 448 for Ed448\n"
    "  --out FILE       write to FILE, created or truncated with mode 0600,\n"
    "                   instead of stdout\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 written; 2 usage error or unwritable file.\n";

enum { OPT_ALG = 256, OPT_KID, OPT_FORMAT, OPT_BITS, OPT_OUT };

static const struct option keygen_options[] = {
    {"alg", required_argument, NULL, OPT_ALG},
    {"kid", required_argument, NULL, OPT_KID},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"bits", required_argument, NULL, OPT_BITS},
    {"out", required_argument, NULL, OPT_OUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Write the private key to path with mode 0600 whatever the umask, and
 * whatever mode a file already there had: the mode is fixed before a byte
 * of the key is written. */
static int write_private(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_err("%s: %s", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (fchmod(fd, 0600) != 0) {
        cli_err("%s: cannot set mode 0600: %s", path, strerror(errno));
        close(fd);
        return CLI_EXIT_USAGE;
    }
    if (cli_write_all(fd, text, len) != 0) {
        cli_err("%s: %s", path, strerror(errno));
        close(fd);
        return CLI_EXIT_USAGE;
    }
    if (close(fd) != 0) {
        cli_err("%s: %s", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_keygen(int argc, char **argv)
{
    const char *cmd = "keygen";
    const char *alg_name = NULL;
    const char *kid = NULL;
    const char *format = NULL;
    const char *out_path = NULL;
    int64_t bits = 0;
    int have_bits = 0;
    jot_key *key = NULL;
    char *text = NULL;
    char *line = NULL;
    size_t line_len = 0;
    int rc = CLI_EXIT_USAGE;
    int c;
    jot_alg alg;
    jot_status st;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", keygen_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(keygen_usage, stdout);
            return CLI_EXIT_OK;
        case OPT_ALG:
            alg_name = optarg;
            break;
        case OPT_KID:
            kid = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_BITS:
            if (cli_parse_int64(optarg, 0, &bits) != 0 || bits == 0)
                return cli_usage_error(cmd, "--bits takes a positive number, not '%s'", optarg);
            have_bits = 1;
            break;
        case OPT_OUT:
            out_path = optarg;
            break;
        default:
            return cli_bad_option(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (alg_name == NULL)
        return cli_usage_error(cmd, "--alg is required");
    alg = cli_parse_alg(cmd, alg_name);
    if (alg == JOT_ALG_UNSET)
        return CLI_EXIT_USAGE;
    /* Without --format, a file named *.pem gets a PEM key (not for HMAC,
     * which has no PEM form), so that openssl can read what it names. */
    if (format == NULL) {
        size_t n = out_path ? strlen(out_path) : 0;
        int hs = alg == JOT_HS256 || alg == JOT_HS384 || alg == JOT_HS512;
        format = n > 4 && strcmp(out_path + n - 4, ".pem") == 0 && !hs ? "pem" : "jwk";
    }
    int pem = 0;
    if (strcmp(format, "pem") == 0)
        pem = 1;
    else if (strcmp(format, "jwk") != 0)
        return cli_usage_error(cmd, "--format is pem or jwk, not '%s'", format);
    int hmac = alg == JOT_HS256 || alg == JOT_HS384 || alg == JOT_HS512;
    int rsa = alg >= JOT_RS256 && alg <= JOT_PS512;
    if (pem && hmac)
        return cli_usage_error(cmd, "an HMAC key has no PEM form; use --format jwk");
    if (have_bits) {
        if (rsa) {
            if (bits > 16384)
                return cli_usage_error(cmd, "--bits %lld is more than 16384", (long long)bits);
        } else if (alg == JOT_EDDSA) {
            if (bits == 255 || bits == 256)
                bits = 0;
            else if (bits != 448)
                return cli_usage_error(cmd, "EdDSA keys are Ed25519 (--bits 256) or Ed448 (--bits 448)");
        } else {
            return cli_usage_error(cmd, "--bits does not apply to %s: its key size is fixed", jot_alg_name(alg));
        }
    }

    st = jot_key_generate(alg, (unsigned)bits, &key);
    if (st != JOT_OK) {
        key = NULL;
        if (st == JOT_E_WEAK_KEY)
            cli_err("RSA keys need at least 2048 bits (got --bits %lld)", (long long)bits);
        else if (st == JOT_E_NOMEM)
            cli_nomem();
        else
            cli_err("cannot generate a %s key: %s", jot_alg_name(alg), jot_strerror(st));
        goto out;
    }
    if (kid == NULL) {
        /* RFC 7638 1: the thumbprint is a natural, stable key identifier. */
        char tp[44];
        st = jot_key_thumbprint(key, tp);
        if (st == JOT_OK)
            st = jot_key_set_kid(key, tp);
    } else {
        st = jot_key_set_kid(key, kid);
    }
    if (st != JOT_OK) {
        cli_err("cannot set the kid: %s", jot_strerror(st));
        goto out;
    }
    st = pem ? jot_key_to_pem(key, JOT_JWK_PRIVATE, &text) : jot_key_to_jwk(key, JOT_JWK_PRIVATE, &text);
    if (st != JOT_OK) {
        text = NULL;
        cli_err("cannot export the key: %s", jot_strerror(st));
        goto out;
    }
    size_t len = strlen(text);
    line_len = len + 1;
    line = malloc(line_len + 1);
    if (line == NULL) {
        line_len = 0;
        rc = cli_nomem();
        goto out;
    }
    memcpy(line, text, len);
    /* A PEM text ends with its own newline; a JWK gets one. */
    if (len > 0 && text[len - 1] == '\n')
        line_len = len;
    else
        line[len] = '\n';
    line[line_len] = '\0';

    if (out_path != NULL) {
        rc = write_private(out_path, line, line_len);
    } else if (cli_write_all(STDOUT_FILENO, line, line_len) != 0) {
        cli_err("cannot write to stdout: %s", strerror(errno));
    } else {
        rc = CLI_EXIT_OK;
    }

out:
    cli_wipe_free(line, line_len + 1);
    jot_free(text);
    jot_key_free(key);
    return rc;
}
