/* unwind.c - repair a sample's user callchain through frameless code: follow CFI rules over the copied user stack, then continue on the kernel's frame-pointer chain. */
#include "unwind.h"

#include <string.h>

/* The 8 bytes at user address addr, from the stack copy. False when outside it. */
static bool unwind_read(const struct unwind_input *in, uint64_t addr, uint64_t *out)
{
    if (addr < in->sp || addr - in->sp > in->stack_size || in->stack_size - (addr - in->sp) < 8)
        return false;
    memcpy(out, in->stack + (addr - in->sp), 8);
    return true;
}

/* Whether the kernel's chain continues the frames found so far: it was walked from in->bp, so it
 * is right from the frame that owns that frame pointer on. */
static bool unwind_chain_continues(const struct unwind_input *in, bool bp_known, uint64_t bp)
{
    return bp_known && bp == in->bp && in->nchain > 1 && in->chain[0] == in->ip;
}

/* Appends chain[1..] to out[0..n). Returns the new count. */
static size_t unwind_append_chain(const struct unwind_input *in, uint64_t *out, size_t n, size_t max)
{
    for (size_t i = 1; i < in->nchain && n < max; i++)
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

size_t unwind_user(const struct unwind_input *in, unwind_rule_fn rule, void *arg, uint64_t *out,
                   size_t max)
{
    if (max == 0)
        return 0;
    uint64_t pc = in->ip, sp = in->sp, bp = in->bp;
    bool bp_known = true;
    size_t n = 0;
    out[n++] = pc;
    /* Every step moves the stack pointer up and reads within the copy, so the walk ends within
     * stack_size / 8 steps even without the max. */
    while (n < max) {
        struct sym_cfa_rule r;
        if (rule(arg, pc, n > 1, &r) < 0)
            break;
        if (r.outermost)
            return n; /* the thread's first frame: the stack is complete */
        if (r.base == SYM_CFA_BP && unwind_chain_continues(in, bp_known, bp))
            return unwind_append_chain(in, out, n, max);
        if (r.base == SYM_CFA_BP && !bp_known)
            break;
        uint64_t cfa = (r.base == SYM_CFA_SP ? sp : bp) + (uint64_t)r.cfa_offset;
        uint64_t ra, saved_bp = bp;
        if (cfa <= sp || !unwind_read(in, cfa + (uint64_t)r.ra_offset, &ra))
            break;
        /* a save slot outside the copy (an epilogue after "pop %rbp" still names the slot below the
         * stack pointer) leaves the caller's frame pointer unknown; the walk goes on without it */
        bool bp_read = r.bp != SYM_BP_SAVED || unwind_read(in, cfa + (uint64_t)r.bp_offset, &saved_bp);
        bp_known = bp_known && r.bp != SYM_BP_UNDEFINED && bp_read;
        bp = saved_bp;
        sp = cfa;
        pc = ra;
        if (ra == 0)
            return n;
        out[n++] = ra;
    }
    if (unwind_chain_continues(in, bp_known, bp))
        return unwind_append_chain(in, out, n, max);
    if (n > 1 || in->nchain == 0)
        return n; /* with no kernel chain, at least the ip */
    return unwind_kernel_chain(in, out, max);
}
