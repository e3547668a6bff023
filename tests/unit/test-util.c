/* test-util.c - unit tests for util.c: edit distance, closest names, buffers, number parsing, CPU lists. */
#include <stdlib.h>

#include "check.h"
#include "util.h"

static void test_edit_distance(void)
{
    CHECK_EQ_U64(hw_edit_distance("cycles", "cycles"), 0);
    CHECK_EQ_U64(hw_edit_distance("cyclez", "cycles"), 1);
    CHECK_EQ_U64(hw_edit_distance("CYCLES", "cycles"), 0);
    CHECK_EQ_U64(hw_edit_distance("", "abc"), 3);
    CHECK_EQ_U64(hw_edit_distance("recrod", "record"), 2);
    CHECK_EQ_U64(hw_edit_distance("kitten", "sitting"), 3);
}

static void test_closest(void)
{
    const char *cands[] = {"record", "list", "report", "help"};
    const char *out[4];
    size_t n = hw_closest("recrod", cands, 4, 3, out, 2);
    CHECK(n >= 1);
    CHECK_STR(out[0], "record");
    n = hw_closest("zzzzzzzz", cands, 4, 2, out, 2);
    CHECK_EQ_U64(n, 0);
    n = hw_closest("lst", cands, 4, 3, out, 4);
    CHECK(n >= 1);
    CHECK_STR(out[0], "list");
    /* sorted best first */
    n = hw_closest("repor", cands, 4, 5, out, 4);
    CHECK(n >= 2);
    CHECK_STR(out[0], "report");
}

static void test_buf(void)
{
    struct hw_buf b = {0};
    for (int i = 0; i < 1000; i++)
        CHECK(hw_buf_append(&b, "abcd", 4) == 0);
    CHECK_EQ_U64(b.len, 4000);
    CHECK(memcmp(b.data + 3996, "abcd", 4) == 0);
    hw_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

static void test_parse_u64(void)
{
    uint64_t v;
    CHECK(hw_parse_u64("999", &v) == 0 && v == 999);
    CHECK(hw_parse_u64("", &v) < 0);
    CHECK(hw_parse_u64("12a", &v) < 0);
    CHECK(hw_parse_u64("-1", &v) < 0);
    CHECK(hw_parse_u64(" 1", &v) < 0);
    CHECK(hw_parse_u64("99999999999999999999999", &v) < 0);
}

static void test_errors(void)
{
    struct hw_err e;
    CHECK(hw_errf(&e, "x %d", 5) == -1);
    CHECK_STR(e.msg, "x 5");
    CHECK(hw_errf_errno(&e, 2, "open %s", "f") == -1);
    CHECK(strstr(e.msg, "open f: ") == e.msg);
    CHECK(hw_errf(NULL, "ignored") == -1);
}

static void test_cpus(void)
{
    int *cpus;
    struct hw_err e;
    int n = hw_online_cpus(&cpus, &e);
    CHECK(n >= 1);
    CHECK_EQ_U64((unsigned)n, hw_ncpus_online());
    for (int i = 1; i < n; i++)
        CHECK(cpus[i] > cpus[i - 1]);
    free(cpus);
}

int main(void)
{
    test_edit_distance();
    test_closest();
    test_buf();
    test_parse_u64();
    test_errors();
    test_cpus();
    return check_done("test-util");
}
