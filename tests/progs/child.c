/* child.c - test workload exec'd by forkexec: main -> child_spin() for 0.5 s of CPU time; prints the CPU time it took. */
#include <stdio.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long child_spin(double seconds);

static volatile unsigned long sink;

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long child_spin(double seconds)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = 88172645463325252UL;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, WORKLOAD_CHECK_STEPS);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

int main(int argc, char **argv)
{
    struct workload_phase spin = {0};
    sink = WORKLOAD_PHASE_CPU(&spin, child_spin(workload_arg_seconds(argc, argv, 1, 0.5)));
    printf("child: checksum %lx\n", sink);
    workload_truth_phase("child_spin", &spin);
    return 0;
}
