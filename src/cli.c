/* cli.c - table-driven option parsing and --help text for hwprof's subcommands (one table per command). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cli_init(struct cli_parser *p, const struct cli_command *cmd, int argc, char **argv)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->index = 1;
    p->cluster = NULL;
}

static const struct cli_option *cli_find_short(const struct cli_command *cmd, char c)
{
    for (size_t i = 0; i < cmd->noptions; i++)
        if (cmd->options[i].short_name == c)
            return &cmd->options[i];
    return NULL;
}

static const struct cli_option *cli_find_long(const struct cli_command *cmd, const char *name,
                                              size_t len)
{
    for (size_t i = 0; i < cmd->noptions; i++) {
        const char *ln = cmd->options[i].long_name;
        if (ln && strlen(ln) == len && strncmp(ln, name, len) == 0)
            return &cmd->options[i];
    }
    return NULL;
}

/* A word of the option's list, alone or followed by ",PARAMETERS" ("dwarf", "dwarf,16384"). */
static bool cli_word_accepted(const struct cli_option *opt, const char *word)
{
    size_t len = strcspn(word, ",");
    for (const char *const *w = opt->words; w && *w; w++)
        if (strlen(*w) == len && strncmp(*w, word, len) == 0)
            return true;
    return false;
}

static int cli_unknown_long(struct cli_parser *p, const char *name, size_t len, struct hw_err *err)
{
    const char *cands[64];
    size_t n = 0;
    for (size_t i = 0; i < p->cmd->noptions && n < HW_ARRAY_SIZE(cands); i++)
        if (p->cmd->options[i].long_name)
            cands[n++] = p->cmd->options[i].long_name;
    char given[128];
    snprintf(given, sizeof(given), "%.*s", (int)(len < 120 ? len : 120), name);
    const char *best[1];
    if (hw_closest(given, cands, n, 3, best, 1) == 1)
        return hw_errf(
            err, "unknown option '--%s' for '%s'; did you mean '--%s'? (see 'hwprof %s --help')",
            given, p->cmd->name, best[0], p->cmd->name);
    return hw_errf(err, "unknown option '--%s' for '%s' (see 'hwprof %s --help')", given,
                   p->cmd->name, p->cmd->name);
}

/* Takes the value of opt from the attached text (may be NULL) or from the next argv word. */
static int cli_take_value(struct cli_parser *p, const struct cli_option *opt, const char *attached,
                          const char *shown, const char **value, struct hw_err *err)
{
    *value = NULL;
    if (opt->arg == CLI_NO_ARG) {
        if (attached)
            return hw_errf(err, "option '%s' takes no value", shown);
        return opt->id;
    }
    if (attached) {
        *value = attached;
        return opt->id;
    }
    if (opt->arg == CLI_OPTIONAL_WORD) {
        if (p->index < p->argc && cli_word_accepted(opt, p->argv[p->index]))
            *value = p->argv[p->index++];
        return opt->id;
    }
    if (p->index >= p->argc)
        return hw_errf(err, "option '%s' needs a value (%s)", shown,
                       opt->arg_name ? opt->arg_name : "");
    *value = p->argv[p->index++];
    return opt->id;
}

int cli_next(struct cli_parser *p, const char **value, struct hw_err *err)
{
    *value = NULL;
    if (p->cluster && *p->cluster) {
        char c = *p->cluster++;
        const struct cli_option *opt = cli_find_short(p->cmd, c);
        char shown[3] = {'-', c, 0};
        if (!opt)
            return hw_errf(err, "unknown option '-%c' for '%s' (see 'hwprof %s --help')", c,
                           p->cmd->name, p->cmd->name);
        const char *attached = NULL;
        if (opt->arg != CLI_NO_ARG && *p->cluster) {
            attached = p->cluster;
            p->cluster = NULL;
        }
        return cli_take_value(p, opt, attached, shown, value, err);
    }
    p->cluster = NULL;
    if (p->index >= p->argc)
        return 0;
    const char *a = p->argv[p->index];
    if (strcmp(a, "--") == 0) {
        p->index++;
        return 0;
    }
    if (a[0] != '-' || a[1] == '\0')
        return 0;
    p->index++;
    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct cli_option *opt = cli_find_long(p->cmd, name, len);
        if (!opt)
            return cli_unknown_long(p, name, len, err);
        char shown[128];
        snprintf(shown, sizeof(shown), "--%s", opt->long_name);
        return cli_take_value(p, opt, eq ? eq + 1 : NULL, shown, value, err);
    }
    p->cluster = a + 1;
    return cli_next(p, value, err);
}

void cli_print_help(FILE *out, const char *prog, const struct cli_command *cmd)
{
    for (const char *const *u = cmd->usage; u && *u; u++)
        fprintf(out, "%s %s %s\n", u == cmd->usage ? "usage:" : "   or:", prog, *u);
    if (cmd->description)
        fprintf(out, "\n%s\n", cmd->description);
    if (cmd->noptions)
        fprintf(out, "\nOptions:\n");
    for (size_t i = 0; i < cmd->noptions; i++) {
        const struct cli_option *o = &cmd->options[i];
        char left[96];
        int n = 0;
        if (o->short_name)
            n = snprintf(left, sizeof(left), "  -%c%s", o->short_name, o->long_name ? ", " : "");
        else
            n = snprintf(left, sizeof(left), "      ");
        if (o->long_name)
            n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->long_name);
        if (o->arg == CLI_REQUIRED_ARG)
            snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg_name);
        else if (o->arg == CLI_OPTIONAL_WORD)
            snprintf(left + n, sizeof(left) - (size_t)n, " [%s]", o->arg_name);
        fprintf(out, "%-30s %s\n", left, o->help);
    }
}

int cli_parse_pids(const char *opt, const char *s, pid_t **pids, size_t *n, struct hw_err *err)
{
    size_t cap = *n;
    const char *p = s;
    do {
        size_t len = strcspn(p, ",");
        char tok[32];
        uint64_t v;
        snprintf(tok, sizeof(tok), "%.*s", (int)(len < sizeof(tok) ? len : sizeof(tok) - 1), p);
        if (len >= sizeof(tok) || hw_parse_u64(tok, &v) < 0 || v == 0 || v > 0x3fffffff)
            return hw_errf(err, "invalid pid '%.*s' in %s (give numbers separated by commas)",
                           (int)len, p, opt);
        if (hw_grow(pids, &cap, *n + 1, sizeof(**pids)) < 0)
            return hw_err_oom(err);
        (*pids)[(*n)++] = (pid_t)v;
        p += len;
    } while (*p++ == ',' && *p);
    return 0;
}

int cli_parse_cpus(const char *opt, const char *s, int **cpus, size_t *n, struct hw_err *err)
{
    free(*cpus);
    *cpus = NULL;
    *n = 0;
    int k = hw_parse_cpulist(s, cpus, err);
    if (k <= 0)
        return hw_errf(err, "invalid CPU list '%s' for %s: give CPUs such as 0-3,8", s, opt);
    for (int i = 0; i < k; i++) /* sorted: drop repeated CPUs ("0,0-1") */
        if (*n == 0 || (*cpus)[*n - 1] != (*cpus)[i])
            (*cpus)[(*n)++] = (*cpus)[i];
    int *online = NULL;
    int non = hw_online_cpus(&online, err);
    if (non < 0)
        return -1;
    for (size_t i = 0; i < *n; i++) {
        bool found = false;
        for (int j = 0; j < non && !found; j++)
            found = online[j] == (*cpus)[i];
        if (!found) {
            free(online);
            return hw_errf(err, "CPU %d of %s %s is not online: see /sys/devices/system/cpu/online",
                           (*cpus)[i], opt, s);
        }
    }
    free(online);
    return 0;
}

int cli_parse_seconds(const char *opt, const char *s, double *out, struct hw_err *err)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (errno || *end || end == s || !(*out > 0) || !isfinite(*out) || *out > 1e7)
        return hw_errf(err, "invalid value '%s' for %s: give seconds, e.g. 10 or 0.5", s, opt);
    return 0;
}
