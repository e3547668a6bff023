/* stack.h - a sample's stack: its callchain's kernel and user parts, context markers resolved, user frames repaired through frameless code by the unwinder. */
#ifndef HWPROF_STACK_H
#define HWPROF_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "unwind.h"

/* Frames kept per sample: perf's kernel.perf_event_max_stack default. */
#define STACK_DEFAULT_MAX 127
/* The most frames any stack can hold (--max-stack is clamped to it). */
#define STACK_LIMIT 1024

/* A sample's addresses, leaf first. */
struct stack {
    size_t n;
    uint64_t addr[STACK_LIMIT];
    bool kernel[STACK_LIMIT];  /* a kernel address */
    bool caller[STACK_LIMIT];  /* a return address (look up addr - 1), not the interrupted pc */
    uint64_t user[STACK_LIMIT]; /* scratch for the unwinder */
};

/* How to turn samples of one attribute into stacks. */
struct stack_config {
    uint64_t regs_user_mask;   /* the attribute's sample_regs_user */
    bool unwind;               /* the user registers are x86-64's: repair user frames with rule() */
    size_t max;                /* frames kept (1..STACK_LIMIT; 0 means STACK_DEFAULT_MAX) */
    unwind_rule_fn rule;       /* CFI rules by address in the sample's process */
    void *rule_arg;
};

/* Fills st with the stack of s, leaf first: the first address after each callchain context marker
 * is the exact pc where that context was interrupted, every other one a return address. With user
 * registers and a stack copy, the user part is unwound with cfg->rule from the copy (see
 * unwind_user) and joined to the kernel's frame-pointer chain; a kernel-only callchain (perf's
 * --call-graph dwarf) gets its user frames from the copy alone. Without a callchain the stack is the
 * sample's ip. Keeps at most cfg->max frames, the leaf side. Never fails. */
void stack_build(struct stack *st, const struct dec_sample *s, const struct stack_config *cfg);

#endif
