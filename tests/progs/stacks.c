/* stacks.c - workload for stack repair: a frameless leaf with two callers, a loop in the vDSO, a loop in libc's memset. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "workload.h"

static unsigned long sink;
static volatile unsigned long units = 200000;

/* A leaf that needs no stack: GCC at -O2 sets up no frame for it, so a frame-pointer walk from it
 * skips its caller. */
NOINLINE static unsigned long crunch(unsigned long x, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        WORKLOAD_XORSHIFT(x);
    return x;
}

NOINLINE static double mid_a(unsigned long x)
{
    FORCE_FRAME();
    double t0 = workload_thread_cpu_seconds();
    sink += crunch(x, 7 * units);
    return workload_thread_cpu_seconds() - t0;
}

NOINLINE static double mid_b(unsigned long x)
{
    FORCE_FRAME();
    double t0 = workload_thread_cpu_seconds();
    sink += crunch(x, 3 * units);
    return workload_thread_cpu_seconds() - t0;
}

/* Calls clock_gettime, whose time goes to the vDSO, until it has used seconds of CPU. */
NOINLINE static double spin(double seconds)
{
    FORCE_FRAME();
    double t0 = workload_thread_cpu_seconds(), t;
    struct timespec ts;
    do {
        for (int i = 0; i < 1000; i++) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            sink += (unsigned long)ts.tv_nsec;
        }
        t = workload_thread_cpu_seconds() - t0;
    } while (t < seconds);
    return t;
}

static char buf[1 << 20];

/* Clears a buffer with memset (libc has no frame pointers) until it has used seconds of CPU. */
NOINLINE static double memwalk(double seconds)
{
    FORCE_FRAME();
    double t0 = workload_thread_cpu_seconds(), t;
    int c = 0;
    do {
        memset(buf, c++, sizeof(buf));
        sink += (unsigned char)buf[c & 4095];
        t = workload_thread_cpu_seconds() - t0;
    } while (t < seconds);
    return t;
}

int main(int argc, char **argv)
{
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    const char *mode = argc > 1 ? argv[1] : "leaf";
    if (strcmp(mode, "leaf") == 0) {
        double a = 0, b = 0;
        while (a + b < seconds) {
            a += mid_a(sink + 1);
            b += mid_b(sink + 2);
        }
        printf("stacks: mid_a %.6f mid_b %.6f\n", a, b);
    } else if (strcmp(mode, "vdso") == 0) {
        printf("stacks: spin %.6f\n", spin(seconds));
    } else if (strcmp(mode, "memset") == 0) {
        printf("stacks: memwalk %.6f\n", memwalk(seconds));
    } else {
        fprintf(stderr, "usage: stacks leaf|vdso|memset [SECONDS]\n");
        return 2;
    }
    printf("stacks: checksum %lu\n", sink);
    return 0;
}
