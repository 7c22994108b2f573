/*
 * chat.c — DeepSeek-V4 chat encoding (v4_chat_encode): OpenAI-style messages to the exact
 * prompt string of the official encoder (encode_messages), spec §14.2 and §14.5.
 *
 * Stages, each mirroring the reference:
 *   1. merge: OpenAI "tool" messages become <tool_result> blocks of a user turn; a tool result
 *      or a plain user message that follows a user turn (without a task) joins it; every user
 *      turn is a list of blocks (text or tool result);
 *   2. order: inside a user turn, tool-result blocks are stably re-sorted by the position of
 *      their tool_call_id in the most recent assistant's tool_calls (unknown id = 0); text
 *      blocks keep their slots;
 *   3. drop-thinking: active in thinking mode when drop_thinking is on and no message (after
 *      merging) defines tools; it removes developer messages before the last user/developer
 *      message and the reasoning of assistant messages before it;
 *   4. render each message and the transition after it (<｜Assistant｜> + <think>/</think>).
 * JSON embedded in the prompt (tool schemas, response formats, non-string arguments) is
 * written exactly like Python's json.dumps(ensure_ascii=False) (engine/text_json.h).
 * Inputs the official encoder crashes on (user content null, developer without content,
 * arguments that decode to a non-object, unknown roles or tasks) are errors here. One extension:
 * OpenAI content given as a list of parts (the official encoder accepts lists only in tool
 * messages) is flattened for every role by the official tool-content rule — text parts joined
 * with "\n\n", any other part rendered "[Unsupported <type>]" — before stage 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/dsml.h"
#include "engine/text_json.h"
#include "engine/v4.h"

#define USER_TOKEN "<｜User｜>"
#define ASSISTANT_TOKEN "<｜Assistant｜>"
#define REMINDER_TOKEN "<｜latest_reminder｜>"

static const char REASONING_EFFORT_MAX[] =
    "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
    "You MUST be very thorough in your thinking and comprehensively decompose the problem to resolve "
    "the root cause, rigorously stress-testing your logic against all potential paths, edge cases, "
    "and adversarial scenarios.\n"
    "Explicitly write out your entire deliberation process, documenting every intermediate step, "
    "considered alternative, and rejected hypothesis to ensure absolutely no assumption is left "
    "unchecked.\n\n";

static const char TOOLS_HEAD[] =
    "## Tools\n\n"
    "You have access to a set of tools to help answer the user's question. You can invoke tools by "
    "writing a \"<" DSML_TOKEN "tool_calls>\" block like the following:\n\n"
    "<" DSML_TOKEN "tool_calls>\n"
    "<" DSML_TOKEN "invoke name=\"$TOOL_NAME\">\n"
    "<" DSML_TOKEN "parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</" DSML_TOKEN "parameter>\n"
    "...\n"
    "</" DSML_TOKEN "invoke>\n"
    "<" DSML_TOKEN "invoke name=\"$TOOL_NAME2\">\n"
    "...\n"
    "</" DSML_TOKEN "invoke>\n"
    "</" DSML_TOKEN "tool_calls>\n\n"
    "String parameters should be specified as is and set `string=\"true\"`. For all other types "
    "(numbers, booleans, arrays, objects), pass the value in JSON format and set `string=\"false\"`.\n\n"
    "If thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning "
    "inside <think>...</think> BEFORE any tool calls or final response.\n\n"
    "Otherwise, output directly after </think> with tool calls or final response.\n\n"
    "### Available Tool Schemas\n\n";

static const char TOOLS_TAIL[] =
    "\n\nYou MUST strictly follow the above defined tool name and parameter schemas to invoke tool calls.\n";

static const char RESPONSE_FORMAT_HEAD[] =
    "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";

static const struct { const char *task, *token; } TASKS[] = {
    {"action", "<｜action｜>"}, {"query", "<｜query｜>"}, {"authority", "<｜authority｜>"},
    {"domain", "<｜domain｜>"}, {"title", "<｜title｜>"}, {"read_url", "<｜read_url｜>"}, {NULL, NULL}};

v4_chat_opts v4_chat_opts_default(void) {
    v4_chat_opts o = {0, 1, NULL};
    return o;
}

/* ---------------------------------------------------------------------------------------------
 * Internal message list
 * ------------------------------------------------------------------------------------------- */

enum { BLOCK_TEXT, BLOCK_TOOL_RESULT };

typedef struct {
    int type;
    const cJSON *value;   /* text: the user content; tool result: the tool message's content */
    const char *call_id;  /* tool result: tool_call_id ("" if absent) */
    int order;            /* sort key */
    int src;              /* original message index, for errors */
} chat_block;

typedef struct {
    const char *role;
    const cJSON *msg;      /* the source message (NULL for a turn built from tool messages) */
    chat_block *blocks;    /* user turns only */
    int n_blocks, cap_blocks;
    int src;               /* original index of the first source message */
    int drop_reasoning;    /* assistant before the last user when dropping thinking */
    const cJSON *task;     /* "task" field (NULL when absent or null) */
} chat_msg;

typedef struct {
    chat_msg *m;
    int n, cap;
    char *err;
    size_t errlen;
} chat_list;

/* Python truthiness of a JSON value (absent = falsy). */
static int truthy(const cJSON *v) {
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v)) return 0;
    if (cJSON_IsNumber(v)) return v->valuedouble != 0;
    if (cJSON_IsString(v)) return v->valuestring[0] != 0;
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) return v->child != NULL;
    return 1;
}

static const cJSON *field(const cJSON *msg, const char *key) {
    return msg ? cJSON_GetObjectItemCaseSensitive(msg, key) : NULL;
}

static chat_msg *list_push(chat_list *l, const char *role, const cJSON *msg, int src) {
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        chat_msg *p = realloc(l->m, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        l->m = p;
        l->cap = cap;
    }
    chat_msg *m = &l->m[l->n++];
    memset(m, 0, sizeof *m);
    m->role = role;
    m->msg = msg;
    m->src = src;
    const cJSON *task = field(msg, "task");
    m->task = task && !cJSON_IsNull(task) ? task : NULL;
    return m;
}

static int block_push(chat_msg *m, chat_block b) {
    if (m->n_blocks == m->cap_blocks) {
        int cap = m->cap_blocks ? m->cap_blocks * 2 : 4;
        chat_block *p = realloc(m->blocks, (size_t)cap * sizeof *p);
        if (!p) return 0;
        m->blocks = p;
        m->cap_blocks = cap;
    }
    m->blocks[m->n_blocks++] = b;
    return 1;
}

static void list_free(chat_list *l) {
    for (int i = 0; i < l->n; i++) free(l->m[i].blocks);
    free(l->m);
}

/* Stage 1: merge tool messages and consecutive user messages into user turns. */
static int merge_messages(const cJSON *msgs, chat_list *l) {
    int i = 0;
    for (const cJSON *msg = msgs->child; msg; msg = msg->next, i++) {
        if (!cJSON_IsObject(msg)) { tj_errf(l->err, l->errlen, "messages[%d]: expected an object, found %s", i, tj_type_name(msg)); return 0; }
        const cJSON *role = field(msg, "role");
        if (!cJSON_IsString(role)) { tj_errf(l->err, l->errlen, "messages[%d].role: expected a string, found %s", i, tj_type_name(role)); return 0; }
        const char *r = role->valuestring;
        chat_msg *last = l->n ? &l->m[l->n - 1] : NULL;
        int last_is_user = last && !strcmp(last->role, "user");
        if (!strcmp(r, "tool")) {
            const cJSON *id = field(msg, "tool_call_id");
            chat_block b = {BLOCK_TOOL_RESULT, field(msg, "content"), cJSON_IsString(id) ? id->valuestring : "", 0, i};
            if (!last_is_user) last = list_push(l, "user", NULL, i);
            if (!last || !block_push(last, b)) { tj_errf(l->err, l->errlen, "out of memory"); return 0; }
        } else if (!strcmp(r, "user")) {
            const cJSON *content = field(msg, "content");
            if (content && !cJSON_IsString(content)) {
                tj_errf(l->err, l->errlen, "messages[%d].content: expected a string, found %s", i, tj_type_name(content));
                return 0;
            }
            chat_block b = {BLOCK_TEXT, content, "", 0, i};
            if (!(last_is_user && !last->task)) last = list_push(l, "user", msg, i);
            if (!last || !block_push(last, b)) { tj_errf(l->err, l->errlen, "out of memory"); return 0; }
        } else if (!strcmp(r, "system") || !strcmp(r, "developer") || !strcmp(r, "assistant") ||
                   !strcmp(r, "latest_reminder")) {
            if (!list_push(l, r, msg, i)) { tj_errf(l->err, l->errlen, "out of memory"); return 0; }
        } else {
            tj_errf(l->err, l->errlen, "messages[%d].role: unknown role \"%s\" (expected system, user, developer, assistant, tool or latest_reminder)", i, r);
            return 0;
        }
    }
    return 1;
}

/* Stage 2: tool results in the call order of the most recent assistant with tool calls. */
static void order_tool_results(chat_list *l) {
    const cJSON *calls = NULL;
    for (int i = 0; i < l->n; i++) {
        chat_msg *m = &l->m[i];
        if (!strcmp(m->role, "assistant")) {
            const cJSON *tc = field(m->msg, "tool_calls");
            if (truthy(tc) && cJSON_IsArray(tc)) calls = tc;
            continue;
        }
        if (strcmp(m->role, "user") != 0 || !calls) continue;
        int n_tool = 0;
        for (int b = 0; b < m->n_blocks; b++) n_tool += m->blocks[b].type == BLOCK_TOOL_RESULT;
        if (n_tool < 2) continue;
        /* order map: first non-empty id per call index; an empty map disables sorting */
        int any_id = 0;
        for (const cJSON *c = calls->child; c; c = c->next) {
            const cJSON *id = field(c, "id");
            if (!truthy(id)) id = field(field(c, "function"), "id");
            if (truthy(id)) any_id = 1;
        }
        if (!any_id) continue;
        for (int b = 0; b < m->n_blocks; b++) {
            chat_block *blk = &m->blocks[b];
            if (blk->type != BLOCK_TOOL_RESULT) continue;
            blk->order = 0;
            int idx = 0;
            for (const cJSON *c = calls->child; c; c = c->next, idx++) {
                const cJSON *id = field(c, "id");
                if (!truthy(id)) id = field(field(c, "function"), "id");
                /* later duplicates of an id win, as in a Python dict */
                if (cJSON_IsString(id) && id->valuestring[0] && !strcmp(id->valuestring, blk->call_id)) blk->order = idx;
            }
        }
        /* stable insertion sort of the tool-result blocks, written back into their slots */
        chat_block *tmp = malloc((size_t)n_tool * sizeof *tmp);
        if (!tmp) continue;
        int k = 0;
        for (int b = 0; b < m->n_blocks; b++)
            if (m->blocks[b].type == BLOCK_TOOL_RESULT) {
                chat_block x = m->blocks[b];
                int j = k++;
                while (j > 0 && tmp[j - 1].order > x.order) { tmp[j] = tmp[j - 1]; j--; }
                tmp[j] = x;
            }
        k = 0;
        for (int b = 0; b < m->n_blocks; b++)
            if (m->blocks[b].type == BLOCK_TOOL_RESULT) m->blocks[b] = tmp[k++];
        free(tmp);
    }
}

static int last_user_index(const chat_list *l) {
    for (int i = l->n - 1; i >= 0; i--)
        if (!strcmp(l->m[i].role, "user") || !strcmp(l->m[i].role, "developer")) return i;
    return -1;
}

/* Stage 3: drop developer messages and reasoning before the last user/developer message. */
static void drop_thinking(chat_list *l) {
    int last = last_user_index(l), o = 0;
    for (int i = 0; i < l->n; i++) {
        chat_msg m = l->m[i];
        const char *r = m.role;
        if (!strcmp(r, "user") || !strcmp(r, "system") || !strcmp(r, "latest_reminder") || i >= last) {
            l->m[o++] = m;
        } else if (!strcmp(r, "assistant")) {
            m.drop_reasoning = 1;
            l->m[o++] = m;
        } else {
            free(m.blocks);
        }
    }
    l->n = o;
}

/* ---------------------------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------------------------- */

/* "content or ''": a string, or nothing for a falsy value; other types are errors. */
static int put_content(const cJSON *v, const char *what, int src, text_buf *b, char *err, size_t errlen) {
    if (!truthy(v)) return 1;
    if (!cJSON_IsString(v)) {
        tj_errf(err, errlen, "messages[%d].%s: expected a string, found %s", src, what, tj_type_name(v));
        return 0;
    }
    tb_puts(b, v->valuestring);
    return 1;
}

/* Python str() of a value formatted into a template, for the fields the reference formats
 * without "or ''" (tool results, latest_reminder): null -> "None", strings as they are. */
static int put_py_str(const cJSON *v, const char *what, int src, text_buf *b, char *err, size_t errlen) {
    if (!v) return 1; /* absent: the reference's .get(key, "") */
    if (cJSON_IsNull(v)) { tb_puts(b, "None"); return 1; }
    if (cJSON_IsString(v)) { tb_puts(b, v->valuestring); return 1; }
    tj_errf(err, errlen, "messages[%d].%s: expected a string, found %s", src, what, tj_type_name(v));
    return 0;
}

static int render_tools(const cJSON *tools, int src, text_buf *b, char *err, size_t errlen) {
    if (!cJSON_IsArray(tools)) { tj_errf(err, errlen, "messages[%d].tools: expected an array, found %s", src, tj_type_name(tools)); return 0; }
    tb_puts(b, "\n\n");
    tb_puts(b, TOOLS_HEAD);
    int j = 0;
    for (const cJSON *t = tools->child; t; t = t->next, j++) {
        const cJSON *fn = field(t, "function");
        if (!cJSON_IsObject(t) || !fn) {
            tj_errf(err, errlen, "messages[%d].tools[%d].function: missing (tools use the OpenAI {\"type\": \"function\", \"function\": {...}} form)", src, j);
            return 0;
        }
        if (j) tb_putc(b, '\n');
        tj_dump(fn, b);
    }
    tb_puts(b, TOOLS_TAIL);
    return 1;
}

/* Tools and response-format blocks of a system or developer message. */
static int render_extras(const cJSON *msg, int src, text_buf *b, char *err, size_t errlen) {
    const cJSON *tools = field(msg, "tools"), *rf = field(msg, "response_format");
    if (truthy(tools) && !render_tools(tools, src, b, err, errlen)) return 0;
    if (truthy(rf)) {
        tb_puts(b, "\n\n");
        tb_puts(b, RESPONSE_FORMAT_HEAD);
        tj_dump(rf, b);
    }
    return 1;
}

static int render_user(const chat_msg *m, text_buf *b, char *err, size_t errlen) {
    tb_puts(b, USER_TOKEN);
    for (int i = 0; i < m->n_blocks; i++) {
        const chat_block *blk = &m->blocks[i];
        if (i) tb_puts(b, "\n\n");
        if (blk->type == BLOCK_TEXT) {
            if (blk->value && !put_py_str(blk->value, "content", blk->src, b, err, errlen)) return 0;
            continue;
        }
        tb_puts(b, "<tool_result>");
        const cJSON *c = blk->value;
        if (cJSON_IsArray(c)) {
            int k = 0;
            for (const cJSON *part = c->child; part; part = part->next, k++) {
                if (k) tb_puts(b, "\n\n");
                const cJSON *type = field(part, "type");
                if (cJSON_IsString(type) && !strcmp(type->valuestring, "text")) {
                    const cJSON *text = field(part, "text");
                    if (text && !put_py_str(text, "content[].text", blk->src, b, err, errlen)) return 0;
                } else {
                    tb_puts(b, "[Unsupported ");
                    if (cJSON_IsString(type)) tb_puts(b, type->valuestring);
                    else if (!type || cJSON_IsNull(type)) tb_puts(b, "None");
                    else tj_dump(type, b);
                    tb_puts(b, "]");
                }
            }
        } else if (!put_py_str(c, "content", blk->src, b, err, errlen)) {
            return 0;
        }
        tb_puts(b, "</tool_result>");
    }
    return 1;
}

static int render_assistant(const chat_list *l, int idx, const v4_chat_opts *o, int dropping,
                            int last_user, text_buf *b, char *err, size_t errlen) {
    const chat_msg *m = &l->m[idx];
    if (o->thinking && !(idx > 0 && l->m[idx - 1].task)) {
        if (!dropping || idx > last_user) {
            if (!m->drop_reasoning && !put_content(field(m->msg, "reasoning_content"), "reasoning_content", m->src, b, err, errlen)) return 0;
            tb_puts(b, DSML_THINK_CLOSE);
        }
    }
    if (!put_content(field(m->msg, "content"), "content", m->src, b, err, errlen)) return 0;
    const cJSON *tc = field(m->msg, "tool_calls");
    if (truthy(tc)) {
        char sub[V4_ERRLEN - 64];
        if (dsml_render_block(tc, b, sub, sizeof sub)) {
            tj_errf(err, errlen, "messages[%d].%s", m->src, sub);
            return 0;
        }
    }
    if (!truthy(field(m->msg, "wo_eos"))) tb_puts(b, DSML_EOS);
    return 1;
}

static int render_message(const chat_list *l, int idx, const v4_chat_opts *o, int dropping,
                          text_buf *b, char *err, size_t errlen) {
    const chat_msg *m = &l->m[idx];
    int last_user = last_user_index(l);
    if (idx == 0 && o->thinking && o->effort && !strcmp(o->effort, "max")) tb_puts(b, REASONING_EFFORT_MAX);
    const char *r = m->role;
    if (!strcmp(r, "system")) {
        if (!put_content(field(m->msg, "content"), "content", m->src, b, err, errlen)) return 0;
        if (!render_extras(m->msg, m->src, b, err, errlen)) return 0;
    } else if (!strcmp(r, "developer")) {
        const cJSON *c = field(m->msg, "content");
        if (!truthy(c) || !cJSON_IsString(c)) {
            tj_errf(err, errlen, "messages[%d].content: a developer message needs non-empty string content, found %s", m->src,
                     cJSON_IsString(c) ? "an empty string" : tj_type_name(c));
            return 0;
        }
        tb_puts(b, USER_TOKEN);
        tb_puts(b, c->valuestring);
        if (!render_extras(m->msg, m->src, b, err, errlen)) return 0;
    } else if (!strcmp(r, "user")) {
        if (!render_user(m, b, err, errlen)) return 0;
    } else if (!strcmp(r, "latest_reminder")) {
        tb_puts(b, REMINDER_TOKEN);
        const cJSON *c = field(m->msg, "content");
        if (!c) tb_puts(b, "None");
        else if (!put_py_str(c, "content", m->src, b, err, errlen)) return 0;
    } else if (!render_assistant(l, idx, o, dropping, last_user, b, err, errlen)) {
        return 0;
    }
    /* transition after the message */
    if (idx + 1 < l->n && strcmp(l->m[idx + 1].role, "assistant") != 0 &&
        strcmp(l->m[idx + 1].role, "latest_reminder") != 0)
        return 1;
    if (m->task) {
        const char *tok = NULL;
        for (int k = 0; TASKS[k].task; k++)
            if (cJSON_IsString(m->task) && !strcmp(m->task->valuestring, TASKS[k].task)) tok = TASKS[k].token;
        if (!tok) {
            tj_errf(err, errlen, "messages[%d].task: unknown task (expected action, query, authority, domain, title or read_url)", m->src);
            return 0;
        }
        if (strcmp(m->task->valuestring, "action") != 0) {
            tb_puts(b, tok);
        } else {
            tb_puts(b, ASSISTANT_TOKEN);
            tb_puts(b, o->thinking ? DSML_THINK_OPEN : DSML_THINK_CLOSE);
            tb_puts(b, tok);
        }
    } else if (!strcmp(r, "user") || !strcmp(r, "developer")) {
        tb_puts(b, ASSISTANT_TOKEN);
        int open = o->thinking && (!dropping || idx >= last_user);
        tb_puts(b, open ? DSML_THINK_OPEN : DSML_THINK_CLOSE);
    }
    return 1;
}

/* Replaces the list-of-parts content of every non-tool message by one string: text parts joined
 * with "\n\n", other parts as "[Unsupported <type>]" (the official rule for tool content). */
static int flatten_parts(cJSON *msgs, char *err, size_t errlen) {
    int i = 0;
    for (cJSON *m = msgs->child; m; m = m->next, i++) {
        const cJSON *r = field(m, "role");
        cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsObject(m) || !cJSON_IsArray(c) || (cJSON_IsString(r) && !strcmp(r->valuestring, "tool")))
            continue;
        text_buf b = {0};
        int k = 0;
        for (const cJSON *part = c->child; part; part = part->next, k++) {
            if (k) tb_puts(&b, "\n\n");
            const cJSON *type = field(part, "type"), *text = field(part, "text");
            if (!cJSON_IsObject(part)) {
                tj_errf(err, errlen, "messages[%d].content[%d]: expected a content part object, found %s", i, k,
                         tj_type_name(part));
                tb_free(&b);
                return 0;
            }
            if (cJSON_IsString(type) && !strcmp(type->valuestring, "text")) {
                if (text && !cJSON_IsString(text) && !cJSON_IsNull(text)) {
                    tj_errf(err, errlen, "messages[%d].content[%d].text: expected a string, found %s", i, k,
                             tj_type_name(text));
                    tb_free(&b);
                    return 0;
                }
                if (cJSON_IsString(text)) tb_puts(&b, text->valuestring);
            } else {
                tb_puts(&b, "[Unsupported ");
                if (cJSON_IsString(type)) tb_puts(&b, type->valuestring);
                else if (!type || cJSON_IsNull(type)) tb_puts(&b, "None");
                else tj_dump(type, &b);
                tb_puts(&b, "]");
            }
        }
        char *str = tb_take(&b);
        cJSON *sv = str ? cJSON_CreateString(str) : NULL;
        free(str);
        if (!sv) { tj_errf(err, errlen, "chat encode: out of memory"); return 0; }
        cJSON_ReplaceItemInObjectCaseSensitive(m, "content", sv);
    }
    return 1;
}

/* Attaches the --tools array to the first system message (creating one at the front). */
static int attach_tools(cJSON *msgs, const char *tools_json, char *err, size_t errlen) {
    size_t eo = 0;
    cJSON *tools = tj_parse(tools_json, strlen(tools_json), &eo);
    if (!tools) { tj_errf(err, errlen, "tools: invalid JSON at byte %zu", eo); return 0; }
    if (!cJSON_IsArray(tools)) { tj_errf(err, errlen, "tools: expected an array of tools, found %s", tj_type_name(tools)); cJSON_Delete(tools); return 0; }
    cJSON *sys = NULL;
    for (cJSON *m = msgs->child; m && !sys; m = m->next) {
        const cJSON *r = field(m, "role");
        if (cJSON_IsString(r) && !strcmp(r->valuestring, "system")) sys = m;
    }
    if (!sys) {
        sys = cJSON_CreateObject();
        if (!sys) { cJSON_Delete(tools); return 0; }
        cJSON_AddStringToObject(sys, "role", "system");
        cJSON_AddStringToObject(sys, "content", "");
        cJSON_InsertItemInArray(msgs, 0, sys);
    }
    cJSON *have = cJSON_GetObjectItemCaseSensitive(sys, "tools");
    if (cJSON_IsArray(have)) { /* keep the message's own tools first */
        while (tools->child) cJSON_AddItemToArray(have, cJSON_DetachItemViaPointer(tools, tools->child));
        cJSON_Delete(tools);
    } else {
        if (have) cJSON_DeleteItemFromObjectCaseSensitive(sys, "tools");
        cJSON_AddItemToObject(sys, "tools", tools);
    }
    return 1;
}

int v4_chat_encode(const char *messages_json, const char *tools_json, const v4_chat_opts *opts,
                   char **out, char *err, size_t errlen) {
    *out = NULL;
    v4_chat_opts o = opts ? *opts : v4_chat_opts_default();
    if (o.effort && strcmp(o.effort, "max") != 0 && strcmp(o.effort, "high") != 0) {
        tj_errf(err, errlen, "reasoning effort: expected \"high\" or \"max\", found \"%s\"", o.effort);
        return 2;
    }
    size_t eo = 0;
    cJSON *msgs = tj_parse(messages_json, strlen(messages_json), &eo);
    if (!msgs) {
        char path[160];
        size_t n = strlen(messages_json);
        int cut = tj_path_at(messages_json, n, path, sizeof path);
        if (!cut) tj_path_at(messages_json, eo, path, sizeof path);
        tj_errf(err, errlen, "messages: invalid JSON at byte %zu (%s) in %s", cut ? n : eo,
                 cut ? "unexpected end of input"
                     : tj_is_nul_escape(messages_json, n, eo) ? "a \\u0000 escape (NUL) in a string is not supported"
                                                               : "syntax error",
                 path);
        return 2;
    }
    if (!cJSON_IsArray(msgs)) {
        tj_errf(err, errlen, "messages: expected a JSON array of messages, found %s", tj_type_name(msgs));
        cJSON_Delete(msgs);
        return 2;
    }
    if (tools_json && !attach_tools(msgs, tools_json, err, errlen)) { cJSON_Delete(msgs); return 2; }
    if (!flatten_parts(msgs, err, errlen)) { cJSON_Delete(msgs); return 2; }
    chat_list l = {NULL, 0, 0, err, errlen};
    text_buf b = {0};
    int ok = merge_messages(msgs, &l);
    if (ok) {
        order_tool_results(&l);
        int dropping = o.drop_thinking;
        for (int i = 0; i < l.n; i++)
            if (truthy(field(l.m[i].msg, "tools")) && strcmp(l.m[i].role, "user") != 0) dropping = 0;
        if (o.thinking && dropping) drop_thinking(&l);
        tb_puts(&b, DSML_BOS);
        for (int i = 0; ok && i < l.n; i++) ok = render_message(&l, i, &o, dropping, &b, err, errlen);
    }
    list_free(&l);
    cJSON_Delete(msgs);
    if (!ok) { tb_free(&b); return 2; }
    *out = tb_take(&b);
    if (!*out) { tj_errf(err, errlen, "chat encode: out of memory"); return 1; }
    return 0;
}
