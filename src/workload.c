/* workload.c - start the profiled command stopped, release it to exec, and report how it ended. */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static bool workload_is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int workload_check_command(const char *cmd, struct hw_err *err)
{
    if (!cmd || !*cmd)
        return hw_errf(err, "no command given");
    if (strchr(cmd, '/')) {
        if (workload_is_executable(cmd))
            return 0;
        if (access(cmd, F_OK) == 0)
            return hw_errf(err, "cannot execute %s: not an executable file (check its permissions)", cmd);
        return hw_errf(err, "command not found: %s (no such file)", cmd);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len == 0)
            snprintf(buf, sizeof(buf), "./%s", cmd);
        else
            snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p, cmd);
        if (workload_is_executable(buf))
            return 0;
        if (!colon)
            break;
        p = colon + 1;
    }
    return hw_errf(err, "command not found: %s (not in PATH)", cmd);
}

static int workload_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* In the child: wait for the go byte, then exec; on failure send errno back and exit 127. */
static void workload_child(int go_rd, int err_wr, char *const argv[], bool stdout_to_stderr)
{
    char c;
    ssize_t r;
    do
        r = read(go_rd, &c, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1)
        _exit(WORKLOAD_NOT_FOUND); /* hwprof went away before starting us */
    close(go_rd);
    signal(SIGPIPE, SIG_DFL);
    if (stdout_to_stderr)
        dup2(STDERR_FILENO, STDOUT_FILENO);
    execvp(argv[0], argv);
    int e = errno;
    ssize_t w = write(err_wr, &e, sizeof(e));
    (void)w;
    _exit(WORKLOAD_NOT_FOUND);
}

int workload_prepare(struct workload *w, char *const argv[], bool stdout_to_stderr,
                     struct hw_err *err)
{
    memset(w, 0, sizeof(*w));
    w->pid = -1;
    w->go_fd = w->err_fd = w->pidfd = -1;
    int go[2], ep[2];
    if (pipe2(go, O_CLOEXEC) < 0)
        return hw_errf_errno(err, errno, "cannot create a pipe");
    if (pipe2(ep, O_CLOEXEC) < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        return hw_errf_errno(err, e, "cannot create a pipe");
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        close(ep[0]);
        close(ep[1]);
        return hw_errf_errno(err, e, "cannot start %s: fork failed", argv[0]);
    }
    if (pid == 0) {
        close(go[1]);
        close(ep[0]);
        workload_child(go[0], ep[1], argv, stdout_to_stderr);
    }
    close(go[0]);
    close(ep[1]);
    w->pid = pid;
    w->go_fd = go[1];
    w->err_fd = ep[0];
    w->pidfd = workload_pidfd_open(pid);
    return 0;
}

int workload_start(struct workload *w, int *exec_errno, struct hw_err *err)
{
    *exec_errno = 0;
    char c = 'g';
    ssize_t r;
    do
        r = write(w->go_fd, &c, 1);
    while (r < 0 && errno == EINTR);
    close(w->go_fd);
    w->go_fd = -1;
    if (r != 1)
        return hw_errf_errno(err, errno, "cannot start the command");
    int e = 0;
    do
        r = read(w->err_fd, &e, sizeof(e));
    while (r < 0 && errno == EINTR);
    close(w->err_fd);
    w->err_fd = -1;
    if (r == (ssize_t)sizeof(e)) {
        *exec_errno = e;
        workload_wait(w);
        return hw_errf_errno(err, e, "cannot execute the command");
    }
    return 0;
}

bool workload_poll_exited(struct workload *w)
{
    if (w->reaped)
        return true;
    if (w->pid <= 0)
        return true;
    int st;
    pid_t r = waitpid(w->pid, &st, WNOHANG);
    if (r == w->pid) {
        w->reaped = true;
        w->status = st;
        return true;
    }
    return false;
}

void workload_signal(struct workload *w, int sig)
{
    if (w->pid > 0 && !w->reaped)
        kill(w->pid, sig);
}

void workload_wait(struct workload *w)
{
    if (w->reaped || w->pid <= 0)
        return;
    int st;
    pid_t r;
    do
        r = waitpid(w->pid, &st, 0);
    while (r < 0 && errno == EINTR);
    w->reaped = true;
    w->status = r == w->pid ? st : 0;
}

int workload_exit_code(const struct workload *w)
{
    if (!w->reaped)
        return 0;
    if (WIFEXITED(w->status))
        return WEXITSTATUS(w->status);
    if (WIFSIGNALED(w->status))
        return 128 + WTERMSIG(w->status);
    return 1;
}

void workload_cleanup(struct workload *w)
{
    if (w->go_fd >= 0)
        close(w->go_fd);
    if (w->err_fd >= 0)
        close(w->err_fd);
    if (w->pidfd >= 0)
        close(w->pidfd);
    w->go_fd = w->err_fd = w->pidfd = -1;
    if (w->pid > 0 && !w->reaped) {
        kill(w->pid, SIGKILL);
        workload_wait(w);
    }
}
