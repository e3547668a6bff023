/* threads.c - test workload: main starts 4 pthreads, each thread_worker() -> thread_spin(); prints the CPU time each took. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long thread_spin(double seconds, unsigned long seed);
void *thread_worker(void *p);

#define NTHREADS 4

static volatile unsigned long sink;

struct thread_arg {
    double seconds;
    unsigned long result;
    pid_t tid;
    struct workload_phase spin;
};

/* Spins until this thread has used SECONDS of CPU time; returns a checksum. */
NOINLINE unsigned long thread_spin(double seconds, unsigned long seed)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, WORKLOAD_CHECK_STEPS);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

/* Thread entry point: runs thread_spin and stores its checksum in the argument. */
NOINLINE void *thread_worker(void *p)
{
    struct thread_arg *arg = p;

    FORCE_FRAME();
    arg->tid = gettid();
    arg->result = WORKLOAD_PHASE_CPU(&arg->spin, thread_spin(arg->seconds, (unsigned long)(uintptr_t)p));
    return NULL;
}

/* Usage: threads [SECONDS]: each thread spins SECONDS (default 0.3) of its CPU time. Prints the
   truth lines "thread_spin.TID.cpu_ns" of each thread and "thread_spin.cpu_ns", their sum. */
int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.3);
    pthread_t tid[NTHREADS];
    struct thread_arg args[NTHREADS];
    unsigned long acc = 0;

    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (struct thread_arg){.seconds = seconds};
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
    struct workload_phase all = {0};
    for (int i = 0; i < NTHREADS; i++) {
        char key[64];
        snprintf(key, sizeof(key), "thread_spin.%d", (int)args[i].tid);
        workload_truth_phase(key, &args[i].spin);
        all.cpu += args[i].spin.cpu;
        all.calls += args[i].spin.calls;
    }
    workload_truth_phase("thread_spin", &all);
    workload_truth("process.cpu_ns", workload_process_cpu_seconds() * 1e9);
    return 0;
}
