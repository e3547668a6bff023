/* child.c - test workload exec'd by forkexec: main -> child_spin() for 0.5 s of CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
unsigned long child_spin(double seconds);

static volatile unsigned long sink;

/* CPU time used by this thread: runs last as much CPU, not wall time, however loaded
   the machine is, so the number of cpu-clock samples stays stable. */
static double child_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long child_spin(double seconds)
{
    double end = child_cpu_seconds() + seconds;
    unsigned long x = 88172645463325252UL;

    FORCE_FRAME();
    do {
        for (int i = 0; i < 200000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    } while (child_cpu_seconds() < end);
    return x;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;

    sink = child_spin(seconds);
    printf("child: checksum %lx\n", sink);
    return 0;
}
