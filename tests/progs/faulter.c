/* faulter.c - test workload: touch_pages() page-faults fresh memory between compute_loop() runs. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long touch_pages(size_t bytes, size_t page);
unsigned long compute_loop(unsigned long seed, int n);

#define FAULTER_REGION (2UL << 20)

static volatile unsigned long sink;

/* Maps fresh anonymous memory, writes to every page (one fault each), unmaps it; returns a
   checksum, or 0 if mmap failed. */
NOINLINE unsigned long touch_pages(size_t bytes, size_t page)
{
    unsigned char *p =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long sum = 0;

    FORCE_FRAME();
    if (p == MAP_FAILED)
        return 0;
    /* No transparent huge pages: every 4 KiB page must fault on its own. */
    madvise(p, bytes, MADV_NOHUGEPAGE);
    for (size_t off = 0; off < bytes; off += page) {
        ((volatile unsigned char *)p)[off] = (unsigned char)off | 1;
        sum += ((volatile unsigned char *)p)[off];
    }
    munmap(p, bytes);
    return sum;
}

/* Pure CPU work between the faulting phases; returns a checksum. */
NOINLINE unsigned long compute_loop(unsigned long seed, int n)
{
    unsigned long x = seed | 1;

    FORCE_FRAME();
    WORKLOAD_BURN(x, n);
    return x;
}

int main(int argc, char **argv)
{
    double seconds = workload_arg_seconds(argc, argv, 1, 0.5);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    double end = workload_process_cpu_seconds() + seconds;
    unsigned long acc = 0, rounds = 0;

    do {
        unsigned long t = touch_pages(FAULTER_REGION, page);
        if (t == 0) {
            fprintf(stderr, "faulter: mmap of %lu bytes failed\n", FAULTER_REGION);
            return 1;
        }
        acc += t;
        acc += compute_loop(acc, 300000);
        rounds++;
    } while (workload_process_cpu_seconds() < end);
    sink = acc;
    printf("faulter: %lu rounds, checksum %lx\n", rounds, sink);
    return 0;
}
