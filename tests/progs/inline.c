/* inline.c - test workload: always_inline inline_outer() -> inline_inner() inlined into the noinline caller_a() and caller_b(). */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long caller_a(double seconds);
unsigned long caller_b(double seconds);

/* Work units per call; volatile so the compiler cannot specialise the loops. */
static volatile unsigned long unit_ops = WORKLOAD_CHECK_STEPS / 8;
static volatile unsigned long sink;

/* CPU time used by this thread. A function of this file, not workload_thread_cpu_seconds(): GCC
   inlines it into the callers, and report-inline.sh knows their inlined functions by name. */
static double inline_cpu_seconds(void)
{
    return WORKLOAD_CLOCK_SECONDS(CLOCK_THREAD_CPUTIME_ID);
}

/* The innermost inlined level: most of the samples land here. */
static ALWAYS_INLINE unsigned long inline_inner(unsigned long x, unsigned long n)
{
    WORKLOAD_BURN(x, n);
    return x;
}

/* The hot inline function: a little work of its own around the inner loop. */
static ALWAYS_INLINE unsigned long inline_outer(unsigned long x)
{
    unsigned long n = unit_ops;

    x = x * 2654435761u + n;
    x = inline_inner(x, n);
    return x ^ (x >> 29);
}

/* Runs inline_outer for SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long caller_a(double seconds)
{
    double end = inline_cpu_seconds() + seconds;
    unsigned long acc = 1;

    FORCE_FRAME();
    do {
        for (int i = 0; i < 8; i++) /* 8 calls per clock read: WORKLOAD_CHECK_STEPS */
            acc += inline_outer(acc + (unsigned long)i);
    } while (inline_cpu_seconds() < end);
    return acc;
}

/* The same as caller_a with another constant, so the two copies of inline_outer differ. */
NOINLINE unsigned long caller_b(double seconds)
{
    double end = inline_cpu_seconds() + seconds;
    unsigned long acc = 2;

    FORCE_FRAME();
    do {
        for (int i = 0; i < 8; i++)
            acc ^= inline_outer(acc + 7 + (unsigned long)i);
    } while (inline_cpu_seconds() < end);
    return acc;
}

/* Usage: inline [SECONDS]: runs caller_a, then caller_b, SECONDS / 2 (default 0.25) of CPU time
   each. Prints the truth lines of both and main's. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double seconds = workload_arg_seconds(argc, argv, 1, 0.5);
    struct workload_phase a = {0}, b = {0};

    sink = WORKLOAD_PHASE_CPU(&a, caller_a(seconds / 2)) + WORKLOAD_PHASE_CPU(&b, caller_b(seconds / 2));
    printf("inline: checksum %lx\n", sink);
    workload_truth_phase("caller_a", &a);
    workload_truth_phase("caller_b", &b);
    workload_truth_main();
    return 0;
}
