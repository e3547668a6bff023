/* many-threads.c - test workload: 64 pthreads, all alive at once, each runs many_thread_spin(). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long many_thread_spin(double seconds, unsigned long seed);
void *many_thread_worker(void *p);

#define NTHREADS 64

static volatile unsigned long sink;

struct thread_arg {
    pthread_barrier_t *start;
    double seconds;
    unsigned long result;
};

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long many_thread_spin(double seconds, unsigned long seed)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 20000);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

/* Thread entry point: waits until all threads exist, then runs many_thread_spin. */
NOINLINE void *many_thread_worker(void *p)
{
    struct thread_arg *arg = p;

    FORCE_FRAME();
    pthread_barrier_wait(arg->start);
    arg->result = many_thread_spin(arg->seconds, (unsigned long)(uintptr_t)p);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.03);
    pthread_t tid[NTHREADS];
    struct thread_arg args[NTHREADS];
    pthread_barrier_t start;
    unsigned long acc = 0;

    pthread_barrier_init(&start, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) {
        args[i].start = &start;
        args[i].seconds = seconds;
        args[i].result = 0;
        int rc = pthread_create(&tid[i], NULL, many_thread_worker, &args[i]);
        if (rc != 0) {
            fprintf(stderr, "many-threads: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(tid[i], NULL);
        acc ^= args[i].result;
    }
    pthread_barrier_destroy(&start);
    sink = acc;
    printf("many-threads: %d threads, checksum %lx\n", NTHREADS, sink);
    return 0;
}
