/*
 * haystack.h — the text that long-context tasks hide their needles in.
 *
 * Three sources, all deterministic:
 *   - generated essay-like prose: sentences built from this project's own word lists and
 *     sentence patterns (no copyrighted text), grouped into paragraphs;
 *   - RULER's noise line ("The grass is green. …"), repeated;
 *   - the user's own .txt files (--haystack-dir), split into sentences and cycled.
 * Plus the word lists the tasks draw keys and words from (adjective-noun keys, the cwe word
 * pool, which extends the real-word list with pronounceable made-up words so that any length
 * up to 1M tokens has enough distinct words).
 */
#ifndef V4_HAYSTACK_H
#define V4_HAYSTACK_H

#include <stddef.h>
#include "suites/suite_util.h"

/* RULER's noise sentence group (one haystack line). */
#define HS_NOISE "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."

/* Word lists (lower case). */
int hs_n_nouns(void);
const char *hs_noun(int i);
int hs_n_adjs(void);
const char *hs_adj(int i);

/* hs_pool_size_real: number of distinct real words (nouns + adjectives + verbs).
 * hs_pool_word: word i of the cwe pool, i >= 0 (real words in a fixed shuffled order first,
 * then made-up words); writes into buf (size >= 32). Distinct for distinct i. */
int hs_pool_size_real(void);
void hs_pool_word(int i, char *buf, size_t n);

/* hs_essay_sentence: one generated sentence (malloc'ed, no leading/trailing space). */
char *hs_essay_sentence(srng *r);

/* Sentences of the user's haystack directory (sorted .txt files, whitespace collapsed,
 * split after . ! ? followed by a space). */
typedef struct {
    char **sents; int n;
} hs_text;
int hs_text_load_dir(const char *dir, hs_text *out, char *err, size_t errlen);
void hs_text_free(hs_text *t);

#endif /* V4_HAYSTACK_H */
