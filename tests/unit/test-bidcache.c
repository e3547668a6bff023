/* test-bidcache.c - unit tests for perf's build-id cache (paths, storing, perf's own cache read back) and for the symbolizer's use of it: rebuilt or missing binaries, the vDSO image, CFI without debug info. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "bidcache.h"
#include "buildid.h"
#include "check.h"
#include "symtest.h"
#include "symbolize.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether files a and b have the same bytes. */
static bool same_file(const char *a, const char *b)
{
    return run("cmp -s '%s' '%s'", a, b);
}

static void test_paths(void)
{
    uint8_t id[HW_BUILD_ID_MAX];
    for (int i = 0; i < HW_BUILD_ID_MAX; i++)
        id[i] = (uint8_t)(0xab + i);
    char out[4096];
    CHECK_EQ_U64(bidcache_path("/d", id, HW_BUILD_ID_MAX, BIDCACHE_ELF, out, sizeof(out)), 0);
    CHECK_STR(out, "/d/.build-id/ab/acadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe/elf");
    CHECK_EQ_U64(bidcache_path("/d", id, 4, BIDCACHE_VDSO, out, sizeof(out)), 0);
    CHECK_STR(out, "/d/.build-id/ab/acadae/vdso");
    CHECK(bidcache_path("/d", id, 0, BIDCACHE_ELF, out, sizeof(out)) < 0);
    CHECK(bidcache_path("/d", id, HW_BUILD_ID_MAX + 1, BIDCACHE_ELF, out, sizeof(out)) < 0);
    CHECK(bidcache_path("/d", id, 4, BIDCACHE_ELF, out, 10) < 0);

    char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", "/h", 1);
    char *d = bidcache_default_dir();
    CHECK_STR(d, "/h/.debug");
    free(d);
    unsetenv("HOME");
    CHECK(bidcache_default_dir() == NULL);
    if (saved_home)
        setenv("HOME", saved_home, 1);
    free(saved_home);
}

/* Stores prog under cache and reads it back the way perf lays it out. */
static void test_store(const char *dir, const char *prog, const uint8_t *id, int len)
{
    char cache[4200], out[4400], link[4400], target[4400], hex[2 * HW_BUILD_ID_MAX + 1];
    struct hw_err err = {{0}};
    snprintf(cache, sizeof(cache), "%s/cache", dir);
    buildid_to_hex(id, len, hex);
    CHECK_EQ_U64(bidcache_store_file(cache, "/opt/app/prog", prog, id, len, &err), 0);
    CHECK_EQ_U64(bidcache_path(cache, id, len, BIDCACHE_ELF, out, sizeof(out)), 0);
    CHECK(same_file(out, prog));
    snprintf(link, sizeof(link), "%s/.build-id/%.2s/%s", cache, hex, hex + 2);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    CHECK(n > 0);
    target[n > 0 ? n : 0] = '\0';
    char want[4400];
    snprintf(want, sizeof(want), "../../opt/app/prog/%s", hex);
    CHECK_STR(target, want);
    /* a second store keeps the entry */
    CHECK_EQ_U64(bidcache_store_file(cache, "/opt/app/prog", prog, id, len, &err), 0);
    CHECK(bidcache_store(cache, "relative/prog", id, len, BIDCACHE_ELF, "x", 1, &err) < 0);
    CHECK(bidcache_store(cache, "/a/../etc/prog", id, len, BIDCACHE_ELF, "x", 1, &err) < 0);
    CHECK(bidcache_store(cache, "/opt/prog", id, 0, BIDCACHE_ELF, "x", 1, &err) < 0);

    /* perf's own cache, read back through bidcache_path */
    if (system("command -v perf >/dev/null 2>&1") == 0) {
        char pcache[4200];
        snprintf(pcache, sizeof(pcache), "%s/perfcache", dir);
        if (run("perf --buildid-dir '%s' buildid-cache -a '%s' >/dev/null 2>&1", pcache, prog)) {
            CHECK_EQ_U64(bidcache_path(pcache, id, len, BIDCACHE_ELF, out, sizeof(out)), 0);
            CHECK(same_file(out, prog));
        } else {
            printf(
                "test-bidcache: note: perf buildid-cache -a failed: perf's layout not checked\n");
        }
    }
}

/* The file at a mapping's path was rebuilt (or removed): the cached copy with the recorded build id
 * is symbolized instead. */
static void test_rebuilt(const char *dir, const char *prog, const uint8_t *id, int len, uint64_t a)
{
    char cache[4200], path[4200];
    struct hw_err err = {{0}};
    snprintf(cache, sizeof(cache), "%s/cache2", dir);
    snprintf(path, sizeof(path), "%s/app/prog", dir);
    CHECK(run("mkdir -p '%s/app' && cp '%s' '%s'", dir, prog, path));
    CHECK_EQ_U64(bidcache_store_file(cache, path, path, id, len, &err), 0);
    CHECK(run("cd '%s' && cc -O2 -g -fno-pie -no-pie -DRENAMED src.c -o app/prog", dir));

    struct sym_binary bin = {.path = path, .build_id = id, .build_id_len = len};
    for (int with_cache = 0; with_cache < 2; with_cache++) {
        struct warnings w = {0};
        struct sym_options o = {.demangle = true, .buildid_dir = with_cache ? cache : ""};
        struct symbolizer *s = sym_new(&o, on_warn, &w, &err);
        CHECK(s != NULL);
        if (!s)
            return;
        struct sym_result r;
        sym_lookup(s, &bin, 0x400000, 0x800000, 0, 1, a, false, &r);
        if (with_cache) {
            CHECK(r.symbolized && r.has_lines);
            CHECK_STR(r.frames[0].function, "caller_a");
            CHECK_EQ_U64(w.count, 0);
        } else {
            CHECK(!r.symbolized);
            CHECK(strstr(w.all, "build id") != NULL);
        }
        sym_free(s);
    }
    /* removed: the cache still has it */
    unlink(path);
    struct warnings w = {0};
    struct sym_options o = {.demangle = true, .buildid_dir = cache};
    struct symbolizer *s = sym_new(&o, on_warn, &w, &err);
    if (!s)
        return;
    struct sym_result r;
    sym_lookup(s, &bin, 0x400000, 0x800000, 0, 1, a, false, &r);
    CHECK(r.symbolized);
    CHECK_STR(r.frames[0].function, "caller_a");
    sym_free(s);
}

/* The vDSO image saved in the cache names [vdso] frames and gives their CFI. */
static void test_vdso(const char *dir)
{
    const void *img;
    size_t n;
    uint8_t id[HW_BUILD_ID_MAX];
    int len = bidcache_own_vdso(&img, &n, id);
    if (len <= 0) {
        printf("test-bidcache: note: this process has no vDSO with a build id: not tested\n");
        return;
    }
    char cache[4200], out[4400];
    struct hw_err err = {{0}};
    snprintf(cache, sizeof(cache), "%s/vcache", dir);
    CHECK_EQ_U64(bidcache_store_vdso(cache, &err), 0);
    CHECK_EQ_U64(bidcache_path(cache, id, len, BIDCACHE_VDSO, out, sizeof(out)), 0);
    struct stat st;
    CHECK(stat(out, &st) == 0 && (size_t)st.st_size == n);
    uint64_t fn = nm_addr(out, "__vdso_clock_gettime", true);
    CHECK(fn != 0);
    if (!fn)
        return;
    const uint64_t base = 0x7ffd12340000ull;
    struct sym_binary bin = {.path = "[vdso]", .build_id = id, .build_id_len = len};
    struct warnings w = {0};
    struct sym_options o = {.demangle = true, .buildid_dir = cache};
    struct symbolizer *s = sym_new(&o, on_warn, &w, &err);
    CHECK(s != NULL);
    if (!s)
        return;
    struct sym_result r;
    sym_lookup(s, &bin, base, base + n, 0, 1, base + fn + 1, false, &r);
    CHECK(r.symbolized);
    CHECK_STR(r.frames[0].function, "__vdso_clock_gettime");
    struct sym_cfa_rule rule;
    CHECK_EQ_U64(sym_cfa_rule(s, &bin, base, 0, base + fn + 1, false, &rule), 0);
    /* another build id: one placeholder frame, as before */
    uint8_t other[HW_BUILD_ID_MAX];
    memcpy(other, id, (size_t)len);
    other[0] ^= 0xff;
    struct sym_binary obin = {.path = "[vdso]", .build_id = other, .build_id_len = len};
    sym_lookup(s, &obin, base, base + n, 0, 1, base + fn + 1, false, &r);
    CHECK(!r.symbolized);
    CHECK_STR(r.frames[0].function, "[vdso]");
    CHECK_EQ_U64(w.count, 0);
    sym_free(s);
}

/* The kernel's kallsyms saved in the cache (as perf record does) is read instead of /proc/kallsyms.
 */
static void test_kallsyms(const char *dir)
{
    char cache[4200], root[4200];
    struct hw_err err = {{0}};
    snprintf(cache, sizeof(cache), "%s/kcache", dir);
    snprintf(root, sizeof(root), "%s/kroot", dir);
    CHECK(run("mkdir -p '%s/proc' && printf 'ffffffff81001000 T running_kernel_fn\\n' > "
              "'%s/proc/kallsyms'",
              root, root));
    const uint8_t id[4] = {0x12, 0x34, 0x56, 0x78};
    const char text[] = "ffffffff81000000 T _stext\nffffffff81001000 t recorded_kernel_fn\n";
    CHECK_EQ_U64(bidcache_store(cache, "[kernel.kallsyms]", id, 4, BIDCACHE_KALLSYMS, text,
                                sizeof(text) - 1, &err),
                 0);
    for (int with_id = 0; with_id < 2; with_id++) {
        struct warnings w = {0};
        struct sym_options o = {.use_kallsyms = true, .root = root, .buildid_dir = cache};
        struct symbolizer *s = sym_new(&o, on_warn, &w, &err);
        CHECK(s != NULL);
        if (!s)
            return;
        struct sym_binary k = {.path = "[kernel.kallsyms]",
                               .kernel = true,
                               .build_id = with_id ? id : NULL,
                               .build_id_len = with_id ? 4 : 0};
        struct sym_result r;
        sym_lookup(s, &k, 0, UINT64_MAX, 0, -1, 0xffffffff81001010ull, false, &r);
        CHECK(r.symbolized);
        CHECK_STR(r.frames[0].function, with_id ? "recorded_kernel_fn" : "running_kernel_fn");
        sym_free(s);
    }
}

/* Unwinding rules come from the ELF file alone: no debug info is loaded (nor warned about). */
static void test_cfi_elf_only(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/nodebug/prog", dir);
    if (!run("cd '%s' && mkdir -p nodebug && cc -O2 -fno-pie -no-pie src.c -o nodebug/prog", dir))
        return;
    uint64_t a = nm_addr(path, "caller_a", false);
    CHECK(a != 0);
    struct warnings w = {0};
    struct hw_err err;
    struct sym_options o = {.demangle = true, .buildid_dir = ""};
    struct symbolizer *s = sym_new(&o, on_warn, &w, &err);
    if (!s)
        return;
    struct sym_binary bin = {.path = path};
    struct sym_cfa_rule rule;
    CHECK_EQ_U64(sym_cfa_rule(s, &bin, 0x400000, 0, a, false, &rule), 0);
    CHECK(rule.base == SYM_CFA_SP && rule.cfa_offset == 8 && rule.ra_offset == -8);
    CHECK_EQ_U64(w.count, 0);
    /* PLT entries: the linker's CFA expression, rsp + 8 before the entry pushes, rsp + 16 after */
    char plt_path[4200], cmd[4400];
    snprintf(plt_path, sizeof(plt_path), "%s/nodebug/plt", dir);
    CHECK(run("cd '%s' && printf '#include <stdio.h>\\nint main(int c, char **v) { puts(v[0]); return c; }\\n' "
              ">plt.c && cc -O2 -fno-pie -no-pie plt.c -o nodebug/plt",
              dir));
    snprintf(cmd, sizeof(cmd), "readelf -SW '%s' | awk '$2 == \".plt\" { print $4 }'", plt_path);
    FILE *p = popen(cmd, "r");
    unsigned long long plt = 0;
    if (p) {
        if (fscanf(p, "%llx", &plt) != 1)
            plt = 0;
        pclose(p);
    }
    CHECK(plt != 0);
    struct sym_binary plt_bin = {.path = plt_path};
    if (plt) {
        CHECK_EQ_U64(sym_cfa_rule(s, &plt_bin, 0x400000, 0, plt + 16, false, &rule), 0);
        CHECK(rule.base == SYM_CFA_SP && rule.cfa_offset == 8 && rule.ra_offset == -8);
        CHECK_EQ_U64(sym_cfa_rule(s, &plt_bin, 0x400000, 0, plt + 16 + 11, false, &rule), 0);
        CHECK(rule.base == SYM_CFA_SP && rule.cfa_offset == 16 && rule.ra_offset == -8);
    }
    struct sym_result r;
    sym_lookup(s, &bin, 0x400000, 0x800000, 0, 1, a, false, &r);
    CHECK_STR(r.frames[0].function, "caller_a");
    CHECK_EQ_U64(w.count, 1);
    CHECK(strstr(w.all, "no debug info") != NULL);
    sym_free(s);
}

int main(void)
{
    unsetenv("DEBUGINFOD_URLS");
    test_paths();
    if (system(
            "command -v cc >/dev/null && command -v nm >/dev/null && command -v cmp >/dev/null") !=
        0) {
        printf("test-bidcache: SKIP: needs cc, nm and cmp\n");
        return check_done("test-bidcache");
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096], prog[4200];
    snprintf(dir, sizeof(dir), "%s/test-bidcache.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "test-bidcache: cannot create a temp dir: %s\n", strerror(errno));
        return 1;
    }
    snprintf(prog, sizeof(prog), "%s/prog", dir);
    bool written = symtest_write_src(dir);
    CHECK(written);
    uint8_t id[HW_BUILD_ID_MAX];
    int len = written && run("cd '%s' && cc -O2 -g -fno-pie -no-pie src.c -o prog", dir)
                  ? buildid_read_file(prog, id)
                  : -1;
    CHECK(len > 0);
    uint64_t a = len > 0 ? nm_addr(prog, "caller_a", false) : 0;
    CHECK(a != 0);
    if (len > 0 && a) {
        test_store(dir, prog, id, len);
        test_rebuilt(dir, prog, id, len, a);
        test_cfi_elf_only(dir);
    }
    test_vdso(dir);
    test_kallsyms(dir);
    run("rm -rf '%s'", dir);
    return check_done("test-bidcache");
}
