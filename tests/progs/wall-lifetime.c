/* wall-lifetime.c - test workload: 3 threads live ~300, ~600, ~900 ms, each alternating life_busy() and life_sleep(); each prints "TID LIFETIME_NS". */
#define _GNU_SOURCE
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

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long life_busy(double seconds, unsigned long seed)
{
    double end = workload_wall_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 10000);
    } while (workload_wall_seconds() < end);
    return x;
}

/* Sleeps SECONDS (less than 1) in nanosleep. */
NOINLINE void life_sleep(double seconds)
{
    struct timespec ts = {0, (long)(seconds * 1e9)};

    FORCE_FRAME();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Thread entry point: alternates SLICE busy and SLICE asleep until its lifetime (the argument, in
   milliseconds) has passed, then prints its tid and the time from its start to here in ns. */
NOINLINE void *life_thread(void *p)
{
    double start = workload_wall_seconds();
    double end = start + (double)(long)p / 1e3;
    unsigned long x = (unsigned long)p;

    FORCE_FRAME();
    while (workload_wall_seconds() < end) {
        x += life_busy(SLICE, x);
        life_sleep(SLICE);
    }
    double lifetime = workload_wall_seconds() - start;
    pthread_mutex_lock(&print_lock);
    printf("%d %.0f\n", (int)gettid(), lifetime * 1e9);
    pthread_mutex_unlock(&print_lock);
    sink ^= x;
    return NULL;
}

int main(void)
{
    static const long lifetime_ms[NTHREADS] = {300, 600, 900};
    pthread_t tid[NTHREADS];

    for (int i = 0; i < NTHREADS; i++) {
        int rc = pthread_create(&tid[i], NULL, life_thread, (void *)lifetime_ms[i]);
        if (rc != 0) {
            fprintf(stderr, "wall-lifetime: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
