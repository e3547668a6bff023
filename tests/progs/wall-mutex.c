/* wall-mutex.c - test workload: main and 3 pthreads run contend_loop(): pthread_mutex_lock, ~2 ms of work holding one mutex, unlock; 3 of 4 wait; prints what each phase took. */
#ifndef _GNU_SOURCE /* (the build defines it) */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long hold_work(double seconds, unsigned long seed);
struct contender;
unsigned long contend_loop(unsigned long seed, struct contender *c);
void *contend_thread(void *p);

#define NTHREADS 4   /* contenders, main included */
#define ROUNDS 240   /* lock-work-unlock rounds, shared by the contenders: 240 * 2 ms = 0.48 s */
#define HOLD 0.002   /* seconds of work with the mutex held */
#define OUTSIDE 0.0002 /* seconds of work after unlocking: a woken waiter may take the mutex */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_line;
static int rounds_left = ROUNDS; /* guarded by lock */
static volatile unsigned long sink;

/* What one contender measured: its waits in pthread_mutex_lock (their wall time only: a CPU-time
   read is a system call, which would be charged to contend_loop), its work holding the mutex, its
   whole contend_loop call. */
struct contender {
    struct workload_phase lock, hold, loop;
    unsigned long result;
};
static __thread struct workload_phase hold_phase; /* timed by hold_work itself */

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long hold_work(double seconds, unsigned long seed)
{
    WORKLOAD_PHASE_BEGIN();
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN_WALL(x, seconds);
    WORKLOAD_PHASE_END(&hold_phase);
    return x;
}

/* Until the shared ROUNDS are done: takes the mutex, works HOLD seconds, releases it, works a
   little outside. The rounds are shared, not per thread, so all contenders wait until the end
   however unfairly the mutex is handed out. The outside work is inline here (no call), so it is
   charged to contend_loop itself. Times the lock calls and the work in C. */
NOINLINE unsigned long contend_loop(unsigned long seed, struct contender *c)
{
    unsigned long x = seed | 1;

    FORCE_FRAME();
    for (;;) {
        double w0 = workload_wall_seconds();
        pthread_mutex_lock(&lock);
        c->lock.wall += workload_wall_seconds() - w0;
        c->lock.calls++;
        if (rounds_left == 0) {
            pthread_mutex_unlock(&lock);
            break;
        }
        rounds_left--;
        x += hold_work(HOLD, x);
        pthread_mutex_unlock(&lock);
        WORKLOAD_BURN_WALL(x, OUTSIDE);
    }
    c->hold = hold_phase;
    return x;
}

/* Thread entry point: waits for all contenders, then runs contend_loop. */
NOINLINE void *contend_thread(void *p)
{
    struct contender *c = p;

    FORCE_FRAME();
    pthread_barrier_wait(&start_line);
    double w0 = workload_wall_seconds();
    c->result = WORKLOAD_PHASE_CPU(&c->loop, contend_loop((unsigned long)(uintptr_t)p, c));
    c->loop.wall += workload_wall_seconds() - w0;
    return NULL;
}

/* Prints the truth lines "pthread_mutex_lock.*", "hold_work.*" and "contend_loop.*", each the sum
   over the contenders, and the process's CPU time. */
int main(void)
{
    pthread_t tid[NTHREADS - 1];
    struct contender c[NTHREADS] = {0};
    unsigned long acc = 0;

    /* SCHED_BATCH (inherited by the threads): a woken waiter does not preempt the thread that
       unlocked and woke it, so the waiting shows as blocked in pthread_mutex_lock, not as the
       unlocker preempted in pthread_mutex_unlock. Best effort: a refusal changes only the mix. */
    sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){.sched_priority = 0});
    pthread_barrier_init(&start_line, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS - 1; i++) {
        int rc = pthread_create(&tid[i], NULL, contend_thread, &c[i]);
        if (rc != 0) {
            fprintf(stderr, "wall-mutex: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    contend_thread(&c[NTHREADS - 1]);
    for (int i = 0; i < NTHREADS - 1; i++)
        pthread_join(tid[i], NULL);
    struct workload_phase lock_all = {0}, hold_all = {0}, loop_all = {0};
    for (int i = 0; i < NTHREADS; i++) {
        acc ^= c[i].result;
        const struct workload_phase *from[] = {&c[i].lock, &c[i].hold, &c[i].loop};
        struct workload_phase *to[] = {&lock_all, &hold_all, &loop_all};
        for (int k = 0; k < 3; k++) {
            to[k]->cpu += from[k]->cpu;
            to[k]->wall += from[k]->wall;
            to[k]->calls += from[k]->calls;
        }
    }
    sink = acc;
    printf("wall-mutex: %d contenders, %d rounds, checksum %lx\n", NTHREADS, ROUNDS, sink);
    workload_truth_phase("pthread_mutex_lock", &lock_all);
    workload_truth_phase("hold_work", &hold_all);
    workload_truth_phase("contend_loop", &loop_all);
    workload_truth("process.cpu_ns", workload_process_cpu_seconds() * 1e9);
    return 0;
}
