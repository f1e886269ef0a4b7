/*
 * server/main.c - the jotd command: which subcommand (serve, user add, keys
 * rotate, keys list, migrate; cmd/ has one file each), its options and
 * settings, --help. Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include <jot/jot.h>

#include "cmd/cmd.h"
#include "config.h"

#ifndef JOTD_VERSION
#define JOTD_VERSION "0.0.0"
#endif

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f, "usage: jotd COMMAND [options]\n"
               "\n"
               "Commands:\n"
               "  serve                       run the authentication server until SIGTERM/SIGINT\n"
               "  user add NAME [--role ROLE] add a user (the password is read from stdin)\n"
               "  keys rotate [--now]         add a signing key: published at once, signing after\n"
               "                              key-publish-delay (or at once with --now)\n"
               "  keys list                   list the signing keys and their state\n"
               "  migrate                     create or upgrade the store's schema\n"
               "  help, --help                this text; `jotd COMMAND --help` for one command\n"
               "  version, --version          print the version\n"
               "\n"
               "Every command takes --config FILE and any setting below.\n\n");
    jotd_config_help(f);
}

static void command_help(const char *cmd)
{
    if (strcmp(cmd, "serve") == 0)
        printf("usage: jotd serve [--config FILE] [--SETTING VALUE]...\n\n"
               "Serve the endpoints of CONTRACT.md on `listen` until SIGTERM or SIGINT; then finish\n"
               "the requests in flight, close the store and exit 0. Logs are JSON lines on stderr.\n\n");
    else if (strcmp(cmd, "user") == 0)
        printf("usage: jotd user add NAME [--role ROLE] [--config FILE] [--SETTING VALUE]...\n\n"
               "Add a user to the store. The password (8 to 1024 bytes) is read from stdin: one line,\n"
               "without its line ending. ROLE (default: default-role) goes into the access tokens.\n\n");
    else if (strcmp(cmd, "keys") == 0)
        printf("usage: jotd keys rotate [--now] [--config FILE] [--SETTING VALUE]...\n"
               "       jotd keys list [--config FILE] [--SETTING VALUE]...\n\n"
               "rotate adds a signing key for `alg`. It is published in the JWKS at once and signs\n"
               "after key-publish-delay (at once with --now, which can outrun JWKS caches); the\n"
               "previous key stays published until the tokens it signed have expired. A running\n"
               "jotd picks the change up within seconds. list shows every key and its state.\n\n");
    else if (strcmp(cmd, "migrate") == 0)
        printf("usage: jotd migrate [--config FILE] [--SETTING VALUE]...\n\n"
               "Create the store or bring its schema up to date (every command also does this).\n\n");
    jotd_config_help(stdout);
}

typedef struct cli {
    const char *cmd;
    const char *sub;
    const char *positional[4];
    size_t npositional;
    const char *role;
    int now;
    int help;
    jotd_config_args args;
} cli;

/* Options: --name VALUE or --name=VALUE; --help and --now are flags. */
static int parse_args(int argc, char **argv, int start, cli *c)
{
    for (int i = start; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            c->help = 1;
            continue;
        }
        if (strcmp(arg, "--now") == 0) {
            c->now = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (c->npositional >= sizeof c->positional / sizeof c->positional[0]) {
                fprintf(stderr, "jotd: too many arguments\n");
                return -1;
            }
            c->positional[c->npositional++] = arg;
            continue;
        }
        char name[64];
        const char *value;
        const char *eq = strchr(arg, '=');
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - arg - 2), arg + 2);
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg + 2);
            if (i + 1 >= argc) {
                fprintf(stderr, "jotd: option --%s needs a value\n", name);
                return -1;
            }
            value = argv[++i];
        }
        if (strcmp(name, "role") == 0) {
            c->role = value;
            continue;
        }
        if (jotd_config_args_set(&c->args, name, value) != 0) {
            fprintf(stderr, "jotd: unknown option --%s (see jotd --help)\n", name);
            return -1;
        }
    }
    return 0;
}

/* ---- user add ------------------------------------------------------------ */

/* Jansson's free, wiping each block first: request bodies parsed by
 * Jansson hold passwords and tokens, and Jansson frees some of its buffers
 * (the lexer's, values of a parse that fails) without a chance to wipe
 * them. The application, not libjot, decides this for the process. */
static void wiping_free(void *p)
{
    if (p) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

int main(int argc, char **argv)
{
    /* Everything jotd creates (store, WAL, master key) is for its user
     * only. */
    umask(077);
    /* Before any thread exists, as json_set_alloc_funcs requires. */
    json_set_alloc_funcs(malloc, wiping_free);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("jotd %s (libjot %s)\n", JOTD_VERSION, jot_version());
        return 0;
    }
    cli c;
    memset(&c, 0, sizeof c);
    jotd_config_args_init(&c.args);
    c.cmd = cmd;
    int start = 2;
    if (strcmp(cmd, "user") == 0 || strcmp(cmd, "keys") == 0) {
        if (argc > 2 && strncmp(argv[2], "--", 2) != 0) {
            c.sub = argv[2];
            start = 3;
        }
    } else if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0) {
        fprintf(stderr, "jotd: unknown command `%s` (see jotd --help)\n", cmd);
        return EXIT_USAGE;
    }
    if (parse_args(argc, argv, start, &c) != 0)
        return EXIT_USAGE;
    if (c.help) {
        command_help(cmd);
        return 0;
    }
    int ok_shape = 1;
    if (strcmp(cmd, "user") == 0)
        ok_shape = c.sub && strcmp(c.sub, "add") == 0 && c.npositional == 1;
    else if (strcmp(cmd, "keys") == 0)
        ok_shape = c.sub && (strcmp(c.sub, "rotate") == 0 || strcmp(c.sub, "list") == 0) && c.npositional == 0;
    else
        ok_shape = c.npositional == 0;
    if (!ok_shape || (c.role && strcmp(cmd, "user") != 0) ||
        (c.now && !(strcmp(cmd, "keys") == 0 && c.sub && strcmp(c.sub, "rotate") == 0))) {
        fprintf(stderr, "jotd: bad arguments for %s (see jotd %s --help)\n", cmd, cmd);
        return EXIT_USAGE;
    }
    jotd_config cfg;
    char err[512];
    if (jotd_config_resolve(&c.args, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "jotd: %s\n", err);
        return EXIT_USAGE;
    }
    int rc;
    if (strcmp(cmd, "serve") == 0)
        rc = jotd_cmd_serve(&cfg);
    else if (strcmp(cmd, "user") == 0)
        rc = jotd_cmd_user_add(&cfg, c.positional[0], c.role);
    else if (strcmp(cmd, "keys") == 0)
        rc = jotd_cmd_keys(&cfg, c.sub, c.now);
    else
        rc = jotd_cmd_migrate(&cfg);
    jotd_config_release(&cfg);
    return rc;
}
