/* spinner.c - test workload: spins until SIGINT/SIGTERM or a timeout; prints "PID ready" first. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long spinner_loop(double seconds);

static volatile sig_atomic_t stop_signal;
static volatile unsigned long sink;

static void spinner_on_signal(int sig)
{
    stop_signal = sig;
}

/* Spins until a stop signal arrives or SECONDS of wall time have passed; returns a checksum. */
NOINLINE unsigned long spinner_loop(double seconds)
{
    double end = workload_wall_seconds() + seconds;
    unsigned long x = 362436069UL;

    FORCE_FRAME();
    while (!stop_signal) {
        WORKLOAD_BURN(x, WORKLOAD_CHECK_STEPS);
        if (workload_wall_seconds() >= end)
            break;
    }
    return x;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 30.0);
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = spinner_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("%d ready\n", (int)getpid());
    fflush(stdout);
    sink = spinner_loop(seconds);
    if (stop_signal)
        printf("spinner: stopped by signal %d, checksum %lx\n", (int)stop_signal, sink);
    else
        printf("spinner: time is up, checksum %lx\n", sink);
    return 0;
}
