/* workload.h - boilerplate of the tests/progs workloads: attributes, frames, clocks, CPU work, the truth lines they print. */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

/* The xorshift steps a CPU-bound loop runs between two reads of a CPU-time clock: about 10 ms. A
   thread CPU-time read is a system call (several microseconds in some virtual machines) and, on a
   busy machine, a point where the scheduler preempts the thread; the samples of both land in the
   read's kernel path, outside the loop's function. So rare, they stay well under the 1% the tests
   allow for what the clocks see and the samples do not. */
#define WORKLOAD_CHECK_STEPS 10000000

/* Runs N steps of WORKLOAD_XORSHIFT on X, an unsigned long lvalue. N is evaluated once; the loop
   counter has its type. */
#define WORKLOAD_BURN(x, n)                                                                        \
    do {                                                                                           \
        __auto_type wl_n_ = (n);                                                                   \
        for (__typeof__(wl_n_) wl_i_ = 0; wl_i_ < wl_n_; wl_i_++)                                  \
            WORKLOAD_XORSHIFT(x);                                                                  \
    } while (0)

/* Runs WORKLOAD_XORSHIFT on X, an unsigned long lvalue, in steps of 10000 until SECONDS of wall
   time (CLOCK_MONOTONIC) have passed since it began: a thread that keeps a CPU busy for a wall
   duration, whether it gets the CPU or waits for it. The clock is read once per 10000 steps, so
   nearly all samples land in the arithmetic. */
#define WORKLOAD_BURN_WALL(x, seconds)                                                             \
    do {                                                                                           \
        double wl_end_ = workload_wall_seconds() + (seconds);                                      \
        do {                                                                                       \
            WORKLOAD_BURN(x, 10000);                                                               \
        } while (workload_wall_seconds() < wl_end_);                                               \
    } while (0)

/* The time of CLOCK in seconds, as WORKLOAD_CLOCK_SECONDS, but read by a system call made in
   place, not through the C library or the vDSO (x86-64 and AArch64). A CPU-time read is a system
   call, and on a busy machine one where the scheduler may preempt the thread: the time of the call
   and of the preemption is then charged to the function that reads the clock, whose frame the
   stack walk starts from, not to a libc or vDSO frame the frame-pointer walk skips its caller
   from. */
#if defined(__x86_64__)
#define WORKLOAD_CLOCK_HERE(clock)                                                                 \
    ({                                                                                             \
        struct timespec wl_ts_;                                                                    \
        long wl_rc_;                                                                               \
        __asm__ volatile("syscall"                                                                 \
                         : "=a"(wl_rc_)                                                            \
                         : "0"((long)SYS_clock_gettime), "D"((long)(clock)), "S"(&wl_ts_)          \
                         : "rcx", "r11", "memory");                                                \
        (void)wl_rc_;                                                                              \
        (double)wl_ts_.tv_sec + (double)wl_ts_.tv_nsec / 1e9;                                      \
    })
#elif defined(__aarch64__)
#define WORKLOAD_CLOCK_HERE(clock)                                                                 \
    ({                                                                                             \
        struct timespec wl_ts_;                                                                    \
        register long wl_x8_ __asm__("x8") = SYS_clock_gettime;                                    \
        register long wl_x0_ __asm__("x0") = (long)(clock);                                        \
        register long wl_x1_ __asm__("x1") = (long)&wl_ts_;                                        \
        __asm__ volatile("svc 0" : "+r"(wl_x0_) : "r"(wl_x8_), "r"(wl_x1_) : "memory");           \
        (double)wl_ts_.tv_sec + (double)wl_ts_.tv_nsec / 1e9;                                      \
    })
#else
#define WORKLOAD_CLOCK_HERE(clock) WORKLOAD_CLOCK_SECONDS(clock)
#endif

/* The clocks below are macros too, not inline functions: a sample in a clock read (the CPU-time
   read is a system call made in place) is charged to the function that reads the clock, with no
   inlined frame of the clock's between, whether the binary's debug information is there or not. */

/* CPU time used by the calling thread, in seconds. A workload that runs until it has used so much
   CPU, not wall time, takes a stable number of cpu-clock samples however loaded the machine is. */
#define workload_thread_cpu_seconds() WORKLOAD_CLOCK_HERE(CLOCK_THREAD_CPUTIME_ID)

/* CPU time used by the whole process (all threads, user and system), in seconds. */
#define workload_process_cpu_seconds() WORKLOAD_CLOCK_HERE(CLOCK_PROCESS_CPUTIME_ID)

/* Monotonic wall time, in seconds (through the vDSO: no system call). */
#define workload_wall_seconds() WORKLOAD_CLOCK_SECONDS(CLOCK_MONOTONIC)

/* ---- truth: what a workload measured of itself, for the tests to compare hwprof with ----

   A workload times its phases (the calls of its sampled functions) with the clocks above and
   prints the sums at exit as lines "truth KEY VALUE", VALUE an integer (nanoseconds for times);
   tests/lib.sh's load_truth reads them. Keys are "FUNCTION.cpu_ns" (thread CPU time in calls of
   FUNCTION), "FUNCTION.wall_ns", "FUNCTION.calls", "process.cpu_ns" and the like. */

/* The functions below run outside the sampled phases (at the start and the end of main): kept
   out of line, so a sample in them names them whether the binary's debug information is intact
   or not (an inlined copy would be charged to main without it). */
#define WORKLOAD_HELPER static NOINLINE __attribute__((unused))

/* The thread CPU time and wall time spent in a phase, and how often it ran. */
struct workload_phase {
    double cpu, wall; /* seconds */
    unsigned long calls;
};

/* Evaluates EXPR (a call of the phase's function) and adds the calling thread's CPU time it took
   to PH, a struct workload_phase pointer; yields EXPR's value. */
#define WORKLOAD_PHASE_CPU(ph, expr)                                                               \
    ({                                                                                             \
        double wl_c0_ = workload_thread_cpu_seconds();                                             \
        __auto_type wl_r_ = (expr);                                                                \
        (ph)->cpu += workload_thread_cpu_seconds() - wl_c0_;                                       \
        (ph)->calls++;                                                                             \
        wl_r_;                                                                                     \
    })

/* A phase that times itself, for the wall-clock workloads: WORKLOAD_PHASE_BEGIN() first in the
   phase's function, WORKLOAD_PHASE_END(ph) last (PH a struct workload_phase pointer) add the
   thread CPU time and the wall time (CLOCK_MONOTONIC) of the call to PH. The clock reads are the
   function's own: a preemption at the CPU-time read, its wait for a CPU, is charged to the phase
   as the workload counts it, not to its caller. */
#define WORKLOAD_PHASE_BEGIN()                                                                     \
    double wl_pw0_ = workload_wall_seconds(), wl_pc0_ = workload_thread_cpu_seconds()
#define WORKLOAD_PHASE_END(ph)                                                                     \
    do {                                                                                           \
        (ph)->cpu += workload_thread_cpu_seconds() - wl_pc0_;                                      \
        (ph)->wall += workload_wall_seconds() - wl_pw0_;                                           \
        (ph)->calls++;                                                                             \
    } while (0)

/* Prints the truth line "truth KEY VALUE" (VALUE rounded to an integer) and flushes stdout, so
   the line is there even if the workload is killed later. */
WORKLOAD_HELPER void workload_truth(const char *key, double value)
{
    printf("truth %s %.0f\n", key, value);
    fflush(stdout);
}

/* Prints the truth lines "NAME.cpu_ns", "NAME.calls" and, when it was measured, "NAME.wall_ns"
   of a phase. */
WORKLOAD_HELPER void workload_truth_phase(const char *name, const struct workload_phase *ph)
{
    char key[128];
    snprintf(key, sizeof(key), "%s.cpu_ns", name);
    workload_truth(key, ph->cpu * 1e9);
    snprintf(key, sizeof(key), "%s.calls", name);
    workload_truth(key, (double)ph->calls);
    if (ph->wall > 0) {
        snprintf(key, sizeof(key), "%s.wall_ns", name);
        workload_truth(key, ph->wall * 1e9);
    }
}

/* The page faults of the process so far (minor and major). */
WORKLOAD_HELPER long workload_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt + ru.ru_majflt;
}

/* The process CPU time, page faults and wall time when main began, set by workload_main_begin. */
static struct {
    double cpu, wall;
    long faults;
} workload_main0 __attribute__((unused));

/* Call first in main: notes the process CPU time, faults and wall time for workload_truth_main. */
WORKLOAD_HELPER void workload_main_begin(void)
{
    workload_main0.cpu = workload_process_cpu_seconds();
    workload_main0.faults = workload_faults();
    workload_main0.wall = workload_wall_seconds();
}

/* Call last in main: prints the truth lines "main.cpu_ns", "main.faults" and "main.wall_ns" (the
   CPU time and page faults of the whole process since workload_main_begin, what samples with main
   in their call chain measure in a single-threaded workload, and the wall time since) and
   "process.cpu_ns" (all of it, with the dynamic loader's start-up and what the process ran before
   its exec). */
WORKLOAD_HELPER void workload_truth_main(void)
{
    double cpu = workload_process_cpu_seconds();
    long faults = workload_faults();
    workload_truth("main.wall_ns", (workload_wall_seconds() - workload_main0.wall) * 1e9);
    workload_truth("main.cpu_ns", (cpu - workload_main0.cpu) * 1e9);
    workload_truth("main.faults", (double)(faults - workload_main0.faults));
    workload_truth("process.cpu_ns", cpu * 1e9);
}

/* A duration in seconds from argv[INDEX] (atof: no checks), or FALLBACK when there is no such
   argument. */
WORKLOAD_HELPER double workload_arg_seconds(int argc, char **argv, int index, double fallback)
{
    return argc > index ? atof(argv[index]) : fallback;
}

#endif
