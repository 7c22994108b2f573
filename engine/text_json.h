/*
 * text_json.h — JSON as Python's json module sees it, on top of cJSON's parse tree.
 *
 * DeepSeek's encoder serialises tool schemas, response formats and tool-call arguments with
 * json.dumps(value, ensure_ascii=False) after json.loads: separators ", " and ": ", key order
 * kept, non-ASCII written raw, integers exact (Python ints are unbounded) and floats written
 * with Python's repr (shortest round-trip: 1.50 -> 1.5, 1e5 -> 100000.0, -0.0 kept).
 *
 * cJSON stores every number as a double, which would lose big integers. tj_parse therefore
 * re-scans the text after cJSON has accepted it and attaches each number's literal text to its
 * node (node->valuestring, freed by cJSON_Delete); cJSON visits values in document order, so the
 * k-th number literal belongs to the k-th number node of a pre-order walk. tj_dump then writes
 * integer literals digit for digit ("-0" -> "0", as int("-0") == 0) and float literals (those
 * with '.', 'e' or 'E') as repr(float(literal)) ("Infinity" for overflow, like Python).
 *
 * Known differences from Python: duplicate object keys follow Python (first position, last
 * value); NaN/Infinity literals and lone surrogate escapes are rejected by cJSON; a string with
 * an escaped NUL (\u0000) is rejected (cJSON's C strings would cut it). Floats use the shortest correctly rounded
 * %.*e form that round-trips, which equals Python's repr except in rare power-of-two boundary
 * cases.
 */
#ifndef V4_TEXT_JSON_H
#define V4_TEXT_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "engine/text_buf.h"

/* tj_parse: parses exactly len bytes of JSON (trailing whitespace allowed, nothing else).
 * Returns the tree (free with cJSON_Delete) or NULL; on NULL *err_off (if non-NULL) receives
 * the byte offset where parsing failed (len for truncated input). A "\u0000" escape inside a
 * string is refused (cJSON would silently cut the string there); *err_off then points at it,
 * see tj_is_nul_escape. */
cJSON *tj_parse(const char *text, size_t len, size_t *err_off);

/* tj_valid: 1 when len bytes of text are one JSON value (NUL escapes allowed: validation only). */
int tj_valid(const char *text, size_t len, size_t *err_off);

/* tj_is_nul_escape: 1 when text[off..len) starts with the escape "\u0000" (to explain a
 * tj_parse failure). */
int tj_is_nul_escape(const char *text, size_t len, size_t off);

/* tj_dump: appends json.dumps(v, ensure_ascii=False) of the tree to b. */
void tj_dump(const cJSON *v, text_buf *b);

/* tj_dump_string: appends json.dumps(s) (ensure_ascii=False) of n bytes of s: quotes, escapes
 * for '"', '\\', \b \f \n \r \t, \u00XX (lower-case hex) for other bytes < 0x20; every other
 * byte, including DEL, non-ASCII and invalid UTF-8, is written raw. */
void tj_dump_string(const char *s, size_t n, text_buf *b);

/* tj_float_repr: appends Python's repr(d) for a float ("1.5", "100000.0", "1e-05", "-0.0",
 * "1e+16"), or json.dumps's "NaN" / "Infinity" / "-Infinity". */
void tj_float_repr(double d, text_buf *b);

/* tj_path_at: writes into out (cap bytes) the JSON path of the value being read at byte off of
 * text, e.g. "model.merges[12]" ("top level" at depth 0), by scanning text[0..off). Used to name
 * the field in messages about malformed or truncated JSON. Returns 1 when text[0..off) ends
 * inside an unclosed string, object or array (so input cut at off is truncated JSON). */
int tj_path_at(const char *text, size_t off, char *out, size_t cap);

/* tj_is_int_literal: 1 when a number node's literal is an integer (no '.', 'e', 'E'). */
int tj_is_int_literal(const cJSON *num);

/* tj_type_name: "a string", "a number", … for error messages ("nothing" for NULL). */
const char *tj_type_name(const cJSON *v);

/* tj_errf: printf into err (size errlen); no-op when err is NULL or errlen is 0. */
void tj_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* V4_TEXT_JSON_H */
