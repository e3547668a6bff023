/* wall-mutex.c - test workload: main and 3 pthreads run contend_loop(): pthread_mutex_lock, ~2 ms of work holding one mutex, unlock; 3 of 4 wait. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long hold_work(double seconds, unsigned long seed);
unsigned long contend_loop(unsigned long seed);
void *contend_thread(void *p);

#define NTHREADS 4   /* contenders, main included */
#define ROUNDS 240   /* lock-work-unlock rounds, shared by the contenders: 240 * 2 ms = 0.48 s */
#define HOLD 0.002   /* seconds of work with the mutex held */
#define OUTSIDE 0.0002 /* seconds of work after unlocking: a woken waiter may take the mutex */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_line;
static int rounds_left = ROUNDS; /* guarded by lock */
static volatile unsigned long sink;

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long hold_work(double seconds, unsigned long seed)
{
    double end = workload_wall_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 10000);
    } while (workload_wall_seconds() < end);
    return x;
}

/* Until the shared ROUNDS are done: takes the mutex, works HOLD seconds, releases it, works a
   little outside. The rounds are shared, not per thread, so all contenders wait until the end
   however unfairly the mutex is handed out. The outside work is inline here (no call), so it is
   charged to contend_loop itself. */
NOINLINE unsigned long contend_loop(unsigned long seed)
{
    unsigned long x = seed | 1;

    FORCE_FRAME();
    for (;;) {
        pthread_mutex_lock(&lock);
        if (rounds_left == 0) {
            pthread_mutex_unlock(&lock);
            break;
        }
        rounds_left--;
        x += hold_work(HOLD, x);
        pthread_mutex_unlock(&lock);
        double end = workload_wall_seconds() + OUTSIDE;
        do {
            WORKLOAD_BURN(x, 10000);
        } while (workload_wall_seconds() < end);
    }
    return x;
}

/* Thread entry point: waits for all contenders, then runs contend_loop. */
NOINLINE void *contend_thread(void *p)
{
    unsigned long *result = p;

    FORCE_FRAME();
    pthread_barrier_wait(&start_line);
    *result = contend_loop((unsigned long)(uintptr_t)p);
    return NULL;
}

int main(void)
{
    pthread_t tid[NTHREADS - 1];
    unsigned long results[NTHREADS] = {0};
    unsigned long acc = 0;

    /* SCHED_BATCH (inherited by the threads): a woken waiter does not preempt the thread that
       unlocked and woke it, so the waiting shows as blocked in pthread_mutex_lock, not as the
       unlocker preempted in pthread_mutex_unlock. Best effort: a refusal changes only the mix. */
    sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){.sched_priority = 0});
    pthread_barrier_init(&start_line, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS - 1; i++) {
        int rc = pthread_create(&tid[i], NULL, contend_thread, &results[i]);
        if (rc != 0) {
            fprintf(stderr, "wall-mutex: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    contend_thread(&results[NTHREADS - 1]);
    for (int i = 0; i < NTHREADS - 1; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        acc ^= results[i];
    sink = acc;
    printf("wall-mutex: %d contenders, %d rounds, checksum %lx\n", NTHREADS, ROUNDS, sink);
    return 0;
}
