/*
 * backend_openai.c — any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, hosted
 * APIs) over HTTP with libcurl.
 *
 * Chat samples (sample.chat with messages) go to POST {base}/chat/completions with the messages
 * and tools; raw prompts go to POST {base}/completions. Requests are greedy by default
 * (temperature 0) with max_tokens, the first four stop strings (the API's limit; all of them are
 * applied again to the returned text) and the seed. A chat answer is turned back into the text
 * the V4 model itself would have produced so the same scorers apply: reasoning_content +
 * "</think>" when the server split the thinking off, then content, then any tool_calls rendered
 * as the DSML block (v4_dsml_render).
 *
 * Replies: choices[0].text (completions) or choices[0].message with content (may be null),
 * reasoning_content / reasoning (DeepSeek, vLLM and SGLang reasoning parsers; null = none) and
 * tool_calls whose function.arguments is a JSON string; usage may be missing (tokens_in then
 * comes from the prompt's own count). Tool calls that cannot be rendered (arguments that are
 * not JSON) stay in an undecodable tool-call block: the scorer fails the sample, the run goes on.
 * Error bodies: the server's message ({"error":{"message"}} or vLLM's {"object":"error",
 * "message"}) is quoted in the one-line error.
 *
 * Failures: 429, 5xx and connection-level errors are retried with exponential backoff
 * (backoff_s · 2^attempt, or the server's Retry-After when it sends one, capped at 60 s);
 * other HTTP errors fail the sample at once with the status and the start of the body. Opening
 * the backend probes {base}/models: a server that cannot be reached is one clear message before
 * any sample runs; a server that goes away mid-run stops the run (fatal) after the retries, and
 * the run resumes later with --run-id. The probe's model list also gives the window when the
 * server states it (vLLM/SGLang "max_model_len" for the --api-model entry). Concurrency: the
 * runner calls generate from up to `concurrency` threads; each call uses its own curl handle.
 */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "harness/backend.h"
#include "harness/hutil.h"

typedef struct {
    char *base, *model, *key_env, *key;
    int concurrency, retries;
    double timeout_s, backoff_s;
    float temperature;
    unsigned long long seed;
} openai_impl;

typedef struct {
    char *data;
    size_t len, cap;
} buf_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    buf_t *b = ud;
    size_t k = size * n;
    if (b->len + k + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + k + 1) nc *= 2;
        char *nd = realloc(b->data, nc);
        if (!nd) return 0;
        b->data = nd;
        b->cap = nc;
    }
    memcpy(b->data + b->len, p, k);
    b->len += k;
    b->data[b->len] = 0;
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    double *retry_after = ud;
    size_t k = size * n;
    if (k > 12 && !strncasecmp(p, "Retry-After:", 12)) {
        double v = atof(p + 12);
        if (v > 0) *retry_after = v;
    }
    return k;
}

typedef struct {
    CURLcode cc;
    long http;
    buf_t body;
    double retry_after;
    double seconds;
} http_reply;

/* http_call: one request; body_json NULL = GET */
static void http_call(const openai_impl *x, const char *url, const char *body_json,
                      double timeout_s, http_reply *r) {
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    if (!c) { r->cc = CURLE_FAILED_INIT; return; }
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    char *auth = NULL;
    if (x->key && x->key[0]) {
        auth = hutil_asprintf("Authorization: Bearer %s", x->key);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(fmin(timeout_s, 10.0) * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->retry_after);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "v4eval");
    if (body_json) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body_json);
    }
    double t0 = hutil_mono();
    r->cc = curl_easy_perform(c);
    r->seconds = hutil_mono() - t0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->http);
    curl_slist_free_all(h);
    free(auth);
    curl_easy_cleanup(c);
}

static int is_connection_error(CURLcode cc) {
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
           cc == CURLE_COULDNT_RESOLVE_PROXY;
}

static int is_retryable(const http_reply *r) {
    if (r->cc != CURLE_OK)
        return is_connection_error(r->cc) || r->cc == CURLE_OPERATION_TIMEDOUT ||
               r->cc == CURLE_GOT_NOTHING || r->cc == CURLE_RECV_ERROR ||
               r->cc == CURLE_SEND_ERROR || r->cc == CURLE_PARTIAL_FILE ||
               r->cc == CURLE_SSL_CONNECT_ERROR;
    return r->http == 429 || r->http >= 500;
}

static void sleep_s(double s) {
    if (s <= 0) return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0) {}
}

/* describe_failure: one line for a failed reply */
static void describe_failure(const openai_impl *x, const char *url, const http_reply *r,
                             char *err, size_t errlen) {
    if (r->cc != CURLE_OK) {
        snprintf(err, errlen, "cannot reach %s: %s%s", url, curl_easy_strerror(r->cc),
                 is_connection_error(r->cc) ? " (is the server running? check --base-url)" : "");
        return;
    }
    const char *body = r->body.data ? r->body.data : "";
    /* the server's own message when the body is an OpenAI ({"error": {"message"}}) or
     * vLLM/SGLang ({"object": "error", "message"}) error object */
    cJSON *eo = cJSON_Parse(body);
    const cJSON *ee = cJSON_GetObjectItemCaseSensitive(eo, "error");
    const char *msg = hutil_json_str(cJSON_IsObject(ee) ? ee : eo, "message", NULL);
    if (!msg && cJSON_IsString(ee)) msg = ee->valuestring;
    char hint[160] = "";
    if (r->http == 401 || r->http == 403) {
        if (x->key_env) snprintf(hint, sizeof hint, " (check the key in $%s)", x->key_env);
        else snprintf(hint, sizeof hint, " (no API key sent; use --api-key-env VAR)");
    }
    if (msg) snprintf(err, errlen, "%s: HTTP %ld: %.400s%s", url, r->http, msg, hint);
    else snprintf(err, errlen, "%s: HTTP %ld: %.200s%s", url, r->http, body, hint);
    cJSON_Delete(eo);
    /* newlines in a server message would break the one-line rule */
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

static cJSON *build_request(const openai_impl *x, const eval_sample *s, int chat, int max_new) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", x->model);
    if (chat) {
        cJSON_AddItemToObject(o, "messages", cJSON_Duplicate(s->messages, 1));
        if (s->tools && cJSON_GetArraySize(s->tools) > 0)
            cJSON_AddItemToObject(o, "tools", cJSON_Duplicate(s->tools, 1));
    } else {
        cJSON_AddStringToObject(o, "prompt", s->prompt ? s->prompt : "");
    }
    cJSON_AddNumberToObject(o, "max_tokens", max_new);
    cJSON_AddNumberToObject(o, "temperature", x->temperature);
    cJSON_AddNumberToObject(o, "seed", (double)(x->seed & 0x7fffffff));
    int n_stop = 0;
    cJSON *stop = cJSON_CreateArray();
    for (int i = 0; i < s->n_stops && n_stop < 4; i++)
        if (s->stops[i] && s->stops[i][0]) {
            cJSON_AddItemToArray(stop, cJSON_CreateString(s->stops[i]));
            n_stop++;
        }
    if (n_stop) cJSON_AddItemToObject(o, "stop", stop);
    else cJSON_Delete(stop);
    return o;
}

/* tool_calls (OpenAI: [{type, function:{name, arguments}}]) → DSML text */
static int render_tool_calls(const cJSON *calls, char **out, char *err, size_t errlen) {
    cJSON *arr = cJSON_CreateArray();
    const cJSON *c;
    cJSON_ArrayForEach(c, calls) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(c, "function");
        const char *name = hutil_json_str(f, "name", NULL);
        if (!name) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", name);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(f, "arguments");
        if (cJSON_IsString(a)) cJSON_AddStringToObject(e, "arguments", a->valuestring);
        else if (a) cJSON_AddItemToObject(e, "arguments", cJSON_Duplicate(a, 1));
        else cJSON_AddStringToObject(e, "arguments", "{}");
        cJSON_AddItemToArray(arr, e);
    }
    char *js = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    int rc = v4_dsml_render(js, out, err, errlen);
    free(js);
    return rc;
}

/* parse_reply: the completion text of a 200 reply */
static int parse_reply(const char *body, int chat, backend_result *r, char *err, size_t errlen) {
    cJSON *o = cJSON_Parse(body);
    const cJSON *ch = o ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "choices"), 0) : NULL;
    if (!ch) {
        snprintf(err, errlen, "server reply has no choices[0]: %.200s", body);
        for (char *p = err; *p; p++) if (*p == '\n') *p = ' ';
        cJSON_Delete(o);
        return 1;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(o, "usage");
    r->tokens_in = (int)hutil_json_num(usage, "prompt_tokens", 0);
    r->tokens_out = (int)hutil_json_num(usage, "completion_tokens", 0);
    const char *fin = hutil_json_str(ch, "finish_reason", "");
    snprintf(r->finish, sizeof r->finish, "%s", fin);
    int rc = 0;
    if (!chat) {
        const char *t = hutil_json_str(ch, "text", NULL);
        if (!t) {
            snprintf(err, errlen, "server reply has no choices[0].text");
            rc = 1;
        } else r->output = hutil_strdup(t);
    } else {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(ch, "message");
        const char *reasoning = hutil_json_str(m, "reasoning_content", NULL);
        if (!reasoning) reasoning = hutil_json_str(m, "reasoning", NULL);
        const char *content = hutil_json_str(m, "content", "");
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
        if (!m) {
            snprintf(err, errlen, "server reply has no choices[0].message");
            rc = 1;
        } else {
            char *dsml = NULL;
            if (cJSON_IsArray(calls) && cJSON_GetArraySize(calls) > 0 &&
                render_tool_calls(calls, &dsml, err, errlen)) {
                /* the model wrote calls that are not valid (e.g. arguments that are not JSON):
                 * that is the model's failure, not the run's — keep them in a tool-call block
                 * the DSML parser rejects, so the scorer records an undecodable call */
                char *raw = cJSON_PrintUnformatted(calls);
                dsml = hutil_asprintf("\n\n<｜DSML｜tool_calls>\n%s", raw ? raw : "");
                free(raw);
                err[0] = 0;
            }
            if (!rc)
                r->output = hutil_asprintf("%s%s%s%s", reasoning ? reasoning : "",
                                           reasoning ? "</think>" : "", content, dsml ? dsml : "");
            free(dsml);
        }
    }
    cJSON_Delete(o);
    return rc;
}

static int openai_generate(backend *b, const eval_sample *s, backend_result *r, int *fatal,
                           char *err, size_t errlen) {
    const openai_impl *x = b->impl;
    memset(r, 0, sizeof *r);
    int chat = s->chat && s->messages && cJSON_IsArray(s->messages);
    int max_new = s->max_new_tokens > 0 ? s->max_new_tokens : 256;
    cJSON *req = build_request(x, s, chat, max_new);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    char *url = hutil_asprintf("%s/%s", x->base, chat ? "chat/completions" : "completions");
    int rc = 1;
    http_reply rep;
    memset(&rep, 0, sizeof rep);
    for (int attempt = 0;; attempt++) {
        free(rep.body.data);
        http_call(x, url, body, x->timeout_s, &rep);
        if (rep.cc == CURLE_OK && rep.http == 200) {
            rc = parse_reply(rep.body.data ? rep.body.data : "", chat, r, err, errlen);
            break;
        }
        if (!is_retryable(&rep) || attempt >= x->retries) {
            describe_failure(x, url, &rep, err, errlen);
            if (is_retryable(&rep) && attempt > 0) {
                size_t l = strlen(err);
                snprintf(err + l, errlen - l, " (after %d retries)", attempt);
            }
            if (is_connection_error(rep.cc)) *fatal = 1;
            break;
        }
        double wait = x->backoff_s * pow(2.0, attempt);
        if (rep.retry_after > 0) wait = rep.retry_after;
        if (wait > 60) wait = 60;
        sleep_s(wait);
    }
    r->latency_s = rep.seconds;
    if (!rc && r->output) {
        size_t len = strlen(r->output);
        size_t cut = backend_cut_stops(r->output, len, s->stops, s->n_stops);
        if (cut < len) {
            r->output[cut] = 0;
            snprintf(r->finish, sizeof r->finish, "stop");
        }
    }
    free(rep.body.data);
    free(url);
    free(body);
    return rc;
}

static cJSON *openai_describe(const backend *b) {
    const openai_impl *x = b->impl;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "openai");
    cJSON_AddStringToObject(o, "base_url", x->base);
    cJSON_AddStringToObject(o, "model", x->model);
    if (x->key_env) cJSON_AddStringToObject(o, "api_key_env", x->key_env);
    cJSON_AddNumberToObject(o, "concurrency", x->concurrency);
    cJSON_AddNumberToObject(o, "timeout_s", x->timeout_s);
    cJSON_AddNumberToObject(o, "retries", x->retries);
    cJSON_AddNumberToObject(o, "temperature", x->temperature);
    return o;
}

static void openai_close(backend *b) {
    if (!b) return;
    openai_impl *x = b->impl;
    if (x) {
        free(x->base); free(x->model); free(x->key_env);
        if (x->key) { memset(x->key, 0, strlen(x->key)); free(x->key); }
        free(x);
    }
    free(b);
}

int backend_openai_open(const backend_opts *o, backend **out, char *err, size_t errlen) {
    if (!o->base_url || !o->base_url[0]) {
        snprintf(err, errlen, "openai backend: --base-url URL is required (e.g. "
                 "http://127.0.0.1:8000/v1)");
        return 1;
    }
    if (!o->api_model || !o->api_model[0]) {
        snprintf(err, errlen, "openai backend: --api-model NAME is required");
        return 1;
    }
    const char *key = NULL;
    if (o->api_key_env) {
        key = getenv(o->api_key_env);
        if (!key || !key[0]) {
            snprintf(err, errlen, "openai backend: environment variable %s (--api-key-env) is "
                     "not set", o->api_key_env);
            return 1;
        }
    }
    static int curl_ready = 0;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(err, errlen, "openai backend: libcurl initialisation failed");
            return 1;
        }
        curl_ready = 1;
    }
    backend *b = calloc(1, sizeof *b);
    openai_impl *x = calloc(1, sizeof *x);
    b->impl = x;
    b->kind = "openai";
    b->generate = openai_generate;
    b->describe = openai_describe;
    b->close = openai_close;
    x->base = hutil_strdup(o->base_url);
    size_t bl = strlen(x->base);
    while (bl > 0 && x->base[bl - 1] == '/') x->base[--bl] = 0;
    x->model = hutil_strdup(o->api_model);
    x->key_env = hutil_strdup(o->api_key_env);
    x->key = hutil_strdup(key);
    x->concurrency = o->concurrency > 0 ? o->concurrency : 1;
    x->retries = o->retries >= 0 ? o->retries : 0;
    x->timeout_s = o->timeout_s > 0 ? o->timeout_s : 600;
    x->backoff_s = o->backoff_s >= 0 ? o->backoff_s : 1.0;
    x->temperature = o->temperature;
    x->seed = o->seed;
    b->max_concurrency = x->concurrency;
    /* probe: any HTTP answer means the server is there */
    char *url = hutil_asprintf("%s/models", x->base);
    http_reply rep;
    http_call(x, url, NULL, fmin(x->timeout_s, 10.0), &rep);
    int rc = 0;
    if (rep.cc != CURLE_OK) {
        snprintf(err, errlen, "openai backend: cannot reach the server at %s: %s (is it running? "
                 "check --base-url)", x->base, curl_easy_strerror(rep.cc));
        rc = 1;
    } else if (rep.http == 404 && !(bl >= 3 && !strcmp(x->base + bl - 3, "/v1"))) {
        snprintf(err, errlen, "openai backend: %s/models answered HTTP 404: the base URL should "
                 "end in /v1 (e.g. %s/v1)", x->base, x->base);
        rc = 1;
    } else if (rep.http == 401 || rep.http == 403) {
        snprintf(err, errlen, "openai backend: %s refused the request (HTTP %ld): %s", x->base,
                 rep.http, x->key ? "check the API key" : "no API key sent; use --api-key-env VAR");
        rc = 1;
    }
    if (!rc && rep.cc == CURLE_OK && rep.http == 200 && rep.body.data) {
        /* vLLM and SGLang list the served model's window as max_model_len: with it a length
         * beyond the window is refused before the run, as with the builtin engine */
        cJSON *ml = cJSON_Parse(rep.body.data);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(ml, "data"), *m;
        cJSON_ArrayForEach(m, data) {
            const char *id = hutil_json_str(m, "id", NULL);
            double w = hutil_json_num(m, "max_model_len", 0);
            if (id && !strcmp(id, x->model) && w > 0 && w < 2147483647.0) b->max_context = (int)w;
        }
        cJSON_Delete(ml);
    }
    free(rep.body.data);
    free(url);
    if (rc) { openai_close(b); return 1; }
    *out = b;
    return 0;
}
