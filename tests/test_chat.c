/*
 * test_chat.c — DeepSeek-V4 chat encoding (engine/chat.c), spec §14.2, §14.4 and §14.5.
 *
 * Every expected prompt is written by hand from the spec: the golden chat-mode multi-turn
 * string of §14.4 byte for byte, the thinking-mode tool example of §14.4 with the TOOLS block
 * of §14.2, and one case per encoder rule of §14.5.
 */
#include <cjson/cJSON.h>
#include "tests/test_util.h"

#define BOS "<｜begin▁of▁sentence｜>"
#define EOS "<｜end▁of▁sentence｜>"
#define U "<｜User｜>"
#define A "<｜Assistant｜>"
#define D "｜DSML｜"

/* Encodes and compares with want; prints both on mismatch (with the first differing byte). */
static void enc_is(const char *label, const char *msgs, const char *tools, int thinking, int drop,
                   const char *effort, const char *want) {
    v4_chat_opts o = v4_chat_opts_default();
    o.thinking = thinking;
    o.drop_thinking = drop;
    o.effort = effort;
    char err[V4_ERRLEN], *out = NULL;
    int rc = v4_chat_encode(msgs, tools, &o, &out, err, sizeof err);
    if (rc) {
        printf("    %s: encode error: %s\n", label, err);
        CU_FAIL(label);
        return;
    }
    if (strcmp(out, want) != 0) {
        size_t i = 0;
        while (out[i] && out[i] == want[i]) i++;
        printf("    %s: differs at byte %zu\n    got  %s\n    want %s\n", label, i, out, want);
        CU_FAIL(label);
    }
    free(out);
}

static void enc_err(const char *label, const char *msgs, const char *tools, const char *effort, const char *frag) {
    v4_chat_opts o = v4_chat_opts_default();
    o.effort = effort;
    char err[V4_ERRLEN], *out = NULL;
    err[0] = 0;
    int rc = v4_chat_encode(msgs, tools, &o, &out, err, sizeof err);
    printf("    %-24s rc=%d %s\n", label, rc, rc ? err : out);
    CU_ASSERT_EQUAL(rc, 2);
    CU_ASSERT_PTR_NULL(out);
    if (!strstr(err, frag)) { printf("      expected: %s\n", frag); CU_FAIL(label); }
    free(out);
}

static void test_golden_multiturn_chat(void) {
    const char *msgs =
        "[{\"role\": \"user\", \"content\": \"u1\"},"
        " {\"role\": \"assistant\", \"content\": \"reading\", \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\","
        "   \"function\": {\"name\": \"read\", \"arguments\": \"{\\\"filePath\\\": \\\"/x\\\", \\\"limit\\\": 10, \\\"nested\\\": {\\\"a\\\": 1}}\"}}]},"
        " {\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\": \"FILE\"},"
        " {\"role\": \"user\", \"content\": \"u2\"}]";
    enc_is("golden §14.4", msgs, NULL, 0, 1, NULL,
           "<｜begin▁of▁sentence｜><｜User｜>u1<｜Assistant｜></think>reading\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"read\">\n"
           "<｜DSML｜parameter name=\"filePath\" string=\"true\">/x</｜DSML｜parameter>\n"
           "<｜DSML｜parameter name=\"limit\" string=\"false\">10</｜DSML｜parameter>\n"
           "<｜DSML｜parameter name=\"nested\" string=\"false\">{\"a\": 1}</｜DSML｜parameter>\n"
           "</｜DSML｜invoke>\n</｜DSML｜tool_calls><｜end▁of▁sentence｜><｜User｜><tool_result>FILE</tool_result>\n\nu2<｜Assistant｜></think>");
}

#define TOOLS_BLOCK(SCHEMAS)                                                                               \
    "## Tools\n\n"                                                                                        \
    "You have access to a set of tools to help answer the user's question. You can invoke tools by writing a " \
    "\"<｜DSML｜tool_calls>\" block like the following:\n\n"                                               \
    "<｜DSML｜tool_calls>\n"                                                                               \
    "<｜DSML｜invoke name=\"$TOOL_NAME\">\n"                                                               \
    "<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</｜DSML｜parameter>\n" \
    "...\n"                                                                                               \
    "</｜DSML｜invoke>\n"                                                                                  \
    "<｜DSML｜invoke name=\"$TOOL_NAME2\">\n"                                                              \
    "...\n"                                                                                               \
    "</｜DSML｜invoke>\n"                                                                                  \
    "</｜DSML｜tool_calls>\n\n"                                                                            \
    "String parameters should be specified as is and set `string=\"true\"`. For all other types (numbers, booleans, " \
    "arrays, objects), pass the value in JSON format and set `string=\"false\"`.\n\n"                     \
    "If thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning inside "  \
    "<think>...</think> BEFORE any tool calls or final response.\n\n"                                     \
    "Otherwise, output directly after </think> with tool calls or final response.\n\n"                    \
    "### Available Tool Schemas\n\n" SCHEMAS "\n\n"                                                       \
    "You MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n"

#define WEATHER_TOOL                                                                                          \
    "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get weather\", "     \
    "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\"}}, " \
    "\"required\": [\"city\"]}}}"
#define WEATHER_SCHEMA                                                                                        \
    "{\"name\": \"get_weather\", \"description\": \"Get weather\", \"parameters\": {\"type\": \"object\", "    \
    "\"properties\": {\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\"}}, \"required\": [\"city\"]}}"

static void test_thinking_tool_example(void) {
    /* spec §14.4 prompt */
    const char *m1 = "[{\"role\": \"system\", \"content\": \"You are a helpful assistant.\", \"tools\": [" WEATHER_TOOL "]},"
                     " {\"role\": \"user\", \"content\": \"Weather in Tokyo for the next 3 days?\"}]";
    const char *p1 = BOS "You are a helpful assistant.\n\n" TOOLS_BLOCK(WEATHER_SCHEMA)
                     U "Weather in Tokyo for the next 3 days?" A "<think>";
    enc_is("§14.4 prompt", m1, NULL, 1, 1, NULL, p1);
    /* the same tools given through the tools argument instead of on the message */
    enc_is("§14.4 prompt via --tools",
           "[{\"role\": \"system\", \"content\": \"You are a helpful assistant.\"},"
           " {\"role\": \"user\", \"content\": \"Weather in Tokyo for the next 3 days?\"}]",
           "[" WEATHER_TOOL "]", 1, 1, NULL, p1);
    /* next turn: reasoning kept (tools defined), tool result, <think> again */
    const char *m2 = "[{\"role\": \"system\", \"content\": \"You are a helpful assistant.\", \"tools\": [" WEATHER_TOOL "]},"
                     " {\"role\": \"user\", \"content\": \"Weather in Tokyo for the next 3 days?\"},"
                     " {\"role\": \"assistant\", \"content\": \"\", \"reasoning_content\": \"The user wants a 3-day forecast for Tokyo; call get_weather.\","
                     "  \"tool_calls\": [{\"id\": \"w1\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Tokyo\\\", \\\"days\\\": 3}\"}}]},"
                     " {\"role\": \"tool\", \"tool_call_id\": \"w1\", \"content\": \"{\\\"forecast\\\": [\\\"sun\\\"]}\"}]";
    enc_is("§14.4 next turn", m2, NULL, 1, 1, NULL,
           BOS "You are a helpful assistant.\n\n" TOOLS_BLOCK(WEATHER_SCHEMA)
           U "Weather in Tokyo for the next 3 days?" A "<think>"
           "The user wants a 3-day forecast for Tokyo; call get_weather.</think>\n\n"
           "<" D "tool_calls>\n<" D "invoke name=\"get_weather\">\n"
           "<" D "parameter name=\"city\" string=\"true\">Tokyo</" D "parameter>\n"
           "<" D "parameter name=\"days\" string=\"false\">3</" D "parameter>\n"
           "</" D "invoke>\n</" D "tool_calls>" EOS
           U "<tool_result>{\"forecast\": [\"sun\"]}</tool_result>" A "<think>");
    /* empty system content + tools: BOS then "\n\n## Tools" (26); tools created by --tools */
    enc_is("tools without system", "[{\"role\": \"user\", \"content\": \"hi\"}]", "[" WEATHER_TOOL "]", 0, 1, NULL,
           BOS "\n\n" TOOLS_BLOCK(WEATHER_SCHEMA) U "hi" A "</think>");
}

static void test_effort(void) {
    const char *m = "[{\"role\": \"user\", \"content\": \"hi\"}]";
    enc_is("max + thinking", m, NULL, 1, 1, "max",
           BOS "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
           "You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve the root cause, "
           "rigorously stress-testing your logic against all potential paths, edge cases, and adversarial scenarios.\n"
           "Explicitly write out your entire deliberation process, documenting every intermediate step, considered alternative, "
           "and rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n"
           U "hi" A "<think>");
    enc_is("max + chat", m, NULL, 0, 1, "max", BOS U "hi" A "</think>");
    enc_is("high + thinking", m, NULL, 1, 1, "high", BOS U "hi" A "<think>");
    enc_err("bad effort", m, NULL, "low", "reasoning effort");
}

static void test_drop_thinking(void) {
    const char *m = "[{\"role\": \"user\", \"content\": \"q1\"},"
                    " {\"role\": \"assistant\", \"content\": \"a1\", \"reasoning_content\": \"r1\"},"
                    " {\"role\": \"user\", \"content\": \"q2\"}]";
    enc_is("thinking, drop", m, NULL, 1, 1, NULL, BOS U "q1" A "</think>a1" EOS U "q2" A "<think>");
    enc_is("thinking, keep", m, NULL, 1, 0, NULL, BOS U "q1" A "<think>r1</think>a1" EOS U "q2" A "<think>");
    enc_is("chat ignores reasoning", m, NULL, 0, 1, NULL, BOS U "q1" A "</think>a1" EOS U "q2" A "</think>");
    /* assistant after the last user keeps its reasoning; no reasoning -> bare </think> */
    enc_is("last assistant", "[{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\", \"reasoning_content\": \"r\"}]",
           NULL, 1, 1, NULL, BOS U "q" A "<think>r</think>a" EOS);
    enc_is("last assistant no reasoning", "[{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]",
           NULL, 1, 1, NULL, BOS U "q" A "<think></think>a" EOS);
    /* tools anywhere disable dropping: reasoning of earlier turns is kept, <think> after every user */
    const char *mt = "[{\"role\": \"system\", \"content\": \"S\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]},"
                     " {\"role\": \"user\", \"content\": \"q1\"},"
                     " {\"role\": \"assistant\", \"content\": \"a1\", \"reasoning_content\": \"r1\"},"
                     " {\"role\": \"user\", \"content\": \"q2\"}]";
    enc_is("tools keep thinking", mt, NULL, 1, 1, NULL,
           BOS "S\n\n" TOOLS_BLOCK("{\"name\": \"f\"}") U "q1" A "<think>r1</think>a1" EOS U "q2" A "<think>");
    /* developer before the last user is dropped in thinking mode, kept in chat mode (20, 21) */
    const char *md = "[{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"developer\", \"content\": \"D1\"},"
                     " {\"role\": \"user\", \"content\": \"q1\"}, {\"role\": \"assistant\", \"content\": \"a1\"},"
                     " {\"role\": \"user\", \"content\": \"q2\"}]";
    enc_is("developer dropped", md, NULL, 1, 1, NULL, BOS "S" U "q1" A "</think>a1" EOS U "q2" A "<think>");
    enc_is("developer kept", md, NULL, 0, 1, NULL, BOS "S" U "D1" U "q1" A "</think>a1" EOS U "q2" A "</think>");
    /* the last developer message is the "last user" and gets the transition */
    enc_is("developer last", "[{\"role\": \"developer\", \"content\": \"D\", \"response_format\": {\"type\": \"json_object\"}}]", NULL, 1, 1, NULL,
           BOS U "D\n\n## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n{\"type\": \"json_object\"}" A "<think>");
}

static void test_transitions_and_merging(void) {
    /* user -> user merges into one turn; user -> system gets no transition; system mid-run (27) */
    enc_is("user+user", "[{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]", NULL, 0, 1, NULL,
           BOS U "a\n\nb" A "</think>");
    enc_is("system mid", "[{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"b\"}]",
           NULL, 0, 1, NULL, BOS U "as" U "b" A "</think>");
    /* latest_reminder after a user: the transition comes BEFORE the reminder (25) */
    enc_is("latest_reminder", "[{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"latest_reminder\", \"content\": \"R\"}]", NULL, 0, 1, NULL,
           BOS U "q" A "</think><｜latest_reminder｜>R");
    /* tool results re-ordered to the call order; text keeps its slot; unknown id sorts as 0 (12, 13) */
    const char *mt = "[{\"role\": \"user\", \"content\": \"q\"},"
                     " {\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"a\", \"function\": {\"name\": \"f\", \"arguments\": \"{}\"}},"
                     "   {\"id\": \"b\", \"function\": {\"name\": \"g\", \"arguments\": \"{}\"}}, {\"id\": \"c\", \"function\": {\"name\": \"h\", \"arguments\": \"{}\"}}]},"
                     " {\"role\": \"tool\", \"tool_call_id\": \"c\", \"content\": \"C\"},"
                     " {\"role\": \"tool\", \"tool_call_id\": \"b\", \"content\": \"B\"},"
                     " {\"role\": \"user\", \"content\": \"u\"},"
                     " {\"role\": \"tool\", \"tool_call_id\": \"zz\", \"content\": \"Z\"}]";
    enc_is("tool result order", mt, NULL, 0, 1, NULL,
           BOS U "q" A "</think>\n\n<" D "tool_calls>\n<" D "invoke name=\"f\">\n\n</" D "invoke>\n<" D "invoke name=\"g\">\n\n</" D "invoke>\n"
           "<" D "invoke name=\"h\">\n\n</" D "invoke>\n</" D "tool_calls>" EOS
           U "<tool_result>Z</tool_result>\n\n<tool_result>B</tool_result>\n\nu\n\n<tool_result>C</tool_result>" A "</think>");
    /* list-valued tool content (28) and null content */
    enc_is("tool content list", "[{\"role\": \"tool\", \"content\": [{\"type\": \"text\", \"text\": \"x\"}, {\"type\": \"image_url\"}, {\"type\": \"text\", \"text\": \"y\"}]},"
                                " {\"role\": \"tool\", \"content\": null}]",
           NULL, 0, 1, NULL, BOS U "<tool_result>x\n\n[Unsupported image_url]\n\ny</tool_result>\n\n<tool_result>None</tool_result>" A "</think>");
    /* wo_eos, task tokens */
    enc_is("wo_eos", "[{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"par\", \"wo_eos\": true}]", NULL, 0, 1, NULL,
           BOS U "q" A "</think>par");
    enc_is("task query", "[{\"role\": \"user\", \"content\": \"q\", \"task\": \"query\"}]", NULL, 0, 1, NULL, BOS U "q<｜query｜>");
    enc_is("task action", "[{\"role\": \"user\", \"content\": \"q\", \"task\": \"action\"}, {\"role\": \"assistant\", \"content\": \"x\", \"reasoning_content\": \"r\"}]",
           NULL, 1, 1, NULL, BOS U "q" A "<think><｜action｜>x" EOS);
    enc_is("empty", "[]", NULL, 0, 1, NULL, BOS);
}

static void test_json_fidelity(void) {
    /* schema numbers and strings as Python's json.dumps(ensure_ascii=False) writes them */
    const char *tools = "[{\"type\": \"function\", \"function\": {\"name\": \"n\", \"x\": [1.50, 1e5, -0.0, 12345678901234567890123, 0.1, 1e-7, 2.5e16, -0],"
                        " \"s\": \"caf\\u00e9 \\\"q\\\" \\\\ \\n \\u0001 \\u2028 \\ud83d\\ude00 /\", \"b\": [true, false, null], \"e\": {}, \"z\": []}}]";
    enc_is("json fidelity", "[{\"role\": \"user\", \"content\": \"q\"}]", tools, 0, 1, NULL,
           BOS "\n\n" TOOLS_BLOCK("{\"name\": \"n\", \"x\": [1.5, 100000.0, -0.0, 12345678901234567890123, 0.1, 1e-07, 2.5e+16, 0], "
                                  "\"s\": \"café \\\"q\\\" \\\\ \\n \\u0001 \xe2\x80\xa8 😀 /\", \"b\": [true, false, null], \"e\": {}, \"z\": []}")
           U "q" A "</think>");
    /* tools + response_format: three newlines before ## Response Format (18) */
    enc_is("tools + response_format",
           "[{\"role\": \"system\", \"content\": \"S\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}], \"response_format\": {\"type\": \"json_schema\", \"n\": 2}}]",
           NULL, 0, 1, NULL,
           BOS "S\n\n" TOOLS_BLOCK("{\"name\": \"f\"}") "\n\n## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n{\"type\": \"json_schema\", \"n\": 2}");
    /* invalid arguments JSON -> one raw "arguments" parameter (29) */
    enc_is("invalid arguments", "[{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": \"{oops\"}}]}]", NULL, 0, 1, NULL,
           BOS "\n\n<" D "tool_calls>\n<" D "invoke name=\"f\">\n<" D "parameter name=\"arguments\" string=\"true\">{oops</" D "parameter>\n</" D "invoke>\n</" D "tool_calls>" EOS);
}

static void test_errors(void) {
    enc_err("not an array", "{\"role\": \"user\"}", NULL, NULL, "messages: expected a JSON array");
    enc_err("bad JSON", "[{\"role\": ", NULL, NULL, "messages: invalid JSON at byte");
    enc_err("NUL escape", "[{\"role\": \"user\", \"content\": \"a\\u0000b\"}]", NULL, NULL, "at byte 31 (a \\u0000 escape (NUL) in a string is not supported) in [0].content");
    enc_err("unknown role", "[{\"role\": \"robot\", \"content\": \"x\"}]", NULL, NULL, "messages[0].role: unknown role \"robot\"");
    enc_err("missing role", "[{\"content\": \"x\"}]", NULL, NULL, "messages[0].role: expected a string");
    enc_err("user content null", "[{\"role\": \"user\", \"content\": null}]", NULL, NULL, "messages[0].content: expected a string, found null");
    enc_err("content part not object", "[{\"role\": \"user\", \"content\": [\"hi\"]}]", NULL, NULL, "messages[0].content[0]: expected a content part object, found a string");
    enc_err("content part text type", "[{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": 3}]}]", NULL, NULL, "messages[0].content[0].text: expected a string");
    enc_err("developer empty", "[{\"role\": \"developer\", \"content\": \"\"}]", NULL, NULL, "developer message needs non-empty");
    enc_err("arguments array", "[{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": \"[1]\"}}]}]", NULL, NULL,
            "messages[0].tool_calls[0].arguments: expected a JSON object");
    enc_err("tool without function", "[{\"role\": \"user\", \"content\": \"q\"}]", "[{\"name\": \"f\"}]", NULL, "tools[0].function: missing");
    enc_err("tools not array", "[]", "{}", NULL, "tools: expected an array");
    enc_err("unknown task", "[{\"role\": \"user\", \"content\": \"q\", \"task\": \"dance\"}]", NULL, NULL, "messages[0].task: unknown task");
}

/* OpenAI content given as a list of parts, for every role: flattened like the official encoder's
 * tool content (text parts joined with "\n\n", other parts "[Unsupported <type>]"), so the
 * prompt equals the one for the equivalent string content. */
static void test_content_parts(void) {
    enc_is("user parts",
           "[{\"role\": \"system\", \"content\": [{\"type\": \"text\", \"text\": \"S\"}]},"
           " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"},"
           " {\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}, {\"type\": \"text\", \"text\": \"b\"}]},"
           " {\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"r\"}]},"
           " {\"role\": \"user\", \"content\": []}]",
           NULL, 0, 1, NULL,
           "<｜begin▁of▁sentence｜>S" U "a\n\n[Unsupported image_url]\n\nb" A "</think>r<｜end▁of▁sentence｜>" U A "</think>");
    enc_is("tool parts unchanged",
           "[{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"tool\", \"content\": [{\"type\": \"text\", \"text\": \"x\"}, {\"type\": \"text\", \"text\": \"y\"}]}]",
           NULL, 0, 1, NULL, "<｜begin▁of▁sentence｜>" U "q\n\n<tool_result>x\n\ny</tool_result>" A "</think>");
}

/* Differential oracle: prompts produced by DeepSeek's official encoder for seeded random
 * conversations (tests/fixtures/text/make_official_cases.py). */
static void test_official_cases(void) {
    size_t len;
    char *src = read_file_all("tests/fixtures/text/official_chat_cases.json", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    cJSON *root = cJSON_Parse(src);
    free(src);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    int n = 0, bad = 0;
    for (cJSON *c = root->child; c; c = c->next, n++) {
        v4_chat_opts o = v4_chat_opts_default();
        o.thinking = cJSON_IsTrue(cJSON_GetObjectItem(c, "thinking")) || cJSON_GetObjectItem(c, "thinking")->valuedouble == 1;
        o.drop_thinking = cJSON_GetObjectItem(c, "drop")->valuedouble == 1;
        cJSON *eff = cJSON_GetObjectItem(c, "effort");
        o.effort = cJSON_IsString(eff) ? eff->valuestring : NULL;
        const char *msgs = cJSON_GetObjectItem(c, "messages")->valuestring;
        const char *want = cJSON_GetObjectItem(c, "prompt")->valuestring;
        char err[V4_ERRLEN], *out = NULL;
        int rc = v4_chat_encode(msgs, NULL, &o, &out, err, sizeof err);
        if (rc || strcmp(out, want) != 0) {
            if (bad++ < 3) {
                size_t i = 0;
                while (!rc && out[i] && out[i] == want[i]) i++;
                printf("    case %d (thinking=%d drop=%d effort=%s) %s at byte %zu\n    messages %s\n    got  %s\n    want %s\n", n,
                       o.thinking, o.drop_thinking, o.effort ? o.effort : "none", rc ? err : "differs", i, msgs,
                       rc ? "" : out + (i > 40 ? i - 40 : 0), want + (i > 40 ? i - 40 : 0));
            }
        }
        free(out);
    }
    printf("    %d official encoder cases, %d mismatches\n", n, bad);
    CU_ASSERT(n >= 300);
    CU_ASSERT_EQUAL(bad, 0);
    cJSON_Delete(root);
}

static const test_case TESTS[] = {
    {"golden_multiturn_chat", test_golden_multiturn_chat},
    {"thinking_tool_example", test_thinking_tool_example},
    {"effort", test_effort},
    {"drop_thinking", test_drop_thinking},
    {"transitions_and_merging", test_transitions_and_merging},
    {"json_fidelity", test_json_fidelity},
    {"errors", test_errors},
    {"content_parts", test_content_parts},
    {"official_cases", test_official_cases},
    {NULL, NULL},
};
TEST_MAIN("chat", TESTS)
