/* flame.c - test workload for the flame graph: work_big() (3 units) and work_small() (1 unit), a 75/25 split that the program measures itself. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long work_big(unsigned long seed);
unsigned long work_small(unsigned long seed);

/* Work units per call: large, so the clock reads around the calls cost nothing in comparison. */
static volatile unsigned long unit_ops = 300000;
static volatile unsigned long sink;

/* Does 3 units of work: the 75% share. */
NOINLINE unsigned long work_big(unsigned long seed)
{
    unsigned long x = seed | 1, n = 3 * unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

/* Does 1 unit of work, the same kernel as work_big: the 25% share. */
NOINLINE unsigned long work_small(unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

/* Usage: flame [SECONDS]: calls both until the thread has used SECONDS (default 1) of CPU time,
   timing each call with the thread's CPU clock. Prints the CPU time spent in each function and
   the process's whole CPU time, in ns. */
int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 1.0);
    double start = workload_thread_cpu_seconds(), end = start + seconds;
    double big = 0, small = 0;
    unsigned long acc = 0, rounds = 0;

    do {
        double t0 = workload_thread_cpu_seconds();
        acc += work_big(acc + rounds);
        double t1 = workload_thread_cpu_seconds();
        acc += work_small(acc ^ rounds);
        double t2 = workload_thread_cpu_seconds();
        big += t1 - t0;
        small += t2 - t1;
        rounds++;
    } while (workload_thread_cpu_seconds() < end);
    sink = acc;
    printf("flame: rounds %lu big_ns %.0f small_ns %.0f total_ns %.0f\n", rounds, big * 1e9,
           small * 1e9, workload_process_cpu_seconds() * 1e9);
    return 0;
}
