/* test-perfwriter.c - perf.data writer tests (read back by a mini reader); --write/--fill for e2e. */
#include "buildid.h"
#include "check.h"
#include "perfwriter.h"
#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAMPLE_TYPE                                                                                \
    (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |                \
     PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

/* ---- record encoder (sample_type SAMPLE_TYPE, sample_id_all; records.h has the rest) ---- */

static void enc_sample(struct rec *r, uint64_t id, uint64_t ip, uint32_t pid, uint32_t tid,
                       uint64_t time, uint32_t cpu, uint64_t period, const uint64_t *chain,
                       size_t nchain)
{
    rec_begin(r, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    rec_u64(r, id);
    rec_u64(r, ip);
    rec_u32(r, pid);
    rec_u32(r, tid);
    rec_u64(r, time);
    rec_u32(r, cpu);
    rec_u32(r, 0);
    rec_u64(r, period);
    rec_u64(r, nchain);
    for (size_t i = 0; i < nchain; i++)
        rec_u64(r, chain[i]);
    rec_end(r);
}

static struct perf_event_attr cpu_clock_attr(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_SOFTWARE;
    a.size = PERF_ATTR_SIZE_VER5; /* the writer must fix this to sizeof */
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    a.sample_freq = 4000;
    a.freq = 1;
    a.sample_type = SAMPLE_TYPE;
    a.sample_id_all = 1;
    a.disabled = 1;
    a.inherit = 1;
    a.mmap = 1;
    a.mmap2 = 1;
    a.comm = 1;
    a.comm_exec = 1;
    a.task = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.enable_on_exec = 1;
    return a;
}

/* ---- minimal perf.data reader ---- */

struct rd {
    unsigned char *p;
    size_t len;
    bool ok;
};

static bool rd_load(struct rd *f, const char *path)
{
    memset(f, 0, sizeof(*f));
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return false;
    }
    f->len = (size_t)st.st_size;
    f->p = malloc(f->len ? f->len : 1);
    f->ok = f->p && read(fd, f->p, f->len) == (ssize_t)f->len;
    close(fd);
    return f->ok;
}

/* Bounds-checked reads: out-of-range marks the reader failed and returns 0. */
static uint64_t rd_u64(struct rd *f, uint64_t off)
{
    uint64_t v = 0;
    if (off + 8 > f->len) {
        f->ok = false;
        return 0;
    }
    memcpy(&v, f->p + off, 8);
    return v;
}

static uint32_t rd_u32(struct rd *f, uint64_t off)
{
    uint32_t v = 0;
    if (off + 4 > f->len) {
        f->ok = false;
        return 0;
    }
    memcpy(&v, f->p + off, 4);
    return v;
}

/* A perf_header_string at *off: checks the padding rules, returns the string, advances *off. */
static const char *rd_string(struct rd *f, uint64_t *off)
{
    uint32_t len = rd_u32(f, *off);
    if (!f->ok || len == 0 || len % 64 != 0 || *off + 4 + len > f->len) {
        f->ok = false;
        return "";
    }
    const char *s = (const char *)f->p + *off + 4;
    if (!memchr(s, 0, len)) {
        f->ok = false;
        return "";
    }
    /* Padding is zeros, and the NUL is within the last 64 bytes (minimal padding). */
    size_t sl = strlen(s);
    CHECK(sl + 1 > len - 64);
    for (size_t i = sl; i < len; i++)
        CHECK(s[i] == 0);
    *off += 4 + len;
    return s;
}

struct feat {
    uint64_t offset, size;
    bool present;
};

/* Parses the header; fills feats[256] from the table after the data section. */
static void rd_header(struct rd *f, struct feat feats[PF_FEAT_BITS])
{
    memset(feats, 0, sizeof(struct feat) * PF_FEAT_BITS);
    CHECK_EQ_U64(rd_u64(f, 0), PF_MAGIC);
    CHECK(memcmp(f->p, "PERFILE2", 8) == 0);
    CHECK_EQ_U64(rd_u64(f, 8), 104);
    CHECK_EQ_U64(rd_u64(f, 16), sizeof(struct perf_event_attr) + 16);
    CHECK_EQ_U64(rd_u64(f, 56), 0); /* event_types */
    CHECK_EQ_U64(rd_u64(f, 64), 0);
    uint64_t table = rd_u64(f, 40) + rd_u64(f, 48);
    size_t n = 0;
    for (int bit = 0; bit < PF_FEAT_BITS; bit++) {
        if (!(rd_u64(f, 72 + (uint64_t)(bit / 64) * 8) >> (bit % 64) & 1))
            continue;
        feats[bit].present = true;
        feats[bit].offset = rd_u64(f, table + n * 16);
        feats[bit].size = rd_u64(f, table + n * 16 + 8);
        CHECK(feats[bit].offset >= table + 16); /* bodies follow the table */
        CHECK(feats[bit].offset + feats[bit].size <= f->len);
        n++;
    }
}

static bool write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return false;
    bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    return close(fd) == 0 && ok;
}

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp-"))
            n++;
    closedir(d);
    return n;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* ---- the round trip ---- */

static const uint64_t ids_a[] = {101, 102};
static const uint64_t ids_b[] = {201};

static void test_roundtrip(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/rt.data", dir);
    struct hw_err err = {{0}};

    struct pw_attr attrs[2];
    memset(attrs, 0, sizeof(attrs));
    attrs[0].attr = cpu_clock_attr();
    attrs[0].ids = ids_a;
    attrs[0].nids = 2;
    attrs[0].name = "cpu-clock";
    attrs[1].attr = cpu_clock_attr();
    attrs[1].attr.config = PERF_COUNT_SW_PAGE_FAULTS;
    attrs[1].attr.freq = 0;
    attrs[1].attr.sample_period = 1;
    attrs[1].ids = ids_b;
    attrs[1].nids = 1;
    attrs[1].name = "page-faults";

    char *argv[] = {"hwprof", "record", "-o", path, NULL};
    struct pw_meta meta = {
        .hostname = "host-x",
        .osrelease = "6.1.0-test",
        .version = "hwprof 0.1-test",
        .arch = "x86_64",
        .nr_cpus_avail = 4,
        .nr_cpus_online = 2,
        .argc = 4,
        .argv = argv,
    };
    struct pw_writer *w = NULL;
    mode_t old = umask(022);
    CHECK_EQ_U64(pw_writer_open(&w, path, attrs, 2, &meta, &err), 0);
    umask(old);
    if (!w) {
        fprintf(stderr, "open: %s\n", err.msg);
        return;
    }
    /* The file is there from the start, private whatever the umask, with a header that says
     * "not finished": data size 0, no features. */
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_U64(st.st_mode & 0777, 0600);
    CHECK_EQ_U64(count_tmp_files(dir), 0);
    struct rd early;
    CHECK(rd_load(&early, path));
    if (early.ok) {
        CHECK_EQ_U64(rd_u64(&early, 0), PF_MAGIC);
        CHECK_EQ_U64(rd_u64(&early, 48), 0);
        CHECK_EQ_U64(rd_u64(&early, 72) | rd_u64(&early, 80), 0);
        CHECK_EQ_U64(rd_u64(&early, 56), PF_WRITING_MARK); /* event_types: being written */
        CHECK_EQ_U64(rd_u64(&early, 64), 0);
        CHECK_EQ_U64(early.len, rd_u64(&early, 40)); /* ends where the data starts */
        free(early.p);
    }
    /* The attrs are copied: clobbering the caller's array must not matter. */
    struct pw_attr saved[2];
    memcpy(saved, attrs, sizeof(attrs));
    memset(attrs, 0xa5, sizeof(attrs));

    struct rec recs[8];
    size_t nrecs = 0;
    uint64_t chain[4] = {PERF_CONTEXT_USER, 0x401000, 0x401234, 0x401500};
    rec_comm(&recs[nrecs++], PERF_RECORD_MISC_COMM_EXEC, 100, 100, "prog", 1000, 0, 101);
    rec_mmap2(&recs[nrecs++], 100, 0x400000, 0x3000, 0, NULL, "/usr/bin/prog", 1001, 101);
    enc_sample(&recs[nrecs++], 101, 0x401000, 100, 100, 2000, 0, 250000, chain, 4);
    enc_sample(&recs[nrecs++], 201, 0x401010, 100, 101, 2001, 1, 1, chain, 2);
    enc_sample(&recs[nrecs++], 102, 0x401020, 100, 100, 2002, 1, 250000, chain, 3);
    rec_round(&recs[nrecs++]);
    rec_exit(&recs[nrecs++], 100, 1, 100, 1, 3000, 102);
    uint64_t total = 0;
    for (size_t i = 0; i < nrecs; i++) {
        CHECK_EQ_U64(pw_writer_write(w, recs[i].b, recs[i].len, &err), 0);
        total += recs[i].len;
        CHECK_EQ_U64(pw_writer_data_size(w), total);
    }
    /* A record whose header.size disagrees with len is refused. */
    CHECK_EQ_U64(pw_writer_write(w, recs[0].b, recs[0].len - 8, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "internal error") != NULL);
    CHECK_EQ_U64(pw_writer_write(w, recs[0].b, 4, &err), (uint64_t)-1);
    CHECK_EQ_U64(pw_writer_data_size(w), total);

    char long_name[200];
    memset(long_name, 'a', sizeof(long_name));
    long_name[0] = '/';
    long_name[sizeof(long_name) - 1] = 0;
    struct pw_build_id bids[4] = {
        {.pid = -1, .kernel = true, .id_len = 20, .filename = "[kernel.kallsyms]"},
        {.pid = -1, .kernel = false, .id_len = 20, .filename = "/usr/bin/prog"},
        {.pid = -1, .kernel = false, .id_len = 16, .filename = long_name},
        {.pid = -1, .kernel = false, .id_len = 0, .filename = "/no/build/id"}, /* skipped */
    };
    for (int i = 0; i < 20; i++) {
        bids[0].id[i] = (uint8_t)(0x10 + i);
        bids[1].id[i] = (uint8_t)(0x60 + i);
        bids[2].id[i] = (uint8_t)(0xa0 + i);
    }
    CHECK_EQ_U64(pw_writer_finish(w, 2000, 2002, bids, 4, &err), 0);
    CHECK_EQ_U64(count_tmp_files(dir), 0);
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_U64(st.st_mode & 0777, 0600);

    /* ---- read it back ---- */
    struct rd f;
    CHECK(rd_load(&f, path));
    if (!f.ok)
        return;
    struct feat feats[PF_FEAT_BITS];
    rd_header(&f, feats);
    const uint64_t asz = sizeof(struct perf_event_attr);

    /* ids right after the header, then the attrs, then the data. */
    uint64_t attrs_off = rd_u64(&f, 24), attrs_size = rd_u64(&f, 32);
    uint64_t data_off = rd_u64(&f, 40), data_size = rd_u64(&f, 48);
    CHECK_EQ_U64(attrs_off, 104 + 3 * 8);
    CHECK_EQ_U64(attrs_size, 2 * (asz + 16));
    CHECK_EQ_U64(data_off, attrs_off + attrs_size);
    CHECK_EQ_U64(data_size, total);
    for (int i = 0; i < 2; i++) {
        uint64_t a = attrs_off + (uint64_t)i * (asz + 16);
        struct perf_event_attr want = saved[i].attr;
        want.size = sizeof(struct perf_event_attr);
        CHECK(a + asz <= f.len && memcmp(f.p + a, &want, asz) == 0);
        CHECK_EQ_U64(rd_u32(&f, a + 4), asz); /* attr.size */
        uint64_t ioff = rd_u64(&f, a + asz), isz = rd_u64(&f, a + asz + 8);
        CHECK_EQ_U64(isz, saved[i].nids * 8);
        CHECK(ioff >= 104 && ioff + isz <= attrs_off);
        for (size_t j = 0; j < saved[i].nids; j++)
            CHECK_EQ_U64(rd_u64(&f, ioff + j * 8), saved[i].ids[j]);
    }

    /* The data section holds exactly our records, in order. */
    uint64_t pos = data_off;
    for (size_t i = 0; i < nrecs; i++) {
        CHECK(pos + recs[i].len <= f.len && memcmp(f.p + pos, recs[i].b, recs[i].len) == 0);
        pos += recs[i].len;
    }
    CHECK_EQ_U64(pos, data_off + data_size);

    /* Exactly these features, bodies contiguous after the table, ending at EOF. */
    const int want_bits[] = {PF_FEAT_BUILD_ID, PF_FEAT_HOSTNAME,   PF_FEAT_OSRELEASE,
                             PF_FEAT_VERSION,  PF_FEAT_ARCH,       PF_FEAT_NRCPUS,
                             PF_FEAT_CMDLINE,  PF_FEAT_EVENT_DESC, PF_FEAT_SAMPLE_TIME};
    int nbits = 0;
    for (int b = 0; b < PF_FEAT_BITS; b++)
        nbits += feats[b].present;
    CHECK_EQ_U64(nbits, HW_ARRAY_SIZE(want_bits));
    uint64_t expect_off = data_off + data_size + HW_ARRAY_SIZE(want_bits) * 16;
    for (size_t i = 0; i < HW_ARRAY_SIZE(want_bits); i++) {
        const struct feat *ft = &feats[want_bits[i]];
        CHECK(ft->present);
        CHECK_EQ_U64(ft->offset, expect_off);
        expect_off += ft->size;
    }
    CHECK_EQ_U64(expect_off, f.len);

    uint64_t o;
    o = feats[PF_FEAT_HOSTNAME].offset;
    CHECK_STR(rd_string(&f, &o), "host-x");
    CHECK_EQ_U64(o, feats[PF_FEAT_HOSTNAME].offset + feats[PF_FEAT_HOSTNAME].size);
    o = feats[PF_FEAT_OSRELEASE].offset;
    CHECK_STR(rd_string(&f, &o), "6.1.0-test");
    o = feats[PF_FEAT_VERSION].offset;
    CHECK_STR(rd_string(&f, &o), "hwprof 0.1-test");
    o = feats[PF_FEAT_ARCH].offset;
    CHECK_STR(rd_string(&f, &o), "x86_64");
    CHECK_EQ_U64(feats[PF_FEAT_NRCPUS].size, 8);
    CHECK_EQ_U64(rd_u32(&f, feats[PF_FEAT_NRCPUS].offset), 4);
    CHECK_EQ_U64(rd_u32(&f, feats[PF_FEAT_NRCPUS].offset + 4), 2);

    o = feats[PF_FEAT_CMDLINE].offset;
    CHECK_EQ_U64(rd_u32(&f, o), 4);
    o += 4;
    for (int i = 0; i < 4; i++)
        CHECK_STR(rd_string(&f, &o), argv[i]);
    CHECK_EQ_U64(o, feats[PF_FEAT_CMDLINE].offset + feats[PF_FEAT_CMDLINE].size);

    o = feats[PF_FEAT_EVENT_DESC].offset;
    CHECK_EQ_U64(rd_u32(&f, o), 2);
    CHECK_EQ_U64(rd_u32(&f, o + 4), asz);
    o += 8;
    for (int i = 0; i < 2; i++) {
        struct perf_event_attr want = saved[i].attr;
        want.size = sizeof(struct perf_event_attr);
        CHECK(o + asz <= f.len && memcmp(f.p + o, &want, asz) == 0);
        o += asz;
        uint32_t nids = rd_u32(&f, o);
        CHECK_EQ_U64(nids, saved[i].nids);
        o += 4;
        CHECK_STR(rd_string(&f, &o), saved[i].name);
        for (uint32_t j = 0; j < nids && j < saved[i].nids; j++)
            CHECK_EQ_U64(rd_u64(&f, o + j * 8), saved[i].ids[j]);
        o += nids * 8;
    }
    CHECK_EQ_U64(o, feats[PF_FEAT_EVENT_DESC].offset + feats[PF_FEAT_EVENT_DESC].size);

    /* build ids: 3 entries (the id-less one is skipped) */
    o = feats[PF_FEAT_BUILD_ID].offset;
    uint64_t end = o + feats[PF_FEAT_BUILD_ID].size;
    for (int i = 0; i < 3; i++) {
        const struct pw_build_id *b = &bids[i];
        size_t flen = (strlen(b->filename) + 1 + 63) / 64 * 64;
        CHECK_EQ_U64(rd_u32(&f, o), 0); /* type */
        uint16_t misc, size;
        memcpy(&misc, f.p + o + 4, 2);
        memcpy(&size, f.p + o + 6, 2);
        CHECK_EQ_U64(misc, (b->kernel ? PERF_RECORD_MISC_KERNEL : PERF_RECORD_MISC_USER) |
                               PF_RECORD_MISC_BUILD_ID_SIZE);
        CHECK_EQ_U64(size, 36 + flen);
        CHECK_EQ_U64((int32_t)rd_u32(&f, o + 8), -1);
        CHECK(memcmp(f.p + o + 12, b->id, (size_t)b->id_len) == 0);
        for (int j = b->id_len; j < 20; j++)
            CHECK(f.p[o + 12 + j] == 0);
        CHECK_EQ_U64(f.p[o + 32], b->id_len);
        CHECK(f.p[o + 33] == 0 && f.p[o + 34] == 0 && f.p[o + 35] == 0);
        CHECK_STR((const char *)f.p + o + 36, b->filename);
        for (size_t j = strlen(b->filename); j < flen; j++)
            CHECK(f.p[o + 36 + j] == 0);
        o += size;
    }
    CHECK_EQ_U64(o, end);

    CHECK_EQ_U64(feats[PF_FEAT_SAMPLE_TIME].size, 16);
    CHECK_EQ_U64(rd_u64(&f, feats[PF_FEAT_SAMPLE_TIME].offset), 2000);
    CHECK_EQ_U64(rd_u64(&f, feats[PF_FEAT_SAMPLE_TIME].offset + 8), 2002);
    CHECK(f.ok);
    free(f.p);
    unlink(path);
}

/* No meta, no build ids, no names: a valid file with an empty feature table. More than one buffer
 * of data crosses the flush path. Finishing replaces an existing file. */
static void test_big_and_replace(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/big.data", dir);
    struct hw_err err = {{0}};
    CHECK(write_text(path, "old contents\n"));

    uint64_t id = 7;
    struct pw_attr attr = {.attr = cpu_clock_attr(), .ids = &id, .nids = 1, .name = NULL};
    struct pw_writer *w = NULL;
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 1, NULL, &err), 0);
    if (!w)
        return;
    /* the older file is kept as NAME.old, as perf does */
    char old_path[600];
    snprintf(old_path, sizeof(old_path), "%s.old", path);
    struct rd old_f;
    CHECK(rd_load(&old_f, old_path));
    CHECK(old_f.ok && old_f.len == 13 && memcmp(old_f.p, "old contents\n", 13) == 0);
    free(old_f.p);
    uint64_t chain[64];
    for (int i = 0; i < 64; i++)
        chain[i] = 0x1000 + (uint64_t)i;
    const uint32_t n = 30000; /* ~ 30000 * avg 300 bytes = 9 MiB */
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct rec r;
        enc_sample(&r, id, 0x5000 + i, 1, i, i, 0, 1, chain, 1 + i % 64);
        CHECK_EQ_U64(pw_writer_write(w, r.b, r.len, &err) == 0, 1);
        total += r.len;
    }
    CHECK(total > 3 * (1u << 20));
    CHECK_EQ_U64(pw_writer_data_size(w), total);
    CHECK_EQ_U64(pw_writer_finish(w, 0, 0, NULL, 0, &err), 0);

    struct rd f;
    CHECK(rd_load(&f, path));
    if (!f.ok)
        return;
    struct feat feats[PF_FEAT_BITS];
    rd_header(&f, feats);
    for (int b = 0; b < PF_FEAT_BITS; b++)
        CHECK(!feats[b].present);
    uint64_t data_off = rd_u64(&f, 40);
    CHECK_EQ_U64(rd_u64(&f, 48), total);
    CHECK_EQ_U64(rd_u64(&f, 56) | rd_u64(&f, 64), 0); /* event_types: no "being written" mark */
    CHECK_EQ_U64(f.len, data_off + total); /* empty feature table */
    uint64_t pos = data_off;
    uint32_t seen = 0;
    while (pos + 8 <= data_off + total) {
        uint16_t size;
        memcpy(&size, f.p + pos + 6, 2);
        if (size < 8)
            break;
        uint64_t ip = rd_u64(&f, pos + 16);
        uint32_t tid = rd_u32(&f, pos + 28);
        uint64_t nr = rd_u64(&f, pos + 56);
        if (ip != 0x5000 + seen || tid != seen || nr != 1 + seen % 64 || size != 64 + nr * 8)
            break;
        pos += size;
        seen++;
    }
    CHECK_EQ_U64(seen, n);
    CHECK(f.ok);
    free(f.p);
    unlink(path);
    unlink(old_path);
}

static void test_errors(const char *dir)
{
    char path[512];
    struct hw_err err = {{0}};
    uint64_t id = 1;
    struct pw_attr attr = {.attr = cpu_clock_attr(), .ids = &id, .nids = 1, .name = "cpu-clock"};
    struct pw_writer *w = (struct pw_writer *)&err; /* must be reset to NULL on failure */

    snprintf(path, sizeof(path), "%s/no/such/dir/x.data", dir);
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 1, NULL, &err), (uint64_t)-1);
    CHECK(w == NULL);
    CHECK(strstr(err.msg, "cannot create") != NULL);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, "No such file or directory") != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);

    /* The parent is a regular file. */
    snprintf(path, sizeof(path), "%s/plain", dir);
    CHECK(write_text(path, "x"));
    snprintf(path, sizeof(path), "%s/plain/x.data", dir);
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 1, NULL, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "Not a directory") != NULL);
    snprintf(path, sizeof(path), "%s/plain", dir);
    unlink(path);
    CHECK_EQ_U64(count_files(dir), 0);

    /* The output is a directory or a device: refused before anything is created, and the
     * device is left alone (it must not be moved to NAME.old or truncated). */
    CHECK_EQ_U64(pw_writer_open(&w, dir, &attr, 1, NULL, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "a directory") != NULL);
    CHECK_EQ_U64(pw_writer_open(&w, "/dev/null", &attr, 1, NULL, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
    struct stat st;
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    CHECK_EQ_U64(count_files(dir), 0);

    /* No attributes. */
    snprintf(path, sizeof(path), "%s/x.data", dir);
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 0, NULL, &err), (uint64_t)-1);
    CHECK_EQ_U64(count_files(dir), 0);

    /* Abort leaves nothing behind. */
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 1, NULL, &err), 0);
    struct rec r;
    rec_round(&r);
    CHECK_EQ_U64(pw_writer_write(w, r.b, r.len, &err), 0);
    CHECK_EQ_U64(count_files(dir), 1);
    pw_writer_abort(w);
    CHECK_EQ_U64(count_files(dir), 0);
    pw_writer_abort(NULL);
}

/* In a child: a 64 KiB file size limit (SIGXFSZ ignored) makes writes fail with EFBIG, once in
 * pw_writer_write and once in pw_writer_finish; no file may be left behind. */
static int efbig_child(const char *dir)
{
    char path[512];
    struct hw_err err = {{0}};
    uint64_t id = 1;
    struct pw_attr attr = {.attr = cpu_clock_attr(), .ids = &id, .nids = 1, .name = "cpu-clock"};
    struct rlimit rl = {64 * 1024, 64 * 1024};
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
        return 77;
    snprintf(path, sizeof(path), "%s/limited.data", dir);

    struct pw_writer *w = NULL;
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 1, NULL, &err), 0);
    if (!w)
        return 1;
    uint64_t chain[8] = {0};
    int rc = 0;
    for (int i = 0; i < 100000 && rc == 0; i++) {
        struct rec r;
        enc_sample(&r, id, 1, 1, 1, 1, 0, 1, chain, 8);
        rc = pw_writer_write(w, r.b, r.len, &err);
    }
    CHECK_EQ_U64(rc, (uint64_t)-1);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, "File too large") != NULL);
    CHECK(strstr(err.msg, "ulimit") != NULL);
    /* After an error, further writes are refused; finish fails and cleans up. */
    struct rec r;
    rec_round(&r);
    CHECK_EQ_U64(pw_writer_write(w, r.b, r.len, &err), (uint64_t)-1);
    CHECK_EQ_U64(pw_writer_finish(w, 0, 0, NULL, 0, &err), (uint64_t)-1);
    CHECK_EQ_U64(count_files(dir), 0);

    /* 100 KiB stays in the buffer; the failure shows up in finish. */
    CHECK_EQ_U64(pw_writer_open(&w, path, &attr, 1, NULL, &err), 0);
    if (!w)
        return 1;
    for (int i = 0; i < 1000; i++) {
        struct rec s;
        enc_sample(&s, id, 1, 1, 1, 1, 0, 1, chain, 8);
        CHECK_EQ_U64(pw_writer_write(w, s.b, s.len, &err), 0);
    }
    err.msg[0] = 0;
    CHECK_EQ_U64(pw_writer_finish(w, 0, 0, NULL, 0, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "File too large") != NULL);
    CHECK_EQ_U64(count_files(dir), 0);
    return check_failures ? 1 : 0;
}

static void test_efbig(const char *dir)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(efbig_child(dir));
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
        printf("test-perfwriter: setrlimit failed, EFBIG part skipped\n");
    else
        CHECK_EQ_U64(WEXITSTATUS(status), 0);
}

static void test_meta_from_system(void)
{
    struct pw_meta m;
    struct pw_uname_storage u;
    struct utsname un;
    memset(&m, 0x5a, sizeof(m));
    pw_meta_from_system(&m, &u, "hwprof 9.9");
    CHECK(uname(&un) == 0);
    CHECK_STR(m.hostname, un.nodename);
    CHECK_STR(m.osrelease, un.release);
    CHECK_STR(m.arch, un.machine);
    CHECK_STR(m.version, "hwprof 9.9");
    CHECK(m.nr_cpus_online >= 1);
    CHECK(m.nr_cpus_online <= m.nr_cpus_avail);
    CHECK_EQ_U64(m.nr_cpus_online, (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
    CHECK(m.argc == 0 && m.argv == NULL && m.compression_level == 0);
    pw_meta_from_system(&m, &u, NULL);
    CHECK(m.version == NULL);
}

/* ---- modes for the e2e test ---- */

/* --write OUT BINARY FUNC_ADDR: a realistic recording of 100 samples in one function of BINARY. */
static int mode_write(const char *out, const char *binary, const char *func, char **argv, int argc)
{
    struct hw_err err = {{0}};
    char *end;
    errno = 0;
    uint64_t func_addr = strtoull(func, &end, 0);
    if (errno || *end || end == func) {
        fprintf(stderr, "test-perfwriter: bad address '%s'\n", func);
        return 2;
    }
    struct stat st;
    if (stat(binary, &st) < 0) {
        fprintf(stderr, "test-perfwriter: %s: %s\n", binary, strerror(errno));
        return 2;
    }
    struct pw_build_id bid = {.pid = -1, .kernel = false, .filename = binary};
    bid.id_len = buildid_read_file(binary, bid.id);
    if (bid.id_len < 0) {
        fprintf(stderr, "test-perfwriter: cannot read build id of %s: %s\n", binary, strerror(errno));
        return 2;
    }

    const uint64_t id = 1001, base = 0x555555554000ULL, t0 = 1000000000ULL;
    const uint32_t pid = 4242;
    struct pw_attr attr = {.attr = cpu_clock_attr(), .ids = &id, .nids = 1, .name = "cpu-clock"};
    struct pw_meta meta;
    struct pw_uname_storage u;
    pw_meta_from_system(&meta, &u, "hwprof-test");
    meta.argc = argc;
    meta.argv = argv;
    struct pw_writer *w;
    if (pw_writer_open(&w, out, &attr, 1, &meta, &err) < 0) {
        fprintf(stderr, "test-perfwriter: %s\n", err.msg);
        return 1;
    }
    struct rec r;
    int rc = 0;
    rec_comm(&r, PERF_RECORD_MISC_COMM_EXEC, pid, pid, "hwprof-test", t0, 0, id);
    rc |= pw_writer_write(w, r.b, r.len, &err);
    uint64_t len = ((uint64_t)st.st_size + 4095) & ~4095ULL;
    rec_mmap2(&r, pid, base, len, 0, &st, binary, t0 + 1, id);
    rc |= pw_writer_write(w, r.b, r.len, &err);
    uint64_t ip = base + func_addr;
    uint64_t chain[3] = {PERF_CONTEXT_USER, ip, base + func_addr + 1};
    uint64_t t = t0 + 1000;
    for (int i = 0; i < 100 && rc == 0; i++) {
        t = t0 + 1000 + (uint64_t)i * 250000;
        enc_sample(&r, id, ip, pid, pid, t, 0, 250000, chain, 3);
        rc |= pw_writer_write(w, r.b, r.len, &err);
    }
    rec_round(&r);
    rc |= pw_writer_write(w, r.b, r.len, &err);
    rec_exit(&r, pid, pid - 1, pid, pid - 1, t + 1000, id);
    rc |= pw_writer_write(w, r.b, r.len, &err);
    if (rc) {
        fprintf(stderr, "test-perfwriter: %s\n", err.msg);
        pw_writer_abort(w);
        return 1;
    }
    if (pw_writer_finish(w, t0 + 1000, t, bid.id_len > 0 ? &bid : NULL, bid.id_len > 0, &err) < 0) {
        fprintf(stderr, "test-perfwriter: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* --fill OUT [BYTES]: writes BYTES (default 8 MiB) of samples; exits 1 with the writer's message.
 */
static int mode_fill(const char *out, const char *bytes)
{
    struct hw_err err = {{0}};
    uint64_t limit = bytes ? strtoull(bytes, NULL, 0) : 8u << 20;
    uint64_t id = 1;
    struct pw_attr attr = {.attr = cpu_clock_attr(), .ids = &id, .nids = 1, .name = "cpu-clock"};
    struct pw_writer *w;
    if (pw_writer_open(&w, out, &attr, 1, NULL, &err) < 0) {
        fprintf(stderr, "test-perfwriter: %s\n", err.msg);
        return 1;
    }
    uint64_t chain[16] = {PERF_CONTEXT_USER};
    struct rec r;
    enc_sample(&r, id, 0x1000, 1, 1, 1, 0, 1, chain, 16);
    while (pw_writer_data_size(w) < limit) {
        if (pw_writer_write(w, r.b, r.len, &err) < 0) {
            fprintf(stderr, "test-perfwriter: %s\n", err.msg);
            pw_writer_abort(w);
            return 1;
        }
    }
    if (pw_writer_finish(w, 0, 0, NULL, 0, &err) < 0) {
        fprintf(stderr, "test-perfwriter: %s\n", err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--write") == 0)
        return mode_write(argv[2], argv[3], argv[4], argv, argc);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "--fill") == 0)
        return mode_fill(argv[2], argc == 4 ? argv[3] : NULL);
    if (argc != 1) {
        fprintf(stderr,
                "usage: test-perfwriter [--write OUT BINARY FUNC_ADDR | --fill OUT [BYTES]]\n");
        return 2;
    }

    char dir[] = "/tmp/test-perfwriter-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_roundtrip(dir);
    test_big_and_replace(dir);
    CHECK_EQ_U64(count_files(dir), 0);
    test_errors(dir);
    test_efbig(dir);
    test_meta_from_system();
    CHECK_EQ_U64(count_files(dir), 0);
    rmdir(dir);
    return check_done("test-perfwriter");
}
