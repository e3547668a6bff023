/* hot.c - test workload: main -> run_work() -> hot_function() (~80%) and cold_function() (~20%). */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long hot_function(unsigned long seed);
unsigned long cold_function(unsigned long seed);
unsigned long run_work(double seconds);

/* Work units per outer iteration; volatile so the compiler cannot specialise the callees. */
static volatile unsigned long unit_ops = 50000;
static volatile unsigned long sink;

/* Does 4 units of work: the 80% share. */
NOINLINE unsigned long hot_function(unsigned long seed)
{
    unsigned long x = seed | 1, n = 4 * unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

/* Does 1 unit of work, the same kernel as hot_function: the 20% share. */
NOINLINE unsigned long cold_function(unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

/* Calls hot_function and cold_function alternately until the thread has used SECONDS of
   CPU time; returns a checksum. */
NOINLINE unsigned long run_work(double seconds)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long acc = 0;
    unsigned long rounds = 0;

    FORCE_FRAME();
    do {
        acc += hot_function(acc + rounds);
        acc += cold_function(acc ^ rounds);
        rounds++;
    } while ((rounds & 7) != 0 || workload_thread_cpu_seconds() < end);
    return acc;
}

int main(int argc, char **argv)
{
    sink = run_work(workload_arg_seconds(argc, argv, 1, 0.5));
    printf("hot: checksum %lx\n", sink);
    return 0;
}
