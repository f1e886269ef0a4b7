/*
 * Building and signing a claims set; see jot/jwt.h.
 *
 * The builder keeps its header and claims as JSON text already serialized,
 * member by member, in one buffer, so that signing is a concatenation: no
 * tree, and no allocation for a usual token beyond the builder and the
 * result.
 */
#include <stdlib.h>
#include <string.h>

#include "jwt/jwt.h"

/* One member: `"name":value` at text[off .. off+len), its name (escaped as
 * stored) at text[off+1 .. off+1+name_len). */
typedef struct entry {
    uint32_t off, len, name_len;
    uint32_t name_escaped;
} entry;

#define INLINE_TEXT 384
/* Longest name or value (bytes, before escaping) and longest members text:
 * far beyond any token a verifier accepts, small enough that sizes and the
 * uint32_t offsets below never overflow. */
#define MAX_PART (1u << 24)
#define MAX_TEXT (1u << 30)
#define INLINE_ENTRIES 12

/* Members as text; small sets live inside the builder itself. */
typedef struct members {
    char *text;          /* inline_text, or a heap buffer */
    size_t len, cap;
    entry *e;            /* inline_e, or a heap array */
    size_t n, ecap;
    char inline_text[INLINE_TEXT];
    entry inline_e[INLINE_ENTRIES];
} members;

struct jot_builder {
    members header; /* every member but "alg" */
    members claims;
};

static void members_init(members *m)
{
    m->text = m->inline_text;
    m->cap = INLINE_TEXT;
    m->e = m->inline_e;
    m->ecap = INLINE_ENTRIES;
    m->len = m->n = 0;
}

static void members_release(members *m)
{
    if (m->text != m->inline_text)
        free(m->text);
    if (m->e != m->inline_e)
        free(m->e);
}

void jot_builder_free(jot_builder *b)
{
    if (!b)
        return;
    members_release(&b->header);
    members_release(&b->claims);
    free(b);
}

/* Room for more bytes and one more entry; the caller keeps m->len + more
 * within MAX_TEXT. */
static int reserve(members *m, size_t more)
{
    if (m->len + more > m->cap) {
        size_t cap = m->cap * 2;
        while (cap < m->len + more)
            cap *= 2;
        char *t = m->text == m->inline_text ? malloc(cap) : realloc(m->text, cap);
        if (!t)
            return -1;
        if (m->text == m->inline_text)
            memcpy(t, m->text, m->len);
        m->text = t;
        m->cap = cap;
    }
    if (m->n == m->ecap) {
        size_t cap = m->ecap * 2;
        entry *e = m->e == m->inline_e ? malloc(cap * sizeof *e) : realloc(m->e, cap * sizeof *e);
        if (!e)
            return -1;
        if (m->e == m->inline_e)
            memcpy(e, m->inline_e, sizeof m->inline_e);
        m->e = e;
        m->ecap = cap;
    }
    return 0;
}

/* Append s as JSON string content (RFC 8259 7), escaping what must be.
 * Returns the length written, or (size_t)-1 for invalid UTF-8. out must
 * have room for 6 * n bytes. */
static size_t escape(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        /* Copy a run of characters that need no escape in one go. */
        size_t run = i;
        while (run < n && jot__json_plain[p[run]])
            run++;
        if (run > i) {
            memcpy(out + o, p + i, run - i);
            o += run - i;
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = jot__utf8_len(p + i, n - i);
            if (!l)
                return (size_t)-1;
            memcpy(out + o, p + i, l);
            o += l;
            i += l;
            continue;
        }
        i++;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c >= 0x20) {
            out[o++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
        } else if (c == 0) {
            return (size_t)-1; /* a verifier refuses "\u0000": never make one */
        } else {
            out[o++] = '\\';
            out[o++] = 'u';
            out[o++] = '0';
            out[o++] = '0';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    return o;
}

/* Remove the member whose name (decoded) is name, if any. */
static void members_del(members *m, const char *name, size_t name_len)
{
    for (size_t i = 0; i < m->n; i++) {
        entry *e = &m->e[i];
        const char *nm = m->text + e->off + 1;
        if (!e->name_escaped ? e->name_len != name_len || (name_len && nm[0] != name[0]) ||
                                   memcmp(nm, name, name_len) != 0
                             : !jot__jstr_equals(nm, e->name_len, 1, name, name_len))
            continue;
        uint32_t off = e->off, len = e->len;
        memmove(m->text + off, m->text + off + len, m->len - off - len);
        m->len -= len;
        for (size_t j = i + 1; j < m->n; j++) {
            m->e[j].off -= len;
            m->e[j - 1] = m->e[j];
        }
        m->n--;
        return;
    }
}

/* Set member name to value: JSON text as it is (quote 0), or a string
 * escaped and quoted here (quote 1). The new member is written past the
 * current text first, so that a value that cannot be escaped (invalid
 * UTF-8, a NUL) leaves the builder as it was; the member it replaces goes
 * only once the new one is whole. */
static jot_status members_put(members *m, const char *name, const char *value, size_t value_len, int quote)
{
    size_t name_len = strlen(name);
    if (name_len > MAX_PART || value_len > MAX_PART)
        return JOT_E_ARG;
    size_t more = 6 * name_len + (quote ? 6 * value_len + 2 : value_len) + 4;
    if (more > MAX_TEXT - m->len)
        return JOT_E_ARG;
    if (reserve(m, more) != 0)
        return JOT_E_NOMEM;
    char *t = m->text + m->len;
    t[0] = '"';
    size_t nl = escape(name, name_len, t + 1);
    if (nl == (size_t)-1)
        return JOT_E_ARG;
    t[1 + nl] = '"';
    t[2 + nl] = ':';
    size_t len = 3 + nl;
    if (quote) {
        t[len++] = '"';
        size_t vl = escape(value, value_len, t + len);
        if (vl == (size_t)-1) {
            jot_wipe(t + len, 6 * value_len);
            return JOT_E_ARG;
        }
        len += vl;
        t[len++] = '"';
    } else {
        memcpy(t + len, value, value_len);
        len += value_len;
    }
    size_t before = m->len;
    members_del(m, name, name_len);
    if (m->len != before) /* a member went: move the new one down to the end */
        memmove(m->text + m->len, t, len);
    m->e[m->n++] = (entry){(uint32_t)m->len, (uint32_t)len, (uint32_t)nl, nl != name_len};
    m->len += len;
    return JOT_OK;
}

static jot_status members_set(members *m, const char *name, const char *value, size_t value_len)
{
    return members_put(m, name, value, value_len, 0);
}

static jot_status members_set_string(members *m, const char *name, const char *value)
{
    return members_put(m, name, value, strlen(value), 1);
}

/* Whether a claim named name may have the value of this type (value: its
 * JSON text) by the verifier's rules for registered claims. */
static int registered_type_ok(const char *name, jot__jtype type, const char *value, size_t len)
{
    jot__jmember m = {.value = value, .value_len = (uint32_t)len, .type = (uint8_t)type};
    return jot__claim_type_error(name, &m) == NULL;
}

jot_status jot_builder_new(jot_builder **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    jot_builder *b = malloc(sizeof *b);
    if (!b)
        return JOT_E_NOMEM;
    members_init(&b->header);
    members_init(&b->claims);
    jot_status s = members_set(&b->header, "typ", "\"JWT\"", 5);
    if (s != JOT_OK) {
        jot_builder_free(b);
        return s;
    }
    *out = b;
    return JOT_OK;
}

/* Set every member of a JSON object text, checked by the strict scanner. */
static jot_status members_merge(members *m, const char *json, size_t len, int claims)
{
    jot__jdoc doc;
    jot_status s = jot__jscan_object(json, len, &doc, NULL, "claims");
    if (s != JOT_OK)
        return s;
    for (size_t i = 0; s == JOT_OK && i < doc.count; i++) {
        const jot__jmember *mb = &doc.members[i];
        char *name = malloc(mb->name_len + 1u);
        if (!name) {
            s = JOT_E_NOMEM;
            break;
        }
        jot__jstr_decode(mb->name, mb->name_len, mb->name_escaped, name);
        /* A string value's span is its content; the stored value keeps
         * its quotes. */
        const char *v = mb->type == JOT__J_STRING ? mb->value - 1 : mb->value;
        size_t vl = mb->type == JOT__J_STRING ? mb->value_len + 2u : mb->value_len;
        if (claims && !registered_type_ok(name, (jot__jtype)mb->type, v, vl))
            s = JOT_E_TYPE;
        else if (!claims && strcmp(name, "alg") == 0)
            s = JOT_E_ARG;
        else
            s = members_set(m, name, v, vl);
        free(name);
    }
    jot__jdoc_release(&doc);
    return s;
}

/* A JSON value text checked by the scanner, wrapped as {"v":value}: its
 * type, and where the value is in json without the white space around. */
static jot_status check_value(const char *json, size_t len, jot__jtype *type, size_t *off, size_t *vlen)
{
    char *wrap = malloc(len + 8);
    if (!wrap)
        return JOT_E_NOMEM;
    memcpy(wrap, "{\"v\":", 5);
    memcpy(wrap + 5, json, len);
    wrap[5 + len] = '}';
    jot__jdoc doc;
    jot_status s = jot__jscan_object(wrap, len + 6, &doc, NULL, "value");
    if (s == JOT_OK) {
        const jot__jmember *m = &doc.members[0];
        *type = doc.count == 1 ? (jot__jtype)m->type : (jot__jtype)0;
        if (!*type)
            s = JOT_E_MALFORMED;
        else if (m->type == JOT__J_STRING) {
            *off = (size_t)(m->value - wrap) - 6u;
            *vlen = m->value_len + 2u;
        } else {
            *off = (size_t)(m->value - wrap) - 5u;
            *vlen = m->value_len;
        }
        jot__jdoc_release(&doc);
    }
    free(wrap);
    return s;
}

jot_status jot_builder_claims_json(jot_builder *b, const char *json, size_t len)
{
    if (!b || !json)
        return JOT_E_ARG;
    return members_merge(&b->claims, json, len, 1);
}

jot_status jot_builder_set_string(jot_builder *b, const char *name, const char *value)
{
    if (!b || !name)
        return JOT_E_ARG;
    if (!value) {
        members_del(&b->claims, name, strlen(name));
        return JOT_OK;
    }
    if (!registered_type_ok(name, JOT__J_STRING, NULL, 0))
        return JOT_E_TYPE;
    return members_set_string(&b->claims, name, value);
}

jot_status jot_builder_set_int(jot_builder *b, const char *name, int64_t value)
{
    if (!b || !name)
        return JOT_E_ARG;
    char num[24], *p = num + sizeof num;
    uint64_t u = value < 0 ? 0u - (uint64_t)value : (uint64_t)value;
    do
        *--p = (char)('0' + u % 10u);
    while ((u /= 10u) != 0);
    if (value < 0)
        *--p = '-';
    size_t len = (size_t)(num + sizeof num - p);
    if (!registered_type_ok(name, JOT__J_INTEGER, p, len))
        return JOT_E_TYPE;
    return members_set(&b->claims, name, p, len);
}

jot_status jot_builder_set_json(jot_builder *b, const char *name, const char *json, size_t len)
{
    if (!b || !name || !json)
        return JOT_E_ARG;
    jot__jtype type;
    size_t off, vlen;
    jot_status s = check_value(json, len, &type, &off, &vlen);
    if (s != JOT_OK)
        return s;
    if (!registered_type_ok(name, type, json + off, vlen))
        return JOT_E_TYPE;
    return members_set(&b->claims, name, json, len);
}

jot_status jot_builder_header_string(jot_builder *b, const char *name, const char *value)
{
    if (!b || !name || strcmp(name, "alg") == 0)
        return JOT_E_ARG;
    if (!value) {
        members_del(&b->header, name, strlen(name));
        return JOT_OK;
    }
    return members_set_string(&b->header, name, value);
}

jot_status jot_builder_header_json(jot_builder *b, const char *name, const char *json, size_t len)
{
    if (!b || !name || !json || strcmp(name, "alg") == 0)
        return JOT_E_ARG;
    jot__jtype type;
    size_t off, vlen;
    jot_status s = check_value(json, len, &type, &off, &vlen);
    return s == JOT_OK ? members_set(&b->header, name, json, len) : s;
}

/* The index of the member named name, or -1. */
static long members_find(const members *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++) {
        const char *nm = m->text + m->e[i].off + 1;
        if (jot__jstr_equals(nm, m->e[i].name_len, memchr(nm, '\\', m->e[i].name_len) != NULL, name, strlen(name)))
            return (long)i;
    }
    return -1;
}

/* Write {member,member,...} into out (room for m->len + m->n + 2). */
static size_t members_write(const members *m, char *out)
{
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < m->n; i++) {
        if (i)
            out[o++] = ',';
        memcpy(out + o, m->text + m->e[i].off, m->e[i].len);
        o += m->e[i].len;
    }
    out[o++] = '}';
    return o;
}

jot_status jot_builder_sign(const jot_builder *b, const jot_key *key, jot_alg alg, char **out)
{
    if (!out)
        return JOT_E_ARG;
    *out = NULL;
    if (!b || !key)
        return JOT_E_ARG;
    if (alg == JOT_ALG_UNSET)
        alg = jot_key_alg(key);
    if (!jot_alg_name(alg))
        return JOT_E_ARG;
    jot_status s = jot_key_fits(key, alg);
    if (s != JOT_OK)
        return s;

    /* The header: {"alg":...,"typ":...,"kid":...,rest}, the kid from the
     * key when the builder names none. */
    const char *kid = jot_key_kid(key);
    long typ_i = members_find(&b->header, "typ"), kid_i = members_find(&b->header, "kid");
    size_t kid_cap = kid_i < 0 && kid ? 6 * strlen(kid) + 10 : 0;
    size_t hcap = 32 + b->header.len + b->header.n + kid_cap;
    size_t ccap = b->claims.len + b->claims.n + 2;
    char small[1024];
    char *buf = hcap + ccap <= sizeof small ? small : malloc(hcap + ccap);
    if (!buf)
        return JOT_E_NOMEM;
    char *h = buf, *c = buf + hcap;
    const char *an = jot_alg_name(alg);
    size_t hl = 8 + strlen(an) + 1;
    memcpy(h, "{\"alg\":\"", 8);
    memcpy(h + 8, an, hl - 9);
    h[hl - 1] = '"';
    if (typ_i >= 0) {
        h[hl++] = ',';
        memcpy(h + hl, b->header.text + b->header.e[typ_i].off, b->header.e[typ_i].len);
        hl += b->header.e[typ_i].len;
    }
    if (kid_i >= 0) {
        h[hl++] = ',';
        memcpy(h + hl, b->header.text + b->header.e[kid_i].off, b->header.e[kid_i].len);
        hl += b->header.e[kid_i].len;
    } else if (kid) {
        memcpy(h + hl, ",\"kid\":\"", 8);
        hl += 8;
        size_t l = escape(kid, strlen(kid), h + hl);
        if (l == (size_t)-1)
            s = JOT_E_KEY;
        else
            hl += l;
        h[hl++] = '"';
    }
    for (size_t i = 0; i < b->header.n; i++) {
        if ((long)i == typ_i || (long)i == kid_i)
            continue;
        h[hl++] = ',';
        memcpy(h + hl, b->header.text + b->header.e[i].off, b->header.e[i].len);
        hl += b->header.e[i].len;
    }
    h[hl++] = '}';
    size_t cl = members_write(&b->claims, c);
    if (s == JOT_OK)
        s = jot__jws_compose(key, alg, h, hl, c, cl, out);
    if (buf != small)
        free(buf);
    return s;
}
