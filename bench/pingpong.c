/* pingpong.c - benchmark workload: two threads pass a token back and forth through a pair of pipes, about 100,000 context switches per second. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Usage: pingpong [ROUND_TRIPS [WORK]]: the main thread writes a byte into one pipe, a second
 * thread reads it and writes it back through the other, ROUND_TRIPS times (default
 * DEFAULT_ROUND_TRIPS). Each side blocks in read(2) while the other one works, so every round trip
 * switches each thread out once. Before passing the token on, each side computes for WORK steps
 * (default DEFAULT_WORK; 0 for none), which sets the switch rate. Both threads run on the CPU the
 * program started on: across two CPUs every hop costs a cross-CPU wake-up, and whether the
 * scheduler keeps the threads together or apart changes the rate several-fold from run to run.
 * At the end it prints one line on stdout:
 *   pingpong: R round trips, S context switches in T s: X switches/s
 * where S counts the process's voluntary and involuntary switches (getrusage). */

/* One frame per side, so that off-CPU stacks name them (and not only libc's read). */
#if defined(__clang__)
#define SIDE __attribute__((noinline))
#else
#define SIDE __attribute__((noinline, noclone))
#endif

/* About 1.5 s and 100,000 switches/s on the 2-CPU development VM. */
#define DEFAULT_ROUND_TRIPS 75000UL
#define DEFAULT_WORK 4500UL

struct link {
    int to_pong[2];   /* ping writes [1], pong reads [0] */
    int to_ping[2];   /* pong writes [1], ping reads [0] */
    unsigned long round_trips;
    unsigned long work;
};

/* Where the results of think() go, so that the compiler keeps the work. */
static volatile unsigned long work_sink;

/* die_errno: prints "pingpong: WHAT: strerror(errno)" and exits 1. */
static void die_errno(const char *what)
{
    fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* send_token: writes the one-byte token into FD, retrying when interrupted. */
static void send_token(int fd, char token)
{
    while (write(fd, &token, 1) != 1)
        if (errno != EINTR)
            die_errno("write");
}

/* wait_token: blocks until FD yields the token; returns it. */
static char wait_token(int fd)
{
    char token;
    ssize_t n;

    while ((n = read(fd, &token, 1)) != 1) {
        if (n == 0) {
            fprintf(stderr, "pingpong: pipe closed early\n");
            exit(1);
        }
        if (errno != EINTR)
            die_errno("read");
    }
    return token;
}

/* think: STEPS rounds of a xorshift generator from X, the on-CPU work between two hops. */
static SIDE unsigned long think(unsigned long steps, unsigned long x)
{
    for (unsigned long i = 0; i < steps; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

/* pong_side: the second thread; echoes every token, one more than it received. */
static SIDE void *pong_side(void *arg)
{
    struct link *l = arg;
    unsigned long x = 1;

    for (unsigned long i = 0; i < l->round_trips; i++) {
        char token = wait_token(l->to_pong[0]);
        x = think(l->work, x);
        send_token(l->to_ping[1], (char)(token + 1));
    }
    work_sink = x;
    return NULL;
}

/* ping_side: the main thread's half; returns a checksum of the echoed tokens. */
static SIDE unsigned long ping_side(struct link *l)
{
    unsigned long sum = 0, x = 2;

    for (unsigned long i = 0; i < l->round_trips; i++) {
        x = think(l->work, x);
        send_token(l->to_pong[1], (char)i);
        sum += (unsigned char)wait_token(l->to_ping[0]);
    }
    work_sink = x;
    return sum;
}

/* parse_count: the numeric argument S (ROUND_TRIPS or WORK; 0 allowed when ZERO_OK), or exits 2. */
static unsigned long parse_count(const char *s, int zero_ok)
{
    char *end;
    unsigned long n;

    errno = 0;
    n = strtoul(s, &end, 10);
    if (errno || end == s || *end || (n == 0 && !zero_ok) || s[0] == '-') {
        fprintf(stderr, "usage: pingpong [ROUND_TRIPS [WORK]] (numbers; not '%s')\n", s);
        exit(2);
    }
    return n;
}

/* stay_on_this_cpu: binds the calling thread, and the threads it creates later, to its CPU. */
static void stay_on_this_cpu(void)
{
    cpu_set_t set;
    int cpu = sched_getcpu();

    if (cpu < 0)
        die_errno("sched_getcpu");
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        die_errno("sched_setaffinity");
}

/* seconds_since: the monotonic time elapsed since T0, in seconds. */
static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* context_switches: the voluntary plus involuntary switches of every thread of the process. */
static long context_switches(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        die_errno("getrusage");
    return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* expected_sum: what ping_side returns after N round trips when every token came back as the
 * one sent (the round trip's low byte) plus one. */
static unsigned long expected_sum(unsigned long n)
{
    unsigned long sum = 0;

    for (unsigned long i = 0; i < n; i++)
        sum += (unsigned char)((char)i + 1);
    return sum;
}

int main(int argc, char **argv)
{
    struct link l = { .round_trips = DEFAULT_ROUND_TRIPS, .work = DEFAULT_WORK };
    struct timespec t0;
    pthread_t pong;
    unsigned long sum;
    long switches0;
    double secs;
    int err;

    if (argc > 3) {
        fprintf(stderr, "usage: pingpong [ROUND_TRIPS [WORK]]\n");
        return 2;
    }
    if (argc >= 2)
        l.round_trips = parse_count(argv[1], 0);
    if (argc >= 3)
        l.work = parse_count(argv[2], 1);
    if (pipe(l.to_pong) != 0 || pipe(l.to_ping) != 0)
        die_errno("pipe");
    stay_on_this_cpu();

    switches0 = context_switches();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    err = pthread_create(&pong, NULL, pong_side, &l);
    if (err) {
        errno = err;
        die_errno("pthread_create");
    }
    sum = ping_side(&l);
    err = pthread_join(pong, NULL);
    if (err) {
        errno = err;
        die_errno("pthread_join");
    }
    secs = seconds_since(&t0);
    long switches = context_switches() - switches0;

    unsigned long want = expected_sum(l.round_trips);
    if (sum != want) {
        fprintf(stderr, "pingpong: checksum %lu, expected %lu\n", sum, want);
        return 1;
    }
    printf("pingpong: %lu round trips, %ld context switches in %.3f s: %.0f switches/s\n",
           l.round_trips, switches, secs, secs > 0 ? (double)switches / secs : 0.0);
    return 0;
}
