/* split.c - test workload: main's loop calls work_three() (3 units) and work_one() (1 unit): a 3:1 split. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long work_three(unsigned long seed);
unsigned long work_one(unsigned long seed);

/* Work units per call; volatile so the compiler cannot specialise the callees. */
static volatile unsigned long unit_ops = 40000;
static volatile unsigned long sink;

/* Does 3 units of work: the 75% share. */
NOINLINE unsigned long work_three(unsigned long seed)
{
    unsigned long x = seed | 1, n = 3 * unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

/* Does 1 unit of work, the same kernel as work_three: the 25% share. */
NOINLINE unsigned long work_one(unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.6);
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long acc = 0, rounds = 0;

    /* Whole rounds of 8 calls each between clock reads, so the split stays exactly 3:1 and the
       clock reads (charged to main) stay rare. */
    do {
        acc += work_three(acc + rounds);
        acc += work_one(acc ^ rounds);
        rounds++;
    } while ((rounds & 7) != 0 || workload_thread_cpu_seconds() < end);
    sink = acc;
    printf("split: %lu rounds, checksum %lx\n", rounds, sink);
    return 0;
}
