/*
 * text_buf.c — growable byte buffer (see text_buf.h). Capacity doubles; the buffer stays
 * NUL-terminated after every append.
 */
#include "engine/text_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tb_reserve(text_buf *b, size_t extra) {
    if (b->oom) return 0;
    if (b->n + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1) {
        if (cap > ((size_t)-1) / 2) { b->oom = 1; return 0; }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = 1; return 0; }
    b->p = p;
    b->cap = cap;
    return 1;
}

void tb_put(text_buf *b, const char *s, size_t n) {
    if (!tb_reserve(b, n)) return;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void tb_puts(text_buf *b, const char *s) { tb_put(b, s, strlen(s)); }

void tb_putc(text_buf *b, char c) { tb_put(b, &c, 1); }

void tb_printf(text_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) { b->oom = 1; return; }
    if ((size_t)k < sizeof tmp) { tb_put(b, tmp, (size_t)k); return; }
    if (!tb_reserve(b, (size_t)k)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

char *tb_take(text_buf *b) {
    if (b->oom) { tb_free(b); return NULL; }
    if (!b->p) {                          /* nothing appended yet: an empty string */
        if (!tb_reserve(b, 0)) return NULL;
        b->p[0] = 0;
    }
    char *p = b->p;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

void tb_free(text_buf *b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->oom = 0;
}
