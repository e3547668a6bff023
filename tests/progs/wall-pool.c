/* wall-pool.c - test workload: 6 pool threads idle in pool_idle() (pthread_cond_wait) while main_work() runs 0.5 s, then run a few tiny jobs and exit; prints their tids and what each measured. */
#ifndef _GNU_SOURCE /* (the build defines it) */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long main_work(double seconds, unsigned long seed);
unsigned long job_run(unsigned long seed);
bool pool_idle(void);
void *pool_thread(void *p);

#define NTHREADS 6
#define NJOBS 12

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static int jobs_queued;    /* jobs handed out and not yet taken */
static bool shutting_down; /* no more jobs: the pool threads exit */
static pid_t pool_tids[NTHREADS];
static struct workload_phase pool_idles[NTHREADS]; /* each pool thread's pool_idle calls */
static __thread struct workload_phase idle_phase;  /* timed by pool_idle itself */
static volatile unsigned long sink;

/* Burns CPU until SECONDS of wall time (CLOCK_MONOTONIC) have passed; returns a checksum. */
NOINLINE unsigned long main_work(double seconds, unsigned long seed)
{
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN_WALL(x, seconds);
    return x;
}

/* A tiny job: a few microseconds of arithmetic. */
NOINLINE unsigned long job_run(unsigned long seed)
{
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN(x, 5000);
    return x;
}

/* Waits on the condition variable until a job is queued (takes it: true) or the pool shuts down
   (false). Called with pool_lock held; returns with it held. */
NOINLINE bool pool_idle(void)
{
    WORKLOAD_PHASE_BEGIN();
    bool job = false;

    FORCE_FRAME();
    while (jobs_queued == 0 && !shutting_down)
        pthread_cond_wait(&pool_cond, &pool_lock);
    if (jobs_queued > 0) {
        jobs_queued--;
        job = true;
    }
    WORKLOAD_PHASE_END(&idle_phase);
    return job;
}

/* Pool thread number P (1..NTHREADS): notes its tid, runs the jobs it takes until shutdown. */
NOINLINE void *pool_thread(void *p)
{
    unsigned long acc = (unsigned long)p;

    FORCE_FRAME();
    pool_tids[(long)p - 1] = gettid();
    pthread_mutex_lock(&pool_lock);
    while (pool_idle()) {
        pthread_mutex_unlock(&pool_lock);
        acc += job_run(acc);
        pthread_mutex_lock(&pool_lock);
    }
    sink ^= acc;
    pool_idles[(long)p - 1] = idle_phase;
    pthread_mutex_unlock(&pool_lock);
    return NULL;
}

/* Usage: wall-pool [SECONDS]: main_work runs SECONDS (default 0.5) of wall time. Prints the pool
   threads' tids, the truth lines "pool_idle.TID.*" of each, those of main_work and main's. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double seconds = workload_arg_seconds(argc, argv, 1, 0.5);
    pthread_t tid[NTHREADS];

    for (long i = 0; i < NTHREADS; i++) {
        int rc = pthread_create(&tid[i], NULL, pool_thread, (void *)(i + 1));
        if (rc != 0) {
            fprintf(stderr, "wall-pool: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    struct workload_phase work = {0};
    double w0 = workload_wall_seconds();
    unsigned long acc = WORKLOAD_PHASE_CPU(&work, main_work(seconds, 42));
    work.wall = workload_wall_seconds() - w0;
    for (int i = 0; i < NJOBS; i++) {
        pthread_mutex_lock(&pool_lock);
        jobs_queued++;
        pthread_cond_signal(&pool_cond);
        pthread_mutex_unlock(&pool_lock);
    }
    pthread_mutex_lock(&pool_lock);
    shutting_down = true;
    pthread_cond_broadcast(&pool_cond);
    pthread_mutex_unlock(&pool_lock);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(tid[i], NULL);
    sink ^= acc;
    for (int i = 0; i < NTHREADS; i++) {
        char key[64];
        printf("pool thread %d\n", (int)pool_tids[i]);
        snprintf(key, sizeof(key), "pool_idle.%d", (int)pool_tids[i]);
        workload_truth_phase(key, &pool_idles[i]);
    }
    printf("wall-pool: main %d, %d threads, %d jobs, checksum %lx\n", (int)getpid(), NTHREADS, NJOBS, sink);
    workload_truth_phase("main_work", &work);
    workload_truth_main();
    return 0;
}
