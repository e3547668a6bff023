/* procsynth.c - synthesize perf records (kernel map, COMM, MMAP2) from /proc for what existed before recording began. */
#include "procsynth.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SYNTH_NAME_MAX 4096

static void synth_put(unsigned char *buf, size_t *len, const void *p, size_t n)
{
    memcpy(buf + *len, p, n);
    *len += n;
}

void synth_trailer(unsigned char *buf, size_t *len, uint64_t sample_type, uint32_t pid,
                   uint32_t tid, uint64_t time, uint64_t id, uint32_t cpu)
{
    if (sample_type & PERF_SAMPLE_TID) {
        synth_put(buf, len, &pid, 4);
        synth_put(buf, len, &tid, 4);
    }
    if (sample_type & PERF_SAMPLE_TIME)
        synth_put(buf, len, &time, 8);
    if (sample_type & PERF_SAMPLE_ID)
        synth_put(buf, len, &id, 8);
    if (sample_type & PERF_SAMPLE_STREAM_ID)
        synth_put(buf, len, &id, 8);
    if (sample_type & PERF_SAMPLE_CPU) {
        uint32_t res = 0;
        synth_put(buf, len, &cpu, 4);
        synth_put(buf, len, &res, 4);
    }
    if (sample_type & PERF_SAMPLE_IDENTIFIER)
        synth_put(buf, len, &id, 8);
}

/* Appends a NUL-terminated string padded to 8 bytes. */
static void synth_put_string(unsigned char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(buf + *len, s, n);
    size_t padded = HW_ALIGN(n, 8);
    memset(buf + *len + n, 0, padded - n);
    *len += padded;
}

static int synth_finish(const struct synth_ctx *ctx, unsigned char *buf, size_t len, uint32_t pid,
                        uint32_t tid, struct hw_err *err)
{
    synth_trailer(buf, &len, ctx->sample_type, pid, tid, 0, ctx->id, 0);
    struct perf_event_header h;
    memcpy(&h, buf, sizeof(h));
    h.size = (uint16_t)len;
    memcpy(buf, &h, sizeof(h));
    return ctx->emit(ctx->arg, buf, len, err);
}

int synth_kernel_mmap(const struct synth_ctx *ctx, struct hw_err *err)
{
    FILE *f = fopen("/proc/kallsyms", "re");
    if (!f)
        return 0;
    char line[512];
    uint64_t start = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long addr;
        char type, name[256];
        if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
            continue;
        if (strcmp(name, "_text") == 0) {
            start = addr;
            break;
        }
    }
    fclose(f);
    if (start == 0)
        return 0; /* addresses hidden (kptr_restrict) */
    unsigned char buf[256];
    size_t len = sizeof(struct perf_event_header);
    struct perf_event_header h = {
        .type = PERF_RECORD_MMAP, .misc = PERF_RECORD_MISC_KERNEL, .size = 0};
    memcpy(buf, &h, sizeof(h));
    uint32_t pid = UINT32_MAX, tid = 0;
    uint64_t mlen = UINT64_MAX - start, pgoff = start;
    synth_put(buf, &len, &pid, 4);
    synth_put(buf, &len, &tid, 4);
    synth_put(buf, &len, &start, 8);
    synth_put(buf, &len, &mlen, 8);
    synth_put(buf, &len, &pgoff, 8);
    synth_put_string(buf, &len, "[kernel.kallsyms]_text");
    return synth_finish(ctx, buf, len, pid, tid, err);
}

int synth_list_threads(pid_t pid, pid_t **tids, size_t *ntids, struct hw_err *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    *tids = NULL;
    *ntids = 0;
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return hw_errf(err, "no such process: %d", (int)pid);
        return hw_errf_errno(err, errno, "cannot list the threads of process %d", (int)pid);
    }
    size_t cap = 0;
    struct dirent *de;
    /* the main thread first, so it owns the ring buffers */
    pid_t *v = NULL;
    if (hw_grow(&v, &cap, 1, sizeof(*v)) < 0) {
        closedir(d);
        return hw_err_oom(err);
    }
    v[(*ntids)++] = pid;
    while ((de = readdir(d))) {
        uint64_t t;
        if (hw_parse_u64(de->d_name, &t) < 0 || (pid_t)t == pid)
            continue;
        if (hw_grow(&v, &cap, *ntids + 1, sizeof(*v)) < 0) {
            free(v);
            closedir(d);
            return hw_err_oom(err);
        }
        v[(*ntids)++] = (pid_t)t;
    }
    closedir(d);
    *tids = v;
    return 0;
}

static int synth_comm(const struct synth_ctx *ctx, pid_t pid, pid_t tid, struct hw_err *err)
{
    char path[96], comm[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    if (hw_read_small_file(path, comm, sizeof(comm)) < 0)
        return 0; /* thread exited */
    unsigned char buf[160];
    size_t len = sizeof(struct perf_event_header);
    struct perf_event_header h = {.type = PERF_RECORD_COMM, .misc = 0, .size = 0};
    memcpy(buf, &h, sizeof(h));
    uint32_t p = (uint32_t)pid, t = (uint32_t)tid;
    synth_put(buf, &len, &p, 4);
    synth_put(buf, &len, &t, 4);
    synth_put_string(buf, &len, comm);
    return synth_finish(ctx, buf, len, p, t, err);
}

/* Parses one /proc/PID/maps line and emits an MMAP2 for executable mappings. */
static int synth_map_line(const struct synth_ctx *ctx, pid_t pid, const char *line,
                          unsigned char *buf, struct hw_err *err)
{
    unsigned long long start, end, pgoff, ino;
    unsigned maj, min;
    char perms[8];
    int name_at = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj, &min,
               &ino, &name_at) < 7)
        return 0;
    if (strlen(perms) < 4 || perms[2] != 'x')
        return 0;
    char name[SYNTH_NAME_MAX];
    snprintf(name, sizeof(name), "%s", name_at ? line + name_at : "");
    name[strcspn(name, "\n")] = '\0';
    if (!name[0])
        snprintf(name, sizeof(name), "//anon");
    size_t len = sizeof(struct perf_event_header);
    struct perf_event_header h = {
        .type = PERF_RECORD_MMAP2, .misc = PERF_RECORD_MISC_USER, .size = 0};
    memcpy(buf, &h, sizeof(h));
    uint32_t p = (uint32_t)pid;
    uint64_t mlen = end - start, gen = 0;
    uint32_t prot =
        (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) | PROT_EXEC;
    uint32_t flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
    uint64_t s = start, off = pgoff, inode = ino;
    synth_put(buf, &len, &p, 4);
    synth_put(buf, &len, &p, 4);
    synth_put(buf, &len, &s, 8);
    synth_put(buf, &len, &mlen, 8);
    synth_put(buf, &len, &off, 8);
    synth_put(buf, &len, &maj, 4);
    synth_put(buf, &len, &min, 4);
    synth_put(buf, &len, &inode, 8);
    synth_put(buf, &len, &gen, 8);
    synth_put(buf, &len, &prot, 4);
    synth_put(buf, &len, &flags, 4);
    synth_put_string(buf, &len, name);
    return synth_finish(ctx, buf, len, p, p, err);
}

int synth_process(const struct synth_ctx *ctx, pid_t pid, struct hw_err *err)
{
    pid_t *tids;
    size_t n;
    if (synth_list_threads(pid, &tids, &n, NULL) < 0)
        return 0; /* gone */
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = synth_comm(ctx, pid, tids[i], err);
    free(tids);
    if (rc < 0)
        return -1;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    unsigned char *buf = malloc(SYNTH_NAME_MAX + 256);
    if (!buf) {
        fclose(f);
        return hw_err_oom(err);
    }
    while (rc == 0 && getline(&line, &cap, f) > 0)
        rc = synth_map_line(ctx, pid, line, buf, err);
    free(line);
    free(buf);
    fclose(f);
    return rc;
}
