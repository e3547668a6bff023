/* escape.h - names from recordings made safe for each output: terminals, folded stacks, JSON and HTML. */
#ifndef HWPROF_ESCAPE_H
#define HWPROF_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* Function and command names come from the profiled program (its symbols, prctl(PR_SET_NAME)),
 * so they may hold anything: newlines that forge lines of a text format, terminal escape
 * sequences, invalid UTF-8, quotes and '<'. Every output writes them through one of these modes. */
enum esc_mode {
    ESC_TEXT,   /* terminals and text files: control characters (C0, DEL, C1) and bytes that are
                   not valid UTF-8 become \xNN (the bytes), a backslash becomes \\ */
    ESC_FOLDED, /* ESC_TEXT, and ';' (the frame separator) becomes ':' */
    ESC_JSON,   /* the inside of a JSON string: '"', '\\' and control characters escaped, invalid
                   UTF-8 replaced by U+FFFD, and '<', '>', '&' as \u003c etc. so that the string
                   can stand inside an HTML <script> element */
};

/* Appends s, escaped for mode, to b. Returns 0 or -1 (out of memory; b keeps what it had). */
int esc_append(struct hw_buf *b, const char *s, enum esc_mode mode);

/* Writes s, escaped for mode, to out (check ferror(out) for write errors). Can't fail otherwise. */
void esc_fputs(FILE *out, const char *s, enum esc_mode mode);

/* Writes s escaped for ESC_TEXT into buf (always NUL-terminated, cut at size - 1 bytes, never
 * inside an escape or a UTF-8 sequence). Returns buf. Can't fail. */
const char *esc_text(char *buf, size_t size, const char *s);

#endif
