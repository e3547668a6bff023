/* test-perfreader-streams.c - the perf.data reader on how records arrive: rounds out of order, pipe streams, zstd compression, a killed writer, real files from perf and hwprof. */
#include "decode.h"
#include "prtest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- rounds, streams, compression, a killed writer ---- */

/* Reads every record of f (iterator created here): the sample ips in order into ips (up to max),
 * the count returned; -1 on an error. */
static long read_ips(struct pr_file *f, uint64_t *ips, size_t max)
{
    struct pr_iter *it;
    struct pr_record rec;
    struct hw_err err;
    long n = 0;
    int r;
    if (pr_iter_new(&it, f, &err) < 0)
        return -1;
    while ((r = pr_iter_next(it, &rec, &err)) == 1) {
        if (rec.h->type != PERF_RECORD_SAMPLE)
            continue;
        uint64_t ip;
        memcpy(&ip, (const unsigned char *)rec.h + 16, 8);
        if ((size_t)n < max)
            ips[n] = ip;
        n++;
    }
    pr_iter_free(it);
    return r < 0 ? -1 : n;
}

/* Two "CPUs" drained in turns, as the recorder does: each round holds CPU 0's records, then CPU
 * 1's, both covering the same time span; round k's records start before round k-1's latest. */
enum { ROUNDS = 400, PER_CPU = 25 };

static int write_rounds(const char *path, const struct pw_meta *meta, bool late)
{
    uint64_t ids[] = {7};
    struct pw_attr attr = {rec_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids, 1,
                           "cpu-clock", 0};
    struct pw_writer *w;
    struct hw_err err;
    struct rec r;
    int rc = 0;
    if (pw_writer_open(&w, path, &attr, 1, meta, &err) < 0) {
        fprintf(stderr, "pw_writer_open: %s\n", err.msg);
        return -1;
    }
    for (int k = 0; k < ROUNDS && rc == 0; k++) {
        for (int cpu = 0; cpu < 2 && rc == 0; cpu++)
            for (int i = 0; i < PER_CPU && rc == 0; i++) {
                /* times 10 apart per CPU, CPU 1 shifted by 5; the span overlaps the round before */
                uint64_t t =
                    1000 + (uint64_t)k * 10 * PER_CPU + (uint64_t)i * 10 + (uint64_t)cpu * 5;
                if (k > 0)
                    t -= 10 * PER_CPU / 2;
                rec_sample(&r, 7, t, t, (uint32_t)cpu); /* ip = time: the order is visible */
                rc = pw_writer_write(w, r.b, r.len, &err);
            }
        rec_round(&r);
        if (rc == 0)
            rc = pw_writer_write(w, r.b, r.len, &err);
    }
    if (late && rc == 0) { /* a record older than everything let go already */
        rec_sample(&r, 7, 1, 1, 0);
        rc = pw_writer_write(w, r.b, r.len, &err);
    }
    if (rc == 0)
        rc = pw_writer_finish(w, 1000, 1000 + ROUNDS * 10 * PER_CPU, NULL, 0, &err);
    else
        pw_writer_abort(w);
    if (rc < 0)
        fprintf(stderr, "write_rounds: %s\n", err.msg);
    return rc;
}

static bool sorted_ips(const uint64_t *ips, long n)
{
    for (long i = 1; i < n; i++)
        if (ips[i] < ips[i - 1])
            return false;
    return n > 0;
}

static void test_rounds(void)
{
    static uint64_t ips[ROUNDS * 2 * PER_CPU + 1];
    const char *p = tpath("rounds.data");
    struct pr_file *f;
    struct hw_err err;
    const long n = ROUNDS * 2 * PER_CPU;

    CHECK(write_rounds(p, NULL, false) == 0);
    warned[0] = 0;
    CHECK(pr_open(&f, p, &collect, &err) == 0);
    if (f) {
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        CHECK(sorted_ips(ips, n)); /* each round's records wait for the next round */
        CHECK_STR(warned, "");
        /* a file can be read again, with the same result */
        memset(ips, 0, sizeof(ips));
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        CHECK(sorted_ips(ips, n));
        pr_close(f);
    }
    /* a record older than what was let go: taken in late, and said so */
    CHECK(write_rounds(p, NULL, true) == 0);
    warned[0] = 0;
    CHECK(pr_open(&f, p, &collect, &err) == 0);
    if (f) {
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n + 1);
        /* it comes next after what was let go (before the records still held), not at the
         * start: the others stay in order */
        long at = -1;
        for (long i = 0; i <= n; i++)
            if (ips[i] == 1)
                at = i;
        CHECK(at > n / 2);
        if (at > 0) {
            memmove(ips + at, ips + at + 1, (size_t)(n - at) * sizeof(ips[0]));
            CHECK(sorted_ips(ips, n));
        }
        CHECK(strstr(warned, "1 records came after later ones") != NULL);
        pr_close(f);
    }
}

/* Runs the writer with path "-" (its standard output on file out). */
static int write_stream(const char *out, const struct pw_meta *meta)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (saved < 0 || fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        return -1;
    close(fd);
    int rc = write_rounds("-", meta, false);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return rc;
}

static void test_stream_and_compression(void)
{
    static uint64_t ips[ROUNDS * 2 * PER_CPU + 1], want[ROUNDS * 2 * PER_CPU + 1];
    const long n = ROUNDS * 2 * PER_CPU;
    char *argv[] = {"hwprof", "record", "-o", "-"};
    struct pw_meta meta = {.hostname = "streamhost", .arch = "x86_64", .argc = 4, .argv = argv};
    struct pr_file *f;
    struct hw_err err;

    CHECK(write_rounds(tpath("plain.data"), &meta, false) == 0);
    CHECK(pr_open(&f, tpath("plain.data"), NULL, &err) == 0);
    if (f) {
        CHECK_EQ_U64(read_ips(f, want, HW_ARRAY_SIZE(want)), n);
        pr_close(f);
    }
    const char *names[] = {"stream.data", "stream-z.data", "file-z.data"};
    for (int k = 0; k < 3; k++) {
        const char *p = tpath(names[k]);
        meta.compression_level = k == 0 ? 0 : 3;
        CHECK((k < 2 ? write_stream(p, &meta) : write_rounds(p, &meta, false)) == 0);
        warned[0] = 0;
        int r = pr_open(&f, p, &collect, &err);
        CHECK(r == 0);
        if (r < 0) {
            fprintf(stderr, "%s: %s\n", names[k], err.msg);
            continue;
        }
        CHECK_EQ_U64(pr_info(f)->stream, k < 2);
        CHECK_EQ_U64(pr_env(f)->nattrs, 1);
        CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock"); /* EVENT_DESC came as a record */
        CHECK_STR(pr_env(f)->hostname, "streamhost");
        CHECK_STR(pr_env(f)->cmdline, "hwprof record -o -");
        CHECK_EQ_U64(pr_env(f)->compression.type, k == 0 ? 0 : PF_COMP_ZSTD);
        memset(ips, 0, sizeof(ips));
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        CHECK(memcmp(ips, want, sizeof(want[0]) * (size_t)n) == 0);
        CHECK_EQ_U64(pr_env(f)->last_sample_time, 1000 + ROUNDS * 10 * PER_CPU); /* at the end */
        CHECK_STR(warned, "");
        /* a stream saved to a file reads again, its header records taken in once */
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        pr_close(f);
    }
    /* compressed, the file is much smaller */
    size_t plain_len = 0, z_len = 0;
    unsigned char *a = load_file(tpath("plain.data"), &plain_len);
    unsigned char *b = load_file(tpath("file-z.data"), &z_len);
    CHECK(a && b && z_len * 4 < plain_len);
    free(a);
    free(b);
    /* a stream cut short: the records before the cut, and one warning */
    size_t len = 0;
    unsigned char *s = load_file(tpath("stream-z.data"), &len);
    if (s) {
        CHECK(write_file(tpath("cut.data"), s, len * 2 / 3) == 0);
        warned[0] = 0;
        CHECK(pr_open(&f, tpath("cut.data"), &collect, &err) == 0);
        if (f) {
            long got = read_ips(f, ips, HW_ARRAY_SIZE(ips));
            CHECK(got > 0 && got < n);
            CHECK(strstr(warned, "ends inside") != NULL);
            pr_close(f);
        }
        free(s);
    }
}

/* A writer that dies without finishing (the process is killed): its records are read with a
 * warning. The child writes 3 MiB of samples, so the buffer was written at least twice. */
static void test_killed_writer(void)
{
    const char *p = tpath("killed.data");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t ids[] = {7};
        struct pw_attr attr = {rec_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids, 1,
                               "cpu-clock", 0};
        struct pw_writer *w;
        struct hw_err err;
        struct rec r;
        if (pw_writer_open(&w, p, &attr, 1, NULL, &err) < 0)
            _exit(1);
        for (uint64_t t = 1; t <= 30000; t++) {
            rec_sample(&r, 7, t, t, 0);
            if (pw_writer_write(w, r.b, r.len, &err) < 0)
                _exit(1);
        }
        _exit(0); /* no pw_writer_finish */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    struct pr_file *f;
    struct hw_err err;
    static uint64_t ips[30000];
    warned[0] = 0;
    CHECK(pr_open(&f, p, &collect, &err) == 0);
    if (!f)
        return;
    CHECK(pr_info(f)->unfinished);
    long n = read_ips(f, ips, HW_ARRAY_SIZE(ips));
    CHECK(n >= 20000 && n < 30000); /* two full buffers of ~10k samples each, the rest lost */
    CHECK(sorted_ips(ips, n) && ips[0] == 1);
    CHECK(strstr(warned, "was not finished") != NULL);
    pr_close(f);
}

/* ---- real files from perf and from hwprof ---- */

/* Counts the samples that `perf report -D` shows, or -1. */
static long perf_count_samples(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "perf report -D -i '%s' 2>/dev/null | grep -c 'PERF_RECORD_SAMPLE('",
             path);
    FILE *fp = popen(cmd, "r");
    long n = -1;
    if (!fp)
        return -1;
    if (fscanf(fp, "%ld", &n) != 1)
        n = -1;
    pclose(fp);
    return n;
}

/* Reads a real file: time order, every sample attributed, the sample count perf sees. */
static void check_real_file(const char *path, const char *what, const char *name0,
                            const char *version_prefix)
{
    struct pr_file *f;
    struct pr_iter *it;
    struct pr_record rec;
    struct hw_err err;
    if (pr_open(&f, path, NULL, &err) < 0) {
        CHECK(!"open a real file");
        fprintf(stderr, "%s: %s\n", what, err.msg);
        return;
    }
    struct utsname u;
    CHECK(uname(&u) == 0);
    CHECK_STR(pr_env(f)->hostname, u.nodename);
    CHECK_STR(pr_env(f)->osrelease, u.release);
    CHECK(pr_env(f)->version &&
          strncmp(pr_env(f)->version, version_prefix, strlen(version_prefix)) == 0);
    CHECK(pr_env(f)->cmdline && strstr(pr_env(f)->cmdline, "record"));
    CHECK(pr_env(f)->nr_cpus_online > 0);
    CHECK(pr_env(f)->nattrs >= 1);
    CHECK(strncmp(pr_env(f)->attrs[0].name, name0, strlen(name0)) == 0);
    long samples = 0, records = 0, unattributed = 0, disorder = 0, bad = 0;
    uint64_t last = 0;
    CHECK(pr_iter_new(&it, f, &err) == 0);
    if (it) {
        int r;
        while ((r = pr_iter_next(it, &rec, &err)) == 1) {
            records++;
            if (rec.time < last)
                disorder++;
            last = rec.time;
            if (rec.h->type != PERF_RECORD_SAMPLE)
                continue;
            samples++;
            if (rec.attr < 0) {
                unattributed++;
                continue;
            }
            struct dec_format fmt;
            struct dec_sample s;
            dec_format_from_attr(&fmt, &pr_env(f)->attrs[rec.attr].attr);
            if (dec_sample(&fmt, rec.h, rec.h->size, &s, &err) < 0 || s.time != rec.time ||
                (pr_env(f)->first_sample_time && s.time < pr_env(f)->first_sample_time))
                bad++;
        }
        CHECK(r == 0);
        pr_iter_free(it);
    }
    long perf_samples = perf_count_samples(path);
    printf("test-perfreader-streams: %s: %ld records, %ld samples (perf sees %ld), %zu events, "
           "first \"%s\"\n",
           what, records, samples, perf_samples, pr_env(f)->nattrs, pr_env(f)->attrs[0].name);
    CHECK(samples > 0);
    CHECK_EQ_U64(disorder, 0);
    CHECK_EQ_U64(unattributed, 0);
    CHECK_EQ_U64(bad, 0);
    if (perf_samples >= 0)
        CHECK_EQ_U64(samples, perf_samples);
    pr_close(f);
}

#define BUSY_LOOP "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'"

static void test_real_files(void)
{
    char cmd[1024];
    const char *hwprof = getenv("HWPROF");
    bool have_perf = system("perf --version >/dev/null 2>&1") == 0;

    if (!have_perf) {
        printf("test-perfreader-streams: perf not found, the real perf file check is skipped\n");
    } else {
        const char *p = tpath("perf.data");
        snprintf(cmd, sizeof(cmd),
                 "perf record -q -g -e cpu-clock,page-faults -o '%s' -- " BUSY_LOOP
                 " >/dev/null 2>&1",
                 p);
        if (system(cmd) != 0) {
            printf(
                "test-perfreader-streams: perf record failed (perf_event_paranoid?), the real perf "
                "file check is skipped\n");
        } else {
            check_real_file(p, "perf record -g -e cpu-clock,page-faults", "cpu-clock", "");
            struct pr_file *f;
            struct hw_err err;
            if (pr_open(&f, p, NULL, &err) == 0) {
                CHECK_EQ_U64(pr_env(f)->nattrs, 2);
                CHECK(strncmp(pr_env(f)->attrs[1].name, "page-faults", 11) ==
                      0); /* ":u" if not root */
                CHECK(pr_env(f)->nbuild_ids > 0);
                pr_close(f);
            }
        }
    }

    if (!hwprof || !*hwprof) {
        printf("test-perfreader-streams: HWPROF not set, the real hwprof file check is skipped\n");
        return;
    }
    const char *p = tpath("hwprof.data");
    snprintf(cmd, sizeof(cmd),
             "'%s' record -q -e cpu-clock,page-faults -o '%s' -- " BUSY_LOOP " >/dev/null 2>&1",
             hwprof, p);
    if (system(cmd) != 0) {
        CHECK(!"hwprof record");
        fprintf(stderr, "failed: %s\n", cmd);
        return;
    }
    check_real_file(p, "hwprof record -e cpu-clock,page-faults", "cpu-clock", "hwprof");
}

int main(void)
{
    if (tmpdir_make("test-perfreader-streams") < 0)
        return 1;
    test_rounds();
    test_stream_and_compression();
    test_killed_writer();
    test_real_files();
    tmpdir_remove("test-perfreader-streams");
    return check_done("test-perfreader-streams");
}
