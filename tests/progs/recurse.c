/* recurse.c - test workload: main -> recurse(5) -> recurse(4) ... -> recurse(0), burning CPU at each level. */
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

/* Not static, so the symbol stays global and the tests can find it by name. */
unsigned long recurse(int depth, unsigned long seed);

#define RECURSE_DEPTH 5

/* Work units per level; volatile so the compiler cannot unroll or fold the loop away. */
static volatile unsigned long unit_ops = 20000;
static volatile unsigned long sink;

/* CPU time used by this thread: runs last as much CPU, not wall time, however loaded
   the machine is, so the number of cpu-clock samples stays stable. */
static double recurse_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Burns one unit of CPU in this frame, recurses to depth - 1 (a real call: the result is mixed in
   afterwards, so it is no tail call), then burns another unit; returns a checksum. */
NOINLINE unsigned long recurse(int depth, unsigned long seed)
{
    unsigned long x = seed | 1, n = unit_ops;

    FORCE_FRAME();
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    if (depth > 0)
        x += recurse(depth - 1, x) * 3;
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.6;
    double end = recurse_cpu_seconds() + seconds;
    unsigned long acc = 0, rounds = 0;

    do {
        acc += recurse(RECURSE_DEPTH, acc + rounds);
        rounds++;
    } while ((rounds & 7) != 0 || recurse_cpu_seconds() < end);
    sink = acc;
    printf("recurse: %lu rounds, checksum %lx\n", rounds, sink);
    return 0;
}
