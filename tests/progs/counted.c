/* counted.c - test workload: faults PAGES fresh pages, then loops ITERATIONS known instructions. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

/* Not static, so the symbols stay global and the tests can find them by name. */
unsigned long fault_pages(unsigned long pages);
void counted_loop(unsigned long iterations);

/* Writes one byte to each of PAGES fresh anonymous pages: one page fault each (no huge pages).
   Returns how many were touched (0 if mmap failed). */
NOINLINE unsigned long fault_pages(unsigned long pages)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (pages == 0)
        return 0;
    unsigned char *p =
        mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FORCE_FRAME();
    if (p == MAP_FAILED)
        return 0;
    madvise(p, pages * page, MADV_NOHUGEPAGE);
    for (unsigned long i = 0; i < pages; i++)
        ((volatile unsigned char *)p)[i * page] = 1;
    munmap(p, pages * page);
    return pages;
}

/* Exactly 2 instructions and 1 branch per iteration: a decrement and a conditional jump. */
NOINLINE void counted_loop(unsigned long iterations)
{
    FORCE_FRAME();
    if (iterations == 0)
        return;
#if defined(__x86_64__)
    __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(iterations) : : "cc");
#elif defined(__aarch64__)
    __asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(iterations) : : "cc");
#else
    for (volatile unsigned long i = 0; i < iterations; i++)
        ;
#endif
}

int main(int argc, char **argv)
{
    unsigned long pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
    unsigned long iterations = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
    unsigned long touched = fault_pages(pages);
    counted_loop(iterations);
    printf("counted: %lu pages, %lu iterations\n", touched, iterations);
    return touched == pages ? 0 : 1;
}
