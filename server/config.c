/* server/config.c - see config.h */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jot/jot.h>

#include "base/mem.h"
#include "base/buf.h"
#include "base/text.h"

typedef enum kind { K_STR, K_DUR, K_UINT, K_BOOL } kind;

typedef struct setting {
    const char *name;
    kind kind;
    size_t off;
    const char *def; /* NULL: none, or derived from others */
    int64_t min;
    int64_t max;
    const char *help;
} setting;

#define OFF(f) offsetof(jotd_config, f)
#define DAY (24 * 3600)

static const setting settings[] = {
    {"listen", K_STR, OFF(listen), "127.0.0.1:8080", 0, 0, "address and port to listen on (host:port, [v6]:port)"},
    {"store", K_STR, OFF(store), "jotd.db", 0, 0,
     "the store: a path to an SQLite file, or a postgresql:// URI (libpq) for PostgreSQL"},
    {"master-key-file", K_STR, OFF(master_key_file), NULL, 0, 0,
     "32-byte key that encrypts the signing keys (default: jotd.master.key beside the store, created 0600);"
     " the environment variable JOTD_MASTER_KEY (64 hex digits) overrides the file"},
    {"issuer", K_STR, OFF(issuer), NULL, 0, 0, "the tokens' iss (default: http:// or https:// + listen)"},
    {"audience", K_STR, OFF(audience), "jot", 0, 0, "the access tokens' aud"},
    {"client-id", K_STR, OFF(client_id), "jot", 0, 0, "the access tokens' client_id (RFC 9068 2.2)"},
    {"alg", K_STR, OFF(alg), "ES256", 0, 0,
     "signature algorithm of new signing keys: ES256, ES384, ES512, RS256, PS256, EdDSA, HS256, ..."},
    {"access-ttl", K_DUR, OFF(access_ttl), "10m", 1, 7 * DAY, "lifetime of access tokens"},
    {"refresh-ttl", K_DUR, OFF(refresh_ttl), "14d", 1, 3650 * DAY, "sliding lifetime of a refresh token"},
    {"session-max", K_DUR, OFF(session_max), "90d", 1, 3650 * DAY,
     "absolute lifetime of a login (refresh family), from the login"},
    {"refresh-grace", K_DUR, OFF(refresh_grace), "5s", 0, 60,
     "reuse grace window for the immediate predecessor of a refresh token (0: off)"},
    {"key-publish-delay", K_DUR, OFF(key_publish_delay), "10m", 0, 30 * DAY,
     "how long `keys rotate` publishes a new key in the JWKS before it signs"},
    {"verify-claims", K_STR, OFF(verify_claims), "name,role", 0, 0,
     "claims that /verify returns as X-Jot-<Claim> headers, besides X-Jot-Sub"},
    {"verify-cache", K_UINT, OFF(verify_cache), "10000", 0, 10000000,
     "access tokens /verify remembers as verified (the exact text, until its exp; revocation is still checked"
     " each time), so that a token presented again costs no signature verification; 0: off"},
    {"introspect-client-id", K_STR, OFF(introspect_client_id), "resource-server", 0, 0,
     "the HTTP Basic user name resource servers give at POST /introspect (RFC 7662 2.1)"},
    {"introspect-secret", K_STR, OFF(introspect_secret), NULL, 0, 0,
     "the HTTP Basic password of introspect-client-id, 16 to 256 bytes; none: POST /introspect answers 401"},
    {"trusted-proxies", K_STR, OFF(trusted_proxies), NULL, 0, 0,
     "addresses of reverse proxies (comma-separated IPs) whose X-Forwarded-For header names the client,"
     " for the login and signup limits, the refresh grace window and the sessions list; none: the peer"
     " address is the client"},
    {"dashboard", K_BOOL, OFF(dashboard), "on", 0, 1, "serve the dashboard's pages at / (on/off)"},
    {"tls-cert", K_STR, OFF(tls_cert), NULL, 0, 0, "PEM certificate (chain) file: serve HTTPS"},
    {"tls-key", K_STR, OFF(tls_key), NULL, 0, 0, "PEM private key file for tls-cert"},
    {"threads", K_UINT, OFF(threads), "0", 0, 256, "HTTP worker threads (epoll each); 0: one per CPU core"},
    {"max-connections", K_UINT, OFF(max_connections), "1024", 1, 100000, "simultaneous connections"},
    {"connection-timeout", K_DUR, OFF(connection_timeout), "30s", 1, 3600,
     "idle time after which a connection is closed"},
    {"log-requests", K_BOOL, OFF(log_requests), "on", 0, 1, "one JSON line per request on stderr (on/off)"},
    {"signup", K_BOOL, OFF(signup), "on", 0, 1, "allow POST /signup (on/off)"},
    {"default-role", K_STR, OFF(default_role), "user", 0, 0, "role of users created by /signup"},
    {"argon2-memory", K_UINT, OFF(argon2_memory), "19456", 8, 4194304, "argon2id memory in KiB"},
    {"argon2-iterations", K_UINT, OFF(argon2_iterations), "2", 1, 100, "argon2id passes"},
    {"argon2-parallelism", K_UINT, OFF(argon2_parallelism), "1", 1, 64, "argon2id lanes"},
    {"hash-workers", K_UINT, OFF(hash_workers), "0", 0, 256,
     "threads that compute password hashes; 0: one per CPU core"},
    {"hash-queue", K_UINT, OFF(hash_queue), "64", 1, 100000,
     "password hashes waiting at most; beyond it logins answer 503"},
    {"login-limit-user", K_UINT, OFF(login_limit_user), "10", 1, 1000000,
     "failed logins for one username from one client address within login-window before that address gets"
     " 429 for that username (others' failures only slow the username's logins down by a second)"},
    {"login-limit-address", K_UINT, OFF(login_limit_address), "100", 1, 1000000,
     "failed logins per client address within login-window before 429"},
    {"login-slow-after", K_UINT, OFF(login_slow_after), "3", 0, 1000000,
     "failed logins for one username from one client address after which its attempts are delayed (1s, 2s, 4s,"
     " 8s)"},
    {"password-min-bits", K_UINT, OFF(password_min_bits), "30", 0, 128,
     "new passwords need at least 2^N guesses by the zxcvbn estimate (common words, names, patterns, dates);"
     " 0: no check"},
    {"signup-limit-address", K_UINT, OFF(signup_limit_address), "20", 1, 10000000,
     "signups (taken names included) per client address within signup-window before 429"},
    {"signup-window", K_DUR, OFF(signup_window), "1h", 1, 7 * DAY, "window in which signups are counted"},
    {"login-window", K_DUR, OFF(login_window), "15m", 1, 7 * DAY, "window in which failed logins are counted"},
    {"login-track-max", K_UINT, OFF(login_track_max), "100000", 1, 10000000,
     "entries of each login-limit table (usernames, clients, username-client pairs, signup clients) held in"
     " memory; beyond it new clients' logins get 429 until older entries leave the window (a full username or"
     " signup table only stops counting)"},
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

_Static_assert(sizeof settings / sizeof settings[0] <= JOTD_MAX_SETTINGS, "too many settings");

static int find_setting(const char *name, size_t len)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].name) == len && memcmp(settings[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

void jotd_config_args_init(jotd_config_args *a)
{
    memset(a, 0, sizeof *a);
}

int jotd_config_args_set(jotd_config_args *a, const char *name, const char *value)
{
    if (strcmp(name, "config") == 0) {
        a->config_file = value;
        return 0;
    }
    int i = find_setting(name, strlen(name));
    if (i < 0)
        return -1;
    a->values[i] = value;
    return 0;
}

int64_t jotd_parse_duration(const char *s)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    int64_t v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > 100000000000LL)
            return -1;
        s++;
    }
    int64_t mul = 1;
    switch (*s) {
    case '\0':
        return v;
    case 's':
        mul = 1;
        break;
    case 'm':
        mul = 60;
        break;
    case 'h':
        mul = 3600;
        break;
    case 'd':
        mul = DAY;
        break;
    default:
        return -1;
    }
    if (s[1] != '\0')
        return -1;
    if (v > INT64_MAX / mul / 2)
        return -1;
    return v * mul;
}

static void seterr(char *err, size_t n, const char *fmt, ...) JOTD_PRINTF(3, 4);
static void seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Read `name = value` lines; '#' starts a comment line. The values are
 * stored in file_values (owned). */
static int read_file(const char *path, char **file_values, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        seterr(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned lineno = 0;
    int rc = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            seterr(err, errlen, "%s:%u: expected `name = value`", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *name = trim(s);
        char *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        int i = find_setting(name, strlen(name));
        if (i < 0) {
            seterr(err, errlen, "%s:%u: unknown setting `%s`", path, lineno, name);
            rc = -1;
            break;
        }
        if (file_values[i]) {
            seterr(err, errlen, "%s:%u: `%s` set twice", path, lineno, name);
            rc = -1;
            break;
        }
        file_values[i] = jotd_xstrdup(value);
    }
    free(line);
    fclose(f);
    return rc;
}

static const char *env_value(const char *name)
{
    char var[80] = "JOTD_";
    size_t j = 5;
    for (const char *p = name; *p && j < sizeof var - 1; p++)
        var[j++] = (*p == '-') ? '_' : (char)toupper((unsigned char)*p);
    var[j] = '\0';
    const char *v = getenv(var);
    return (v && *v) ? v : NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (jotd_strcaseeq(v, "on") || jotd_strcaseeq(v, "true") || jotd_strcaseeq(v, "yes") || strcmp(v, "1") == 0)
        *out = 1;
    else if (jotd_strcaseeq(v, "off") || jotd_strcaseeq(v, "false") || jotd_strcaseeq(v, "no") ||
             strcmp(v, "0") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static int valid_token_chars(const char *s, const char *extra, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > maxlen)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
            return 0;
    return 1;
}

static int parse_listen(jotd_config *c, char *err, size_t errlen)
{
    const char *l = c->listen;
    const char *host_start, *host_end, *port;
    if (l[0] == '[') {
        host_start = l + 1;
        host_end = strchr(l, ']');
        if (!host_end || host_end[1] != ':') {
            seterr(err, errlen, "listen: expected [address]:port");
            return -1;
        }
        port = host_end + 2;
    } else {
        const char *colon = strrchr(l, ':');
        if (!colon) {
            seterr(err, errlen, "listen: expected host:port");
            return -1;
        }
        host_start = l;
        host_end = colon;
        port = colon + 1;
    }
    if (host_end == host_start) {
        seterr(err, errlen, "listen: the host is empty");
        return -1;
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535) {
        seterr(err, errlen, "listen: bad port `%s`", port);
        return -1;
    }
    c->listen_host = jotd_xstrndup(host_start, (size_t)(host_end - host_start));
    c->listen_port = (unsigned)p;
    return 0;
}

void jotd_config_release(jotd_config *c)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].kind == K_STR) {
            char **p = (char **)((char *)c + settings[i].off);
            jotd_free_secret(*p); /* introspect-secret among them */
            *p = NULL;
        }
    }
    free(c->listen_host);
    c->listen_host = NULL;
}

/* Parse one setting's value v (from where: "option", ...) into c. 0, or
 * -1 with err. */
static int set_value(const setting *s, const char *v, const char *from, jotd_config *c, char *err, size_t errlen)
{
    void *field = (char *)c + s->off;
    switch (s->kind) {
    case K_STR:
        *(char **)field = (v && *v) ? jotd_xstrdup(v) : NULL;
        return 0;
    case K_DUR: {
        int64_t d = jotd_parse_duration(v);
        if (d < 0 || d < s->min || d > s->max) {
            seterr(err, errlen, "%s (%s): bad duration `%s` (from %llds to %llds; suffix s, m, h or d)", s->name,
                   from, v, (long long)s->min, (long long)s->max);
            return -1;
        }
        *(int64_t *)field = d;
        return 0;
    }
    case K_UINT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno || n < s->min || n > s->max) {
            seterr(err, errlen, "%s (%s): expected a number from %lld to %lld, got `%s`", s->name, from,
                   (long long)s->min, (long long)s->max, v);
            return -1;
        }
        *(unsigned *)field = (unsigned)n;
        return 0;
    }
    case K_BOOL:
        if (parse_bool(v, (int *)field) != 0) {
            seterr(err, errlen, "%s (%s): expected on or off, got `%s`", s->name, from, v);
            return -1;
        }
        return 0;
    }
    return -1;
}

static int claim_name_ok(const char *t)
{
    return valid_token_chars(t, "_", 64);
}

/* Whether every comma-separated item of list passes ok (NULL: none). */
static int list_ok(const char *list, int (*ok)(const char *))
{
    if (!list)
        return 1;
    char *copy = jotd_xstrdup(list);
    int good = 1;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (!ok(trim(t)))
            good = 0;
    free(copy);
    return good;
}

/* What no single setting's range says: settings that go together, names
 * and lists. 0, or -1 with err. */
static int check_settings(jotd_config *c, char *err, size_t errlen)
{
    if (!c->listen || parse_listen(c, err, errlen) != 0)
        return -1;
    if (!c->store) {
        seterr(err, errlen, "store: empty");
        return -1;
    }
    if ((c->tls_cert != NULL) != (c->tls_key != NULL)) {
        seterr(err, errlen, "tls-cert and tls-key go together");
        return -1;
    }
    if (!c->alg || jot_alg_from_name(c->alg, strlen(c->alg)) == JOT_ALG_UNSET) {
        seterr(err, errlen, "alg: unknown algorithm `%s`", c->alg ? c->alg : "");
        return -1;
    }
    const char *why = NULL;
    if (!c->audience || !c->client_id)
        why = "audience and client-id must not be empty";
    else if (c->introspect_secret && (strlen(c->introspect_secret) < 16 || strlen(c->introspect_secret) > 256))
        why = "introspect-secret: 16 to 256 bytes";
    else if (!c->introspect_client_id || strchr(c->introspect_client_id, ':'))
        why = "introspect-client-id: not empty, and without `:` (RFC 7617 2)";
    else if (!c->default_role || !valid_token_chars(c->default_role, "._-", 64))
        why = "default-role: 1 to 64 of A-Z a-z 0-9 . _ -";
    else if (!list_ok(c->verify_claims, claim_name_ok))
        why = "verify-claims: a comma-separated list of claim names";
    else if (!list_ok(c->trusted_proxies, jotd_ip_valid))
        why = "trusted-proxies: a comma-separated list of IP addresses";
    else if (c->argon2_memory < 8 * c->argon2_parallelism)
        why = "argon2-memory must be at least 8 KiB per lane";
    if (why) {
        seterr(err, errlen, "%s", why);
        return -1;
    }
    return 0;
}

/* The defaults that depend on other settings or on the machine. */
static void derive(jotd_config *c)
{
    /* 0 means one per core: the HTTP threads never wait on a disk or a
     * hash, so more of them than cores only adds switching; the hash
     * workers are CPU-bound by design. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (cores > 256)
        cores = 256;
    if (c->threads == 0)
        c->threads = (unsigned)cores;
    if (c->hash_workers == 0)
        c->hash_workers = (unsigned)cores;
    if (!c->issuer) {
        jotd_buf b;
        jotd_buf_init(&b);
        jotd_buf_printf(&b, "%s://%s", c->tls_cert ? "https" : "http", c->listen);
        c->issuer = jotd_buf_take(&b);
    }
    if (!c->master_key_file) {
        /* Beside an SQLite file; a PostgreSQL URI names no folder: the
         * working directory then. */
        int uri = strncmp(c->store, "postgresql://", 13) == 0 || strncmp(c->store, "postgres://", 11) == 0;
        const char *slash = uri ? NULL : strrchr(c->store, '/');
        jotd_buf b;
        jotd_buf_init(&b);
        if (slash)
            jotd_buf_add(&b, c->store, (size_t)(slash - c->store) + 1);
        jotd_buf_adds(&b, "jotd.master.key");
        c->master_key_file = jotd_buf_take(&b);
    }
}

int jotd_config_resolve(const jotd_config_args *a, jotd_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    char *file_values[JOTD_MAX_SETTINGS] = {0};
    int rc = -1;
    const char *cfgfile = a->config_file;
    if (!cfgfile) {
        const char *e = getenv("JOTD_CONFIG");
        if (e && *e)
            cfgfile = e;
    }
    if (cfgfile && read_file(cfgfile, file_values, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        const char *v = a->values[i];
        const char *from = "option";
        if (!v) {
            v = env_value(s->name);
            from = "environment";
        }
        if (!v) {
            v = file_values[i];
            from = "config file";
        }
        if (!v) {
            v = s->def;
            from = "default";
        }
        if (set_value(s, v, from, c, err, errlen) != 0)
            goto out;
    }
    if (check_settings(c, err, errlen) != 0)
        goto out;
    derive(c);
    rc = 0;
out:
    for (size_t i = 0; i < NSETTINGS; i++)
        free(file_values[i]);
    if (rc != 0)
        jotd_config_release(c);
    return rc;
}

void jotd_config_help(FILE *f)
{
    fprintf(f, "Settings (option --NAME VALUE > environment JOTD_NAME > config file `NAME = VALUE` > default):\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        char env[80] = "JOTD_";
        size_t j = 5;
        for (const char *p = s->name; *p && j < sizeof env - 1; p++)
            env[j++] = (*p == '-') ? '_' : (char)toupper((unsigned char)*p);
        env[j] = '\0';
        const char *def = s->def ? s->def
                          : (s->off == OFF(issuer) || s->off == OFF(master_key_file)) ? "(derived, see above)"
                                                                                    : "none";
        fprintf(f, "  --%-20s %s\n  %-22s env %s, default: %s\n", s->name, s->help, "", env, def);
    }
    fprintf(f, "  --%-20s read settings from FILE (also JOTD_CONFIG)\n", "config FILE");
}

int64_t jotd_touch_slack(const jotd_config *cfg)
{
    int64_t s = cfg->refresh_ttl / 10;
    return s < 3600 ? s : 3600;
}
