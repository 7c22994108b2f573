/* cli_info.c — placeholder until its owner lands it. */
#include <stdio.h>
#include "harness/cli.h"
int cli_info(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_init_random(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
