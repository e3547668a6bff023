/* test-outputs.c - unit tests for escape.c, calltree.c, tree.c, flame.c and timeline.c: hostile names, tree values, peek, the HTML data, the trace events. */
#include <stdlib.h>

#include "calltree.h"
#include "check.h"
#include "escape.h"
#include "flame.h"
#include "folded.h"
#include "profile.h"
#include "top.h"
#include "tree.h"
#include "timeline.h"

/* A location whose inline chain is fns[0..n) (innermost first). */
static uint32_t loc(struct profile *p, uint64_t addr, const char *const *fns, size_t n)
{
    struct prof_line ln[4];
    for (size_t i = 0; i < n; i++)
        ln[i] = (struct prof_line){(uint32_t)prof_function(p, fns[i], fns[i], "f.c", 1),
                                   (uint32_t)i + 1};
    return (uint32_t)prof_add_location(p, 0, addr, ln, n);
}

/* Runs fn into a string. */
#define CAPTURE(out, call)                                                                         \
    do {                                                                                           \
        size_t len_ = 0;                                                                           \
        FILE *f = open_memstream(&(out), &len_);                                                   \
        call;                                                                                      \
        fclose(f);                                                                                 \
    } while (0)

static void test_escape(void)
{
    struct hw_buf b = {0};
    CHECK(esc_append(&b, "a;b c\nfake;x 9\x1b[31m\\", ESC_FOLDED) == 0);
    CHECK(hw_buf_append(&b, "", 1) == 0);
    CHECK_STR((char *)b.data, "a:b c\\x0afake:x 9\\x1b[31m\\\\");
    b.len = 0;
    /* invalid UTF-8, a C1 control (U+009B, CSI) and valid UTF-8 */
    CHECK(esc_append(&b, "\xff\xc2\x9b\xc3\xa9", ESC_TEXT) == 0);
    CHECK(hw_buf_append(&b, "", 1) == 0);
    CHECK_STR((char *)b.data, "\\xff\\xc2\\x9b\xc3\xa9");
    b.len = 0;
    CHECK(esc_append(&b, "</script>\"\x01\xff\xe2\x80\xa8", ESC_JSON) == 0);
    CHECK(hw_buf_append(&b, "", 1) == 0);
    CHECK_STR((char *)b.data, "\\u003c/script\\u003e\\\"\\u0001\\ufffd\\u2028");
    hw_buf_free(&b);
    char small[8];
    CHECK_STR(esc_text(small, sizeof(small), "ab\ncdef"),
              "ab\\x0ac"); /* cut, never inside an escape */
    CHECK_STR(esc_text(small, 5, "ab\ncdef"), "ab");
    char *out = NULL;
    CAPTURE(out, esc_fputs(f, "x\ty\"", ESC_JSON));
    CHECK_STR(out, "x\\u0009y\\\"");
    free(out);
}

/* main -> a -> b (3), main -> a (1), main -> c [inlined into main] (2), a second comm. */
static struct profile *build(void)
{
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    prof_add_type(p, "cpu", "nanoseconds", 0);
    uint32_t lb = loc(p, 0x10, (const char *const[]){"b"}, 1);
    uint32_t la = loc(p, 0x20, (const char *const[]){"a"}, 1);
    uint32_t lm = loc(p, 0x30, (const char *const[]){"main"}, 1);
    uint32_t lc = loc(p, 0x40, (const char *const[]){"c", "main"}, 2);
    struct prof_labels x = {.pid = 1, .tid = 1, .comm = "prog", .cpu = 0},
                       y = {.pid = 2, .tid = 2, .comm = "other\n", .cpu = 0};
    int64_t v3[2] = {3, 3000000}, v1[2] = {1, 1000000}, v2[2] = {2, 2000000};
    prof_add_sample(p, (uint32_t[]){lb, la, lm}, 3, v3, &x);
    prof_add_sample(p, (uint32_t[]){la, lm}, 2, v1, &x);
    prof_add_sample(p, (uint32_t[]){lc}, 1, v2, &y);
    return p;
}

static size_t child(const struct ct_tree *t, const struct profile *p, size_t parent,
                    const char *name)
{
    for (uint32_t c = t->nodes[parent].first_child; c != PROF_NONE; c = t->nodes[c].next_sibling)
        if (strcmp(p->strings[t->nodes[c].name], name) == 0)
            return c;
    return SIZE_MAX;
}

static void test_calltree(void)
{
    struct profile *p = build();
    size_t types[] = {1, 0};
    struct ct_options o = {.types = types, .ntypes = 2};
    struct ct_tree t;
    struct hw_err err;
    CHECK(ct_build(p, NULL, &o, &t, &err) == 0);
    CHECK(ct_cum(&t, 0, 0) == 6000000 && ct_cum(&t, 0, 1) == 6);
    size_t m = child(&t, p, 0, "main"), a = m == SIZE_MAX ? m : child(&t, p, m, "a");
    CHECK(m != SIZE_MAX && a != SIZE_MAX);
    if (a != SIZE_MAX) {
        CHECK(ct_cum(&t, m, 0) == 6000000 && ct_self(&t, m, 0) == 0);
        CHECK(ct_cum(&t, a, 0) == 4000000 && ct_self(&t, a, 0) == 1000000);
        size_t c = child(&t, p, m, "c");
        CHECK(c != SIZE_MAX && t.nodes[c].inlined && ct_self(&t, c, 1) == 2);
    }
    ct_free(&t);
    /* with command names first; keep drops the last sample */
    bool keep[3] = {true, true, false};
    o.with_comm = true;
    CHECK(ct_build(p, keep, &o, &t, &err) == 0);
    size_t prog = child(&t, p, 0, "prog");
    CHECK(prog != SIZE_MAX && t.nodes[prog].comm && ct_cum(&t, prog, 0) == 4000000);
    CHECK(child(&t, p, 0, "other\n") == SIZE_MAX);
    ct_free(&t);
    prof_free(p);
}

static void test_tree_and_peek(void)
{
    struct profile *p = build();
    struct tree_options o = {.type = 1, .total = 6000000};
    char *out = NULL;
    struct hw_err err;
    int rc;
    CAPTURE(out, rc = tree_print(f, p, NULL, &o, &err));
    CHECK(rc == 0);
    CHECK(strstr(out, "       6ms    100%          0  main\n") != NULL);
    CHECK(strstr(out, "       4ms  66.67%        1ms  \u251c\u2500 a\n") != NULL);
    CHECK(strstr(out, "       3ms  50.00%        3ms  \u2502  \u2514\u2500 b\n") != NULL);
    CHECK(strstr(out, "       2ms  33.33%        2ms  \u2514\u2500 c (inlined)\n") != NULL);
    free(out);
    regex_t re;
    CHECK(regcomp(&re, "^a$", REG_EXTENDED | REG_NOSUB) == 0);
    CAPTURE(out, rc = tree_print_peek(f, p, NULL, &re, &o, &err));
    CHECK(rc == 1);
    CHECK(strstr(out, "        4ms    100% |   main\n") != NULL);         /* the caller */
    CHECK(strstr(out, "       1ms  16.67%        4ms  66.67% ") != NULL); /* flat, cum */
    CHECK(strstr(out, "        3ms  75.00% |   b\n") != NULL);            /* the callee */
    free(out);
    regfree(&re);
    CHECK(regcomp(&re, "nothing", REG_EXTENDED | REG_NOSUB) == 0);
    CAPTURE(out, rc = tree_print_peek(f, p, NULL, &re, &o, &err));
    CHECK(rc == 0);
    free(out);
    regfree(&re);
    prof_free(p);
}

/* Report: a name with control characters is printed escaped; --sort comm; columns and a ratio. */
static void test_top_keys_columns(void)
{
    struct profile *p = build();
    struct top_options o = {.type = 1, .keys = TOP_KEY_COMM};
    struct top_table t;
    struct hw_err err;
    char *out = NULL;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK(t.nrows == 2 && t.rows[0].flat == 4000000 && strcmp(t.rows[0].comm, "prog") == 0);
    CAPTURE(out, top_print(f, &t, &o, p));
    CHECK(strstr(out, "  other\\x0a\n") != NULL && strchr(out, '\x1b') == NULL);
    free(out);
    top_free(&t);
    size_t cols[] = {0};
    o = (struct top_options){
        .type = 1, .columns = cols, .ncolumns = 1, .ratio = true, .ratio_num = 0, .ratio_den = 1};
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CAPTURE(out, top_print(f, &t, &o, p));
    CHECK(strstr(out, "       cpu   flat%    samples   flat%  samples/s") == out);
    CHECK(strstr(out, "       3ms  50.00%          3  50.00%       1000  b\n") != NULL);
    free(out);
    top_free(&t);
    char buf[32];
    top_format_value(buf, sizeof(buf), INT64_MIN, "nanoseconds"); /* no negation overflow */
    CHECK(buf[0] == '-');
    top_format_ratio(buf, sizeof(buf), 5, 0, "count", "count");
    CHECK_STR(buf, "-");
    top_format_ratio(buf, sizeof(buf), 3000, 2, "nanoseconds", "count");
    CHECK_STR(buf, "1.5us");
    top_format_ratio(buf, sizeof(buf), 150, 100, "count", "count");
    CHECK_STR(buf, "1.50");
    prof_free(p);
}

/* Folded stacks: a forged comm stays on its line; values saturate. */
static void test_folded_hostile(void)
{
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    uint32_t l = loc(p, 0x10, (const char *const[]){"f"}, 1);
    struct prof_labels a = {.pid = 1, .tid = 1, .comm = "a;b c\nfake;x 9", .cpu = 0},
                       b = {.pid = 1, .tid = 2, .comm = "a;b c\nfake;x 9", .cpu = 0};
    int64_t big[1] = {INT64_MAX};
    prof_add_sample(p, &l, 1, big, &a);
    prof_add_sample(p, &l, 1, big, &b); /* another sample, the same folded line */
    char *out = NULL;
    struct hw_err err;
    int rc;
    CAPTURE(out, rc = folded_write(p, NULL, 0, f, &err));
    CHECK(rc == 0);
    CHECK_STR(out, "a:b c\\x0afake:x 9;f 9223372036854775807\n");
    free(out);
    prof_free(p);
}

static void test_flame_and_timeline(void)
{
    struct profile *p = build();
    char *out = NULL;
    struct hw_err err;
    int rc;
    struct flame_options fo = {.type = 1, .title = "<prog>", .subtitle = "x"};
    CAPTURE(out, rc = flame_write_html(p, NULL, &fo, f, &err));
    CHECK(rc == 0);
    CHECK(strstr(out, "<!DOCTYPE html>") == out && strstr(out, "<!--HWPROF-DATA-->") == NULL);
    CHECK(strstr(out, "\"title\":\"\\u003cprog\\u003e\"") != NULL);
    CHECK(strstr(out, "\"names\":[\"\",\"prog\",\"main\",\"a\",\"b\",\"other\\u000a\",\"c\"]") !=
          NULL);
    CHECK(strstr(out, "\"flags\":[0,2,0,0,0,2,0,1]") != NULL);
    free(out);

    /* a thread's timeline: two samples sharing main, then an interval, on one thread */
    struct profile *q = build();
    prof_keep_timeline(q);
    struct prof_timed e[] = {{1000, 0, 0, 1, 1000}, {2000, 0, 1, 1, 1000}, {3000, 500, 1, 1, 500}};
    for (size_t i = 0; i < 3; i++)
        CHECK(prof_add_timed(q, &e[i]) == 0);
    struct timeline_options to = {.type = 1, .title = "t"};
    CAPTURE(out, rc = timeline_write_json(q, NULL, &to, f, &err));
    CHECK(rc == 0);
    CHECK(strstr(out, "\"name\":\"process_name\",\"args\":{\"name\":\"prog\"}") != NULL);
    /* main opens once at 0, b closes at 1 us where the second sample (main;a) begins */
    CHECK(
        strstr(
            out,
            "{\"ph\":\"B\",\"pid\":1,\"tid\":1,\"ts\":0.000,\"name\":\"main\",\"cat\":\"cpu\"}") !=
        NULL);
    CHECK(strstr(out, "{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":1.000,\"name\":\"b\"}") != NULL);
    CHECK(strstr(out, "\"ts\":1.000,\"name\":\"main\"") == NULL);
    CHECK(strstr(out, "{\"ph\":\"B\",\"pid\":1,\"tid\":1,\"ts\":2.000,\"name\":\"off-cpu: "
                      "a\",\"cat\":\"off-cpu\"}") != NULL);
    CHECK(strstr(out, "{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":2.500,\"name\":\"off-cpu: a\"}") !=
          NULL);
    free(out);
    prof_free(q);
    prof_free(p);
}

int main(void)
{
    test_escape();
    test_calltree();
    test_tree_and_peek();
    test_top_keys_columns();
    test_folded_hostile();
    test_flame_and_timeline();
    return check_done("test-outputs");
}
