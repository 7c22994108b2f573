/*
 * test_dsml.c — DSML tool-call rendering and the strict completion parser (engine/dsml.c),
 * spec §14.3 (grammar), §14.4 (golden strings) and §14.5 (edge behaviours).
 *
 * Expected strings are written by hand from the spec. The randomized case builds nested
 * arguments, renders them, wraps them in a completion and checks parse(render(a)) == dumps(a).
 */
#include <stdint.h>
#include <cjson/cJSON.h>
#include "engine/text_json.h"
#include "tests/test_util.h"

#define D "｜DSML｜"
#define EOS "<｜end▁of▁sentence｜>"

/* Parses text; on success compares with want (if non-NULL); on failure returns NULL. */
static char *parse_ok(const char *text, int thinking, const char *want) {
    char err[V4_ERRLEN], *out = NULL;
    int rc = v4_dsml_parse(text, strlen(text), thinking, &out, err, sizeof err);
    if (rc) { printf("    unexpected parse error: %s\n", err); CU_FAIL("parse failed"); return NULL; }
    if (want && strcmp(out, want) != 0) {
        printf("    got  %s\n    want %s\n", out, want);
        CU_FAIL("parse result differs");
    }
    return out;
}

/* Expects a parse error containing frag; prints it. */
static void parse_bad(const char *label, const char *text, int thinking, const char *frag) {
    char err[V4_ERRLEN], *out = NULL;
    err[0] = 0;
    int rc = v4_dsml_parse(text, strlen(text), thinking, &out, err, sizeof err);
    printf("    %-28s rc=%d %s\n", label, rc, rc ? err : out);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_PTR_NULL(out);
    if (!strstr(err, frag)) { printf("      expected to contain: %s\n", frag); CU_FAIL(label); }
    free(out);
}

static void render_is(const char *calls, const char *want) {
    char err[V4_ERRLEN], *out = NULL;
    int rc = v4_dsml_render(calls, &out, err, sizeof err);
    if (rc) { printf("    render error: %s\n", err); CU_FAIL("render failed"); return; }
    if (strcmp(out, want) != 0) { printf("    got  %s\n    want %s\n", out, want); CU_FAIL("render differs"); }
    free(out);
}

static const char GOLD_OUTPUT[] =
    "The user wants a 3-day forecast for Tokyo; call get_weather.</think>\n\n"
    "<" D "tool_calls>\n"
    "<" D "invoke name=\"get_weather\">\n"
    "<" D "parameter name=\"city\" string=\"true\">Tokyo</" D "parameter>\n"
    "<" D "parameter name=\"days\" string=\"false\">3</" D "parameter>\n"
    "</" D "invoke>\n"
    "</" D "tool_calls>" EOS;

static void test_parse_golden(void) {
    free(parse_ok(GOLD_OUTPUT, 1,
                  "{\"content\": \"\", \"reasoning\": \"The user wants a 3-day forecast for Tokyo; call get_weather.\", "
                  "\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Tokyo\", \"days\": 3}}]}"));
    /* the same block in chat mode, after visible content */
    char buf[2048];
    snprintf(buf, sizeof buf, "reading%s", strstr(GOLD_OUTPUT, "\n\n<"));
    free(parse_ok(buf, 0, "{\"content\": \"reading\", \"reasoning\": \"\", \"tool_calls\": "
                          "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Tokyo\", \"days\": 3}}]}"));
}

static void test_parse_plain(void) {
    free(parse_ok("Hello, world!" EOS, 0, "{\"content\": \"Hello, world!\", \"reasoning\": \"\", \"tool_calls\": []}"));
    free(parse_ok("think\nhard</think>Answer: 42" EOS, 1,
                  "{\"content\": \"Answer: 42\", \"reasoning\": \"think\\nhard\", \"tool_calls\": []}"));
    free(parse_ok(EOS, 0, "{\"content\": \"\", \"reasoning\": \"\", \"tool_calls\": []}"));
    free(parse_ok("</think>" EOS, 1, "{\"content\": \"\", \"reasoning\": \"\", \"tool_calls\": []}"));
    /* content escapes like json.dumps(ensure_ascii=False): control bytes, DEL and U+2028 */
    free(parse_ok("q\"b\\s\t\x01\x7f\xe2\x80\xa8é" EOS, 0,
                  "{\"content\": \"q\\\"b\\\\s\\t\\u0001\x7f\xe2\x80\xa8é\", \"reasoning\": \"\", \"tool_calls\": []}"));
}

static void test_parse_calls(void) {
    /* two invokes, a zero-argument one (empty line), string values with quotes/newlines/<,
     * a verbatim string="false" value ("1.50" stays "1.50"), nested JSON */
    const char *t =
        "\n\n<" D "tool_calls>\n"
        "<" D "invoke name=\"a\">\n"
        "<" D "parameter name=\"s\" string=\"true\">line1\nsay \"hi\" <b> & \\</" D "parameter>\n"
        "<" D "parameter name=\"x\" string=\"false\">1.50</" D "parameter>\n"
        "<" D "parameter name=\"o\" string=\"false\">{\"k\": [1, 2.0, null, true]}</" D "parameter>\n"
        "</" D "invoke>\n"
        "<" D "invoke name=\"noargs\">\n\n</" D "invoke>\n"
        "</" D "tool_calls>" EOS;
    free(parse_ok(t, 0,
                  "{\"content\": \"\", \"reasoning\": \"\", \"tool_calls\": ["
                  "{\"name\": \"a\", \"arguments\": {\"s\": \"line1\\nsay \\\"hi\\\" <b> & \\\\\", \"x\": 1.50, "
                  "\"o\": {\"k\": [1, 2.0, null, true]}}}, "
                  "{\"name\": \"noargs\", \"arguments\": {}}]}"));
    /* accepted edge cases of the official parser (§14.5): no EOS after the block; text cut
     * right after the block start */
    char buf[2048];
    snprintf(buf, sizeof buf, "%.*s", (int)(strlen(t) - strlen(EOS)), t);
    free(parse_ok(buf, 0, NULL));
    free(parse_ok("x\n\n<" D "tool_calls", 0, "{\"content\": \"x\", \"reasoning\": \"\", \"tool_calls\": []}"));
    /* whitespace before name= in the invoke header is allowed (\s*) */
    free(parse_ok("\n\n<" D "tool_calls>\n<" D "invoke \n name=\"f\">\n</" D "invoke>\n</" D "tool_calls>" EOS, 0,
                  "{\"content\": \"\", \"reasoning\": \"\", \"tool_calls\": [{\"name\": \"f\", \"arguments\": {}}]}"));
}

static void test_parse_malformed(void) {
    const char *H = "\n\n<" D "tool_calls>\n<" D "invoke name=\"f\">\n";
    const char *T = "\n</" D "invoke>\n</" D "tool_calls>" EOS;
    char b[4096];
#define P(s) "<" D "parameter name=\"" s "</" D "parameter>"
    snprintf(b, sizeof b, "%s" P("a\" string=\"true\">1") "\n" P("a\" string=\"true\">2") "%s", H, T);
    parse_bad("duplicate parameter", b, 0, "Duplicate parameter name at byte");
    snprintf(b, sizeof b, "%s<" D "parameter string=\"true\" name=\"a\">1</" D "parameter>%s", H, T);
    parse_bad("wrong attribute order", b, 0, "Parameter format error at byte");
    snprintf(b, sizeof b, "%s<" D "parameter  name=\"a\" string=\"true\">1</" D "parameter>%s", H, T);
    parse_bad("two spaces", b, 0, "Parameter format error");
    snprintf(b, sizeof b, "%s<" D "parameter name=\"a\" string=\"yes\">1</" D "parameter>%s", H, T);
    parse_bad("bad string flag", b, 0, "Parameter format error");
    snprintf(b, sizeof b, "%s<" D "parameter name=\"a\" string=\"true\">1%s", H, T);
    parse_bad("unclosed parameter", b, 0, "Parameter format error");
    snprintf(b, sizeof b, "%s" P("a\" string=\"true\">1") "\n</" D "tool_calls>" EOS, H);
    parse_bad("unclosed invoke", b, 0, "Parameter format error at byte");
    snprintf(b, sizeof b, "%s" P("a\" string=\"true\">1") "%s\n", H, T);
    parse_bad("text after EOS", b, 0, "Unexpected content at end");
    snprintf(b, sizeof b, "%s" P("a\" string=\"true\">1") "\n</" D "invoke>\n</" D "tool_calls>\n" EOS, H);
    parse_bad("newline before EOS", b, 0, "Unexpected content after tool calls");
    snprintf(b, sizeof b, "%s" P("a\" string=\"true\">1") "\n</" D "invoke>\n</" D "tool_calls> trailing", H);
    parse_bad("trailing text", b, 0, "Unexpected content after tool calls");
    snprintf(b, sizeof b, "%s" P("a\" string=\"false\">abc") "%s", H, T);
    parse_bad("string=false not JSON", b, 0, "not JSON");
    snprintf(b, sizeof b, "\n\n<" D "tool_calls>\n<" D "invoke nam=\"f\">\n</" D "invoke>\n</" D "tool_calls>" EOS);
    parse_bad("bad invoke header", b, 0, "Tool name format error at byte");
    snprintf(b, sizeof b, "\n\n<" D "tool_calls>\n\n<" D "invoke name=\"f\">\n</" D "invoke>\n</" D "tool_calls>" EOS);
    parse_bad("extra newline", b, 0, "Tool call format error at byte 23");
    snprintf(b, sizeof b, "\n\n<" D "tool_calls>\n<" D "invoke name=\"f\">\n</" D "invoke>\n");
    parse_bad("missing block end", b, 0, "Missing special token in tool calls");
    parse_bad("missing EOS", "plain text", 0, "missing EOS token");
    parse_bad("missing </think>", "reasoning only" EOS, 1, "missing </think>");
    parse_bad("block before </think>", "r\n\n<" D "tool_calls>\n</" D "tool_calls>" EOS, 1, "missing </think>");
    snprintf(b, sizeof b, "x\n<" D "tool_calls>\n<" D "invoke name=\"f\">\n</" D "invoke>\n</" D "tool_calls>" EOS);
    parse_bad("single newline before block", b, 0, "Unexpected special token '" D "' in content at byte 3");
    parse_bad("<think> in content", "a<think>b" EOS, 0, "Unexpected special token '<think>' in content at byte 1");
    parse_bad("BOS in reasoning", "<｜begin▁of▁sentence｜>r</think>c" EOS, 1, "in reasoning at byte 0");
    parse_bad("empty input", "", 0, "missing EOS");
#undef P
}

static void test_render(void) {
    /* the golden chat-mode call of spec §14.4 */
    render_is("[{\"name\": \"read\", \"arguments\": \"{\\\"filePath\\\": \\\"/x\\\", \\\"limit\\\": 10, \\\"nested\\\": {\\\"a\\\": 1}}\"}]",
              "\n\n<" D "tool_calls>\n<" D "invoke name=\"read\">\n"
              "<" D "parameter name=\"filePath\" string=\"true\">/x</" D "parameter>\n"
              "<" D "parameter name=\"limit\" string=\"false\">10</" D "parameter>\n"
              "<" D "parameter name=\"nested\" string=\"false\">{\"a\": 1}</" D "parameter>\n"
              "</" D "invoke>\n</" D "tool_calls>");
    /* float repr, big ints, -0.0, \u escapes decoded, raw strings; OpenAI wrapper form;
     * arguments as an object; invalid JSON text -> one "arguments" parameter; zero args */
    render_is("[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": "
              "\"{\\\"a\\\": 1.50, \\\"b\\\": 1e5, \\\"c\\\": -0.0, \\\"d\\\": 123456789012345678901234567890, "
              "\\\"e\\\": \\\"\\\\u00e9\\\\n<&\\\\\\\"\\\", \\\"f\\\": [1e-7, 0.1, 1e16, -0], \\\"g\\\": \\\"\\\\u2028\\\"}\"}}, "
              "{\"name\": \"g\", \"arguments\": {\"k\": [true, null], \"s\": \"v\"}}, "
              "{\"name\": \"h\", \"arguments\": \"not json {\"}, "
              "{\"name\": \"z\", \"arguments\": \"{}\"}]",
              "\n\n<" D "tool_calls>\n<" D "invoke name=\"f\">\n"
              "<" D "parameter name=\"a\" string=\"false\">1.5</" D "parameter>\n"
              "<" D "parameter name=\"b\" string=\"false\">100000.0</" D "parameter>\n"
              "<" D "parameter name=\"c\" string=\"false\">-0.0</" D "parameter>\n"
              "<" D "parameter name=\"d\" string=\"false\">123456789012345678901234567890</" D "parameter>\n"
              "<" D "parameter name=\"e\" string=\"true\">é\n<&\"</" D "parameter>\n"
              "<" D "parameter name=\"f\" string=\"false\">[1e-07, 0.1, 1e+16, 0]</" D "parameter>\n"
              "<" D "parameter name=\"g\" string=\"true\">\xe2\x80\xa8</" D "parameter>\n"
              "</" D "invoke>\n"
              "<" D "invoke name=\"g\">\n"
              "<" D "parameter name=\"k\" string=\"false\">[true, null]</" D "parameter>\n"
              "<" D "parameter name=\"s\" string=\"true\">v</" D "parameter>\n"
              "</" D "invoke>\n"
              "<" D "invoke name=\"h\">\n"
              "<" D "parameter name=\"arguments\" string=\"true\">not json {</" D "parameter>\n"
              "</" D "invoke>\n"
              "<" D "invoke name=\"z\">\n\n</" D "invoke>\n</" D "tool_calls>");
    char err[V4_ERRLEN], *out = NULL;
    CU_ASSERT_EQUAL(v4_dsml_render("[{\"name\": \"f\", \"arguments\": \"[1, 2]\"}]", &out, err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "tool_calls[0].arguments: expected a JSON object, found an array"));
    CU_ASSERT_EQUAL(v4_dsml_render("[{\"arguments\": \"{}\"}]", &out, err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "tool_calls[0].name"));
    CU_ASSERT_EQUAL(v4_dsml_render("[{\"name\": ", &out, err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid JSON"));
}

/* ---- randomized round trip ----------------------------------------------------------- */

static uint64_t g_rng = 0x243F6A8885A308D3ull;
static uint32_t rnd(uint32_t n) {
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11) % n;
}

static void rnd_string(char *s, size_t cap) {
    static const char *const atoms[] = {"a", "Z", " ", "\n", "\t", "\"", "\\", "<", ">", "&", "/", "é", "中文",
                                        "😀", "\x01", "\x7f", "\xe2\x80\xa8", "{", "}", "[", "]", ":", ",", "0", "name=\""};
    size_t n = rnd(12), o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = atoms[rnd(sizeof atoms / sizeof *atoms)];
        if (o + strlen(a) + 1 >= cap) break;
        memcpy(s + o, a, strlen(a));
        o += strlen(a);
    }
    s[o] = 0;
}

static cJSON *rnd_value(int depth) {
    char s[128];
    switch (rnd(depth > 2 ? 5 : 7)) {
    case 0: rnd_string(s, sizeof s); return cJSON_CreateString(s);
    case 1: return cJSON_CreateNumber((double)((int)rnd(2000000) - 1000000));
    case 2: return cJSON_CreateNumber(((double)rnd(1000000) - 500000) / (double)(1 + rnd(1000)));
    case 3: return rnd(2) ? cJSON_CreateTrue() : cJSON_CreateFalse();
    case 4: return cJSON_CreateNull();
    case 5: {
        cJSON *a = cJSON_CreateArray();
        for (int i = (int)rnd(4); i > 0; i--) cJSON_AddItemToArray(a, rnd_value(depth + 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        for (int i = (int)rnd(4); i > 0; i--) {
            char k[16];
            snprintf(k, sizeof k, "k%d_%u", i, rnd(100));
            if (!cJSON_GetObjectItemCaseSensitive(o, k)) cJSON_AddItemToObject(o, k, rnd_value(depth + 1));
        }
        return o;
    }
    }
}

static void test_roundtrip_random(void) {
    int bad = 0;
    for (int it = 0; it < 400 && bad < 3; it++) {
        /* 1..3 calls with random top-level arguments */
        int nc = 1 + (int)rnd(3);
        cJSON *calls = cJSON_CreateArray();
        text_buf want = {0};
        tb_puts(&want, "\"tool_calls\": [");
        for (int c = 0; c < nc; c++) {
            cJSON *args = cJSON_CreateObject();
            for (int i = (int)rnd(5); i > 0; i--) {
                char k[32];
                rnd_string(k, 12);
                for (char *p = k; *p; p++) if (*p == '"') *p = '\''; /* keys never hold '"' */
                if (!cJSON_GetObjectItemCaseSensitive(args, k)) cJSON_AddItemToObject(args, k, rnd_value(0));
            }
            /* argument text as a client would send it, re-read the way Python would */
            char *atext = cJSON_PrintUnformatted(args);
            cJSON *reparsed = tj_parse(atext, strlen(atext), NULL);
            if (c) tb_puts(&want, ", ");
            tb_printf(&want, "{\"name\": \"tool%d\", \"arguments\": ", c);
            tj_dump(reparsed, &want);
            tb_putc(&want, '}');
            cJSON *call = cJSON_CreateObject();
            char name[16];
            snprintf(name, sizeof name, "tool%d", c);
            cJSON_AddStringToObject(call, "name", name);
            cJSON_AddStringToObject(call, "arguments", atext);
            cJSON_AddItemToArray(calls, call);
            cJSON_Delete(args);
            cJSON_Delete(reparsed);
            free(atext);
        }
        tb_puts(&want, "]}");
        char *cj = cJSON_PrintUnformatted(calls), *block = NULL, err[V4_ERRLEN];
        cJSON_Delete(calls);
        CU_ASSERT_EQUAL_FATAL(v4_dsml_render(cj, &block, err, sizeof err), 0);
        char content[64];
        rnd_string(content, sizeof content);
        int thinking = (int)rnd(2);
        text_buf comp = {0};
        if (thinking) tb_puts(&comp, "why</think>");
        tb_puts(&comp, content);
        tb_puts(&comp, block);
        tb_puts(&comp, EOS);
        char *out = NULL;
        int rc = v4_dsml_parse(comp.p, comp.n, thinking, &out, err, sizeof err);
        text_buf full = {0};
        tb_puts(&full, "{\"content\": ");
        tj_dump_string(content, strlen(content), &full);
        tb_printf(&full, ", \"reasoning\": \"%s\", ", thinking ? "why" : "");
        tb_put(&full, want.p, want.n);
        if (rc || strcmp(out, full.p) != 0) {
            bad++;
            printf("    iteration %d\n    completion %s\n    got  %s\n    want %s\n", it, comp.p, rc ? err : out, full.p);
        }
        free(out); free(cj); free(block);
        tb_free(&want); tb_free(&comp); tb_free(&full);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static const test_case TESTS[] = {
    {"parse_golden", test_parse_golden},
    {"parse_plain", test_parse_plain},
    {"parse_calls", test_parse_calls},
    {"parse_malformed", test_parse_malformed},
    {"render", test_render},
    {"roundtrip_random", test_roundtrip_random},
    {NULL, NULL},
};
TEST_MAIN("dsml", TESTS)
