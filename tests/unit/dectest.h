/* dectest.h - shared helpers of the decode.c tests: formats, trailers built for a format, checks of every truncation. */
#ifndef HWPROF_TEST_DECTEST_H
#define HWPROF_TEST_DECTEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "decode.h"
#include "records.h"

/* perf record with several events: IP|TID|TIME|ID|CPU|PERIOD (REC_ST is hwprof's). */
#define PERF_MULTI_ST                                                                              \
    (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ID | PERF_SAMPLE_CPU |      \
     PERF_SAMPLE_PERIOD)

/* A heap copy of exactly n bytes, so ASan catches any read past n. Exits when out of memory. */
static inline void *dup_n(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (!q) {
        perror("malloc");
        exit(2);
    }
    memcpy(q, p, n);
    return q;
}

/* Whether err holds a message of one line. */
static inline bool one_line(const struct hw_err *err)
{
    return err->msg[0] && !strchr(err->msg, '\n');
}

static inline struct dec_format fmt_of(uint64_t st, uint64_t rf, bool id_all)
{
    struct dec_format f = {.sample_type = st, .read_format = rf, .sample_id_all = id_all};
    return f;
}

/* Every strict prefix of a sample must be rejected with a one-line error and must not over-read. */
static inline void check_sample_truncations(const struct dec_format *f, const struct rec *w,
                                            size_t full)
{
    struct dec_sample *s = malloc(sizeof(*s));
    int bad = 0, badmsg = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w->b, len);
        struct hw_err err = {{0}};
        if (dec_sample(f, p, len, s, &err) != -1)
            bad++;
        else if (!one_line(&err))
            badmsg++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(badmsg, 0);
    free(s);
}

/* ---- side-band trailers ---- */

/* Appends the trailer for format f: pid/tid 1/2, time 3, id/identifier 0x77, stream_id 5, cpu 6. */
static inline void rec_trailer_of(struct rec *w, const struct dec_format *f)
{
    uint64_t st = f->sample_type;
    if (!f->sample_id_all)
        return;
    if (st & PERF_SAMPLE_TID)
        rec_u32x2(w, 1, 2);
    if (st & PERF_SAMPLE_TIME)
        rec_u64(w, 3);
    if (st & PERF_SAMPLE_ID)
        rec_u64(w, 0x77);
    if (st & PERF_SAMPLE_STREAM_ID)
        rec_u64(w, 5);
    if (st & PERF_SAMPLE_CPU)
        rec_u32x2(w, 6, 0);
    if (st & PERF_SAMPLE_IDENTIFIER)
        rec_u64(w, 0x77);
}

/* Checks the rec_trailer_of trailer of the record in w (full bytes) and its id, and that on every
 * prefix dec_trailer and dec_record_id fail exactly when the trailer cannot fit. */
static inline void check_trailer(const struct dec_format *f, const struct rec *w, size_t full)
{
    struct dec_sample_id t;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_trailer(f, w->b, full, &t, &err), 0);
    uint64_t st = f->sample_type;
    CHECK_EQ_U64(t.pid, st & PERF_SAMPLE_TID ? 1 : 0);
    CHECK_EQ_U64(t.tid, st & PERF_SAMPLE_TID ? 2 : 0);
    CHECK_EQ_U64(t.time, st & PERF_SAMPLE_TIME ? 3 : 0);
    CHECK_EQ_U64(t.cpu, st & PERF_SAMPLE_CPU ? 6 : 0);
    CHECK_EQ_U64(t.stream_id, st & PERF_SAMPLE_STREAM_ID ? 5 : 0);
    CHECK_EQ_U64(t.id, st & (PERF_SAMPLE_ID | PERF_SAMPLE_IDENTIFIER) ? 0x77 : 0);
    uint64_t id = 0;
    CHECK_EQ_U64(dec_record_id(f, w->b, full, &id), 0);
    CHECK_EQ_U64(id, 0x77);

    size_t tsize = dec_trailer_size(f);
    int bad = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w->b, len);
        memset(&err, 0, sizeof(err));
        int rc = dec_trailer(f, p, len, &t, &err);
        if (len < 8 + tsize ? (rc != -1 || !one_line(&err)) : rc != 0)
            bad++;
        rc = dec_record_id(f, p, len, &id);
        if (len < 8 + tsize ? rc != -1 : rc != 0)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
}

/* The formats side-band records are tested with: hwprof's (IDENTIFIER) and perf's (ID only), and
 * the trailer size of each. */
static const struct {
    uint64_t st;
    size_t tsize;
} trailer_formats[] = {
    {REC_ST, 32},        /* TID, TIME, CPU, IDENTIFIER */
    {PERF_MULTI_ST, 32}, /* TID, TIME, ID, CPU */
    {PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID |
         PERF_SAMPLE_CPU | PERF_SAMPLE_IDENTIFIER,
     48},
};

#endif
