/*
 * bench/server/refresh_load.c - the load generator of issue 4 for jotd's
 * refresh chains (POST /token) and logins (POST /login).
 *
 *   refresh-load -m refresh|login -p PORT -c CONNS -d SECONDS
 *                -u USERS -U USER_PREFIX -P PASSWORD [-r ROUNDS]
 *                [-w WARMUP_SECONDS] [-s SERVER_PID] [-o LATENCY_FILE]
 *
 * refresh: CONNS chains, each on its own keep-alive connection to
 *   127.0.0.1:PORT. Each chain logs in once (POST /login with
 *   "refresh_in_body":true) as USER_PREFIX<1 + i % USERS>; once every chain
 *   has its first refresh token, each one exchanges its newest refresh token
 *   at POST /token (grant_type=refresh_token, RFC 6749 6, form-encoded) again
 *   and again for SECONDS. Every 200 answer must carry a new refresh token,
 *   different from the one just spent, which the chain uses next; every 16th
 *   answer is also decoded, and its tokens must name the chain's login (the
 *   sid claim) and have the right types (RFC 9068 at+jwt, refresh+jwt).
 * login: CONNS clients POST /login again and again for SECONDS, each as its
 *   own user; every 200 answer must hold an access and a refresh token.
 *
 * One thread and epoll drive every connection (the generator shares the
 * machine with jotd and should take as little of it as it can); a client
 * sends its next request when the answer to the previous one is complete
 * (a closed loop, like wrk). Any answer other than 200, a connection closed
 * by the server, a malformed answer or one that fails the checks is an
 * error; a 401 during refresh would mean a broken chain (the server took a
 * token for reused, or lost it). Latency runs from the first byte written
 * to the last byte read. Successes and latencies count when the answer
 * comes within the SECONDS window; errors count whenever they come.
 *
 * A chain that gets a 401 ends there (its login is revoked; every later
 * exchange would fail alike): broken_chains counts them.
 *
 * With -r ROUNDS, the window is measured ROUNDS times back to back (the
 * chains go on from their newest tokens; no new logins), one line each.
 * With -w, requests run WARMUP_SECONDS before each window opens, so that
 * the window starts with the server already busy (a closed loop that starts
 * from idle loses up to one service time per worker). Errors count during
 * the warm-up too.
 *
 * Prints one line of KEY=VALUE pairs on stdout per round:
 *   round mode conns seconds ok rate p50_ms p99_ms max_ms errors checked
 *   and, when not zero, s<status>=N for every status other than 200,
 *   closed, malformed, badbody, timeouts, broken_chains; then self_cpu_pct
 *   (this program's CPU during the window, in % of one core) and, with
 *   -s, server_cpu_pct and server_cpu_s (the server process's CPU during
 *   the window, in % of one core and in seconds).
 * With -o, the latency of every success in the window is appended to
 * LATENCY_FILE, in microseconds, one a line (to merge runs).
 * Exit 0 when the window was measured (errors or not), 1 when the setup
 * failed (no connection, a login refused), 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define REQ_MAX 4096
#define TOKEN_MAX 2048
#define SID_MAX 128
#define IN_MAX 65536
#define SAMPLE_EVERY 16
/* The login phase and the drain after the window are bounded too. */
#define LOGIN_TIMEOUT_S 60.0
#define DRAIN_TIMEOUT_S 10.0
#define MAX_RECONNECTS 100

enum mode { MODE_REFRESH, MODE_LOGIN };
enum phase { PH_LOGIN, PH_READY, PH_RUN, PH_DONE };

typedef struct conn {
    int fd;
    int idx;
    enum phase phase;
    int busy;          /* a request is in flight */
    int want_out;      /* registered for EPOLLOUT */
    int broken;        /* refused with 401: the chain has ended */
    char req[REQ_MAX];
    size_t req_len, req_off;
    char in[IN_MAX];
    size_t in_len;
    uint64_t t_sent;
    char token[TOKEN_MAX]; /* the chain's newest refresh token */
    char sid[SID_MAX];     /* the chain's login */
    unsigned long answers;
} conn;

static struct {
    enum mode mode;
    unsigned port;
    int nconns;
    double seconds;
    int users;
    const char *prefix;
    const char *password;
    long server_pid;
    int rounds;
    double warmup;
    const char *latfile;
} opt = { MODE_REFRESH, 0, 16, 5.0, 1, "bench", NULL, 0, 1, 0.0, NULL };

static int ep = -1;
static conn *conns;

/* Results of the measured window. */
static uint32_t *lat_us;
static size_t nlat, caplat;
static unsigned long status_count[600];
static unsigned long n_closed, n_malformed, n_badbody, n_timeouts, n_checked, n_broken;
static int reconnects;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of this process, in seconds. */
static double self_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time (user + system) of process pid from /proc/PID/stat (proc(5):
 * utime and stime are fields 14 and 15, counted after the parenthesised
 * command name, which may hold spaces), in seconds; -1 when unreadable. */
static double proc_cpu(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long ut = 0, st = 0;
    /* After ")": state (3), then fields 4..13, then utime (14), stime (15). */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    long tck = sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / (double)(tck > 0 ? tck : 100);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("refresh-load: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void usage(void)
{
    fputs("usage: refresh-load -m refresh|login -p PORT -c CONNS -d SECONDS -u USERS -U USER_PREFIX -P PASSWORD\n"
          "                    [-r ROUNDS] [-w WARMUP_SECONDS] [-s SERVER_PID] [-o LATENCY_FILE]\n",
          stderr);
    exit(2);
}

static void record_latency(uint64_t ns)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        uint32_t *p = realloc(lat_us, caplat * sizeof *p);
        if (!p)
            die("out of memory");
        lat_us = p;
    }
    uint64_t us = ns / 1000u;
    lat_us[nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted latencies, in milliseconds. */
static double percentile_ms(double p)
{
    if (nlat == 0)
        return 0.0;
    size_t rank = (size_t)(p * (double)nlat + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > nlat)
        rank = nlat;
    return lat_us[rank - 1] / 1000.0;
}

/* ---- Connections ---------------------------------------------------------- */

static void set_events(conn *c, int want_out)
{
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0u), .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        die("epoll_ctl: %s", strerror(errno));
    c->want_out = want_out;
}

static void open_conn(conn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A blocking connect to the loopback address completes at once; the
     * socket goes non-blocking afterwards. */
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect to 127.0.0.1:%u: %s", opt.port, strerror(errno));
    int one = 1;
    /* Requests are small and each waits for its answer: Nagle's algorithm
     * would only add delay. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
    c->in_len = 0;
    c->want_out = 0;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        die("epoll_ctl: %s", strerror(errno));
}

static void close_conn(conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
}

/* Writes what remains of the request; waits for EPOLLOUT when the socket is
 * full. Returns -1 when the connection is gone. */
static int flush_req(conn *c)
{
    while (c->req_off < c->req_len) {
        ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->req_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out)
                set_events(c, 1);
            return 0;
        }
        return -1;
    }
    if (c->want_out)
        set_events(c, 0);
    return 0;
}

static void build_login(conn *c, int user)
{
    char body[1024];
    int bl = snprintf(body, sizeof body, "{\"username\":\"%s%d\",\"password\":\"%s\",\"refresh_in_body\":true}",
                      opt.prefix, user, opt.password);
    if (bl < 0 || (size_t)bl >= sizeof body)
        die("user name or password too long");
    int n = snprintf(c->req, sizeof c->req,
                     "POST /login HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     opt.port, bl, body);
    if (n < 0 || (size_t)n >= sizeof c->req)
        die("request too long");
    c->req_len = (size_t)n;
}

static void build_refresh(conn *c)
{
    /* A JWT is base64url and dots only: nothing to percent-encode
     * (application/x-www-form-urlencoded). */
    size_t bl = strlen("grant_type=refresh_token&refresh_token=") + strlen(c->token);
    int n = snprintf(c->req, sizeof c->req,
                     "POST /token HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n"
                     "grant_type=refresh_token&refresh_token=%s",
                     opt.port, bl, c->token);
    if (n < 0 || (size_t)n >= sizeof c->req)
        die("request too long");
    c->req_len = (size_t)n;
}

static void send_next(conn *c)
{
    if (c->fd < 0)
        open_conn(c);
    if (opt.mode == MODE_LOGIN || c->phase == PH_LOGIN)
        build_login(c, 1 + c->idx % opt.users);
    else
        build_refresh(c);
    c->req_off = 0;
    c->in_len = 0;
    c->busy = 1;
    c->t_sent = now_ns();
    if (flush_req(c) != 0) {
        /* Handled like a connection closed while reading: the next read
         * sees the error. */
        c->req_off = c->req_len;
    }
}

/* ---- Answers ---------------------------------------------------------------- */

/* Copies the JSON string member NAME of body into out (the values read here
 * are tokens, ids and types: no escapes). White space around the colon is
 * allowed (RFC 8259 2). Returns 0 when absent or too long. */
static int json_str(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    char key[64];
    int kl = snprintf(key, sizeof key, "\"%s\"", name);
    if (kl < 0 || (size_t)kl >= sizeof key)
        return 0;
    const char *end = body + len;
    for (const char *p = body; p + kl <= end; p++) {
        if (memcmp(p, key, (size_t)kl) != 0)
            continue;
        const char *q = p + kl;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q >= end || *q != ':')
            continue; /* the name was a value, not a member name */
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
            q++;
        if (q >= end || *q != '"')
            return 0;
        const char *v = ++q;
        while (q < end && *q != '"' && *q != '\\')
            q++;
        if (q >= end || *q != '"' || (size_t)(q - v) >= outlen)
            return 0;
        memcpy(out, v, (size_t)(q - v));
        out[q - v] = '\0';
        return 1;
    }
    return 0;
}

/* Whether the JSON text has the string member NAME equal to want. */
static int json_str_is(const char *json, const char *name, const char *want)
{
    char v[256];
    return json_str(json, strlen(json), name, v, sizeof v) && strcmp(v, want) == 0;
}

/* Decodes one base64url segment (RFC 4648 5, no padding) into out,
 * NUL-terminated. Returns 0 on a bad character or when out is too small. */
static int b64url_decode(const char *s, size_t len, char *out, size_t outlen)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        int v;
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z')
            v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9')
            v = ch - '0' + 52;
        else if (ch == '-')
            v = 62;
        else if (ch == '_')
            v = 63;
        else
            return 0;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= outlen)
                return 0;
            out[o++] = (char)((acc >> bits) & 0xffu);
        }
    }
    out[o] = '\0';
    return 1;
}

/* The header and the claims of a compact JWS (RFC 7515 7.1), decoded. */
static int jwt_parts(const char *tok, char *hdr, size_t hl, char *claims, size_t cl)
{
    const char *d1 = strchr(tok, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || d2[1] == '\0')
        return 0;
    return b64url_decode(tok, (size_t)(d1 - tok), hdr, hl) &&
           b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), claims, cl);
}

/* The deeper check of a sample: both tokens decode, have their types
 * (RFC 9068 2.1 at+jwt; jotd's refresh+jwt) and name the chain's login. */
static int deep_check(const conn *c, const char *access, const char *refresh)
{
    char hdr[1024], claims[4096], sid[SID_MAX];
    if (!jwt_parts(refresh, hdr, sizeof hdr, claims, sizeof claims))
        return 0;
    if (!json_str_is(hdr, "typ", "refresh+jwt") || !json_str(claims, strlen(claims), "sid", sid, sizeof sid) ||
        strcmp(sid, c->sid) != 0)
        return 0;
    if (!jwt_parts(access, hdr, sizeof hdr, claims, sizeof claims))
        return 0;
    if (!json_str_is(hdr, "typ", "at+jwt") || !json_str(claims, strlen(claims), "sid", sid, sizeof sid) ||
        strcmp(sid, c->sid) != 0)
        return 0;
    return 1;
}

/* Parses the answer in c->in: 0 incomplete, 1 complete (status, body and
 * body_len set), -1 malformed (or framed in a way this client does not
 * speak: jotd answers with Content-Length). */
static int parse_answer(conn *c, int *status, const char **body, size_t *body_len, int *close_after)
{
    char *in = c->in;
    size_t len = c->in_len;
    char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (in[i] == '\r' && in[i + 1] == '\n' && in[i + 2] == '\r' && in[i + 3] == '\n') {
            end = in + i;
            break;
        }
    if (!end)
        return len >= IN_MAX ? -1 : 0;
    if (len < 12 || memcmp(in, "HTTP/1.", 7) != 0 || in[8] != ' ')
        return -1;
    int st = atoi(in + 9);
    if (st < 100 || st > 599)
        return -1;
    long clen = -1;
    *close_after = 0;
    for (char *line = memchr(in, '\n', (size_t)(end - in)); line && line < end;) {
        line++;
        char *eol = memchr(line, '\r', (size_t)(end - line) + 1);
        if (!eol)
            break;
        size_t ll = (size_t)(eol - line);
        if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0)
            clen = strtol(line + 15, NULL, 10);
        else if (ll > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0)
            return -1;
        else if (ll > 11 && strncasecmp(line, "connection:", 11) == 0) {
            const char *v = line + 11;
            while (*v == ' ')
                v++;
            if (strncasecmp(v, "close", 5) == 0)
                *close_after = 1;
        }
        line = eol + 1;
    }
    if (clen < 0)
        clen = (st == 204 || st == 304) ? 0 : -1;
    if (clen < 0 || (size_t)clen > IN_MAX)
        return -1;
    size_t hl = (size_t)(end - in) + 4;
    if (len < hl + (size_t)clen)
        return len >= IN_MAX ? -1 : 0;
    if (len > hl + (size_t)clen)
        return -1; /* bytes beyond the answer: nothing was pipelined */
    *status = st;
    *body = in + hl;
    *body_len = (size_t)clen;
    return 1;
}

static int nready;
static uint64_t t_start, t_deadline;
static double cpu_self0, cpu_self1, cpu_srv0 = -1, cpu_srv1 = -1;
static int cpu_pending; /* the window has not opened yet */
static int running; /* a measured window has started */
static int round_no;
static int inflight;

static void start_window(void);

/* The CPU both sides used during the window (and the drain after it, which
 * lasts one request at most). */
static void window_end(void)
{
    cpu_self1 = self_cpu();
    if (opt.server_pid > 0)
        cpu_srv1 = proc_cpu(opt.server_pid);
}

/* An answer (or a failure) has ended the request in flight on c. */
static void complete(conn *c, int status, const char *body, size_t body_len, int failure)
{
    uint64_t t = now_ns();
    c->busy = 0;
    if (c->phase == PH_LOGIN && opt.mode == MODE_REFRESH) {
        char at[TOKEN_MAX], hdr[1024], claims[4096];
        if (failure || status != 200)
            die("chain %d: the login failed (status %d): %.*s", c->idx, status, (int)(body_len > 300 ? 300 : body_len),
                body ? body : "");
        if (!json_str(body, body_len, "refresh_token", c->token, sizeof c->token) ||
            !json_str(body, body_len, "access_token", at, sizeof at) ||
            !jwt_parts(c->token, hdr, sizeof hdr, claims, sizeof claims) ||
            !json_str(claims, strlen(claims), "sid", c->sid, sizeof c->sid))
            die("chain %d: no refresh token with a sid in the login answer: %.*s", c->idx,
                (int)(body_len > 300 ? 300 : body_len), body);
        c->phase = PH_READY;
        if (++nready == opt.nconns)
            start_window();
        return;
    }

    /* Every answer is checked, and every error counts, whenever it comes
     * (warm-up and drain included); successes and latencies count within
     * the window only. A chain takes its new token whenever it comes, so
     * that the next request (or round) spends the newest one. */
    int in_window = t >= t_start && t <= t_deadline;
    if (failure) {
        if (failure == 1)
            n_closed++;
        else
            n_malformed++;
    } else if (status != 200) {
        status_count[status]++;
        if (status == 401 && opt.mode == MODE_REFRESH) {
            /* invalid_grant: the family is revoked and every later
             * exchange would fail the same way. The chain ends here. */
            n_broken++;
            c->broken = 1;
            c->answers++;
            c->phase = PH_DONE;
            if (--inflight == 0)
                window_end();
            return;
        }
    } else {
        char at[TOKEN_MAX], rt[TOKEN_MAX];
        int ok = json_str(body, body_len, "access_token", at, sizeof at) &&
                 json_str(body, body_len, "refresh_token", rt, sizeof rt);
        if (ok && opt.mode == MODE_REFRESH) {
            /* The token just spent must not come back: rotation gives a
             * new one each time. */
            ok = strcmp(rt, c->token) != 0;
            if (ok && c->answers % SAMPLE_EVERY == 0) {
                ok = deep_check(c, at, rt);
                n_checked++;
            }
            if (ok)
                memcpy(c->token, rt, strlen(rt) + 1);
        } else if (ok && c->answers % SAMPLE_EVERY == 0) {
            char hdr[1024], claims[4096];
            ok = jwt_parts(at, hdr, sizeof hdr, claims, sizeof claims) && json_str_is(hdr, "typ", "at+jwt");
            n_checked++;
        }
        if (!ok)
            n_badbody++;
        else if (in_window) {
            status_count[200]++;
            record_latency(t - c->t_sent);
        }
    }
    c->answers++;
    if (t < t_deadline) {
        send_next(c);
    } else {
        c->phase = PH_DONE;
        if (--inflight == 0)
            window_end();
    }
}

static void begin_window(void)
{
    cpu_pending = 0;
    cpu_self0 = self_cpu();
    if (opt.server_pid > 0)
        cpu_srv0 = proc_cpu(opt.server_pid);
}

static void start_window(void)
{
    int live = 0;
    for (int i = 0; i < opt.nconns; i++)
        live += !conns[i].broken;
    if (live == 0)
        return;
    running = 1;
    /* With a warm-up the window opens later: the main loop samples the
     * CPU times then (begin_window). */
    t_start = now_ns() + (uint64_t)(opt.warmup * 1e9);
    t_deadline = t_start + (uint64_t)(opt.seconds * 1e9);
    cpu_pending = 1;
    if (opt.warmup <= 0)
        begin_window();
    inflight = live;
    for (int i = 0; i < opt.nconns; i++) {
        if (conns[i].broken)
            continue;
        conns[i].phase = PH_RUN;
        send_next(&conns[i]);
    }
}

/* The server closed the connection or it failed: count it, open a new one
 * and go on with the same chain (its token may have been spent; then the
 * grace window gives the same successor again). */
static void lost(conn *c)
{
    close_conn(c);
    if (c->phase == PH_LOGIN)
        die("chain %d: the connection closed during the login", c->idx);
    if (++reconnects > MAX_RECONNECTS)
        die("more than %d connections closed by the server; giving up", MAX_RECONNECTS);
    open_conn(c);
    complete(c, 0, NULL, 0, 1);
}

static void on_readable(conn *c)
{
    for (;;) {
        if (c->in_len >= IN_MAX) {
            complete(c, 0, NULL, 0, 2);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, IN_MAX - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        /* EOF or error. */
        if (c->busy)
            lost(c);
        else
            close_conn(c);
        return;
    }
    if (!c->busy) {
        /* Bytes nobody asked for (nothing is in flight): not an answer to
         * count; dropped. */
        c->in_len = 0;
        return;
    }
    int status = 0, close_after = 0;
    const char *body = NULL;
    size_t body_len = 0;
    int r = parse_answer(c, &status, &body, &body_len, &close_after);
    if (r == 0)
        return;
    if (r < 0) {
        /* Resynchronising inside a byte stream is guesswork: start over on
         * a new connection. */
        close_conn(c);
        if (++reconnects > MAX_RECONNECTS)
            die("too many malformed answers");
        open_conn(c);
        complete(c, 0, NULL, 0, 2);
        return;
    }
    if (close_after) {
        /* The answer is whole; the server will close: reconnect first so
         * that the next request has somewhere to go. complete() copies
         * what it needs from the body before send_next() reuses c->in. */
        char keep[IN_MAX];
        memcpy(keep, body, body_len);
        close_conn(c);
        if (++reconnects > MAX_RECONNECTS)
            die("the server closed more than %d keep-alive connections", MAX_RECONNECTS);
        open_conn(c);
        complete(c, status, keep, body_len, 0);
        return;
    }
    complete(c, status, body, body_len, 0);
}

/* Prints the round's line and clears the counters for the next one. */
static void report(void)
{
    double secs = opt.seconds;
    qsort(lat_us, nlat, sizeof *lat_us, cmp_u32);
    unsigned long errors = n_closed + n_malformed + n_badbody + n_timeouts;
    for (int s = 0; s < 600; s++)
        if (s != 200)
            errors += status_count[s];
    printf("round=%d mode=%s conns=%d seconds=%.2f ok=%lu rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%lu checked=%lu",
           round_no + 1, opt.mode == MODE_REFRESH ? "refresh" : "login", opt.nconns, secs, status_count[200],
           (double)status_count[200] / secs, percentile_ms(0.50), percentile_ms(0.99),
           nlat ? lat_us[nlat - 1] / 1000.0 : 0.0, errors, n_checked);
    for (int s = 0; s < 600; s++)
        if (s != 200 && status_count[s])
            printf(" s%d=%lu", s, status_count[s]);
    if (n_closed)
        printf(" closed=%lu", n_closed);
    if (n_malformed)
        printf(" malformed=%lu", n_malformed);
    if (n_badbody)
        printf(" badbody=%lu", n_badbody);
    if (n_timeouts)
        printf(" timeouts=%lu", n_timeouts);
    if (n_broken)
        printf(" broken_chains=%lu", n_broken);
    printf(" self_cpu_pct=%.0f", (cpu_self1 - cpu_self0) / secs * 100.0);
    if (cpu_srv0 >= 0 && cpu_srv1 >= 0)
        printf(" server_cpu_pct=%.0f server_cpu_s=%.3f", (cpu_srv1 - cpu_srv0) / secs * 100.0, cpu_srv1 - cpu_srv0);
    putchar('\n');
    fflush(stdout);
    if (opt.latfile) {
        FILE *f = fopen(opt.latfile, "a");
        if (!f)
            die("%s: %s", opt.latfile, strerror(errno));
        for (size_t i = 0; i < nlat; i++)
            fprintf(f, "%u\n", (unsigned)lat_us[i]);
        if (fclose(f) != 0)
            die("%s: write failed", opt.latfile);
    }
    nlat = 0;
    memset(status_count, 0, sizeof status_count);
    n_closed = n_malformed = n_badbody = n_timeouts = n_checked = n_broken = 0;
    cpu_srv0 = cpu_srv1 = -1;
}

int main(int argc, char **argv)
{
    int ch;
    while ((ch = getopt(argc, argv, "m:p:c:d:u:U:P:s:r:w:o:")) != -1) {
        switch (ch) {
        case 'm':
            if (strcmp(optarg, "refresh") == 0)
                opt.mode = MODE_REFRESH;
            else if (strcmp(optarg, "login") == 0)
                opt.mode = MODE_LOGIN;
            else
                usage();
            break;
        case 'p': opt.port = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'c': opt.nconns = atoi(optarg); break;
        case 'd': opt.seconds = strtod(optarg, NULL); break;
        case 'u': opt.users = atoi(optarg); break;
        case 'U': opt.prefix = optarg; break;
        case 'P': opt.password = optarg; break;
        case 's': opt.server_pid = strtol(optarg, NULL, 10); break;
        case 'r': opt.rounds = atoi(optarg); break;
        case 'w': opt.warmup = strtod(optarg, NULL); break;
        case 'o': opt.latfile = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || opt.port == 0 || opt.port > 65535 || opt.nconns < 1 || opt.nconns > MAX_CONNS ||
        !(opt.seconds > 0 && opt.seconds <= 600) || opt.users < 1 || !opt.password || opt.rounds < 1 ||
        opt.rounds > 100 || !(opt.warmup >= 0 && opt.warmup <= 60))
        usage();

    ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1: %s", strerror(errno));
    conns = calloc((size_t)opt.nconns, sizeof *conns);
    if (!conns)
        die("out of memory");
    for (int i = 0; i < opt.nconns; i++) {
        conns[i].idx = i;
        conns[i].fd = -1;
        conns[i].phase = PH_LOGIN;
        open_conn(&conns[i]);
    }

    uint64_t t_setup = now_ns();
    if (opt.mode == MODE_LOGIN)
        start_window();
    else
        for (int i = 0; i < opt.nconns; i++)
            send_next(&conns[i]);

    struct epoll_event evs[64];
    for (;;) {
        uint64_t t = now_ns();
        if (!running && (double)(t - t_setup) / 1e9 > LOGIN_TIMEOUT_S)
            die("only %d of %d chains logged in within %.0f s", nready, opt.nconns, LOGIN_TIMEOUT_S);
        if (running && inflight == 0) {
            report();
            running = 0;
            if (++round_no >= opt.rounds)
                break;
            start_window();
            if (!running)
                break; /* every chain is broken */
            continue;
        }
        if (running && t > t_deadline && (double)(t - t_deadline) / 1e9 > DRAIN_TIMEOUT_S) {
            /* Requests still unanswered long after the window are errors
             * too: the server stalled. */
            n_timeouts = (unsigned long)inflight;
            window_end();
            report();
            break;
        }
        int wait_ms = 100;
        if (running && cpu_pending) {
            if (t >= t_start) {
                begin_window();
            } else if ((t_start - t) / 1000000u < 100u) {
                wait_ms = (int)((t_start - t) / 1000000u) + 1;
            }
        }
        int n = epoll_wait(ep, evs, 64, wait_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c->fd < 0)
                continue;
            if (evs[i].events & EPOLLOUT) {
                if (flush_req(c) != 0) {
                    lost(c);
                    continue;
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(c);
        }
    }
    for (int i = 0; i < opt.nconns; i++)
        close_conn(&conns[i]);
    free(conns);
    free(lat_us);
    return 0;
}
