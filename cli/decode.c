/*
 * cli/decode.c - `jot decode [TOKEN]`: show a compact JWS's protected header
 * and payload WITHOUT verifying anything (CONTRACT.md, `jot decode`).
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jot/jot.h>

#include "util.h"

static const char decode_usage[] =
    "Usage: jot decode [OPTIONS] [TOKEN]\n"
    "\n"
    "Print {\"header\":{...},\"payload\":{...}} of a compact JWS WITHOUT\n"
    "verifying its signature or claims. TOKEN is read from stdin when absent\n"
    "or '-' (surrounding white space is ignored). Use 'jot verify' to trust it.\n"
    "\n"
    "Options:\n"
    "  --max-size BYTES     refuse longer tokens (default 65536)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 decoded; 1 not a well-formed JWS; 2 usage error.\n";

enum { OPT_MAX_SIZE = 256 };

static const struct option decode_options[] = {
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int cli_decode(int argc, char **argv)
{
    const char *cmd = "decode";
    size_t max_size = 65536;
    char *input = NULL;
    size_t input_len = 0;
    char *header = NULL;
    char *payload = NULL;
    int rc = CLI_EXIT_USAGE;
    int c;
    jot_status st;
    jot_diag diag;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", decode_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(decode_usage, stdout);
            return CLI_EXIT_OK;
        case OPT_MAX_SIZE: {
            int64_t v;
            if (cli_parse_int64(optarg, 0, &v) != 0 || v == 0 || (uint64_t)v > SIZE_MAX / 2)
                return cli_usage_error(cmd, "--max-size takes a positive number of bytes, not '%s'", optarg);
            max_size = (size_t)v;
            break;
        }
        default:
            return cli_bad_option(cmd, c, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(cmd, "one token at most, got %d arguments", argc - optind);

    if (optind < argc && strcmp(argv[optind], "-") != 0) {
        input_len = strlen(argv[optind]);
        input = malloc(input_len + 1);
        if (input == NULL)
            return cli_nomem();
        memcpy(input, argv[optind], input_len + 1);
    } else {
        size_t limit = max_size > CLI_MAX_FILE ? max_size + 65536 : CLI_MAX_FILE;
        int too_big = 0;
        if (cli_read_file("-", limit, &input, &input_len, &too_big) != 0) {
            if (!too_big)
                return CLI_EXIT_USAGE;
            cli_err("%s: the token on stdin is longer than %zu bytes", jot_status_code(JOT_E_TOO_LARGE), max_size);
            return CLI_EXIT_REJECT;
        }
    }
    const char *tok = input;
    size_t tok_len = input_len;
    while (tok_len > 0 && is_space(tok[0])) {
        tok++;
        tok_len--;
    }
    while (tok_len > 0 && is_space(tok[tok_len - 1]))
        tok_len--;

    jot_diag_init(&diag);
    st = jot_decode_unverified(tok, tok_len, max_size, &header, &payload, &diag);
    if (st != JOT_OK) {
        header = payload = NULL;
        if (st == JOT_E_NOMEM) {
            rc = cli_nomem();
        } else {
            cli_err("%s: %s", jot_status_code(st), diag.text[0] != '\0' ? diag.text : jot_strerror(st));
            rc = CLI_EXIT_REJECT;
        }
        goto out;
    }
    if (printf("{\"header\":%s,\"payload\":%s}\n", header, payload) < 0 || fflush(stdout) != 0) {
        cli_err("cannot write to stdout");
        goto out;
    }
    /* After the output, so that it is the last thing a reader sees. */
    cli_err("warning: nothing was verified (neither the signature nor the claims); use 'jot verify'");
    rc = CLI_EXIT_OK;

out:
    jot_free(header);
    jot_free(payload);
    cli_wipe_free(input, input_len);
    return rc;
}
