/* perfrecords.c - read the records of a perf.data recording in time order: plain or zstd-compressed, from a file or a stream, with perf's rounds bounding memory. */
#include "perfreader_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pr_iter {
    struct pr_file *f;
};

/* ---- records: classification ---- */

/* The time and attr of a kernel record. Returns 0, or -1 with *why when it is malformed (too short
 * for its id, its sample fields or its sample_id trailer). */
static int pr_classify(const struct pr_file *f, const unsigned char *rec, size_t len,
                       uint64_t *time, int *attr, struct hw_err *why)
{
    struct perf_event_header h;
    struct dec_format fmt = f->fmts[0];
    int idx = 0;

    memcpy(&h, rec, sizeof(h));
    *time = 0;
    *attr = -1;
    if (h.type != PERF_RECORD_SAMPLE && !fmt.sample_id_all)
        return 0;
    if (f->env.nattrs > 1) {
        uint64_t id;
        int r = dec_record_id(&fmt, rec, len, &id);
        if (r < 0)
            return hw_errf(why,
                           "a record of type %" PRIu32 " (%zu bytes) is too short for its event id",
                           h.type, len);
        idx = r == 0 ? pr_attr_index(f, id) : -1;
        if (idx < 0 && r == 0 && id == 0)
            idx = 0; /* perf synthesizes side-band records (from /proc) with id 0 */
        if (idx < 0)
            return 0; /* an id no attribute lists: returned unattributed, the caller counts it */
        fmt = f->fmts[idx];
    }
    *attr = idx;
    if (h.type == PERF_RECORD_SAMPLE) {
        struct dec_sample s;
        if (!(fmt.sample_type & PERF_SAMPLE_TIME))
            return 0;
        /* Only the fields up to the time: no alignment or callchain checks needed here. */
        fmt.sample_type &=
            PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
        fmt.read_format = 0;
        if (dec_sample(&fmt, rec, len, &s, why) < 0)
            return -1;
        *time = s.time;
    } else {
        struct dec_sample_id sid;
        if (dec_trailer(&fmt, rec, len, &sid, why) < 0)
            return -1;
        *time = sid.time;
    }
    return 0;
}

/* ---- records: the time-ordered queue ---- */

/* Copies a kernel record into the queue; a malformed one is counted and skipped. Returns 0 or -1
 * with err (out of memory). */
static int pr_queue_record(struct pr_file *f, const unsigned char *rec, size_t len, uint64_t offset,
                           struct hw_err *err)
{
    struct hw_err why;
    uint64_t time;
    int attr;
    if (pr_classify(f, rec, len, &time, &attr, &why) < 0) {
        pr_skip_malformed(f, offset, why.msg);
        return 0;
    }
    return ord_push(&f->q, rec, len, time, offset, attr, err);
}

/* ---- records: dispatch ---- */

/* EVENT_UPDATE of type NAME names the attr with that id, unless it has a name. */
static int pr_event_update(struct pr_file *f, const unsigned char *rec, size_t len)
{
    struct cur c = cur_make(rec, len);
    uint64_t type, id;
    const char *name;
    if (!cur_skip(&c, 8) || !cur_u64(&c, &type) || !cur_u64(&c, &id) ||
        type != PF_EVENT_UPDATE_NAME || !cur_cstr(&c, &name))
        return 0;
    for (size_t i = 0; i < f->env.nattrs; i++) {
        struct pf_attr *a = &f->env.attrs[i];
        for (size_t k = 0; k < a->nids && !a->name; k++)
            if (a->ids[k] == id && !(a->name = hw_strdup(name)))
                return -1;
    }
    return 0;
}

/* Starts decompressing a COMPRESSED record: its payload is kept until it is used up. */
static int pr_start_compressed(struct pr_file *f, const unsigned char *rec, size_t len,
                               uint64_t offset, struct hw_err *err)
{
    if (!f->zdec && comp_decoder_new(&f->zdec, err) < 0)
        return -1;
    if (!f->zin && !(f->zin = malloc(PF_MAX_RECORD)))
        return hw_err_oom(err);
    if (!f->dbuf && !(f->dbuf = malloc(PR_DEC_SIZE)))
        return hw_err_oom(err);
    f->zin_len = len - 8;
    memcpy(f->zin, rec + 8, f->zin_len);
    f->zin_pos = 0;
    f->zin_offset = offset;
    f->zactive = true;
    return 0;
}

/* Handles one record: kernel records join the queue, perf's own are used or ignored. inner: it
 * came out of a COMPRESSED record. Returns 0, or -1 with err. */
static int pr_dispatch(struct pr_file *f, const unsigned char *rec, size_t len, uint64_t offset,
                       bool inner, struct hw_err *err)
{
    struct perf_event_header h;
    memcpy(&h, rec, sizeof(h));
    if (h.type < PF_RECORD_USER_START)
        return pr_queue_record(f, rec, len, offset, err);
    bool first = !f->replay; /* header records were taken in on the first read */
    switch (h.type) {
    case PF_RECORD_FINISHED_ROUND:
        ord_round(&f->q);
        return 0;
    case PF_RECORD_COMPRESSED:
        if (inner) {
            pr_skip_malformed(f, offset, "a COMPRESSED record inside a compressed record");
            return 0;
        }
        return pr_start_compressed(f, rec, len, offset, err);
    case PF_RECORD_HEADER_ATTR:
        f->skips.late_attrs += first && f->stream;
        return 0;
    case PF_RECORD_HEADER_FEATURE: {
        uint64_t id;
        if (first && len >= 16) {
            memcpy(&id, rec + 8, 8);
            if (id < PF_FEAT_BITS)
                pf_read_feature(&f->env, (int)id, rec + 16, len - 16);
        }
        return 0;
    }
    case PF_RECORD_HEADER_BUILD_ID:
        if (first && pf_read_build_id_record(&f->env, rec, len) < 0)
            pr_skip_malformed(f, offset, "a malformed build-id record");
        return 0;
    case PF_RECORD_EVENT_UPDATE:
        return first && pr_event_update(f, rec, len) < 0 ? hw_err_oom(err) : 0;
    default:
        return 0; /* perf's other records say nothing hwprof needs */
    }
}

/* A compressed record that cannot be decompressed: counted; the stream starts over. */
static void pr_bad_frame(struct pr_file *f, const char *why)
{
    if (f->skips.frames++ == 0)
        snprintf(f->skips.frames_first, sizeof(f->skips.frames_first),
                 "at byte %" PRIu64 ": %.150s", f->zin_offset, why);
    comp_decoder_reset(f->zdec);
    f->dlen = 0;
    f->zactive = false;
}

/* One step of decompression: up to PR_DEC_SIZE bytes, and the whole records among them
 * dispatched. Returns 0 or -1 with err. */
static int pr_decompress_step(struct pr_file *f, struct hw_err *err)
{
    struct hw_err why;
    long got = comp_decode(f->zdec, f->zin, f->zin_len, &f->zin_pos, f->dbuf + f->dlen,
                           PR_DEC_SIZE - f->dlen, &why);
    if (got < 0) {
        pr_bad_frame(f, why.msg);
        return 0;
    }
    if (got == 0 && f->zin_pos == f->zin_len)
        f->zactive = false; /* all in; a record may continue in the next COMPRESSED record */
    f->dlen += (size_t)got;
    size_t off = 0;
    while (f->dlen - off >= sizeof(struct perf_event_header)) {
        struct perf_event_header h;
        memcpy(&h, f->dbuf + off, sizeof(h));
        if (h.size < sizeof(h) || h.type == PF_RECORD_AUXTRACE ||
            h.type == PF_RECORD_HEADER_TRACING_DATA) {
            pr_bad_frame(f, "its records are garbled");
            return 0;
        }
        if (h.size > f->dlen - off)
            break;
        if (pr_dispatch(f, f->dbuf + off, h.size, f->zin_offset, true, err) < 0)
            return -1;
        off += h.size;
    }
    memmove(f->dbuf, f->dbuf + off, f->dlen - off);
    f->dlen -= off;
    return 0;
}

/* The input ended inside a record at input offset at. */
static void pr_cut(struct pr_file *f, uint64_t at)
{
    if (!f->skips.cut) {
        f->skips.cut = true;
        f->skips.cut_at = at;
    }
}

/* Reads the next record of the input (not consuming it when peek). Returns 1 with *rec, *len set
 * (valid until the next input call), 0 at the end of the input, -1 with err. */
static int pr_next_raw(struct pr_file *f, const unsigned char **rec, size_t *len,
                       struct hw_err *err)
{
    struct perf_event_header h;
    uint64_t at = f->in.offset;
    long avail = inbuf_fill(&f->in, sizeof(h), err);
    if (avail <= 0)
        return (int)avail;
    bool bounded = !f->stream && !f->unfinished; /* a finished file's data section */
    if ((size_t)avail < sizeof(h)) {
        if (bounded)
            return hw_errf(err,
                           "%s: record at byte %" PRIu64
                           " runs past the end of the data section (%ld bytes left); " PR_CORRUPT,
                           f->path, at, avail);
        pr_cut(f, at);
        return 0;
    }
    memcpy(&h, inbuf_peek(&f->in), sizeof(h));
    if (h.size == 0)
        return hw_errf(err, "%s: record at byte %" PRIu64 " has size 0; " PR_CORRUPT, f->path, at);
    if (h.size < sizeof(h))
        return hw_errf(err,
                       "%s: record at byte %" PRIu64
                       " has size %u, smaller than its 8-byte header; " PR_CORRUPT,
                       f->path, at, h.size);
    if (h.type >= PR_TYPE_MAX)
        return hw_errf(err,
                       "%s: record at byte %" PRIu64 " has type %" PRIu32 ", which no perf "
                       "writes; " PR_CORRUPT,
                       f->path, at, h.type);
    avail = inbuf_fill(&f->in, h.size, err);
    if (avail < 0)
        return -1;
    if ((size_t)avail < h.size) {
        if (bounded)
            return hw_errf(err,
                           "%s: record at byte %" PRIu64 " (type %" PRIu32 ", %u bytes) runs past "
                           "the end of the data section (%ld bytes left); " PR_CORRUPT,
                           f->path, at, h.type, h.size, avail);
        pr_cut(f, at);
        return 0;
    }
    *rec = inbuf_peek(&f->in);
    *len = h.size;
    return 1;
}

/* The bytes that follow an AUXTRACE or TRACING_DATA record and that its size does not count. */
static uint64_t pr_payload(const unsigned char *rec, size_t len)
{
    struct perf_event_header h;
    memcpy(&h, rec, sizeof(h));
    if (h.type == PF_RECORD_AUXTRACE && len >= 16) {
        uint64_t n;
        memcpy(&n, rec + 8, 8);
        return n;
    }
    if (h.type == PF_RECORD_HEADER_TRACING_DATA && len >= 12) {
        uint32_t n;
        memcpy(&n, rec + 8, 4);
        return n;
    }
    return 0;
}

/* Consumes the record returned by pr_next_raw and its payload. Returns 0, or -1 with err. */
static int pr_consume(struct pr_file *f, size_t len, uint64_t payload, struct hw_err *err)
{
    uint64_t at = f->in.offset;
    inbuf_consume(&f->in, len);
    int r = payload ? inbuf_skip(&f->in, payload, err) : 1;
    if (r < 0)
        return -1;
    if (r == 0) {
        if (!f->stream && !f->unfinished)
            return hw_errf(err,
                           "%s: the record at byte %" PRIu64 " has a payload of %" PRIu64
                           " bytes that runs past the end of the data section; " PR_CORRUPT,
                           f->path, at, payload);
        pr_cut(f, at);
    }
    return 0;
}

/* One step of reading: a piece of decompression, or the next record of the input. Returns 1, or
 * 0 at the end of the input, -1 with err. */
static int pr_step(struct pr_file *f, struct hw_err *err)
{
    if (f->zactive)
        return pr_decompress_step(f, err) < 0 ? -1 : 1;
    const unsigned char *rec;
    size_t len;
    int r = pr_next_raw(f, &rec, &len, err);
    if (r <= 0)
        return r;
    uint64_t at = f->in.offset, payload = pr_payload(rec, len);
    /* the record stays in the input buffer until consumed: dispatch copies what it keeps */
    if (pr_dispatch(f, rec, len, at, false, err) < 0)
        return -1;
    return pr_consume(f, len, payload, err) < 0 ? -1 : 1;
}

/* Whether a stream record of this type is part of its header (before the first data record). */
static bool pr_is_header_record(uint32_t type)
{
    switch (type) {
    case PF_RECORD_HEADER_ATTR:
    case PF_RECORD_HEADER_EVENT_TYPE:
    case PF_RECORD_HEADER_TRACING_DATA:
    case PF_RECORD_HEADER_BUILD_ID:
    case PF_RECORD_ID_INDEX:
    case PF_RECORD_AUXTRACE_INFO:
    case PF_RECORD_EVENT_UPDATE:
    case PF_RECORD_HEADER_FEATURE:
    case 73: /* THREAD_MAP */
    case 74: /* CPU_MAP */
    case 75: /* STAT_CONFIG */
    case 79: /* TIME_CONV */
        return true;
    default:
        return false;
    }
}

/* A stream's header: the records up to the first data record (left in the input), which carry the
 * attributes and features. Returns 0 or -1 with err. */
int pr_read_stream_header(struct pr_file *f, struct hw_err *err)
{
    if (f->in.seekable)
        pr_in_rewind(f);
    else
        inbuf_consume(&f->in, PF_PIPE_HEADER_SIZE); /* read already: keep the rest */
    for (;;) {
        const unsigned char *rec;
        size_t len;
        struct perf_event_header h;
        int r = pr_next_raw(f, &rec, &len, err);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        memcpy(&h, rec, sizeof(h));
        if (!pr_is_header_record(h.type))
            break;
        uint64_t at = f->in.offset;
        if (h.type == PF_RECORD_HEADER_ATTR) {
            if (pr_stream_attr(f, rec, len, at, err) < 0)
                return -1;
        } else if (pr_dispatch(f, rec, len, at, false, err) < 0) {
            return -1;
        }
        if (pr_consume(f, len, pr_payload(rec, len), err) < 0)
            return -1;
    }
    f->data_start = f->in.offset;
    return pr_freeze(f, err);
}

/* The warnings about what the records held, once at their end. */
static void pr_tell(struct pr_file *f)
{
    const struct pr_skips *s = &f->skips;
    if (f->told)
        return;
    f->told = true;
    if (s->cut)
        hw_warnf(&f->warn,
                 "%s ends inside a record at byte %" PRIu64
                 " (the recording was cut short); the records before it were read",
                 f->path, s->cut_at);
    else if (f->dlen > 0)
        hw_warnf(&f->warn,
                 "%s ends inside a compressed record (the recording was cut short); the records "
                 "before it were read",
                 f->path);
    if (s->malformed)
        hw_warnf(&f->warn, "%s: skipped %" PRIu64 " malformed record%s (the first %s)", f->path,
                 s->malformed, s->malformed == 1 ? "" : "s", s->malformed_first);
    if (s->frames)
        hw_warnf(&f->warn,
                 "%s: %" PRIu64 " compressed record%s could not be decompressed (the first %s); "
                 "the records in %s were skipped",
                 f->path, s->frames, s->frames == 1 ? "" : "s", s->frames_first,
                 s->frames == 1 ? "it" : "them");
    if (f->q.late)
        hw_warnf(&f->warn,
                 "%s: %" PRIu64 " records came after later ones had been read; they were taken "
                 "in late",
                 f->path, f->q.late);
    if (s->late_attrs)
        hw_warnf(&f->warn,
                 "%s: %" PRIu64 " event attributes came after the first record and were ignored",
                 f->path, s->late_attrs);
}

/* ---- iteration ---- */

/* Back to the first record, for a second pass over a file. */
static void pr_restart(struct pr_file *f)
{
    ord_clear(&f->q);
    if (f->zdec)
        comp_decoder_reset(f->zdec);
    f->zactive = false;
    f->dlen = 0;
    memset(&f->skips, 0, sizeof(f->skips));
    f->eof = f->told = false;
    f->replay = true;
    pr_in_rewind(f);
}

int pr_iter_new(struct pr_iter **out, struct pr_file *f, struct hw_err *err)
{
    *out = NULL;
    if (f->started && !f->in.seekable)
        return hw_errf(err, "%s: a stream can be read only once", f->path);
    if (f->started)
        pr_restart(f);
    else if (!f->stream)
        pr_in_rewind(f); /* a stream's header left the input at its first record */
    f->started = true;
    struct pr_iter *it = calloc(1, sizeof(*it));
    if (!it)
        return hw_err_oom(err);
    it->f = f;
    *out = it;
    return 0;
}

int pr_iter_next(struct pr_iter *it, struct pr_record *rec, struct hw_err *err)
{
    struct pr_file *f = it->f;
    struct ord_queue *q = &f->q;
    for (;;) {
        const struct ord_ent *e;
        int r = ord_next(q, &e, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            rec->h = (const struct perf_event_header *)(const void *)(q->arena + e->at);
            rec->offset = e->offset;
            rec->time = e->time;
            rec->attr = e->attr;
            return 1;
        }
        if (f->eof) {
            if (ord_count(q)) {
                ord_flush(q);
                continue;
            }
            pr_tell(f);
            return 0;
        }
        r = pr_step(f, err);
        if (r < 0)
            return -1;
        if (r == 0 && !f->zactive)
            f->eof = true;
        if (ord_held(q) > PR_QUEUE_MAX && q->ready == 0) /* no rounds, or huge ones */
            ord_flush_half(q);
    }
}

void pr_iter_free(struct pr_iter *it)
{
    free(it);
}
