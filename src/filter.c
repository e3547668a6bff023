/* filter.c - choose the samples of a profile that an output shows: by comm, pid, tid, and focus/ignore regexes on function names. */
#include "filter.h"

#include <stdlib.h>
#include <string.h>

int filter_set_comms(struct filter *f, const char *list, struct hw_err *err)
{
    char *copy = hw_strdup(list);
    if (!copy)
        return hw_err_oom(err);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t cap = f->ncomms; /* the list is short: no capacity is kept */
        char *name =
            hw_grow(&f->comms, &cap, f->ncomms + 1, sizeof(*f->comms)) < 0 ? NULL : hw_strdup(tok);
        if (!name) {
            free(copy);
            return hw_err_oom(err);
        }
        f->comms[f->ncomms++] = name;
    }
    free(copy);
    if (f->ncomms == 0)
        return hw_errf(err, "--comm needs at least one name");
    return 0;
}

int filter_set_ids(uint32_t **ids, size_t *n, const char *list, const char *what,
                   struct hw_err *err)
{
    char *copy = hw_strdup(list);
    if (!copy)
        return hw_err_oom(err);
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (hw_parse_u64(tok, &v) < 0 || v > UINT32_MAX) {
            rc = hw_errf(err, "invalid value '%s' for %s: give numbers separated by commas", tok,
                         what);
            break;
        }
        size_t cap = *n; /* the list is short: no capacity is kept */
        if (hw_grow(ids, &cap, *n + 1, sizeof(**ids)) < 0) {
            rc = hw_err_oom(err);
            break;
        }
        (*ids)[(*n)++] = (uint32_t)v;
    }
    free(copy);
    if (rc == 0 && *n == 0)
        rc = hw_errf(err, "%s needs at least one number", what);
    return rc;
}

int filter_set_regex(regex_t **re, const char *pattern, const char *what, struct hw_err *err)
{
    regex_t *r = malloc(sizeof(*r));
    if (!r)
        return hw_err_oom(err);
    int rc = regcomp(r, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[256];
        regerror(rc, r, msg, sizeof(msg));
        free(r);
        return hw_errf(err, "invalid regular expression '%s' for %s: %s", pattern, what, msg);
    }
    if (*re) {
        regfree(*re);
        free(*re);
    }
    *re = r;
    return 0;
}

int filter_set_option(struct filter *f, int which, const char *value, struct hw_err *err)
{
    switch (which) {
    case FILTER_OPT_COMM:
        return filter_set_comms(f, value, err);
    case FILTER_OPT_PID:
        return filter_set_ids(&f->pids, &f->npids, value, "--pid", err);
    case FILTER_OPT_TID:
        return filter_set_ids(&f->tids, &f->ntids, value, "--tid", err);
    case FILTER_OPT_FOCUS:
        return filter_set_regex(&f->focus, value, "--focus", err);
    case FILTER_OPT_IGNORE:
        return filter_set_regex(&f->ignore, value, "--ignore", err);
    default:
        return hw_errf(err, "internal error: no filter option %d", which);
    }
}

void filter_free(struct filter *f)
{
    for (size_t i = 0; i < f->ncomms; i++)
        free(f->comms[i]);
    free(f->comms);
    free(f->pids);
    free(f->tids);
    if (f->focus) {
        regfree(f->focus);
        free(f->focus);
    }
    if (f->ignore) {
        regfree(f->ignore);
        free(f->ignore);
    }
    memset(f, 0, sizeof(*f));
}

bool filter_is_empty(const struct filter *f)
{
    return !f->comms && !f->pids && !f->tids && !f->focus && !f->ignore;
}

static bool filter_has_id(const uint32_t *ids, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == v)
            return true;
    return false;
}

/* Whether a sample's stack has a function matching re; match[] caches per function (0 unknown,
 * 1 no, 2 yes). */
static bool filter_stack_matches(const struct profile *p, const struct prof_sample *s, regex_t *re,
                                 unsigned char *match)
{
    for (uint32_t k = 0; k < s->nlocs; k++) {
        const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
        for (uint32_t j = 0; j < loc->nlines; j++) {
            uint32_t fn = p->lines[loc->first_line + j].function;
            if (match[fn] == 0)
                match[fn] = regexec(re, p->strings[p->functions[fn].name], 0, NULL, 0) == 0 ? 2 : 1;
            if (match[fn] == 2)
                return true;
        }
    }
    return false;
}

int filter_apply(const struct filter *f, const struct profile *p, bool *keep, struct hw_err *err)
{
    unsigned char *focus = NULL, *ignore = NULL;
    if (f->focus && !(focus = calloc(p->nfunctions + 1, 1)))
        return hw_err_oom(err);
    if (f->ignore && !(ignore = calloc(p->nfunctions + 1, 1))) {
        free(focus);
        return hw_err_oom(err);
    }
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        bool k = true;
        if (f->pids && !filter_has_id(f->pids, f->npids, s->pid))
            k = false;
        if (k && f->tids && !filter_has_id(f->tids, f->ntids, s->tid))
            k = false;
        if (k && f->comms) {
            bool any = false;
            for (size_t c = 0; c < f->ncomms && !any; c++)
                any = strcmp(p->strings[s->comm], f->comms[c]) == 0;
            k = any;
        }
        if (k && focus)
            k = filter_stack_matches(p, s, f->focus, focus);
        if (k && ignore)
            k = !filter_stack_matches(p, s, f->ignore, ignore);
        keep[i] = k;
    }
    free(focus);
    free(ignore);
    return 0;
}
