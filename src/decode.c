/* decode.c - decode raw perf records from bytes, every read bounds-checked against len. */
#include "decode.h"

#include <inttypes.h>
#include <string.h>

#include "cursor.h"

/* perf's own synthesized record types (PERF_RECORD_HEADER_ATTR, FINISHED_ROUND, ...) start here;
 * they carry no sample_id trailer. */
#define DEC_USER_TYPE_START 64

/* sample_type bits that put a field into the sample_id_all trailer. */
#define DEC_TRAILER_BITS                                                                           \
    (PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID |                 \
     PERF_SAMPLE_CPU | PERF_SAMPLE_IDENTIFIER)

#define DEC_CORRUPT "the data is truncated or corrupt"

/* Copies the header out of rec. Returns false if len cannot hold it. */
static bool dec_header(const void *rec, size_t len, struct perf_event_header *h)
{
    if (!rec || len < sizeof(*h))
        return false;
    memcpy(h, rec, sizeof(*h));
    return true;
}

static const char *dec_type_name(uint32_t type)
{
    switch (type) {
    case PERF_RECORD_MMAP:
        return "MMAP";
    case PERF_RECORD_LOST:
        return "LOST";
    case PERF_RECORD_COMM:
        return "COMM";
    case PERF_RECORD_EXIT:
        return "EXIT";
    case PERF_RECORD_THROTTLE:
        return "THROTTLE";
    case PERF_RECORD_UNTHROTTLE:
        return "UNTHROTTLE";
    case PERF_RECORD_FORK:
        return "FORK";
    case PERF_RECORD_SAMPLE:
        return "SAMPLE";
    case PERF_RECORD_MMAP2:
        return "MMAP2";
    case PERF_RECORD_SWITCH:
        return "SWITCH";
    case PERF_RECORD_SWITCH_CPU_WIDE:
        return "SWITCH_CPU_WIDE";
    default:
        return "perf";
    }
}

void dec_format_from_attr(struct dec_format *f, const struct perf_event_attr *attr)
{
    f->sample_type = attr->sample_type;
    f->read_format = attr->read_format;
    f->sample_id_all = attr->sample_id_all;
    f->regs_user_mask = attr->sample_regs_user;
    f->branch_hw_index = (attr->branch_sample_type & PERF_SAMPLE_BRANCH_HW_INDEX) != 0;
}

size_t dec_trailer_size(const struct dec_format *fmt)
{
    if (!fmt->sample_id_all)
        return 0;
    return 8 * (size_t)__builtin_popcountll(fmt->sample_type & DEC_TRAILER_BITS);
}

int dec_record_id(const struct dec_format *fmt, const void *rec, size_t len, uint64_t *id)
{
    struct perf_event_header h;
    uint64_t st = fmt->sample_type;
    size_t off;

    if (!dec_header(rec, len, &h))
        return -1;
    if (h.type == PERF_RECORD_SAMPLE) {
        if (st & PERF_SAMPLE_IDENTIFIER)
            off = sizeof(h);
        else if (st & PERF_SAMPLE_ID)
            off = sizeof(h) +
                  8 * (size_t)__builtin_popcountll(st & (PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                                                         PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR));
        else
            return 1;
    } else {
        size_t tsize = dec_trailer_size(fmt);
        if (h.type >= DEC_USER_TYPE_START || !(st & (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_ID)) ||
            tsize == 0)
            return 1;
        if (len - sizeof(h) < tsize)
            return -1;
        if (st & PERF_SAMPLE_IDENTIFIER)
            off = len - 8;
        else
            off = len - tsize +
                  8 * (size_t)__builtin_popcountll(st & (PERF_SAMPLE_TID | PERF_SAMPLE_TIME));
    }
    if (off > len || len - off < 8)
        return -1;
    memcpy(id, (const unsigned char *)rec + off, 8);
    return 0;
}

static int dec_sample_short(struct hw_err *err, const char *what, const struct cur *c)
{
    return hw_errf(err, "sample record too short for its %s (%zu bytes left); " DEC_CORRUPT, what,
                   cur_left(c));
}

/* PERF_SAMPLE_READ: one value (with optional times, id, lost), or a group of them. */
static int dec_sample_read(uint64_t rf, struct cur *c, struct dec_sample *out,
                           struct hw_err *err)
{
    if (!(rf & PERF_FORMAT_GROUP)) {
        struct dec_read_value *v = &out->values[0];
        if (!cur_u64(c, &v->value))
            return dec_sample_short(err, "read value", c);
        if ((rf & PERF_FORMAT_TOTAL_TIME_ENABLED) && !cur_u64(c, &out->time_enabled))
            return dec_sample_short(err, "read time_enabled", c);
        if ((rf & PERF_FORMAT_TOTAL_TIME_RUNNING) && !cur_u64(c, &out->time_running))
            return dec_sample_short(err, "read time_running", c);
        v->id = 0;
        if ((rf & PERF_FORMAT_ID) && !cur_u64(c, &v->id))
            return dec_sample_short(err, "read id", c);
        v->lost = 0;
        if ((rf & PERF_FORMAT_LOST) && !cur_u64(c, &v->lost))
            return dec_sample_short(err, "read lost count", c);
        out->nr_values = 1;
        return 0;
    }

    uint64_t nr;
    if (!cur_u64(c, &nr))
        return dec_sample_short(err, "read group count", c);
    if (nr > DEC_MAX_READ)
        return hw_errf(err,
                       "sample has a read group of %" PRIu64 " values, more than the %d supported; "
                       "use smaller event groups (or the data is corrupt)",
                       nr, DEC_MAX_READ);
    if ((rf & PERF_FORMAT_TOTAL_TIME_ENABLED) && !cur_u64(c, &out->time_enabled))
        return dec_sample_short(err, "read time_enabled", c);
    if ((rf & PERF_FORMAT_TOTAL_TIME_RUNNING) && !cur_u64(c, &out->time_running))
        return dec_sample_short(err, "read time_running", c);
    size_t per = 8 * (size_t)(1 + !!(rf & PERF_FORMAT_ID) + !!(rf & PERF_FORMAT_LOST));
    if (nr * per > cur_left(c))
        return hw_errf(err,
                       "sample record too short for its read group (nr=%" PRIu64
                       ", %zu bytes left); " DEC_CORRUPT,
                       nr, cur_left(c));
    for (size_t i = 0; i < nr; i++) {
        struct dec_read_value *v = &out->values[i];
        v->id = 0;
        v->lost = 0;
        cur_u64(c, &v->value);
        if (rf & PERF_FORMAT_ID)
            cur_u64(c, &v->id);
        if (rf & PERF_FORMAT_LOST)
            cur_u64(c, &v->lost);
    }
    out->nr_values = (uint32_t)nr;
    return 0;
}

/* Skips RAW and BRANCH_STACK, then decodes REGS_USER and STACK_USER (the fields after CALLCHAIN). */
static int dec_sample_user(const struct dec_format *fmt, struct cur *c, struct dec_sample *out,
                           struct hw_err *err)
{
    uint64_t st = fmt->sample_type;
    if (st & PERF_SAMPLE_RAW) {
        uint32_t size; /* of the data after it: size + 4 is a multiple of 8 */
        if (!cur_u32(c, &size))
            return dec_sample_short(err, "raw data size", c);
        if (!cur_skip(c, size))
            return dec_sample_short(err, "raw data", c);
    }
    if (st & PERF_SAMPLE_BRANCH_STACK) {
        uint64_t nr, hw_idx;
        if (!cur_u64(c, &nr))
            return dec_sample_short(err, "branch stack length", c);
        if (fmt->branch_hw_index && !cur_u64(c, &hw_idx))
            return dec_sample_short(err, "branch stack index", c);
        if (nr > cur_left(c) / 24)
            return dec_sample_short(err, "branch stack", c);
        cur_skip(c, (size_t)nr * 24);
    }
    if (st & PERF_SAMPLE_REGS_USER) {
        if (!cur_u64(c, &out->user_abi))
            return dec_sample_short(err, "user register ABI", c);
        if (out->user_abi) {
            int n = __builtin_popcountll(fmt->regs_user_mask);
            if (n > DEC_MAX_REGS || (size_t)n > cur_left(c) / 8)
                return dec_sample_short(err, "user registers", c);
            for (int i = 0; i < n; i++)
                cur_u64(c, &out->user_regs[i]);
            out->nr_user_regs = (uint32_t)n;
        }
    }
    if (st & PERF_SAMPLE_STACK_USER) {
        uint64_t size, dyn;
        if (!cur_u64(c, &size))
            return dec_sample_short(err, "user stack size", c);
        if (size) {
            const unsigned char *data = cur_ptr(c);
            if (size > cur_left(c) || !cur_skip(c, (size_t)size))
                return dec_sample_short(err, "user stack", c);
            if (!cur_u64(c, &dyn))
                return dec_sample_short(err, "user stack dyn_size", c);
            out->user_stack = data;
            out->user_stack_size = dyn < size ? dyn : size;
        }
    }
    return 0;
}

int dec_sample(const struct dec_format *fmt, const void *rec, size_t len, struct dec_sample *out,
               struct hw_err *err)
{
    struct perf_event_header h;
    uint64_t st = fmt->sample_type;
    uint32_t res;

    /* Everything up to values[] is cleared; values[] is written only up to nr_values. */
    memset(out, 0, offsetof(struct dec_sample, values));
    out->nr_callchain = 0;
    out->callchain = NULL;
    out->user_abi = 0;
    out->nr_user_regs = 0;
    out->user_stack_size = 0;
    out->user_stack = NULL;

    if (!dec_header(rec, len, &h))
        return hw_errf(err, "sample record too short for its header (%zu bytes); " DEC_CORRUPT,
                       len);
    if (h.type != PERF_RECORD_SAMPLE)
        return hw_errf(err, "record of type %" PRIu32 " passed as a sample; decode it by its type",
                       h.type);
    out->misc = h.misc;

    struct cur c = {rec, sizeof(h), len};
    if ((st & PERF_SAMPLE_IDENTIFIER) && !cur_u64(&c, &out->id))
        return dec_sample_short(err, "identifier", &c);
    if ((st & PERF_SAMPLE_IP) && !cur_u64(&c, &out->ip))
        return dec_sample_short(err, "ip", &c);
    if ((st & PERF_SAMPLE_TID) && !cur_u32x2(&c, &out->pid, &out->tid))
        return dec_sample_short(err, "pid/tid", &c);
    if ((st & PERF_SAMPLE_TIME) && !cur_u64(&c, &out->time))
        return dec_sample_short(err, "time", &c);
    if ((st & PERF_SAMPLE_ADDR) && !cur_u64(&c, &out->addr))
        return dec_sample_short(err, "addr", &c);
    if ((st & PERF_SAMPLE_ID) && !cur_u64(&c, &out->id))
        return dec_sample_short(err, "id", &c);
    if ((st & PERF_SAMPLE_STREAM_ID) && !cur_u64(&c, &out->stream_id))
        return dec_sample_short(err, "stream_id", &c);
    if ((st & PERF_SAMPLE_CPU) && !cur_u32x2(&c, &out->cpu, &res))
        return dec_sample_short(err, "cpu", &c);
    if ((st & PERF_SAMPLE_PERIOD) && !cur_u64(&c, &out->period))
        return dec_sample_short(err, "period", &c);
    if ((st & PERF_SAMPLE_READ) && dec_sample_read(fmt->read_format, &c, out, err) < 0)
        return -1;
    if (st & PERF_SAMPLE_CALLCHAIN) {
        uint64_t nr;
        if (!cur_u64(&c, &nr))
            return dec_sample_short(err, "callchain length", &c);
        if (nr > cur_left(&c) / 8)
            return hw_errf(err,
                           "sample record too short for its callchain (nr=%" PRIu64
                           ", %zu bytes left); " DEC_CORRUPT,
                           nr, cur_left(&c));
        if (nr) {
            const unsigned char *p = cur_ptr(&c);
            if ((uintptr_t)p % 8 != 0)
                return hw_errf(err,
                               "sample record at %p is not 8-byte aligned, so its callchain "
                               "cannot be used in place; copy the record to an aligned buffer",
                               rec);
            out->callchain = (const uint64_t *)(const void *)p;
        }
        out->nr_callchain = nr;
        cur_skip(&c, (size_t)nr * 8);
    }
    return dec_sample_user(fmt, &c, out, err);
}

int dec_trailer(const struct dec_format *fmt, const void *rec, size_t len,
                struct dec_sample_id *out, struct hw_err *err)
{
    struct perf_event_header h;
    uint64_t st = fmt->sample_type;
    uint64_t identifier;
    uint32_t res;

    memset(out, 0, sizeof(*out));
    if (!dec_header(rec, len, &h))
        return hw_errf(err, "record too short for its header (%zu bytes); " DEC_CORRUPT, len);
    if (h.type == PERF_RECORD_SAMPLE)
        return hw_errf(err,
                       "sample record passed as a side-band record; decode it with dec_sample");
    size_t tsize = dec_trailer_size(fmt);
    if (tsize == 0 || h.type >= DEC_USER_TYPE_START)
        return 0;
    if (len - sizeof(h) < tsize)
        return hw_errf(err,
                       "%s record too short for its sample_id trailer (%zu bytes, trailer needs "
                       "%zu); " DEC_CORRUPT,
                       dec_type_name(h.type), len, tsize);

    struct cur c = {rec, len - tsize, len};
    /* tsize covers exactly the fields below, so these reads cannot fail. */
    if (st & PERF_SAMPLE_TID)
        cur_u32x2(&c, &out->pid, &out->tid);
    if (st & PERF_SAMPLE_TIME)
        cur_u64(&c, &out->time);
    if (st & PERF_SAMPLE_ID)
        cur_u64(&c, &out->id);
    if (st & PERF_SAMPLE_STREAM_ID)
        cur_u64(&c, &out->stream_id);
    if (st & PERF_SAMPLE_CPU)
        cur_u32x2(&c, &out->cpu, &res);
    if ((st & PERF_SAMPLE_IDENTIFIER) && cur_u64(&c, &identifier))
        out->id = identifier;
    return 0;
}

/* Points *s at the NUL-terminated string starting at c's position; it must end inside the record.
 */
static int dec_string(const struct cur *c, const char **s, const char *rtype,
                      const char *field, struct hw_err *err)
{
    if (!cur_cstr(c, s))
        return hw_errf(
            err, "%s record's %s is not NUL-terminated within the record (%zu bytes); " DEC_CORRUPT,
            rtype, field, c->end);
    return 0;
}

int dec_mmap(const void *rec, size_t len, struct dec_mmap *out, struct hw_err *err)
{
    struct perf_event_header h;

    memset(out, 0, sizeof(*out));
    if (!dec_header(rec, len, &h))
        return hw_errf(err, "MMAP record too short for its header (%zu bytes); " DEC_CORRUPT, len);
    if (h.type != PERF_RECORD_MMAP && h.type != PERF_RECORD_MMAP2)
        return hw_errf(err, "%s record (type %" PRIu32 ") passed as MMAP; decode it by its type",
                       dec_type_name(h.type), h.type);
    const char *name = dec_type_name(h.type);
    struct cur c = {rec, sizeof(h), len};
    if (!cur_u32x2(&c, &out->pid, &out->tid) || !cur_u64(&c, &out->start) ||
        !cur_u64(&c, &out->len) || !cur_u64(&c, &out->pgoff))
        return hw_errf(err, "%s record too short for its fields (%zu bytes); " DEC_CORRUPT, name,
                       len);
    if (h.type == PERF_RECORD_MMAP2) {
        out->has_mmap2 = true;
        if (h.misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
            uint8_t hdr[4];
            if (!cur_get(&c, hdr, sizeof(hdr)) ||
                !cur_get(&c, out->build_id, sizeof(out->build_id)))
                return hw_errf(
                    err, "MMAP2 record too short for its build id (%zu bytes); " DEC_CORRUPT, len);
            if (hdr[0] > sizeof(out->build_id))
                return hw_errf(
                    err, "MMAP2 record has a build id of %u bytes, more than %zu; " DEC_CORRUPT,
                    hdr[0], sizeof(out->build_id));
            out->build_id_size = hdr[0];
            out->has_build_id = true;
        } else {
            if (!cur_u32x2(&c, &out->maj, &out->min) || !cur_u64(&c, &out->ino) ||
                !cur_u64(&c, &out->ino_generation))
                return hw_errf(
                    err, "MMAP2 record too short for its inode (%zu bytes); " DEC_CORRUPT, len);
        }
        if (!cur_u32x2(&c, &out->prot, &out->flags))
            return hw_errf(
                err, "MMAP2 record too short for its prot/flags (%zu bytes); " DEC_CORRUPT, len);
    }
    if (dec_string(&c, &out->filename, name, "filename", err) < 0)
        return -1;
    out->kernel = (h.misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
    return 0;
}

/* Checks the header of a fixed-layout side-band record of one of two types (same twice if one). */
static int dec_fixed(const void *rec, size_t len, uint32_t t1, uint32_t t2, size_t need,
                     struct perf_event_header *h, struct hw_err *err)
{
    if (!dec_header(rec, len, h))
        return hw_errf(err, "%s record too short for its header (%zu bytes); " DEC_CORRUPT,
                       dec_type_name(t1), len);
    if (h->type != t1 && h->type != t2)
        return hw_errf(err, "%s record (type %" PRIu32 ") passed as %s; decode it by its type",
                       dec_type_name(h->type), h->type, dec_type_name(t1));
    if (len < need)
        return hw_errf(err,
                       "%s record too short for its fields (%zu bytes, need %zu); " DEC_CORRUPT,
                       dec_type_name(h->type), len, need);
    return 0;
}

int dec_comm(const void *rec, size_t len, struct dec_comm *out, struct hw_err *err)
{
    struct perf_event_header h;

    memset(out, 0, sizeof(*out));
    if (dec_fixed(rec, len, PERF_RECORD_COMM, PERF_RECORD_COMM, sizeof(h) + 8, &h, err) < 0)
        return -1;
    struct cur c = {rec, sizeof(h), len};
    cur_u32x2(&c, &out->pid, &out->tid);
    if (dec_string(&c, &out->comm, "COMM", "comm", err) < 0)
        return -1;
    out->exec = (h.misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
    return 0;
}

int dec_task(const void *rec, size_t len, struct dec_task *out, struct hw_err *err)
{
    struct perf_event_header h;

    memset(out, 0, sizeof(*out));
    if (dec_fixed(rec, len, PERF_RECORD_FORK, PERF_RECORD_EXIT, sizeof(h) + 24, &h, err) < 0)
        return -1;
    struct cur c = {rec, sizeof(h), len};
    cur_u32x2(&c, &out->pid, &out->ppid);
    cur_u32x2(&c, &out->tid, &out->ptid);
    cur_u64(&c, &out->time);
    return 0;
}

int dec_switch(const void *rec, size_t len, struct dec_switch *out, struct hw_err *err)
{
    struct perf_event_header h;

    memset(out, 0, sizeof(*out));
    if (dec_fixed(rec, len, PERF_RECORD_SWITCH, PERF_RECORD_SWITCH_CPU_WIDE, sizeof(h), &h, err) < 0)
        return -1;
    out->out = (h.misc & PERF_RECORD_MISC_SWITCH_OUT) != 0;
    out->preempt = out->out && (h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
    if (h.type == PERF_RECORD_SWITCH_CPU_WIDE) {
        if (dec_fixed(rec, len, h.type, h.type, sizeof(h) + 8, &h, err) < 0)
            return -1;
        struct cur c = {rec, sizeof(h), len};
        cur_u32x2(&c, &out->next_prev_pid, &out->next_prev_tid);
        out->cpu_wide = true;
    }
    return 0;
}

int dec_lost(const void *rec, size_t len, struct dec_lost *out, struct hw_err *err)
{
    struct perf_event_header h;

    memset(out, 0, sizeof(*out));
    if (dec_fixed(rec, len, PERF_RECORD_LOST, PERF_RECORD_LOST, sizeof(h) + 16, &h, err) < 0)
        return -1;
    struct cur c = {rec, sizeof(h), len};
    cur_u64(&c, &out->id);
    cur_u64(&c, &out->lost);
    return 0;
}

int dec_throttle(const void *rec, size_t len, struct dec_throttle *out, struct hw_err *err)
{
    struct perf_event_header h;

    memset(out, 0, sizeof(*out));
    if (dec_fixed(rec, len, PERF_RECORD_THROTTLE, PERF_RECORD_UNTHROTTLE, sizeof(h) + 24, &h, err) <
        0)
        return -1;
    struct cur c = {rec, sizeof(h), len};
    cur_u64(&c, &out->time);
    cur_u64(&c, &out->id);
    cur_u64(&c, &out->stream_id);
    return 0;
}
