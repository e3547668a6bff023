/* wall-forksleep.c - test workload: a forked child sleeps 0.4 s in child_sleep() (nanosleep) while the parent burns 0.6 s in parent_work(), then reaps it; both print what they measured. */
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
static struct workload_phase sleep_phase; /* timed by child_sleep itself */

/* Sleeps SECONDS in PIECES nanosleep calls of equal length. */
NOINLINE void child_sleep(double seconds, int pieces)
{
    WORKLOAD_PHASE_BEGIN();
    FORCE_FRAME();
    for (int i = 0; i < pieces; i++) {
        struct timespec ts = {0, (long)(seconds / pieces * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    WORKLOAD_PHASE_END(&sleep_phase);
}

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long parent_work(double seconds, unsigned long seed)
{
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN_WALL(x, seconds);
    return x;
}

/* Usage: wall-forksleep [SLEEP]: the child sleeps SLEEP seconds (default 0.4) in 4 pieces, the
   parent works SLEEP + 0.2 seconds of wall time. Prints the truth lines of child_sleep and the
   child's life ("child.wall_ns", "child.cpu_ns": from the fork to its exit), of parent_work and
   the parent's main. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double sleep_seconds = workload_arg_seconds(argc, argv, 1, 0.4);
    int status;

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "wall-forksleep: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        double w0 = workload_wall_seconds(), c0 = workload_thread_cpu_seconds();
        child_sleep(sleep_seconds, 4);
        workload_truth_phase("child_sleep", &sleep_phase);
        workload_truth("child.cpu_ns", (workload_thread_cpu_seconds() - c0) * 1e9);
        workload_truth("child.wall_ns", (workload_wall_seconds() - w0) * 1e9);
        _exit(0);
    }
    struct workload_phase work = {0};
    sink = WORKLOAD_PHASE_CPU(&work, parent_work(sleep_seconds + 0.2, 7));
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "wall-forksleep: the child failed\n");
        return 1;
    }
    printf("wall-forksleep: parent %d, child %d slept %.0f ms, checksum %lx\n", (int)getpid(), (int)pid,
           sleep_seconds * 1e3, sink);
    workload_truth_phase("parent_work", &work);
    workload_truth_main();
    return 0;
}
