/* stack.c - a sample's stack: its callchain's kernel and user parts, context markers resolved, user frames repaired through frameless code by the unwinder. */
#include "stack.h"

#include <linux/perf_event.h>

#include "perf_regs.h"

static size_t stack_max(const struct stack_config *cfg)
{
    return cfg->max == 0 ? STACK_DEFAULT_MAX : cfg->max > STACK_LIMIT ? STACK_LIMIT : cfg->max;
}

/* Appends one address. */
static void stack_push(struct stack *st, size_t max, uint64_t addr, bool kernel, bool caller)
{
    if (st->n >= max)
        return;
    st->addr[st->n] = addr;
    st->kernel[st->n] = kernel;
    st->caller[st->n] = caller;
    st->n++;
}

/* Appends the user frames: the kernel's user callchain uchain[0..nu), repaired by unwind_user when
 * the sample copied the user registers and stack. */
static void stack_user(struct stack *st, const struct dec_sample *s, const struct stack_config *cfg,
                       const uint64_t *uchain, size_t nu)
{
    size_t max = stack_max(cfg);
    struct unwind_input in = {.stack = s->user_stack, .stack_size = s->user_stack_size, .chain = uchain,
                              .nchain = nu};
    const uint64_t *frames = uchain;
    size_t nframes = nu;
    uint64_t mask = cfg->regs_user_mask;
    if (cfg->unwind && cfg->rule && st->n < max && s->user_abi == PERF_SAMPLE_REGS_ABI_64 &&
        s->user_stack_size && perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_IP, &in.ip) == 0 &&
        perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_SP, &in.sp) == 0 &&
        perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_BP, &in.bp) == 0) {
        nframes = unwind_user(&in, cfg->rule, cfg->rule_arg, st->user, max - st->n);
        frames = st->user;
    }
    for (size_t i = 0; i < nframes; i++)
        stack_push(st, max, frames[i], false, i > 0); /* the first is where user code was interrupted */
}

void stack_build(struct stack *st, const struct dec_sample *s, const struct stack_config *cfg)
{
    size_t max = stack_max(cfg);
    bool kernel = (s->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
    bool user_state = s->user_abi && s->user_stack_size;
    st->n = 0;
    if (!s->nr_callchain) {
        if (user_state && !kernel)
            stack_user(st, s, cfg, &s->ip, 1);
        else
            stack_push(st, max, s->ip, kernel, false);
        return;
    }
    bool exact = true, user_done = false;
    for (uint64_t i = 0; i < s->nr_callchain && st->n < max; i++) {
        uint64_t a = s->callchain[i];
        if (a == PERF_CONTEXT_USER && user_state) {
            uint64_t end = i + 1;
            while (end < s->nr_callchain && s->callchain[end] < PERF_CONTEXT_MAX)
                end++;
            stack_user(st, s, cfg, s->callchain + i + 1, (size_t)(end - i - 1));
            user_done = true;
            i = end - 1;
            continue;
        }
        if (a >= PERF_CONTEXT_MAX) {
            if (a == PERF_CONTEXT_KERNEL)
                kernel = true;
            else if (a == PERF_CONTEXT_USER)
                kernel = false;
            exact = true;
            continue;
        }
        stack_push(st, max, a, kernel, !exact);
        exact = false;
    }
    if (user_state && !user_done) /* perf's --call-graph dwarf: a kernel-only callchain */
        stack_user(st, s, cfg, NULL, 0);
}
