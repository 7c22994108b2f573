/*
 * toolcall_ast.c — the BFCL AST checker (bfcl_eval/eval_checker/ast_eval/ast_checker.py rules)
 * applied to already-decoded calls.
 *
 * One expected call against one model call (simple_function_checker):
 *   1. names equal (also after mapping "." to "_" on both sides, as BFCL does for models whose
 *      tool names cannot hold dots)                              → wrong_func_name
 *   2. every parameter the schema lists as required is present  → missing_required
 *   3. every given parameter is in the schema and in the ground truth → unexpected_param
 *   4. types: string, integer, float/number (an integer is accepted), boolean, array/tuple,
 *      dict/object, any; array items one level deep against items.type → type_error:simple /
 *      type_error:nested (BFCL: the item check passes when any acceptable value is not a list,
 *      e.g. ""). When the ground truth's own type (its first value other than "") differs from
 *      the schema type, the answer is a variable reference: a value of that type is accepted
 *      and compared as is (BFCL's is_variable rule).
 *   5. values: strings standardised (remove space , . / - _ * ^, lower-case as Python's
 *      str.lower() does for Latin, Greek, Cyrillic, Armenian and fullwidth letters — other
 *      scripts' rare case pairs are left as they are — ' → ") and looked
 *      up among the standardised acceptable strings (value_error:string); lists compared
 *      element-wise in order with their top-level strings standardised (value_error:list/tuple);
 *      dicts key by key, each value standardised and looked up, a missing key allowed only when
 *      its acceptable list holds "" (value_error:dict_*); lists of dicts element-wise with the
 *      dict rule; anything else must equal one acceptable value (value_error:others).
 *   6. a ground-truth parameter the model omitted passes only if "" is acceptable
 *                                                                → missing_optional
 * Several calls: the counts must agree (wrong_count), then every expected call must be matched
 * to a distinct model call regardless of order. BFCL matches greedily in ground-truth order; we
 * find a perfect matching when one exists (augmenting paths), which never scores lower than
 * BFCL and differs only when an early expected call could take either of two model calls.
 * Numbers: cJSON keeps no lexeme, so "integer" accepts any integral number (1.0 included),
 * where Python's json would reject 1.0 — the one documented deviation. "any" accepts any type.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scorers/scorer_internal.h"

typedef struct { char *etype; size_t etlen; char *msg; size_t msglen; } tc_err;

static int tc_fail(tc_err *e, const char *etype, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int tc_fail(tc_err *e, const char *etype, const char *fmt, ...) {
    if (e->etype && e->etlen) snprintf(e->etype, e->etlen, "%s", etype);
    if (e->msg && e->msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, e->msglen, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* tc_lower_cp: Python's str.lower() for one code point, for the scripts tool arguments meet
 * (Latin-1, Latin Extended-A and Additional, Greek, Cyrillic, Armenian, fullwidth Latin);
 * other code points are returned unchanged. U+0130 (İ) is handled by the caller (→ "i̇"). */
static unsigned tc_lower_cp(unsigned c) {
    if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    if (c >= 0x100 && c <= 0x137 && c != 0x130) return c | 1;
    if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177) return c | 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 0x25;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 0x3F;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
        return c | 1;
    if (c >= 0x531 && c <= 0x556) return c + 0x30;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return c | 1;
    if (c == 0x1E9E) return 0xDF;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
    return c;
}

static size_t tc_put_utf8(char *o, unsigned c) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int tc_removed(unsigned char c) {
    return c == ' ' || c == ',' || c == '.' || c == '/' || c == '-' || c == '_' || c == '*' || c == '^';
}

/* tc_decode: one UTF-8 code point at p (*len bytes); 0 bytes = not UTF-8 */
static unsigned tc_decode(const unsigned char *p, int *len) {
    unsigned char c = *p;
    int l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    for (int i = 1; l && i < l; i++)
        if ((p[i] & 0xC0) != 0x80) l = 0;
    *len = l;
    if (!l) return c;
    unsigned cp = l == 1 ? c : c & (0x7F >> l);
    for (int i = 1; i < l; i++) cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

/* a letter with case (approximation of Unicode "cased" over the ranges tc_lower_cp knows) */
static int tc_cased(unsigned c) {
    return (c < 0x80 && ((c | 32) >= 'a' && (c | 32) <= 'z')) ||
           (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) || (c >= 0x370 && c <= 0x58F) ||
           (c >= 0x1E00 && c <= 0x1FFF) || (c >= 0xFF21 && c <= 0xFF5A && (c <= 0xFF3A || c >= 0xFF41));
}

char *toolcall_standardize_string(const char *s) {
    /* lower-casing never lengthens a code point's encoding except İ (2 bytes → 3) */
    char *o = malloc(strlen(s) * 2 + 1);
    if (!o) return NULL;
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    int prev_cased = 0;
    while (*p) {
        unsigned char c = *p;
        if (tc_removed(c)) { p++; continue; }   /* removed before lower() runs, as BFCL does */
        if (c == '\'') { o[n++] = '"'; p++; prev_cased = 0; continue; }
        int len;
        unsigned cp = tc_decode(p, &len);
        if (!len) { o[n++] = (char)c; p++; prev_cased = 0; continue; } /* not UTF-8: as is */
        p += len;
        if (cp == 0x130) { o[n++] = 'i'; n += tc_put_utf8(o + n, 0x307); prev_cased = 1; continue; }
        unsigned lc = tc_lower_cp(cp);
        if (cp == 0x3A3 && prev_cased) { /* Python's final sigma: Σ ending a word → ς */
            const unsigned char *q = p;
            while (*q && tc_removed(*q)) q++;
            int ql;
            unsigned nx = *q ? tc_decode(q, &ql) : 0;
            if (!*q || !tc_cased(nx)) lc = 0x3C2;
        }
        n += tc_put_utf8(o + n, lc);
        prev_cased = tc_cased(cp);
    }
    o[n] = 0;
    return o;
}

static int tc_names_equal(const char *a, const char *b) {
    if (strcmp(a, b) == 0) return 1;
    for (; *a && *b; a++, b++) {
        char x = *a == '.' ? '_' : *a, y = *b == '.' ? '_' : *b;
        if (x != y) return 0;
    }
    return *a == 0 && *b == 0;
}

/* the function doc for a name: BFCL doc or OpenAI tool wrapper */
static const cJSON *tc_find_function(const cJSON *functions, const char *name) {
    const cJSON *f;
    cJSON_ArrayForEach(f, functions) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "function");
        if (!cJSON_IsObject(fn)) fn = f;
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(fn, "name");
        if (cJSON_IsString(n) && tc_names_equal(n->valuestring, name)) return fn;
    }
    return NULL;
}

static int tc_is_empty_marker(const cJSON *v) { return cJSON_IsString(v) && v->valuestring[0] == 0; }

static int tc_in_empty(const cJSON *answers) {
    const cJSON *a;
    cJSON_ArrayForEach(a, answers) if (tc_is_empty_marker(a)) return 1;
    return 0;
}

typedef enum { T_STRING, T_INTEGER, T_FLOAT, T_BOOLEAN, T_ARRAY, T_DICT, T_ANY, T_UNKNOWN } tc_type;

static tc_type tc_type_of(const char *t) {
    if (!t) return T_UNKNOWN;
    if (!strcmp(t, "string")) return T_STRING;
    if (!strcmp(t, "integer")) return T_INTEGER;
    if (!strcmp(t, "float") || !strcmp(t, "number")) return T_FLOAT;
    if (!strcmp(t, "boolean")) return T_BOOLEAN;
    if (!strcmp(t, "array") || !strcmp(t, "tuple")) return T_ARRAY;
    if (!strcmp(t, "dict") || !strcmp(t, "object")) return T_DICT;
    if (!strcmp(t, "any")) return T_ANY;
    return T_UNKNOWN;
}

static int tc_has_type(const cJSON *v, tc_type t) {
    switch (t) {
    case T_STRING: return cJSON_IsString(v);
    case T_INTEGER: return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
    case T_FLOAT: return cJSON_IsNumber(v);
    case T_BOOLEAN: return cJSON_IsBool(v);
    case T_ARRAY: return cJSON_IsArray(v);
    case T_DICT: return cJSON_IsObject(v);
    case T_ANY: return v != NULL;
    case T_UNKNOWN: return 0;
    }
    return 0;
}

/* same Python type for the is_variable rule; numbers: integral ones count as int, others as
 * float (the best cJSON allows) */
static int tc_same_kind(const cJSON *a, const cJSON *b) {
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return tc_has_type(a, T_INTEGER) == tc_has_type(b, T_INTEGER);
    if (cJSON_IsBool(a) && cJSON_IsBool(b)) return 1;
    return (a->type & 0xFF) == (b->type & 0xFF);
}

/* deep equality (Python ==): numbers by value, objects by key set */
static int tc_equal(const cJSON *a, const cJSON *b) {
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
    if (cJSON_IsBool(a) && cJSON_IsBool(b)) return cJSON_IsTrue(a) == cJSON_IsTrue(b);
    if (cJSON_IsString(a) && cJSON_IsString(b)) return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsNull(a) && cJSON_IsNull(b)) return 1;
    if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!tc_equal(x, y)) return 0;
        return 1;
    }
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, a) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !tc_equal(x, y)) return 0;
        }
        return 1;
    }
    return 0;
}

/* a copy of v with its top-level strings standardised (strings, or the items of a list) */
static cJSON *tc_standardized(const cJSON *v) {
    if (cJSON_IsString(v)) {
        char *s = toolcall_standardize_string(v->valuestring);
        cJSON *o = cJSON_CreateString(s ? s : "");
        free(s);
        return o;
    }
    if (cJSON_IsArray(v)) {
        cJSON *o = cJSON_CreateArray();
        const cJSON *x;
        cJSON_ArrayForEach(x, v) {
            if (cJSON_IsString(x)) cJSON_AddItemToArray(o, tc_standardized(x));
            else cJSON_AddItemToArray(o, cJSON_Duplicate(x, 1));
        }
        return o;
    }
    return cJSON_Duplicate(v, 1);
}

/* value equal to one of the answers. mode 0: as is; 1: strings standardised (BFCL string_checker
 * and dict_checker); 2: strings and the string items of lists standardised (list_checker) */
static cJSON *tc_std_mode(const cJSON *v, int mode) {
    if (mode == 2 || (mode == 1 && cJSON_IsString(v))) return tc_standardized(v);
    return cJSON_Duplicate(v, 1);
}

static int tc_in_answers(const cJSON *value, const cJSON *answers, int mode) {
    cJSON *sv = tc_std_mode(value, mode);
    int hit = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, answers) {
        cJSON *sa = tc_std_mode(a, mode);
        if (sv && sa && tc_equal(sv, sa)) hit = 1;
        cJSON_Delete(sa);
        if (hit) break;
    }
    cJSON_Delete(sv);
    return hit;
}

/* BFCL dict_checker: the model's dict against one acceptable dict */
static int tc_dict_match(const char *param, const cJSON *value, const cJSON *answer, tc_err *e) {
    const cJSON *kv;
    cJSON_ArrayForEach(kv, value) {
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(answer, kv->string);
        if (!acc) return tc_fail(e, "value_error:dict_key", "parameter '%s': unexpected dict key '%s'", param, kv->string);
        cJSON *wrapped = NULL;
        if (!cJSON_IsArray(acc)) { wrapped = cJSON_CreateArray(); cJSON_AddItemToArray(wrapped, cJSON_Duplicate(acc, 1)); acc = wrapped; }
        int ok = tc_in_answers(kv, acc, 1);
        cJSON_Delete(wrapped);
        if (!ok) return tc_fail(e, "value_error:dict_value", "parameter '%s': invalid value for dict key '%s'", param, kv->string);
    }
    cJSON_ArrayForEach(kv, answer) {
        if (cJSON_GetObjectItemCaseSensitive(value, kv->string)) continue;
        if (!(cJSON_IsArray(kv) && tc_in_empty(kv)))
            return tc_fail(e, "value_error:dict_key", "parameter '%s': missing dict key '%s'", param, kv->string);
    }
    return 1;
}

/* BFCL's nested type check of a list value: fine as soon as one acceptable value is not a list
 * (e.g. ""), or when every item has the items type (or the type of that acceptable list's
 * first real element — a variable reference) for some acceptable list */
static int tc_nested_ok(const cJSON *value, const cJSON *answers, tc_type nested) {
    const cJSON *a;
    cJSON_ArrayForEach(a, answers) {
        if (!cJSON_IsArray(a)) return 1;
        const cJSON *first = NULL, *x;
        cJSON_ArrayForEach(x, a) if (!tc_is_empty_marker(x)) { first = x; break; }
        int ok = 1;
        cJSON_ArrayForEach(x, value) {
            if (!tc_has_type(x, nested) && !(first && tc_same_kind(x, first))) { ok = 0; break; }
        }
        if (ok) return 1;
    }
    return 0;
}

/* value check of one parameter (step 5); returns 1 ok, 0 fail */
static int tc_check_value(const char *param, const cJSON *value, tc_type t, tc_type nested,
                          const cJSON *answers, int is_variable, tc_err *e) {
    if (is_variable) {
        if (tc_in_answers(value, answers, 0)) return 1;
        return tc_fail(e, "value_error:others", "parameter '%s': value not among the acceptable values", param);
    }
    if (t == T_STRING) {
        if (tc_in_answers(value, answers, 1)) return 1;
        return tc_fail(e, "value_error:string", "parameter '%s': string '%.80s' not among the acceptable values",
                       param, value->valuestring);
    }
    if (t == T_DICT) {
        const cJSON *a;
        cJSON_ArrayForEach(a, answers) {
            if (!cJSON_IsObject(a)) continue;
            if (tc_dict_match(param, value, a, e)) return 1;
        }
        if (e->etype && e->etype[0] == 0) tc_fail(e, "value_error:dict_value", "parameter '%s': no acceptable dict", param);
        return 0;
    }
    if (t == T_ARRAY && nested == T_DICT) {
        const cJSON *a;
        tc_fail(e, "value_error:list_dict_count", "parameter '%s': list of dicts not among the acceptable values", param);
        cJSON_ArrayForEach(a, answers) {
            if (!cJSON_IsArray(a)) continue;
            if (cJSON_GetArraySize(a) != cJSON_GetArraySize(value)) {
                tc_fail(e, "value_error:list_dict_count", "parameter '%s': wrong number of dicts in the list", param);
                continue;
            }
            const cJSON *x = value->child, *y = a->child;
            int ok = 1;
            for (; x && y && ok; x = x->next, y = y->next) {
                if (!cJSON_IsObject(y)) { ok = 0; tc_fail(e, "value_error:dict_value", "parameter '%s': acceptable item is not a dict", param); }
                else ok = tc_dict_match(param, x, y, e);
            }
            if (ok) return 1;
        }
        return 0;
    }
    if (t == T_ARRAY) {
        if (tc_in_answers(value, answers, 2)) return 1;
        return tc_fail(e, "value_error:list/tuple", "parameter '%s': list not among the acceptable values", param);
    }
    if (tc_in_answers(value, answers, 0)) return 1;
    return tc_fail(e, "value_error:others", "parameter '%s': value not among the acceptable values", param);
}

/* simple_function_checker: 1 ok, 0 mismatch (e filled), -1 malformed schema/truth */
static int tc_check_call(const cJSON *fdoc, const char *gt_name, const cJSON *gt_params,
                         const cJSON *call, tc_err *e) {
    const cJSON *cname = cJSON_GetObjectItemCaseSensitive(call, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(call, "arguments");
    if (!cJSON_IsString(cname)) return tc_fail(e, "ast_decoder:decoder_wrong_output_format", "model call without a name");
    if (!tc_names_equal(cname->valuestring, gt_name))
        return tc_fail(e, "simple_function_checker:wrong_func_name", "expected function '%s', got '%s'", gt_name, cname->valuestring);
    if (!cJSON_IsObject(args)) return tc_fail(e, "ast_decoder:decoder_wrong_output_format", "arguments of '%s' are not an object", gt_name);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(fdoc, "parameters");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(params, "properties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(params, "required");
    if (props && !cJSON_IsObject(props)) { tc_fail(e, "schema", "function '%s': parameters.properties is not an object", gt_name); return -1; }
    const cJSON *r;
    cJSON_ArrayForEach(r, required) {
        if (!cJSON_IsString(r)) { tc_fail(e, "schema", "function '%s': required holds a non-string", gt_name); return -1; }
        if (!cJSON_GetObjectItemCaseSensitive(args, r->valuestring))
            return tc_fail(e, "simple_function_checker:missing_required", "missing required parameter '%s'", r->valuestring);
    }
    const cJSON *kv;
    cJSON_ArrayForEach(kv, args) {
        const cJSON *pd = props ? cJSON_GetObjectItemCaseSensitive(props, kv->string) : NULL;
        const cJSON *answers = cJSON_GetObjectItemCaseSensitive(gt_params, kv->string);
        if (!pd || !answers)
            return tc_fail(e, "simple_function_checker:unexpected_param", "unexpected parameter '%s'", kv->string);
        if (!cJSON_IsArray(answers)) { tc_fail(e, "truth", "ground truth of '%s': acceptable values must be a list", kv->string); return -1; }
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(pd, "type");
        tc_type t = tc_type_of(cJSON_IsString(ty) ? ty->valuestring : NULL), nested = T_ANY;
        if (t == T_UNKNOWN) {
            tc_fail(e, "schema", "function '%s', parameter '%s': unsupported type '%s'", gt_name, kv->string,
                    cJSON_IsString(ty) ? ty->valuestring : "(missing)");
            return -1;
        }
        if (t == T_ARRAY) {
            const cJSON *items = cJSON_GetObjectItemCaseSensitive(pd, "items");
            const cJSON *it = cJSON_GetObjectItemCaseSensitive(items, "type");
            if (cJSON_IsString(it)) nested = tc_type_of(it->valuestring);
            if (nested == T_UNKNOWN) nested = T_ANY;
        }
        /* BFCL type_checker: the first acceptable value that is not "" gives the ground
         * truth's type; when it differs from the schema type the answer is a variable
         * reference (compared as is); a value of that type is accepted as such a reference */
        const cJSON *first = NULL, *a;
        cJSON_ArrayForEach(a, answers) if (!tc_is_empty_marker(a)) { first = a; break; }
        int is_variable = first && !tc_has_type(first, t);
        if (!tc_has_type(kv, t)) {
            if (first && tc_same_kind(kv, first)) is_variable = 1;
            else return tc_fail(e, "type_error:simple", "parameter '%s': expected type %s", kv->string, ty->valuestring);
        } else if (t == T_ARRAY && nested != T_ANY && !tc_nested_ok(kv, answers, nested)) {
            return tc_fail(e, "type_error:nested", "parameter '%s': an item is not of type %s", kv->string,
                           cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pd, "items"), "type")->valuestring);
        }
        if (e->etype && e->etlen) e->etype[0] = 0;
        if (!tc_check_value(kv->string, kv, t, nested, answers, is_variable, e)) return 0;
    }
    cJSON_ArrayForEach(kv, gt_params) {
        if (cJSON_GetObjectItemCaseSensitive(args, kv->string)) continue;
        if (!cJSON_IsArray(kv)) { tc_fail(e, "truth", "ground truth of '%s': acceptable values must be a list", kv->string); return -1; }
        if (!tc_in_empty(kv))
            return tc_fail(e, "simple_function_checker:missing_optional", "missing parameter '%s' (it may not be omitted)", kv->string);
    }
    return 1;
}

/* Kuhn's augmenting path */
static int tc_augment(int i, int n, int m, const int *ok, int *seen, int *match_out) {
    for (int j = 0; j < m; j++) {
        if (!ok[i * m + j] || seen[j]) continue;
        seen[j] = 1;
        if (match_out[j] < 0 || tc_augment(match_out[j], n, m, ok, seen, match_out)) {
            match_out[j] = i;
            return 1;
        }
    }
    return 0;
}

int toolcall_ast_check(const cJSON *calls, const cJSON *functions, const cJSON *truth,
                       char *error_type, size_t etlen, char *msg, size_t msglen) {
    tc_err e = {error_type, etlen, msg, msglen};
    if (error_type && etlen) error_type[0] = 0;
    if (msg && msglen) msg[0] = 0;
    if (!cJSON_IsArray(truth)) { tc_fail(&e, "truth", "ground truth: expected a list of {func_name: {param: [values]}}"); return -1; }
    if (!cJSON_IsArray(functions)) { tc_fail(&e, "schema", "functions: expected a list of function docs"); return -1; }
    if (!cJSON_IsArray(calls)) { tc_fail(&e, "ast_decoder:decoder_wrong_output_format", "decoded calls are not a list"); return -1; }
    int n = cJSON_GetArraySize(truth), m = cJSON_GetArraySize(calls);
    const cJSON *t;
    cJSON_ArrayForEach(t, truth) {
        if (!cJSON_IsObject(t) || cJSON_GetArraySize(t) != 1 || !cJSON_IsObject(t->child)) {
            tc_fail(&e, "truth", "ground truth: each entry must be {func_name: {param: [values]}}");
            return -1;
        }
        if (!tc_find_function(functions, t->child->string)) {
            tc_fail(&e, "schema", "no function doc for ground-truth function '%s'", t->child->string);
            return -1;
        }
    }
    const char *kind = n <= 1 ? "simple_function_checker" : "parallel_function_checker_no_order";
    if (n != m) {
        char et[80];
        snprintf(et, sizeof et, "%s:wrong_count", kind);
        return tc_fail(&e, et, "expected %d call(s), got %d", n, m);
    }
    if (n == 0) return 1;
    int *ok = calloc((size_t)n * (size_t)m, sizeof *ok);
    int *seen = malloc((size_t)m * sizeof *seen), *match_out = malloc((size_t)m * sizeof *match_out);
    if (!ok || !seen || !match_out) { free(ok); free(seen); free(match_out); tc_fail(&e, "oom", "out of memory"); return -1; }
    int i = 0, result = 1;
    char first_et[96] = "", first_msg[400] = "";
    cJSON_ArrayForEach(t, truth) {
        const cJSON *fdoc = tc_find_function(functions, t->child->string);
        int j = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, calls) {
            char et[96] = "", ms[400] = "";
            tc_err ce = {et, sizeof et, ms, sizeof ms};
            int r = tc_check_call(fdoc, t->child->string, t->child, c, &ce);
            if (r < 0) {
                tc_fail(&e, et, "%s", ms);
                free(ok); free(seen); free(match_out);
                return -1;
            }
            ok[i * m + j] = r;
            /* remember the first informative failure: any for a single call, else one of a
             * model call with the expected name */
            const cJSON *cn = cJSON_GetObjectItemCaseSensitive(c, "name");
            int same_name = cJSON_IsString(cn) && tc_names_equal(t->child->string, cn->valuestring);
            if (!r && !first_et[0] && (n == 1 || same_name)) {
                snprintf(first_et, sizeof first_et, "%s", et);
                snprintf(first_msg, sizeof first_msg, "%s", ms);
            }
            j++;
        }
        i++;
    }
    for (int j = 0; j < m; j++) match_out[j] = -1;
    for (i = 0; i < n && result; i++) {
        memset(seen, 0, (size_t)m * sizeof *seen);
        if (!tc_augment(i, n, m, ok, seen, match_out)) {
            result = 0;
            const cJSON *gi = cJSON_GetArrayItem(truth, i);
            if (n == 1) tc_fail(&e, first_et[0] ? first_et : "simple_function_checker:wrong_func_name", "%s", first_msg);
            else tc_fail(&e, "parallel_function_checker_no_order:cannot_find_match",
                         "no model call matches expected call %d ('%s')%s%s", i, gi->child->string,
                         first_msg[0] ? "; e.g. " : "", first_msg);
        }
    }
    free(ok);
    free(seen);
    free(match_out);
    return result;
}
