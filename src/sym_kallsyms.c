/* sym_kallsyms.c - kernel addresses named from /proc/kallsyms (text symbols, one sorted table). */
#include "sym_private.h"

#include "bidcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sym_ksym_cmp(const void *a, const void *b)
{
    const struct sym_ksym *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Parses one /proc/kallsyms line "ADDR TYPE NAME[\t[MODULE]]" (no newline); keeps text symbols. */
static void sym_kallsyms_line(struct symbolizer *s, const char *p, const char *end, size_t *cap,
                              bool *nonzero, bool *oom)
{
    uint64_t addr = 0;
    const char *q = p;
    for (; q < end; q++) {
        unsigned c = (unsigned char)*q, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            break;
        addr = addr << 4 | d;
    }
    if (q == p || end - q < 4 || q[0] != ' ' || q[2] != ' ')
        return;
    char type = q[1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W')
        return;
    const char *name = q + 3, *ne = name;
    while (ne < end && *ne != ' ' && *ne != '\t')
        ne++;
    if (ne == name)
        return;
    if (hw_grow(&s->ksyms, cap, s->nksyms + 1, sizeof(*s->ksyms)) < 0) {
        *oom = true;
        return;
    }
    /* names go to one pool (interned when a lookup returns them) */
    size_t off = s->knames.len, len = (size_t)(ne - name);
    if (off > UINT32_MAX - len - 1 || hw_buf_reserve(&s->knames, len + 1) < 0) {
        *oom = true;
        return;
    }
    memcpy(s->knames.data + off, name, len);
    s->knames.data[off + len] = '\0';
    s->knames.len += len + 1;
    s->ksyms[s->nksyms++] = (struct sym_ksym){addr, (uint32_t)off};
    *nonzero |= addr != 0;
}

void sym_kallsyms_note_kernel(struct symbolizer *s, const struct sym_bin *b)
{
    if (s->kernel_id_len == 0 && b->build_id_len > 0 && b->build_id_len <= HW_BUILD_ID_MAX &&
        __atomic_load_n(&s->kjob, __ATOMIC_ACQUIRE) ==
            SYM_JOB_NONE) { /* not yet queued: the thread does not read it */
        memcpy(s->kernel_id, b->build_id, (size_t)b->build_id_len);
        s->kernel_id_len = b->build_id_len;
    }
}

void sym_kallsyms_load(struct symbolizer *s)
{
    if (s->ksyms_loaded)
        return;
    s->ksyms_loaded = true;
    /* the copy perf record saved of this kernel's kallsyms, else the running kernel's */
    char cached[4096];
    int fd = -1;
    char *path = NULL;
    if (s->kernel_id_len > 0 && s->buildid_dir &&
        bidcache_path(s->buildid_dir, s->kernel_id, s->kernel_id_len, BIDCACHE_KALLSYMS, cached,
                      sizeof(cached)) == 0 &&
        (fd = sym_open_regular(cached)) >= 0)
        path = hw_strdup(cached);
    if (fd >= 0 && !path) {
        close(fd);
        fd = -1;
    }
    if (!path && (path = sym_rooted(s, "/proc/kallsyms")) != NULL)
        fd = sym_open_regular(path);
    if (!path)
        return;
    if (fd < 0) {
        sym_warn_keep(&s->kwarns, "cannot read %s: %s: kernel frames are shown as [kernel]", path,
                      errno == EINVAL ? "not a regular file" : strerror(errno));
        free(path);
        return;
    }
    size_t cap = 0;
    bool nonzero = false, oom = false;
    static const size_t chunk = 256 * 1024;
    char *buf = malloc(chunk);
    size_t have = 0; /* bytes of an incomplete line kept at the start of buf */
    while (buf && !oom) {
        ssize_t r = read(fd, buf + have, chunk - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (have) /* a last line without a newline */
                sym_kallsyms_line(s, buf, buf + have, &cap, &nonzero, &oom);
            break;
        }
        size_t len = have + (size_t)r;
        char *p = buf, *end = buf + len, *nl;
        while (!oom && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            sym_kallsyms_line(s, p, nl, &cap, &nonzero, &oom);
            p = nl + 1;
        }
        have = (size_t)(end - p);
        if (have == chunk) /* a line longer than the buffer: drop it */
            have = 0;
        memmove(buf, p, have);
    }
    free(buf);
    close(fd);
    if (!nonzero) {
        if (s->nksyms)
            sym_warn_keep(&s->kwarns,
                          "%s shows no addresses: kernel frames are shown as [kernel] (run as root "
                          "or set the sysctl kernel.kptr_restrict=0)",
                          path);
        else
            sym_warn_keep(&s->kwarns,
                          "%s holds no text symbols: kernel frames are shown as [kernel]", path);
        s->nksyms = 0;
    }
    free(path);
    /* give back the growth slack: these tables live as long as the symbolizer */
    if (s->nksyms && s->nksyms < cap) {
        struct sym_ksym *k = realloc(s->ksyms, s->nksyms * sizeof(*k));
        if (k)
            s->ksyms = k;
    }
    if (s->knames.len && s->knames.len < s->knames.cap) {
        unsigned char *n = realloc(s->knames.data, s->knames.len);
        if (n) {
            s->knames.data = n;
            s->knames.cap = s->knames.len;
        }
    }
    /* the core kernel's symbols come sorted; modules' may not */
    for (size_t i = 1; i < s->nksyms; i++) {
        if (s->ksyms[i].addr < s->ksyms[i - 1].addr) {
            qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), sym_ksym_cmp);
            break;
        }
    }
}

void sym_resolve_kernel(struct symbolizer *s, uint64_t addr, bool caller, struct sym_result *out)
{
    if (!s->opts.use_kallsyms) {
        sym_result_one(s, "[kernel]", false, out);
        return;
    }
    sym_kallsyms_claim(s, true);
    uint64_t a = caller && addr > 0 ? addr - 1 : addr;
    size_t at =
        hw_bsearch_le(s->ksyms, s->nksyms, sizeof(*s->ksyms), offsetof(struct sym_ksym, addr), a);
    if (at == s->nksyms) {
        sym_result_one(s, "[kernel]", false, out);
        return;
    }
    sym_result_one(s, (const char *)s->knames.data + s->ksyms[at].name, true, out);
}

void sym_kallsyms_free(struct symbolizer *s)
{
    free(s->ksyms);
    s->ksyms = NULL;
    s->nksyms = 0;
    hw_buf_free(&s->knames);
    s->ksyms_loaded = false;
    hw_buf_free(&s->kwarns);
}
