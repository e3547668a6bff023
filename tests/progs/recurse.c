/* recurse.c - test workload: main -> recurse(5) -> recurse(4) ... -> recurse(0), burning CPU at each level; prints the CPU time 4+ levels deep. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbol stays global and the tests can find it by name. */
unsigned long recurse(int depth, unsigned long seed);

#define RECURSE_DEPTH 5
#define RECURSE_DEEP (RECURSE_DEPTH - 3) /* the depth argument of the 4th frame */

/* Work units per level; volatile so the compiler cannot unroll or fold the loop away. */
static volatile unsigned long unit_ops = WORKLOAD_CHECK_STEPS / 10;
static volatile unsigned long sink;
static struct workload_phase deep; /* the calls of recurse(RECURSE_DEEP): 4 and more frames deep */

/* Burns one unit of CPU in this frame, recurses to depth - 1 (a real call: the result is mixed in
   afterwards, so it is no tail call), then burns another unit; returns a checksum. Times the calls
   that make the 4th frame. */
NOINLINE unsigned long recurse(int depth, unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    if (depth - 1 == RECURSE_DEEP)
        x += WORKLOAD_PHASE_CPU(&deep, recurse(depth - 1, x)) * 3;
    else if (depth > 0)
        x += recurse(depth - 1, x) * 3;
    WORKLOAD_BURN(x, n);
    return x;
}

/* Usage: recurse [SECONDS]: recurses from main until main has used SECONDS (default 0.6) of CPU
   time. Prints the truth lines "recurse" (its calls from main), "deep" (the calls that are the 4th
   frame of recurse and below) and main's. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double seconds = workload_arg_seconds(argc, argv, 1, 0.6);
    double end = workload_thread_cpu_seconds() + seconds;
    struct workload_phase top = {0};
    unsigned long acc = 0, rounds = 0;

    do {
        acc += WORKLOAD_PHASE_CPU(&top, recurse(RECURSE_DEPTH, acc + rounds));
        rounds++;
    } while (workload_thread_cpu_seconds() < end);
    sink = acc;
    printf("recurse: %lu rounds, checksum %lx\n", rounds, sink);
    workload_truth_phase("recurse", &top);
    workload_truth_phase("deep", &deep);
    workload_truth_main();
    return 0;
}
