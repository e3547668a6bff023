/* convert.c - turn a recording into an output file (pprof, folded stacks, HTML flame graph, trace-event timeline): read, load, filter, write, atomically. */
#include "convert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flame.h"
#include "folded.h"
#include "perfreader.h"
#include "pprof.h"
#include "load.h"
#include "top.h"
#include "timeline.h"

int convert_parse_format(const char *name, enum convert_format *out, struct hw_err *err)
{
    if (strcmp(name, "pprof") == 0)
        *out = CONVERT_PPROF_GZ;
    else if (strcmp(name, "folded") == 0)
        *out = CONVERT_FOLDED;
    else if (strcmp(name, "html") == 0)
        *out = CONVERT_HTML;
    else if (strcmp(name, "trace") == 0)
        *out = CONVERT_TRACE;
    else
        return hw_errf(err, "unknown format '%s' (known: pprof, folded, html, trace)", name);
    return 0;
}

/* The output names hwprof knows, and the format each asks for. */
static const struct {
    const char *suffix;
    enum convert_format format;
} convert_suffixes[] = {
    {".pb.gz", CONVERT_PPROF_GZ},
    {".pb", CONVERT_PPROF},
    {".folded", CONVERT_FOLDED},
    {".txt", CONVERT_FOLDED},
    {".html", CONVERT_HTML},
    {".htm", CONVERT_HTML},
    {".trace.json", CONVERT_TRACE},
    {".json", CONVERT_TRACE},
};

/* The index in convert_suffixes of path's ending, or -1. */
static int convert_suffix_of(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < HW_ARRAY_SIZE(convert_suffixes); i++) {
        size_t k = strlen(convert_suffixes[i].suffix);
        if (n >= k && strcmp(path + n - k, convert_suffixes[i].suffix) == 0)
            return (int)i;
    }
    return -1;
}

enum convert_format convert_format_of(const char *path)
{
    int i = convert_suffix_of(path);
    return i < 0 ? CONVERT_AUTO : convert_suffixes[i].format;
}

size_t convert_name_base(const char *path)
{
    int i = convert_suffix_of(path);
    return strlen(path) - (i < 0 ? 0 : strlen(convert_suffixes[i].suffix));
}

/* A write error with advice when the disk is full. Returns -1. */
static int convert_write_error(struct hw_err *err, int e, const char *path)
{
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        return hw_errf(err, "cannot write %s: %s (free some space, or write elsewhere with -o)", path,
                       strerror(e));
    return hw_errf_errno(err, e, "cannot write %s", path);
}

/* An output file written under a temporary name and renamed into place when complete. */
struct convert_out {
    FILE *f;
    char *tmp;             /* NULL for stdout */
};

static int convert_out_open(struct convert_out *o, const char *path, struct hw_err *err)
{
    o->tmp = NULL;
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return hw_errf(err, "cannot write %s: it is %s; give a regular file name with -o", path,
                       S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
    if (asprintf(&o->tmp, "%s.tmp-XXXXXX", path) < 0) {
        o->tmp = NULL;
        return hw_errf(err, "out of memory");
    }
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return hw_errf_errno(err, e, "cannot create %s", path);
    }
    mode_t mask = umask(0); /* mkstemp creates 0600: give the file the usual 0644 less the umask */
    umask(mask);
    fchmod(fd, 0644 & ~mask);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        return hw_errf_errno(err, e, "cannot write %s", path);
    }
    return 0;
}

static void convert_out_abort(struct convert_out *o)
{
    if (o->tmp) {
        fclose(o->f);
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
}

/* Flushes, closes and renames. Returns 0 or -1 with err (the temporary file is removed). */
static int convert_out_commit(struct convert_out *o, const char *path, struct hw_err *err)
{
    if (!o->tmp) {
        if (fflush(o->f) != 0 || ferror(o->f))
            return hw_errf_errno(err, errno ? errno : EIO, "cannot write to standard output");
        return 0;
    }
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
        e = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !e)
        e = errno ? errno : EIO;
    if (!e && rename(o->tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        return convert_write_error(err, e, path);
    }
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

/* The pprof comments: command line, host, hwprof version, lost samples. */
static int convert_write_pprof(const struct profile *p, const bool *keep, const struct pr_file *f,
                               const struct load_info *info, const struct convert_options *o,
                               enum convert_format fmt, FILE *out, struct hw_err *err)
{
    char host[512], version[256], lost[64], cmd[4096];
    const char *comments[4];
    size_t n = 0;
    if (pr_env(f)->cmdline) {
        snprintf(cmd, sizeof(cmd), "command: %s", pr_env(f)->cmdline);
        comments[n++] = cmd;
    }
    if (pr_env(f)->hostname) {
        snprintf(host, sizeof(host), "host: %s%s%s", pr_env(f)->hostname, pr_env(f)->osrelease ? ", Linux " : "",
                 pr_env(f)->osrelease ? pr_env(f)->osrelease : "");
        comments[n++] = host;
    }
    snprintf(version, sizeof(version), "converted by %s", o->version ? o->version : "hwprof");
    comments[n++] = version;
    snprintf(lost, sizeof(lost), "lost samples: %llu", (unsigned long long)info->lost);
    comments[n++] = lost;
    struct stat st;
    int64_t end = stat(o->input, &st) == 0 ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
    struct pprof_options po = {
        .labels = o->labels,
        .comments = comments,
        .ncomments = n,
        .time_nanos = end && end > p->duration_nanos ? end - p->duration_nanos : 0,
        .gzip = fmt == CONVERT_PPROF_GZ,
    };
    return pprof_write(p, keep, &po, out, err);
}

/* The heading of a picture: the program's name (the main binary's, else the recording's). */
static const char *convert_title(const struct pr_file *f, const struct load_info *info)
{
    const char *slash = info->main_binary ? strrchr(info->main_binary, '/') : NULL;
    if (slash)
        return slash + 1;
    return info->main_binary ? info->main_binary : pr_info(f)->path;
}

/* The HTML flame graph or the trace-event timeline. */
static int convert_write_picture(const struct profile *p, const bool *keep, const struct pr_file *f,
                                 const struct load_info *info, size_t type, enum convert_format fmt, FILE *out,
                                 struct hw_err *err)
{
    if (fmt == CONVERT_TRACE) {
        struct timeline_options to = {.type = type, .title = convert_title(f, info)};
        return timeline_write_json(p, keep, &to, out, err);
    }
    char **names = calloc(pr_env(f)->nattrs ? pr_env(f)->nattrs : 1, sizeof(*names));
    if (!names)
        return hw_err_oom(err);
    for (size_t i = 0; i < pr_env(f)->nattrs; i++)
        names[i] = pr_env(f)->attrs[i].name;
    char sub[4096], dur[32];
    top_format_value(dur, sizeof(dur), p->duration_nanos, "nanoseconds");
    snprintf(sub, sizeof(sub), "%s%s%s, %llu samples, %llu lost", pr_env(f)->cmdline ? pr_env(f)->cmdline : "",
             pr_env(f)->cmdline ? " \u00b7 " : "", dur, (unsigned long long)info->sample_records,
             (unsigned long long)info->lost);
    struct flame_options fo = {.type = type, .title = convert_title(f, info), .subtitle = sub,
                               .event_names = names, .nevents = pr_env(f)->nattrs};
    int rc = flame_write_html(p, keep, &fo, out, err);
    free(names);
    return rc;
}

int convert_file(const struct convert_options *o, struct hw_err *err)
{
    enum convert_format fmt = o->format, named = convert_format_of(o->output);
    if (fmt == CONVERT_AUTO || (fmt == CONVERT_PPROF_GZ && named == CONVERT_PPROF))
        fmt = named; /* --format pprof with x.pb: the name asks for it uncompressed */
    if (fmt == CONVERT_AUTO) {
        if (strcmp(o->output, "-") != 0)
            return hw_errf(err, "cannot tell the format of '%s' from its name: use .pb.gz, .pb, .folded, "
                                ".txt, .html or .trace.json, or give --format",
                           o->output);
        fmt = CONVERT_PPROF_GZ;
    }
    struct pr_file *f = NULL;
    struct profile *p = NULL;
    struct load_info info = {0};
    bool *keep = NULL;
    struct convert_out out = {0};
    struct load_options lo = {.debuginfod = o->debuginfod, .warn = o->warn, .warn_arg = o->warn_arg,
                              .timeline = fmt == CONVERT_TRACE, .max_stack = o->max_stack,
                              .progress = o->progress, .progress_arg = o->progress_arg};
    int rc = pr_open(&f, o->input, &(struct hw_warn){o->warn, o->warn_arg}, err);
    if (rc == 0)
        rc = load_profile(f, &lo, &p, &info, err);
    if (rc == 0 && o->filter && !filter_is_empty(o->filter)) {
        keep = calloc(p->nsamples ? p->nsamples : 1, sizeof(*keep));
        rc = keep ? filter_apply(o->filter, p, keep, err) : hw_errf(err, "out of memory");
    }
    int type = 0;
    if (rc == 0 && (type = load_pick_type(p, f, o->sample_index, err)) < 0)
        rc = -1;
    if (rc == 0)
        p->default_type = (uint32_t)type; /* pprof: the type viewers show first */
    if (rc == 0)
        rc = convert_out_open(&out, o->output, err);
    if (rc == 0) {
        errno = 0;
        if (fmt == CONVERT_FOLDED)
            rc = folded_write(p, keep, (size_t)type, out.f, err);
        else if (fmt == CONVERT_HTML || fmt == CONVERT_TRACE)
            rc = convert_write_picture(p, keep, f, &info, (size_t)type, fmt, out.f, err);
        else
            rc = convert_write_pprof(p, keep, f, &info, o, fmt, out.f, err);
        if (rc < 0 && (errno == ENOSPC || errno == EDQUOT || errno == EFBIG))
            convert_write_error(err, errno, o->output); /* name the file, give the advice */
        if (rc == 0)
            rc = convert_out_commit(&out, o->output, err);
        else
            convert_out_abort(&out);
    }
    free(keep);
    load_info_free(&info);
    prof_free(p);
    pr_close(f);
    return rc;
}
