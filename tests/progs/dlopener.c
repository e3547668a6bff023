/* dlopener.c - test workload: dlopen()s the library argv[1] (libdl-target.so) and runs its dl_hot() ~0.4 s. */
#include <dlfcn.h>
#include <stdio.h>

#include "workload.h"

typedef unsigned long (*dl_hot_fn)(double seconds);

/* Not static, so the symbol stays global and the tests can find it by name. */
unsigned long dlopener_run(dl_hot_fn fn, double seconds);

static volatile unsigned long sink;

/* Calls the library's hot function, so the callchain shows dl_hot <- dlopener_run <- main. */
NOINLINE unsigned long dlopener_run(dl_hot_fn fn, double seconds)
{
    FORCE_FRAME();
    return fn(seconds) + 1;
}

/* Usage: dlopener PATH/libdl-target.so [SECONDS]: runs the library's dl_hot for SECONDS (default
   0.4) of CPU time. Prints the truth lines of dlopener_run (the call of dl_hot) and main. */
int main(int argc, char **argv)
{
    workload_main_begin();
    if (argc < 2) {
        fprintf(stderr, "usage: dlopener PATH/libdl-target.so [SECONDS]\n");
        return 2;
    }
    double seconds = workload_arg_seconds(argc, argv, 2, 0.4);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopener: %s\n", dlerror());
        return 1;
    }
    dl_hot_fn fn = (dl_hot_fn)dlsym(lib, "dl_hot");
    if (!fn) {
        fprintf(stderr, "dlopener: %s\n", dlerror());
        return 1;
    }
    struct workload_phase run = {0};
    sink = WORKLOAD_PHASE_CPU(&run, dlopener_run(fn, seconds));
    printf("dlopener: checksum %lx\n", sink);
    workload_truth_phase("dlopener_run", &run);
    workload_truth_main();
    /* Keep the library mapped until exit, so its samples' mapping stays valid. */
    return 0;
}
