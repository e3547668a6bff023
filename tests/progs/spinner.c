/* spinner.c - test workload: spins until SIGINT/SIGTERM/SIGHUP/SIGQUIT or a timeout; prints "PID ready" first, "PID spun" after the CPU time asked for, and what it measured at the end. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long spinner_loop(double seconds, double spun);

static volatile sig_atomic_t stop_signal;
static volatile unsigned long sink;

static void spinner_on_signal(int sig)
{
    stop_signal = sig;
}

/* Spins until a stop signal arrives or SECONDS of wall time have passed; prints "PID spun" once
   the thread has used SPUN more seconds of CPU time (if SPUN > 0). Returns a checksum. */
NOINLINE unsigned long spinner_loop(double seconds, double spun)
{
    double end = workload_wall_seconds() + seconds;
    double spun_at = spun > 0 ? workload_thread_cpu_seconds() + spun : 0;
    unsigned long x = 362436069UL;

    FORCE_FRAME();
    while (!stop_signal) {
        WORKLOAD_BURN(x, WORKLOAD_CHECK_STEPS);
        if (spun_at > 0 && workload_thread_cpu_seconds() >= spun_at) {
            printf("%d spun\n", (int)getpid());
            fflush(stdout);
            spun_at = 0;
        }
        if (workload_wall_seconds() >= end)
            break;
    }
    return x;
}

/* Usage: spinner [SECONDS [SPUN]]: spins in spinner_loop until SIGINT, SIGTERM, SIGHUP or
   SIGQUIT, or for SECONDS (default 30) of wall time; "PID spun" after SPUN seconds of CPU time
   (default: no such line). Prints the truth lines of spinner_loop and main at the end. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double seconds = workload_arg_seconds(argc, argv, 1, 30.0);
    double spun = workload_arg_seconds(argc, argv, 2, 0);
    struct workload_phase loop = {0};
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = spinner_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);

    printf("%d ready\n", (int)getpid());
    fflush(stdout);
    sink = WORKLOAD_PHASE_CPU(&loop, spinner_loop(seconds, spun));
    if (stop_signal)
        printf("spinner: stopped by signal %d, checksum %lx\n", (int)stop_signal, sink);
    else
        printf("spinner: time is up, checksum %lx\n", sink);
    workload_truth_phase("spinner_loop", &loop);
    workload_truth_main();
    return 0;
}
