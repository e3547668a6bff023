/* wall-lifetime.c - test workload: 3 threads live ~300, ~600, ~900 ms, each alternating life_busy() and life_sleep(); each prints "TID LIFETIME_NS" and what it measured. */
#ifndef _GNU_SOURCE /* (the build defines it) */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long life_busy(double seconds, unsigned long seed);
void life_sleep(double seconds);
void *life_thread(void *p);

#define NTHREADS 3
#define SLICE 0.010 /* seconds of each busy and each sleep piece */

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long sink;
static __thread struct workload_phase busy_phase, sleep_phase; /* timed by the functions themselves */

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long life_busy(double seconds, unsigned long seed)
{
    WORKLOAD_PHASE_BEGIN();
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN_WALL(x, seconds);
    WORKLOAD_PHASE_END(&busy_phase);
    return x;
}

/* Sleeps SECONDS (less than 1) in nanosleep. */
NOINLINE void life_sleep(double seconds)
{
    WORKLOAD_PHASE_BEGIN();
    struct timespec ts = {0, (long)(seconds * 1e9)};

    FORCE_FRAME();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    WORKLOAD_PHASE_END(&sleep_phase);
}

/* Thread entry point: alternates SLICE busy and SLICE asleep until its lifetime (the argument, in
   milliseconds) has passed, then prints its tid and the time from its start to here in ns, and
   the truth lines "life_busy.TID.*" and "life_sleep.TID.*" of its phases, and "life_thread.TID.*"
   of its whole run (up to its return). */
NOINLINE void *life_thread(void *p)
{
    double start = workload_wall_seconds(), cpu0 = workload_thread_cpu_seconds();
    double end = start + (double)(long)p / 1e3;
    unsigned long x = (unsigned long)p;
    char key[64];
    int tid = (int)gettid();

    FORCE_FRAME();
    while (workload_wall_seconds() < end) {
        x += life_busy(SLICE, x);
        life_sleep(SLICE);
    }
    double lifetime = workload_wall_seconds() - start;
    pthread_mutex_lock(&print_lock);
    printf("%d %.0f\n", tid, lifetime * 1e9);
    snprintf(key, sizeof(key), "life_busy.%d", tid);
    workload_truth_phase(key, &busy_phase);
    snprintf(key, sizeof(key), "life_sleep.%d", tid);
    workload_truth_phase(key, &sleep_phase);
    snprintf(key, sizeof(key), "life_thread.%d.cpu_ns", tid);
    workload_truth(key, (workload_thread_cpu_seconds() - cpu0) * 1e9);
    snprintf(key, sizeof(key), "life_thread.%d.wall_ns", tid);
    workload_truth(key, (workload_wall_seconds() - start) * 1e9);
    pthread_mutex_unlock(&print_lock);
    sink ^= x;
    return NULL;
}

/* Prints, besides the threads' lines, "wall-lifetime: main PID" and main's truth lines. */
int main(void)
{
    static const long lifetime_ms[NTHREADS] = {300, 600, 900};
    pthread_t tid[NTHREADS];

    workload_main_begin();

    for (int i = 0; i < NTHREADS; i++) {
        int rc = pthread_create(&tid[i], NULL, life_thread, (void *)lifetime_ms[i]);
        if (rc != 0) {
            fprintf(stderr, "wall-lifetime: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(tid[i], NULL);
    printf("wall-lifetime: main %d\n", (int)getpid());
    workload_truth_main();
    return 0;
}
