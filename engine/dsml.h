/*
 * dsml.h — engine-internal DSML helpers shared by the chat encoder (chat.c) and the public
 * v4_dsml_render / v4_dsml_parse (dsml.c). Spec §14.3 and §14.5.
 *
 * The DSML token "｜DSML｜" and the tag names around it are the exact strings of DeepSeek's
 * encoder; nothing here depends on a tokenizer.
 */
#ifndef V4_DSML_H
#define V4_DSML_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "engine/text_buf.h"

#define DSML_TOKEN "｜DSML｜"
#define DSML_BOS "<｜begin▁of▁sentence｜>"
#define DSML_EOS "<｜end▁of▁sentence｜>"
#define DSML_THINK_OPEN "<think>"
#define DSML_THINK_CLOSE "</think>"

/* dsml_render_block: appends "\n\n<｜DSML｜tool_calls>\n" + one invoke per call joined by "\n" +
 * "\n</｜DSML｜tool_calls>" (no EOS). calls is a JSON array whose items are either
 * {"name": N, "arguments": A} or OpenAI's {"type": "function", "function": {"name", "arguments"}}.
 * A is the OpenAI arguments string (json-decoded; text that is not JSON becomes one string
 * parameter named "arguments", as the official encoder does), a JSON object (used as is) or
 * null (one parameter "arguments" = null). Per top-level key: strings raw with string="true",
 * everything else json.dumps'ed with string="false". Returns 0, or non-zero with err (e.g.
 * arguments that decode to an array, a missing name). */
int dsml_render_block(const cJSON *calls, text_buf *b, char *err, size_t errlen);

#endif /* V4_DSML_H */
