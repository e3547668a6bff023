/* sym_worker.c - load binaries and kallsyms on a second thread while the caller reads the recording; each binary is used by one thread at a time. */
#include "sym_private.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sym_warn_keep(struct hw_buf *w, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= 0)
        hw_buf_append(w, msg, strlen(msg) + 1);
}

void sym_warn_pass(struct symbolizer *s, struct hw_buf *w)
{
    for (size_t at = 0; at < w->len;) {
        const char *msg = (const char *)w->data + at;
        at += strlen(msg) + 1;
        if (s->warn.fn)
            s->warn.fn(s->warn.arg, msg);
    }
    w->len = 0;
}

/* Runs one job: every job touches only its own binary (or, NULL, the kallsyms table). */
static void sym_worker_run(struct symbolizer *s, struct sym_bin *b)
{
    if (b) {
        sym_bin_load(s, b);
        if (b->usable)
            sym_symtab_prepare(b);
    } else {
        sym_kallsyms_load(s);
    }
}

static void *sym_worker_main(void *arg)
{
    struct symbolizer *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->worker_stop && s->qhead == s->nqueue)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->worker_stop)
            break;
        struct sym_bin *b = s->queue[s->qhead++];
        uint8_t *job = b ? &b->job : &s->kjob;
        if (*job != SYM_JOB_QUEUED)
            continue;
        __atomic_store_n(job, SYM_JOB_RUNNING, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&s->mu);
        sym_worker_run(s, b);
        pthread_mutex_lock(&s->mu);
        __atomic_store_n(job, SYM_JOB_DONE, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues a job (b NULL: kallsyms) whose state is *job, starting the thread on first use. Without a
 * thread the job stays queued and its first user runs it. */
static void sym_worker_queue(struct symbolizer *s, struct sym_bin *b, uint8_t *job)
{
    pthread_mutex_lock(&s->mu);
    if (*job == SYM_JOB_NONE &&
        hw_grow(&s->queue, &s->cap_queue, s->nqueue + 1, sizeof(*s->queue)) == 0) {
        s->queue[s->nqueue++] = b;
        __atomic_store_n(job, SYM_JOB_QUEUED, __ATOMIC_RELEASE);
        if (!s->worker_started) {
            s->worker_started = true;
            sigset_t all, old;
            sigfillset(&all);
            pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no signals */
            s->worker_running = pthread_create(&s->worker, NULL, sym_worker_main, s) == 0;
            pthread_sigmask(SIG_SETMASK, &old, NULL);
        }
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Takes a job's state for the calling (main) thread: waits while the thread runs it; a job still
 * queued is left to the caller. From then on the thread does not touch it. */
static void sym_worker_claim(struct symbolizer *s, uint8_t *job)
{
    pthread_mutex_lock(&s->mu);
    while (*job == SYM_JOB_RUNNING)
        pthread_cond_wait(&s->cv, &s->mu);
    __atomic_store_n(job, SYM_JOB_OWNED, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&s->mu);
}

void sym_prefetch(struct symbolizer *s, const struct sym_binary *bin)
{
    struct sym_bin *b = bin && bin->path ? sym_bin_get(s, bin) : NULL;
    if (!b)
        return;
    if (b->kind == SYM_KIND_KERNEL) {
        sym_kallsyms_note_kernel(s, b);
        if (s->opts.use_kallsyms)
            sym_worker_queue(s, NULL, &s->kjob);
    } else if (b->kind == SYM_KIND_ELF || sym_bin_is_vdso(b)) {
        sym_worker_queue(s, b, &b->job);
    }
}

void sym_bin_take(struct symbolizer *s, struct sym_bin *b)
{
    if (__atomic_load_n(&b->job, __ATOMIC_ACQUIRE) !=
        SYM_JOB_OWNED) /* only this thread sets OWNED */
        sym_worker_claim(s, &b->job);
    sym_warn_pass(s, &b->warns);
}

void sym_bin_ready(struct symbolizer *s, struct sym_bin *b, bool debug)
{
    sym_bin_take(s, b);
    if (debug)
        sym_bin_load(s, b);
    else
        sym_bin_open(s, b);
    sym_warn_pass(s, &b->warns);
}

void sym_kallsyms_claim(struct symbolizer *s, bool load)
{
    if (__atomic_load_n(&s->kjob, __ATOMIC_ACQUIRE) != SYM_JOB_OWNED)
        sym_worker_claim(s, &s->kjob);
    if (load)
        sym_kallsyms_load(s);
    sym_warn_pass(s, &s->kwarns);
}

void sym_bin_unclaim(struct symbolizer *s, uint8_t *job)
{
    pthread_mutex_lock(&s->mu);
    if (*job == SYM_JOB_OWNED)
        __atomic_store_n(job, SYM_JOB_NONE, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&s->mu);
}

void sym_worker_init(struct symbolizer *s)
{
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
}

void sym_worker_stop(struct symbolizer *s)
{
    pthread_mutex_lock(&s->mu);
    s->worker_stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->worker_running)
        pthread_join(s->worker, NULL);
    s->worker_running = false;
    free(s->queue);
    s->queue = NULL;
    s->qhead = s->nqueue = s->cap_queue = 0;
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}
