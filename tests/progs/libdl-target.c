/* libdl-target.c - test shared library (libdl-target.so) for dlopener: the noinline hot function dl_hot(). */
#include "workload.h"

/* Exported: dlopener looks it up with dlsym. */
unsigned long dl_hot(double seconds);

static volatile unsigned long unit_ops = WORKLOAD_CHECK_STEPS;

/* Spins for SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long dl_hot(double seconds)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, unit_ops);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}
