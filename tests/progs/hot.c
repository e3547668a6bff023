/* hot.c - test workload: main -> run_work() -> hot_function() (~80%) and cold_function() (~20%); prints the CPU time of each. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long hot_function(unsigned long seed);
unsigned long cold_function(unsigned long seed);
unsigned long run_work(double seconds);

/* Work units per outer iteration; volatile so the compiler cannot specialise the callees. */
static volatile unsigned long unit_ops = WORKLOAD_CHECK_STEPS / 10;
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

static struct workload_phase hot_phase, cold_phase;

/* Calls hot_function and cold_function alternately until the thread has used SECONDS of
   CPU time, timing each call; returns a checksum. */
NOINLINE unsigned long run_work(double seconds)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long acc = 0;
    unsigned long rounds = 0;

    FORCE_FRAME();
    do {
        acc += WORKLOAD_PHASE_CPU(&hot_phase, hot_function(acc + rounds));
        acc += WORKLOAD_PHASE_CPU(&cold_phase, cold_function(acc ^ rounds));
        rounds++;
    } while (workload_thread_cpu_seconds() < end);
    return acc;
}

/* Usage: hot [SECONDS]: runs run_work for SECONDS (default 0.5) of CPU time; prints the truth
   lines of hot_function, cold_function, run_work and main. */
int main(int argc, char **argv)
{
    struct workload_phase run = {0};

    workload_main_begin();
    sink = WORKLOAD_PHASE_CPU(&run, run_work(workload_arg_seconds(argc, argv, 1, 0.5)));
    printf("hot: checksum %lx\n", sink);
    workload_truth_phase("hot_function", &hot_phase);
    workload_truth_phase("cold_function", &cold_phase);
    workload_truth_phase("run_work", &run);
    workload_truth_main();
    return 0;
}
