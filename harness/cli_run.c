/* cli_run.c — placeholder until its owner lands it. */
#include <stdio.h>
#include "harness/cli.h"
int cli_run(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_compare(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_report(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
