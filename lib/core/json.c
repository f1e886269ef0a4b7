/*
 * The JSON wrapper: every JSON text libjot reads comes through here, so
 * that the rules are the same everywhere (RFC 7515 4 and RFC 7519 4: member
 * names unique; RFC 8725 2.8 and 3.6: bounded input), and this file is the
 * only one in libjot that calls Jansson.
 */
#include <string.h>

#include "core/core.h"

/* Nesting depth of a JSON text, counted before any parsing allocates, so a
 * token of a million '[' costs a scan and nothing else. Strings are skipped
 * with their escapes; a structural error is left for the parser to report. */
int jot_json_depth_ok(const char *json, size_t n, size_t max)
{
    size_t depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = json[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                return 0;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 1;
}

/* Any JSON value, by the rules of jot__json_object. */
static jot_status json_value(const char *text, size_t n, json_t **out, jot_diag *d, const char *what)
{
    json_error_t err;
    *out = NULL;
    /* A raw NUL is never valid JSON, but Jansson takes one after the value
     * for the end of input: refuse it here so that every parser agrees. */
    if (memchr(text, '\0', n))
        return jot__fail(d, JOT_E_MALFORMED, "%s: NUL byte in JSON", what);
    if (!jot_json_depth_ok(text, n, JOT__JSON_MAX_DEPTH))
        return jot__fail(d, JOT_E_MALFORMED, "%s: JSON nested deeper than %u levels", what, JOT__JSON_MAX_DEPTH);
    /* Jansson validates UTF-8, refuses "\u0000" (no JSON_ALLOW_NUL), and
     * refuses trailing data; duplicate names must be asked for. */
    json_t *v = json_loadb(text, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!v)
        return jot__fail(d, JOT_E_MALFORMED, "%s: invalid JSON: %s", what, err.text);
    *out = v;
    return JOT_OK;
}

jot_status jot__json_object(const char *text, size_t n, json_t **out, jot_diag *d, const char *what)
{
    jot_status s = json_value(text, n, out, d, what);
    if (s == JOT_OK && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return jot__fail(d, JOT_E_MALFORMED, "%s is not a JSON object", what);
    }
    return s;
}

char *jot__json_redump(const char *text, size_t n)
{
    json_t *v;
    if (json_value(text, n, &v, NULL, "JSON") != JOT_OK) {
        v = json_stringn(text, n);
        if (!v)
            return NULL;
    }
    char *s = jot__json_dump(v);
    json_decref(v);
    return s;
}

int jot__json_is_object(const json_t *v)
{
    return json_is_object(v);
}

int jot__json_is_array(const json_t *v)
{
    return json_is_array(v);
}

json_t *jot__json_get(const json_t *obj, const char *name)
{
    return json_object_get(obj, name);
}

json_t *jot__json_at(const json_t *arr, size_t i)
{
    return json_array_get(arr, i);
}

const char *jot__json_str(const json_t *v, size_t *len)
{
    if (!json_is_string(v))
        return NULL;
    if (len)
        *len = json_string_length(v);
    return json_string_value(v);
}

json_t *jot__json_new(int array)
{
    return array ? json_array() : json_object();
}

int jot__json_put(json_t *to, const char *name, json_t *v)
{
    return name ? json_object_set_new(to, name, v) : json_array_append_new(to, v);
}

int jot__json_put_str(json_t *obj, const char *name, const char *s)
{
    return json_object_set_new(obj, name, json_string(s));
}

void jot__json_free(json_t *v)
{
    json_decref(v);
}

char *jot__json_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

void jot__json_wipe_members(json_t *obj, const char *const *names)
{
    for (; *names; names++) {
        json_t *m = json_object_get(obj, *names);
        if (json_is_string(m)) {
            /* The value is Jansson's own heap copy; it is about to be freed. */
            char *p = (char *)(uintptr_t)json_string_value(m);
            jot_wipe(p, json_string_length(m));
        }
    }
}
