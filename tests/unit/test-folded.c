/* test-folded.c - unit tests for folded.c: stack order, inline marks, aggregation, sorting, filtering, separators. */
#include <stdlib.h>

#include "check.h"
#include "folded.h"
#include "profile.h"

static uint32_t loc(struct profile *p, uint64_t addr, const char *const *fns, size_t n)
{
    struct prof_line ln[4];
    for (size_t i = 0; i < n; i++)
        ln[i] = (struct prof_line){(uint32_t)prof_function(p, fns[i], fns[i], "f.c", 1), (uint32_t)i + 1};
    return (uint32_t)prof_add_location(p, 0, addr, ln, n);
}

static char *run(const struct profile *p, const bool *keep, size_t type)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct hw_err err;
    CHECK(folded_write(p, keep, type, f, &err) == 0);
    fclose(f);
    return out;
}

int main(void)
{
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    prof_add_type(p, "cpu", "nanoseconds", 0);
    /* leaf location: hot inlined into caller_a; then main */
    uint32_t l1 = loc(p, 0x10, (const char *const[]){"hot", "caller_a"}, 2);
    uint32_t l2 = loc(p, 0x20, (const char *const[]){"main"}, 1);
    uint32_t l3 = loc(p, 0x30, (const char *const[]){"odd;name"}, 1);
    int64_t v[2] = {1, 1000};
    struct prof_labels a = {.pid = 1, .tid = 1, .comm = "prog", .cpu = 0},
                       b = {.pid = 1, .tid = 2, .comm = "prog", .cpu = 1},
                       c = {.pid = 2, .tid = 2, .comm = "", .cpu = -1};
    uint32_t s1[] = {l1, l2}, s2[] = {l3, l2};
    prof_add_sample(p, s1, 2, v, &a);
    prof_add_sample(p, s1, 2, v, &b); /* other labels, same folded line: summed */
    prof_add_sample(p, s2, 2, v, &c);
    int64_t zero[2] = {1, 0};
    prof_add_sample(p, s2, 2, zero, &a); /* value 0 for cpu: left out of the cpu output */

    char *out = run(p, NULL, 1);
    CHECK_STR(out, "prog;main;caller_a;hot_[i] 2000\nunknown;main;odd:name 1000\n");
    free(out);
    out = run(p, NULL, 0);
    CHECK_STR(out, "prog;main;caller_a;hot_[i] 2\nprog;main;odd:name 1\nunknown;main;odd:name 1\n");
    free(out);
    bool keep[4] = {false, false, true, true};
    out = run(p, keep, 0);
    CHECK_STR(out, "prog;main;odd:name 1\nunknown;main;odd:name 1\n");
    free(out);
    prof_free(p);
    return check_done("test-folded");
}
