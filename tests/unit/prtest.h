/* prtest.h - shared helpers of the perf.data reader tests: a scratch directory, files written through the writer, header fields and feature sections, reading back with expected errors and warnings. */
#ifndef HWPROF_TEST_PRTEST_H
#define HWPROF_TEST_PRTEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "perfreader.h"
#include "perfwriter.h"
#include "records.h"

/* perf.data header field offsets */
enum {
    H_SIZE = 8,
    H_ATTR_SIZE = 16,
    H_ATTRS_OFF = 24,
    H_ATTRS_SIZE = 32,
    H_DATA_OFF = 40,
    H_DATA_SIZE = 48,
    H_FEATURES = 72,
};

/* ---- the scratch directory ---- */

static char tmpdir[64];

/* Makes the scratch directory /tmp/NAME-XXXXXX. Returns 0, or -1 (said on stderr). */
static inline int tmpdir_make(const char *name)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s-XXXXXX", name);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

/* Removes the scratch directory and everything in it (NAME: the program, for the message). */
static inline void tmpdir_remove(const char *name)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "%s: could not remove %s\n", name, tmpdir);
}

/* The path of NAME in the scratch directory (one of eight static buffers, reused in turn). */
static inline const char *tpath(const char *name)
{
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
    return p;
}

/* ---- writing ---- */

/* Finds the section of feature bit in a perf.data image. */
static inline bool feat_find(const unsigned char *b, size_t len, int bit, size_t *off, size_t *size)
{
    uint64_t table = get_u64(b, H_DATA_OFF) + get_u64(b, H_DATA_SIZE);
    size_t k = 0;
    for (int i = 0; i < bit; i++)
        k += (get_u64(b, H_FEATURES + (size_t)(i / 64) * 8) >> (i % 64)) & 1;
    if (!((get_u64(b, H_FEATURES + (size_t)(bit / 64) * 8) >> (bit % 64)) & 1) ||
        table + (k + 1) * 16 > len)
        return false;
    *off = get_u64(b, table + k * 16);
    *size = get_u64(b, table + k * 16 + 8);
    return *off + *size <= len;
}

/* Writes a perf.data file through hwprof's writer. Returns 0 or -1. */
static inline int write_perfdata(const char *path, const struct pw_attr *attrs, size_t nattrs,
                                 const struct rec *recs, size_t nrecs, const struct pw_meta *meta,
                                 uint64_t first_time, uint64_t last_time,
                                 const struct pw_build_id *bids, size_t nbids)
{
    struct pw_writer *w;
    struct hw_err err;
    if (pw_writer_open(&w, path, attrs, nattrs, meta, &err) < 0) {
        fprintf(stderr, "pw_writer_open: %s\n", err.msg);
        return -1;
    }
    for (size_t i = 0; i < nrecs; i++) {
        if (pw_writer_write(w, recs[i].b, recs[i].len, &err) < 0) {
            fprintf(stderr, "pw_writer_write: %s\n", err.msg);
            pw_writer_abort(w);
            return -1;
        }
    }
    if (pw_writer_finish(w, first_time, last_time, bids, nbids, &err) < 0) {
        fprintf(stderr, "pw_writer_finish: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* ---- reading back ---- */

/* Warnings of the reader, collected one per line. */
static char warned[8192];

static inline void collect_warning(void *arg, const char *msg)
{
    (void)arg;
    size_t n = strlen(warned);
    snprintf(warned + n, sizeof(warned) - n, "%s\n", msg);
}

static const struct hw_warn collect = {collect_warning, NULL};

/* Opens and iterates path; returns records read, or -1 if open or iteration failed. With keep,
 * the file stays open in *keep (when it opened). */
static inline long read_all(const char *path, struct pr_file **keep)
{
    struct pr_file *f;
    struct pr_iter *it;
    struct pr_record rec;
    struct hw_err err;
    long n = 0;
    if (pr_open(&f, path, NULL, &err) < 0)
        return -1;
    if (pr_iter_new(&it, f, &err) < 0) {
        pr_close(f);
        return -1;
    }
    int r;
    while ((r = pr_iter_next(it, &rec, &err)) == 1)
        n++;
    pr_iter_free(it);
    if (keep)
        *keep = f;
    else
        pr_close(f);
    return r < 0 ? -1 : n;
}

/* Opens b and reads all its records, collecting warnings in `warned`. Returns the records read, or
 * -1 with err when opening or reading failed. */
static inline long read_bytes(const unsigned char *b, size_t len, struct hw_err *err)
{
    const char *p = tpath("hostile.data");
    struct pr_file *f;
    struct pr_iter *it;
    struct pr_record rec;
    long n = 0;
    int r;
    warned[0] = 0;
    CHECK(write_file(p, b, len) == 0);
    if (pr_open(&f, p, &collect, err) < 0)
        return -1;
    if (pr_iter_new(&it, f, err) < 0) {
        pr_close(f);
        return -1;
    }
    while ((r = pr_iter_next(it, &rec, err)) == 1)
        n++;
    pr_iter_free(it);
    pr_close(f);
    return r < 0 ? -1 : n;
}

/* Opens path expecting failure with a one-line message containing want. */
static inline void expect_open_fail_at(const char *path, const char *want, int line)
{
    struct pr_file *f = (struct pr_file *)1;
    struct hw_err err;
    memset(&err, 0, sizeof(err));
    int r = pr_open(&f, path, NULL, &err);
    CHECK(r == -1);
    CHECK(f == NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    bool ok = r == -1 && strstr(err.msg, want) != NULL;
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: expected an error with \"%s\", got r=%d \"%s\"\n", line, want,
                r, err.msg);
    if (r == 0)
        pr_close(f);
}
#define EXPECT_OPEN_FAIL(path, want) expect_open_fail_at(path, want, __LINE__)

/* Writes b to a scratch file and expects pr_open to fail mentioning want. */
static inline void expect_bytes_fail_at(const unsigned char *b, size_t len, const char *want,
                                        int line)
{
    const char *p = tpath("hostile.data");
    CHECK(write_file(p, b, len) == 0);
    expect_open_fail_at(p, want, line);
}
#define EXPECT_BYTES_FAIL(b, len, want) expect_bytes_fail_at(b, len, want, __LINE__)

/* Opens b (must succeed), then expects reading its records to fail mentioning want. */
static inline void expect_iter_fail_at(const unsigned char *b, size_t len, const char *want,
                                       int line)
{
    struct hw_err err;
    memset(&err, 0, sizeof(err));
    long n = read_bytes(b, len, &err);
    bool ok = n == -1 && strstr(err.msg, want) != NULL && !strchr(err.msg, '\n');
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: expected a read error with \"%s\", got %ld, \"%s\"\n", line,
                want, n, err.msg);
}
#define EXPECT_ITER_FAIL(b, len, want) expect_iter_fail_at(b, len, want, __LINE__)

/* Expects b to read with nrec records and a warning mentioning want. */
static inline void expect_read_warn_at(const unsigned char *b, size_t len, long nrec,
                                       const char *want, int line)
{
    struct hw_err err;
    memset(&err, 0, sizeof(err));
    long n = read_bytes(b, len, &err);
    bool ok = n == nrec && strstr(warned, want) != NULL;
    CHECK(ok);
    if (!ok)
        fprintf(stderr,
                "  line %d: expected %ld records and a warning with \"%s\", got %ld (%s), "
                "warnings \"%s\"\n",
                line, nrec, want, n, n < 0 ? err.msg : "", warned);
}
#define EXPECT_READ_WARN(b, len, nrec, want) expect_read_warn_at(b, len, nrec, want, __LINE__)

#endif
