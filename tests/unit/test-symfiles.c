/* test-symfiles.c - unit tests for the files the symbolizer opens: FIFOs as binaries, debug files, kallsyms and perf maps never block; perf maps of other users are ignored; a huge file named like a debug file is not read; the debuglink CRC. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "check.h"
#include "symtest.h"
#include "sym_private.h"
#include "symbolize.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A wedged test (a blocking open, a CRC over 8 GiB) fails here instead of hanging the suite. */
#define TEST_ALARM_SECONDS 60

/* Looks up vaddr a of the non-PIE program path, the whole file mapped from offset 0 at 0x400000
 * (where GNU ld puts its first segment). */
static void lookup(struct symbolizer *s, const char *path, uint64_t a, struct sym_result *r)
{
    struct sym_binary bin = {.path = path};
    sym_lookup(s, &bin, 0x400000, 0x800000, 0, 1, a, false, r);
}

static struct symbolizer *new_sym(const char *root, struct warnings *w)
{
    struct hw_err err;
    struct sym_options o = {
        .demangle = true, .use_kallsyms = true, .root = root, .buildid_dir = ""};
    struct symbolizer *s = sym_new(&o, on_warn, w, &err);
    CHECK(s != NULL);
    return s;
}

static void test_crc(void)
{
    CHECK_EQ_U64(sym_crc32_update(0, "123456789", 9), 0xcbf43926u);
    CHECK_EQ_U64(sym_crc32_update(0, "", 0), 0);
    /* in pieces of every alignment: the same as at once */
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    uint32_t whole = sym_crc32_update(0, buf, sizeof(buf));
    for (size_t cut = 0; cut < 20; cut++)
        CHECK_EQ_U64(sym_crc32_update(sym_crc32_update(0, buf, cut), buf + cut, sizeof(buf) - cut),
                     whole);
}

/* A FIFO where a binary, its FILE.debug or its debuglink file is expected must not block. */
static void test_fifos(const char *dir, uint64_t a)
{
    char path[4400];
    struct warnings w = {0};
    struct symbolizer *s = new_sym(NULL, &w);
    if (!s)
        return;
    struct sym_result r;

    snprintf(path, sizeof(path), "%s/fifo/prog", dir);
    lookup(s, path, a, &r);
    CHECK(!r.symbolized && r.nframes == 1);
    CHECK(strstr(w.all, "not a regular file") != NULL);

    /* FILE.debug is a FIFO: the symbol table names the function */
    snprintf(path, sizeof(path), "%s/guessfifo/prog", dir);
    lookup(s, path, a, &r);
    CHECK(r.symbolized && !r.has_lines);
    CHECK_STR(r.frames[0].function, "caller_a");

    /* the debuglink's target is a FIFO in every place it is looked for */
    snprintf(path, sizeof(path), "%s/linkfifo/prog", dir);
    lookup(s, path, a, &r);
    CHECK(r.symbolized && !r.has_lines);
    CHECK_STR(r.frames[0].function, "caller_a");
    sym_free(s);

    /* ROOT/proc/kallsyms is a FIFO: kernel frames are placeholders, with a warning */
    char root[4400];
    snprintf(root, sizeof(root), "%s/kroot", dir);
    memset(&w, 0, sizeof(w));
    s = new_sym(root, &w);
    if (!s)
        return;
    struct sym_binary k = {.path = "[kernel.kallsyms]", .kernel = true};
    sym_lookup(s, &k, 0, UINT64_MAX, 0, -1, 0xffffffff81001000ull, false, &r);
    CHECK(!r.symbolized);
    CHECK_STR(r.frames[0].function, "[kernel]");
    CHECK(strstr(w.all, "kallsyms") && strstr(w.all, "not a regular file"));
    sym_free(s);
}

/* A sparse 8 GiB file where the debuglink points: not an ELF file, so never read (its CRC would
 * take half a minute); the binary is still named from its symbol table. */
static void test_sparse_debug(const char *dir, uint64_t a)
{
    char path[4400];
    struct warnings w = {0};
    struct symbolizer *s = new_sym(NULL, &w);
    if (!s)
        return;
    struct sym_result r;
    snprintf(path, sizeof(path), "%s/sparse/prog", dir);
    lookup(s, path, a, &r);
    CHECK(r.symbolized && !r.has_lines);
    CHECK_STR(r.frames[0].function, "caller_a");
    sym_free(s);
    /* the good debug file by the same link still gives lines */
    memset(&w, 0, sizeof(w));
    s = new_sym(NULL, &w);
    if (!s)
        return;
    snprintf(path, sizeof(path), "%s/linked/prog", dir);
    lookup(s, path, a, &r);
    CHECK(r.symbolized && r.has_lines);
    CHECK_STR(r.frames[0].function, "caller_a");
    CHECK_EQ_U64(w.count, 0);
    sym_free(s);
}

/* /tmp/perf-PID.map: a FIFO is skipped without blocking; another user's file is ignored. */
static void test_perf_maps(const char *dir)
{
    char root[4400];
    snprintf(root, sizeof(root), "%s/jroot", dir);
    struct warnings w = {0};
    struct symbolizer *s = new_sym(root, &w);
    if (!s)
        return;
    struct sym_binary anon = {.path = "//anon"};
    struct sym_result r;
    sym_lookup(s, &anon, 0x7f0000000000ull, 0x7f0000100000ull, 0, 100, 0x7f0000001010ull, false,
               &r);
    CHECK(r.symbolized);
    CHECK_STR(r.frames[0].function, "jit_mine");
    sym_lookup(s, &anon, 0x7f0000000000ull, 0x7f0000100000ull, 0, 101, 0x7f0000001010ull, false,
               &r);
    CHECK(!r.symbolized);
    CHECK(strstr(w.all, "perf-101.map") && strstr(w.all, "not a regular file"));
    if (geteuid() == 0) {
        sym_lookup(s, &anon, 0x7f0000000000ull, 0x7f0000100000ull, 0, 102, 0x7f0000001010ull, false,
                   &r);
        CHECK(!r.symbolized);
        CHECK(strstr(w.all, "perf-102.map") && strstr(w.all, "another user"));
    }
    sym_free(s);
}

static bool build(const char *dir, uint64_t *a)
{
    char prog[4200];
    if (!symtest_write_src(dir))
        return false;
    if (!run("cd '%s' && cc -O2 -g -fno-pie -no-pie src.c -o prog && "
             "objcopy --only-keep-debug prog prog.debug && "
             "mkdir -p fifo guessfifo linkfifo/.debug sparse linked kroot/proc jroot/tmp && "
             "mkfifo fifo/prog guessfifo/prog.debug linkfifo/prog.debug linkfifo/.debug/prog.debug "
             "kroot/proc/kallsyms jroot/tmp/perf-101.map && "
             "objcopy --strip-debug prog guessfifo/prog && "
             "objcopy --strip-debug --add-gnu-debuglink=prog.debug prog linked/prog && "
             "cp prog.debug linked/prog.debug && cp linked/prog linkfifo/prog && cp linked/prog "
             "sparse/prog && "
             "truncate -s 8G sparse/prog.debug && "
             "printf '7f0000001000 100 jit_mine\\n' > jroot/tmp/perf-100.map && "
             "printf '7f0000001000 100 jit_theirs\\n' > jroot/tmp/perf-102.map",
             dir))
        return false;
    if (geteuid() == 0 && !run("chown 65534 '%s/jroot/tmp/perf-102.map'", dir))
        return false;
    snprintf(prog, sizeof(prog), "%s/prog", dir);
    *a = nm_addr(prog, "caller_a", false);
    return *a != 0;
}

int main(void)
{
    unsetenv("DEBUGINFOD_URLS");
    alarm(TEST_ALARM_SECONDS);
    test_crc();
    if (system("command -v cc >/dev/null && command -v objcopy >/dev/null && command -v nm "
               ">/dev/null") != 0) {
        printf("test-symfiles: SKIP: needs cc, objcopy and nm\n");
        return check_done("test-symfiles");
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/test-symfiles.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "test-symfiles: cannot create a temp dir: %s\n", strerror(errno));
        return 1;
    }
    uint64_t a = 0;
    bool built = build(dir, &a);
    CHECK(built);
    if (built) {
        test_fifos(dir, a);
        test_sparse_debug(dir, a);
        test_perf_maps(dir);
    }
    run("rm -rf '%s'", dir);
    return check_done("test-symfiles");
}
