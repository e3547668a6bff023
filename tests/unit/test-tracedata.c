/* test-tracedata.c - unit tests for tracedata.c and tracefs.c over a fake tracefs. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "check.h"
#include "faketree.h"
#include "tracedata.h"
#include "tracefs.h"

/* A reader over the blob: each get fails (and stays failed) past the end. */
struct blob {
    const unsigned char *p;
    size_t len, at;
    bool bad;
};

static const void *blob_take(struct blob *b, size_t n)
{
    if (b->bad || b->len - b->at < n) {
        b->bad = true;
        return NULL;
    }
    const void *p = b->p + b->at;
    b->at += n;
    return p;
}

static uint64_t blob_uint(struct blob *b, size_t width)
{
    const void *p = blob_take(b, width);
    uint64_t v = 0;
    if (p)
        memcpy(&v, p, width); /* little-endian host */
    return v;
}

static const char *blob_string(struct blob *b)
{
    if (b->bad)
        return "";
    const char *s = (const char *)b->p + b->at;
    const void *nul = memchr(s, '\0', b->len - b->at);
    if (!nul) {
        b->bad = true;
        return "";
    }
    b->at += strlen(s) + 1;
    return s;
}

/* Checks that the next bytes are a size of width bytes followed by text (and a newline, as
 * faketree_write writes files). */
static bool blob_file(struct blob *b, size_t width, const char *text)
{
    uint64_t n = blob_uint(b, width);
    size_t want = strlen(text) + 1;
    const char *p = blob_take(b, n);
    return p && n == want && memcmp(p, text, want - 1) == 0 && p[want - 1] == '\n';
}

static void build_tracefs(struct faketree *t)
{
    const char *tr = "sys/kernel/tracing";
    char rel[256];
    static const char *const files[][2] = {
        {"events/header_page", "field: u64 timestamp;"},
        {"events/header_event", "# compressed entry header"},
        {"events/sched/sched_switch/id", "316"},
        {"events/sched/sched_switch/format", "name: sched_switch\nID: 316"},
        {"events/sched/sched_wakeup/id", "318"},
        {"events/sched/sched_wakeup/format", "name: sched_wakeup\nID: 318"},
        {"events/syscalls/sys_enter_x/id", "474"},
        {"events/syscalls/sys_enter_x/format", "name: sys_enter_x\nID: 474"},
        {"printk_formats", "0xffffffff81000000 : \"hello\""},
        {"saved_cmdlines", "1 init"},
    };
    for (size_t i = 0; i < HW_ARRAY_SIZE(files); i++) {
        snprintf(rel, sizeof(rel), "%s/%s", tr, files[i][0]);
        CHECK(faketree_write(t, rel, files[i][1]) == 0);
    }
}

static struct perf_event_attr tp(uint64_t id)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_TRACEPOINT;
    a.config = id;
    return a;
}

static void test_layout(void)
{
    struct faketree t;
    CHECK(faketree_init(&t, "tracedata") == 0);
    build_tracefs(&t);
    struct perf_event_attr attrs[4] = {tp(474), tp(316), tp(474)};
    attrs[3] = tp(0);
    attrs[3].type = PERF_TYPE_SOFTWARE; /* not a tracepoint: no format */
    struct hw_buf out = {0};
    struct hw_err err = {{0}};
    int rc = tracedata_build(t.root, attrs, 4, &out, &err);
    CHECK(rc == 0);
    if (rc != 0)
        fprintf(stderr, "tracedata_build: %s\n", err.msg);
    struct blob b = {out.data, out.len, 0, false};
    const unsigned char *magic = blob_take(&b, 10);
    CHECK(magic && magic[0] == 23 && magic[1] == 8 && magic[2] == 68 &&
          memcmp(magic + 3, "tracing", 7) == 0);
    CHECK_STR(blob_string(&b), "0.6");
    CHECK_EQ_U64(blob_uint(&b, 1), 0); /* little endian */
    CHECK_EQ_U64(blob_uint(&b, 1), sizeof(long));
    CHECK_EQ_U64(blob_uint(&b, 4), (uint64_t)sysconf(_SC_PAGESIZE));
    CHECK_STR(blob_string(&b), "header_page");
    CHECK(blob_file(&b, 8, "field: u64 timestamp;"));
    CHECK_STR(blob_string(&b), "header_event");
    CHECK(blob_file(&b, 8, "# compressed entry header"));
    CHECK_EQ_U64(blob_uint(&b, 4), 0); /* ftrace events */
    CHECK_EQ_U64(blob_uint(&b, 4), 2); /* two subsystems, in the order of the events */
    CHECK_STR(blob_string(&b), "syscalls");
    CHECK_EQ_U64(blob_uint(&b, 4), 1);
    CHECK(blob_file(&b, 8, "name: sys_enter_x\nID: 474"));
    CHECK_STR(blob_string(&b), "sched");
    CHECK_EQ_U64(blob_uint(&b, 4), 1); /* sched_wakeup was not recorded */
    CHECK(blob_file(&b, 8, "name: sched_switch\nID: 316"));
    CHECK_EQ_U64(blob_uint(&b, 4), 0); /* kallsyms: empty, as perf writes it */
    CHECK(blob_file(&b, 4, "0xffffffff81000000 : \"hello\""));
    CHECK(blob_file(&b, 8, "1 init"));
    CHECK(!b.bad);
    CHECK_EQ_U64(b.at, out.len); /* nothing after */
    hw_buf_free(&out);

    /* a tracepoint id tracefs does not have */
    struct perf_event_attr gone = tp(9999);
    CHECK(tracedata_build(t.root, &gone, 1, &out, &err) == -1);
    CHECK(strstr(err.msg, "9999") != NULL);
    hw_buf_free(&out);

    /* the tracefs helpers */
    char dir[4096];
    CHECK(tracefs_find(t.root, dir, sizeof(dir), &err) == 0);
    CHECK(strstr(dir, "/sys/kernel/tracing") != NULL);
    uint64_t id = 0;
    CHECK(tracefs_event_id(dir, "sched", "sched_wakeup", &id, &err) == 0 && id == 318);
    CHECK(tracefs_event_id(dir, "sched", "nope", &id, &err) == 1);
    CHECK(tracefs_event_id(dir, "..", "sched", &id, &err) == 1);
    CHECK(tracefs_has_system(dir, "syscalls") && !tracefs_has_system(dir, "irq"));
    faketree_free(&t);
}

static void test_no_tracefs(void)
{
    struct faketree t;
    CHECK(faketree_init(&t, "tracedata-none") == 0);
    struct hw_buf out = {0};
    struct hw_err err = {{0}};
    /* no tracepoint: nothing to write, tracefs not needed */
    struct perf_event_attr sw = tp(1);
    sw.type = PERF_TYPE_SOFTWARE;
    CHECK(tracedata_build(t.root, &sw, 1, &out, &err) == 0);
    CHECK_EQ_U64(out.len, 0);
    /* a tracepoint without tracefs: the error says how to mount it */
    struct perf_event_attr a = tp(316);
    CHECK(tracedata_build(t.root, &a, 1, &out, &err) == -1);
    CHECK(strstr(err.msg, "mount -t tracefs") != NULL);
    char dir[256];
    CHECK(tracefs_find(t.root, dir, sizeof(dir), &err) == 1);
    hw_buf_free(&out);
    faketree_free(&t);
}

int main(void)
{
    test_layout();
    test_no_tracefs();
    return check_done("test-tracedata");
}
