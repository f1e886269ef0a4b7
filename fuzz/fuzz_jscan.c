/*
 * fuzz_jscan: a differential target. The verify path reads headers and
 * claims with the scanner of lib/core/jscan.c, everything else with Jansson
 * through jot__json_object; both must accept the same texts (RFC 8259
 * grammar, UTF-8, no "\u0000", no lone surrogates, no duplicate member
 * names at any level, depth at most 16), or a token could mean one thing to
 * the verifier and another to the code that reads its claims. Numbers are
 * the one place where they part: the scanner takes any RFC 8259 number,
 * Jansson only 64-bit integers and finite doubles, so Jansson judges the
 * text with its numbers replaced by small ones (fz_zero_numbers) when it
 * refuses the text as it is. The two bounds of the scanner's own (members
 * per object, length of a member name; documented in jscan.c) are the only
 * other allowed difference.
 *
 * When both accept, the scanner's view of every top-level member must match
 * Jansson's: name, type, string value (decoded), number value (unless the
 * numbers had to be replaced), and the strings of arrays as
 * jot__jarray_next walks them (the "aud" claim). And the one-line text that
 * jot_claims_json prints (jot__json_compact) is the same JSON: it scans
 * again to the same members, compacts to itself, keeps every number's text,
 * writes every string as Jansson does, and reads back equal in Jansson.
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

/* The compact text of a value span (a string's with its quotes). */
static char *compact(const jot__jmember *m, size_t *len)
{
    const char *text = m->type == JOT__J_STRING ? m->value - 1 : m->value;
    size_t n = m->type == JOT__J_STRING ? m->value_len + 2u : m->value_len;
    char *out = malloc(n + 1);
    FZ_CHECK(out != NULL, "out of memory");
    *len = jot__json_compact(text, n, out);
    FZ_CHECK(*len <= n && strlen(out) == *len, "the compact text is longer than the value or holds a NUL");
    return out;
}

static void check_value(const jot__jmember *m, const json_t *v, int numbers, const char *what)
{
    FZ_CHECK(m->type == jtype_of(v), "%s: scanner type %d, Jansson type %d", what, m->type, jtype_of(v));
    size_t n;
    char *mine = NULL, *theirs = NULL;
    switch (m->type) {
    case JOT__J_STRING:
        check_string(m->value, m->value_len, m->value_escaped, v, what);
        mine = compact(m, &n);
        theirs = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        FZ_CHECK(theirs && strcmp(mine, theirs) == 0, "%s: the string is written %s, Jansson writes %s", what,
                 mine, theirs ? theirs : "(nothing)");
        break;
    case JOT__J_INTEGER:
    case JOT__J_REAL: {
        mine = compact(m, &n);
        FZ_CHECK(n == m->value_len && memcmp(mine, m->value, n) == 0, "%s: the number %.*s is written %s", what,
                 (int)m->value_len, m->value, mine);
        double a = jot__jnum_value(m), b = json_number_value(v);
        FZ_CHECK(!numbers || a == b || (a == 0 && b == 0), "%s: number %.17g, Jansson %.17g", what, a, b);
        break;
    }
    default:
        break;
    }
    free(mine);
    free(theirs);
}

static void check_array(const jot__jmember *m, const json_t *arr, int numbers, const char *name)
{
    size_t pos = 0, i = 0;
    jot__jmember el;
    while (jot__jarray_next(m->value, m->value_len, &pos, &el)) {
        FZ_CHECK(i < json_array_size(arr), "\"%s\": the array walk finds more than %zu elements", name,
                 json_array_size(arr));
        check_value(&el, json_array_get(arr, i), numbers, name);
        i++;
    }
    FZ_CHECK(i == json_array_size(arr), "\"%s\": the array walk finds %zu of %zu elements", name, i,
             json_array_size(arr));
}

/* The whole text compacted: the same members, a fixed point, and (tree:
 * Jansson's reading of the original) the same value for Jansson. */
static void check_compact(const char *text, size_t size, size_t count, const json_t *tree)
{
    char *c = malloc(size + 1), *c2 = malloc(size + 1);
    FZ_CHECK(c && c2, "out of memory");
    size_t n = jot__json_compact(text, size, c);
    FZ_CHECK(n <= size && strlen(c) == n, "the compact text is longer than the original or holds a NUL");
    jot__jdoc doc;
    jot_diag d;
    jot_diag_init(&d);
    FZ_CHECK(jot__jscan_object(c, n, &doc, &d, "compact") == JOT_OK, "the compact text does not scan: %s\n  %s",
             d.text, c);
    FZ_CHECK(doc.count == count, "the compact text has %zu members, the original %zu", doc.count, count);
    jot__jdoc_release(&doc);
    FZ_CHECK(jot__json_compact(c, n, c2) == n && memcmp(c, c2, n) == 0, "compacting again changes\n  %s\n  %s", c,
             c2);
    if (tree) {
        json_t *t2 = NULL;
        FZ_CHECK(jot__json_object(c, n, &t2, NULL, "compact") == JOT_OK && json_equal(tree, t2),
                 "Jansson reads another value from the compact text\n  %s", c);
        json_decref(t2);
    }
    free(c);
    free(c2);
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
    int numbers = s2 == JOT_OK; /* Jansson read the numbers as they are */
    if (s2 != JOT_OK) {
        char *zeroed = fz_zero_numbers(text, size);
        s2 = jot__json_object(zeroed, size, &tree, NULL, "fuzz");
        free(zeroed);
    }

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
            check_value(m, v, numbers, name);
            if (m->type == JOT__J_ARRAY)
                check_array(m, v, numbers, name);
            free(name);
        }
        check_compact(text, size, doc.count, numbers ? tree : NULL);
        jot__jdoc_release(&doc);
    }
    json_decref(tree);
    return 0;
}
