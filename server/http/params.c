/* server/http/params.c - see params.h */
#include "http/params.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_DEPTH 16

typedef struct parser {
    const unsigned char *s;
    size_t n;
    size_t i;
    const char *why;
} parser;

static int fail(parser *p, const char *why)
{
    if (!p->why)
        p->why = why;
    return -1;
}

static void skip_ws(parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static void put_utf8(jotd_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    jotd_buf_add(b, u, n);
}

static int hex4(parser *p, uint32_t *out)
{
    if (p->n - p->i < 4)
        return fail(p, "truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = p->s[p->i++];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return fail(p, "bad \\u escape");
    }
    *out = v;
    return 0;
}

/* A valid UTF-8 sequence of at least two bytes at p->i (RFC 3629 4). */
static int utf8_multi(parser *p, jotd_buf *b)
{
    const unsigned char *s = p->s + p->i;
    size_t left = p->n - p->i;
    unsigned c = s[0];
    size_t len;
    uint32_t min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return fail(p, "invalid UTF-8");
    }
    if (left < len)
        return fail(p, "invalid UTF-8");
    uint32_t cp = c & (0x3fu >> (len - 1));
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return fail(p, "invalid UTF-8");
        cp = (cp << 6) | (s[k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return fail(p, "invalid UTF-8");
    if (b)
        jotd_buf_add(b, (const char *)s, len);
    p->i += len;
    return 0;
}

/* A string at p->i (the opening quote). With b, its value is appended. */
static int parse_string(parser *p, jotd_buf *b)
{
    p->i++;
    for (;;) {
        if (p->i >= p->n)
            return fail(p, "unterminated string");
        unsigned char c = p->s[p->i];
        if (c == '"') {
            p->i++;
            return 0;
        }
        if (c < 0x20)
            return fail(p, "control character in string");
        if (c >= 0x80) {
            if (utf8_multi(p, b) != 0)
                return -1;
            continue;
        }
        if (c != '\\') {
            if (b)
                jotd_buf_add(b, (const char *)&p->s[p->i], 1);
            p->i++;
            continue;
        }
        p->i++;
        if (p->i >= p->n)
            return fail(p, "unterminated string");
        c = p->s[p->i++];
        char out;
        switch (c) {
        case '"':
            out = '"';
            break;
        case '\\':
            out = '\\';
            break;
        case '/':
            out = '/';
            break;
        case 'b':
            out = '\b';
            break;
        case 'f':
            out = '\f';
            break;
        case 'n':
            out = '\n';
            break;
        case 'r':
            out = '\r';
            break;
        case 't':
            out = '\t';
            break;
        case 'u': {
            uint32_t cp;
            if (hex4(p, &cp) != 0)
                return -1;
            /* RFC 8259 7: characters outside the BMP are a surrogate pair;
             * a lone surrogate is no character at all. */
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(p, "unpaired surrogate");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
                    return fail(p, "unpaired surrogate");
                p->i += 2;
                if (hex4(p, &lo) != 0)
                    return -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail(p, "unpaired surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0)
                return fail(p, "NUL character in string");
            if (b)
                put_utf8(b, cp);
            continue;
        }
        default:
            return fail(p, "bad escape in string");
        }
        if (b)
            jotd_buf_add(b, &out, 1);
    }
}

/* RFC 8259 6: -? int frac? exp? */
static int parse_number(parser *p)
{
    size_t start = p->i;
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i >= p->n)
        return fail(p, "bad number");
    if (p->s[p->i] == '0') {
        p->i++;
    } else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    } else {
        return fail(p, "bad number");
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        size_t d = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
        if (d == p->i)
            return fail(p, "bad number");
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        size_t d = p->i;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
        if (d == p->i)
            return fail(p, "bad number");
    }
    if (p->i - start > 64)
        return fail(p, "number too long");
    return 0;
}

static int literal(parser *p, const char *word)
{
    size_t l = strlen(word);
    if (p->n - p->i < l || memcmp(p->s + p->i, word, l) != 0)
        return fail(p, "invalid JSON value");
    p->i += l;
    return 0;
}

static int parse_value(parser *p, unsigned depth);

/* An object or array whose contents are only checked (depth > 0). */
static int skip_container(parser *p, unsigned depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nesting too deep");
    unsigned char open = p->s[p->i++];
    unsigned char close = open == '{' ? '}' : ']';
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (open == '{') {
            if (p->i >= p->n || p->s[p->i] != '"')
                return fail(p, "expected a member name");
            if (parse_string(p, NULL) != 0)
                return -1;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return fail(p, "expected ':'");
            p->i++;
            skip_ws(p);
        }
        if (parse_value(p, depth + 1) != 0)
            return -1;
        skip_ws(p);
        if (p->i >= p->n)
            return fail(p, "unterminated object or array");
        if (p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->s[p->i] == close) {
            p->i++;
            return 0;
        }
        return fail(p, "expected ',' or end of object or array");
    }
}

static int parse_value(parser *p, unsigned depth)
{
    if (p->i >= p->n)
        return fail(p, "expected a value");
    unsigned char c = p->s[p->i];
    if (c == '"')
        return parse_string(p, NULL);
    if (c == '{' || c == '[')
        return skip_container(p, depth);
    if (c == 't')
        return literal(p, "true");
    if (c == 'f')
        return literal(p, "false");
    if (c == 'n')
        return literal(p, "null");
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    return fail(p, "invalid JSON value");
}

static int add_param(jotd_params *out, char *name, char *value, size_t vlen, jotd_pkind kind, const char **why)
{
    for (size_t k = 0; k < out->n; k++) {
        if (strcmp(out->v[k].name, name) == 0) {
            *why = "a parameter appears twice";
            free(name);
            jotd_free_secret(value);
            return -1;
        }
    }
    if (out->n >= JOTD_PARAMS_MAX) {
        *why = "too many parameters";
        free(name);
        jotd_free_secret(value);
        return -1;
    }
    if (!out->v)
        out->v = jotd_xcalloc(JOTD_PARAMS_MAX, sizeof *out->v);
    out->v[out->n].name = name;
    out->v[out->n].value = value;
    out->v[out->n].value_len = vlen;
    out->v[out->n].kind = kind;
    out->n++;
    return 0;
}

int jotd_params_from_json(const char *body, size_t len, jotd_params *out, const char **why)
{
    parser p = {(const unsigned char *)body, len, 0, NULL};
    out->v = NULL;
    out->n = 0;
    *why = NULL;
    skip_ws(&p);
    if (p.i >= p.n || p.s[p.i] != '{') {
        *why = "the body must be a JSON object";
        return -1;
    }
    p.i++;
    skip_ws(&p);
    if (p.i < p.n && p.s[p.i] == '}') {
        p.i++;
        goto tail;
    }
    for (;;) {
        skip_ws(&p);
        if (p.i >= p.n || p.s[p.i] != '"') {
            fail(&p, "expected a member name");
            goto bad;
        }
        jotd_buf name;
        jotd_buf_init(&name);
        if (parse_string(&p, &name) != 0) {
            jotd_buf_release(&name);
            goto bad;
        }
        skip_ws(&p);
        if (p.i >= p.n || p.s[p.i] != ':') {
            jotd_buf_release(&name);
            fail(&p, "expected ':'");
            goto bad;
        }
        p.i++;
        skip_ws(&p);
        jotd_pkind kind;
        char *value = NULL;
        size_t vlen = 0;
        if (p.i < p.n && p.s[p.i] == '"') {
            jotd_buf v;
            jotd_buf_init(&v);
            if (parse_string(&p, &v) != 0) {
                jotd_buf_release(&v);
                jotd_buf_release(&name);
                goto bad;
            }
            vlen = v.len;
            value = jotd_buf_take(&v);
            kind = JOTD_P_STRING;
        } else {
            size_t start = p.i;
            if (parse_value(&p, 1) != 0) {
                jotd_buf_release(&name);
                goto bad;
            }
            unsigned char c = p.s[start];
            if (c == 't')
                kind = JOTD_P_TRUE;
            else if (c == 'f')
                kind = JOTD_P_FALSE;
            else if (c == 'n')
                kind = JOTD_P_NULL;
            else if (c == '{' || c == '[')
                kind = JOTD_P_OTHER;
            else
                kind = JOTD_P_NUMBER;
            if (kind != JOTD_P_OTHER) {
                vlen = p.i - start;
                value = jotd_xstrndup(body + start, vlen);
            }
        }
        if (add_param(out, jotd_buf_take(&name), value, vlen, kind, why) != 0) {
            jotd_params_release(out);
            return -1;
        }
        skip_ws(&p);
        if (p.i >= p.n) {
            fail(&p, "unterminated object");
            goto bad;
        }
        if (p.s[p.i] == ',') {
            p.i++;
            continue;
        }
        if (p.s[p.i] == '}') {
            p.i++;
            break;
        }
        fail(&p, "expected ',' or '}'");
        goto bad;
    }
tail:
    skip_ws(&p);
    if (p.i != p.n) {
        fail(&p, "data after the JSON object");
        goto bad;
    }
    return 0;
bad:
    *why = p.why ? p.why : "malformed JSON";
    jotd_params_release(out);
    return -1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode (with '+' as space, HTML 4.01 17.13.4.1) into a new
 * string; -1 on a bad escape, a NUL byte or invalid UTF-8. */
static int form_decode(const char *s, size_t n, char **out, size_t *outlen)
{
    /* The decoded text is never longer than the encoded one. */
    char *d = jotd_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (n - i < 3 || hexval((unsigned char)s[i + 1]) < 0 || hexval((unsigned char)s[i + 2]) < 0)
                goto bad;
            c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        }
        if (c == '\0')
            goto bad;
        d[o++] = c;
    }
    d[o] = '\0';
    parser p = {(const unsigned char *)d, o, 0, NULL};
    while (p.i < p.n) {
        if (p.s[p.i] < 0x80) {
            p.i++;
            continue;
        }
        if (utf8_multi(&p, NULL) != 0)
            goto bad;
    }
    *outlen = o;
    *out = d;
    return 0;
bad:
    jotd_wipe(d, o);
    free(d);
    return -1;
}

int jotd_params_from_form(const char *body, size_t len, jotd_params *out, const char **why)
{
    out->v = NULL;
    out->n = 0;
    *why = NULL;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(body + i, '=', end - i);
            size_t nlen = eq ? (size_t)(eq - (body + i)) : end - i;
            char *name, *value;
            size_t l1, vlen = 0;
            if (form_decode(body + i, nlen, &name, &l1) != 0) {
                *why = "bad form encoding";
                jotd_params_release(out);
                return -1;
            }
            if (eq) {
                if (form_decode(eq + 1, (size_t)(body + end - (eq + 1)), &value, &vlen) != 0) {
                    free(name);
                    *why = "bad form encoding";
                    jotd_params_release(out);
                    return -1;
                }
            } else {
                value = jotd_xstrdup("");
            }
            if (add_param(out, name, value, vlen, JOTD_P_STRING, why) != 0) {
                jotd_params_release(out);
                return -1;
            }
        }
        i = end + 1;
    }
    return 0;
}

const jotd_param *jotd_params_get(const jotd_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0)
            return &p->v[i];
    return NULL;
}

void jotd_params_release(jotd_params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        if (p->v[i].value) {
            jotd_wipe(p->v[i].value, p->v[i].value_len);
            free(p->v[i].value);
        }
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}
