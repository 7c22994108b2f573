/*
 * haystack.c — generated essay-like filler, word lists and the user's haystack files
 * (see haystack.h).
 *
 * The prose generator picks a sentence pattern and fills its slots (nouns, plural nouns,
 * adjectives, verbs in three forms, adverbs, prepositions, connectives, small numbers) from
 * the lists below, which were written for this project. Grammar is regular by construction:
 * the verbs and nouns listed all inflect by the regular English rules implemented here.
 */
#include "suites/haystack.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NOUNS[] = {
    "river", "garden", "window", "market", "teacher", "engine", "island", "harbor", "letter",
    "forest", "kitchen", "village", "painter", "bridge", "mountain", "lantern", "meadow",
    "farmer", "station", "library", "journey", "machine", "student", "mirror", "basket",
    "candle", "valley", "doctor", "castle", "pencil", "blanket", "orchard", "tower", "rabbit",
    "captain", "planet", "ocean", "feather", "wagon", "signal", "button", "pocket", "ladder",
    "desert", "cabin", "compass", "thread", "record", "friend", "stranger", "neighbor", "winter",
    "summer", "morning", "evening", "problem", "answer", "question", "pattern", "method",
    "theory", "lesson", "chapter", "story", "memory", "habit", "reason", "moment", "season",
    "street", "corner", "fountain", "chimney", "violin", "trumpet", "drawing", "sketch",
    "company", "factory", "office", "project", "budget", "report", "meeting", "customer",
    "product", "program", "network", "system", "detail", "surface", "shadow", "cloud", "storm",
    "stone", "meal", "bottle", "helmet", "jacket", "carpet", "kettle", "saddle", "anchor",
    "sailor", "writer", "reader", "singer", "dancer", "worker", "builder", "gardener",
    "traveler", "banker", "lawyer", "baker", "tailor", "hunter", "musician", "engineer",
    "scientist", "artist", "editor", "partner", "sister", "brother", "cousin", "uncle", "parent",
    "child", "puzzle", "ticket", "coin", "map", "road", "field", "hill", "lake", "path",
    "wall", "door", "roof", "floor", "table", "chair", "book", "paper", "picture", "song",
    "idea", "plan", "game", "rule", "tool", "seed", "tree", "flower", "bird", "horse", NULL};

static const char *const ADJS[] = {
    "quiet", "bright", "ancient", "curious", "gentle", "narrow", "steady", "hollow", "careful",
    "silver", "golden", "modest", "patient", "simple", "strange", "sudden", "tender", "humble",
    "eager", "distant", "famous", "honest", "lively", "polite", "proud", "rapid", "rare",
    "rough", "smooth", "solid", "brave", "calm", "clever", "cheerful", "clumsy", "crisp",
    "damp", "dusty", "faint", "fierce", "fragile", "fresh", "grand", "handsome", "heavy",
    "hidden", "icy", "keen", "little", "loud", "lucky", "massive", "mighty", "misty", "noble",
    "odd", "pale", "plain", "quick", "restless", "rusty", "sharp", "shiny", "silent", "sleepy",
    "slender", "soft", "sturdy", "subtle", "sweet", "swift", "tiny", "tired", "useful", "vast",
    "warm", "wild", "wise", "wooden", "young", "zealous", "bold", "broad", "busy", "cold",
    "early", "empty", "fair", "gray", "green", "late", "long", "mild", "new", "old", "open",
    "orange", "purple", "round", "scarlet", "short", NULL};

/* Regular verbs: past = base + (e)d, third person = base + s / es / ies. */
static const char *const VERBS[] = {
    "visit", "collect", "repair", "describe", "explain", "follow", "gather", "imagine", "improve",
    "invent", "measure", "notice", "observe", "paint", "protect", "question", "remember",
    "discover", "borrow", "carry", "clean", "climb", "compare", "consider", "cover", "deliver",
    "design", "finish", "guard", "help", "inspect", "join", "kick", "listen", "mention",
    "move", "open", "order", "plant", "prepare", "print", "promise", "pull", "push", "reach",
    "record", "remove", "return", "sail", "share", "study", "support", "test", "touch",
    "travel", "trust", "turn", "wander", "wash", "watch", "whisper", "wonder", "count",
    "arrange", "attach", "balance", "bake", "collect", "decorate", "enjoy", "explore", "fold",
    "greet", "hunt", "lift", "mark", "offer", "pack", "pick", "polish", "rescue", "sketch",
    "sort", "train", "unlock", "warn", "welcome", "yell", "answer", "belong", "check", NULL};

static const char *const ADVS[] = {
    "slowly", "quietly", "carefully", "often", "rarely", "suddenly", "gently", "patiently",
    "eagerly", "boldly", "calmly", "quickly", "happily", "seldom", "usually", "sometimes",
    "barely", "nearly", "openly", "proudly", NULL};
static const char *const PREPS[] = {"near", "behind", "beside", "under", "above", "across",
                                    "around", "beyond", "inside", "along", "past", "toward",
                                    NULL};
static const char *const CONNS[] = {"However", "Still", "Meanwhile", "In the end", "Later",
                                    "At first", "Of course", "In practice", "Even so",
                                    "For a while", "Afterwards", "Naturally", NULL};
static const char *const NUMS[] = {"two", "three", "four", "five", "six", "seven", "eight",
                                   "nine", "ten", "twelve", "twenty", "several", "many", NULL};

static int count(const char *const *a) {
    int n = 0;
    while (a[n]) n++;
    return n;
}

int hs_n_nouns(void) { return count(NOUNS); }
const char *hs_noun(int i) { return NOUNS[i]; }
int hs_n_adjs(void) { return count(ADJS); }
const char *hs_adj(int i) { return ADJS[i]; }

static int is_vowel(char c) { return strchr("aeiou", c) != NULL; }

static void plural(const char *w, char *out, size_t n) {
    size_t l = strlen(w);
    if (strcmp(w, "child") == 0) { snprintf(out, n, "children"); return; }
    if (l > 1 && w[l - 1] == 'y' && !is_vowel(w[l - 2]))
        snprintf(out, n, "%.*sies", (int)(l - 1), w);
    else if ((l > 0 && strchr("sxz", w[l - 1])) || (l > 1 && (w[l - 1] == 'h') &&
                                                    (w[l - 2] == 'c' || w[l - 2] == 's')))
        snprintf(out, n, "%ses", w);
    else
        snprintf(out, n, "%ss", w);
}

static void verb_past(const char *w, char *out, size_t n) {
    size_t l = strlen(w);
    if (l > 0 && w[l - 1] == 'e') snprintf(out, n, "%sd", w);
    else if (l > 1 && w[l - 1] == 'y' && !is_vowel(w[l - 2])) snprintf(out, n, "%.*sied", (int)(l - 1), w);
    else snprintf(out, n, "%sed", w);
}

static void verb_3s(const char *w, char *out, size_t n) { plural(w, out, n); }

/* ---- the cwe word pool --------------------------------------------------------------------- */

static char **g_real;     /* distinct real words, fixed shuffled order */
static int g_nreal;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void build_real(void) {
    int n = count(NOUNS) + count(ADJS) + count(VERBS);
    char **w = malloc(sizeof(char *) * (size_t)n);
    int k = 0;
    for (int i = 0; NOUNS[i]; i++) w[k++] = (char *)NOUNS[i];
    for (int i = 0; ADJS[i]; i++) w[k++] = (char *)ADJS[i];
    for (int i = 0; VERBS[i]; i++) w[k++] = (char *)VERBS[i];
    qsort(w, (size_t)k, sizeof(char *), cmp_str);
    int u = 0;
    for (int i = 0; i < k; i++)
        if (u == 0 || strcmp(w[u - 1], w[i])) w[u++] = w[i];
    /* fixed shuffle, as RULER shuffles its word list with its seed */
    srng r;
    srng_init(&r, 42);
    for (int i = u - 1; i > 0; i--) {
        int j = (int)srng_below(&r, (uint64_t)i + 1);
        char *t = w[i]; w[i] = w[j]; w[j] = t;
    }
    g_real = w;
    g_nreal = u;
}

int hs_pool_size_real(void) {
    pthread_once(&g_once, build_real);
    return g_nreal;
}

static int is_real_word(const char *s) {
    for (int i = 0; i < g_nreal; i++)
        if (strcmp(g_real[i], s) == 0) return 1;
    return 0;
}

/* made-up word j: three consonant-vowel syllables plus a closing consonant from j's digits
 * in mixed radix (16 × 5 per syllable), e.g. "bakotun". 8,000 × 8 = 64,000 words per length
 * class; larger j adds a fourth syllable. */
static void pseudo_word(long j, char *buf, size_t n) {
    static const char C[] = "bdfgklmnprstvzhj";
    static const char V[] = "aeiou";
    static const char E[] = "nlrsmkdt";
    char w[32];
    int o = 0;
    int syl = 3;
    long cap = 80L * 80 * 80 * 8;
    if (j >= cap) { j -= cap; syl = 4; }
    int end = (int)(j % 8);
    j /= 8;
    for (int s = 0; s < syl; s++) {
        int x = (int)(j % 80);
        j /= 80;
        w[o++] = C[x / 5];
        w[o++] = V[x % 5];
    }
    w[o++] = E[end];
    w[o] = 0;
    snprintf(buf, n, "%s", w);
}

void hs_pool_word(int i, char *buf, size_t n) {
    pthread_once(&g_once, build_real);
    if (i < g_nreal) { snprintf(buf, n, "%s", g_real[i]); return; }
    /* made-up words by index (a bijection on j); a made-up word that happens to be a real
     * word is replaced by one far outside the reachable index range, so words stay distinct */
    long j = i - g_nreal;
    pseudo_word(j, buf, n);
    if (is_real_word(buf)) pseudo_word(j + 100000000L, buf, n);
}

/* ---- essay sentences ----------------------------------------------------------------------- */

static const char *pick(srng *r, const char *const *a) { return a[srng_below(r, (uint64_t)count(a))]; }

/* article: "a" or "an" for the word that follows. */
static const char *art(const char *w) { return is_vowel(w[0]) ? "an" : "a"; }

char *hs_essay_sentence(srng *r) {
    char np[48], np2[48], vp[48], v3[48];
    const char *n1 = pick(r, NOUNS), *n2 = pick(r, NOUNS), *n3 = pick(r, NOUNS);
    const char *a1 = pick(r, ADJS), *a2 = pick(r, ADJS);
    const char *v1 = pick(r, VERBS), *v2 = pick(r, VERBS);
    const char *adv = pick(r, ADVS), *prep = pick(r, PREPS), *conn = pick(r, CONNS);
    const char *num = pick(r, NUMS);
    plural(n2, np, sizeof np);
    plural(n3, np2, sizeof np2);
    verb_past(v1, vp, sizeof vp);
    verb_3s(v2, v3, sizeof v3);
    sbuf b = {0};
    switch (srng_below(r, 12)) {
    case 0: sbuf_printf(&b, "The %s %s %s the %s %s the %s.", a1, n1, vp, n2, prep, n3); break;
    case 1: sbuf_printf(&b, "%s, most %s %s %s when the %s is %s.", conn, np, v2, adv, n1, a2); break;
    case 2: sbuf_printf(&b, "%s %s that %s %s will rarely %s %s %s %s.", art(n1), n1, v3, adv,
                        v1, art(a1), a1, n2);
        b.s[0] = (char)toupper((unsigned char)b.s[0]);
        break;
    case 3: sbuf_printf(&b, "We %s %s %s %s the %s %s, and each of them %s %s.", vp, num, np,
                        prep, a1, n1, v3, adv); break;
    case 4: sbuf_printf(&b, "It is %s to %s %s %s %s the %s.", a1, v2, art(n1), n1, prep, n2); break;
    case 5: sbuf_printf(&b, "%s, the %s of the %s %s more than its %s.", conn, n1, n2, v3, n3); break;
    case 6: sbuf_printf(&b, "Nobody %s how %s the %s had become.", vp, a1, n1); break;
    case 7: sbuf_printf(&b, "If you %s the %s %s, the %s will %s %s you.", v2, n1, adv, np, v1,
                        prep); break;
    case 8: sbuf_printf(&b, "There were %s %s %s %s the %s.", num, a1, np, prep, n1); break;
    case 9: sbuf_printf(&b, "Some people say the %s %s %s, but the %s tell a different story.",
                        n1, v3, adv, np2); break;
    case 10: sbuf_printf(&b, "My %s %s a %s %s last %s, and it still %s %s.", n1, vp, a1, n2,
                         pick(r, (const char *const[]){"winter", "summer", "spring", "year",
                                                       "week", NULL}), v3, adv); break;
    default: sbuf_printf(&b, "%s, the %s knew nothing about the %s %s.", conn, n1, a2, n2);
        break;
    }
    return sbuf_take(&b);
}

/* ---- user haystack directory ------------------------------------------------------------- */

int hs_text_load_dir(const char *dir, hs_text *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "--haystack-dir %s: cannot open: %s", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".txt") == 0) {
            names = realloc(names, sizeof(char *) * (size_t)(nn + 1));
            names[nn++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof(char *), cmp_str);
    sbuf all = {0};
    int rc = 0;
    for (int i = 0; i < nn && !rc; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *txt = suite_read_file(p, &len, err, errlen);
        if (!txt) { rc = 1; break; }
        /* collapse whitespace runs to one space (RULER: re.sub(r'\s+', " ", text)) */
        int sp = all.n > 0;
        for (size_t k = 0; k < len; k++) {
            unsigned char c = (unsigned char)txt[k];
            if (isspace(c) || c == 0) { sp = 1; continue; }
            if (sp && all.n) sbuf_put(&all, " ", 1);
            sp = 0;
            sbuf_put(&all, (const char *)&txt[k], 1);
        }
        free(txt);
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    free(names);
    if (!rc && all.n == 0) {
        snprintf(err, errlen, "--haystack-dir %s: expected .txt files with text, found none", dir);
        rc = 1;
    }
    if (rc) { sbuf_free(&all); return 1; }
    /* split after . ! ? followed by a space */
    int cap = 256;
    out->sents = malloc(sizeof(char *) * (size_t)cap);
    size_t start = 0;
    for (size_t k = 0; k <= all.n; k++) {
        int cut = k == all.n ||
                  ((all.s[k] == '.' || all.s[k] == '!' || all.s[k] == '?') && k + 1 < all.n &&
                   all.s[k + 1] == ' ');
        if (!cut) continue;
        size_t end = k == all.n ? k : k + 1;
        if (end > start) {
            if (out->n == cap) { cap *= 2; out->sents = realloc(out->sents, sizeof(char *) * (size_t)cap); }
            out->sents[out->n++] = strndup(all.s + start, end - start);
        }
        start = end + 1;
    }
    sbuf_free(&all);
    return 0;
}

void hs_text_free(hs_text *t) {
    for (int i = 0; i < t->n; i++) free(t->sents[i]);
    free(t->sents);
    memset(t, 0, sizeof *t);
}
