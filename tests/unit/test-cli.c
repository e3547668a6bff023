/* test-cli.c - unit tests for cli.c: short clusters, attached values, optional words, "--", errors, help text. */
#include <stdlib.h>

#include "check.h"
#include "cli.h"

enum { O_EVENT = 1, O_QUIET, O_GRAPH, O_NOCC, O_OUT };
static const char *const modes[] = {"fp", NULL};
static const struct cli_option opts[] = {
    {O_EVENT, 'e', "event", CLI_REQUIRED_ARG, "EVENTS", "events", NULL, NULL},
    {O_QUIET, 'q', "quiet", CLI_NO_ARG, NULL, "quiet", NULL, NULL},
    {O_GRAPH, 'g', "call-graph", CLI_OPTIONAL_WORD, "MODE", "callchains", modes, NULL},
    {O_NOCC, 0, "no-callchain", CLI_NO_ARG, NULL, "none", NULL, NULL},
    {O_OUT, 'o', "output", CLI_REQUIRED_ARG, "FILE", "output", NULL, NULL},
};
static const char *const usage[] = {"t [options] CMD", NULL};
static const struct cli_command cmd = {"t", usage, "Test.", opts, sizeof(opts) / sizeof(opts[0])};

/* Parses argv and returns the ids seen (and values) in a compact string like "e=x,q,g=,o=f|3". */
static void run(char **argv, int argc, char *out, size_t size)
{
    struct cli_parser p;
    struct hw_err err;
    const char *v;
    int id;
    size_t n = 0;
    cli_init(&p, &cmd, argc, argv);
    out[0] = 0;
    while ((id = cli_next(&p, &v, &err)) > 0)
        n += (size_t)snprintf(out + n, size - n, "%d=%s,", id, v ? v : "");
    if (id < 0)
        snprintf(out + n, size - n, "ERR:%s", err.msg);
    else
        snprintf(out + n, size - n, "|%d", p.index);
}

#define ARGS(...) ((char *[]){"t", __VA_ARGS__, NULL})
#define RUN(out, ...) run(ARGS(__VA_ARGS__), (int)(sizeof((char *[]){"t", __VA_ARGS__}) / sizeof(char *)), out, sizeof(out))

/* The values several commands share: pid lists, CPU lists, seconds. */
static void test_shared_values(void)
{
    struct hw_err err = {{0}};
    pid_t *pids = NULL;
    size_t n = 0;
    CHECK(cli_parse_pids("--pid", "12,34", &pids, &n, &err) == 0);
    CHECK(n == 2 && pids[0] == 12 && pids[1] == 34);
    CHECK(cli_parse_pids("--pid", "56", &pids, &n, &err) == 0); /* appended */
    CHECK(n == 3 && pids[2] == 56);
    CHECK(cli_parse_pids("--pid", "7,x", &pids, &n, &err) == -1);
    CHECK(strstr(err.msg, "invalid pid 'x' in --pid") != NULL);
    CHECK(cli_parse_pids("--pid", "0", &pids, &n, &err) == -1);
    CHECK(cli_parse_pids("--pid", "1,", &pids, &n, &err) == 0); /* a trailing comma is nothing */
    free(pids);

    int *cpus = NULL;
    CHECK(cli_parse_cpus("--cpu", "0,0", &cpus, &n, &err) == 0); /* CPU 0 is always online */
    CHECK(n == 1 && cpus[0] == 0);
    CHECK(cli_parse_cpus("--cpu", "0-x", &cpus, &n, &err) == -1);
    CHECK(strstr(err.msg, "invalid CPU list '0-x' for --cpu") != NULL);
    CHECK(cli_parse_cpus("-C", "99999", &cpus, &n, &err) == -1);
    CHECK(strstr(err.msg, "CPU 99999 of -C 99999 is not online") != NULL);
    free(cpus);

    double d = 0;
    CHECK(cli_parse_seconds("--duration", "0.5", &d, &err) == 0 && d == 0.5);
    CHECK(cli_parse_seconds("--duration", "0", &d, &err) == -1);
    CHECK(cli_parse_seconds("--duration", "nan", &d, &err) == -1);
    CHECK(cli_parse_seconds("--duration", "", &d, &err) == -1);
    CHECK(strstr(err.msg, "--duration") != NULL);
}

int main(void)
{
    test_shared_values();
    char out[1200];
    RUN(out, "-e", "cycles", "--quiet", "prog", "-q");
    CHECK_STR(out, "1=cycles,2=,|4");
    RUN(out, "-qecpu-clock", "prog");
    CHECK_STR(out, "2=,1=cpu-clock,|2");
    RUN(out, "--event=a,b", "--output", "f", "--", "-q");
    CHECK_STR(out, "1=a,b,5=f,|5");
    RUN(out, "-g", "fp", "prog");
    CHECK_STR(out, "3=fp,|3");
    RUN(out, "-g", "prog");
    CHECK_STR(out, "3=,|2");
    RUN(out, "-g", "fp,256", "prog"); /* a word with parameters */
    CHECK_STR(out, "3=fp,256,|3");
    RUN(out, "-g", "fpx", "prog"); /* not a word: the command */
    CHECK_STR(out, "3=,|2");
    RUN(out, "--call-graph=dwarf", "x");
    CHECK_STR(out, "3=dwarf,|2");
    RUN(out, "--no-callchain", "-o", "x.data", "prog");
    CHECK_STR(out, "4=,5=x.data,|4");
    RUN(out, "--evnt", "x");
    CHECK(strstr(out, "ERR:") && strstr(out, "did you mean '--event'"));
    RUN(out, "-x");
    CHECK(strstr(out, "ERR:") && strstr(out, "unknown option '-x'"));
    RUN(out, "-e");
    CHECK(strstr(out, "ERR:") && strstr(out, "needs a value"));
    RUN(out, "--quiet=yes");
    CHECK(strstr(out, "ERR:") && strstr(out, "takes no value"));
    RUN(out, "-", "x");
    CHECK_STR(out, "|1");

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cli_print_help(f, "hwprof", &cmd);
    fclose(f);
    CHECK(strstr(buf, "usage: hwprof t [options] CMD") != NULL);
    CHECK(strstr(buf, "-e, --event EVENTS") != NULL);
    CHECK(strstr(buf, "--no-callchain") != NULL);
    CHECK(strstr(buf, "-g, --call-graph [MODE]") != NULL);
    free(buf);
    return check_done("test-cli");
}
