/* test-machine.c - machine.c: mappings, overlaps, fork (shared until changed)/exec/exit, kernel maps, dsos, thread names, programs, records. */
#include "machine.h"
#include "check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#define KSTART 0xffffffff81000000ULL

static struct machine *new_as(void)
{
    struct machine *as = mach_new();
    if (!as) {
        fprintf(stderr, "mach_new: out of memory\n");
        exit(2);
    }
    return as;
}

/* The dso with this path, or NULL. */
static const struct mach_dso *dso_find(const struct machine *as, const char *path)
{
    size_t n;
    const struct mach_dso *const *d = mach_dsos(as, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i]->path, path) == 0)
            return d[i];
    return NULL;
}

/* The dso of the map containing addr, or NULL. */
static const struct mach_dso *dso_at(const struct machine *as, int32_t pid, uint64_t addr)
{
    const struct mach_map *m = mach_find(as, pid, addr);
    return m ? m->dso : NULL;
}

/* Checks that addr in pid resolves to [start, end) of path with pgoff. */
static void check_map(const struct machine *as, int32_t pid, uint64_t addr, uint64_t start,
                      uint64_t end, uint64_t pgoff, const char *path, int line)
{
    const struct mach_map *m = mach_find(as, pid, addr);
    check_count++;
    if (!m || m->start != start || m->end != end || m->pgoff != pgoff ||
        strcmp(m->dso->path, path) != 0) {
        check_failures++;
        if (m)
            fprintf(
                stderr,
                "%s:%d: pid %d addr %#llx: got [%#llx,%#llx) pgoff %#llx %s, want [%#llx,%#llx) "
                "pgoff %#llx %s\n",
                __FILE__, line, (int)pid, (unsigned long long)addr, (unsigned long long)m->start,
                (unsigned long long)m->end, (unsigned long long)m->pgoff, m->dso->path,
                (unsigned long long)start, (unsigned long long)end, (unsigned long long)pgoff,
                path);
        else
            fprintf(stderr, "%s:%d: pid %d addr %#llx: no map, want %s\n", __FILE__, line, (int)pid,
                    (unsigned long long)addr, path);
    }
}
#define CHECK_MAP(as, pid, addr, start, end, pgoff, path)                                          \
    check_map(as, pid, addr, start, end, pgoff, path, __LINE__)

static void mmap_ok(struct machine *as, int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
                    const char *path)
{
    struct hw_err err = {{0}};
    int rc = mach_mmap(as, pid, start, len, pgoff, PROT_READ | PROT_EXEC, path, &err);
    CHECK_EQ_U64(rc, 0);
}

static void test_mmap_find(void)
{
    struct machine *as = new_as();
    CHECK(mach_find(as, 100, 0x400000) == NULL);
    mmap_ok(as, 100, 0x400000, 0x1000, 0, "/bin/a");
    mmap_ok(as, 100, 0x600000, 0x2000, 0x3000, "/lib/b.so");
    mmap_ok(as, 100, 0x500000, 0x1000, 0x1000, "/bin/a");
    CHECK_MAP(as, 100, 0x400000, 0x400000, 0x401000, 0, "/bin/a");
    CHECK_MAP(as, 100, 0x400fff, 0x400000, 0x401000, 0, "/bin/a");
    CHECK_MAP(as, 100, 0x500800, 0x500000, 0x501000, 0x1000, "/bin/a");
    CHECK_MAP(as, 100, 0x601fff, 0x600000, 0x602000, 0x3000, "/lib/b.so");
    CHECK(mach_find(as, 100, 0x401000) == NULL);
    CHECK(mach_find(as, 100, 0x3fffff) == NULL);
    CHECK(mach_find(as, 100, 0x602000) == NULL);
    CHECK(mach_find(as, 100, 0) == NULL);
    CHECK(mach_find(as, 101, 0x400000) == NULL); /* another pid */
    const struct mach_map *m = mach_find(as, 100, 0x400000);
    CHECK(m && m->prot == (PROT_READ | PROT_EXEC));

    /* len 0 adds nothing; an end beyond 2^64 is clamped. */
    mmap_ok(as, 100, 0x700000, 0, 0, "/bin/zero");
    CHECK(mach_find(as, 100, 0x700000) == NULL);
    mmap_ok(as, 100, UINT64_MAX - 0xfff, 0x10000, 0, "/bin/top");
    CHECK_MAP(as, 100, UINT64_MAX - 1, UINT64_MAX - 0xfff, UINT64_MAX, 0, "/bin/top");
    mach_free(as);
}

static void test_overlap(void)
{
    struct machine *as = new_as();
    mmap_ok(as, 1, 0x10000, 0x8000, 0, "A"); /* [0x10000, 0x18000) */

    /* Punch a hole in the middle: A splits, the right part's pgoff moves with it. */
    mmap_ok(as, 1, 0x12000, 0x2000, 0x100, "B");
    CHECK_MAP(as, 1, 0x10000, 0x10000, 0x12000, 0, "A");
    CHECK_MAP(as, 1, 0x11fff, 0x10000, 0x12000, 0, "A");
    CHECK_MAP(as, 1, 0x12000, 0x12000, 0x14000, 0x100, "B");
    CHECK_MAP(as, 1, 0x14000, 0x14000, 0x18000, 0x4000, "A");
    CHECK_MAP(as, 1, 0x17fff, 0x14000, 0x18000, 0x4000, "A");

    /* Overlap the left end of the first piece and start before it. */
    mmap_ok(as, 1, 0xf000, 0x2000, 0, "C"); /* [0xf000, 0x11000) */
    CHECK_MAP(as, 1, 0xf000, 0xf000, 0x11000, 0, "C");
    CHECK_MAP(as, 1, 0x10fff, 0xf000, 0x11000, 0, "C");
    CHECK_MAP(as, 1, 0x11000, 0x11000, 0x12000, 0x1000, "A");

    /* Overlap B's right end and A's left end at once. */
    mmap_ok(as, 1, 0x13000, 0x2000, 0x50, "D"); /* [0x13000, 0x15000) */
    CHECK_MAP(as, 1, 0x12fff, 0x12000, 0x13000, 0x100, "B");
    CHECK_MAP(as, 1, 0x13000, 0x13000, 0x15000, 0x50, "D");
    CHECK_MAP(as, 1, 0x15000, 0x15000, 0x18000, 0x5000, "A");

    /* Exactly replace one map. */
    mmap_ok(as, 1, 0x13000, 0x2000, 0x60, "E");
    CHECK_MAP(as, 1, 0x14000, 0x13000, 0x15000, 0x60, "E");

    /* Swallow everything, sticking out on both sides. */
    mmap_ok(as, 1, 0x8000, 0x20000, 0x7, "F");
    for (uint64_t a = 0x8000; a < 0x28000; a += 0x800)
        CHECK_MAP(as, 1, a, 0x8000, 0x28000, 0x7, "F");
    CHECK(mach_find(as, 1, 0x7fff) == NULL);
    CHECK(mach_find(as, 1, 0x28000) == NULL);

    /* Adjacent maps do not overlap. */
    mmap_ok(as, 1, 0x28000, 0x1000, 0, "G");
    mmap_ok(as, 1, 0x7000, 0x1000, 0, "H");
    CHECK_MAP(as, 1, 0x27fff, 0x8000, 0x28000, 0x7, "F");
    CHECK_MAP(as, 1, 0x8000, 0x8000, 0x28000, 0x7, "F");
    CHECK_MAP(as, 1, 0x28000, 0x28000, 0x29000, 0, "G");
    CHECK_MAP(as, 1, 0x7fff, 0x7000, 0x8000, 0, "H");

    /* One byte of overlap on either side is still an overlap. */
    mmap_ok(as, 1, 0x6000, 0x1001, 0, "I"); /* [0x6000, 0x7001) */
    CHECK_MAP(as, 1, 0x7000, 0x6000, 0x7001, 0, "I");
    CHECK_MAP(as, 1, 0x7001, 0x7001, 0x8000, 0x1, "H");
    mmap_ok(as, 1, 0x27fff, 0x2, 0x9, "J"); /* [0x27fff, 0x28001) */
    CHECK_MAP(as, 1, 0x27ffe, 0x8000, 0x27fff, 0x7, "F");
    CHECK_MAP(as, 1, 0x28000, 0x27fff, 0x28001, 0x9, "J");
    CHECK_MAP(as, 1, 0x28001, 0x28001, 0x29000, 0x1, "G");
    mach_free(as);
}

static void test_fork_exec_exit(void)
{
    struct machine *as = new_as();
    struct hw_err err = {{0}};
    mmap_ok(as, 10, 0x400000, 0x1000, 0, "/bin/parent");
    mmap_ok(as, 10, 0x7f0000000000, 0x10000, 0, "/lib/libc.so");
    mmap_ok(as, -1, KSTART, 0x1000000, KSTART, "[kernel.kallsyms]");

    CHECK_EQ_U64(mach_fork(as, 10, 10, 11, 11, &err), 0);
    CHECK_MAP(as, 11, 0x400000, 0x400000, 0x401000, 0, "/bin/parent");
    CHECK_MAP(as, 11, 0x7f0000000100, 0x7f0000000000, 0x7f0000010000, 0, "/lib/libc.so");
    const struct mach_map *m10 = mach_find(as, 10, 0x400000), *m11 = mach_find(as, 11, 0x400000);
    CHECK(m10 && m11 && m10->dso == m11->dso);

    /* Later mmaps in the child (and the parent) stay private. */
    mmap_ok(as, 11, 0x400000, 0x1000, 0, "/bin/child");
    mmap_ok(as, 11, 0x500000, 0x1000, 0, "/bin/child");
    mmap_ok(as, 10, 0x900000, 0x1000, 0, "/bin/parent2");
    CHECK_MAP(as, 10, 0x400000, 0x400000, 0x401000, 0, "/bin/parent");
    CHECK(mach_find(as, 10, 0x500000) == NULL);
    CHECK_MAP(as, 11, 0x400000, 0x400000, 0x401000, 0, "/bin/child");
    CHECK(mach_find(as, 11, 0x900000) == NULL);

    /* Threads share the process: no copy, no reset. */
    const struct mach_map *before = mach_find(as, 11, 0x500000);
    CHECK_EQ_U64(mach_fork(as, 11, 11, 11, 11, &err), 0);
    CHECK(mach_find(as, 11, 0x500000) == before);
    CHECK_MAP(as, 11, 0x500000, 0x500000, 0x501000, 0, "/bin/child");

    /* Exec clears the process but not the kernel. */
    mach_comm(as, 11, 11, "exec", true, &err);
    CHECK(mach_find(as, 11, 0x400000) == NULL);
    CHECK(mach_find(as, 11, 0x7f0000000100) == NULL);
    CHECK_MAP(as, 11, KSTART + 5, KSTART, KSTART + 0x1000000, KSTART, "[kernel.kallsyms]");
    mmap_ok(as, 11, 0x400000, 0x2000, 0, "/bin/new");
    CHECK_MAP(as, 11, 0x401000, 0x400000, 0x402000, 0, "/bin/new");
    CHECK_MAP(as, 10, 0x400000, 0x400000, 0x401000, 0, "/bin/parent");

    /* Fork from an unknown parent starts empty, even over a pid that had maps (pid reuse). */
    CHECK_EQ_U64(mach_fork(as, 999, 999, 11, 11, &err), 0);
    CHECK(mach_find(as, 11, 0x401000) == NULL);
    CHECK_EQ_U64(mach_fork(as, 999, 999, 12, 12, &err), 0);
    CHECK(mach_find(as, 12, 0x400000) == NULL);

    /* Exit drops the maps, the dsos stay. */
    size_t ndsos_before;
    mach_dsos(as, &ndsos_before);
    mach_exit(as, 10, 10);
    CHECK(mach_find(as, 10, 0x400000) == NULL);
    CHECK(mach_find(as, 10, 0x900000) == NULL);
    CHECK_MAP(as, 10, KSTART, KSTART, KSTART + 0x1000000, KSTART, "[kernel.kallsyms]");
    size_t ndsos_after;
    mach_dsos(as, &ndsos_after);
    CHECK_EQ_U64(ndsos_after, ndsos_before);
    CHECK(dso_find(as, "/bin/parent") != NULL);
    /* Forking from an exited parent: empty child. Unknown pids are ignored by exec/exit. */
    CHECK_EQ_U64(mach_fork(as, 10, 10, 13, 13, &err), 0);
    CHECK(mach_find(as, 13, 0x400000) == NULL);
    mach_comm(as, 12345, 12345, "exec", true, &err);
    mach_exit(as, 12345, 12345);
    mach_exit(as, -1, -1);
    mach_comm(as, -1, -1, "exec", true, &err);
    CHECK_MAP(as, 13, KSTART, KSTART, KSTART + 0x1000000, KSTART, "[kernel.kallsyms]");
    mach_free(as);
}

static void test_kernel_shared(void)
{
    struct machine *as = new_as();
    mmap_ok(as, -1, KSTART, 0x2000000, KSTART, "[kernel.kallsyms]");
    mmap_ok(as, -1, 0xffffffffc0000000ULL, 0x10000, 0, "/lib/modules/x/ext4.ko");
    mmap_ok(as, 5, 0x400000, 0x1000, 0, "/bin/five");

    const struct mach_map *k5 = mach_find(as, 5, KSTART + 0x100);
    const struct mach_map *k6 = mach_find(as, 6, KSTART + 0x100); /* unknown process */
    const struct mach_map *kk = mach_find(as, -1, KSTART + 0x100);
    CHECK(k5 != NULL);
    CHECK(k5 == k6 && k5 == kk);
    CHECK(k5 && k5->dso->kernel);
    CHECK_MAP(as, 7, 0xffffffffc0000010ULL, 0xffffffffc0000000ULL, 0xffffffffc0010000ULL, 0,
              "/lib/modules/x/ext4.ko");
    CHECK(dso_at(as, 5, 0x400000) && !dso_at(as, 5, 0x400000)->kernel);
    /* User addresses never fall back to the kernel's maps, kernel's own lookups see no user maps.
     */
    mmap_ok(as, -1, 0x1000, 0x1000, 0, "[weird-low-kernel]");
    CHECK(mach_find(as, 5, 0x1000) == NULL);
    CHECK(mach_find(as, -1, 0x400000) == NULL);
    /* A kernel address not in any kernel map. */
    CHECK(mach_find(as, 5, 0xffff888000000000ULL) == NULL);
    /* A process's own map at a high address wins over the kernel's. */
    mmap_ok(as, 5, KSTART, 0x1000, 0, "[uprobes-like]");
    CHECK_MAP(as, 5, KSTART, KSTART, KSTART + 0x1000, 0, "[uprobes-like]");
    CHECK_MAP(as, 5, KSTART + 0x1000, KSTART, KSTART + 0x2000000, KSTART, "[kernel.kallsyms]");
    CHECK_MAP(as, 6, KSTART, KSTART, KSTART + 0x2000000, KSTART, "[kernel.kallsyms]");
    mach_free(as);
}

static void test_dsos(void)
{
    struct machine *as = new_as();
    size_t n;
    CHECK(mach_dsos(as, &n) == NULL || n == 0);
    CHECK_EQ_U64(n, 0);
    CHECK(dso_find(as, "/bin/a") == NULL);

    mmap_ok(as, 1, 0x1000, 0x1000, 0, "/bin/a");
    mmap_ok(as, 2, 0x5000, 0x1000, 0, "/lib/c.so");
    mmap_ok(as, 2, 0x1000, 0x1000, 0, "/bin/a");
    mmap_ok(as, 3, 0x9000, 0x1000, 0, "/lib/c.so");
    char path[64];
    snprintf(path, sizeof(path), "/bin/%c", 'a'); /* same text, different pointer */
    mmap_ok(as, 3, 0x1000, 0x1000, 0, path);

    const struct mach_dso *const *d = mach_dsos(as, &n);
    CHECK_EQ_U64(n, 2);
    CHECK_STR(d[0]->path, "/bin/a");
    CHECK_STR(d[1]->path, "/lib/c.so");
    CHECK_EQ_U64(d[0]->index, 0);
    CHECK_EQ_U64(d[1]->index, 1);
    CHECK(dso_at(as, 1, 0x1000) == d[0]);
    CHECK(dso_at(as, 2, 0x1000) == d[0]);
    CHECK(dso_at(as, 3, 0x1000) == d[0]);
    CHECK(dso_at(as, 2, 0x5000) == d[1]);
    CHECK(dso_at(as, 3, 0x9000) == d[1]);
    CHECK(dso_find(as, "/bin/a") == d[0]);
    CHECK(dso_find(as, "/lib/c.so") == d[1]);
    CHECK(dso_find(as, "/lib/c.s") == NULL);
    CHECK(d[0]->path != path);

    /* The hit flag and build id can be set through a lookup and are seen via mach_dsos. */
    CHECK(!d[0]->hit && !d[1]->hit);
    const struct mach_map *m = mach_find(as, 3, 0x9010);
    CHECK(m != NULL);
    if (m) {
        CHECK(mach_mark_hit(as, 3, 0x9010));
        uint8_t id[20] = {1, 2, 3};
        mach_dso_set_build_id(as, m->dso, id, sizeof(id));
    }
    CHECK(!mach_mark_hit(as, 3, 0x3));
    d = mach_dsos(as, &n);
    CHECK(!d[0]->hit);
    CHECK(d[1]->hit);
    CHECK(dso_at(as, 2, 0x5000) && dso_at(as, 2, 0x5000)->hit);
    CHECK_EQ_U64(d[1]->build_id_size, 20);

    /* Many dsos: interning stays correct across table growth. */
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof(path), "/lib/many-%d.so", i);
        mmap_ok(as, 50 + i % 7, 0x100000 + (uint64_t)i * 0x1000, 0x1000, 0, path);
    }
    for (int i = 0; i < 3000; i += 1) {
        snprintf(path, sizeof(path), "/lib/many-%d.so", i);
        mmap_ok(as, 60, 0x100000 + (uint64_t)i * 0x1000, 0x1000, 0, path);
    }
    d = mach_dsos(as, &n);
    CHECK_EQ_U64(n, 3002);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i]->index != i || dso_find(as, d[i]->path) != d[i])
            bad++;
        if (i >= 2) {
            snprintf(path, sizeof(path), "/lib/many-%zu.so", i - 2);
            if (strcmp(d[i]->path, path) != 0)
                bad++;
        }
    }
    CHECK_EQ_U64(bad, 0);
    mach_free(as);
}

/* Many random pids, exiting and coming back in random order: the pid table (linear probing with
 * deletions) stays consistent with a plain array model. */
static void test_many_pids(void)
{
    struct machine *as = new_as();
    enum { NPIDS = 6000, PIDSPACE = 1 << 22 };
    uint64_t rng = 0x1234567887654321ULL;
    bool *used = calloc(PIDSPACE, 1);
    int32_t *pids = malloc(NPIDS * sizeof(*pids));
    bool *alive = calloc(NPIDS, 1);
    for (int i = 0; i < NPIDS; i++) {
        uint32_t p;
        do
            p = 1 + (uint32_t)(xorshift(&rng) % (PIDSPACE - 1));
        while (used[p]);
        used[p] = true;
        pids[i] = (int32_t)p;
    }
    int bad = 0;
    struct hw_err err = {{0}};
    for (int round = 0; round < 20; round++) {
        for (int k = 0; k < NPIDS / 2; k++) {
            int i = (int)(xorshift(&rng) % NPIDS);
            if (alive[i] && xorshift(&rng) % 2) {
                mach_exit(as, pids[i], pids[i]);
                alive[i] = false;
            } else if (!alive[i]) {
                if (mach_mmap(as, pids[i], 0x1000 * (uint64_t)(i + 1), 0x1000, (uint64_t)i, PROT_EXEC,
                            "/bin/p", &err) < 0)
                    bad++;
                alive[i] = true;
            }
        }
        for (int i = 0; i < NPIDS; i++) {
            const struct mach_map *m = mach_find(as, pids[i], 0x1000 * (uint64_t)(i + 1));
            if (alive[i] ? (!m || m->pgoff != (uint64_t)i) : m != NULL)
                bad++;
        }
    }
    CHECK_EQ_U64(bad, 0);

    /* Forking into exited pids from live ones copies the right process. */
    int src = -1;
    for (int i = 0; i < NPIDS && src < 0; i++)
        if (alive[i])
            src = i;
    for (int i = 0; i < NPIDS; i++) {
        if (alive[i])
            continue;
        if (mach_fork(as, pids[src], pids[src], pids[i], pids[i], &err) < 0)
            bad++;
        const struct mach_map *m = mach_find(as, pids[i], 0x1000 * (uint64_t)(src + 1));
        if (!m || m->pgoff != (uint64_t)src)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    free(used);
    free(pids);
    free(alive);
    mach_free(as);
}

/* Heavy churn in a small table, so probe runs wrap around its end while entries are deleted. */
static void test_pid_churn(void)
{
    struct machine *as = new_as();
    enum { POOL = 64 };
    int32_t pids[POOL];
    bool alive[POOL] = {false};
    uint64_t rng = 0xfeedfacecafebeefULL;
    for (int i = 0; i < POOL; i++)
        pids[i] = 1000 + i * 37;
    int nalive = 0, bad = 0;
    struct hw_err err = {{0}};
    for (int op = 0; op < 60000; op++) {
        int i = (int)(xorshift(&rng) % POOL);
        if (alive[i]) {
            mach_exit(as, pids[i], pids[i]);
            alive[i] = false;
            nalive--;
        } else if (nalive < 7) { /* stays within the initial 16 slots */
            if (mach_mmap(as, pids[i], 0x1000, 0x1000, (uint64_t)i, PROT_EXEC, "/bin/c", &err) < 0)
                bad++;
            alive[i] = true;
            nalive++;
        }
        for (int j = 0; j < POOL; j++) {
            const struct mach_map *m = mach_find(as, pids[j], 0x1000);
            if (alive[j] ? (!m || m->pgoff != (uint64_t)j) : m != NULL)
                bad++;
        }
    }
    CHECK_EQ_U64(bad, 0);
    mach_free(as);
}

/* ---- a naive model: unsorted list, linear search, same replacement rule ---- */

struct naive_map {
    uint64_t start, end, pgoff;
    int path;
};

struct naive {
    struct naive_map *m;
    size_t n, cap;
};

static void naive_push(struct naive *nv, struct naive_map m)
{
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? nv->cap * 2 : 64;
        nv->m = realloc(nv->m, nv->cap * sizeof(*nv->m));
        if (!nv->m)
            exit(2);
    }
    nv->m[nv->n++] = m;
}

static void naive_mmap(struct naive *nv, uint64_t s, uint64_t e, uint64_t pgoff, int path)
{
    struct naive out = {0};
    for (size_t i = 0; i < nv->n; i++) {
        struct naive_map o = nv->m[i];
        if (o.end <= s || o.start >= e) {
            naive_push(&out, o);
            continue;
        }
        if (o.start < s)
            naive_push(&out, (struct naive_map){o.start, s, o.pgoff, o.path});
        if (o.end > e)
            naive_push(&out, (struct naive_map){e, o.end, o.pgoff + (e - o.start), o.path});
    }
    naive_push(&out, (struct naive_map){s, e, pgoff, path});
    free(nv->m);
    *nv = out;
}

static const struct naive_map *naive_find(const struct naive *nv, uint64_t addr)
{
    for (size_t i = 0; i < nv->n; i++)
        if (nv->m[i].start <= addr && addr < nv->m[i].end)
            return &nv->m[i];
    return NULL;
}

static int compare_one(const struct machine *as, const struct naive *nv, int32_t pid,
                       uint64_t addr, char paths[][32])
{
    const struct mach_map *m = mach_find(as, pid, addr);
    const struct naive_map *w = naive_find(nv, addr);
    if (!m && !w)
        return 0;
    if (!m || !w || m->start != w->start || m->end != w->end || m->pgoff != w->pgoff ||
        strcmp(m->dso->path, paths[w->path]) != 0) {
        fprintf(stderr, "mismatch at %#llx\n", (unsigned long long)addr);
        return 1;
    }
    return 0;
}

/* 10,000 random, heavily overlapping mmaps; lookups must match the naive model everywhere. */
static void test_random_vs_naive(void)
{
    struct machine *as = new_as();
    struct naive nv = {0};
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    char paths[37][32];
    for (int i = 0; i < 37; i++)
        snprintf(paths[i], sizeof(paths[i]), "/lib/r%d.so", i);

    const uint64_t space = 1ULL << 26; /* 16384 pages of 4 KiB */
    int bad = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t start = (xorshift(&rng) % (space >> 12)) << 12;
        uint64_t len = ((xorshift(&rng) % 16) + 1) << 12;
        if (xorshift(&rng) % 50 == 0)
            len <<= 6; /* sometimes a big one that swallows many */
        if (i % 3 == 0)
            start += xorshift(&rng) % 4096; /* unaligned edges too */
        uint64_t pgoff = xorshift(&rng) % 0x100000;
        int path = (int)(xorshift(&rng) % 37);
        struct hw_err err = {{0}};
        if (mach_mmap(as, 42, start, len, pgoff, PROT_EXEC, paths[path], &err) < 0)
            bad++;
        naive_mmap(&nv, start, start + len, pgoff, path);
        if (i % 1000 == 999) {
            for (int j = 0; j < 2000; j++)
                bad += compare_one(as, &nv, 42, xorshift(&rng) % (space + (1 << 20)), paths);
        }
    }
    /* Random lookups plus every edge of every map. */
    for (int j = 0; j < 100000; j++)
        bad += compare_one(as, &nv, 42, xorshift(&rng) % (space + (1 << 20)), paths);
    for (size_t i = 0; i < nv.n; i++) {
        bad += compare_one(as, &nv, 42, nv.m[i].start, paths);
        bad += compare_one(as, &nv, 42, nv.m[i].start - 1, paths);
        bad += compare_one(as, &nv, 42, nv.m[i].end - 1, paths);
        bad += compare_one(as, &nv, 42, nv.m[i].end, paths);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(nv.n > 100); /* the model really holds many maps */

    /* 10,000 disjoint maps inserted in random order: every one is found. */
    struct machine *as2 = new_as();
    enum { N = 10000 };
    uint32_t *order = malloc(N * sizeof(*order));
    for (uint32_t i = 0; i < N; i++)
        order[i] = i;
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(xorshift(&rng) % (i + 1));
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < N; i++)
        mmap_ok(as2, 7, 0x10000000 + (uint64_t)order[i] * 0x3000, 0x2000, order[i], paths[0]);
    int bad2 = 0;
    for (int j = 0; j < 100000; j++) {
        uint64_t k = xorshift(&rng) % N;
        uint64_t off = xorshift(&rng) % 0x3000;
        const struct mach_map *m = mach_find(as2, 7, 0x10000000 + k * 0x3000 + off);
        if (off < 0x2000 ? (!m || m->pgoff != k) : m != NULL)
            bad2++;
    }
    CHECK_EQ_U64(bad2, 0);
    free(order);
    free(nv.m);
    mach_free(as2);
    mach_free(as);
}

/* A forked child shares its parent's mappings until one of them changes: 8,000 processes forked from
 * one with 8,000 mappings cost no copy (issue: FORK records copied every mapping). */
static void test_fork_shares(void)
{
    struct machine *as = new_as();
    struct hw_err err = {{0}};
    for (uint64_t i = 0; i < 8000; i++)
        mmap_ok(as, 1, 0x10000000 + i * 0x2000, 0x1000, i, "/lib/many.so");
    int bad = 0;
    for (uint32_t pid = 2; pid < 8002; pid++)
        bad += mach_fork(as, 1, 1, pid, pid, &err) != 0;
    CHECK_EQ_U64(bad, 0);
    const struct mach_map *a = mach_find(as, 1, 0x10000000 + 77 * 0x2000);
    const struct mach_map *b = mach_find(as, 5000, 0x10000000 + 77 * 0x2000);
    CHECK(a && a == b); /* the same storage */
    /* the child changes its space: it gets its own copy; the parent and the siblings keep theirs */
    mmap_ok(as, 5000, 0x10000000 + 77 * 0x2000, 0x1000, 0, "/bin/other");
    b = mach_find(as, 5000, 0x10000000 + 77 * 0x2000);
    a = mach_find(as, 1, 0x10000000 + 77 * 0x2000);
    CHECK(a && b && a != b && strcmp(b->dso->path, "/bin/other") == 0 && strcmp(a->dso->path, "/lib/many.so") == 0);
    CHECK(mach_find(as, 5001, 0x10000000 + 77 * 0x2000) == a);
    CHECK_MAP(as, 5000, 0x10000000 + 78 * 0x2000, 0x10000000 + 78 * 0x2000, 0x10000000 + 78 * 0x2000 + 0x1000,
              78, "/lib/many.so");
    /* the parent execs and exits: the children keep the old mappings */
    mach_comm(as, 1, 1, "newprog", true, &err);
    CHECK(mach_find(as, 1, 0x10000000) == NULL);
    CHECK(mach_find(as, 8001, 0x10000000) != NULL);
    mach_exit(as, 1, 1);
    mach_exit(as, 8001, 8001);
    CHECK(mach_find(as, 8001, 0x10000000) == NULL);
    CHECK(mach_find(as, 8000, 0x10000000) != NULL);
    mach_free(as);
}

/* Thread names: set by COMM, inherited at FORK, a thread without one takes its process's. */
static void test_names(void)
{
    struct machine *m = new_as();
    struct hw_err err = {{0}};
    CHECK(mach_thread_name(m, 10, 10) == NULL);
    CHECK(mach_comm(m, 10, 10, "server", false, &err) == 0);
    CHECK(mach_fork(m, 10, 10, 10, 11, &err) == 0); /* a thread */
    CHECK_STR(mach_thread_name(m, 10, 11), "server");
    CHECK(mach_comm(m, 10, 11, "worker", false, &err) == 0);
    CHECK_STR(mach_thread_name(m, 10, 11), "worker");
    CHECK_STR(mach_thread_name(m, 10, 10), "server");
    CHECK_STR(mach_thread_name(m, 10, 12), "server"); /* unknown thread: its process's name */
    CHECK(mach_fork(m, 10, 11, 20, 20, &err) == 0);     /* a process forked by the worker */
    CHECK_STR(mach_thread_name(m, 20, 20), "worker");
    CHECK(mach_comm(m, 20, 20, "server", false, &err) == 0);
    CHECK(mach_thread_name(m, 20, 20) == mach_thread_name(m, 10, 10)); /* interned */
    mach_free(m);
}

/* A process's program is its first executable file mapping since exec; the busiest process's wins. */
static void test_programs(void)
{
    struct machine *m = new_as();
    struct hw_err err = {{0}};
    struct mach_program pg;
    CHECK(!mach_busiest_program(m, &pg));
    CHECK(mach_mmap(m, 5, 0x1000, 0x1000, 0, PROT_READ, "/bin/data", &err) == 0); /* not executable */
    CHECK(mach_mmap(m, 5, 0x400000, 0x1000, 0, PROT_EXEC, "[vdso]", &err) == 0);  /* not a file */
    CHECK(mach_mmap(m, 5, 0x500000, 0x2000, 0x1000, PROT_EXEC | PROT_READ, "/bin/five", &err) == 0);
    CHECK(mach_mmap(m, 5, 0x600000, 0x1000, 0, PROT_EXEC, "/lib/libc.so", &err) == 0);
    CHECK(mach_mmap(m, 6, 0x700000, 0x1000, 0, PROT_EXEC, "/bin/six", &err) == 0);
    CHECK(mach_busiest_program(m, &pg) && strcmp(pg.dso->path, "/bin/five") == 0 && pg.start == 0x500000 &&
          pg.end == 0x502000 && pg.pgoff == 0x1000);
    CHECK(mach_count_sample(m, 6, &err) == 0 && mach_count_sample(m, 6, &err) == 0);
    CHECK(mach_count_sample(m, 5, &err) == 0);
    CHECK(mach_busiest_program(m, &pg) && strcmp(pg.dso->path, "/bin/six") == 0);
    /* a forked child runs its parent's program until it execs another */
    CHECK(mach_fork(m, 5, 5, 7, 7, &err) == 0);
    for (int i = 0; i < 5; i++)
        CHECK(mach_count_sample(m, 7, &err) == 0);
    CHECK(mach_busiest_program(m, &pg) && strcmp(pg.dso->path, "/bin/five") == 0);
    CHECK(mach_comm(m, 7, 7, "seven", true, &err) == 0);
    CHECK(mach_mmap(m, 7, 0x800000, 0x1000, 0, PROT_EXEC, "/bin/seven", &err) == 0);
    CHECK(mach_busiest_program(m, &pg) && strcmp(pg.dso->path, "/bin/seven") == 0);
    mach_free(m);
}

/* Records applied from bytes: MMAP2 with a build id and a sample_id_all trailer, COMM exec, FORK, EXIT;
 * malformed ones are counted and skipped. */
static void test_records(void)
{
    struct machine *m = new_as();
    struct hw_err err = {{0}};
    struct dec_format fmt = {.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME, .sample_id_all = true};
    struct {
        struct perf_event_header h;
        uint32_t pid, tid;
        uint64_t addr, len, pgoff;
        uint8_t build_id_size, pad[3];
        uint8_t build_id[20];
        uint32_t prot, flags;
        char name[16];
        uint32_t tpid, ttid; /* trailer: TID, TIME */
        uint64_t time;
    } mm2 = {{PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_BUILD_ID, sizeof(mm2)},
             42, 42, 0x400000, 0x1000, 0, 20, {0}, {0xab, 0xcd}, PROT_EXEC, 0, "/bin/prog", 42, 42, 1};
    struct mach_change chg;
    CHECK(mach_process(m, &fmt, &mm2, sizeof(mm2), &chg, &err) == 0);
    CHECK(chg.type == PERF_RECORD_MMAP2 && chg.pid == 42);
    const struct mach_map *map = mach_find(m, 42, 0x400800);
    CHECK(map && strcmp(map->dso->path, "/bin/prog") == 0 && map->dso->build_id_size == 20 &&
          map->dso->build_id[1] == 0xcd);
    struct {
        struct perf_event_header h;
        uint32_t pid, tid;
        char comm[8];
        uint32_t tpid, ttid;
        uint64_t time;
    } comm = {{PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, sizeof(comm)}, 42, 42, "prog", 42, 42, 2};
    CHECK(mach_process(m, &fmt, &comm, sizeof(comm), &chg, &err) == 0 && chg.exec && chg.type == PERF_RECORD_COMM);
    CHECK_STR(mach_thread_name(m, 42, 42), "prog");
    CHECK(mach_find(m, 42, 0x400800) == NULL); /* exec dropped the mappings */
    struct {
        struct perf_event_header h;
        uint32_t pid, ppid, tid, ptid;
        uint64_t time;
    } fork = {{PERF_RECORD_FORK, 0, sizeof(fork)}, 43, 42, 43, 42, 3};
    CHECK(mach_process(m, &fmt, &fork, sizeof(fork), &chg, &err) == 0 && chg.type == PERF_RECORD_FORK &&
          chg.ppid == 42 && chg.tid == 43);
    CHECK_STR(mach_thread_name(m, 43, 43), "prog");
    CHECK_EQ_U64(mach_malformed(m), 0);
    /* too short for its file name's end, or for any body: skipped and counted */
    memset(mm2.name, 'x', sizeof(mm2.name));
    memset(&mm2.tpid, 'y', 16);
    CHECK(mach_process(m, &fmt, &mm2, sizeof(mm2), &chg, &err) == 0 && chg.type == 0);
    fork.h.size = 12;
    CHECK(mach_process(m, &fmt, &fork, 12, &chg, &err) == 0 && chg.type == 0);
    CHECK_EQ_U64(mach_malformed(m), 2);
    /* other record types are not the machine's */
    struct perf_event_header lost = {PERF_RECORD_LOST, 0, sizeof(lost)};
    CHECK(mach_process(m, &fmt, &lost, sizeof(lost), &chg, &err) == 0 && chg.type == 0);
    CHECK_EQ_U64(mach_malformed(m), 2);
    mach_free(m);
}

int main(void)
{
    test_fork_shares();
    test_names();
    test_programs();
    test_records();
    test_mmap_find();
    test_overlap();
    test_fork_exec_exit();
    test_kernel_shared();
    test_dsos();
    test_many_pids();
    test_pid_churn();
    test_random_vs_naive();
    mach_free(NULL);
    return check_done("test-machine");
}
