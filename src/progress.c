/* progress.c - a progress line on a terminal for reads that take more than a second: "hwprof: reading FILE: 42%". */
#include "progress.h"

#include <unistd.h>

#include "util.h"

void progress_start(struct progress *p, FILE *out, const char *what)
{
    *p = (struct progress){.out = out, .what = what, .start = hw_now_ns()};
    p->on = out && isatty(fileno(out));
}

void progress_update(void *arg, uint64_t done, uint64_t total)
{
    struct progress *p = arg;
    if (!p->on)
        return;
    uint64_t now = hw_now_ns();
    if (now - p->start < 1000000000ull || now - p->last < 100000000ull)
        return;
    p->last = now;
    if (total)
        fprintf(p->out, "\rhwprof: reading %s: %3u%%", p->what,
                (unsigned)(done >= total ? 100 : done * 100 / total));
    else
        fprintf(p->out, "\rhwprof: reading %s: %llu MiB", p->what, (unsigned long long)(done >> 20));
    fflush(p->out);
    p->shown = true;
}

void progress_end(struct progress *p)
{
    if (p->shown) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
    p->shown = false;
}
