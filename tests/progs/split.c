/* split.c - test workload: main's loop calls work_three() (3 units) and work_one() (1 unit): a 3:1 split; prints the CPU time of each. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long work_three(unsigned long seed);
unsigned long work_one(unsigned long seed);

/* Work units per call; volatile so the compiler cannot specialise the callees. */
static volatile unsigned long unit_ops = WORKLOAD_CHECK_STEPS / 10;
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

/* Usage: split [SECONDS]: calls work_three and work_one alternately until main has used SECONDS
   (default 0.6) of CPU time; prints the truth lines of both and of main. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double seconds = workload_arg_seconds(argc, argv, 1, 0.6);
    double end = workload_thread_cpu_seconds() + seconds;
    struct workload_phase three = {0}, one = {0};
    unsigned long acc = 0, rounds = 0;

    do {
        acc += WORKLOAD_PHASE_CPU(&three, work_three(acc + rounds));
        acc += WORKLOAD_PHASE_CPU(&one, work_one(acc ^ rounds));
        rounds++;
    } while (workload_thread_cpu_seconds() < end);
    sink = acc;
    printf("split: %lu rounds, checksum %lx\n", rounds, sink);
    workload_truth_phase("work_three", &three);
    workload_truth_phase("work_one", &one);
    workload_truth_main();
    return 0;
}
