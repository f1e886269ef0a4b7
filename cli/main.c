/*
 * cli/main.c - the `jot` command: dispatch to the subcommands, global
 * --help and --version. The behaviour is fixed by CONTRACT.md, section
 * `jot`; exit codes: 0 ok, 1 rejected, 2 usage error / bad file / bad key.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include <jot/jot.h>

#include "util.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"sign", cli_sign, "sign a claims set into a compact JWS (JWT)"},
    {"verify", cli_verify, "verify a token and print its claims"},
    {"decode", cli_decode, "show a token's header and payload WITHOUT verifying it"},
    {"keygen", cli_keygen, "generate a private key for an algorithm"},
    {"jwk", cli_jwk, "convert a PEM or JWK key to a JWK, or print its thumbprint"},
    {"jwks", cli_jwks, "print a JWKS of the public halves of keys"},
};

static void usage(FILE *f)
{
    fputs("Usage: jot COMMAND [OPTIONS] [ARGS]\n"
          "       jot COMMAND --help\n"
          "       jot --help | --version\n"
          "\n"
          "JSON Web Tokens (RFC 7519, 7515, 7517, 7518) from the shell.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "Exit status: 0 success; 1 token rejected or check failed;\n"
          "2 usage error, unreadable file or bad key.\n"
          "See jot(1).\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_err("no command given (see 'jot --help')");
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("jot %s (libjot %s)\n", JOT_VERSION_STRING, jot_version());
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (strcmp(cmd, "help") == 0) {
        /* "jot help CMD" is "jot CMD --help". */
        if (argc == 2) {
            usage(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                char help[] = "--help";
                char *sub[] = {argv[2], help, NULL};
                return commands[i].run(2, sub);
            }
        }
        cli_err("unknown command '%s' (see 'jot --help')", argv[2]);
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    if (cmd[0] == '-')
        cli_err("unknown option '%s' (see 'jot --help')", cmd);
    else
        cli_err("unknown command '%s' (see 'jot --help')", cmd);
    return CLI_EXIT_USAGE;
}
