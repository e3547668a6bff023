/* spinner.c - test workload: spins until SIGINT/SIGTERM or a timeout; prints "PID ready" first. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
unsigned long spinner_loop(double seconds);

static volatile sig_atomic_t stop_signal;
static volatile unsigned long sink;

static void spinner_on_signal(int sig)
{
    stop_signal = sig;
}

static double spinner_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins until a stop signal arrives or SECONDS of wall time have passed; returns a checksum. */
NOINLINE unsigned long spinner_loop(double seconds)
{
    double end = spinner_now() + seconds;
    unsigned long x = 362436069UL;

    FORCE_FRAME();
    while (!stop_signal) {
        for (int i = 0; i < 200000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        if (spinner_now() >= end)
            break;
    }
    return x;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 30.0;
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = spinner_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("%d ready\n", (int)getpid());
    fflush(stdout);
    sink = spinner_loop(seconds);
    if (stop_signal)
        printf("spinner: stopped by signal %d, checksum %lx\n", (int)stop_signal, sink);
    else
        printf("spinner: time is up, checksum %lx\n", sink);
    return 0;
}
