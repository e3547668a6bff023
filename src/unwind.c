/* unwind.c - repair a sample's user callchain through frameless code: follow CFI rules over the copied user stack, then continue on the kernel's frame-pointer chain. */
#include "unwind.h"

#include <string.h>

/* Frame pointers of the kernel's walk that are looked for in the stack copy. */
#define UNWIND_MAX_KERNEL_BPS 128

/* The 8 bytes at user address addr, from the stack copy. False when outside it. */
static bool unwind_read(const struct unwind_input *in, uint64_t addr, uint64_t *out)
{
    if (addr < in->sp || addr - in->sp > in->stack_size || in->stack_size - (addr - in->sp) < 8)
        return false;
    memcpy(out, in->stack + (addr - in->sp), 8);
    return true;
}

/* The frame pointers the kernel's walk went through, as far as the copy shows them: kbp[0] is the
 * bp it started from, kbp[i + 1] the one saved at kbp[i]. chain[i + 1] is the return address stored
 * beside kbp[i], so the function whose frame pointer is kbp[i] returns to chain[i + 1]. Returns the
 * count (0 when the chain does not start at the sample's ip). */
static size_t unwind_kernel_bps(const struct unwind_input *in, uint64_t *kbp, size_t max)
{
    if (in->nchain < 2 || in->chain[0] != in->ip)
        return 0;
    size_t n = 0;
    uint64_t bp = in->bp;
    while (n < max && n + 1 < in->nchain) {
        kbp[n++] = bp;
        uint64_t next;
        if (!unwind_read(in, bp, &next) || next <= bp)
            break;
        bp = next;
    }
    return n;
}

/* The index in kbp of bp, or -1. */
static long unwind_kernel_bp_index(const uint64_t *kbp, size_t nkbp, uint64_t bp)
{
    for (size_t i = 0; i < nkbp; i++)
        if (kbp[i] == bp)
            return (long)i;
    return -1;
}

/* Appends chain[from..] to out[0..n). Returns the new count. */
static size_t unwind_append_chain(const struct unwind_input *in, size_t from, uint64_t *out,
                                  size_t n, size_t max)
{
    for (size_t i = from; i < in->nchain && n < max; i++)
        out[n++] = in->chain[i];
    return n;
}

/* The kernel's chain as it is. */
static size_t unwind_kernel_chain(const struct unwind_input *in, uint64_t *out, size_t max)
{
    size_t n = in->nchain < max ? in->nchain : max;
    memcpy(out, in->chain, n * sizeof(*out));
    return n;
}

/* Where the kernel's chain continues a walk that ended at out[n - 1] (which the walk did not get
 * past): after the return address equal to it (a frame the kernel saw too), or 0 when none is. */
static size_t unwind_chain_after(const struct unwind_input *in, const uint64_t *out, size_t n)
{
    if (n < 2)
        return 0;
    for (size_t j = 1; j < in->nchain; j++)
        if (in->chain[j] == out[n - 1])
            return j + 1;
    return 0;
}

size_t unwind_user(const struct unwind_input *in, unwind_rule_fn rule, void *arg, uint64_t *out,
                   size_t max)
{
    if (max == 0)
        return 0;
    uint64_t kbp[UNWIND_MAX_KERNEL_BPS];
    size_t nkbp = unwind_kernel_bps(in, kbp, UNWIND_MAX_KERNEL_BPS);
    uint64_t pc = in->ip, sp = in->sp, bp = in->bp;
    bool bp_known = true;
    size_t n = 0;
    /* the last frame that set up its own frame pointer at one of the kernel's: frames up to it
     * (at), then chain[from..] */
    size_t splice_at = 0, splice_from = 0;
    out[n++] = pc;
    /* Every step moves the stack pointer up and reads within the copy, so the walk ends within
     * stack_size / 8 steps even without the max. The CFI walk goes as far as the copy reaches: the
     * kernel's chain skips the caller of every frameless function, not only the leaf's. */
    while (n < max) {
        struct sym_cfa_rule r;
        if (rule(arg, pc, n > 1, &r) < 0)
            break;
        if (r.outermost)
            return n; /* the thread's first frame: the stack is complete */
        if (r.base == SYM_CFA_BP && !bp_known)
            break;
        long k = r.base == SYM_CFA_BP ? unwind_kernel_bp_index(kbp, nkbp, bp) : -1;
        if (k >= 0) {
            splice_at = n; /* this frame's return address is chain[k + 1] */
            splice_from = (size_t)k + 1;
        }
        uint64_t cfa = (r.base == SYM_CFA_SP ? sp : bp) + (uint64_t)r.cfa_offset;
        uint64_t ra, saved_bp = bp;
        if (cfa <= sp || !unwind_read(in, cfa + (uint64_t)r.ra_offset, &ra))
            break;
        /* In an epilogue after "pop %rbp" the CFI still names rbp's save slot, now below the
         * sample's stack pointer: the pop has put the caller's frame pointer back in rbp, so the
         * sample's bp is it. Any other save slot outside the copy leaves the caller's frame pointer
         * unknown; the walk goes on without it. */
        uint64_t slot = cfa + (uint64_t)r.bp_offset;
        bool popped = r.bp == SYM_BP_SAVED && n == 1 && slot < in->sp;
        bool bp_read = r.bp != SYM_BP_SAVED || popped || unwind_read(in, slot, &saved_bp);
        bp_known = bp_known && r.bp != SYM_BP_UNDEFINED && bp_read;
        bp = saved_bp;
        sp = cfa;
        pc = ra;
        if (ra == 0)
            return n;
        out[n++] = ra;
    }
    /* The walk ended at out[n - 1]: continue on the kernel's chain where it is known to join. */
    if (splice_from && splice_at == n)
        return unwind_append_chain(in, splice_from, out, n,
                                   max); /* the last frame's own frame pointer */
    size_t after = unwind_chain_after(in, out, n);
    if (after)
        return unwind_append_chain(in, after, out, n, max);
    if (splice_from) /* back to the last frame the kernel's chain is known to continue */
        return unwind_append_chain(in, splice_from, out, splice_at, max);
    /* The walk stopped at a frame whose rules are unknown, with a frame pointer the kernel walked
     * from: its chain is taken from there (a frameless caller in between may be missed). */
    long k = bp_known ? unwind_kernel_bp_index(kbp, nkbp, bp) : -1;
    if (k >= 0)
        return unwind_append_chain(in, (size_t)k + 1, out, n, max);
    if (n > 1 || in->nchain == 0)
        return n; /* with no kernel chain, at least the ip */
    return unwind_kernel_chain(in, out, max);
}
