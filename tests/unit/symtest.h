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

/* The test program: caller_a (renamed_fn when built with -DRENAMED) called by main. */
static const char symtest_src[] =
    "#ifdef RENAMED\n#define caller_a renamed_fn\n#endif\n"
    "__attribute__((noinline)) unsigned long caller_a(unsigned long n)\n"
    "{\n"
    "    unsigned long x = n;\n"
    "    for (unsigned long i = 0; i < n; i++)\n"
    "        x = x * 31 + i;\n"
    "    return x;\n"
    "}\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    (void)argv;\n"
    "    return (int)caller_a((unsigned long)argc);\n"
    "}\n";

/* Writes symtest_src to DIR/src.c. True on success. */
static inline bool symtest_write_src(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/src.c", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(symtest_src, f) >= 0;
    return fclose(f) == 0 && ok;
}

#endif
