/* forged.c - test workload for hostile names: names itself "a;b c\nfake;x 9\e[31m" (prctl PR_SET_NAME) and burns CPU in forge_work(), trying to forge folded lines and terminal colours. */
#include <stdio.h>
#include <sys/prctl.h>

#include "workload.h"

/* Not static, so the symbol stays global and the tests can find it by name. */
unsigned long forge_work(double seconds);

static volatile unsigned long sink;

/* Burns CPU until the thread has used SECONDS of CPU time. */
NOINLINE unsigned long forge_work(double seconds)
{
    double end = workload_thread_cpu_seconds() + seconds;
    unsigned long x = 7;

    FORCE_FRAME();
    do {
        WORKLOAD_BURN(x, 20000);
    } while (workload_thread_cpu_seconds() < end);
    return x;
}

int main(int argc, char **argv)
{
    /* 15 bytes are kept: "a;b c\nfake;x 9" and the start of an escape sequence */
    prctl(PR_SET_NAME, "a;b c\nfake;x 9\x1b[31m", 0, 0, 0);
    sink = forge_work(workload_arg_seconds(argc, argv, 1, 0.3));
    printf("forged: checksum %lx\n", sink);
    return 0;
}
