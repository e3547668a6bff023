/* wall-sleep.c - test workload: rounds of busy_work() (10 ms on CPU) then sleep_work() (10 ms in nanosleep): half on, half off CPU; prints the wall and CPU time of each. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long busy_work(double seconds, unsigned long seed);
void sleep_work(double seconds);

static volatile unsigned long sink;
static volatile sig_atomic_t go;                         /* SIGUSR1 arrived */
static struct workload_phase busy_phase, sleep_phase; /* timed by the functions themselves */

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long busy_work(double seconds, unsigned long seed)
{
    WORKLOAD_PHASE_BEGIN();
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN_WALL(x, seconds);
    WORKLOAD_PHASE_END(&busy_phase);
    return x;
}

/* Sleeps SECONDS in one nanosleep call, resumed after a signal. */
NOINLINE void sleep_work(double seconds)
{
    WORKLOAD_PHASE_BEGIN();
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

    FORCE_FRAME();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    WORKLOAD_PHASE_END(&sleep_phase);
}

static void wall_sleep_on_usr1(int sig)
{
    (void)sig;
    go = 1;
}

/* Usage: wall-sleep [BUSY [SLEEP [ROUNDS [usr1]]]]: ROUNDS (default 40) rounds of BUSY seconds of
   busy_work then SLEEP seconds of sleep_work (default 0.010 each). With "usr1", the first round's
   busy_work goes on until SIGUSR1 arrives, and BUSY seconds more. Prints "PID ready" first, the
   truth line "busy_work.end_ns" (CLOCK_MONOTONIC) when each busy_work ends, at the end the time
   from start to end in ns and the truth lines of both phases and main. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double busy = workload_arg_seconds(argc, argv, 1, 0.010);
    double sleep = workload_arg_seconds(argc, argv, 2, 0.010);
    int rounds = argc > 3 ? atoi(argv[3]) : 40;
    bool gated = argc > 4 && strcmp(argv[4], "usr1") == 0;
    double start = workload_wall_seconds();
    unsigned long acc = 0;

    if (gated)
        signal(SIGUSR1, wall_sleep_on_usr1);
    printf("%d ready\n", (int)getpid());
    fflush(stdout);
    for (int i = 0; i < rounds; i++) {
        while (gated && i == 0 && !go)
            acc += busy_work(0.005, acc);
        acc += busy_work(busy, acc + (unsigned long)i);
        workload_truth("busy_work.end_ns", workload_wall_seconds() * 1e9);
        sleep_work(sleep);
    }
    sink = acc;
    printf("wall-sleep: %d rounds of %.0f ms busy + %.0f ms asleep, elapsed_ns %.0f, checksum %lx\n", rounds,
           busy * 1e3, sleep * 1e3, (workload_wall_seconds() - start) * 1e9, sink);
    workload_truth_phase("busy_work", &busy_phase);
    workload_truth_phase("sleep_work", &sleep_phase);
    workload_truth_main();
    return 0;
}
