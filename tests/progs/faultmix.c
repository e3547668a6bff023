/* faultmix.c - test workload for events side by side: fault_pages() page-faults fresh memory, crunch() computes for as long; each phase long enough for many samples, the program counting its own faults per function. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long fault_pages(size_t bytes, size_t page);
unsigned long crunch(double seconds, unsigned long seed);

#define FAULTMIX_REGION (48UL << 20)

static volatile unsigned long sink;

/* Maps fresh anonymous memory, writes to every page (one fault each), unmaps it; returns a
   checksum, or 0 if mmap failed. */
NOINLINE unsigned long fault_pages(size_t bytes, size_t page)
{
    unsigned char *p =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long sum = 0;

    FORCE_FRAME();
    if (p == MAP_FAILED)
        return 0;
    madvise(p, bytes, MADV_NOHUGEPAGE); /* every 4 KiB page faults on its own */
    for (size_t off = 0; off < bytes; off += page) {
        ((volatile unsigned char *)p)[off] = (unsigned char)off | 1;
        sum += ((volatile unsigned char *)p)[off];
    }
    munmap(p, bytes);
    return sum;
}

/* Computes until the thread has used SECONDS more CPU time; returns a checksum. */
NOINLINE unsigned long crunch(double seconds, unsigned long seed)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = seed | 1;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 20000);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

/* The calling thread's minor page faults so far. */
static long minor_faults(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_minflt : 0;
}

/* Usage: faultmix [SECONDS]: alternates fault_pages and crunch (each crunch as long, in CPU time,
   as the fault phase before it) until the thread has used SECONDS (default 1) of CPU time.
   Prints the rounds and the faults of each function, counted with getrusage. */
int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 1.0);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    double end = workload_thread_cpu_seconds() + seconds;
    long in_fault = 0, in_crunch = 0;
    unsigned long acc = 0, rounds = 0;

    do {
        long f0 = minor_faults();
        double t0 = workload_thread_cpu_seconds();
        unsigned long t = fault_pages(FAULTMIX_REGION, page);
        double t1 = workload_thread_cpu_seconds();
        long f1 = minor_faults();
        if (t == 0) {
            fprintf(stderr, "faultmix: mmap of %lu bytes failed\n", FAULTMIX_REGION);
            return 1;
        }
        acc += t + crunch(t1 - t0, acc);
        in_fault += f1 - f0;
        in_crunch += minor_faults() - f1;
        rounds++;
    } while (workload_thread_cpu_seconds() < end);
    sink = acc;
    printf("faultmix: rounds %lu fault_pages_faults %ld crunch_faults %ld\n", rounds, in_fault,
           in_crunch);
    return 0;
}
