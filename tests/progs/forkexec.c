/* forkexec.c - test workload: forks a child that execs `child` while the parent spins; prints the CPU time parent_spin() took. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long parent_spin(double seconds);

static volatile unsigned long sink;

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long parent_spin(double seconds)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = 2463534242UL;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, WORKLOAD_CHECK_STEPS);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

/* Default child path: "child" next to this executable. */
static int forkexec_default_child(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL || (size_t)(slash - buf) + sizeof("/child") > size)
        return -1;
    strcpy(slash, "/child");
    return 0;
}

int main(int argc, char **argv)
{
    char path[PATH_MAX];
    const char *child = argc > 1 ? argv[1] : NULL;
    double seconds = workload_arg_seconds(argc, argv, 2, 0.5);
    int status;

    if (child == NULL) {
        if (forkexec_default_child(path, sizeof(path)) < 0) {
            fprintf(stderr,
                    "forkexec: cannot find the child program; pass its path as argument 1\n");
            return 2;
        }
        child = path;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "forkexec: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execl(child, "child", (char *)NULL);
        fprintf(stderr, "forkexec: cannot run %s: %s\n", child, strerror(errno));
        _exit(127);
    }
    struct workload_phase spin = {0};
    sink = WORKLOAD_PHASE_CPU(&spin, parent_spin(seconds));
    if (waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "forkexec: waitpid: %s\n", strerror(errno));
        return 2;
    }
    printf("forkexec: checksum %lx, child pid %d status %d\n", sink, (int)pid, status);
    workload_truth_phase("parent_spin", &spin);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    return 0;
}
