/* faulter.c - test workload: touch_pages() page-faults fresh memory and compute_loop() computes, in the CPU-time proportion asked for; prints what each took. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long touch_pages(size_t bytes, size_t page);
unsigned long compute_loop(unsigned long seed, int n);

#define FAULTER_REGION (2UL << 20)
#define FAULTER_STEPS (WORKLOAD_CHECK_STEPS / 5) /* xorshift steps per compute_loop call */

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

/* Usage: faulter [COMPUTE [TOUCH]]: calls compute_loop and touch_pages until compute_loop has
   used COMPUTE seconds (default 0.3) and touch_pages TOUCH seconds (default 0.2) of this thread's
   CPU time, each time the one further behind its goal, so the split of the time is the one asked
   for however much a page fault costs here. Prints the truth lines of both phases, the pages
   touch_pages faulted in ("touch_pages.faults") and main's. */
int main(int argc, char **argv)
{
    workload_main_begin();
    double compute_goal = workload_arg_seconds(argc, argv, 1, 0.3);
    double touch_goal = workload_arg_seconds(argc, argv, 2, 0.2);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    struct workload_phase compute = {0}, touch = {0};
    unsigned long acc = 0;

    while (compute.cpu < compute_goal || touch.cpu < touch_goal) {
        if (compute.cpu / compute_goal <= touch.cpu / touch_goal) {
            acc += WORKLOAD_PHASE_CPU(&compute, compute_loop(acc, FAULTER_STEPS));
            continue;
        }
        unsigned long t = WORKLOAD_PHASE_CPU(&touch, touch_pages(FAULTER_REGION, page));
        if (t == 0) {
            fprintf(stderr, "faulter: mmap of %lu bytes failed\n", FAULTER_REGION);
            return 1;
        }
        acc += t;
    }
    sink = acc;
    printf("faulter: %lu + %lu rounds, checksum %lx\n", compute.calls, touch.calls, sink);
    workload_truth_phase("compute_loop", &compute);
    workload_truth_phase("touch_pages", &touch);
    workload_truth("touch_pages.faults", (double)(touch.calls * (FAULTER_REGION / page)));
    workload_truth_main();
    return 0;
}
