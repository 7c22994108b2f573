/* cli_engine.c — placeholder until its owner lands it. */
#include <stdio.h>
#include "harness/cli.h"
int cli_logits(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_generate(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
