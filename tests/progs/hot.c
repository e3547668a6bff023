/* hot.c - test workload: main -> run_work() -> hot_function() (~80%) and cold_function() (~20%). */
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
unsigned long hot_function(unsigned long seed);
unsigned long cold_function(unsigned long seed);
unsigned long run_work(double seconds);

/* Work units per outer iteration; volatile so the compiler cannot specialise the callees. */
static volatile unsigned long unit_ops = 50000;
static volatile unsigned long sink;

/* CPU time used by this thread: runs last as much CPU, not wall time, however loaded
   the machine is, so the number of cpu-clock samples stays stable. */
static double hot_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Does 4 units of work: the 80% share. */
NOINLINE unsigned long hot_function(unsigned long seed)
{
    unsigned long x = seed | 1, n = 4 * unit_ops;

    FORCE_FRAME();
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

/* Does 1 unit of work, the same kernel as hot_function: the 20% share. */
NOINLINE unsigned long cold_function(unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

/* Calls hot_function and cold_function alternately until the thread has used SECONDS of
   CPU time; returns a checksum. */
NOINLINE unsigned long run_work(double seconds)
{
    double end = hot_cpu_seconds() + seconds;
    unsigned long acc = 0;
    unsigned long rounds = 0;

    FORCE_FRAME();
    do {
        acc += hot_function(acc + rounds);
        acc += cold_function(acc ^ rounds);
        rounds++;
    } while ((rounds & 7) != 0 || hot_cpu_seconds() < end);
    return acc;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;

    sink = run_work(seconds);
    printf("hot: checksum %lx\n", sink);
    return 0;
}
