/* test-events-models.c - model encodings under LIBPFM_FORCE_PMU, without a PMU. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "check.h"
#include "events.h"

/* libpfm4 reads LIBPFM_FORCE_PMU once, when it initializes: each model runs in a process of its own
 * (this program run again with the model's name as its argument). */

static bool parse_one(const char *spec, bool kernel_default, struct perf_event_attr *attr)
{
    struct event_list l;
    struct hw_err err = {{0}};
    if (events_parse(spec, kernel_default, &l, &err) < 0) {
        fprintf(stderr, "parse '%s' failed: %s\n", spec, err.msg);
        return false;
    }
    bool ok = l.n == 1;
    if (ok)
        *attr = l.ev[0].attr;
    events_free(&l);
    return ok;
}

struct list_count {
    size_t generic, model, perf;
    const char *model_prefix;
    bool cycles;
};

static int count_cb(const struct event_info *info, void *arg)
{
    struct list_count *c = arg;
    if (info->generic) {
        c->generic++;
        c->cycles = c->cycles || (strcmp(info->name, "cycles") == 0 &&
                                  info->attr.type == PERF_TYPE_HARDWARE && info->attr.config == 0);
    } else if (strncmp(info->name, c->model_prefix, strlen(c->model_prefix)) == 0) {
        c->model++;
    } else if (strncmp(info->name, "perf::", 6) == 0) {
        c->perf++;
    }
    return 0;
}

/* Intel Skylake: libpfm4's perf PMU is inactive, generic names still work from hwprof's table. */
static void test_skylake(void)
{
    struct perf_event_attr a;
    CHECK(parse_one("skl::INST_RETIRED:ANY_P:u", true, &a));
    CHECK_EQ_U64(a.type, PERF_TYPE_RAW);
    CHECK_EQ_U64(a.config, 0xc0);
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK_EQ_U64(a.exclude_user, 0);
    CHECK(
        parse_one("INST_RETIRED:ANY_P", true, &a)); /* the active PMU's event without its prefix */
    CHECK_EQ_U64(a.config, 0xc0);
    CHECK_EQ_U64(a.exclude_kernel, 0);
    CHECK(parse_one("skl::UNHALTED_CORE_CYCLES:k", false, &a));
    CHECK_EQ_U64(a.config, 0x3c);
    CHECK(a.exclude_user && !a.exclude_kernel);
    /* perf's letters on a libpfm4 name: precise 2, user space only */
    CHECK(parse_one("skl::INST_RETIRED:ANY_P:ppu", true, &a));
    CHECK_EQ_U64(a.config, 0xc0);
    CHECK_EQ_U64(a.precise_ip, 2);
    CHECK(a.exclude_kernel && !a.exclude_user);
    /* generic names do not need libpfm4's perf PMU */
    CHECK(parse_one("cycles", false, &a));
    CHECK_EQ_U64(a.type, PERF_TYPE_HARDWARE);
    CHECK_EQ_U64(a.config, PERF_COUNT_HW_CPU_CYCLES);
    CHECK(parse_one("cache-misses:u", false, &a));
    CHECK_EQ_U64(a.config, PERF_COUNT_HW_CACHE_MISSES);
    CHECK(parse_one("cpu-clock", false, &a));
    CHECK_EQ_U64(a.type, PERF_TYPE_SOFTWARE);

    struct list_count c = {.model_prefix = "skl::"};
    struct hw_err err = {{0}};
    CHECK(events_list(NULL, count_cb, &c, &err) == 0);
    CHECK(c.cycles);
    CHECK(c.generic >= 30);
    CHECK(c.model > 50);     /* Skylake has 84 events (umasks not counted) */
    CHECK_EQ_U64(c.perf, 0); /* the perf PMU is not active when another one is forced */
}

/* AMD Zen 2. */
static void test_zen2(void)
{
    struct perf_event_attr a;
    CHECK(parse_one("amd64_fam17h_zen2::RETIRED_INSTRUCTIONS:u", true, &a));
    CHECK_EQ_U64(a.type, PERF_TYPE_RAW);
    CHECK_EQ_U64(a.config, 0xc0);
    CHECK(a.exclude_kernel && !a.exclude_user);
    CHECK(parse_one("amd64_fam17h_zen2::CYCLES_NOT_IN_HALT", true, &a));
    CHECK_EQ_U64(a.config, 0x76);
    CHECK(!a.exclude_kernel);
    CHECK(parse_one("instructions", true, &a));
    CHECK_EQ_U64(a.type, PERF_TYPE_HARDWARE);
    struct list_count c = {.model_prefix = "amd64_fam17h_zen2::"};
    struct hw_err err = {{0}};
    CHECK(events_list("RETIRED", count_cb, &c, &err) == 0);
    CHECK(c.model >= 5);
    CHECK_EQ_U64(c.perf, 0);
}

/* Runs this program for model (argv[1]) with LIBPFM_FORCE_PMU=model; returns its exit status. */
static int run_model(const char *self, const char *model)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LIBPFM_FORCE_PMU", model, 1);
        execl(self, self, model, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char **argv)
{
    struct hw_err err = {{0}};
    if (argc > 1) {
        if (events_init(&err) < 0) {
            fprintf(stderr, "events_init: %s\n", err.msg);
            return 1;
        }
        if (strcmp(argv[1], "skl") == 0)
            test_skylake();
        else if (strcmp(argv[1], "amd64_fam17h_zen2") == 0)
            test_zen2();
        else
            CHECK(!"unknown model");
        return check_done(argv[1]);
    }
    CHECK_EQ_U64(run_model(argv[0], "skl"), 0);
    CHECK_EQ_U64(run_model(argv[0], "amd64_fam17h_zen2"), 0);
    return check_done("test-events-models");
}
