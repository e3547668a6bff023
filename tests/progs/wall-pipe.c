/* wall-pipe.c - test workload: pipe_reader() blocks in read(2) on a pipe that a forked child, pipe_feeder(), feeds one byte every 20 ms, 30 times; both print what they measured. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
long pipe_reader(int fd);
void pipe_feeder(int fd, int bytes, double interval);

#define BYTES 30
#define INTERVAL 0.020

static struct workload_phase read_phase, feed_phase; /* timed by the functions themselves */

/* Reads FD one byte at a time until end of file; returns the number of bytes read, or -1. */
NOINLINE long pipe_reader(int fd)
{
    WORKLOAD_PHASE_BEGIN();
    long total = 0;
    char c;

    FORCE_FRAME();
    for (;;) {
        ssize_t n = read(fd, &c, 1);
        if (n == 0)
            break;
        if (n < 0 && errno != EINTR) {
            total = -1;
            break;
        }
        if (n > 0)
            total += n;
    }
    WORKLOAD_PHASE_END(&read_phase);
    return total;
}

/* Writes BYTES bytes to FD, one every INTERVAL seconds (nanosleep before each). */
NOINLINE void pipe_feeder(int fd, int bytes, double interval)
{
    WORKLOAD_PHASE_BEGIN();
    FORCE_FRAME();
    for (int i = 0; i < bytes; i++) {
        struct timespec ts = {0, (long)(interval * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        while (write(fd, "x", 1) < 0 && errno == EINTR)
            ;
    }
    WORKLOAD_PHASE_END(&feed_phase);
}

/* Prints the truth lines "pipe_feeder.*" (the child) and "pipe_reader.*" (the parent). */
int main(void)
{
    int fds[2], status;
    double start = workload_wall_seconds();

    if (pipe(fds) != 0) {
        fprintf(stderr, "wall-pipe: pipe: %s\n", strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "wall-pipe: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        close(fds[0]);
        pipe_feeder(fds[1], BYTES, INTERVAL);
        close(fds[1]);
        workload_truth_phase("pipe_feeder", &feed_phase);
        _exit(0);
    }
    close(fds[1]);
    long got = pipe_reader(fds[0]);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "wall-pipe: the feeder child failed\n");
        return 1;
    }
    printf("wall-pipe: reader %d read %ld bytes from feeder %d, elapsed_ns %.0f\n", (int)getpid(), got,
           (int)pid, (workload_wall_seconds() - start) * 1e9);
    workload_truth_phase("pipe_reader", &read_phase);
    return got == BYTES ? 0 : 1;
}
