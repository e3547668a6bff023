/* split.c - test workload: main's loop calls work_three() (3 units) and work_one() (1 unit): a 3:1 split. */
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
unsigned long work_three(unsigned long seed);
unsigned long work_one(unsigned long seed);

/* Work units per call; volatile so the compiler cannot specialise the callees. */
static volatile unsigned long unit_ops = 40000;
static volatile unsigned long sink;

/* CPU time used by this thread: runs last as much CPU, not wall time, however loaded
   the machine is, so the number of cpu-clock samples stays stable. */
static double split_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Does 3 units of work: the 75% share. */
NOINLINE unsigned long work_three(unsigned long seed)
{
    unsigned long x = seed | 1, n = 3 * unit_ops;

    FORCE_FRAME();
    for (unsigned long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

/* Does 1 unit of work, the same kernel as work_three: the 25% share. */
NOINLINE unsigned long work_one(unsigned long seed)
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

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.6;
    double end = split_cpu_seconds() + seconds;
    unsigned long acc = 0, rounds = 0;

    /* Whole rounds of 8 calls each between clock reads, so the split stays exactly 3:1 and the
       clock reads (charged to main) stay rare. */
    do {
        acc += work_three(acc + rounds);
        acc += work_one(acc ^ rounds);
        rounds++;
    } while ((rounds & 7) != 0 || split_cpu_seconds() < end);
    sink = acc;
    printf("split: %lu rounds, checksum %lx\n", rounds, sink);
    return 0;
}
