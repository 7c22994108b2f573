/*
 * toolcall.c — the toolcall suite: synthetic tool-use tasks ("toolcall") and the BFCL v4
 * loader ("bfcl").
 *
 * Synthetic tasks draw from a pool of tools written for this project, each with a BFCL-style
 * function doc (JSON schema with "type": "dict") and a set of request phrasings. Categories
 * follow BFCL: simple (one tool offered, one call), multiple (several tools offered, one
 * call), parallel (one tool, several calls), parallel_multiple (several tools, several calls)
 * and irrelevance (tools offered, none applies: the right answer is no call). The prompt is the
 * user request with the tools passed to the V4 chat encoder (its TOOLS block); the target is
 * BFCL ground truth, [{"func": {"param": [allowed values]}}], where an optional parameter the
 * request does not mention gets ["", default]. meta.functions holds the BFCL docs, the sample's
 * tools the same functions as OpenAI tools, meta.reference_calls the intended calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/suite_kinds.h"

/* ---- BFCL docs → OpenAI tools ------------------------------------------------------------ */

/* convert_schema: BFCL's Python-flavoured types to JSON Schema types (dict → object,
 * float → number, tuple → array, any → string), recursively. */
static void convert_schema(cJSON *o) {
    if (!cJSON_IsObject(o)) return;
    cJSON *ty = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (cJSON_IsString(ty)) {
        const char *t = ty->valuestring, *n = NULL;
        if (!strcmp(t, "dict")) n = "object";
        else if (!strcmp(t, "float")) n = "number";
        else if (!strcmp(t, "tuple")) n = "array";
        else if (!strcmp(t, "any")) n = "string";
        if (n) cJSON_SetValuestring(ty, n);
    }
    cJSON *props = cJSON_GetObjectItemCaseSensitive(o, "properties");
    for (cJSON *p = props ? props->child : NULL; p; p = p->next) convert_schema(p);
    convert_schema(cJSON_GetObjectItemCaseSensitive(o, "items"));
}

static cJSON *functions_to_tools(const cJSON *functions) {
    cJSON *tools = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, functions) {
        cJSON *fn = cJSON_Duplicate(f, 1);
        convert_schema(cJSON_GetObjectItemCaseSensitive(fn, "parameters"));
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "type", "function");
        cJSON_AddItemToObject(t, "function", fn);
        cJSON_AddItemToArray(tools, t);
    }
    return tools;
}

/* ---- the synthetic tool pool --------------------------------------------------------------- */

static const char *const TOOL_DOCS =
    "["
    "{\"name\":\"get_weather\",\"description\":\"Get the current weather for a city.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"city\":{\"type\":\"string\",\"description\":\"Name of the city.\"},"
    "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"],\"description\":\"Temperature unit.\",\"default\":\"celsius\"}},"
    "\"required\":[\"city\"]}},"
    "{\"name\":\"convert_currency\",\"description\":\"Convert an amount of money from one currency to another.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"amount\":{\"type\":\"float\",\"description\":\"Amount to convert.\"},"
    "\"from_currency\":{\"type\":\"string\",\"description\":\"Three-letter code of the source currency.\"},"
    "\"to_currency\":{\"type\":\"string\",\"description\":\"Three-letter code of the target currency.\"}},"
    "\"required\":[\"amount\",\"from_currency\",\"to_currency\"]}},"
    "{\"name\":\"set_alarm\",\"description\":\"Set an alarm at a time of day (24-hour HH:MM).\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"time\":{\"type\":\"string\",\"description\":\"Time of day, HH:MM, 24-hour clock.\"},"
    "\"label\":{\"type\":\"string\",\"description\":\"Optional label shown with the alarm.\",\"default\":\"\"}},"
    "\"required\":[\"time\"]}},"
    "{\"name\":\"calculate_tip\",\"description\":\"Calculate the tip for a restaurant bill.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"bill_amount\":{\"type\":\"float\",\"description\":\"Total bill in dollars.\"},"
    "\"tip_percent\":{\"type\":\"integer\",\"description\":\"Tip percentage.\"},"
    "\"split\":{\"type\":\"integer\",\"description\":\"Number of people sharing the bill.\",\"default\":1}},"
    "\"required\":[\"bill_amount\",\"tip_percent\"]}},"
    "{\"name\":\"send_email\",\"description\":\"Send an email.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"to\":{\"type\":\"string\",\"description\":\"Recipient email address.\"},"
    "\"subject\":{\"type\":\"string\",\"description\":\"Subject line.\"},"
    "\"body\":{\"type\":\"string\",\"description\":\"Message text.\"}},"
    "\"required\":[\"to\",\"subject\",\"body\"]}},"
    "{\"name\":\"get_stock_price\",\"description\":\"Get the latest price of a stock.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"symbol\":{\"type\":\"string\",\"description\":\"Ticker symbol, e.g. ACME.\"},"
    "\"exchange\":{\"type\":\"string\",\"enum\":[\"NASDAQ\",\"NYSE\"],\"description\":\"Stock exchange.\",\"default\":\"NASDAQ\"}},"
    "\"required\":[\"symbol\"]}},"
    "{\"name\":\"translate_text\",\"description\":\"Translate text into another language.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"text\":{\"type\":\"string\",\"description\":\"Text to translate.\"},"
    "\"target_language\":{\"type\":\"string\",\"description\":\"Language to translate into.\"}},"
    "\"required\":[\"text\",\"target_language\"]}},"
    "{\"name\":\"book_table\",\"description\":\"Reserve a table at a restaurant.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"restaurant\":{\"type\":\"string\",\"description\":\"Restaurant name.\"},"
    "\"party_size\":{\"type\":\"integer\",\"description\":\"Number of guests.\"},"
    "\"time\":{\"type\":\"string\",\"description\":\"Time of the reservation, HH:MM.\"}},"
    "\"required\":[\"restaurant\",\"party_size\",\"time\"]}},"
    "{\"name\":\"search_flights\",\"description\":\"Search for flights between two cities on a date.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"origin\":{\"type\":\"string\",\"description\":\"Departure city.\"},"
    "\"destination\":{\"type\":\"string\",\"description\":\"Arrival city.\"},"
    "\"date\":{\"type\":\"string\",\"description\":\"Date of travel, YYYY-MM-DD.\"},"
    "\"passengers\":{\"type\":\"integer\",\"description\":\"Number of passengers.\",\"default\":1}},"
    "\"required\":[\"origin\",\"destination\",\"date\"]}},"
    "{\"name\":\"get_distance\",\"description\":\"Get the travel distance between two places.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"origin\":{\"type\":\"string\",\"description\":\"Starting place.\"},"
    "\"destination\":{\"type\":\"string\",\"description\":\"End place.\"},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"driving\",\"walking\",\"bicycling\"],\"description\":\"Travel mode.\",\"default\":\"driving\"}},"
    "\"required\":[\"origin\",\"destination\"]}},"
    "{\"name\":\"find_recipes\",\"description\":\"Find recipes that use an ingredient.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"ingredient\":{\"type\":\"string\",\"description\":\"Main ingredient.\"},"
    "\"max_minutes\":{\"type\":\"integer\",\"description\":\"Maximum preparation time in minutes.\",\"default\":60}},"
    "\"required\":[\"ingredient\"]}},"
    "{\"name\":\"create_reminder\",\"description\":\"Create a reminder for a date.\","
    "\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"text\":{\"type\":\"string\",\"description\":\"What to be reminded of.\"},"
    "\"date\":{\"type\":\"string\",\"description\":\"Date, YYYY-MM-DD.\"}},"
    "\"required\":[\"text\",\"date\"]}}"
    "]";

enum { N_TOOLS = 12 };

static const char *const CITIES[] = {"Paris", "Tokyo", "Nairobi", "Lima", "Oslo", "Cairo",
                                     "Toronto", "Madrid", "Hanoi", "Sydney", "Berlin", "Quito",
                                     "Seoul", "Dublin", "Mumbai", NULL};
static const char *const CURR[] = {"USD", "EUR", "JPY", "GBP", "CHF", "CAD", "INR", "BRL", NULL};
static const char *const LABELS[] = {"gym", "meeting", "medicine", "call mom", "laundry",
                                     "standup", NULL};
static const char *const PEOPLE[] = {"alice", "bruno", "chen", "dana", "emeka", "fatima",
                                     "gustav", "hana", NULL};
static const char *const SUBJECTS[] = {"Quarterly report", "Lunch on Friday", "Project update",
                                       "Travel plans", "Invoice 42", NULL};
static const char *const BODIES[] = {"The draft is ready for review.", "Can we meet at noon?",
                                     "I will be late today.", "Thanks for your help!",
                                     "Please send the files.", NULL};
static const char *const SYMBOLS[] = {"ACME", "GLOBX", "INITECH", "UMBR", "STARK", "WAYNE",
                                      "TYRELL", NULL};
static const char *const PHRASES[] = {"Good morning", "Where is the train station?",
                                      "Thank you very much", "The meeting starts at nine",
                                      "I would like a coffee", NULL};
static const char *const LANGS[] = {"French", "Spanish", "German", "Japanese", "Swahili",
                                    "Italian", NULL};
static const char *const RESTAURANTS[] = {"Blue Fig", "Casa Luna", "The Copper Pot",
                                          "Sakura House", "Green Table", NULL};
static const char *const INGREDIENTS[] = {"chickpeas", "salmon", "mushrooms", "spinach",
                                          "lentils", "tofu", "eggplant", NULL};
static const char *const TASKS_TXT[] = {"renew the passport", "pay the rent", "water the plants",
                                        "buy a birthday gift", "book a dentist visit", NULL};
static const char *const MODES[] = {"driving", "walking", "bicycling", NULL};
static const char *const IRRELEVANT[] = {
    "Who wrote the novel Pride and Prejudice?",
    "What is the capital of Australia?",
    "Can you explain what photosynthesis is in one sentence?",
    "Tell me a short joke about cats.",
    "What is the boiling point of water at sea level in Celsius?",
    "How many legs does a spider have?",
    "Write a haiku about autumn leaves.",
    "What does the word 'ephemeral' mean?",
    "Which planet is known as the Red Planet?",
    "Summarize the plot of Romeo and Juliet in two sentences.",
    NULL};

static int nl(const char *const *a) { int n = 0; while (a[n]) n++; return n; }
static const char *pick(srng *r, const char *const *a) { return a[srng_below(r, (uint64_t)nl(a))]; }

/* one call: request text, BFCL ground-truth entry, reference call {name, arguments} */
typedef struct {
    sbuf req;
    cJSON *gt;    /* {"name": {"param": [values]}} */
    cJSON *call;  /* {"name": …, "arguments": {…}} */
} tc_call;

static void gt_str(cJSON *params, cJSON *args, const char *key, const char *v) {
    cJSON *a = cJSON_AddArrayToObject(params, key);
    cJSON_AddItemToArray(a, cJSON_CreateString(v));
    cJSON_AddStringToObject(args, key, v);
}
static void gt_num(cJSON *params, cJSON *args, const char *key, double v) {
    cJSON *a = cJSON_AddArrayToObject(params, key);
    cJSON_AddItemToArray(a, cJSON_CreateNumber(v));
    cJSON_AddNumberToObject(args, key, v);
}
/* optional parameter not mentioned: "" (may be omitted) or its default */
static void gt_opt_str(cJSON *params, const char *key, const char *def) {
    cJSON *a = cJSON_AddArrayToObject(params, key);
    cJSON_AddItemToArray(a, cJSON_CreateString(""));
    if (def && *def) cJSON_AddItemToArray(a, cJSON_CreateString(def));
}
static void gt_opt_num(cJSON *params, const char *key, double def) {
    cJSON *a = cJSON_AddArrayToObject(params, key);
    cJSON_AddItemToArray(a, cJSON_CreateString(""));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(def));
}

static const char *const TOOL_NAMES[N_TOOLS] = {
    "get_weather", "convert_currency", "set_alarm", "calculate_tip", "send_email",
    "get_stock_price", "translate_text", "book_table", "search_flights", "get_distance",
    "find_recipes", "create_reminder"};

/* make_call: a request for tool `tool` with random arguments. */
static void make_call(srng *r, int tool, tc_call *c) {
    memset(c, 0, sizeof *c);
    cJSON *params = cJSON_CreateObject(), *args = cJSON_CreateObject();
    int opt = (int)srng_below(r, 2); /* mention the optional parameter? */
    char buf[64];
    switch (tool) {
    case 0: {
        const char *city = pick(r, CITIES);
        gt_str(params, args, "city", city);
        if (opt) {
            const char *u = srng_below(r, 2) ? "celsius" : "fahrenheit";
            gt_str(params, args, "unit", u);
            sbuf_printf(&c->req, "What is the weather in %s right now, in %s?", city, u);
        } else {
            gt_opt_str(params, "unit", "celsius");
            sbuf_printf(&c->req, "What's the weather like in %s today?", city);
        }
        break;
    }
    case 1: {
        int amt = (int)srng_range(r, 5, 5000);
        const char *f = pick(r, CURR), *t;
        do t = pick(r, CURR); while (!strcmp(t, f));
        gt_num(params, args, "amount", (double)amt);
        gt_str(params, args, "from_currency", f);
        gt_str(params, args, "to_currency", t);
        sbuf_printf(&c->req, "How much is %d %s in %s?", amt, f, t);
        break;
    }
    case 2: {
        snprintf(buf, sizeof buf, "%02d:%02d", (int)srng_range(r, 5, 22), (int)srng_below(r, 12) * 5);
        gt_str(params, args, "time", buf);
        if (opt) {
            const char *l = pick(r, LABELS);
            gt_str(params, args, "label", l);
            sbuf_printf(&c->req, "Set an alarm for %s labeled \"%s\".", buf, l);
        } else {
            gt_opt_str(params, "label", NULL);
            sbuf_printf(&c->req, "Please wake me up at %s.", buf);
        }
        break;
    }
    case 3: {
        int bill = (int)srng_range(r, 12, 400), pct = (int)(10 + 5 * srng_below(r, 3));
        gt_num(params, args, "bill_amount", (double)bill);
        gt_num(params, args, "tip_percent", pct);
        if (opt) {
            int n = (int)srng_range(r, 2, 6);
            gt_num(params, args, "split", n);
            sbuf_printf(&c->req, "We are %d people sharing a bill of $%d. What is a %d%% tip?", n,
                        bill, pct);
        } else {
            gt_opt_num(params, "split", 1);
            sbuf_printf(&c->req, "What tip should I leave on a $%d bill at %d%%?", bill, pct);
        }
        break;
    }
    case 4: {
        snprintf(buf, sizeof buf, "%s@example.com", pick(r, PEOPLE));
        const char *sub = pick(r, SUBJECTS), *body = pick(r, BODIES);
        gt_str(params, args, "to", buf);
        gt_str(params, args, "subject", sub);
        gt_str(params, args, "body", body);
        sbuf_printf(&c->req, "Email %s with the subject \"%s\" and the message \"%s\"", buf, sub, body);
        break;
    }
    case 5: {
        const char *sym = pick(r, SYMBOLS);
        gt_str(params, args, "symbol", sym);
        if (opt) {
            const char *ex = srng_below(r, 2) ? "NYSE" : "NASDAQ";
            gt_str(params, args, "exchange", ex);
            sbuf_printf(&c->req, "What is %s trading at on the %s?", sym, ex);
        } else {
            gt_opt_str(params, "exchange", "NASDAQ");
            sbuf_printf(&c->req, "Give me the latest stock price of %s.", sym);
        }
        break;
    }
    case 6: {
        const char *ph = pick(r, PHRASES), *lg = pick(r, LANGS);
        gt_str(params, args, "text", ph);
        gt_str(params, args, "target_language", lg);
        sbuf_printf(&c->req, "Translate \"%s\" into %s.", ph, lg);
        break;
    }
    case 7: {
        const char *rs = pick(r, RESTAURANTS);
        int n = (int)srng_range(r, 2, 10);
        snprintf(buf, sizeof buf, "%02d:%02d", (int)srng_range(r, 17, 21), srng_below(r, 2) ? 30 : 0);
        gt_str(params, args, "restaurant", rs);
        gt_num(params, args, "party_size", n);
        gt_str(params, args, "time", buf);
        sbuf_printf(&c->req, "Book a table for %d at %s at %s.", n, rs, buf);
        break;
    }
    case 8: {
        const char *o = pick(r, CITIES), *d;
        do d = pick(r, CITIES); while (!strcmp(d, o));
        snprintf(buf, sizeof buf, "2026-%02d-%02d", (int)srng_range(r, 1, 12), (int)srng_range(r, 1, 28));
        gt_str(params, args, "origin", o);
        gt_str(params, args, "destination", d);
        gt_str(params, args, "date", buf);
        if (opt) {
            int n = (int)srng_range(r, 2, 5);
            gt_num(params, args, "passengers", n);
            sbuf_printf(&c->req, "Find flights from %s to %s on %s for %d passengers.", o, d, buf, n);
        } else {
            gt_opt_num(params, "passengers", 1);
            sbuf_printf(&c->req, "Are there flights from %s to %s on %s?", o, d, buf);
        }
        break;
    }
    case 9: {
        const char *o = pick(r, CITIES), *d;
        do d = pick(r, CITIES); while (!strcmp(d, o));
        gt_str(params, args, "origin", o);
        gt_str(params, args, "destination", d);
        if (opt) {
            const char *m = pick(r, MODES);
            gt_str(params, args, "mode", m);
            sbuf_printf(&c->req, "How far is it from %s to %s when %s?", o, d, m);
        } else {
            gt_opt_str(params, "mode", "driving");
            sbuf_printf(&c->req, "What is the distance between %s and %s?", o, d);
        }
        break;
    }
    case 10: {
        const char *ing = pick(r, INGREDIENTS);
        gt_str(params, args, "ingredient", ing);
        if (opt) {
            int m = (int)(15 * srng_range(r, 1, 6));
            gt_num(params, args, "max_minutes", m);
            sbuf_printf(&c->req, "Find me a recipe with %s that takes at most %d minutes.", ing, m);
        } else {
            gt_opt_num(params, "max_minutes", 60);
            sbuf_printf(&c->req, "Suggest some recipes using %s.", ing);
        }
        break;
    }
    default: {
        const char *tx = pick(r, TASKS_TXT);
        snprintf(buf, sizeof buf, "2026-%02d-%02d", (int)srng_range(r, 1, 12), (int)srng_range(r, 1, 28));
        gt_str(params, args, "text", tx);
        gt_str(params, args, "date", buf);
        sbuf_printf(&c->req, "Remind me to %s on %s.", tx, buf);
        break;
    }
    }
    c->gt = cJSON_CreateObject();
    cJSON_AddItemToObject(c->gt, TOOL_NAMES[tool], params);
    c->call = cJSON_CreateObject();
    cJSON_AddStringToObject(c->call, "name", TOOL_NAMES[tool]);
    cJSON_AddItemToObject(c->call, "arguments", args);
}

static const char *const CATEGORIES[] = {"simple", "multiple", "parallel", "parallel_multiple",
                                         "irrelevance", "mixed", NULL};

static int toolcall_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"category", "max_tools", NULL};
    return sv_known(where, t->params, keys, err, errlen) ||
           sv_enum(where, t->params, "category", CATEGORIES, err, errlen) ||
           sv_int(where, t->params, "max_tools", 2, N_TOOLS, err, errlen);
}

/* prompt + tools for a list of BFCL function docs and user messages */
static int tc_finish(const suite_task *t, const suite_ctx *ctx, cJSON *functions,
                     cJSON *messages, eval_sample *out, char *err, size_t errlen) {
    out->tools = functions_to_tools(functions);
    cJSON_AddItemToObject(out->meta, "functions", functions);
    int rc;
    if (strcmp(t->template_name, "chat") == 0) {
        /* the chat encoder renders the TOOLS block into the first system message */
        char *mj = cJSON_PrintUnformatted(messages), *tj = cJSON_PrintUnformatted(out->tools);
        v4_chat_opts o = v4_chat_opts_default();
        o.thinking = t->thinking;
        rc = v4_chat_encode(mj, tj, &o, &out->prompt, err, errlen);
        free(mj); free(tj);
    } else {
        /* raw: the functions as JSON, then the conversation */
        sbuf b = {0};
        char *fj = cJSON_PrintUnformatted(functions);
        sbuf_printf(&b, "You can call these functions:\n%s\n\n", fj);
        free(fj);
        const cJSON *m;
        cJSON_ArrayForEach(m, messages)
            sbuf_printf(&b, "%s: %s\n", sj_str(m, "role") ? sj_str(m, "role") : "user",
                        sj_str(m, "content") ? sj_str(m, "content") : "");
        out->prompt = sbuf_take(&b);
        rc = 0;
    }
    out->messages = messages;
    if (rc) return rc;
    return suite_sample_tokenize(ctx, out, err, errlen);
}

static int toolcall_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                         const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    char id[128];
    snprintf(id, sizeof id, "%s/%d", t->name, index);
    suite_sample_init(t, id, out);
    srng r;
    srng_init(&r, seed);
    const char *cat = sj_str(t->params, "category") ? sj_str(t->params, "category") : "mixed";
    if (!strcmp(cat, "mixed")) cat = CATEGORIES[srng_below(&r, 5)];
    int max_tools = sj_int(t->params, "max_tools", 4);
    cJSON *all = cJSON_Parse(TOOL_DOCS);
    int n_calls = 1, n_distinct = 1, n_offered = 1;
    if (!strcmp(cat, "multiple")) n_offered = (int)srng_range(&r, 2, max_tools);
    else if (!strcmp(cat, "parallel")) n_calls = (int)srng_range(&r, 2, 3);
    else if (!strcmp(cat, "parallel_multiple")) {
        n_calls = n_distinct = (int)srng_range(&r, 2, 3);
        n_offered = (int)srng_range(&r, n_distinct, max_tools > n_distinct ? max_tools : n_distinct);
    } else if (!strcmp(cat, "irrelevance")) {
        n_calls = 0;
        n_offered = (int)srng_range(&r, 1, 3);
    }
    int order[N_TOOLS];
    srng_sample(&r, N_TOOLS, N_TOOLS, order);
    /* offered tools: the called ones first, then distractors; presented in random order */
    int offered[N_TOOLS];
    for (int i = 0; i < n_offered; i++) offered[i] = order[i];
    srng_shuffle_int(&r, offered, n_offered);
    cJSON *functions = cJSON_CreateArray();
    for (int i = 0; i < n_offered; i++)
        cJSON_AddItemToArray(functions, cJSON_Duplicate(cJSON_GetArrayItem(all, offered[i]), 1));
    cJSON_Delete(all);
    out->target = cJSON_CreateArray();
    cJSON *calls = cJSON_CreateArray();
    sbuf req = {0};
    if (n_calls == 0) {
        sbuf_puts(&req, pick(&r, IRRELEVANT));
        free(out->scorer);
        out->scorer = sdup("toolcall_irrelevance");
    } else {
        static const char *const ORD[] = {"First", "Second", "Third"};
        for (int k = 0; k < n_calls; k++) {
            int tool = !strcmp(cat, "parallel") ? order[0] : order[k % n_distinct];
            tc_call c;
            /* parallel calls of one tool must differ */
            for (int tries = 0; tries < 20; tries++) {
                make_call(&r, tool, &c);
                int dup = 0;
                const cJSON *prev;
                cJSON_ArrayForEach(prev, calls) {
                    char *a = cJSON_PrintUnformatted(prev), *b = cJSON_PrintUnformatted(c.call);
                    dup |= strcmp(a, b) == 0;
                    free(a); free(b);
                }
                if (!dup) break;
                sbuf_free(&c.req); cJSON_Delete(c.gt); cJSON_Delete(c.call);
            }
            if (n_calls > 1) sbuf_printf(&req, "%s%s, %c%s", k ? " " : "", ORD[k],
                                         c.req.s[0] | 0x20, c.req.s + 1);
            else sbuf_puts(&req, c.req.s);
            cJSON_AddItemToArray(out->target, c.gt);
            cJSON_AddItemToArray(calls, c.call);
            sbuf_free(&c.req);
        }
        if (n_calls > 1) {
            char *body = sbuf_take(&req);
            sbuf_printf(&req, "I have %d requests. %s", n_calls, body);
            free(body);
        }
    }
    cJSON_AddStringToObject(out->meta, "category", cat);
    cJSON_AddItemToObject(out->meta, "reference_calls", calls);
    if (n_calls) {
        /* the reference completion in DSML (what the model should emit) */
        cJSON *oc = cJSON_CreateArray();
        const cJSON *c;
        cJSON_ArrayForEach(c, calls) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", sj_str(c, "name"));
            char *aj = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "arguments"));
            cJSON_AddStringToObject(o, "arguments", aj);
            free(aj);
            cJSON_AddItemToArray(oc, o);
        }
        char *cj = cJSON_PrintUnformatted(oc), *dsml = NULL;
        char e2[V4_ERRLEN];
        if (v4_dsml_render(cj, &dsml, e2, sizeof e2) == 0) {
            cJSON_AddStringToObject(out->meta, "reference", dsml);
            free(dsml);
        }
        free(cj);
        cJSON_Delete(oc);
    } else if (!n_calls) {
        cJSON_AddStringToObject(out->meta, "reference",
                                "None of the available tools can help with this request.");
    }
    cJSON *msgs = cJSON_CreateArray();
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", req.s);
    cJSON_AddItemToArray(msgs, m);
    sbuf_free(&req);
    return tc_finish(t, ctx, functions, msgs, out, err, errlen);
}

/* The generation budget must hold the longest reference and its end of turn: a three-call
 * parallel answer is up to ~280 tokens with the shipped tokenizer (digits in pairs), so 256
 * made 16 % of tool_parallel unanswerable (tests/test_suites_toolcall.c checks every
 * reference against it). A model that ends its turn stops there; only runaways pay. */
#define TC_MAX_NEW_TOKENS 512

const suite_kind suite_kind_toolcall = {
    .name = "toolcall", .scorer = "toolcall_ast", .template_name = "chat",
    .max_new_tokens = TC_MAX_NEW_TOKENS,
    .validate = toolcall_validate, .make = toolcall_make};

/* ---- BFCL v4 loader ------------------------------------------------------------------------ */

static const char *const BFCL_CATS[] = {"simple", "multiple", "parallel", "parallel_multiple",
                                        "irrelevance", NULL};

static int bfcl_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"category", "answers", NULL};
    if (sv_known(where, t->params, keys, err, errlen) ||
        sv_enum(where, t->params, "category", BFCL_CATS, err, errlen))
        return 1;
    if (!sj_str(t->params, "category")) {
        snprintf(err, errlen, "%s: params.category: expected one of simple, multiple, parallel, "
                 "parallel_multiple, irrelevance, found nothing", where);
        return 1;
    }
    return 0;
}

static int bfcl_prepare(suite_task *t, suite_task_cache *c, char *err, size_t errlen) {
    /* BFCL's Java and JavaScript categories pass every value as a string and check it with
     * their own type converters: the Python rules here would score them wrongly */
    const char *base = strrchr(t->data_path, '/');
    base = base ? base + 1 : t->data_path;
    if (strstr(base, "_java") || strstr(base, "_javascript")) {
        snprintf(err, errlen, "%s: BFCL's Java/JavaScript categories are not supported (their "
                 "values are checked with Java/JS type converters); use the Python files "
                 "(simple_python, multiple, parallel, parallel_multiple, irrelevance)", t->data_path);
        return 1;
    }
    if (suite_lines_load(t->data_path, &c->data, err, errlen)) return 1;
    if (!strcmp(sj_str(t->params, "category"), "irrelevance")) return 0;
    /* answers: params.answers, else possible_answer/<same name> next to the questions */
    char path[4096];
    const char *ans = sj_str(t->params, "answers");
    if (ans) {
        snprintf(path, sizeof path, "%s", ans);
    } else {
        const char *slash = strrchr(t->data_path, '/');
        int dl = slash ? (int)(slash - t->data_path) : 0;
        snprintf(path, sizeof path, "%.*s%spossible_answer/%s", dl, t->data_path, slash ? "/" : "",
                 slash ? slash + 1 : t->data_path);
    }
    if (suite_lines_load(path, &c->answers, err, errlen)) return 1;
    c->answer_index = cJSON_CreateObject();
    for (int i = 0; i < c->answers.n; i++) {
        cJSON *row = suite_lines_parse(&c->answers, i, err, errlen);
        if (!row) return 1;
        const char *id = sj_str(row, "id");
        cJSON *gt = cJSON_GetObjectItemCaseSensitive(row, "ground_truth");
        if (!id || !cJSON_IsArray(gt)) {
            snprintf(err, errlen, "%s:%d: expected fields \"id\" (string) and \"ground_truth\" "
                     "(array), found %s", c->answers.path, c->answers.lineno[i],
                     !id ? "no id" : "no ground_truth array");
            cJSON_Delete(row);
            return 1;
        }
        cJSON_AddItemToObject(c->answer_index, id, cJSON_DetachItemViaPointer(row, gt));
        cJSON_Delete(row);
    }
    return 0;
}

static int bfcl_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                     const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s; (void)seed;
    const suite_task_cache *c = t->cache;
    const suite_lines *l = &c->data;
    cJSON *row = suite_lines_parse(l, index, err, errlen);
    const char *id = row ? sj_str(row, "id") : NULL;
    char fallback[64];
    snprintf(fallback, sizeof fallback, "%s/%d", t->name, l->lineno[index] - 1);
    suite_sample_init(t, id ? id : fallback, out);
    if (!row) return 1;
    int rc = 1;
    const char *cat = sj_str(t->params, "category");
    cJSON *q = cJSON_GetObjectItemCaseSensitive(row, "question");
    cJSON *fn = cJSON_GetObjectItemCaseSensitive(row, "function");
    /* question: a list of turns, each a list of messages (v3/v4); take the first turn */
    cJSON *turn = cJSON_IsArray(q) ? cJSON_GetArrayItem(q, 0) : NULL;
    if (turn && cJSON_IsObject(turn)) turn = q; /* older files: a flat list of messages */
    if (!id) {
        snprintf(err, errlen, "%s:%d: field \"id\": expected a string, found %s", l->path,
                 l->lineno[index], sv_type_name(cJSON_GetObjectItemCaseSensitive(row, "id")));
    } else if (!cJSON_IsArray(turn) || !cJSON_GetArraySize(turn)) {
        snprintf(err, errlen, "%s:%d: field \"question\": expected a list of turns of messages, "
                 "found %s", l->path, l->lineno[index], sv_type_name(q));
    } else if (!cJSON_IsArray(fn) && !cJSON_IsObject(fn)) {
        snprintf(err, errlen, "%s:%d: field \"function\": expected a list of function docs, "
                 "found %s", l->path, l->lineno[index], sv_type_name(fn));
    } else {
        cJSON *functions = cJSON_IsArray(fn) ? cJSON_Duplicate(fn, 1) : cJSON_CreateArray();
        if (cJSON_IsObject(fn)) cJSON_AddItemToArray(functions, cJSON_Duplicate(fn, 1));
        if (!strcmp(cat, "irrelevance")) {
            out->target = cJSON_CreateArray();
            free(out->scorer);
            out->scorer = sdup("toolcall_irrelevance");
        } else {
            const cJSON *gt = cJSON_GetObjectItemCaseSensitive(c->answer_index, id);
            if (gt) out->target = cJSON_Duplicate(gt, 1);
        }
        if (!out->target) {
            snprintf(err, errlen, "%s:%d: id \"%s\" has no ground truth in %s", l->path,
                     l->lineno[index], id, c->answers.path);
            cJSON_Delete(functions);
        } else {
            cJSON_AddStringToObject(out->meta, "category", cat);
            rc = tc_finish(t, ctx, functions, cJSON_Duplicate(turn, 1), out, err, errlen);
        }
    }
    cJSON_Delete(row);
    return rc;
}

const suite_kind suite_kind_bfcl = {
    .name = "bfcl", .loader = 1, .default_data = "data/bfcl/BFCL_v4_simple_python.json",
    .scorer = "toolcall_ast", .template_name = "chat", .max_new_tokens = TC_MAX_NEW_TOKENS,
    .validate = bfcl_validate, .prepare = bfcl_prepare, .make = bfcl_make};
