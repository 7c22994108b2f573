/*
 * test_text_cli.c — the text subcommands of bin/v4eval (harness/cli_text.c): outputs and exit
 * codes. The cli_* functions are called in-process with stdout/stderr redirected to files in
 * build/tests/, so no built binary is needed.
 */
#include <fcntl.h>
#include <unistd.h>
#include "harness/cli.h"
#include "tests/test_util.h"

#define TINY "tests/fixtures/text/tiny_tokenizer.json"
#define TMP "build/tests/cli_text_tmp"

static char g_out[65536], g_err[4096];

/* Runs fn(argc, argv) with stdin from in_path (may be NULL) and captures stdout/stderr. */
static int run_cli(int (*fn)(int, char **), const char *in_path, int argc, const char **argv) {
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2), si = dup(0);
    int fo = open(TMP ".out", O_CREAT | O_TRUNC | O_WRONLY, 0644);
    int fe = open(TMP ".err", O_CREAT | O_TRUNC | O_WRONLY, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    if (in_path) {
        int fi = open(in_path, O_RDONLY);
        dup2(fi, 0);
        close(fi);
    }
    int rc = fn(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    clearerr(stdin);
    dup2(so, 1); dup2(se, 2); dup2(si, 0);
    close(so); close(se); close(si); close(fo); close(fe);
    size_t n = 0;
    char *o = read_file_all(TMP ".out", &n);
    snprintf(g_out, sizeof g_out, "%s", o ? o : "");
    free(o);
    char *e = read_file_all(TMP ".err", &n);
    snprintf(g_err, sizeof g_err, "%s", e ? e : "");
    free(e);
    return rc;
}

static void write_file(const char *path, const char *s) {
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(s, f);
    fclose(f);
}

static void test_tokenize_detokenize(void) {
    const char *a1[] = {"tokenize", "--tokenizer", TINY, "--text", "<|bos|>hello world 12345"};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 5, a1), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "[300, 259, 264, 32, 265, 51, 52, 53]\n");
    const char *a2[] = {"tokenize", "--tokenizer", TINY, "--text", "<|bos|>", "--no-special"};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 6, a2), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "[60, 124, 98, 111, 115, 124, 62]\n");
    write_file(TMP ".txt", "hello\n");
    const char *a3[] = {"tokenize", "--tokenizer", TINY, "--file", TMP ".txt"};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 5, a3), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "[259, 10]\n");
    const char *a4[] = {"detokenize", "--tokenizer", TINY, "--ids", "[300, 259, 264]"};
    CU_ASSERT_EQUAL(run_cli(cli_detokenize, NULL, 5, a4), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "<|bos|>hello world");
    /* bad input: exit 2 and one line on stderr */
    const char *b1[] = {"detokenize", "--tokenizer", TINY, "--ids", "[1, 270]"};
    CU_ASSERT_EQUAL(run_cli(cli_detokenize, NULL, 5, b1), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "id 270 at position 1"));
    const char *b2[] = {"detokenize", "--tokenizer", TINY, "--ids", "[1.5]"};
    CU_ASSERT_EQUAL(run_cli(cli_detokenize, NULL, 5, b2), 2);
    const char *b3[] = {"tokenize", "--tokenizer", "tests/fixtures/text/missing.json", "--text", "x"};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 5, b3), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "cannot open"));
    write_file(TMP ".json", "{\"model\": {\"type\": \"Unigram\"}}");
    const char *b4[] = {"tokenize", "--tokenizer", TMP ".json", "--text", "x"};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 5, b4), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "model.type: expected \"BPE\", found \"Unigram\""));
    const char *b5[] = {"tokenize", "--tokenizer", TINY};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 3, b5), 2);
    const char *b6[] = {"tokenize", "--bogus"};
    CU_ASSERT_EQUAL(run_cli(cli_tokenize, NULL, 2, b6), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "unknown argument '--bogus'"));
}

static void test_chat_encode(void) {
    write_file(TMP ".msgs", "[{\"role\": \"user\", \"content\": \"hi\"}]");
    write_file(TMP ".tools", "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]");
    const char *a1[] = {"chat-encode", "--messages", TMP ".msgs", "--thinking", "--effort", "high"};
    CU_ASSERT_EQUAL(run_cli(cli_chat_encode, NULL, 6, a1), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>");
    const char *a2[] = {"chat-encode", "--messages", TMP ".msgs", "--tools", TMP ".tools"};
    CU_ASSERT_EQUAL(run_cli(cli_chat_encode, NULL, 5, a2), 0);
    CU_ASSERT(strncmp(g_out, "<｜begin▁of▁sentence｜>\n\n## Tools\n\n", strlen("<｜begin▁of▁sentence｜>\n\n## Tools\n\n")) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_out, "### Available Tool Schemas\n\n{\"name\": \"f\"}\n\nYou MUST"));
    const char *a3[] = {"chat-encode", "--messages", "-"};
    CU_ASSERT_EQUAL(run_cli(cli_chat_encode, TMP ".msgs", 3, a3), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜></think>");
    write_file(TMP ".bad", "[{\"role\": \"user\", \"content\": null}]");
    const char *b1[] = {"chat-encode", "--messages", TMP ".bad"};
    CU_ASSERT_EQUAL(run_cli(cli_chat_encode, NULL, 3, b1), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "messages[0].content"));
    const char *b2[] = {"chat-encode", "--messages", TMP ".msgs", "--effort", "extreme"};
    CU_ASSERT_EQUAL(run_cli(cli_chat_encode, NULL, 5, b2), 2);
    const char *b3[] = {"chat-encode"};
    CU_ASSERT_EQUAL(run_cli(cli_chat_encode, NULL, 1, b3), 2);
}

static void test_parse_toolcalls(void) {
    write_file(TMP ".completion",
               "why</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"f\">\n"
               "<｜DSML｜parameter name=\"x\" string=\"false\">[1, 2]</｜DSML｜parameter>\n"
               "</｜DSML｜invoke>\n</｜DSML｜tool_calls><｜end▁of▁sentence｜>");
    const char *a1[] = {"parse-toolcalls", "--thinking"};
    CU_ASSERT_EQUAL(run_cli(cli_parse_toolcalls, TMP ".completion", 2, a1), 0);
    CU_ASSERT_STRING_EQUAL(g_out, "{\"content\": \"\", \"reasoning\": \"why\", \"tool_calls\": [{\"name\": \"f\", \"arguments\": {\"x\": [1, 2]}}]}\n");
    /* the same text in chat mode: "</think>" in content is rejected */
    const char *a2[] = {"parse-toolcalls"};
    CU_ASSERT_EQUAL(run_cli(cli_parse_toolcalls, TMP ".completion", 1, a2), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "Unexpected special token '</think>' in content at byte 3"));
    write_file(TMP ".plain", "no eos");
    CU_ASSERT_EQUAL(run_cli(cli_parse_toolcalls, TMP ".plain", 1, a2), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "missing EOS"));
    CU_ASSERT_STRING_EQUAL(g_out, "");
}

static const test_case TESTS[] = {
    {"tokenize_detokenize", test_tokenize_detokenize},
    {"chat_encode", test_chat_encode},
    {"parse_toolcalls", test_parse_toolcalls},
    {NULL, NULL},
};
TEST_MAIN("text_cli", TESTS)
