/* libdl-target.c - test shared library (libdl-target.so) for dlopener: the noinline hot function dl_hot(). */
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

/* Exported: dlopener looks it up with dlsym. */
unsigned long dl_hot(double seconds);

static volatile unsigned long unit_ops = 20000;

static double dl_cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins for SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long dl_hot(double seconds)
{
    double end = dl_cpu_seconds() + seconds;
    unsigned long x = 1;

    FORCE_FRAME();
    do {
        unsigned long n = unit_ops;
        for (unsigned long i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    } while (dl_cpu_seconds() < end);
    return x;
}
