/* workload.h - boilerplate of the tests/progs workloads: attributes, frames, clocks, CPU work. */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdlib.h>
#include <time.h>

/* Keeps a function out of line and uncloned, so that it is a symbol and a frame of its own. */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif
/* Inlines a function into every caller, even without optimisation. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* GCC sets up no frame in a leaf function that needs no stack, even with -fno-omit-frame-pointer,
   and a frame-pointer unwinder then skips its caller. Taking the frame address forces the frame. */
static void *volatile frame_sink;
#define FORCE_FRAME() (frame_sink = __builtin_frame_address(0))

/* The code below runs inside the sampled functions, so none of it may become a function of its
   own: a symbol would be the leaf of the samples instead of the function the tests look for.
   The CPU work is made of macros, which add not even an inlined function to the debug info, so
   the report charges it to the function that runs it, at lines of that function's file. */

/* The time of CLOCK in seconds, as a double. A macro for a caller that wants the few instructions
   charged to itself, not to an inlined helper (see inline.c). */
#define WORKLOAD_CLOCK_SECONDS(clock)                                                              \
    ({                                                                                             \
        struct timespec wl_ts_;                                                                    \
        clock_gettime((clock), &wl_ts_);                                                           \
        (double)wl_ts_.tv_sec + (double)wl_ts_.tv_nsec / 1e9;                                      \
    })

/* One step of the xorshift64 generator on X, an unsigned long lvalue: the workloads' CPU work. */
#define WORKLOAD_XORSHIFT(x) ((x) ^= (x) << 13, (x) ^= (x) >> 7, (x) ^= (x) << 17)

/* Runs N steps of WORKLOAD_XORSHIFT on X, an unsigned long lvalue. N is evaluated once; the loop
   counter has its type. */
#define WORKLOAD_BURN(x, n)                                                                        \
    do {                                                                                           \
        __auto_type wl_n_ = (n);                                                                   \
        for (__typeof__(wl_n_) wl_i_ = 0; wl_i_ < wl_n_; wl_i_++)                                  \
            WORKLOAD_XORSHIFT(x);                                                                  \
    } while (0)

/* CPU time used by the calling thread, in seconds. A workload that runs until it has used so much
   CPU, not wall time, takes a stable number of cpu-clock samples however loaded the machine is. */
static ALWAYS_INLINE double workload_thread_cpu_seconds(void)
{
    return WORKLOAD_CLOCK_SECONDS(CLOCK_THREAD_CPUTIME_ID);
}

/* CPU time used by the whole process (all threads, user and system), in seconds. */
static ALWAYS_INLINE double workload_process_cpu_seconds(void)
{
    return WORKLOAD_CLOCK_SECONDS(CLOCK_PROCESS_CPUTIME_ID);
}

/* Monotonic wall time, in seconds. */
static ALWAYS_INLINE double workload_wall_seconds(void)
{
    return WORKLOAD_CLOCK_SECONDS(CLOCK_MONOTONIC);
}

/* A duration in seconds from argv[INDEX] (atof: no checks), or FALLBACK when there is no such
   argument. */
static inline double workload_arg_seconds(int argc, char **argv, int index, double fallback)
{
    return argc > index ? atof(argv[index]) : fallback;
}

#endif
