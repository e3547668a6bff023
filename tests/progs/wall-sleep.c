/* wall-sleep.c - test workload: rounds of busy_work() (10 ms on CPU) then sleep_work() (10 ms in nanosleep): half on, half off CPU. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long busy_work(double seconds, unsigned long seed);
void sleep_work(double seconds);

static volatile unsigned long sink;

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. The
   clock is read once per 10000 steps, so nearly all samples land in the arithmetic. */
NOINLINE unsigned long busy_work(double seconds, unsigned long seed)
{
    double end = workload_wall_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 10000);
    } while (workload_wall_seconds() < end);
    return x;
}

/* Sleeps SECONDS in one nanosleep call, resumed after a signal. */
NOINLINE void sleep_work(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

    FORCE_FRAME();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Usage: wall-sleep [BUSY [SLEEP [ROUNDS]]]: ROUNDS (default 40) rounds of BUSY seconds of
   busy_work then SLEEP seconds of sleep_work (default 0.010 each). Prints "PID ready" first,
   and at the end the time from start to end in ns. */
int main(int argc, char **argv)
{
    double busy = workload_arg_seconds(argc, argv, 1, 0.010);
    double sleep = workload_arg_seconds(argc, argv, 2, 0.010);
    int rounds = argc > 3 ? atoi(argv[3]) : 40;
    double start = workload_wall_seconds();
    unsigned long acc = 0;

    printf("%d ready\n", (int)getpid());
    fflush(stdout);
    for (int i = 0; i < rounds; i++) {
        acc += busy_work(busy, acc + (unsigned long)i);
        sleep_work(sleep);
    }
    sink = acc;
    printf("wall-sleep: %d rounds of %.0f ms busy + %.0f ms asleep, elapsed_ns %.0f, checksum %lx\n", rounds,
           busy * 1e3, sleep * 1e3, (workload_wall_seconds() - start) * 1e9, sink);
    return 0;
}
