/* test-unwind.c - unwind_user on hand-built stacks with a fake CFI rule table: splicing, CFI walks, limits. */
#include <stdlib.h>

#include "check.h"
#include "unwind.h"

/* ---- a fake rule table: one rule per exact pc ---- */

#define MAX_RULES 256

struct fake_rule {
    uint64_t pc;
    struct sym_cfa_rule rule;
};

struct fake {
    struct fake_rule rules[MAX_RULES];
    size_t nrules;
    int calls;
    int caller_wrong; /* calls whose caller flag was not (call > 0) */
    uint64_t asked[MAX_RULES];
};

static void fake_add(struct fake *f, uint64_t pc, struct sym_cfa_rule r)
{
    if (f->nrules < MAX_RULES)
        f->rules[f->nrules++] = (struct fake_rule){pc, r};
}

/* unwind_rule_fn: the rule stored for pc, or -1. The first lookup is for the interrupted ip
 * (caller false), every later one for a return address (caller true). */
static int fake_rule_fn(void *arg, uint64_t pc, bool caller, struct sym_cfa_rule *out)
{
    struct fake *f = arg;
    if (caller != (f->calls > 0))
        f->caller_wrong++;
    if (f->calls < MAX_RULES)
        f->asked[f->calls] = pc;
    f->calls++;
    for (size_t i = 0; i < f->nrules; i++) {
        if (f->rules[i].pc == pc) {
            *out = f->rules[i].rule;
            return 0;
        }
    }
    return -1;
}

/* Rules as the CFI of x86-64 code states them. */
static struct sym_cfa_rule rule_sp(int64_t cfa_off) /* frameless: cfa = sp + off, bp untouched */
{
    return (struct sym_cfa_rule){.base = SYM_CFA_SP, .cfa_offset = cfa_off, .ra_offset = -8, .bp = SYM_BP_SAME};
}

static struct sym_cfa_rule rule_sp_saved_bp(int64_t cfa_off) /* pushed rbp, not (yet) a frame pointer */
{
    return (struct sym_cfa_rule){
        .base = SYM_CFA_SP, .cfa_offset = cfa_off, .ra_offset = -8, .bp = SYM_BP_SAVED, .bp_offset = -16};
}

static struct sym_cfa_rule rule_fp(void) /* push rbp; mov rbp, rsp */
{
    return (struct sym_cfa_rule){
        .base = SYM_CFA_BP, .cfa_offset = 16, .ra_offset = -8, .bp = SYM_BP_SAVED, .bp_offset = -16};
}

static struct sym_cfa_rule rule_outermost(void)
{
    return (struct sym_cfa_rule){.base = SYM_CFA_SP, .cfa_offset = 8, .ra_offset = -8, .outermost = true};
}

/* ---- a fake user stack starting at SP ---- */

#define SP 0x7ffc00001000ULL
#define STACK_WORDS 512

struct stack {
    _Alignas(8) unsigned char b[STACK_WORDS * 8];
};

static void put(struct stack *s, uint64_t addr, uint64_t v)
{
    if (addr >= SP && addr + 8 <= SP + sizeof(s->b))
        memcpy(s->b + (addr - SP), &v, 8);
    else
        fprintf(stderr, "test bug: put outside the stack at %#" PRIx64 "\n", addr);
}

/* A heap copy of the first n stack bytes, so ASan catches any read past them. */
static unsigned char *stack_copy(const struct stack *s, size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    if (!p) {
        perror("malloc");
        exit(2);
    }
    memcpy(p, s->b, n);
    return p;
}

static bool frames_are(const uint64_t *got, size_t n, const uint64_t *want, size_t nwant)
{
    if (n != nwant) {
        fprintf(stderr, "  got %zu frames, want %zu:", n, nwant);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %#" PRIx64, got[i]);
        fprintf(stderr, "\n");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            fprintf(stderr, "  frame %zu: got %#" PRIx64 ", want %#" PRIx64 "\n", i, got[i], want[i]);
            return false;
        }
    }
    return true;
}

/* Runs unwind_user over the first stack_bytes of st (heap copy). */
static size_t run(struct fake *f, const struct stack *st, size_t stack_bytes, uint64_t ip, uint64_t sp, uint64_t bp,
                  const uint64_t *chain, size_t nchain, uint64_t *out, size_t max)
{
    unsigned char *copy = stack_copy(st, stack_bytes);
    uint64_t *chain_copy = NULL;
    if (nchain) { /* exactly nchain entries on the heap */
        chain_copy = malloc(nchain * sizeof(*chain_copy));
        memcpy(chain_copy, chain, nchain * sizeof(*chain_copy));
    }
    struct unwind_input in = {.ip = ip, .sp = sp, .bp = bp, .stack = copy, .stack_size = stack_bytes,
                              .chain = chain_copy, .nchain = nchain};
    f->calls = 0;
    f->caller_wrong = 0;
    size_t n = unwind_user(&in, fake_rule_fn, f, out, max);
    free(copy);
    free(chain_copy);
    return n;
}

/* Code addresses of the scenario: a libc leaf, its caller f (frame pointer), f's caller g, main. */
#define LEAF 0x7f0000011000ULL  /* e.g. nanosleep: frameless */
#define RA_F 0x401234ULL         /* return address into f */
#define RA_G 0x402345ULL         /* return address into g (what the kernel finds at bp + 8) */
#define RA_MAIN 0x403456ULL      /* return address into main */
#define RA_START 0x404567ULL     /* return address into the thread entry */

/* f's frame at SP + 0x40 and g's at SP + 0x80 (saved rbp, return address), then main's. */
static void fill_fp_frames(struct stack *st)
{
    put(st, SP + 0x40, SP + 0x80); /* f's saved rbp: g's frame */
    put(st, SP + 0x48, RA_G);
    put(st, SP + 0x80, SP + 0xc0); /* g's saved rbp: main's frame */
    put(st, SP + 0x88, RA_MAIN);
    put(st, SP + 0xc0, 0);
    put(st, SP + 0xc8, RA_START);
}

static void fake_fp_functions(struct fake *f)
{
    fake_add(f, RA_F, rule_fp());
    fake_add(f, RA_G, rule_fp());
    fake_add(f, RA_MAIN, rule_fp());
    fake_add(f, RA_START, rule_outermost());
}

/* A frameless leaf (cfa = sp + 8) called from f, whose frame pointer is the bp the kernel walked
 * from: the kernel's chain skipped f; the repair adds it, walks on as far as the copy reaches, and
 * splices the kernel's chain where the copy ends. */
static void test_frameless_leaf_splice(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, RA_F);
    fill_fp_frames(&st);
    fake_add(&f, LEAF, rule_sp(8));
    fake_fp_functions(&f);
    const uint64_t chain[] = {LEAF, RA_G, RA_MAIN, RA_START};
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 4, out, 64);
    const uint64_t want[] = {LEAF, RA_F, RA_G, RA_MAIN, RA_START};
    CHECK(frames_are(out, n, want, 5));
    CHECK_EQ_U64(f.calls, 5); /* the whole copy is walked, up to the thread entry */
    CHECK_EQ_U64(f.asked[0], LEAF);
    CHECK_EQ_U64(f.asked[1], RA_F);
    CHECK_EQ_U64(f.caller_wrong, 0);

    /* A copy that holds only the leaf's return address: f is found, and the kernel's chain goes on
     * from f's frame pointer. */
    n = run(&f, &st, 8, LEAF, SP, SP + 0x40, chain, 4, out, 64);
    CHECK(frames_are(out, n, want, 5));
    CHECK_EQ_U64(f.calls, 2);

    /* The leaf itself has a frame pointer (bp is its own) and the rules end with it: the kernel's
     * chain goes on after the return address the walk found. */
    struct stack own = {0};
    put(&own, SP + 0x40, SP + 0x80); /* the leaf's frame */
    put(&own, SP + 0x48, RA_G);
    put(&own, SP + 0x80, SP + 0xc0);
    put(&own, SP + 0x88, RA_MAIN);
    struct fake g = {0};
    fake_add(&g, LEAF, rule_fp());
    n = run(&g, &own, 0x100, LEAF, SP, SP + 0x40, chain, 4, out, 64);
    CHECK(frames_are(out, n, chain, 4));

    /* A chain that does not start at the sampled ip is not spliced: the CFI walk goes on. */
    const uint64_t other[] = {LEAF + 4, 0xbad1, 0xbad2};
    n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, other, 3, out, 64);
    CHECK(frames_are(out, n, want, 5));

    /* A chain of the ip alone continues nothing either. */
    n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 1, out, 64);
    CHECK(frames_are(out, n, want, 5));
}

/* The leaf pushed rbp and uses it as a scratch register: the kernel walked from garbage. The rule
 * restores bp from cfa - 16 and the walk goes on through f's and g's frames to the thread entry. */
static void test_clobbered_bp(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, SP + 0x40); /* the pushed rbp: f's frame */
    put(&st, SP + 8, RA_F);
    fill_fp_frames(&st);
    fake_add(&f, LEAF, rule_sp_saved_bp(16));
    fake_fp_functions(&f);
    const uint64_t junk_chain[] = {LEAF, 0xdeadbeef};
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, 0x1234 /* clobbered */, junk_chain, 2, out, 64);
    const uint64_t want[] = {LEAF, RA_F, RA_G, RA_MAIN, RA_START};
    CHECK(frames_are(out, n, want, 5));
    CHECK_EQ_U64(f.calls, 5);
    CHECK_EQ_U64(f.caller_wrong, 0);

    /* Pushed but not yet clobbered (bp is still f's): the walk restores it and goes on through the
     * copy; where the copy and a (here made-up) kernel chain differ, the copy's frames win. */
    const uint64_t chain[] = {LEAF, RA_G, 0x505050};
    n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    CHECK(frames_are(out, n, want, 5));
    CHECK_EQ_U64(f.calls, 5);
    /* A copy that ends inside g's frame: g's frame pointer is the one the kernel walked to from f's,
     * so its chain is spliced after g. */
    n = run(&f, &st, 0x50, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    const uint64_t want2[] = {LEAF, RA_F, RA_G, 0x505050};
    CHECK(frames_are(out, n, want2, 4));
    CHECK_EQ_U64(f.calls, 3);

    /* A frame pointer the rules cannot recover stops the walk at the next frame-pointer rule and
     * rules out the splice: the frames found are kept. */
    struct fake u = {0};
    struct sym_cfa_rule r = rule_sp(8);
    r.bp = SYM_BP_UNDEFINED;
    fake_add(&u, LEAF, r);
    fake_fp_functions(&u);
    put(&st, SP, RA_F);
    n = run(&u, &st, 0x100, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    const uint64_t want3[] = {LEAF, RA_F};
    CHECK(frames_are(out, n, want3, 2));
}

/* No rule for the interrupted ip: the kernel's chain is returned unchanged (up to max). */
static void test_no_rule_at_leaf(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, RA_F);
    fake_fp_functions(&f); /* nothing for LEAF */
    const uint64_t chain[] = {LEAF, RA_G, RA_MAIN, RA_START};
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 4, out, 64);
    CHECK(frames_are(out, n, chain, 4));
    CHECK_EQ_U64(f.calls, 1);
    n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 4, out, 2);
    CHECK(frames_are(out, n, chain, 2));

    /* Without a stack copy the first step cannot read anything: the kernel's chain too. */
    struct fake g = {0};
    fake_add(&g, LEAF, rule_sp(8));
    n = run(&g, &st, 0, LEAF, SP, SP + 0x40, chain, 4, out, 64);
    CHECK(frames_are(out, n, chain, 4));

}

/* The sampled ip is a user frame whatever else fails: with no kernel chain to fall back on (perf
 * --call-graph dwarf, a kernel-mode sample) and no rule at the leaf, or room for one frame only, the
 * result is the ip, not nothing. */
static void test_ip_always_kept(void)
{
    struct stack st = {0};
    struct fake none = {0};
    uint64_t out[64];
    size_t n = run(&none, &st, 0x100, LEAF, SP, SP + 0x40, NULL, 0, out, 64);
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_U64(out[0], LEAF);

    struct fake f = {0};
    put(&st, SP, RA_F);
    fake_add(&f, LEAF, rule_sp(8));
    n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, NULL, 0, out, 1);
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_U64(out[0], LEAF);
    n = run(&f, &st, 4, LEAF, SP, SP + 0x40, NULL, 0, out, 64); /* the stack copy ends too early */
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_U64(out[0], LEAF);
}

/* The thread's first frame (undefined return address) ends the stack, before any splice; so does a
 * zero return address. */
static void test_outermost(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, RA_START);
    fake_add(&f, LEAF, rule_sp(8));
    fake_add(&f, RA_START, rule_outermost());
    const uint64_t chain[] = {LEAF, 0xbad1, 0xbad2};
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    const uint64_t want[] = {LEAF, RA_START};
    CHECK(frames_are(out, n, want, 2));

    /* The leaf itself is the thread entry. */
    struct fake g = {0};
    fake_add(&g, LEAF, rule_outermost());
    n = run(&g, &st, 0x100, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    const uint64_t want1[] = {LEAF};
    CHECK(frames_are(out, n, want1, 1));

    /* A zero return address: the end of the stack, not a frame. */
    struct fake h = {0};
    put(&st, SP, RA_F);
    put(&st, SP + 8, 0);
    fake_add(&h, LEAF, rule_sp(8));
    fake_add(&h, RA_F, rule_sp(8));
    n = run(&h, &st, 0x100, LEAF, SP, 0x1234, NULL, 0, out, 64);
    const uint64_t want2[] = {LEAF, RA_F};
    CHECK(frames_are(out, n, want2, 2));
}

/* A read outside the stack copy stops the walk; the frames found so far are kept. */
static void test_outside_stack(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, SP + 0x40); /* pushed rbp */
    put(&st, SP + 8, RA_F);
    fill_fp_frames(&st);
    fake_add(&f, LEAF, rule_sp_saved_bp(16));
    fake_fp_functions(&f);
    uint64_t out[64];
    /* 16 bytes: the leaf's frame is in, f's (at SP + 0x40) is not */
    size_t n = run(&f, &st, 16, LEAF, SP, 0x1234, NULL, 0, out, 64);
    const uint64_t want[] = {LEAF, RA_F};
    CHECK(frames_are(out, n, want, 2));
    /* up to the end of f's frame: f's frame is read, g's return address (SP + 0x88) is not */
    n = run(&f, &st, 0x50, LEAF, SP, 0x1234, NULL, 0, out, 64);
    const uint64_t want2[] = {LEAF, RA_F, RA_G};
    CHECK(frames_are(out, n, want2, 3));
    /* one byte short of f's return address */
    n = run(&f, &st, 0x4f, LEAF, SP, 0x1234, NULL, 0, out, 64);
    CHECK(frames_are(out, n, want, 2));

    /* One byte short of the leaf's own return address: nothing beyond the leaf, so the kernel's
     * chain is returned. */
    const uint64_t chain[] = {LEAF, 0x777};
    n = run(&f, &st, 15, LEAF, SP, 0x1234, chain, 2, out, 64);
    CHECK(frames_are(out, n, chain, 2));

    /* A return address below the stack pointer (cfa + ra_offset < sp) is outside the copy. */
    struct fake g = {0};
    struct sym_cfa_rule r = rule_sp(8);
    r.ra_offset = -16;
    fake_add(&g, LEAF, r);
    n = run(&g, &st, 0x100, LEAF, SP, 0x1234, chain, 2, out, 64);
    CHECK(frames_are(out, n, chain, 2));

    /* Offsets that wrap around the address space are outside too. */
    struct fake h = {0};
    r = rule_sp(8);
    r.ra_offset = INT64_MIN;
    fake_add(&h, LEAF, r);
    n = run(&h, &st, 0x100, LEAF, SP, 0x1234, chain, 2, out, 64);
    CHECK(frames_are(out, n, chain, 2));
    struct fake k = {0};
    r = rule_sp(INT64_MAX);
    fake_add(&k, LEAF, r);
    n = run(&k, &st, 0x100, LEAF, SP, 0x1234, chain, 2, out, 64);
    CHECK(frames_are(out, n, chain, 2));
}

/* No kernel chain at all (perf --call-graph dwarf): the whole stack comes from the CFI walk. */
static void test_empty_chain(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, RA_F);
    fill_fp_frames(&st);
    fake_add(&f, LEAF, rule_sp(8));
    fake_fp_functions(&f);
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, NULL, 0, out, 64);
    const uint64_t want[] = {LEAF, RA_F, RA_G, RA_MAIN, RA_START};
    CHECK(frames_are(out, n, want, 5));
    CHECK_EQ_U64(f.calls, 5);
    CHECK_EQ_U64(f.caller_wrong, 0);
}

/* A cfa that does not move up the stack ends the walk instead of looping. */
static void test_no_progress(void)
{
    struct stack st = {0};
    uint64_t out[64];
    const uint64_t chain[] = {LEAF, 0x777};

    /* cfa == sp */
    struct fake f = {0};
    fake_add(&f, LEAF, rule_sp(0));
    size_t n = run(&f, &st, 0x100, LEAF, SP, 0x1234, chain, 2, out, 64);
    CHECK(frames_are(out, n, chain, 2));

    /* A frame pointer that points at itself: f's frame is read once, then its cfa repeats. */
    struct fake g = {0};
    put(&st, SP, RA_F);
    put(&st, SP + 0x40, SP + 0x40);
    put(&st, SP + 0x48, RA_G);
    fake_add(&g, LEAF, rule_sp(8));
    fake_add(&g, RA_F, rule_fp());
    fake_add(&g, RA_G, rule_fp());
    n = run(&g, &st, 0x100, LEAF, SP, SP + 0x40, NULL, 0, out, 64);
    const uint64_t want[] = {LEAF, RA_F, RA_G};
    CHECK(frames_are(out, n, want, 3));

    /* A frame pointer below the stack pointer. */
    struct fake h = {0};
    fake_add(&h, LEAF, rule_sp(8));
    fake_add(&h, RA_F, rule_fp());
    n = run(&h, &st, 0x100, LEAF, SP, SP - 0x100, NULL, 0, out, 64);
    const uint64_t want2[] = {LEAF, RA_F};
    CHECK(frames_are(out, n, want2, 2));

    /* Every frame's return address is its own pc (recursion without progress is still progress on
     * the stack, so this walks until a limit): bounded, and every frame is that address. */
    struct fake k = {0};
    for (uint64_t a = SP; a < SP + sizeof(st.b); a += 8)
        put(&st, a, RA_F);
    fake_add(&k, LEAF, rule_sp(8));
    fake_add(&k, RA_F, rule_sp(8));
    uint64_t big[1024];
    n = run(&k, &st, sizeof(st.b), LEAF, SP, 0x1234, NULL, 0, big, 1024);
    CHECK(n >= 2 && n <= STACK_WORDS + 1); /* one frame per word of the copy at most */
    int bad = 0;
    for (size_t i = 1; i < n; i++)
        bad += big[i] != RA_F;
    CHECK_EQ_U64(bad, 0);
    CHECK(k.calls <= (int)n + 1);
}

/* out never gets more than max frames, whichever way they are found. */
static void test_max(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, RA_F);
    fill_fp_frames(&st);
    fake_add(&f, LEAF, rule_sp(8));
    fake_fp_functions(&f);
    const uint64_t chain[] = {LEAF, RA_G, RA_MAIN, RA_START};
    const uint64_t want[] = {LEAF, RA_F, RA_G, RA_MAIN, RA_START};
    for (size_t max = 0; max <= 6; max++) {
        uint64_t out[8];
        for (size_t i = 0; i < 8; i++)
            out[i] = 0xfeedULL;
        /* spliced */
        size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 4, out, max);
        CHECK(frames_are(out, n, want, max < 5 ? max : 5));
        CHECK_EQ_U64(out[max], 0xfeedULL); /* nothing written past max */
        /* pure CFI (max 1 is test_ip_always_kept's) */
        for (size_t i = 0; i < 8; i++)
            out[i] = 0xfeedULL;
        if (max != 1) {
            n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, NULL, 0, out, max);
            CHECK(frames_are(out, n, want, max < 5 ? max : 5));
            CHECK_EQ_U64(out[max], 0xfeedULL);
        }
        /* the kernel's chain as it is */
        struct fake none = {0};
        for (size_t i = 0; i < 8; i++)
            out[i] = 0xfeedULL;
        n = run(&none, &st, 0x100, LEAF, SP, SP + 0x40, chain, 4, out, max);
        CHECK(frames_are(out, n, chain, max < 4 ? max : 4));
        CHECK_EQ_U64(out[max], 0xfeedULL);
    }

    /* A deep CFI walk (every frame 16 bytes, 200 of them) goes to its end: no step limit below max. */
    struct stack deep = {0};
    struct fake d = {0};
    fake_add(&d, LEAF, rule_sp(8));
    for (uint64_t i = 0; i < 200; i++) {
        put(&deep, SP + i * 16, 0x500000 + i * 0x10);
        put(&deep, SP + i * 16 + 8, 0); /* padding read by nobody */
        fake_add(&d, 0x500000 + i * 0x10, rule_sp(16));
    }
    uint64_t out[1024];
    size_t n = run(&d, &deep, sizeof(deep.b), LEAF, SP, 0x1234, NULL, 0, out, 1024);
    CHECK_EQ_U64(n, 201);
    int bad = 0;
    for (size_t i = 1; i < n; i++)
        bad += out[i] != 0x500000 + (i - 1) * 0x10;
    CHECK_EQ_U64(bad, 0);
    n = run(&d, &deep, sizeof(deep.b), LEAF, SP, 0x1234, NULL, 0, out, 7);
    CHECK_EQ_U64(n, 7);
    CHECK_EQ_U64(out[6], 0x500050);
}

/* A leaf with a frame pointer (the vDSO's) called by a frameless function (libc's clock_gettime) called
 * by spin (frame pointer): the kernel's walk from the leaf's frame skips spin, because the frameless
 * function left spin's frame pointer in place. The CFI walk keeps spin. */
static void test_frameless_in_the_middle(void)
{
    enum { RA_LIBC = 0x7f0000022000ULL, RA_SPIN = 0x401500ULL };
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, SP + 0x40);      /* the leaf's saved rbp: spin's frame (libc's function has none) */
    put(&st, SP + 8, RA_LIBC);    /* the leaf returns into libc */
    put(&st, SP + 0x10, RA_SPIN); /* libc's function returns into spin (cfa = sp + 8) */
    fill_fp_frames(&st);          /* spin's frame at SP + 0x40: returns to RA_G, ... */
    fake_add(&f, LEAF, rule_fp());
    fake_add(&f, RA_LIBC, rule_sp(8));
    fake_add(&f, RA_SPIN, rule_fp());
    fake_fp_functions(&f);
    /* what the kernel finds from bp = SP: [SP + 8], then from [SP] = SP + 0x40: RA_G, ... */
    const uint64_t chain[] = {LEAF, RA_LIBC, RA_G, RA_MAIN, RA_START};
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP, chain, 5, out, 64);
    const uint64_t want[] = {LEAF, RA_LIBC, RA_SPIN, RA_G, RA_MAIN, RA_START};
    CHECK(frames_are(out, n, want, 6));
    /* a copy that ends after spin's return address: spin's own frame pointer is the kernel's second,
     * so its chain goes on after spin */
    n = run(&f, &st, 0x48, LEAF, SP, SP, chain, 5, out, 64);
    CHECK(frames_are(out, n, want, 6));
}

/* A save slot outside the copy that is not below the sample's stack pointer (here: above the copied
 * bytes) leaves the caller's frame pointer unknown, and the walk goes on with the frames that do not
 * need it (instead of throwing away the frames found). */
static void test_unreadable_bp_slot(void)
{
    struct stack st = {0};
    struct fake f = {0};
    put(&st, SP, RA_F);      /* the leaf's return address */
    put(&st, SP + 8, RA_G);  /* f is frameless too: its return address just above */
    put(&st, SP + 16, RA_MAIN);
    struct sym_cfa_rule leaf = rule_sp(8);
    leaf.bp = SYM_BP_SAVED;
    leaf.bp_offset = 0x200; /* cfa + 0x200: past the 0x100 bytes copied */
    fake_add(&f, LEAF, leaf);
    fake_add(&f, RA_F, rule_sp(8));
    fake_add(&f, RA_G, rule_sp(8));
    fake_add(&f, RA_MAIN, rule_fp()); /* needs the frame pointer, which is unknown now */
    uint64_t out[64];
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, NULL, 0, out, 64);
    const uint64_t want[] = {LEAF, RA_F, RA_G, RA_MAIN};
    CHECK(frames_are(out, n, want, 4));
    /* with the kernel's chain walked from that bp, nothing is spliced: the bp is no longer known */
    const uint64_t chain[] = {LEAF, 0x777, 0x888};
    n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    CHECK(frames_are(out, n, want, 4));
}

/* A sample on the "ret" of a function with a frame pointer, after its "pop %rbp": the CFI still names
 * rbp's save slot (cfa - 16, below the stack pointer now), but rbp already holds the caller's frame
 * pointer, the one the kernel walked from. So the kernel's chain skipped the caller (main); the repair
 * adds it and goes on with the kernel's chain from main's frame, whether the copy holds main's frame
 * or not. */
static void test_epilogue_ret(void)
{
    struct stack st = {0};
    struct fake f = {0};
    const uint64_t ra_libc = 0x7f0000022222ULL, ra_start = 0x7f0000033333ULL;
    put(&st, SP, RA_MAIN);        /* the return address "ret" is about to use */
    put(&st, SP + 0x40, 0);       /* main's frame: the saved rbp of its caller */
    put(&st, SP + 0x48, ra_libc); /* main's return address (what the kernel found at bp + 8) */
    struct sym_cfa_rule ret = rule_sp(8);
    ret.bp = SYM_BP_SAVED;
    ret.bp_offset = -16; /* cfa - 16 = sp - 8: popped */
    fake_add(&f, LEAF, ret);
    fake_add(&f, RA_MAIN, rule_fp());
    const uint64_t chain[] = {LEAF, ra_libc, ra_start};
    const uint64_t want[] = {LEAF, RA_MAIN, ra_libc, ra_start};
    uint64_t out[64];
    /* main's frame in the copy: the CFI walk reaches libc, whose rules are unknown; the kernel's
     * chain goes on after ra_libc */
    size_t n = run(&f, &st, 0x100, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    CHECK(frames_are(out, n, want, 4));
    /* only the return address copied: main's frame pointer is the one the kernel walked from */
    n = run(&f, &st, 0x10, LEAF, SP, SP + 0x40, chain, 3, out, 64);
    CHECK(frames_are(out, n, want, 4));
}

/* 300 frames of recursion, each with a frame pointer: all of them, as far as max allows. */
static void test_deep_recursion(void)
{
    enum { DEPTH = 300 };
    static unsigned char big[DEPTH * 32 + 64];
    struct fake *f = calloc(1, sizeof(*f));
    uint64_t sp = SP, base = SP;
    /* frame i at base + 32 i: saved rbp (frame i + 1), return address into the recursive function */
    for (uint64_t i = 0; i < DEPTH; i++) {
        uint64_t at = base + i * 32, next = base + (i + 1) * 32;
        memcpy(big + (at - SP), &next, 8);
        uint64_t ra = 0x600000 + (i == DEPTH - 1 ? 0x100 : 0x10);
        memcpy(big + (at - SP) + 8, &ra, 8);
    }
    fake_add(f, 0x600000, rule_fp());
    fake_add(f, 0x600010, rule_fp());
    fake_add(f, 0x600100, rule_outermost());
    struct unwind_input in = {.ip = 0x600000, .sp = sp, .bp = base, .stack = big, .stack_size = sizeof(big)};
    uint64_t *out = malloc(1024 * sizeof(*out));
    size_t n = unwind_user(&in, fake_rule_fn, f, out, 1024);
    CHECK_EQ_U64(n, DEPTH + 1);
    n = unwind_user(&in, fake_rule_fn, f, out, 127);
    CHECK_EQ_U64(n, 127);
    free(out);
    free(f);
}

int main(void)
{
    test_frameless_in_the_middle();
    test_unreadable_bp_slot();
    test_epilogue_ret();
    test_deep_recursion();
    test_frameless_leaf_splice();
    test_clobbered_bp();
    test_no_rule_at_leaf();
    test_outermost();
    test_outside_stack();
    test_empty_chain();
    test_no_progress();
    test_max();
    test_ip_always_kept(); /* last: under UBSan the bug it shows aborts the program */
    return check_done("test-unwind");
}
