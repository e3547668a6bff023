/* hwloop.c - test workload for hardware events: count_loop() runs a loop of a known number of instructions an iteration; prints how many iterations it ran and its CPU time. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbol stays global and the tests can find it by name. */
unsigned long count_loop(unsigned long n, unsigned long x);

/* The instructions of one iteration of count_loop's loop, or 0 where the loop is C (not known). */
#if defined(__x86_64__) || defined(__aarch64__)
#define HWLOOP_INSNS 4
#else
#define HWLOOP_INSNS 0
#endif

#define HWLOOP_CHUNK (WORKLOAD_CHECK_STEPS) /* iterations a count_loop call */

static volatile unsigned long sink;

/* Runs N (> 0) iterations of a loop of HWLOOP_INSNS instructions (an add and an xor on X, and the
   loop's decrement and branch) and returns X. */
NOINLINE unsigned long count_loop(unsigned long n, unsigned long x)
{
    unsigned long k = 0x9e3779b97f4a7c15UL;

    FORCE_FRAME();
#if defined(__x86_64__)
    __asm__ volatile("1:\n\t"
                     "addq %[k], %[x]\n\t"
                     "xorq %[n], %[x]\n\t"
                     "decq %[n]\n\t"
                     "jnz 1b"
                     : [x] "+r"(x), [n] "+r"(n)
                     : [k] "r"(k)
                     : "cc");
#elif defined(__aarch64__)
    __asm__ volatile("1:\n\t"
                     "add %[x], %[x], %[k]\n\t"
                     "eor %[x], %[x], %[n]\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "b.ne 1b"
                     : [x] "+r"(x), [n] "+r"(n)
                     : [k] "r"(k)
                     : "cc");
#else
    for (; n > 0; n--)
        x = (x + k) ^ n;
#endif
    return x;
}

/* Usage: hwloop [SECONDS]: calls count_loop with HWLOOP_CHUNK iterations until it has used
   SECONDS (default 0.5) of CPU time. Prints the truth lines of count_loop, with
   "count_loop.iterations" and "count_loop.insns_per_iteration" (0: not known here), and main's. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double seconds = workload_arg_seconds(argc, argv, 1, 0.5);
    struct workload_phase loop = {0};
    unsigned long acc = 1;

    do
        acc = WORKLOAD_PHASE_CPU(&loop, count_loop(HWLOOP_CHUNK, acc));
    while (loop.cpu < seconds);
    sink = acc;
    printf("hwloop: %lu iterations, checksum %lx\n", loop.calls * HWLOOP_CHUNK, sink);
    workload_truth_phase("count_loop", &loop);
    workload_truth("count_loop.iterations", (double)(loop.calls * HWLOOP_CHUNK));
    workload_truth("count_loop.insns_per_iteration", HWLOOP_INSNS);
    workload_truth_main();
    return 0;
}
