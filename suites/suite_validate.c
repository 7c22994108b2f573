/*
 * suite_validate.c — the small validators task kinds use on their "params" (declared in
 * suite_kinds.h). Each checks one field when present and writes one line on failure:
 * "<file>: task <name>: params.<key>: expected <what>, found <what was there>".
 */
#include <stdio.h>
#include <string.h>

#include "suites/suite_kinds.h"

const char *sv_type_name(const cJSON *v) {
    if (!v) return "nothing";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "an unknown value";
}

int sv_enum(const char *where, const cJSON *params, const char *key, const char *const *allowed,
            char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);
    if (!v) return 0;
    if (cJSON_IsString(v))
        for (int i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], v->valuestring) == 0) return 0;
    char list[256] = "";
    size_t o = 0;
    for (int i = 0; allowed[i]; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s\"%s\"", i ? " | " : "", allowed[i]);
    if (cJSON_IsString(v))
        snprintf(err, errlen, "%s: params.%s: expected %s, found \"%s\"", where, key, list,
                 v->valuestring);
    else
        snprintf(err, errlen, "%s: params.%s: expected %s, found %s", where, key, list,
                 sv_type_name(v));
    return 1;
}

int sv_int(const char *where, const cJSON *params, const char *key, int lo, int hi, char *err,
           size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
        v->valuedouble < lo || v->valuedouble > hi) {
        if (cJSON_IsNumber(v))
            snprintf(err, errlen, "%s: params.%s: expected an integer in [%d, %d], found %g",
                     where, key, lo, hi, v->valuedouble);
        else
            snprintf(err, errlen, "%s: params.%s: expected an integer in [%d, %d], found %s",
                     where, key, lo, hi, sv_type_name(v));
        return 1;
    }
    return 0;
}

int sv_num(const char *where, const cJSON *params, const char *key, double lo, double hi,
           char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi) {
        snprintf(err, errlen, "%s: params.%s: expected a number in [%g, %g], found %s", where,
                 key, lo, hi, sv_type_name(v));
        return 1;
    }
    return 0;
}

int sv_known(const char *where, const cJSON *params, const char *const *keys, char *err,
             size_t errlen) {
    if (!params) return 0;
    if (!cJSON_IsObject(params)) {
        snprintf(err, errlen, "%s: params: expected an object, found %s", where,
                 sv_type_name(params));
        return 1;
    }
    for (const cJSON *c = params->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; keys && keys[i]; i++)
            if (strcmp(keys[i], c->string) == 0) ok = 1;
        if (!ok) {
            char list[512] = "";
            size_t o = 0;
            for (int i = 0; keys && keys[i]; i++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", keys[i]);
            snprintf(err, errlen, "%s: params.%s: unknown parameter (expected one of: %s)",
                     where, c->string, keys && keys[0] ? list : "none");
            return 1;
        }
    }
    return 0;
}
