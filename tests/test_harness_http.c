/* test_harness_http.c — the OpenAI-compatible backend against a tiny HTTP/1.1 server that the
 * test runs on 127.0.0.1 (an ephemeral port, one thread): /v1/completions and
 * /v1/chat/completions payloads and replies, stop strings cut client-side, the API key header,
 * 500-then-200 retries with backoff, a 400 that is not retried, an unreachable (closed) port,
 * and a concurrent run of the loop over the server. Bounded: every socket has a timeout. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "harness/backend.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "harness/runner.h"
#include "tests/test_util.h"

typedef struct {
    int listen_fd, port;
    volatile int stop;
    pthread_mutex_t mu;
    int fail_next;          /* answer this many POSTs with 500 first */
    int fail_status;        /* 500 by default */
    int n_requests, n_posts;
    char last_path[128];
    char *last_body;        /* the last POST body */
    char last_auth[256];
} server;

static server SRV;

static void send_reply_h(int fd, int status, const char *extra, const char *body) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "%sConnection: close\r\n\r\n", status, status == 200 ? "OK" : "Error", strlen(body),
                     extra ? extra : "");
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) {}
}

static void send_reply(int fd, int status, const char *body) { send_reply_h(fd, status, NULL, body); }

static void handle(int fd) {
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char *req = calloc(1, 1 << 20);
    size_t len = 0;
    char *hend = NULL;
    while (!hend && len < (1 << 20) - 1) {
        ssize_t k = read(fd, req + len, (1 << 20) - 1 - len);
        if (k <= 0) { free(req); return; }
        len += (size_t)k;
        hend = strstr(req, "\r\n\r\n");
    }
    if (!hend) { free(req); return; }
    size_t clen = 0;
    char *cl = strcasestr(req, "Content-Length:");
    if (cl && cl < hend) clen = (size_t)atol(cl + 15);
    size_t have = len - (size_t)(hend + 4 - req);
    while (have < clen) {
        ssize_t k = read(fd, req + len, (1 << 20) - 1 - len);
        if (k <= 0) break;
        len += (size_t)k;
        have += (size_t)k;
    }
    char method[8] = "", path[128] = "";
    sscanf(req, "%7s %127s", method, path);
    pthread_mutex_lock(&SRV.mu);
    SRV.n_requests++;
    snprintf(SRV.last_path, sizeof SRV.last_path, "%s", path);
    char *auth = strcasestr(req, "Authorization: ");
    if (auth && auth < hend) {
        size_t al = strcspn(auth + 15, "\r");
        snprintf(SRV.last_auth, sizeof SRV.last_auth, "%.*s", (int)al, auth + 15);
    }
    int fail = 0;
    if (!strcmp(method, "POST")) {
        SRV.n_posts++;
        free(SRV.last_body);
        SRV.last_body = hutil_strdup(hend + 4);
        if (SRV.fail_next > 0) { SRV.fail_next--; fail = 1; }
    }
    int fail_status = SRV.fail_status ? SRV.fail_status : 500;
    pthread_mutex_unlock(&SRV.mu);
    if (fail && fail_status == 429) {
        /* a rate limit that says when to come back (integer seconds, as servers send it) */
        send_reply_h(fd, 429, "Retry-After: 1\r\n", "{\"error\":{\"message\":\"rate limited\"}}");
    } else if (fail && fail_status == 400) {
        /* vLLM's error object; the useful part lies beyond the first 200 characters */
        send_reply(fd, 400, "{\"object\":\"error\",\"message\":\"This model's maximum context length "
                            "is 4096 tokens. However, you requested 5000 tokens (4900 in the messages, "
                            "100 in the completion). Please reduce the length of the messages or "
                            "completion.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}");
    } else if (fail) {
        send_reply(fd, fail_status, "{\"error\":{\"message\":\"overloaded\"}}");
    } else if (!strcmp(path, "/models")) {
        send_reply(fd, 404, "{\"detail\":\"Not Found\"}"); /* base URL given without /v1 */
    } else if (!strcmp(path, "/v1/models")) {
        send_reply(fd, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"m\"},{\"id\":\"test-model\","
                            "\"object\":\"model\",\"owned_by\":\"vllm\",\"root\":\"/models/v4\","
                            "\"parent\":null,\"max_model_len\":4096}]}");
    } else if (!strcmp(path, "/v1/completions")) {
        cJSON *o = cJSON_Parse(hend + 4);
        const char *prompt = hutil_json_str(o, "prompt", "");
        cJSON *rep = cJSON_Parse("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}],"
                                 "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5}}");
        char *text = hutil_asprintf("answer to [%s]\n\nQuestion: more", prompt);
        cJSON_AddStringToObject(cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "choices"), 0), "text", text);
        char *s = cJSON_PrintUnformatted(rep);
        send_reply(fd, 200, s);
        free(s); free(text); cJSON_Delete(rep); cJSON_Delete(o);
    } else if (!strcmp(path, "/v1/chat/completions") && strstr(hend + 4, "VLLMCALL")) {
        /* vLLM with a tool parser: content and reasoning_content null, arguments a JSON string
         * (non-ASCII escaped), two parallel calls, no usage block */
        send_reply(fd, 200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"m\","
                            "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                            "\"reasoning_content\":null,\"content\":null,\"tool_calls\":["
                            "{\"id\":\"chatcmpl-tool-a\",\"type\":\"function\",\"function\":{\"name\":"
                            "\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Z\\\\u00fcrich\\\"}\"}},"
                            "{\"id\":\"chatcmpl-tool-b\",\"type\":\"function\",\"function\":{\"name\":"
                            "\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Oslo\\\", \\\"days\\\": 3}\"}}]},"
                            "\"logprobs\":null,\"finish_reason\":\"tool_calls\",\"stop_reason\":null}]}");
    } else if (!strcmp(path, "/v1/chat/completions") && strstr(hend + 4, "BADARGS")) {
        /* the model wrote arguments that are not JSON */
        send_reply(fd, 200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":"
                            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
                            "\"type\":\"function\",\"function\":{\"name\":\"calc\","
                            "\"arguments\":\"{\\\"x\\\": 6,\"}}]}}],\"usage\":{\"prompt_tokens\":11,"
                            "\"completion_tokens\":4}}");
    } else if (!strcmp(path, "/v1/chat/completions") && strstr(hend + 4, "THINKLONG")) {
        /* newer vLLM names the field "reasoning"; thinking ran out of tokens: content null */
        send_reply(fd, 200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"length\",\"message\":"
                            "{\"role\":\"assistant\",\"reasoning\":\"step 1, step 2\",\"content\":null}}],"
                            "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":32,\"total_tokens\":41}}");
    } else if (!strcmp(path, "/v1/chat/completions") && strstr(hend + 4, "CALL")) {
        send_reply(fd, 200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":"
                            "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"c1\","
                            "\"type\":\"function\",\"function\":{\"name\":\"calc\","
                            "\"arguments\":\"{\\\"x\\\": 6, \\\"op\\\": \\\"mul\\\"}\"}}]}}]}");
    } else if (!strcmp(path, "/v1/chat/completions")) {
        send_reply(fd, 200, "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":"
                            "{\"role\":\"assistant\",\"reasoning_content\":\"let me think\","
                            "\"content\":\"The answer is 42.\"}}],"
                            "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9}}");
    } else {
        send_reply(fd, 404, "{\"error\":\"not found\"}");
    }
    free(req);
}

static void *serve(void *arg) {
    (void)arg;
    while (!SRV.stop) {
        int fd = accept(SRV.listen_fd, NULL, NULL);
        if (fd < 0) continue;
        if (!SRV.stop) handle(fd);
        close(fd);
    }
    return NULL;
}

static pthread_t server_thread;

static int server_start(void) {
    memset(&SRV, 0, sizeof SRV);
    pthread_mutex_init(&SRV.mu, NULL);
    SRV.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(SRV.listen_fd, (struct sockaddr *)&a, sizeof a) || listen(SRV.listen_fd, 64)) return 1;
    socklen_t al = sizeof a;
    getsockname(SRV.listen_fd, (struct sockaddr *)&a, &al);
    SRV.port = ntohs(a.sin_port);
    struct timeval tv = {0, 200000}; /* accept wakes up to notice stop */
    setsockopt(SRV.listen_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return pthread_create(&server_thread, NULL, serve, NULL);
}

static void server_stop(void) {
    SRV.stop = 1;
    pthread_join(server_thread, NULL);
    close(SRV.listen_fd);
    free(SRV.last_body);
    SRV.last_body = NULL;
}

static backend_opts opts_for(int port, char *url, size_t n) {
    snprintf(url, n, "http://127.0.0.1:%d/v1/", port);
    backend_opts o = backend_opts_default();
    o.spec = "openai";
    o.base_url = url;
    o.api_model = "test-model";
    o.timeout_s = 5;
    o.retries = 3;
    o.backoff_s = 0.01;
    return o;
}

static void raw_sample(eval_sample *s, const char *id, const char *prompt) {
    memset(s, 0, sizeof *s);
    s->id = (char *)id;
    s->prompt = (char *)prompt;
    static char *stops[] = {"\n\nQuestion:", "</s>"};
    s->stops = stops;
    s->n_stops = 2;
    s->max_new_tokens = 32;
}

static void test_completions(void) {
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    char url[128], err[1024];
    setenv("V4EVAL_TEST_KEY", "sekrit", 1);
    backend_opts o = opts_for(SRV.port, url, sizeof url);
    o.api_key_env = "V4EVAL_TEST_KEY";
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o, &b, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(SRV.last_path, "/v1/models"); /* the reachability probe */
    CU_ASSERT_EQUAL(b->max_context, 4096);               /* vLLM's max_model_len for our model */
    eval_sample s;
    raw_sample(&s, "t/0", "2+2=");
    backend_result r;
    int fatal = 0;
    CU_ASSERT_EQUAL_FATAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(r.output, "answer to [2+2=]"); /* cut at the stop string */
    CU_ASSERT_STRING_EQUAL(r.finish, "stop");
    CU_ASSERT_EQUAL(r.tokens_in, 7);
    CU_ASSERT_EQUAL(r.tokens_out, 5);
    CU_ASSERT_STRING_EQUAL(SRV.last_path, "/v1/completions");
    CU_ASSERT_STRING_EQUAL(SRV.last_auth, "Bearer sekrit");
    cJSON *req = cJSON_Parse(SRV.last_body);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(req, "model", ""), "test-model");
    CU_ASSERT_STRING_EQUAL(hutil_json_str(req, "prompt", ""), "2+2=");
    CU_ASSERT_EQUAL(hutil_json_num(req, "max_tokens", 0), 32);
    CU_ASSERT_EQUAL(hutil_json_num(req, "temperature", -1), 0);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(req, "stop")), 2);
    cJSON_Delete(req);
    backend_result_free(&r);
    b->close(b);
    server_stop();
}

static void test_chat(void) {
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    char url[128], err[1024];
    backend_opts o = opts_for(SRV.port, url, sizeof url);
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o, &b, err, sizeof err), 0);
    eval_sample s;
    raw_sample(&s, "c/0", "<｜begin▁of▁sentence｜>…");
    s.chat = 1;
    s.messages = cJSON_Parse("[{\"role\":\"user\",\"content\":\"What is 6*7?\"}]");
    s.tools = cJSON_Parse("[{\"type\":\"function\",\"function\":{\"name\":\"calc\",\"parameters\":{}}}]");
    backend_result r;
    int fatal = 0;
    CU_ASSERT_EQUAL_FATAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(SRV.last_path, "/v1/chat/completions");
    CU_ASSERT_STRING_EQUAL(r.output, "let me think</think>The answer is 42.");
    CU_ASSERT_EQUAL(r.tokens_in, 20);
    cJSON *req = cJSON_Parse(SRV.last_body);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(req, "messages"), 0), "content", ""),
                           "What is 6*7?");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(req, "tools")), 1);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(req, "prompt"));
    cJSON_Delete(req);
    backend_result_free(&r);
    /* structured tool_calls come back as the DSML block the V4 model would have written */
    cJSON_Delete(s.messages);
    s.messages = cJSON_Parse("[{\"role\":\"user\",\"content\":\"CALL calc please\"}]");
    CU_ASSERT_EQUAL_FATAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    printf("    tool call output: %s\n", r.output);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.output, "DSML"));
    char *parsed = NULL;
    CU_ASSERT_EQUAL(v4_dsml_parse(r.output, strlen(r.output), 0, &parsed, err, sizeof err), 0);
    cJSON *pj = cJSON_Parse(parsed ? parsed : "{}");
    cJSON *call = cJSON_GetArrayItem(cJSON_GetObjectItem(pj, "tool_calls"), 0);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(call, "name", ""), "calc");
    cJSON *args = cJSON_GetObjectItem(call, "arguments");
    CU_ASSERT_EQUAL(hutil_json_num(args, "x", 0), 6);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(args, "op", ""), "mul");
    cJSON_Delete(pj);
    free(parsed);
    backend_result_free(&r);
    cJSON_Delete(s.messages);
    cJSON_Delete(s.tools);
    b->close(b);
    server_stop();
}

static void test_retries(void) {
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    char url[128], err[1024];
    backend_opts o = opts_for(SRV.port, url, sizeof url);
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o, &b, err, sizeof err), 0);
    eval_sample s;
    raw_sample(&s, "t/1", "x");
    backend_result r;
    int fatal = 0;
    /* 500, 500, then 200: succeeds on the third POST */
    SRV.fail_next = 2;
    SRV.n_posts = 0;
    CU_ASSERT_EQUAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    CU_ASSERT_EQUAL(SRV.n_posts, 3);
    CU_ASSERT_STRING_EQUAL(r.output ? r.output : "", "answer to [x]");
    backend_result_free(&r);
    /* more 500s than retries: fails with the status, not fatal */
    SRV.fail_next = 10;
    SRV.n_posts = 0;
    CU_ASSERT_NOT_EQUAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT_EQUAL(SRV.n_posts, 4); /* 1 + 3 retries */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 500"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "after 3 retries"));
    CU_ASSERT_EQUAL(fatal, 0);
    backend_result_free(&r);
    /* a 400 is the request's fault: no retry */
    SRV.fail_next = 1;
    SRV.fail_status = 400;
    SRV.n_posts = 0;
    CU_ASSERT_NOT_EQUAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    CU_ASSERT_EQUAL(SRV.n_posts, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 400"));
    backend_result_free(&r);
    b->close(b);
    server_stop();
}

/* reply shapes of real servers (vLLM/SGLang): null content and reasoning with tool calls,
 * escaped non-ASCII in arguments, missing usage, "reasoning" instead of "reasoning_content",
 * arguments that are not JSON (the model's failure: scored, not a run error) */
static void test_server_shapes(void) {
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    char url[128], err[1024];
    backend_opts o = opts_for(SRV.port, url, sizeof url);
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o, &b, err, sizeof err), 0);
    eval_sample s;
    raw_sample(&s, "c/1", "<｜begin▁of▁sentence｜>…");
    s.chat = 1;
    s.messages = cJSON_Parse("[{\"role\":\"user\",\"content\":\"VLLMCALL weather\"}]");
    backend_result r;
    int fatal = 0;
    CU_ASSERT_EQUAL_FATAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(strstr(r.output, "</think>"));   /* null reasoning is no reasoning */
    CU_ASSERT_STRING_EQUAL(r.finish, "tool_calls");
    CU_ASSERT_EQUAL(r.tokens_in, 0);                  /* no usage: the runner counts */
    char *parsed = NULL;
    CU_ASSERT_EQUAL(v4_dsml_parse(r.output, strlen(r.output), 0, &parsed, err, sizeof err), 0);
    cJSON *pj = cJSON_Parse(parsed ? parsed : "{}");
    cJSON *calls = cJSON_GetObjectItem(pj, "tool_calls");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(calls), 2);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 0), "arguments"),
                                          "city", ""), "Z\xc3\xbcrich");
    CU_ASSERT_EQUAL(hutil_json_num(cJSON_GetObjectItem(cJSON_GetArrayItem(calls, 1), "arguments"),
                                   "days", 0), 3);
    cJSON_Delete(pj);
    free(parsed);
    backend_result_free(&r);
    cJSON_Delete(s.messages);
    s.messages = cJSON_Parse("[{\"role\":\"user\",\"content\":\"THINKLONG\"}]");
    CU_ASSERT_EQUAL_FATAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(r.output, "step 1, step 2</think>");
    CU_ASSERT_STRING_EQUAL(r.finish, "length");
    CU_ASSERT_EQUAL(r.tokens_out, 32);
    backend_result_free(&r);
    cJSON_Delete(s.messages);
    s.messages = cJSON_Parse("[{\"role\":\"user\",\"content\":\"BADARGS\"}]");
    err[0] = 0;
    CU_ASSERT_EQUAL_FATAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    printf("    bad arguments kept as: %s\n", r.output);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.output, "tool_calls>"));
    /* the engine's renderer keeps the broken text as one string parameter: whatever the
     * parser makes of it, no "x" = 6 is invented */
    parsed = NULL;
    if (v4_dsml_parse(r.output, strlen(r.output), 0, &parsed, err, sizeof err) == 0) {
        pj = cJSON_Parse(parsed);
        cJSON *a0 = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(pj, "tool_calls"), 0), "arguments");
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(a0, "x"));
        cJSON_Delete(pj);
    }
    free(parsed);
    CU_ASSERT_EQUAL(fatal, 0);
    backend_result_free(&r);
    cJSON_Delete(s.messages);
    b->close(b);
    server_stop();
}

/* 429 with Retry-After: 1 waits that long (not the 0.01 s backoff) and then succeeds; a vLLM
 * error object is quoted by its message, in full */
static void test_rate_limit_and_errors(void) {
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    char url[128], err[1024];
    backend_opts o = opts_for(SRV.port, url, sizeof url);
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o, &b, err, sizeof err), 0);
    eval_sample s;
    raw_sample(&s, "t/2", "y");
    backend_result r;
    int fatal = 0;
    SRV.fail_next = 1;
    SRV.fail_status = 429;
    SRV.n_posts = 0;
    double t0 = hutil_mono();
    CU_ASSERT_EQUAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    double dt = hutil_mono() - t0;
    printf("    429 then 200 after %.2f s\n", dt);
    CU_ASSERT_EQUAL(SRV.n_posts, 2);
    CU_ASSERT(dt >= 0.9 && dt < 5);
    CU_ASSERT_STRING_EQUAL(r.output ? r.output : "", "answer to [y]");
    backend_result_free(&r);
    SRV.fail_next = 1;
    SRV.fail_status = 400;
    CU_ASSERT_NOT_EQUAL(b->generate(b, &s, &r, &fatal, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 400: This model's maximum context length is 4096"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "Please reduce the length"));
    backend_result_free(&r);
    b->close(b);
    /* a base URL without /v1 whose /models is 404: one clear message at open */
    char bare[128];
    snprintf(bare, sizeof bare, "http://127.0.0.1:%d", SRV.port);
    o.base_url = bare;
    CU_ASSERT_NOT_EQUAL(backend_open(&o, &b, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "should end in /v1"));
    server_stop();
}

static void test_unreachable(void) {
    /* a port that was just closed: nothing listens there */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    int port = ntohs(a.sin_port);
    close(fd);
    char url[128], err[1024];
    backend_opts o = opts_for(port, url, sizeof url);
    backend *b = NULL;
    double t0 = hutil_mono();
    CU_ASSERT_NOT_EQUAL(backend_open(&o, &b, err, sizeof err), 0);
    printf("    %s (%.2f s)\n", err, hutil_mono() - t0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot reach the server"));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    /* missing options and an unset key variable are one-line errors too */
    o.api_model = NULL;
    CU_ASSERT_NOT_EQUAL(backend_open(&o, &b, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--api-model"));
    o.api_model = "m";
    o.api_key_env = "V4EVAL_SURELY_UNSET_VAR";
    CU_ASSERT_NOT_EQUAL(backend_open(&o, &b, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "V4EVAL_SURELY_UNSET_VAR"));
}

/* ---- the run loop over HTTP with 4 concurrent workers ---- */
static const char *q_suite(runner_source *s, int t) { (void)s; (void)t; return "http"; }
static const char *q_task(runner_source *s, int t) { (void)s; (void)t; return "echo"; }
static int q_count(runner_source *s, int t) { (void)s; (void)t; return 24; }
static char *q_stops[] = {"\n\nQuestion:"};
static int q_make(runner_source *s, int t, int i, eval_sample *o, char *err, size_t errlen) {
    (void)s; (void)t; (void)err; (void)errlen;
    memset(o, 0, sizeof *o);
    o->id = hutil_asprintf("echo/%d", i);
    o->prompt = hutil_asprintf("p%d", i);
    o->stops = q_stops;
    o->n_stops = 1;
    o->max_new_tokens = 8;
    o->depth = -1;
    return 0;
}
static void q_release(runner_source *s, eval_sample *e) { (void)s; free(e->id); free(e->prompt); }
static int q_score(runner_source *s, const eval_sample *e, const char *out, score_result *r,
                   char *err, size_t errlen) {
    (void)s; (void)err; (void)errlen;
    memset(r, 0, sizeof *r);
    char *want = hutil_asprintf("answer to [%s]", e->prompt);
    r->score = !strcmp(out, want);
    r->passed = (int)r->score;
    free(want);
    return 0;
}
static void q_score_release(runner_source *s, score_result *r) { (void)s; (void)r; }

static void test_concurrent_run(void) {
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    char url[128], err[1024];
    backend_opts o = opts_for(SRV.port, url, sizeof url);
    o.concurrency = 4;
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o, &b, err, sizeof err), 0);
    CU_ASSERT_EQUAL(b->max_concurrency, 4);
    char tmpl[] = "/tmp/v4eval-http-XXXXXX";
    char *d = mkdtemp(tmpl);
    char *js = hutil_asprintf("%s/samples.jsonl", d);
    journal *j;
    CU_ASSERT_EQUAL_FATAL(journal_open(js, 1, &j, err, sizeof err), 0);
    runner_source src = {1, q_suite, q_task, q_count, q_make, q_release, q_score, q_score_release, NULL};
    runner_opts ro = {RUNNER_PROGRESS_LINES, 0, 0, 0, NULL};
    runner_stats st;
    CU_ASSERT_EQUAL(runner_run(&src, b, j, &ro, &st), 0);
    CU_ASSERT_EQUAL(st.done, 24);
    CU_ASSERT_EQUAL(st.errors, 0);
    int n;
    const sample_record *r = journal_records(j, &n);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += r[i].score;
    CU_ASSERT_EQUAL(n, 24);
    CU_ASSERT_EQUAL(sum, 24);
    journal_close(j);
    /* the server goes away: the loop stops early (fatal) instead of failing every sample */
    b->close(b);
    server_stop();
    backend_opts o2 = opts_for(SRV.port, url, sizeof url);
    o2.retries = 1;
    CU_ASSERT_EQUAL_FATAL(server_start(), 0);
    o2 = opts_for(SRV.port, url, sizeof url);
    o2.retries = 1;
    CU_ASSERT_EQUAL_FATAL(backend_open(&o2, &b, err, sizeof err), 0);
    server_stop();
    char *js2 = hutil_asprintf("%s/samples2.jsonl", d);
    CU_ASSERT_EQUAL_FATAL(journal_open(js2, 1, &j, err, sizeof err), 0);
    CU_ASSERT_EQUAL(runner_run(&src, b, j, &ro, &st), 1);
    printf("    stopped: %s\n", st.fatal_msg);
    CU_ASSERT(st.stopped);
    CU_ASSERT(st.done < 24);
    journal_close(j);
    b->close(b);
    char *cmd = hutil_asprintf("rm -rf '%s'", d);
    if (system(cmd)) {}
    free(cmd); free(js); free(js2);
}

static const test_case TESTS[] = {
    {"completions", test_completions},
    {"chat", test_chat},
    {"retries", test_retries},
    {"server_shapes", test_server_shapes},
    {"rate_limit_and_errors", test_rate_limit_and_errors},
    {"unreachable", test_unreachable},
    {"concurrent_run", test_concurrent_run},
    {NULL, NULL},
};
TEST_MAIN("harness_http", TESTS)
