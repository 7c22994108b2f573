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
 * an escaped NUL (\u0000) is cut at the NUL by cJSON. Floats use the shortest correctly rounded
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
 * the byte offset where parsing failed (len for truncated input). */
cJSON *tj_parse(const char *text, size_t len, size_t *err_off);

/* tj_dump: appends json.dumps(v, ensure_ascii=False) of the tree to b. */
void tj_dump(const cJSON *v, text_buf *b);

/* tj_dump_string: appends json.dumps(s) (ensure_ascii=False) of n bytes of s: quotes, escapes
 * for '"', '\\', \b \f \n \r \t, \u00XX (lower-case hex) for other bytes < 0x20; every other
 * byte, including DEL, non-ASCII and invalid UTF-8, is written raw. */
void tj_dump_string(const char *s, size_t n, text_buf *b);

/* tj_float_repr: appends Python's repr(d) for a float ("1.5", "100000.0", "1e-05", "-0.0",
 * "1e+16"), or json.dumps's "NaN" / "Infinity" / "-Infinity". */
void tj_float_repr(double d, text_buf *b);

/* tj_is_int_literal: 1 when a number node's literal is an integer (no '.', 'e', 'E'). */
int tj_is_int_literal(const cJSON *num);

#endif /* V4_TEXT_JSON_H */
