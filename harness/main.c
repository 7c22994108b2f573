/*
 * main.c — bin/v4eval: one table of subcommands, dispatch, nothing else.
 *
 * OpenBLAS is set up (core type, re-exec) before anything can touch it; then the subcommand
 * named by argv[1] runs with the remaining arguments.
 */
#include <stdio.h>
#include <string.h>
#include "engine/v4.h"
#include "harness/cli.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} command;

static const command COMMANDS[] = {
    {"run", cli_run, "run a suite: --suite NAME [--task T] [--model DIR] [--backend B] …"},
    {"report", cli_report, "plots + index.html for a run: --run-id ID"},
    {"compare", cli_compare, "paired deltas between two runs: RUN_A RUN_B"},
    {"info", cli_info, "model facts: --model DIR | --config FILE"},
    {"logits", cli_logits, "logits at every position: --model DIR --tokens-file F --out OUT.f32"},
    {"generate", cli_generate, "stream tokens: --model DIR (--prompt T | --tokens-file F)"},
    {"tokenize", cli_tokenize, "text → ids: --tokenizer FILE (--text T | --file F)"},
    {"detokenize", cli_detokenize, "ids → text: --tokenizer FILE --ids JSON"},
    {"chat-encode", cli_chat_encode, "messages → V4 prompt: --messages FILE.json [--thinking]"},
    {"parse-toolcalls", cli_parse_toolcalls, "model output (stdin) → JSON [--thinking]"},
    {"init-random", cli_init_random, "random-weight V4 checkpoint: --config F --out DIR"},
    {"gen-train", cli_gen_train, "training samples (train seeds): --suite S --n N --tokenizer F --out F"},
    {"bench", cli_bench, "prefill/decode speed: --model DIR [--lengths L,…] | --kernels"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f) {
    fprintf(f, "usage: v4eval COMMAND [options]   (v4eval COMMAND --help for details)\n\n");
    for (const command *c = COMMANDS; c->name; c++) fprintf(f, "  %-16s %s\n", c->name, c->help);
}

int main(int argc, char **argv) {
    v4_blas_setup(argc, argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const command *c = COMMANDS; c->name; c++)
        if (!strcmp(argv[1], c->name)) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "v4eval: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
