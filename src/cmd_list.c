/* cmd_list.c - `hwprof list [PATTERN]`: the events a user can name, and whether this kernel can open each. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "events.h"
#include "perf_event.h"

enum { OPT_HELP = 1 };

static const struct cli_option list_options[] = {
    {OPT_HELP, 'h', "help", CLI_NO_ARG, NULL, "show this help", NULL, NULL},
};

static const char *const list_usage[] = {"list [options] [PATTERN]", NULL};

static const struct cli_command list_command = {
    .name = "list",
    .usage = list_usage,
    .description =
        "List the events 'hwprof record -e' accepts: generic names first, then the events of\n"
        "every PMU libpfm4 finds. The AVAILABLE column says whether this kernel can open\n"
        "the event here. PATTERN filters names (case-insensitive substring).",
    .options = list_options,
    .noptions = HW_ARRAY_SIZE(list_options),
};

struct list_state {
    const struct pmu_set *pmus; /* the system's PMUs, for the CPU an event is probed on */
    const char *pmu;            /* section being printed */
    size_t shown;
    bool generic_missing; /* a generic hardware event cannot be opened */
};

static int list_print_event(const struct event_info *info, void *arg)
{
    struct list_state *st = arg;
    if (!st->pmu || strcmp(st->pmu, info->pmu) != 0) {
        printf("%s%s events:\n", st->shown ? "\n" : "", info->generic ? "Generic" : info->pmu);
        printf("  %-44s %-9s %s\n", "EVENT", "AVAILABLE", "DESCRIPTION");
        st->pmu = info->pmu;
    }
    bool ok = pe_probe(&info->attr, st->pmus, NULL) == 0;
    if (!ok && info->generic && events_is_hardware(&info->attr))
        st->generic_missing = true;
    printf("  %-44s %-9s %s\n", info->name, ok ? "yes" : "no", info->desc ? info->desc : "");
    st->shown++;
    return 0;
}

int cmd_list(int argc, char **argv)
{
    struct cli_parser p;
    struct hw_err err = {{0}};
    const char *v;
    int id;
    cli_init(&p, &list_command, argc, argv);
    while ((id = cli_next(&p, &v, &err)) > 0) {
        if (id == OPT_HELP) {
            cli_print_help(stdout, "hwprof", &list_command);
            return 0;
        }
    }
    if (id < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        return HW_EXIT_USAGE;
    }
    if (argc - p.index > 1) {
        fprintf(stderr, "hwprof: list takes at most one PATTERN\n");
        return HW_EXIT_USAGE;
    }
    const char *pattern = p.index < argc ? argv[p.index] : NULL;
    struct pmu_set pmus;
    if (pmu_scan(NULL, &pmus, &err) < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        return HW_EXIT_ERROR;
    }
    struct list_state st = {.pmus = &pmus};
    if (events_list(pattern, list_print_event, &st, &err) < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        pmu_set_free(&pmus);
        return HW_EXIT_ERROR;
    }
    if (st.shown == 0) {
        fprintf(stderr, "hwprof: no event matches '%s'\n", pattern ? pattern : "");
        pmu_set_free(&pmus);
        return HW_EXIT_ERROR;
    }
    if (st.generic_missing && pmu_ncore(&pmus) == 0)
        printf(
            "\nNote: hardware events are not available here (no hardware PMU, e.g. in a virtual\n"
            "machine); 'hwprof record' samples cpu-clock instead of them.\n");
    pmu_set_free(&pmus);
    return 0;
}
