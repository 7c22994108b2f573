/*
 * text_buf.h — a growable byte buffer for the text layer (tokenizer, chat encoder, DSML).
 *
 * Invariant: p is always NUL-terminated when non-NULL (n excludes the NUL), so a finished
 * buffer can be handed out as a C string. An allocation failure sets oom and turns every later
 * append into a no-op; callers check oom once at the end instead of after every append.
 */
#ifndef V4_TEXT_BUF_H
#define V4_TEXT_BUF_H

#include <stddef.h>

typedef struct {
    char *p;     /* [cap] bytes, p[n] == 0 */
    size_t n;
    size_t cap;
    int oom;
} text_buf;

/* tb_put: appends n bytes of s (s may contain NULs). */
void tb_put(text_buf *b, const char *s, size_t n);
/* tb_puts: appends the C string s. */
void tb_puts(text_buf *b, const char *s);
/* tb_putc: appends one byte. */
void tb_putc(text_buf *b, char c);
/* tb_printf: appends printf-formatted text. */
void tb_printf(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* tb_take: returns the malloc'ed NUL-terminated string (never NULL unless oom) and resets b;
 * NULL (and b freed) when an allocation failed. */
char *tb_take(text_buf *b);
/* tb_free: releases the buffer. */
void tb_free(text_buf *b);

#endif /* V4_TEXT_BUF_H */
