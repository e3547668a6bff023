/* threads.c - test workload: main starts 4 pthreads, each thread_worker() -> thread_spin(). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long thread_spin(double seconds, unsigned long seed);
void *thread_worker(void *p);

#define NTHREADS 4

static volatile unsigned long sink;

struct thread_arg {
    double seconds;
    unsigned long result;
};

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long thread_spin(double seconds, unsigned long seed)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 200000);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

/* Thread entry point: runs thread_spin and stores its checksum in the argument. */
NOINLINE void *thread_worker(void *p)
{
    struct thread_arg *arg = p;

    FORCE_FRAME();
    arg->result = thread_spin(arg->seconds, (unsigned long)(uintptr_t)p);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.3);
    pthread_t tid[NTHREADS];
    struct thread_arg args[NTHREADS];
    unsigned long acc = 0;

    for (int i = 0; i < NTHREADS; i++) {
        args[i].seconds = seconds;
        args[i].result = 0;
        int rc = pthread_create(&tid[i], NULL, thread_worker, &args[i]);
        if (rc != 0) {
            fprintf(stderr, "threads: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(tid[i], NULL);
        acc ^= args[i].result;
    }
    sink = acc;
    printf("threads: checksum %lx\n", sink);
    return 0;
}
