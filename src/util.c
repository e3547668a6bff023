/* util.c - error messages returned to callers, growable buffers and small string helpers shared by all modules. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int hw_errf(struct hw_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

int hw_err_oom(struct hw_err *err)
{
    return hw_errf(err, "out of memory");
}

int hw_err_oom_while(struct hw_err *err, const char *fmt, ...)
{
    if (err) {
        char what[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        hw_err_oom(err);
        snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg), " while %s",
                 what);
    }
    return -1;
}

void hw_warnf(const struct hw_warn *w, const char *fmt, ...)
{
    if (!w || !w->fn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    w->fn(w->arg, msg);
}

int hw_errf_errno(struct hw_err *err, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
    }
    return -1;
}

int hw_buf_reserve(struct hw_buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    unsigned char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int hw_buf_append(struct hw_buf *b, const void *p, size_t n)
{
    if (hw_buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void hw_buf_free(struct hw_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int hw_grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
    void **arr = arrp;
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return -1;
        ncap *= 2;
    }
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

size_t hw_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = malloc((lb + 1) * sizeof(*row));
    if (!row)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

size_t hw_closest(const char *name, const char *const *cands, size_t ncands, size_t limit,
                  const char **out, size_t max)
{
    size_t nout = 0;
    size_t dist[16];
    if (max > HW_ARRAY_SIZE(dist))
        max = HW_ARRAY_SIZE(dist);
    for (size_t i = 0; i < ncands; i++) {
        size_t d = hw_edit_distance(name, cands[i]);
        if (d > limit)
            continue;
        /* insertion into the sorted top-max list; skip duplicates */
        bool dup = false;
        for (size_t k = 0; k < nout; k++)
            if (strcasecmp(out[k], cands[i]) == 0)
                dup = true;
        if (dup)
            continue;
        size_t pos = nout;
        while (pos > 0 && dist[pos - 1] > d)
            pos--;
        if (pos >= max)
            continue;
        size_t end = nout < max ? nout : max - 1;
        for (size_t k = end; k > pos; k--) {
            out[k] = out[k - 1];
            dist[k] = dist[k - 1];
        }
        out[pos] = cands[i];
        dist[pos] = d;
        if (nout < max)
            nout++;
    }
    return nout;
}

char *hw_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

long hw_read_small_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t r = read(fd, buf + len, size - 1 - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    return (long)len;
}

int hw_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

unsigned hw_ncpus_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

unsigned hw_ncpus_configured(void)
{
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? (unsigned)n : 1;
}

int hw_parse_cpulist(const char *s, int **cpus, struct hw_err *err)
{
    int *v = NULL;
    size_t n = 0, cap = 0;
    const char *p = s;
    *cpus = NULL;
    while (*p && *p != '\n') {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10), b;
        if (end == p || a < 0 || errno)
            goto bad;
        b = a;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b > 1 << 20)
                goto bad;
            p = end;
        }
        for (long c = a; c <= b; c++) {
            if (hw_grow(&v, &cap, n + 1, sizeof(*v)) < 0) {
                free(v);
                return hw_err_oom(err);
            }
            v[n++] = (int)c;
        }
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            goto bad;
    }
    *cpus = v;
    return (int)n;
bad:
    free(v);
    return hw_errf(err, "cannot parse the CPU list '%s'", s);
}

int hw_online_cpus(int **cpus, struct hw_err *err)
{
    char buf[4096];
    *cpus = NULL;
    if (hw_read_small_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0) {
        /* no sysfs: assume 0..n-1 */
        unsigned n = hw_ncpus_online();
        int *v = calloc(n, sizeof(*v));
        if (!v)
            return hw_err_oom(err);
        for (unsigned i = 0; i < n; i++)
            v[i] = (int)i;
        *cpus = v;
        return (int)n;
    }
    int n = hw_parse_cpulist(buf, cpus, err);
    if (n == 0)
        return hw_errf(err, "/sys/devices/system/cpu/online lists no CPU");
    return n;
}

uint64_t hw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
