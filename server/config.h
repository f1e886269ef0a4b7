/*
 * server/config.h - jotd's settings.
 *
 * Each setting has one name (e.g. "access-ttl") and comes, in this order of
 * precedence, from a command-line option (--access-ttl 15m), an environment
 * variable (JOTD_ACCESS_TTL), a line of the config file (access-ttl = 15m),
 * or its default (CONTRACT.md, section jotd). Durations take s, m, h, d
 * suffixes or plain seconds.
 */
#ifndef JOTD_CONFIG_H
#define JOTD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JOTD_MAX_SETTINGS 48

typedef struct jotd_config {
    /* Network. */
    char *listen;            /* host:port as given */
    char *listen_host;       /* parsed host (without brackets) */
    unsigned listen_port;
    char *tls_cert;
    char *tls_key;
    unsigned threads;
    unsigned max_connections;
    int64_t connection_timeout;
    int log_requests;

    /* Storage and secrets. */
    char *store;
    char *master_key_file;

    /* Tokens. */
    char *issuer;
    char *audience;
    char *client_id;
    char *alg;
    int64_t access_ttl;
    int64_t refresh_ttl;
    int64_t session_max;
    int64_t refresh_grace;
    int64_t key_publish_delay;
    char *verify_claims;
    unsigned verify_cache;
    char *introspect_client_id; /* HTTP Basic user of POST /introspect */
    char *introspect_secret;    /* its password; NULL: introspection is off */
    char *trusted_proxies;      /* peers whose X-Forwarded-For names the client */
    int dashboard;              /* serve the pages at / */

    /* Users and passwords. */
    int signup;
    char *default_role;
    unsigned argon2_memory;      /* KiB */
    unsigned argon2_iterations;
    unsigned argon2_parallelism;
    unsigned hash_workers;
    unsigned hash_queue;

    /* Failed-login throttling. */
    unsigned login_limit_user;
    unsigned login_limit_address;
    unsigned signup_limit_address;
    unsigned password_min_bits;
    int64_t signup_window;
    unsigned login_slow_after;
    int64_t login_window;
    unsigned login_track_max;
} jotd_config;

/* Values given on the command line, collected before resolving. */
typedef struct jotd_config_args {
    const char *config_file;
    const char *values[JOTD_MAX_SETTINGS];
} jotd_config_args;

void jotd_config_args_init(jotd_config_args *a);

/* Record option --name with value. Returns 0, or -1 when name is no
 * setting (the caller reports the usage error). "config" is accepted too. */
int jotd_config_args_set(jotd_config_args *a, const char *name, const char *value);

/* Resolve every setting (option > environment > file > default), check and
 * derive them (issuer, master-key-file). On failure returns -1 with a
 * one-line reason in err; *c is then released. */
int jotd_config_resolve(const jotd_config_args *a, jotd_config *c, char *err, size_t errlen);

void jotd_config_release(jotd_config *c);

/* Print every setting, its environment variable and default. */
void jotd_config_help(FILE *f);

/* Parse a duration ("90", "15m", "2h", "30d", "5s"); -1 when malformed. */
int64_t jotd_parse_duration(const char *s);

/* How far a family's recorded last use and newest-token expiry may lag
 * behind (a rotation rewrites the family's row only past it, and the purge
 * and the sessions list allow for it), in seconds: a tenth of refresh-ttl,
 * at most an hour. */
int64_t jotd_touch_slack(const jotd_config *cfg);

#endif
