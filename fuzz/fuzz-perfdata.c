/* fuzz-perfdata.c - libFuzzer target: read a perf.data file and load it into a profile (no symbolization of real files). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flame.h"
#include "folded.h"
#include "perfreader.h"
#include "pprof.h"
#include "profile.h"
#include "load.h"
#include "top.h"
#include "tree.h"
#include "timeline.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Symbolizer root: every path the symbolizer opens (binaries, debug files, /proc/kallsyms,
 * /tmp/perf-PID.map) is ROOT + path. /dev/null is not a directory, so "/dev/null/usr/bin/ls" and
 * even "/dev/null/../../usr/bin/ls" fail with ENOTDIR: a fuzzed file can never make the symbolizer
 * read a real file, whatever hostname, release or paths it claims. */
#define FUZZ_SYM_ROOT "/dev/null"

static void fuzz_warn(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Exercises the outputs on a loaded profile: the top table of every sample type and the pprof
 * encoding (without gzip, into /dev/null). */
static void fuzz_outputs(const struct profile *p, FILE *null_out)
{
    struct hw_err err;
    for (size_t t = 0; t < p->ntypes; t++) {
        struct top_options to = {.type = t, .lines = (t & 1) != 0};
        struct top_table tt;
        if (top_compute(p, NULL, &to, &tt, &err) == 0) {
            top_print(null_out, &tt, &to, p);
            top_free(&tt);
        }
    }
    if (!null_out)
        return;
    pprof_write(p, NULL, NULL, null_out, &err);
    /* the other outputs, of the default type: names and values straight from the file */
    size_t type = p->default_type < p->ntypes ? p->default_type : 0;
    if (p->ntypes == 0)
        return;
    folded_write(p, NULL, type, null_out, &err);
    struct tree_options tro = {.type = type, .total = 1, .min_fraction = 0.005};
    tree_print(null_out, p, NULL, &tro, &err);
    struct flame_options fo = {.type = type, .title = "fuzz"};
    flame_write_html(p, NULL, &fo, null_out, &err);
    struct timeline_options tlo = {.type = type};
    timeline_write_json(p, NULL, &tlo, null_out, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The harness (not library code) keeps one memfd and one /dev/null stream across inputs. */
    static int fd = -1;
    static FILE *null_out;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-perfdata", MFD_CLOEXEC);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        null_out = fopen("/dev/null", "w");
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
        perror("memfd write");
        abort();
    }

    struct hw_err err;
    struct pr_file *f;
    if (pr_open(&f, path, NULL, &err) < 0)
        return 0;
    struct load_options lo = {.warn = fuzz_warn, .root = FUZZ_SYM_ROOT, .timeline = true};
    struct profile *p;
    struct load_info info;
    if (load_profile(f, &lo, &p, &info, &err) == 0) {
        load_pick_type(p, f, NULL, &err);
        load_pick_type(p, f, "cpu-clock", &err);
        fuzz_outputs(p, null_out);
        prof_free(p);
        load_info_free(&info);
    }
    pr_close(f);
    return 0;
}
