/* perf_regs.h - the user registers hwprof records with samples to unwind frameless code (x86-64 perf_regs numbering). */
#ifndef HWPROF_PERF_REGS_H
#define HWPROF_PERF_REGS_H

#include <stdint.h>

/* Bit numbers of attr.sample_regs_user on x86-64 (arch/x86/include/uapi/asm/perf_regs.h). */
enum { PERF_REGS_BP = 6, PERF_REGS_SP = 7, PERF_REGS_IP = 8 };

/* The registers an unwinder needs: frame pointer, stack pointer, instruction pointer. */
#define PERF_REGS_UNWIND_MASK ((1ull << PERF_REGS_BP) | (1ull << PERF_REGS_SP) | (1ull << PERF_REGS_IP))

/* Every general-purpose user register of x86-64 (AX .. R15, without the segment registers DS, ES, FS,
 * GS), as perf records them for --call-graph dwarf. */
#define PERF_REGS_ALL_MASK 0xff0fffull

/* Whether register bit `reg` is in mask, and if so its value from regs, which holds the registers
 * of mask in ascending bit order (as PERF_SAMPLE_REGS_USER delivers them). */
static inline int perf_regs_get(uint64_t mask, const uint64_t *regs, uint32_t nregs, int reg,
                                uint64_t *out)
{
    if (!(mask >> reg & 1))
        return -1;
    uint32_t at = (uint32_t)__builtin_popcountll(mask & ((1ull << reg) - 1));
    if (at >= nregs)
        return -1;
    *out = regs[at];
    return 0;
}

#endif
