/* pprof.c - encode a profile as a pprof Profile message (own protobuf encoder) and write it, plain or gzip'd with zlib. */
#include "pprof.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Protobuf wire types. */
#define PB_VARINT 0
#define PB_LEN    2

/* Field numbers of perftools.profiles messages. */
#define PROFILE_SAMPLE_TYPE    1
#define PROFILE_SAMPLE         2
#define PROFILE_MAPPING        3
#define PROFILE_LOCATION       4
#define PROFILE_FUNCTION       5
#define PROFILE_STRING_TABLE   6
#define PROFILE_TIME_NANOS     9
#define PROFILE_DURATION_NANOS 10
#define PROFILE_PERIOD_TYPE    11
#define PROFILE_PERIOD         12
#define PROFILE_COMMENT        13
#define PROFILE_DEFAULT_TYPE   14
#define VALUETYPE_TYPE         1
#define VALUETYPE_UNIT         2
#define SAMPLE_LOCATION_ID     1
#define SAMPLE_VALUE           2
#define SAMPLE_LABEL           3
#define LABEL_KEY              1
#define LABEL_STR              2
#define LABEL_NUM              3
#define LABEL_NUM_UNIT         4
#define MAPPING_ID             1
#define MAPPING_START          2
#define MAPPING_LIMIT          3
#define MAPPING_OFFSET         4
#define MAPPING_FILENAME       5
#define MAPPING_BUILD_ID       6
#define MAPPING_HAS_FUNCTIONS  7
#define MAPPING_HAS_FILENAMES  8
#define MAPPING_HAS_LINES      9
#define MAPPING_HAS_INLINE     10
#define LOCATION_ID            1
#define LOCATION_MAPPING_ID    2
#define LOCATION_ADDRESS       3
#define LOCATION_LINE          4
#define LINE_FUNCTION_ID       1
#define LINE_LINE              2
#define FUNCTION_ID            1
#define FUNCTION_NAME          2
#define FUNCTION_SYSTEM_NAME   3
#define FUNCTION_FILENAME      4
#define FUNCTION_START_LINE    5

/* Encoded bytes are handed to the output (or deflate) once this many have piled up. */
#define PPROF_FLUSH_AT (256u * 1024)
/* Size of the compressed-output chunk passed to fwrite. */
#define PPROF_ZCHUNK (128u * 1024)

/* Label keys: strings the writer adds after the profile's own (ids nstrings + PPROF_KEY_*). */
enum {
    PPROF_KEY_TID,
    PPROF_KEY_PID,
    PPROF_KEY_THREAD_NAME,
    PPROF_KEY_COMM,
    PPROF_KEY_CPU,
    PPROF_KEY_STATE,
    PPROF_NKEYS
};
static const char *const pprof_key_names[PPROF_NKEYS] = {"thread_id", "pid", "thread_name",
                                                         "comm",      "cpu", "state"};

struct pprof_writer {
    const struct profile *p;
    const bool *keep;
    const struct pprof_options *o;
    FILE *out;
    struct hw_err *err;
    struct hw_buf buf; /* encoded, not yet written */
    bool oom;          /* an encoder call could not grow buf */
    bool zinit;
    z_stream z;
    unsigned char *zout;
    /* strings: ids below p->nstrings are the profile's, then the label keys, then o->comments */
    size_t nall;
    uint32_t *str_new;   /* old id -> written index (0 for "" and for unused strings) */
    uint32_t *str_order; /* written index -> old id */
    uint32_t nused;
    uint32_t key_id[PPROF_NKEYS]; /* string id of each label key */
    /* which locations and functions the kept samples reference */
    unsigned char *loc_used, *fn_used;
    /* per mapping: 0 when no kept sample references it, else its id in the output, which is its
       position there (from 1, the main binary first) */
    uint32_t *map_id;
};

/* ---- protobuf encoding into w->buf ---- */

/* Returns room for n more bytes at the end of buf, or NULL (and sets oom). */
static inline unsigned char *pb_room(struct pprof_writer *w, size_t n)
{
    if (w->buf.cap - w->buf.len < n && hw_buf_reserve(&w->buf, n) < 0) {
        w->oom = true;
        return NULL;
    }
    return w->buf.data + w->buf.len;
}

/* Stores v as a varint at d. Returns the number of bytes (1..10). */
static inline size_t pb_put_varint(unsigned char *d, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        d[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    d[n++] = (unsigned char)v;
    return n;
}

static inline size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A varint field, written even when v is 0 (elements of repeated fields). */
static inline void pb_field_varint(struct pprof_writer *w, uint32_t field, uint64_t v)
{
    unsigned char *d = pb_room(w, 20);
    if (!d)
        return;
    size_t n = pb_put_varint(d, (uint64_t)field << 3 | PB_VARINT);
    n += pb_put_varint(d + n, v);
    w->buf.len += n;
}

/* An optional uint64/int64/bool field: left out when 0 (the proto3 default). Negative int64
 * values are their two's complement (10 bytes). */
static inline void pb_opt(struct pprof_writer *w, uint32_t field, uint64_t v)
{
    if (v)
        pb_field_varint(w, field, v);
}

static void pb_bytes(struct pprof_writer *w, uint32_t field, const void *data, size_t n)
{
    unsigned char *d = pb_room(w, n + 20);
    if (!d)
        return;
    size_t k = pb_put_varint(d, (uint64_t)field << 3 | PB_LEN);
    k += pb_put_varint(d + k, n);
    if (n)
        memcpy(d + k, data, n);
    w->buf.len += k + n;
}

/* Starts a length-delimited field (an embedded message or packed array): writes its key and a
 * one-byte length placeholder. Returns the placeholder's offset for pb_end. */
static size_t pb_begin(struct pprof_writer *w, uint32_t field)
{
    unsigned char *d = pb_room(w, 11);
    if (!d)
        return w->buf.len;
    size_t n = pb_put_varint(d, (uint64_t)field << 3 | PB_LEN);
    d[n] = 0;
    w->buf.len += n + 1;
    return w->buf.len - 1;
}

/* Ends the field started at placeholder offset at: stores its length, moving the contents when
 * the length needs more than one byte. */
static void pb_end(struct pprof_writer *w, size_t at)
{
    if (w->oom)
        return;
    size_t len = w->buf.len - at - 1;
    if (len < 0x80) {
        w->buf.data[at] = (unsigned char)len;
        return;
    }
    size_t k = pb_varint_size(len);
    if (!pb_room(w, k - 1))
        return;
    memmove(w->buf.data + at + k, w->buf.data + at + 1, len);
    pb_put_varint(w->buf.data + at, len);
    w->buf.len += k - 1;
}

/* Repeated uint32 ids (stored index + 1) as one packed field, or unpacked when there is one
 * (a packed single element would cost a length byte more). */
static void pb_ids(struct pprof_writer *w, uint32_t field, const uint32_t *idx, size_t n)
{
    if (n == 1) {
        pb_field_varint(w, field, (uint64_t)idx[0] + 1);
        return;
    }
    if (n == 0)
        return;
    size_t at = pb_begin(w, field);
    unsigned char *d = pb_room(w, n * 5);
    if (!d)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += pb_put_varint(d + k, (uint64_t)idx[i] + 1);
    w->buf.len += k;
    pb_end(w, at);
}

/* Repeated int64 values, packed as pb_ids. */
static void pb_int64s(struct pprof_writer *w, uint32_t field, const int64_t *v, size_t n)
{
    if (n == 1) {
        pb_field_varint(w, field, (uint64_t)v[0]);
        return;
    }
    if (n == 0)
        return;
    size_t at = pb_begin(w, field);
    unsigned char *d = pb_room(w, n * 10);
    if (!d)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += pb_put_varint(d + k, (uint64_t)v[i]);
    w->buf.len += k;
    pb_end(w, at);
}

/* ---- output ---- */

static int pprof_write_out(struct pprof_writer *w, const void *data, size_t n)
{
    errno = 0;
    if (n && fwrite(data, 1, n, w->out) != n)
        return hw_errf_errno(
            w->err, errno ? errno : EIO,
            "cannot write the pprof profile (check the output path and free space)");
    return 0;
}

/* Hands buf to the output (through deflate when gzip'ing) and empties it; finish ends the gzip
 * stream. Returns 0 or -1 with err. */
static int pprof_flush(struct pprof_writer *w, bool finish)
{
    if (w->oom)
        return hw_err_oom_while(w->err, "encoding the pprof profile; "
                                        "filter the samples (--pid, --comm) to make it smaller");
    if (!w->zinit) {
        int rc = pprof_write_out(w, w->buf.data, w->buf.len);
        w->buf.len = 0;
        return rc;
    }
    const unsigned char *in = w->buf.data;
    size_t left = w->buf.len;
    for (;;) {
        uInt step = left > (1u << 30) ? (1u << 30) : (uInt)left;
        w->z.next_in = (Bytef *)in;
        w->z.avail_in = step;
        bool last = finish && step == left;
        int zrc;
        do {
            w->z.next_out = w->zout;
            w->z.avail_out = PPROF_ZCHUNK;
            zrc = deflate(&w->z, last ? Z_FINISH : Z_NO_FLUSH);
            if (zrc == Z_STREAM_ERROR)
                return hw_errf(w->err, "zlib deflate failed while compressing the pprof profile");
            if (pprof_write_out(w, w->zout, PPROF_ZCHUNK - w->z.avail_out) < 0)
                return -1;
        } while (w->z.avail_out == 0 || (last && zrc != Z_STREAM_END));
        in += step;
        left -= step;
        if (left == 0)
            break;
    }
    w->buf.len = 0;
    return 0;
}

/* Flushes once enough bytes have piled up (call between top-level fields only). */
static inline int pprof_maybe_flush(struct pprof_writer *w)
{
    if (w->buf.len < PPROF_FLUSH_AT && !w->oom)
        return 0;
    return pprof_flush(w, false);
}

/* ---- what is referenced ---- */

static inline void pprof_use_str(struct pprof_writer *w, uint32_t id)
{
    if (id && !w->str_new[id]) {
        w->str_new[id] = w->nused;
        w->str_order[w->nused++] = id;
    }
}

static inline uint32_t pprof_key(const struct pprof_writer *w, int key)
{
    return w->key_id[key];
}

/* Points the label keys at the profile's own strings when it has them ("cpu" is usually a sample
 * type too), else at the writer's extra strings. */
static void pprof_find_keys(struct pprof_writer *w)
{
    const struct profile *p = w->p;
    for (int k = 0; k < PPROF_NKEYS; k++)
        w->key_id[k] = (uint32_t)p->nstrings + (uint32_t)k;
    for (size_t i = 1; i < p->nstrings; i++) {
        const char *s = p->strings[i];
        if (s[0] != 't' && s[0] != 'p' && s[0] != 'c' && s[0] != 's')
            continue;
        for (int k = 0; k < PPROF_NKEYS; k++)
            if (w->key_id[k] >= p->nstrings && strcmp(s, pprof_key_names[k]) == 0)
                w->key_id[k] = (uint32_t)i;
    }
}

static inline bool pprof_kept(const struct pprof_writer *w, size_t i)
{
    return !w->keep || w->keep[i];
}

/* True when the sample carries pid/tid labels: anything known about its thread. */
static inline bool pprof_has_ids(const struct prof_sample *s)
{
    return s->pid || s->tid || s->comm;
}

/* Gives the referenced mappings (map_id 1) their ids: their positions in the output, the main
 * binary first (pprof takes the first mapping for it), then the others in profile order. */
static void pprof_number_mappings(struct pprof_writer *w)
{
    const struct profile *p = w->p;
    uint32_t next = 1;
    if (p->main_mapping < p->nmappings && w->map_id[p->main_mapping])
        w->map_id[p->main_mapping] = next++;
    for (size_t i = 0; i < p->nmappings; i++)
        if (w->map_id[i] && i != p->main_mapping)
            w->map_id[i] = next++;
}

/* Marks the locations, functions, mappings and strings the kept samples reference, and numbers
 * the strings in the order they are met (the most often referenced first: label keys and comms). */
static void pprof_mark(struct pprof_writer *w)
{
    const struct profile *p = w->p;
    for (size_t i = 0; i < p->ntypes; i++) {
        pprof_use_str(w, p->types[i].type);
        pprof_use_str(w, p->types[i].unit);
    }
    for (size_t i = 0; i < p->nsamples; i++) {
        if (!pprof_kept(w, i))
            continue;
        const struct prof_sample *s = &p->samples[i];
        for (uint32_t j = 0; j < s->nlocs; j++)
            w->loc_used[p->loc_ids[s->first_loc + j]] = 1;
        if (!w->o->labels)
            continue;
        if (pprof_has_ids(s)) {
            pprof_use_str(w, pprof_key(w, PPROF_KEY_TID));
            pprof_use_str(w, pprof_key(w, PPROF_KEY_PID));
        }
        if (s->comm) {
            pprof_use_str(w, pprof_key(w, PPROF_KEY_THREAD_NAME));
            pprof_use_str(w, pprof_key(w, PPROF_KEY_COMM));
            pprof_use_str(w, s->comm);
        }
        if (s->cpu >= 0)
            pprof_use_str(w, pprof_key(w, PPROF_KEY_CPU));
        if (s->state) {
            pprof_use_str(w, pprof_key(w, PPROF_KEY_STATE));
            pprof_use_str(w, s->state);
        }
    }
    for (size_t i = 0; i < p->nlocations; i++) {
        if (!w->loc_used[i])
            continue;
        const struct prof_location *l = &p->locations[i];
        if (l->mapping != PROF_NONE)
            w->map_id[l->mapping] = 1;
        for (uint32_t j = 0; j < l->nlines; j++)
            w->fn_used[p->lines[l->first_line + j].function] = 1;
    }
    pprof_number_mappings(w);
    for (size_t i = 0; i < p->nmappings; i++) {
        if (w->map_id[i]) {
            pprof_use_str(w, p->mappings[i].filename);
            pprof_use_str(w, p->mappings[i].build_id);
        }
    }
    for (size_t i = 0; i < p->nfunctions; i++) {
        if (w->fn_used[i]) {
            pprof_use_str(w, p->functions[i].name);
            pprof_use_str(w, p->functions[i].system_name);
            pprof_use_str(w, p->functions[i].filename);
        }
    }
    for (size_t i = 0; i < p->ncomments; i++)
        pprof_use_str(w, p->comments[i]);
    for (size_t i = 0; i < w->o->ncomments; i++)
        pprof_use_str(w, (uint32_t)(p->nstrings + PPROF_NKEYS + i));
}

static inline uint64_t pprof_str(const struct pprof_writer *w, uint32_t id)
{
    return w->str_new[id];
}

static const char *pprof_str_text(const struct pprof_writer *w, uint32_t id)
{
    const struct profile *p = w->p;
    if (id < p->nstrings)
        return p->strings[id];
    id -= (uint32_t)p->nstrings;
    if (id < PPROF_NKEYS)
        return pprof_key_names[id];
    const char *s = w->o->comments[id - PPROF_NKEYS];
    return s ? s : "";
}

/* ---- messages ---- */

static void pprof_value_type(struct pprof_writer *w, uint32_t field,
                             const struct prof_sample_type *t)
{
    size_t at = pb_begin(w, field);
    pb_opt(w, VALUETYPE_TYPE, pprof_str(w, t->type));
    pb_opt(w, VALUETYPE_UNIT, pprof_str(w, t->unit));
    pb_end(w, at);
}

/* A numeric label. pprof readers drop a label whose num and num_unit are both unset (0), so a
 * zero value names its unit: the key, which is the unit pprof assumes for unit-less labels. */
static void pprof_num_label(struct pprof_writer *w, int key, int64_t num)
{
    uint64_t k = pprof_str(w, pprof_key(w, key));
    size_t at = pb_begin(w, SAMPLE_LABEL);
    pb_field_varint(w, LABEL_KEY, k);
    if (num)
        pb_field_varint(w, LABEL_NUM, (uint64_t)num);
    else
        pb_field_varint(w, LABEL_NUM_UNIT, k);
    pb_end(w, at);
}

static void pprof_str_label(struct pprof_writer *w, int key, uint32_t str)
{
    size_t at = pb_begin(w, SAMPLE_LABEL);
    pb_field_varint(w, LABEL_KEY, pprof_str(w, pprof_key(w, key)));
    pb_opt(w, LABEL_STR, pprof_str(w, str));
    pb_end(w, at);
}

static void pprof_sample(struct pprof_writer *w, const struct prof_sample *s)
{
    const struct profile *p = w->p;
    size_t at = pb_begin(w, PROFILE_SAMPLE);
    if (s->nlocs) /* a sample without a stack: loc_ids may be NULL */
        pb_ids(w, SAMPLE_LOCATION_ID, p->loc_ids + s->first_loc, s->nlocs);
    pb_int64s(w, SAMPLE_VALUE, p->values + s->values_at, p->ntypes);
    if (w->o->labels) {
        if (pprof_has_ids(s)) {
            pprof_num_label(w, PPROF_KEY_TID, s->tid);
            pprof_num_label(w, PPROF_KEY_PID, s->pid);
        }
        if (s->comm) {
            pprof_str_label(w, PPROF_KEY_THREAD_NAME, s->comm);
            pprof_str_label(w, PPROF_KEY_COMM, s->comm);
        }
        if (s->cpu >= 0)
            pprof_num_label(w, PPROF_KEY_CPU, s->cpu);
        if (s->state)
            pprof_str_label(w, PPROF_KEY_STATE, s->state);
    }
    pb_end(w, at);
}

static void pprof_mapping(struct pprof_writer *w, size_t i)
{
    const struct prof_mapping *m = &w->p->mappings[i];
    size_t at = pb_begin(w, PROFILE_MAPPING);
    pb_opt(w, MAPPING_ID, w->map_id[i]);
    pb_opt(w, MAPPING_START, m->start);
    pb_opt(w, MAPPING_LIMIT, m->limit);
    pb_opt(w, MAPPING_OFFSET, m->offset);
    pb_opt(w, MAPPING_FILENAME, pprof_str(w, m->filename));
    pb_opt(w, MAPPING_BUILD_ID, pprof_str(w, m->build_id));
    pb_opt(w, MAPPING_HAS_FUNCTIONS, m->has_functions);
    pb_opt(w, MAPPING_HAS_FILENAMES, m->has_filenames);
    pb_opt(w, MAPPING_HAS_LINES, m->has_line_numbers);
    pb_opt(w, MAPPING_HAS_INLINE, m->has_inline_frames);
    pb_end(w, at);
}

static void pprof_location(struct pprof_writer *w, size_t i)
{
    const struct prof_location *l = &w->p->locations[i];
    size_t at = pb_begin(w, PROFILE_LOCATION);
    pb_opt(w, LOCATION_ID, i + 1);
    if (l->mapping != PROF_NONE)
        pb_opt(w, LOCATION_MAPPING_ID, w->map_id[l->mapping]);
    pb_opt(w, LOCATION_ADDRESS, l->address);
    for (uint32_t j = 0; j < l->nlines; j++) {
        const struct prof_line *ln = &w->p->lines[l->first_line + j];
        size_t lat = pb_begin(w, LOCATION_LINE);
        pb_opt(w, LINE_FUNCTION_ID, (uint64_t)ln->function + 1);
        pb_opt(w, LINE_LINE, ln->line);
        pb_end(w, lat);
    }
    pb_end(w, at);
}

static void pprof_function(struct pprof_writer *w, size_t i)
{
    const struct prof_function *f = &w->p->functions[i];
    size_t at = pb_begin(w, PROFILE_FUNCTION);
    pb_opt(w, FUNCTION_ID, i + 1);
    pb_opt(w, FUNCTION_NAME, pprof_str(w, f->name));
    pb_opt(w, FUNCTION_SYSTEM_NAME, pprof_str(w, f->system_name));
    pb_opt(w, FUNCTION_FILENAME, pprof_str(w, f->filename));
    pb_opt(w, FUNCTION_START_LINE, f->start_line);
    pb_end(w, at);
}

/* Encodes the whole Profile, flushing as it goes. Returns 0 or -1 with err. */
static int pprof_encode(struct pprof_writer *w)
{
    const struct profile *p = w->p;
    for (size_t i = 0; i < p->ntypes; i++)
        pprof_value_type(w, PROFILE_SAMPLE_TYPE, &p->types[i]);
    for (size_t i = 0; i < p->nsamples; i++) {
        if (!pprof_kept(w, i))
            continue;
        pprof_sample(w, &p->samples[i]);
        if (pprof_maybe_flush(w) < 0)
            return -1;
    }
    /* in the order pprof_number_mappings gave them ids */
    if (p->main_mapping < p->nmappings && w->map_id[p->main_mapping])
        pprof_mapping(w, p->main_mapping);
    for (size_t i = 0; i < p->nmappings; i++)
        if (w->map_id[i] && i != p->main_mapping)
            pprof_mapping(w, i);
    if (pprof_maybe_flush(w) < 0)
        return -1;
    for (size_t i = 0; i < p->nlocations; i++) {
        if (!w->loc_used[i])
            continue;
        pprof_location(w, i);
        if (pprof_maybe_flush(w) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->nfunctions; i++) {
        if (!w->fn_used[i])
            continue;
        pprof_function(w, i);
        if (pprof_maybe_flush(w) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < w->nused; i++) {
        const char *s = pprof_str_text(w, w->str_order[i]);
        pb_bytes(w, PROFILE_STRING_TABLE, s, strlen(s));
        if (pprof_maybe_flush(w) < 0)
            return -1;
    }
    pb_opt(w, PROFILE_TIME_NANOS, (uint64_t)(w->o->time_nanos ? w->o->time_nanos : p->time_nanos));
    pb_opt(w, PROFILE_DURATION_NANOS, (uint64_t)p->duration_nanos);
    if (p->period_type < p->ntypes)
        pprof_value_type(w, PROFILE_PERIOD_TYPE, &p->types[p->period_type]);
    pb_opt(w, PROFILE_PERIOD, (uint64_t)p->period);
    size_t ncomments = p->ncomments + w->o->ncomments;
    if (ncomments) {
        int64_t *c = malloc(ncomments * sizeof(*c));
        if (!c)
            return hw_err_oom_while(w->err, "encoding the pprof profile");
        for (size_t i = 0; i < p->ncomments; i++)
            c[i] = (int64_t)pprof_str(w, p->comments[i]);
        for (size_t i = 0; i < w->o->ncomments; i++)
            c[p->ncomments + i] = (int64_t)pprof_str(w, (uint32_t)(p->nstrings + PPROF_NKEYS + i));
        pb_int64s(w, PROFILE_COMMENT, c, ncomments);
        free(c);
    }
    if (p->default_type < p->ntypes)
        pb_opt(w, PROFILE_DEFAULT_TYPE, pprof_str(w, p->types[p->default_type].type));
    return pprof_flush(w, true);
}

int pprof_write(const struct profile *p, const bool *keep, const struct pprof_options *o, FILE *out,
                struct hw_err *err)
{
    const struct pprof_options defaults = {.labels = true};
    struct pprof_writer w = {.p = p, .keep = keep, .o = o ? o : &defaults, .out = out, .err = err};
    int rc = -1;
    w.nall = p->nstrings + PPROF_NKEYS + w.o->ncomments;
    if (w.nall > UINT32_MAX)
        return hw_errf(err, "the profile has too many strings for pprof (%zu)", w.nall);
    w.str_new = calloc(w.nall, sizeof(*w.str_new));
    w.str_order = malloc(w.nall * sizeof(*w.str_order));
    w.loc_used = calloc(p->nlocations + 1, 1);
    w.fn_used = calloc(p->nfunctions + 1, 1);
    w.map_id = calloc(p->nmappings + 1, sizeof(*w.map_id));
    if (!w.str_new || !w.str_order || !w.loc_used || !w.fn_used || !w.map_id ||
        hw_buf_reserve(&w.buf, PPROF_FLUSH_AT + 4096) < 0) {
        hw_err_oom_while(err, "encoding the pprof profile");
        goto out;
    }
    w.str_order[0] = 0;
    w.nused = 1;
    pprof_find_keys(&w);
    pprof_mark(&w);
    if (w.o->gzip) {
        w.zout = malloc(PPROF_ZCHUNK);
        if (!w.zout) {
            hw_err_oom_while(err, "encoding the pprof profile");
            goto out;
        }
        /* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
        if (deflateInit2(&w.z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            hw_errf(err, "cannot start zlib compression: %s", w.z.msg ? w.z.msg : "out of memory");
            goto out;
        }
        w.zinit = true;
    }
    if (pprof_encode(&w) < 0)
        goto out;
    errno = 0;
    if (fflush(out) != 0 || ferror(out)) {
        hw_errf_errno(err, errno ? errno : EIO,
                      "cannot write the pprof profile (check the output path and free space)");
        goto out;
    }
    rc = 0;
out:
    if (w.zinit)
        deflateEnd(&w.z);
    free(w.zout);
    hw_buf_free(&w.buf);
    free(w.str_new);
    free(w.str_order);
    free(w.loc_used);
    free(w.fn_used);
    free(w.map_id);
    return rc;
}
