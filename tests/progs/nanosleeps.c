/* nanosleeps.c - test workload: calls clock_nanosleep() exactly N times (argv[1], default 10). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

/* Not static, so the symbol stays global and the tests can find it by name. */
int sleep_once(void);

/* One clock_nanosleep of 1 ms: one sys_enter_clock_nanosleep tracepoint hit. */
NOINLINE int sleep_once(void)
{
    struct timespec ts = {0, 1000000};
    FORCE_FRAME();
    return clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += sleep_once() != 0;
    printf("nanosleeps: %d calls, %d failed\n", n, failed);
    return failed != 0;
}
