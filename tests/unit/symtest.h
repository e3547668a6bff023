/* symtest.h - helpers of the symbolizer's unit tests: collected warnings, shell commands, nm look-ups. */
#ifndef HWPROF_SYMTEST_H
#define HWPROF_SYMTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Warnings passed to the symbolizer's callback: how many, and all of them, one a line. */
struct warnings {
    int count;
    char all[8192];
};

static inline void on_warn(void *arg, const char *msg)
{
    struct warnings *w = arg;
    w->count++;
    size_t n = strlen(w->all);
    snprintf(w->all + n, sizeof(w->all) - n, "%s\n", msg);
}

/* Runs a shell command. True when it exits 0. */
static bool run(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));

static bool run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd) == 0;
}

/* The address of symbol name in bin (nm; nm -D with dynamic, versions stripped), or 0. */
static inline uint64_t nm_addr(const char *bin, const char *name, bool dynamic)
{
    char cmd[4400];
    snprintf(cmd, sizeof(cmd), "nm %s '%s' 2>/dev/null", dynamic ? "-D" : "", bin);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    char line[512];
    uint64_t addr = 0;
    while (fgets(line, sizeof(line), p)) {
        unsigned long long a;
        char type, sym[400];
        if (sscanf(line, "%llx %c %399s", &a, &type, sym) != 3)
            continue;
        sym[strcspn(sym, "@")] = '\0'; /* versioned dynamic symbols: NAME@@VERSION */
        if (strcmp(sym, name) == 0)
            addr = a;
    }
    pclose(p);
    return addr;
}

#endif
