/* server/http/params.c - see params.h */
#include "params.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jot/util.h>

#include "base/mem.h"
#include "base/text.h"

/* Containers below the top-level object (params.h: "nesting deeper than
 * 16"); the pre-scan counts the top-level object as one more level. */
#define MAX_DEPTH 16



/* A static explanation for a Jansson error (its text is not static). */
static const char *json_why(const json_error_t *err)
{
    switch (json_error_code(err)) {
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "NUL character in string";
    case json_error_duplicate_key:
        return "a parameter appears twice";
    case json_error_stack_overflow:
        return "nesting too deep";
    case json_error_numeric_overflow:
        return "number out of range";
    case json_error_premature_end_of_input:
        return "unterminated JSON";
    case json_error_end_of_input_expected:
        return "data after the JSON object";
    default:
        break;
    }
    /* RFC 8259 7: a lone surrogate escape is no character at all; Jansson
     * reports it as a syntax error with this text. */
    if (strncmp(err->text, "invalid Unicode", 15) == 0)
        return "unpaired surrogate";
    return "malformed JSON";
}

/* Jansson keeps its own heap copy of each string; a value may be a password
 * or a token, so that copy is overwritten before json_decref frees it. The
 * string is Jansson's writable buffer: only the API hands it out as const. */
static void wipe_json_string(json_t *v)
{
    const char *s = json_string_value(v);
    char *w;
    memcpy(&w, &s, sizeof w);
    jot_wipe(w, json_string_length(v));
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

/* Room for any literal, int64 or double as Jansson writes it. */
#define LITERAL_TEXT_MAX 40

/* The JSON text of a literal or a number: Jansson does not keep the text it
 * read, so a number is written back, a double with the fewest digits that
 * read back as the same value ("0.1", not "0.10000000000000001"). RFC 8259 6
 * lets a parser limit numbers; Jansson refuses what an int64 or a double
 * cannot hold, and no parameter jotd reads is a number. */
static size_t json_text(const json_t *v, char text[LITERAL_TEXT_MAX])
{
    size_t n = 0;
    for (size_t prec = 1; prec <= 17; prec++) {
        n = json_dumpb(v, text, LITERAL_TEXT_MAX - 1, JSON_ENCODE_ANY | JSON_REAL_PRECISION(prec));
        if (n >= LITERAL_TEXT_MAX)
            n = 0;
        text[n] = '\0';
        if (!json_is_real(v) || strtod(text, NULL) == json_real_value(v))
            break;
    }
    return n;
}

/* Wipe every string in v, nested ones too: a client may put a secret
 * anywhere. The pre-scan bounds the recursion at MAX_DEPTH + 1 levels. */
static void wipe_strings(json_t *v)
{
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_string(v)) {
        wipe_json_string(v);
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, m)
        {
            wipe_strings(m);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            wipe_strings(m);
        }
    }
}

static void release_object(json_t *obj)
{
    wipe_strings(obj);
    json_decref(obj);
}

int jotd_params_from_json(const char *body, size_t len, jotd_params *out, const char **why)
{
    out->v = NULL;
    out->n = 0;
    *why = NULL;
    /* RFC 8259 2: insignificant whitespace may precede the value, which
     * must be an object here; this also keeps an empty body (perhaps a
     * NULL pointer) away from memchr and Jansson. */
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
        i++;
    if (i == len || body[i] != '{') {
        *why = "the body must be a JSON object";
        return -1;
    }
    /* A raw NUL is never valid JSON (RFC 8259 2 and 7), and Jansson would
     * take one for the end of the input. */
    if (memchr(body, '\0', len)) {
        *why = "NUL byte in the body";
        return -1;
    }
    if (!jot_json_depth_ok(body, len, MAX_DEPTH + 1)) {
        *why = "nesting too deep";
        return -1;
    }
    /* Jansson validates UTF-8 (RFC 8259 8.1), refuses lone surrogates
     * (RFC 8259 7), "\u0000" (no JSON_ALLOW_NUL) and trailing data (no
     * JSON_DISABLE_EOF_CHECK) by itself; duplicate names must be asked for
     * (RFC 8259 4 only says they SHOULD be unique). */
    json_error_t err;
    json_t *obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!obj) {
        *why = json_why(&err);
        return -1;
    }
    if (json_object_size(obj) > JOTD_PARAMS_MAX) {
        *why = "too many parameters";
        release_object(obj);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char *value = NULL;
        size_t vlen = 0;
        jotd_pkind kind;
        switch (json_typeof(v)) {
        case JSON_STRING:
            kind = JOTD_P_STRING;
            vlen = json_string_length(v);
            value = jotd_xstrndup(json_string_value(v), vlen);
            break;
        case JSON_TRUE:
            kind = JOTD_P_TRUE;
            break;
        case JSON_FALSE:
            kind = JOTD_P_FALSE;
            break;
        case JSON_NULL:
            kind = JOTD_P_NULL;
            break;
        case JSON_INTEGER:
        case JSON_REAL:
            kind = JOTD_P_NUMBER;
            break;
        default:
            /* An array or object keeps its compact JSON text, for the
             * handlers that take one (POST /api-tokens "scopes"). */
            kind = JOTD_P_OTHER;
            vlen = json_dumpb(v, NULL, 0, JSON_COMPACT);
            value = jotd_xmalloc(vlen + 1);
            if (json_dumpb(v, value, vlen, JSON_COMPACT) != vlen)
                vlen = 0;
            value[vlen] = '\0';
            break;
        }
        if (kind == JOTD_P_TRUE || kind == JOTD_P_FALSE || kind == JOTD_P_NULL || kind == JOTD_P_NUMBER) {
            char text[LITERAL_TEXT_MAX];
            vlen = json_text(v, text);
            value = jotd_xstrndup(text, vlen);
        }
        if (add_param(out, jotd_xstrdup(key), value, vlen, kind, why) != 0) {
            jotd_params_release(out);
            release_object(obj);
            return -1;
        }
    }
    release_object(obj);
    return 0;
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
            int hi = n - i < 3 ? -1 : jotd_hex_digit((unsigned char)s[i + 1]);
            int lo = hi < 0 ? -1 : jotd_hex_digit((unsigned char)s[i + 2]);
            if (lo < 0)
                goto bad;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            goto bad;
        d[o++] = c;
    }
    d[o] = '\0';
    if (!jot_utf8_valid(d, o))
        goto bad;
    *outlen = o;
    *out = d;
    return 0;
bad:
    jot_wipe(d, o);
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
            jot_wipe(p->v[i].value, p->v[i].value_len);
            free(p->v[i].value);
        }
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}
