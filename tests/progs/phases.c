/* phases.c - test workload for the timeline: a thread named "worker" alternates spin() (on CPU) and nap() (asleep), timing each phase; main waits for it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long spin(double seconds, unsigned long seed);
void nap(double seconds);

static double spin_s = 0.010, nap_s = 0.010;
static int rounds = 30;
static double spun, napped, began, ended;
static long worker_tid;
static volatile unsigned long sink;

/* Burns CPU until SECONDS of wall time have passed; returns a checksum. */
NOINLINE unsigned long spin(double seconds, unsigned long seed)
{
    double end = workload_wall_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 10000);
    } while (workload_wall_seconds() < end);
    return x;
}

/* Sleeps SECONDS in nanosleep, resumed after a signal. */
NOINLINE void nap(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

    FORCE_FRAME();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *worker(void *arg)
{
    unsigned long acc = 0;

    (void)arg;
    worker_tid = syscall(SYS_gettid);
    pthread_setname_np(pthread_self(), "worker");
    began = workload_wall_seconds();
    for (int i = 0; i < rounds; i++) {
        double t0 = workload_wall_seconds();
        acc += spin(spin_s, acc + (unsigned long)i);
        double t1 = workload_wall_seconds();
        nap(nap_s);
        double t2 = workload_wall_seconds();
        spun += t1 - t0;
        napped += t2 - t1;
    }
    ended = workload_wall_seconds();
    sink = acc;
    return NULL;
}

/* Usage: phases [SPIN [NAP [ROUNDS]]] (seconds, seconds, count; default 0.010 0.010 30). Prints
   the worker's tid, the wall time it spun and napped, and its whole wall time, in ns. */
int main(int argc, char **argv)
{
    pthread_t t;

    spin_s = workload_arg_seconds(argc, argv, 1, spin_s);
    nap_s = workload_arg_seconds(argc, argv, 2, nap_s);
    if (argc > 3)
        rounds = atoi(argv[3]);
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
        fprintf(stderr, "phases: cannot create a thread\n");
        return 1;
    }
    pthread_join(t, NULL);
    printf("phases: pid %d tid %ld spin_ns %.0f nap_ns %.0f wall_ns %.0f\n", (int)getpid(),
           worker_tid, spun * 1e9, napped * 1e9, (ended - began) * 1e9);
    return 0;
}
