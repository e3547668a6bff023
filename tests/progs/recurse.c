/* recurse.c - test workload: main -> recurse(5) -> recurse(4) ... -> recurse(0), burning CPU at each level. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbol stays global and the tests can find it by name. */
unsigned long recurse(int depth, unsigned long seed);

#define RECURSE_DEPTH 5

/* Work units per level; volatile so the compiler cannot unroll or fold the loop away. */
static volatile unsigned long unit_ops = 20000;
static volatile unsigned long sink;

/* Burns one unit of CPU in this frame, recurses to depth - 1 (a real call: the result is mixed in
   afterwards, so it is no tail call), then burns another unit; returns a checksum. */
NOINLINE unsigned long recurse(int depth, unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    if (depth > 0)
        x += recurse(depth - 1, x) * 3;
    WORKLOAD_BURN(x, n);
    return x;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.6);
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long acc = 0, rounds = 0;

    do {
        acc += recurse(RECURSE_DEPTH, acc + rounds);
        rounds++;
    } while ((rounds & 7) != 0 || workload_thread_cpu_seconds() < end);
    sink = acc;
    printf("recurse: %lu rounds, checksum %lx\n", rounds, sink);
    return 0;
}
