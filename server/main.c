/*
 * server/main.c - the jotd command: serve, user add, keys rotate, keys list,
 * migrate. Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <malloc.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jot/jot.h>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/keys.h"
#include "config.h"
#include "http/http.h"
#include "store/store.h"
#include "base/mem.h"
#include "base/clock.h"
#include "base/log.h"
#ifdef JOTD_WEB
#include "web/web.h"
#endif

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

static char *read_file(const char *path, size_t max, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = jotd_xmalloc(max + 1);
    size_t n = fread(buf, 1, max + 1, f);
    fclose(f);
    if (n > max) {
        free(buf);
        snprintf(err, errlen, "%s is too large", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- serve --------------------------------------------------------------- */

static int serve(const jotd_config *cfg)
{
    /* Signals are taken by this thread with sigtimedwait: block them before
     * any other thread starts, so that every thread inherits the mask. */
    sigset_t set;
    /* A shell starts background jobs with SIGINT ignored, and an ignored
     * signal is discarded even when blocked: restore the defaults first so
     * that Ctrl-C reaches sigtimedwait. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    jotd_store_background(store);
    jotd_auth *auth = NULL;
    if (jotd_auth_new(cfg, store, &auth, err, sizeof err) != 0) {
        fprintf(stderr, "jotd: %s\n", err);
        jotd_store_close(store);
        return 1;
    }
    char *cert = NULL, *key = NULL;
    if (cfg->tls_cert) {
        cert = read_file(cfg->tls_cert, 1 << 20, err, sizeof err);
        key = cert ? read_file(cfg->tls_key, 1 << 20, err, sizeof err) : NULL;
        if (!cert || !key) {
            fprintf(stderr, "jotd: %s\n", err);
            free(cert);
            jotd_auth_free(auth);
            jotd_store_close(store);
            return 1;
        }
    }
    jotd_http *http = jotd_http_new();
    jotd_http_options o;
    memset(&o, 0, sizeof o);
    o.host = cfg->listen_host;
    o.port = cfg->listen_port;
    o.threads = cfg->threads;
    o.connection_limit = cfg->max_connections;
    o.timeout_seconds = (unsigned)cfg->connection_timeout;
    o.max_body = 16 * 1024;
    o.max_headers = 64;
    o.tls_cert = cert;
    o.tls_key = key;
    o.log_requests = cfg->log_requests;
    jotd_auth_routes(auth, http, &o);
#ifdef JOTD_WEB
    /* The dashboard at "/", on the same origin as the endpoints it calls. */
    if (cfg->dashboard)
        jotd_web_routes(http);
#endif
    /* Request log lines go through the log writer thread from here on. */
    jotd_log_start();
    int rc = jotd_http_start(http, &o, err, sizeof err);
    free(cert);
    jotd_free_secret(key);
    if (rc != 0) {
        jotd_log_stop();
        fprintf(stderr, "jotd: %s\n", err);
        jotd_http_free(http);
        jotd_auth_free(auth);
        jotd_store_close(store);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%u", jotd_http_port(http));
    jotd_log("info", "listening", "host", cfg->listen_host, "port", port, "issuer", cfg->issuer, "tls",
             cfg->tls_cert ? "on" : "off", "version", JOTD_VERSION, NULL);

    /* The main thread waits for a signal and does the periodic work. */
    struct timespec tick = {1, 0};
    time_t last = 0;
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            jotd_log("info", "shutting down", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
            break;
        }
        time_t now = time(NULL);
        if (now - last >= 2) {
            last = now;
            jotd_auth_tick(auth, (int64_t)now);
        }
    }
    jotd_auth_shutdown(auth);
    jotd_http_stop(http, 30000);
    jotd_http_free(http);
    jotd_auth_free(auth);
    jotd_store_close(store);
    jotd_log("info", "stopped", NULL);
    jotd_log_stop();
    return 0;
}

/* ---- user add ------------------------------------------------------------ */

static int read_password(char *buf, size_t cap, size_t *len)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO);
    if (tty) {
        fprintf(stderr, "Password: ");
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        } else {
            tty = 0;
        }
    }
    size_t n = 0;
    int c;
    while (n < cap && (c = getchar()) != EOF && c != '\n')
        buf[n++] = (char)c;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (n == cap)
        return -1;
    if (n && buf[n - 1] == '\r')
        n--;
    *len = n;
    return 0;
}

static int user_add(const jotd_config *cfg, const char *name, const char *role)
{
    char pw[JOTD_PASSWORD_MAX + 2];
    size_t len = 0;
    if (read_password(pw, sizeof pw, &len) != 0) {
        jotd_wipe(pw, sizeof pw);
        fprintf(stderr, "jotd: the password is longer than %d bytes\n", JOTD_PASSWORD_MAX);
        return 1;
    }
    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        jotd_wipe(pw, sizeof pw);
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    char id[64];
    int rc = jotd_auth_user_add(cfg, store, name, role ? role : cfg->default_role, pw, len, id, sizeof id, err,
                                sizeof err);
    jotd_wipe(pw, sizeof pw);
    jotd_store_close(store);
    if (rc != 0) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    printf("added user %s (id %s, role %s)\n", name, id, role ? role : cfg->default_role);
    return 0;
}

/* ---- keys ---------------------------------------------------------------- */

static int keys_cmd(const jotd_config *cfg, const char *sub, int now_flag)
{
    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    int rc = 1;
    int64_t now = jotd_now();
    if (strcmp(sub, "list") == 0) {
        rc = jotd_keys_print(store, cfg, now, stdout) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "jotd: cannot read the keys\n");
    } else {
        int have = jotd_keys_exist(store);
        uint8_t master[JOTD_MASTER_KEY_LEN];
        if (have < 0) {
            fprintf(stderr, "jotd: cannot read the keys\n");
        } else if (jotd_master_key_load(cfg, !have, master, err, sizeof err) != 0) {
            fprintf(stderr, "jotd: %s\n", err);
        } else {
            /* The first key signs at once: there is nothing to wait for. */
            int64_t at = (now_flag || !have) ? now : now + cfg->key_publish_delay;
            char kid[64];
            char signer[64] = "none";
            if (jotd_keys_generate(store, cfg, master, now, at, kid, err, sizeof err) != 0) {
                fprintf(stderr, "jotd: %s\n", err);
            } else if (jotd_keys_signing_at(store, at, signer) != 0 || strcmp(signer, kid) != 0) {
                /* The promise is that this key signs from `at`: say so if
                 * another key in the store would (a newer one activating
                 * at the same time cannot, keys are ordered by insertion). */
                fprintf(stderr, "jotd: key %s was added but key %s signs at that time; see jotd keys list\n", kid,
                        signer);
            } else {
                time_t t = (time_t)at;
                struct tm tm;
                char when[32];
                gmtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                printf("added key %s (%s), published now, signing from %s\n", kid, cfg->alg, when);
                rc = 0;
            }
            jotd_wipe(master, sizeof master);
        }
    }
    jotd_store_close(store);
    return rc;
}

/* The store's location as a message may show it: the password of a
 * postgresql://user:password@host/... URI replaced by ***, a query that
 * names a password as a whole. */
static void store_shown(const char *loc, char *out, size_t n)
{
    const char *p = strstr(loc, "://");
    if (p) {
        p += 3;
        size_t auth = strcspn(p, "/?#");
        const char *at = memchr(p, '@', auth);
        const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
        if (colon) {
            snprintf(out, n, "%.*s:***%s", (int)(colon - loc), loc, at);
            return;
        }
        /* ...?password=secret&... */
        const char *q = strchr(p, '?');
        if (q && strstr(q, "password=")) {
            snprintf(out, n, "%.*s?***", (int)(q - loc), loc);
            return;
        }
    }
    snprintf(out, n, "%s", loc);
}

static int migrate_cmd(const jotd_config *cfg)
{
    char err[512];
    jotd_store *store = NULL;
    if (jotd_store_open(cfg->store, &store, err, sizeof err) != JOTD_STORE_OK) {
        fprintf(stderr, "jotd: %s\n", err);
        return 1;
    }
    int v = jotd_store_schema_version(store);
    int latest = jotd_store_schema_latest(store);
    jotd_store_close(store);
    char shown[512];
    store_shown(cfg->store, shown, sizeof shown);
    printf("store %s: schema version %d (latest %d)\n", shown, v, latest);
    return v == latest ? 0 : 1;
}

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
        rc = serve(&cfg);
    else if (strcmp(cmd, "user") == 0)
        rc = user_add(&cfg, c.positional[0], c.role);
    else if (strcmp(cmd, "keys") == 0)
        rc = keys_cmd(&cfg, c.sub, c.now);
    else
        rc = migrate_cmd(&cfg);
    jotd_config_release(&cfg);
    return rc;
}
