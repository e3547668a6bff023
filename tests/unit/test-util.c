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

static void test_cpulist(void)
{
    struct hw_err err;
    int *v;
    CHECK(hw_parse_cpulist("0-3,8,10-11\n", &v, &err) == 7);
    CHECK(v[0] == 0 && v[3] == 3 && v[4] == 8 && v[5] == 10 && v[6] == 11);
    free(v);
    CHECK(hw_parse_cpulist("", &v, &err) == 0);
    free(v);
    CHECK(hw_parse_cpulist("3-1", &v, &err) == -1 && strstr(err.msg, "3-1"));
    CHECK(hw_parse_cpulist("0,x", &v, &err) == -1);
    CHECK(hw_parse_cpulist("-1", &v, &err) == -1);
}

struct kv {
    uint32_t tag;
    uint64_t key;
};

static int kv_cmp(const void *key, const void *elem)
{
    uint64_t k = *(const uint64_t *)key, e = ((const struct kv *)elem)->key;
    return (k > e) - (k < e);
}

static void test_bsearch(void)
{
    struct kv a[] = {{0, 10}, {1, 20}, {2, 20}, {3, 30}};
    size_t n = HW_ARRAY_SIZE(a), off = offsetof(struct kv, key);
    CHECK(hw_bsearch_le(a, n, sizeof(a[0]), off, 5) == n);
    CHECK(hw_bsearch_le(a, n, sizeof(a[0]), off, 10) == 0);
    CHECK(hw_bsearch_le(a, n, sizeof(a[0]), off, 25) == 2); /* the last of equal keys */
    CHECK(hw_bsearch_le(a, n, sizeof(a[0]), off, 99) == 3);
    CHECK(hw_bsearch_le(a, 0, sizeof(a[0]), off, 99) == 0);
    uint64_t k = 20;
    CHECK(hw_lower_bound(a, n, sizeof(a[0]), &k, kv_cmp) == 1);
    k = 31;
    CHECK(hw_lower_bound(a, n, sizeof(a[0]), &k, kv_cmp) == n);
}

static void collect(void *arg, const char *msg)
{
    snprintf(arg, 64, "%s", msg);
}

static void test_warn(void)
{
    char got[64] = "";
    struct hw_warn w = {collect, got};
    hw_warnf(&w, "%d lost", 3);
    CHECK(strcmp(got, "3 lost") == 0);
    hw_warnf(NULL, "dropped");
    struct hw_err err;
    CHECK(hw_err_oom(&err) == -1 && strcmp(err.msg, "out of memory") == 0);
}

int main(void)
{
    test_cpulist();
    test_bsearch();
    test_warn();
    test_edit_distance();
    test_closest();
    test_buf();
    test_parse_u64();
    test_errors();
    test_cpus();
    return check_done("test-util");
}
