/*
 * cli.h — the subcommands of bin/v4eval. Each takes the argv after the subcommand name
 * (argv[0] is the subcommand) and returns the process exit code: 0 success, 1 runtime failure,
 * 2 bad input or usage (with one clear line on stderr).
 */
#ifndef V4_CLI_H
#define V4_CLI_H

int cli_info(int argc, char **argv);            /* harness/cli_info.c    */
int cli_init_random(int argc, char **argv);     /* harness/cli_info.c    */
int cli_logits(int argc, char **argv);          /* harness/cli_engine.c  */
int cli_generate(int argc, char **argv);        /* harness/cli_engine.c  */
int cli_tokenize(int argc, char **argv);        /* harness/cli_text.c    */
int cli_detokenize(int argc, char **argv);      /* harness/cli_text.c    */
int cli_chat_encode(int argc, char **argv);     /* harness/cli_text.c    */
int cli_parse_toolcalls(int argc, char **argv); /* harness/cli_text.c    */
int cli_run(int argc, char **argv);             /* harness/cli_run.c     */
int cli_compare(int argc, char **argv);         /* harness/compare.c     */
int cli_report(int argc, char **argv);          /* harness/report.c      */
int cli_gen_train(int, char **);                /* harness/cli_gen.c     */
int cli_bench(int argc, char **argv);           /* harness/cli_bench.c   */

#endif /* V4_CLI_H */
