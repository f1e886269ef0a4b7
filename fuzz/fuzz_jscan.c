/*
 * fuzz_jscan: a differential target. The verify path reads headers and
 * claims with the scanner of lib/core/jscan.c, everything else with Jansson
 * through jot__json_object; both must accept exactly the same texts (RFC
 * 8259 grammar, UTF-8, no "\u0000", no lone surrogates, no duplicate member
 * names at any level, 64-bit integers, finite reals, depth at most 16), or
 * a token could mean one thing to the verifier and another to the code that
 * reads its claims. The two bounds of the scanner's own (members per object,
 * length of a member name; documented in jscan.c) are the only allowed
 * difference.
 *
 * When both accept, the scanner's view of every top-level member must match
 * Jansson's: name, type, string value (decoded), number value, and the
 * strings of arrays as jot__jarray_next walks them (the "aud" claim).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jscan.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int jtype_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return JOT__J_OBJECT;
    case JSON_ARRAY: return JOT__J_ARRAY;
    case JSON_STRING: return JOT__J_STRING;
    case JSON_INTEGER: return JOT__J_INTEGER;
    case JSON_REAL: return JOT__J_REAL;
    case JSON_TRUE: return JOT__J_TRUE;
    case JSON_FALSE: return JOT__J_FALSE;
    default: return JOT__J_NULL;
    }
}

/* A string span against Jansson's string. */
static void check_string(const char *span, size_t len, int escaped, const json_t *v, const char *what)
{
    char *buf = malloc(len + 1);
    FZ_CHECK(buf != NULL, "out of memory");
    size_t n = jot__jstr_decode(span, len, escaped, buf);
    FZ_CHECK(n == json_string_length(v) && memcmp(buf, json_string_value(v), n) == 0,
             "%s: the scanner decodes another string", what);
    FZ_CHECK(jot__jstr_equals(span, len, escaped, json_string_value(v), json_string_length(v)),
             "%s: jot__jstr_equals says no to its own value", what);
    FZ_CHECK(escaped || memchr(span, '\\', len) == NULL, "%s: escapes not flagged", what);
    free(buf);
}

static void check_value(const jot__jmember *m, const json_t *v, const char *what)
{
    FZ_CHECK(m->type == jtype_of(v), "%s: scanner type %d, Jansson type %d", what, m->type, jtype_of(v));
    switch (m->type) {
    case JOT__J_STRING:
        check_string(m->value, m->value_len, m->value_escaped, v, what);
        break;
    case JOT__J_INTEGER:
    case JOT__J_REAL: {
        double a = jot__jnum_value(m), b = json_number_value(v);
        FZ_CHECK(a == b || (a == 0 && b == 0), "%s: number %.17g, Jansson %.17g", what, a, b);
        break;
    }
    default:
        break;
    }
}

static void check_array(const jot__jmember *m, const json_t *arr, const char *name)
{
    size_t pos = 0, i = 0;
    jot__jmember el;
    while (jot__jarray_next(m->value, m->value_len, &pos, &el)) {
        FZ_CHECK(i < json_array_size(arr), "\"%s\": the array walk finds more than %zu elements", name,
                 json_array_size(arr));
        check_value(&el, json_array_get(arr, i), name);
        i++;
    }
    FZ_CHECK(i == json_array_size(arr), "\"%s\": the array walk finds %zu of %zu elements", name, i,
             json_array_size(arr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    if (!data)
        data = empty; /* libFuzzer may pass NULL for an empty input */
    const char *text = (const char *)data;
    jot__jdoc doc;
    jot_diag d;
    json_t *tree = NULL;

    jot_diag_init(&d);
    jot_status s1 = jot__jscan_object(text, size, &doc, &d, "fuzz");
    jot_status s2 = jot__json_object(text, size, &tree, NULL, "fuzz");
    FZ_CHECK(s1 == JOT_OK || s1 == JOT_E_MALFORMED, "scanner: %s", jot_strerror(s1));
    FZ_CHECK(s2 == JOT_OK || s2 == JOT_E_MALFORMED, "Jansson: %s", jot_strerror(s2));

    if (s1 != JOT_OK && s2 == JOT_OK) {
        /* The scanner's own documented bounds are the one allowed reason. */
        FZ_CHECK(strstr(d.text, "too many members") || strstr(d.text, "member name too long"),
                 "the scanner refuses what Jansson accepts: %s", d.text);
    }
    FZ_CHECK(!(s1 == JOT_OK && s2 != JOT_OK), "the scanner accepts what Jansson refuses");

    if (s1 == JOT_OK && s2 == JOT_OK) {
        FZ_CHECK(doc.count == json_object_size(tree), "%zu members scanned, Jansson has %zu", doc.count,
                 json_object_size(tree));
        for (size_t i = 0; i < doc.count; i++) {
            const jot__jmember *m = &doc.members[i];
            char *name = malloc(m->name_len + 1);
            FZ_CHECK(name != NULL, "out of memory");
            size_t nl = jot__jstr_decode(m->name, m->name_len, m->name_escaped, name);
            FZ_CHECK(strlen(name) == nl, "a member name with a NUL was accepted");
            const json_t *v = json_object_get(tree, name);
            FZ_CHECK(v != NULL, "member \"%s\" is not in Jansson's object", name);
            FZ_CHECK(jot__jdoc_get(&doc, name) == m, "jot__jdoc_get(\"%s\") finds another member", name);
            check_value(m, v, name);
            if (m->type == JOT__J_ARRAY)
                check_array(m, v, name);
            free(name);
        }
        jot__jdoc_release(&doc);
    }
    json_decref(tree);
    return 0;
}
