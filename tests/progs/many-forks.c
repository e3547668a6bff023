/* many-forks.c - test workload: forks 500 children, each runs fork_child_work() briefly. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long fork_child_work(double seconds, unsigned long seed);

#define NCHILDREN 500

static volatile unsigned long sink;

/* Spins until this process has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long fork_child_work(double seconds, unsigned long seed)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 2000);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

enum reap { REAP_NONE_LEFT, REAP_NOT_YET, REAP_OK, REAP_FAILED };

/* Reaps one child (FLAGS as for waitpid); says whether it exited with status 0. */
static enum reap reap_one(int flags)
{
    int status;
    pid_t pid;

    do {
        pid = waitpid(-1, &status, flags);
    } while (pid < 0 && errno == EINTR);
    if (pid < 0)
        return REAP_NONE_LEFT;
    if (pid == 0)
        return REAP_NOT_YET;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? REAP_OK : REAP_FAILED;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.002);
    int ok = 0, running = 0;

    for (int i = 0; i < NCHILDREN; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "many-forks: fork #%d: %s\n", i, strerror(errno));
            return 1;
        }
        if (pid == 0) {
            sink = fork_child_work(seconds, (unsigned long)getpid());
            _exit(0);
        }
        running++;
        /* Reap whatever has already exited, so that zombies do not pile up. */
        enum reap r;
        while ((r = reap_one(WNOHANG)) == REAP_OK || r == REAP_FAILED) {
            ok += r == REAP_OK;
            running--;
        }
    }
    while (running > 0) {
        enum reap r = reap_one(0);
        if (r != REAP_OK && r != REAP_FAILED)
            break;
        ok += r == REAP_OK;
        running--;
    }
    printf("many-forks: %d of %d children exited 0\n", ok, NCHILDREN);
    return ok == NCHILDREN ? 0 : 1;
}
