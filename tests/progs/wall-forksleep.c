/* wall-forksleep.c - test workload: a forked child sleeps 0.4 s in child_sleep() (nanosleep) while the parent burns 0.6 s in parent_work(), then reaps it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
void child_sleep(double seconds, int pieces);
unsigned long parent_work(double seconds, unsigned long seed);

static volatile unsigned long sink;

/* Sleeps SECONDS in PIECES nanosleep calls of equal length. */
NOINLINE void child_sleep(double seconds, int pieces)
{
    FORCE_FRAME();
    for (int i = 0; i < pieces; i++) {
        struct timespec ts = {0, (long)(seconds / pieces * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long parent_work(double seconds, unsigned long seed)
{
    double end = workload_wall_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 10000);
    } while (workload_wall_seconds() < end);
    return x;
}

int main(int argc, char **argv)
{
    double sleep_seconds = workload_arg_seconds(argc, argv, 1, 0.4);
    int status;

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "wall-forksleep: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        child_sleep(sleep_seconds, 4);
        _exit(0);
    }
    sink = parent_work(sleep_seconds + 0.2, 7);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "wall-forksleep: the child failed\n");
        return 1;
    }
    printf("wall-forksleep: parent %d, child %d slept %.0f ms, checksum %lx\n", (int)getpid(), (int)pid,
           sleep_seconds * 1e3, sink);
    return 0;
}
