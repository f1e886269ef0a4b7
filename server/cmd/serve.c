/* server/cmd/serve.c - jotd serve (see cmd.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/cmd.h"
#include "http/http.h"
#include "store/store.h"
#ifdef JOTD_WEB
#include "web/web.h"
#endif

#ifndef JOTD_VERSION
#define JOTD_VERSION "0.0.0"
#endif

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

int jotd_cmd_serve(const jotd_config *cfg)
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
    jotd_app *auth = NULL;
    if (jotd_app_new(cfg, store, &auth, err, sizeof err) != 0) {
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
            jotd_app_free(auth);
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
    jotd_app_routes(auth, http, &o);
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
        jotd_app_free(auth);
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
            jotd_app_tick(auth, (int64_t)now);
        }
    }
    jotd_app_shutdown(auth);
    jotd_http_stop(http, 30000);
    jotd_http_free(http);
    jotd_app_free(auth);
    jotd_store_close(store);
    jotd_log("info", "stopped", NULL);
    jotd_log_stop();
    return 0;
}
