/* forkexec.c - test workload: forks a child that execs `child` while the parent spins. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

/* GCC sets up no frame in a leaf function that needs no stack, even with -fno-omit-frame-pointer,
   and a frame-pointer unwinder then skips its caller. Taking the frame address forces the frame. */
static void *volatile frame_sink;
#define FORCE_FRAME() (frame_sink = __builtin_frame_address(0))

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long parent_spin(double seconds);

static volatile unsigned long sink;

/* CPU time used by this thread: runs last as much CPU, not wall time, however loaded
   the machine is, so the number of cpu-clock samples stays stable. */
static double forkexec_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long parent_spin(double seconds)
{
    double end = forkexec_cpu_seconds() + seconds;
    unsigned long x = 2463534242UL;

    FORCE_FRAME();
    do {
        for (int i = 0; i < 200000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    } while (forkexec_cpu_seconds() < end);
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
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
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
    sink = parent_spin(seconds);
    if (waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "forkexec: waitpid: %s\n", strerror(errno));
        return 2;
    }
    printf("forkexec: checksum %lx, child pid %d status %d\n", sink, (int)pid, status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    return 0;
}
