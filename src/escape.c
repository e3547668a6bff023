/* escape.c - names from recordings made safe for each output: terminals, folded stacks, JSON and HTML. */
#include "escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (1..4, with *cp its code point), or 0 when s[0]
 * does not start one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut
 * short by the end of the string). */
static size_t esc_utf8(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

/* Whether code point cp is a control character (C0, DEL, C1). */
static int esc_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* The escaped form of the character at s (n bytes, code point cp; n 0 for an invalid byte) into
 * out (at least 32 bytes). Returns its length; 0 means "copy the n bytes as they are". */
static size_t esc_one(const unsigned char *s, size_t n, uint32_t cp, enum esc_mode mode, char *out)
{
    if (mode == ESC_JSON) {
        if (n == 0)
            return (size_t)snprintf(out, 32, "\\ufffd");
        switch (cp) {
        case '"':
            return (size_t)snprintf(out, 32, "\\\"");
        case '\\':
            return (size_t)snprintf(out, 32, "\\\\");
        case '<':
        case '>':
        case '&':
        case 0x2028: /* line separators: valid in JSON, not in older JavaScript */
        case 0x2029:
            return (size_t)snprintf(out, 32, "\\u%04x", (unsigned)cp);
        default:
            return esc_is_control(cp) ? (size_t)snprintf(out, 32, "\\u%04x", (unsigned)cp) : 0;
        }
    }
    if (n == 0)
        return (size_t)snprintf(out, 32, "\\x%02x", s[0]);
    if (cp == '\\')
        return (size_t)snprintf(out, 32, "\\\\");
    if (mode == ESC_FOLDED && cp == ';')
        return (size_t)snprintf(out, 32, ":");
    if (esc_is_control(cp)) {
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(out + len, 32 - len, "\\x%02x", s[i]);
        return len;
    }
    return 0;
}

int esc_append(struct hw_buf *b, const char *str, enum esc_mode mode)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->len;
    while (*s) {
        uint32_t cp = 0;
        size_t n = esc_utf8(s, &cp);
        char esc[32];
        size_t elen = esc_one(s, n, cp, mode, esc);
        int rc = elen ? hw_buf_append(b, esc, elen) : hw_buf_append(b, s, n);
        if (rc < 0) {
            b->len = start;
            return -1;
        }
        s += n ? n : 1;
    }
    return 0;
}

void esc_fputs(FILE *out, const char *str, enum esc_mode mode)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t plain = 0; /* a run of bytes that stay as they are */
        uint32_t cp = 0;
        size_t n;
        char esc[32];
        while (s[plain] && (n = esc_utf8(s + plain, &cp)) && !esc_one(s + plain, n, cp, mode, esc))
            plain += n;
        if (plain)
            fwrite(s, 1, plain, out);
        s += plain;
        if (!*s)
            break;
        n = esc_utf8(s, &cp);
        size_t elen = esc_one(s, n, cp, mode, esc);
        fwrite(esc, 1, elen, out);
        s += n ? n : 1;
    }
}

const char *esc_text(char *buf, size_t size, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len = 0;
    if (size == 0)
        return buf;
    while (*s) {
        uint32_t cp = 0;
        size_t n = esc_utf8(s, &cp);
        char esc[32];
        size_t elen = esc_one(s, n, cp, ESC_TEXT, esc);
        const void *from = elen ? (const void *)esc : (const void *)s;
        size_t k = elen ? elen : n;
        if (len + k >= size)
            break;
        memcpy(buf + len, from, k);
        len += k;
        s += n ? n : 1;
    }
    buf[len] = '\0';
    return buf;
}
