/*
 * The strict JSON scanner of the verify path; see core/jscan.h. It accepts
 * what jot__json_object (Jansson with JSON_REJECT_DUPLICATES and the depth
 * bound) accepts, and numbers of any size besides (RFC 8259 6 sets no
 * bound; Jansson holds 64-bit integers and finite doubles only). Two bounds
 * are its own: at most JOT__JSCAN_MAX_MEMBERS members in one object, so that
 * the duplicate check stays cheap on hostile input, and member names of at
 * most 64 KiB.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"

#define JOT__JSCAN_MAX_MEMBERS 1024u

typedef struct name_span {
    const char *p;
    uint32_t len;
    uint8_t escaped;
} name_span;

typedef struct scanner {
    const unsigned char *s;
    size_t n, i;
    unsigned depth;
    const char *err;
    jot__jdoc *doc;
    name_span *names; /* names of the objects being scanned, innermost last */
    size_t escaped_names; /* how many of them have escapes */
    size_t names_len, names_cap;
    name_span inline_names[64];
} scanner;

static int fail(scanner *sc, const char *why)
{
    if (!sc->err)
        sc->err = why;
    return 0;
}

static void skip_ws(scanner *sc)
{
    while (sc->i < sc->n) {
        unsigned char c = sc->s[sc->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->i++;
    }
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = p[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0. */
size_t jot__utf8_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (avail < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if ((p[k] & 0xc0) != 0x80)
            return 0;
    return len;
}

int jot_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = p[i] < 0x80 ? 1 : jot__utf8_len(p + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

/* 1 for the bytes a string may hold as they are: printable ASCII other
 * than '"' and '\\'. */
const uint8_t jot__json_plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                                      /* 0x00-0x1f: control */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,      /* 0x20-0x2f: '"' */
    R16(1), R16(1),                                      /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,      /* 0x50-0x5f: '\\' */
    R16(1), R16(1),                                      /* 0x60-0x7f */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

/* A string at s[i] == '"'; sets the content span. */
static int scan_string(scanner *sc, const char **start, size_t *len, uint8_t *escaped)
{
    size_t i = ++sc->i;
    *escaped = 0;
    while (i < sc->n) {
        /* Most of a token is plain printable ASCII: skip it in a tight loop. */
        while (i < sc->n && jot__json_plain[sc->s[i]])
            i++;
        if (i >= sc->n)
            break;
        unsigned char c = sc->s[i];
        if (c == '"') {
            *start = (const char *)sc->s + sc->i;
            *len = i - sc->i;
            sc->i = i + 1;
            return 1;
        }
        if (c < 0x20)
            return fail(sc, "control character in a string");
        if (c == '\\') {
            *escaped = 1;
            if (i + 1 >= sc->n)
                break;
            c = sc->s[i + 1];
            if (c == 'u') {
                unsigned u, u2;
                if (i + 6 > sc->n || !hex4(sc->s + i + 2, &u))
                    return fail(sc, "invalid \\u escape");
                if (u == 0)
                    return fail(sc, "\\u0000 in a string");
                if (u >= 0xdc00 && u <= 0xdfff)
                    return fail(sc, "lone low surrogate");
                if (u >= 0xd800 && u <= 0xdbff) {
                    if (i + 12 > sc->n || sc->s[i + 6] != '\\' || sc->s[i + 7] != 'u' ||
                        !hex4(sc->s + i + 8, &u2) || u2 < 0xdc00 || u2 > 0xdfff)
                        return fail(sc, "lone high surrogate");
                    i += 12;
                } else {
                    i += 6;
                }
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
                       c == 't') {
                i += 2;
            } else {
                return fail(sc, "invalid escape");
            }
        } else if (c < 0x80) {
            i++;
        } else {
            size_t l = jot__utf8_len(sc->s + i, sc->n - i);
            if (!l)
                return fail(sc, "invalid UTF-8");
            i += l;
        }
    }
    return fail(sc, "unterminated string");
}

/* RFC 8259 6. No bound on the value: a number is kept as its text, and
 * only the code that interprets one (a NumericDate, jot_claims_int) asks
 * whether it fits. */
static int scan_number(scanner *sc, uint8_t *type)
{
    const unsigned char *s = sc->s;
    size_t i = sc->i;
    int real = 0;
    if (s[i] == '-')
        i++;
    if (i < sc->n && s[i] == '0') {
        i++;
    } else if (i < sc->n && s[i] >= '1' && s[i] <= '9') {
        while (i < sc->n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return fail(sc, "invalid number");
    }
    if (i < sc->n && s[i] == '.') {
        real = 1;
        if (++i >= sc->n || s[i] < '0' || s[i] > '9')
            return fail(sc, "invalid number");
        while (i < sc->n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < sc->n && (s[i] == 'e' || s[i] == 'E')) {
        real = 1;
        if (++i < sc->n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= sc->n || s[i] < '0' || s[i] > '9')
            return fail(sc, "invalid number");
        while (i < sc->n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    sc->i = i;
    *type = real ? JOT__J_REAL : JOT__J_INTEGER;
    return 1;
}

static int scan_value(scanner *sc, uint8_t *type, const char **start, size_t *len, uint8_t *escaped);

static int names_equal(const name_span *a, const name_span *b)
{
    if (!a->escaped && !b->escaped)
        return a->len == b->len && (a->len == 0 || (a->p[0] == b->p[0] && memcmp(a->p, b->p, a->len) == 0));
    char buf[512];
    char *da = a->len + b->len + 2 <= sizeof buf ? buf : malloc(a->len + b->len + 2);
    if (!da)
        return 1; /* out of memory: refuse rather than accept unchecked */
    char *db = da + a->len + 1;
    size_t la = jot__jstr_decode(a->p, a->len, a->escaped, da);
    size_t lb = jot__jstr_decode(b->p, b->len, b->escaped, db);
    int eq = la == lb && memcmp(da, db, la) == 0;
    if (da != buf)
        free(da);
    return eq;
}

/* A bit standing for an unescaped name (its length and end characters):
 * two names with different bits cannot be equal. */
static uint64_t name_bit(const char *p, size_t len)
{
    unsigned h = (unsigned)len * 31u + (len ? (unsigned char)p[0] * 7u + (unsigned char)p[len - 1] : 0u);
    return (uint64_t)1 << (h & 63u);
}

/* Add a name to the current object (whose names start at first), refusing
 * a duplicate. *seen collects the bits of the object's unescaped names, so
 * that most new names need no comparison at all. */
static int push_name(scanner *sc, size_t first, uint64_t *seen, const char *p, size_t len, uint8_t escaped)
{
    name_span nm = {p, (uint32_t)len, escaped};
    if (len > 65536)
        return fail(sc, "member name too long");
    if (sc->names_len - first >= JOT__JSCAN_MAX_MEMBERS)
        return fail(sc, "too many members in one object");
    uint64_t bit = escaped ? 0 : name_bit(p, len);
    if (escaped || sc->escaped_names > 0 || (*seen & bit)) {
        for (size_t k = first; k < sc->names_len; k++)
            if (names_equal(&sc->names[k], &nm))
                return fail(sc, "duplicate member name");
    }
    *seen |= bit;
    sc->escaped_names += escaped;
    if (sc->names_len == sc->names_cap) {
        size_t cap = sc->names_cap * 2;
        name_span *nn = sc->names == sc->inline_names ? malloc(cap * sizeof *nn)
                                                       : realloc(sc->names, cap * sizeof *nn);
        if (!nn)
            return fail(sc, "out of memory");
        if (sc->names == sc->inline_names)
            memcpy(nn, sc->inline_names, sizeof sc->inline_names);
        sc->names = nn;
        sc->names_cap = cap;
    }
    /* Field by field: a whole-struct copy from the stack stalls on store
     * forwarding here, in the hottest loop of a verification. */
    name_span *slot = &sc->names[sc->names_len++];
    slot->p = p;
    slot->len = (uint32_t)len;
    slot->escaped = escaped;
    return 1;
}

const char jot__reg_names[JOT__R_COUNT][5] = {"iss", "sub", "aud", "exp", "nbf", "iat",
                                              "jti", "alg", "kid", "typ", "cty", "crit"};

/* The registered name that the name span is (decoded), or -1. */
static int classify(const char *p, size_t len, int escaped)
{
    char buf[32];
    if (escaped) {
        if (len >= sizeof buf)
            return -1;
        len = jot__jstr_decode(p, len, 1, buf);
        p = buf;
    }
    if (len != 3 && len != 4)
        return -1;
    for (int r = 0; r < JOT__R_COUNT; r++)
        if (jot__reg_names[r][0] == p[0] && jot__reg_names[r][1] == p[1] && jot__reg_names[r][2] == p[2] &&
            jot__reg_names[r][3] == (len == 4 ? p[3] : '\0'))
            return r;
    return -1;
}

static int record_member(scanner *sc, const name_span *nm, uint8_t type, const char *v, size_t vlen,
                         uint8_t escaped)
{
    jot__jdoc *doc = sc->doc;
    int r = classify(nm->p, nm->len, nm->escaped);
    if (r >= 0 && doc->count < INT16_MAX)
        doc->reg[r] = (int16_t)doc->count;
    if (doc->count == doc->cap) {
        size_t cap = doc->cap * 2;
        jot__jmember *m = doc->members == doc->inline_members ? malloc(cap * sizeof *m)
                                                             : realloc(doc->members, cap * sizeof *m);
        if (!m)
            return fail(sc, "out of memory");
        if (doc->members == doc->inline_members)
            memcpy(m, doc->inline_members, sizeof doc->inline_members);
        doc->members = m;
        doc->cap = cap;
    }
    doc->members[doc->count++] = (jot__jmember){
        .name = nm->p, .name_len = nm->len, .value = v, .value_len = (uint32_t)vlen,
        .type = type, .name_escaped = nm->escaped, .value_escaped = escaped};
    return 1;
}

/* After a member or element: 1 when a ',' announces another, 0 when
 * `close` ends the container, -1 (with the error set) for anything else. */
static int after_element(scanner *sc, char close)
{
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == ',') {
        sc->i++;
        skip_ws(sc);
        return 1;
    }
    if (sc->i < sc->n && sc->s[sc->i] == (unsigned char)close) {
        sc->i++;
        return 0;
    }
    fail(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    return -1;
}

static int scan_object(scanner *sc)
{
    size_t first = sc->names_len;
    uint64_t seen = 0;
    int top = sc->depth == 0;
    if (++sc->depth > JOT__JSON_MAX_DEPTH)
        return fail(sc, "nested too deep");
    sc->i++;
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == '}') {
        sc->i++;
        sc->depth--;
        return 1;
    }
    for (;;) {
        const char *name, *v;
        size_t name_len, vlen;
        uint8_t name_esc, type, v_esc;
        if (sc->i >= sc->n || sc->s[sc->i] != '"')
            return fail(sc, "expected a member name");
        if (!scan_string(sc, &name, &name_len, &name_esc) || !push_name(sc, first, &seen, name, name_len, name_esc))
            return 0;
        skip_ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ':')
            return fail(sc, "expected ':'");
        sc->i++;
        skip_ws(sc);
        if (!scan_value(sc, &type, &v, &vlen, &v_esc))
            return 0;
        if (top && !record_member(sc, &sc->names[sc->names_len - 1], type, v, vlen, v_esc))
            return 0;
        int more = after_element(sc, '}');
        if (more < 0)
            return 0;
        if (!more)
            break;
    }
    for (size_t k = first; k < sc->names_len; k++)
        sc->escaped_names -= sc->names[k].escaped;
    sc->names_len = first;
    sc->depth--;
    return 1;
}

static int scan_array(scanner *sc)
{
    if (++sc->depth > JOT__JSON_MAX_DEPTH)
        return fail(sc, "nested too deep");
    sc->i++;
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == ']') {
        sc->i++;
        sc->depth--;
        return 1;
    }
    for (;;) {
        const char *v;
        size_t vlen;
        uint8_t type, esc;
        if (!scan_value(sc, &type, &v, &vlen, &esc))
            return 0;
        int more = after_element(sc, ']');
        if (more < 0)
            return 0;
        if (!more)
            break;
    }
    sc->depth--;
    return 1;
}

static int scan_literal(scanner *sc, const char *word, size_t len)
{
    if (sc->n - sc->i < len || memcmp(sc->s + sc->i, word, len) != 0)
        return fail(sc, "invalid literal");
    sc->i += len;
    return 1;
}

static int scan_value(scanner *sc, uint8_t *type, const char **start, size_t *len, uint8_t *escaped)
{
    if (sc->i >= sc->n)
        return fail(sc, "unexpected end");
    size_t from = sc->i;
    int ok;
    *escaped = 0;
    switch (sc->s[sc->i]) {
    case '"':
        *type = JOT__J_STRING;
        return scan_string(sc, start, len, escaped);
    case '{':
        *type = JOT__J_OBJECT;
        ok = scan_object(sc);
        break;
    case '[':
        *type = JOT__J_ARRAY;
        ok = scan_array(sc);
        break;
    case 't':
        *type = JOT__J_TRUE;
        ok = scan_literal(sc, "true", 4);
        break;
    case 'f':
        *type = JOT__J_FALSE;
        ok = scan_literal(sc, "false", 5);
        break;
    case 'n':
        *type = JOT__J_NULL;
        ok = scan_literal(sc, "null", 4);
        break;
    default:
        ok = scan_number(sc, type);
        break;
    }
    *start = (const char *)sc->s + from;
    *len = sc->i - from;
    return ok;
}

jot_status jot__jscan_object(const char *text, size_t n, jot__jdoc *doc, jot_diag *d, const char *what)
{
    scanner sc = {.s = (const unsigned char *)text, .n = n, .doc = doc};
    sc.names = sc.inline_names;
    sc.names_cap = sizeof sc.inline_names / sizeof sc.inline_names[0];
    doc->members = doc->inline_members;
    doc->count = 0;
    doc->cap = JOT__JDOC_INLINE;
    for (int r = 0; r < JOT__R_COUNT; r++)
        doc->reg[r] = -1;

    skip_ws(&sc);
    int ok;
    if (sc.i >= sc.n || sc.s[sc.i] != '{') {
        ok = fail(&sc, "not a JSON object");
    } else {
        ok = scan_object(&sc);
        skip_ws(&sc);
        if (ok && sc.i != sc.n)
            ok = fail(&sc, "data after the JSON object");
    }
    if (sc.names != sc.inline_names)
        free(sc.names);
    if (!ok) {
        jot__jdoc_release(doc);
        if (strcmp(sc.err, "out of memory") == 0)
            return jot__fail(d, JOT_E_NOMEM, "out of memory");
        return jot__fail(d, JOT_E_MALFORMED, "%s: invalid JSON: %s", what, sc.err);
    }
    return JOT_OK;
}

void jot__jdoc_release(jot__jdoc *doc)
{
    if (doc->members != doc->inline_members)
        free(doc->members);
    doc->members = doc->inline_members;
    doc->count = 0;
    doc->cap = JOT__JDOC_INLINE;
}

const jot__jmember *jot__jdoc_get(const jot__jdoc *doc, const char *name)
{
    size_t len = strlen(name);
    int r = classify(name, len, 0);
    if (r >= 0)
        return jot__jdoc_reg(doc, (jot__reg)r);
    for (size_t k = 0; k < doc->count; k++) {
        const jot__jmember *m = &doc->members[k];
        if (!m->name_escaped) {
            if (m->name_len == len && (len == 0 || (m->name[0] == name[0] && memcmp(m->name, name, len) == 0)))
                return m;
        } else if (jot__jstr_equals(m->name, m->name_len, 1, name, len)) {
            return m;
        }
    }
    return NULL;
}

/* UTF-8 encoding of code point u into out; returns the length. */
static size_t put_utf8(char *out, unsigned u)
{
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xc0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3f));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (char)(0xe0 | u >> 12);
        out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        out[2] = (char)(0x80 | (u & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | u >> 18);
    out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((u >> 6) & 0x3f));
    out[3] = (char)(0x80 | (u & 0x3f));
    return 4;
}

/* The escape sequence at s (from a successful scan, so valid): its code
 * point in *u; returns its length. */
static size_t unescape(const unsigned char *s, unsigned *u)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    unsigned hi = 0, lo = 0;
    if (s[1] != 'u') {
        *u = (unsigned char)to[strchr(from, s[1]) - from];
        return 2;
    }
    hex4(s + 2, &hi);
    *u = hi;
    if (hi < 0xd800 || hi > 0xdbff)
        return 6;
    hex4(s + 8, &lo);
    *u = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    return 12;
}

size_t jot__jstr_decode(const char *span, size_t len, int escaped, char *out)
{
    if (!escaped) {
        memmove(out, span, len);
        out[len] = '\0';
        return len;
    }
    const unsigned char *s = (const unsigned char *)span;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned u;
        if (s[i] != '\\') {
            out[o++] = (char)s[i++];
            continue;
        }
        i += unescape(s + i, &u);
        o += put_utf8(out + o, u);
    }
    out[o] = '\0';
    return o;
}

/* A string's content (escapes as given) written the way Jansson writes it,
 * which is how jot printed claims before it kept number texts: only '"',
 * '\\' and the control characters escaped, in their short forms where
 * they have one. Never longer than the content. */
static size_t canonical_string(const char *span, size_t len, char *out)
{
    static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt", hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)span;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned u;
        if (s[i] != '\\') {
            out[o++] = (char)s[i++];
            continue;
        }
        i += unescape(s + i, &u);
        if (u >= 0x20 && u != '"' && u != '\\') {
            o += put_utf8(out + o, u);
            continue;
        }
        /* u is not 0: the scanner refuses "\u0000". */
        const char *f = strchr(from, (int)u);
        out[o++] = '\\';
        if (f) {
            out[o++] = to[f - from];
        } else {
            memcpy(out + o, "u00", 3);
            out[o + 3] = hex[u >> 4];
            out[o + 4] = hex[u & 15];
            o += 5;
        }
    }
    return o;
}

size_t jot__json_compact(const char *text, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        char c = text[i];
        if (c == '"') {
            size_t end = i + 1;
            while (text[end] != '"')
                end += text[end] == '\\' ? 2 : 1;
            out[o++] = '"';
            o += canonical_string(text + i + 1, end - i - 1, out + o);
            out[o++] = '"';
            i = end + 1;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            out[o++] = c;
        i++;
    }
    out[o] = '\0';
    return o;
}

int jot__jstr_equals(const char *span, size_t len, int escaped, const char *want, size_t want_len)
{
    if (!escaped)
        return len == want_len && memcmp(span, want, len) == 0;
    if (want_len > len)
        return 0; /* escapes only ever shorten */
    char buf[256];
    char *tmp = len < sizeof buf ? buf : malloc(len + 1);
    if (!tmp)
        return 0;
    size_t n = jot__jstr_decode(span, len, escaped, tmp);
    int eq = n == want_len && memcmp(tmp, want, n) == 0;
    if (tmp != buf)
        free(tmp);
    return eq;
}

double jot__jnum_value(const jot__jmember *m)
{
    const char *p = m->value;
    size_t len = m->value_len;
    if (m->type == JOT__J_INTEGER && len < 16) {
        /* Exact, and the common case (NumericDates). */
        int neg = p[0] == '-';
        int64_t v = 0;
        for (size_t k = (size_t)neg; k < len; k++)
            v = v * 10 + (p[k] - '0');
        return (double)(neg ? -v : v);
    }
    char buf[64];
    char *tmp = len < sizeof buf ? buf : malloc(len + 1);
    if (!tmp)
        return NAN;
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != buf)
        free(tmp);
    return v;
}

int jot__jnum_int64(const jot__jmember *m, int64_t *out)
{
    if (m->type == JOT__J_INTEGER) {
        /* Exactly, from the text: a double would round 2^63 - 1 up. */
        const char *p = m->value;
        int neg = p[0] == '-';
        uint64_t v = 0, max = (uint64_t)INT64_MAX + (unsigned)neg;
        for (size_t k = (size_t)neg; k < m->value_len; k++) {
            unsigned d = (unsigned)(p[k] - '0');
            if (v > (max - d) / 10u)
                return -1;
            v = v * 10u + d;
        }
        *out = !neg ? (int64_t)v : v == 0 ? 0 : -(int64_t)(v - 1u) - 1;
        return 0;
    }
    if (m->type != JOT__J_REAL)
        return -1;
    /* Truncated toward zero; -2^63 and 2^63 are exact doubles, and NaN
     * (no memory) fails both comparisons. */
    double r = jot__jnum_value(m);
    if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
        return -1;
    *out = (int64_t)r;
    return 0;
}

/* The end of the validated value starting at s[i]. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
    int depth = 0;
    do {
        char c = s[i];
        if (c == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
            i++;
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            depth--;
            i++;
        } else if (depth > 0) {
            i++;
        } else {
            while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != ' ' && s[i] != '\t' &&
                   s[i] != '\n' && s[i] != '\r')
                i++;
        }
    } while (depth > 0 && i < n);
    return i;
}

int jot__jarray_next(const char *span, size_t len, size_t *pos, jot__jmember *el)
{
    size_t i = *pos;
    if (i == 0)
        i = 1; /* past '[' */
    while (i < len && (span[i] == ' ' || span[i] == '\t' || span[i] == '\n' || span[i] == '\r' || span[i] == ','))
        i++;
    if (i >= len || span[i] == ']')
        return 0;
    size_t end = skip_value(span, len, i);
    char c = span[i];
    memset(el, 0, sizeof *el);
    if (c == '"') {
        el->type = JOT__J_STRING;
        el->value = span + i + 1;
        el->value_len = (uint32_t)(end - i - 2);
        el->value_escaped = memchr(el->value, '\\', el->value_len) != NULL;
    } else {
        el->type = c == '{' ? JOT__J_OBJECT
                 : c == '[' ? JOT__J_ARRAY
                 : c == 't' ? JOT__J_TRUE
                 : c == 'f' ? JOT__J_FALSE
                 : c == 'n' ? JOT__J_NULL
                 : memchr(span + i, '.', end - i) || memchr(span + i, 'e', end - i) || memchr(span + i, 'E', end - i)
                     ? JOT__J_REAL
                     : JOT__J_INTEGER;
        el->value = span + i;
        el->value_len = (uint32_t)(end - i);
    }
    *pos = end;
    return 1;
}
