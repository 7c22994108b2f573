/* cli_text.c — placeholder until its owner lands it. */
#include <stdio.h>
#include "harness/cli.h"
int cli_tokenize(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_detokenize(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_chat_encode(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
int cli_parse_toolcalls(int argc, char **argv) { (void)argc; fprintf(stderr, "v4eval %s: not built yet\n", argv[0]); return 2; }
