/* workload.h - start the profiled command stopped, release it to exec, and report how it ended. */
#ifndef HWPROF_WORKLOAD_H
#define HWPROF_WORKLOAD_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

struct workload {
    pid_t pid;
    int go_fd;     /* write end: one byte releases the child to exec */
    int err_fd;    /* read end: the child's exec errno, or EOF on a successful exec */
    int pidfd;     /* readable when the child exits (-1 if pidfd_open is unavailable) */
    bool reaped;
    int status;    /* wait status once reaped */
};

/* Exit code hwprof uses for a command that could not be found or executed. */
#define WORKLOAD_NOT_FOUND 127

/* Finds argv[0] (on PATH unless it contains '/'). Returns 0, or -1 with err "command not found: X". */
int workload_check_command(const char *cmd, struct hw_err *err);

/* Forks a child that waits for workload_start and then execs argv, with its standard output on
 * its standard error when stdout_to_stderr (hwprof's own standard output carries a recording, as
 * perf does for record -o -). Returns 0 or -1 with err. */
int workload_prepare(struct workload *w, char *const argv[], bool stdout_to_stderr,
                     struct hw_err *err);

/* Releases the child; waits until it has exec'd. Returns 0, or -1 with err if exec failed (the child
 * is reaped; *exec_errno is set). */
int workload_start(struct workload *w, int *exec_errno, struct hw_err *err);

/* Non-blocking: true once the child has exited (reaps it). */
bool workload_poll_exited(struct workload *w);

/* Sends sig to the child if it still runs. */
void workload_signal(struct workload *w, int sig);

/* Blocks until the child exits (reaps it). */
void workload_wait(struct workload *w);

/* hwprof's exit code for the child's end: its exit status, or 128+signal. */
int workload_exit_code(const struct workload *w);

/* Kills (SIGKILL) and reaps a child that is still there, closes fds. Safe to call twice. */
void workload_cleanup(struct workload *w);

#endif
