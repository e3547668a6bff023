/* unwind.h - repair a sample's user callchain through frameless code: follow CFI rules over the copied user stack, then continue on the kernel's frame-pointer chain. */
#ifndef HWPROF_UNWIND_H
#define HWPROF_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize.h"

/* What a sample recorded of its user state. */
struct unwind_input {
    uint64_t ip, sp, bp;            /* user registers (at the sample, or at kernel entry) */
    const unsigned char *stack;     /* bytes copied from sp upwards */
    uint64_t stack_size;
    const uint64_t *chain;          /* the kernel's user callchain: chain[0] the user ip, then the
                                       return addresses of a frame-pointer walk from bp; may be empty */
    size_t nchain;
};

/* The unwinding rule at pc (caller: pc is a return address). Returns 0 with *out, or -1 (none). */
typedef int (*unwind_rule_fn)(void *arg, uint64_t pc, bool caller, struct sym_cfa_rule *out);

/* Writes the user frames of a sample, leaf first, into out (at most max); out[0] is the ip, the
 * others return addresses. Steps from frame to frame with the CFI rules, reading saved values from
 * the stack copy, until it reaches a frame whose frame pointer is the bp the kernel walked from:
 * from there the kernel's chain (which is right from that frame on) is appended. When the rules or
 * the stack copy run out earlier, the frames found are kept (if beyond the leaf) and the kernel's
 * chain is appended only if the current frame pointer is still the one it walked from; with no
 * usable rule at the leaf, the kernel's chain is returned as it is (or the ip alone when there is
 * none). A saved frame pointer outside the copy makes it unknown (rules based on it then end the walk)
 * but does not end the walk. No limit but max: every step moves up the copied stack. Returns the
 * number of frames. */
size_t unwind_user(const struct unwind_input *in, unwind_rule_fn rule, void *arg, uint64_t *out,
                   size_t max);

#endif
