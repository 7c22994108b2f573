/*
 * cli_info.c — `v4eval info` (model facts from a config or a checkpoint) and `v4eval init-random`
 * (a random-weight checkpoint in the official layout): argument parsing only; the work is
 * v4_describe / v4_init_random behind engine/v4.h.
 * Bad input (usage, config, checkpoint) exits 2 with one line on stderr; I/O failures exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/v4.h"
#include "harness/cli.h"

static int info_usage(const char *why) {
    fprintf(stderr, "v4eval info: %s (usage: v4eval info --model DIR | --config FILE)\n", why);
    return 2;
}

int cli_info(int argc, char **argv) {
    const char *model = NULL, *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: v4eval info --model DIR | --config FILE\n"
                   "  parameters (total, activated), layer schedule, bytes per format, KV bytes\n"
                   "  per token, OpenBLAS kernel. --model validates every tensor.\n");
            return 0;
        }
        if ((!strcmp(argv[i], "--model") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            if (argv[i][2] == 'm') model = argv[++i];
            else config = argv[++i];
            continue;
        }
        int known = !strcmp(argv[i], "--model") || !strcmp(argv[i], "--config");
        char why[300];
        snprintf(why, sizeof why, "expected --model DIR or --config FILE, found '%.200s'%s",
                 argv[i], known ? " without a value" : "");
        return info_usage(why);
    }
    if (!model == !config) return info_usage("expected exactly one of --model DIR or --config FILE");
    char err[V4_ERRLEN];
    int rc = v4_describe(model, config, stdout, err, sizeof err);
    if (rc) fprintf(stderr, "v4eval info: %s\n", err);
    return rc;
}

static int init_usage(const char *why) {
    fprintf(stderr, "v4eval init-random: %s (usage: v4eval init-random --config FILE --out DIR "
            "[--seed S] [--tokenizer FILE] [--format bf16|fp8])\n", why);
    return 2;
}

int cli_init_random(int argc, char **argv) {
    const char *config = NULL, *out = NULL, *tok = NULL, *seed_s = "1", *fmt_s = "bf16";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: v4eval init-random --config FILE --out DIR [--seed S] "
                   "[--tokenizer FILE] [--format bf16|fp8]\n"
                   "  writes DIR/config.json, DIR/model.safetensors (official V4 layout, random\n"
                   "  weights) and DIR/tokenizer.json (a copy of --tokenizer).\n");
            return 0;
        }
        const char **slot = !strcmp(argv[i], "--config") ? &config
                          : !strcmp(argv[i], "--out") ? &out
                          : !strcmp(argv[i], "--tokenizer") ? &tok
                          : !strcmp(argv[i], "--seed") ? &seed_s
                          : !strcmp(argv[i], "--format") ? &fmt_s : NULL;
        if (!slot || i + 1 >= argc) {
            char why[300];
            snprintf(why, sizeof why, "expected an option with its value, found %s '%.200s'%s",
                     slot ? "option" : "unknown argument", argv[i], slot ? " without a value" : "");
            return init_usage(why);
        }
        *slot = argv[++i];
    }
    if (!config || !out) return init_usage("expected --config FILE and --out DIR");
    char *end = NULL;
    errno = 0;
    unsigned long long seed = strtoull(seed_s, &end, 10);
    if (errno || !*seed_s || *end || seed_s[0] == '-') {
        char why[300];
        snprintf(why, sizeof why, "--seed: expected a non-negative integer, found '%s'", seed_s);
        return init_usage(why);
    }
    char err[V4_ERRLEN];
    int rc = v4_init_random(config, out, (uint64_t)seed, fmt_s, tok, stdout, err, sizeof err);
    if (rc) fprintf(stderr, "v4eval init-random: %s\n", err);
    return rc;
}
