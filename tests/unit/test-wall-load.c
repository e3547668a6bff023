/* test-wall-load.c - load_profile on hand-built wall-clock recordings: sample types, on-CPU samples, off-CPU intervals, states, the end of the recording, user stack repair. */
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "check.h"
#include "perf_regs.h"
#include "perfwriter.h"
#include "perfreader.h"
#include "profile.h"
#include "load.h"
#include "records.h"

/* Formats as record --wall writes them: the clock event (frequency, so PERIOD) and the
 * context-switches event (period 1), both with the user registers and stack. */
#define BASE_ST                                                                                    \
    (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |                \
     PERF_SAMPLE_CPU | PERF_SAMPLE_CALLCHAIN)
#define CLOCK_ST (BASE_ST | PERF_SAMPLE_PERIOD)
#define USER_ST (PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

#define CLOCK_ID 101
#define SWITCH_ID 201
#define T0 1000000000ULL /* the recording's first timestamp */
#define K1 0xffffffff81000100ULL
#define K2 0xffffffff81000200ULL

static char tmpdir[64];

/* ---- records (records.h builds them) ---- */

/* The records of one file, in file order. */
struct recs {
    struct rec r[128];
    size_t n;
};

/* The next record of rs, begun with TYPE and MISC. */
static struct rec *start(struct recs *rs, uint32_t type, uint16_t misc)
{
    struct rec *r = &rs->r[rs->n++];
    rec_begin(r, type, misc);
    return r;
}

/* The sample_id_all trailer of BASE_ST, with the clock event's id. */
static void trailer(struct rec *r, uint32_t pid, uint32_t tid, uint64_t time, uint32_t cpu)
{
    rec_trailer(r, pid, tid, time, cpu, CLOCK_ID);
}

static void comm(struct recs *rs, uint32_t pid, uint32_t tid, const char *name, uint64_t time)
{
    rec_comm(&rs->r[rs->n++], 0, pid, tid, name, time, 0, CLOCK_ID);
}

static void task_exit(struct recs *rs, uint32_t pid, uint32_t tid, uint64_t time)
{
    rec_exit(&rs->r[rs->n++], pid, pid, tid, tid, time, CLOCK_ID);
}

/* A SWITCH record: out (preempted or not) or in; the trailer names the thread. */
static void sw(struct recs *rs, bool out, bool preempt, uint32_t pid, uint32_t tid, uint64_t time, uint32_t cpu)
{
    uint16_t misc = (out ? PERF_RECORD_MISC_SWITCH_OUT : 0) | (preempt ? PERF_RECORD_MISC_SWITCH_OUT_PREEMPT : 0);
    struct rec *r = start(rs, PERF_RECORD_SWITCH, misc);
    trailer(r, pid, tid, time, cpu);
    rec_end(r);
}

/* A SWITCH_CPU_WIDE record (perf record -a --switch-events): the trailer names the thread leaving
 * (out) or entering (in), next_prev the other one. */
static void sw_cpu_wide(struct recs *rs, bool out, bool preempt, uint32_t pid, uint32_t tid, uint64_t time,
                        uint32_t cpu)
{
    uint16_t misc = (out ? PERF_RECORD_MISC_SWITCH_OUT : 0) | (preempt ? PERF_RECORD_MISC_SWITCH_OUT_PREEMPT : 0);
    struct rec *r = start(rs, PERF_RECORD_SWITCH_CPU_WIDE, misc);
    rec_u32(r, 0); /* the idle task on the other side */
    rec_u32(r, 0);
    trailer(r, pid, tid, time, cpu);
    rec_end(r);
}

/* What a sample copied of the user state (PERF_SAMPLE_REGS_USER / STACK_USER), if anything. */
struct user_state {
    uint64_t ip, sp, bp;
    const uint64_t *stack;
    size_t nstack; /* words */
};

/* A sample of the clock event (period != 0) or of the switch event (period 0). chain holds the
 * callchain with its context markers. With user_fields, the sample carries REGS_USER and
 * STACK_USER (from u, or "none" when u is NULL). */
static void sample(struct recs *rs, bool kernel, uint32_t pid, uint32_t tid, uint64_t time, uint32_t cpu,
                   uint64_t period, const uint64_t *chain, size_t nchain, bool user_fields,
                   const struct user_state *u)
{
    struct rec *r = start(rs, PERF_RECORD_SAMPLE, kernel ? PERF_RECORD_MISC_KERNEL : PERF_RECORD_MISC_USER);
    rec_u64(r, period ? CLOCK_ID : SWITCH_ID);
    rec_u64(r, nchain > 1 ? chain[1] : 0);
    rec_u32(r, pid);
    rec_u32(r, tid);
    rec_u64(r, time);
    rec_u32(r, cpu);
    rec_u32(r, 0);
    if (period)
        rec_u64(r, period);
    rec_u64(r, nchain);
    for (size_t i = 0; i < nchain; i++)
        rec_u64(r, chain[i]);
    if (user_fields) {
        rec_u64(r, u ? PERF_SAMPLE_REGS_ABI_64 : PERF_SAMPLE_REGS_ABI_NONE);
        if (u) {
            rec_u64(r, u->bp); /* mask order: bp (6), sp (7), ip (8) */
            rec_u64(r, u->sp);
            rec_u64(r, u->ip);
        }
        uint64_t size = u ? 8 * (uint64_t)u->nstack : 0;
        rec_u64(r, size);
        if (size) {
            for (size_t i = 0; i < u->nstack; i++)
                rec_u64(r, u->stack[i]);
            rec_u64(r, size); /* dyn_size */
        }
    }
    rec_end(r);
}

static void mmap2(struct recs *rs, uint32_t pid, uint64_t start_addr, uint64_t len, uint64_t pgoff,
                  const char *path, uint64_t time)
{
    rec_mmap2(&rs->r[rs->n++], pid, start_addr, len, pgoff, NULL, path, time, CLOCK_ID);
}

/* ---- files ---- */

struct attrs_opts {
    bool context_switch;  /* the clock event records switches (a wall recording) */
    bool switch_freq;     /* the switch event samples at a frequency instead of every switch */
    bool user_fields;     /* both events copy the user registers and stack */
    bool swap;            /* the context-switches attr first */
};

/* Writes rs with the two attrs into path, HEADER_SAMPLE_TIME [T0, last_time]. Returns 0 or -1. */
static int write_recording(const char *path, const struct recs *rs, struct attrs_opts o, uint64_t last_time)
{
    struct perf_event_attr clk, cs;
    memset(&clk, 0, sizeof(clk));
    clk.size = sizeof(clk);
    clk.type = PERF_TYPE_SOFTWARE;
    clk.config = PERF_COUNT_SW_CPU_CLOCK;
    clk.freq = 1;
    clk.sample_freq = 1000;
    clk.sample_type = CLOCK_ST | (o.user_fields ? USER_ST : 0);
    clk.sample_id_all = 1;
    clk.comm = clk.task = clk.mmap = clk.mmap2 = 1;
    clk.context_switch = o.context_switch;
    clk.use_clockid = 1;
    clk.clockid = 1; /* CLOCK_MONOTONIC */
    if (o.user_fields) {
        clk.sample_regs_user = PERF_REGS_UNWIND_MASK;
        clk.sample_stack_user = 512;
    }
    cs = clk;
    cs.config = PERF_COUNT_SW_CONTEXT_SWITCHES;
    cs.freq = o.switch_freq;
    cs.sample_period = o.switch_freq ? 4000 : 1;
    cs.sample_type = BASE_ST | (o.user_fields ? USER_ST : 0) | (o.switch_freq ? PERF_SAMPLE_PERIOD : 0);
    cs.comm = cs.task = cs.mmap = cs.mmap2 = 0;
    cs.context_switch = 0;
    static const uint64_t clk_ids[] = {CLOCK_ID}, cs_ids[] = {SWITCH_ID};
    struct pw_attr attrs[2] = {
        {.attr = clk, .ids = clk_ids, .nids = 1, .name = "cpu-clock"},
        {.attr = cs, .ids = cs_ids, .nids = 1, .name = "context-switches"},
    };
    if (o.swap) {
        struct pw_attr t = attrs[0];
        attrs[0] = attrs[1];
        attrs[1] = t;
    }
    struct pw_writer *w;
    struct hw_err err;
    if (pw_writer_open(&w, path, attrs, 2, NULL, &err) < 0) {
        fprintf(stderr, "pw_writer_open: %s\n", err.msg);
        return -1;
    }
    for (size_t i = 0; i < rs->n; i++) {
        if (pw_writer_write(w, rs->r[i].b, rs->r[i].len, &err) < 0) {
            fprintf(stderr, "pw_writer_write: %s\n", err.msg);
            pw_writer_abort(w);
            return -1;
        }
    }
    if (pw_writer_finish(w, T0, last_time, NULL, 0, &err) < 0) {
        fprintf(stderr, "pw_writer_finish: %s\n", err.msg);
        return -1;
    }
    return 0;
}

struct loaded {
    struct pr_file *f;
    struct profile *p;
    struct load_info info;
};

static bool load(const char *name, const struct recs *rs, struct attrs_opts o, uint64_t last_time,
                 const char *root, struct loaded *out)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    memset(out, 0, sizeof(*out));
    struct hw_err err;
    if (write_recording(path, rs, o, last_time) < 0)
        return false;
    if (pr_open(&out->f, path, NULL, &err) < 0) {
        fprintf(stderr, "pr_open: %s\n", err.msg);
        return false;
    }
    struct load_options lo = {.root = root};
    if (load_profile(out->f, &lo, &out->p, &out->info, &err) < 0) {
        fprintf(stderr, "load_profile: %s\n", err.msg);
        pr_close(out->f);
        out->f = NULL;
        return false;
    }
    return true;
}

static void unload(struct loaded *l)
{
    prof_free(l->p);
    load_info_free(&l->info);
    pr_close(l->f);
}

/* ---- looking at a profile ---- */

static const char *type_str(const struct profile *p, size_t t, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", p->strings[p->types[t].type], p->strings[p->types[t].unit]);
    return buf;
}

static int64_t value(const struct profile *p, const struct prof_sample *s, size_t t)
{
    return p->values[s->values_at + t];
}

static const char *state_of(const struct profile *p, const struct prof_sample *s)
{
    return p->strings[s->state];
}

/* Sums of each type over the samples of tid (0: all) in state (NULL: any). */
struct sums {
    int64_t v[8];
    int nsamples; /* profile samples (after aggregation) */
};

static struct sums sum(const struct profile *p, uint32_t tid, const char *state)
{
    struct sums r;
    memset(&r, 0, sizeof(r));
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if ((tid && s->tid != tid) || (state && strcmp(state_of(p, s), state) != 0))
            continue;
        r.nsamples++;
        for (size_t t = 0; t < p->ntypes && t < 8; t++)
            r.v[t] += value(p, s, t);
    }
    return r;
}

/* The only sample of tid in state, or NULL (none, or several). */
static const struct prof_sample *only_sample(const struct profile *p, uint32_t tid, const char *state)
{
    const struct prof_sample *found = NULL;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (s->tid == tid && strcmp(state_of(p, s), state) == 0) {
            if (found)
                return NULL;
            found = s;
        }
    }
    return found;
}

static uint64_t loc_address(const struct profile *p, const struct prof_sample *s, size_t i)
{
    return p->locations[p->loc_ids[s->first_loc + i]].address;
}

/* The function name of a sample's i-th location (its outermost line), or "". */
static const char *loc_function(const struct profile *p, const struct prof_sample *s, size_t i)
{
    const struct prof_location *l = &p->locations[p->loc_ids[s->first_loc + i]];
    if (!l->nlines)
        return "";
    const struct prof_line *line = &p->lines[l->first_line + l->nlines - 1];
    return p->strings[p->functions[line->function].name];
}

/* ---- the main scenario ---- */

/* pid 10: main (10) is preempted once; worker (11) blocks twice on the same stack; exiter (12) blocks
 * and exits; sleeper (13) is still blocked when the recording ends; lostin (14) is seen running
 * without its switch-in. */
static void build_main(struct recs *rs, bool user_fields)
{
    const uint64_t on10[] = {PERF_CONTEXT_USER, 0x401000, 0x402000};
    const uint64_t on11[] = {PERF_CONTEXT_USER, 0x401100};
    const uint64_t off10[] = {PERF_CONTEXT_KERNEL, K1, K2, PERF_CONTEXT_USER, 0x401500, 0x402000};
    const uint64_t off11[] = {PERF_CONTEXT_KERNEL, K1, PERF_CONTEXT_USER, 0x401600};
    const uint64_t off12[] = {PERF_CONTEXT_KERNEL, K2, PERF_CONTEXT_USER, 0x401700};
    const uint64_t off13[] = {PERF_CONTEXT_KERNEL, K1, PERF_CONTEXT_USER, 0x401800, 0x402800};
    const uint64_t off14[] = {PERF_CONTEXT_KERNEL, K2, PERF_CONTEXT_USER, 0x401900};
    rs->n = 0;
    comm(rs, 10, 10, "main", T0);
    comm(rs, 10, 11, "worker", T0);
    comm(rs, 10, 12, "exiter", T0);
    comm(rs, 10, 13, "sleeper", T0);
    comm(rs, 10, 14, "lostin", T0);
    sw(rs, false, false, 10, 10, T0 + 1000, 0); /* a switch-in without a switch-out: nothing */
    sample(rs, false, 10, 10, T0 + 2000, 0, 1000000, on10, 3, user_fields, NULL);
    sample(rs, false, 10, 11, T0 + 3000, 1, 1000500, on11, 2, user_fields, NULL);
    /* main: preempted from 10000 to 60000 */
    sample(rs, true, 10, 10, T0 + 10000, 0, 0, off10, 6, user_fields, NULL);
    sw(rs, true, true, 10, 10, T0 + 10000, 0);
    /* worker: blocked from 20000 to 320001 */
    sample(rs, true, 10, 11, T0 + 20000, 1, 0, off11, 4, user_fields, NULL);
    sw(rs, true, false, 10, 11, T0 + 20001, 1);
    /* exiter: blocked at 30000, exits at 90000 */
    sample(rs, true, 10, 12, T0 + 30000, 0, 0, off12, 4, user_fields, NULL);
    sw(rs, true, false, 10, 12, T0 + 30000, 0);
    /* lostin: out at 40000, then a clock sample (running) before its switch-in */
    sample(rs, true, 10, 14, T0 + 40000, 1, 0, off14, 4, user_fields, NULL);
    sw(rs, true, false, 10, 14, T0 + 40000, 1);
    sample(rs, false, 10, 14, T0 + 45000, 1, 1000000, on11, 2, user_fields, NULL);
    sw(rs, false, false, 10, 14, T0 + 46000, 1);
    sw(rs, false, false, 10, 10, T0 + 60000, 1);
    task_exit(rs, 10, 12, T0 + 90000);
    sw(rs, false, false, 10, 11, T0 + 320001, 0);
    /* worker again, same stack and cpu: blocked from 400000 to 407000 */
    sample(rs, true, 10, 11, T0 + 400000, 1, 0, off11, 4, user_fields, NULL);
    sw(rs, true, false, 10, 11, T0 + 400000, 1);
    sw(rs, false, false, 10, 11, T0 + 407000, 1);
    /* sleeper: blocked from 500000 to the end of the recording */
    sample(rs, true, 10, 13, T0 + 500000, 0, 0, off13, 5, user_fields, NULL);
    sw(rs, true, false, 10, 13, T0 + 500000, 0);
    /* the last record */
    sample(rs, false, 10, 10, T0 + 600000, 0, 999000, on10, 3, user_fields, NULL);
}

#define END (T0 + 2000000) /* HEADER_SAMPLE_TIME: when the recording stopped */

static void check_types(const struct profile *p)
{
    char buf[128];
    CHECK_EQ_U64(p->ntypes, 4);
    if (p->ntypes != 4)
        return;
    CHECK_STR(type_str(p, 0, buf, sizeof(buf)), "samples/count");
    CHECK_STR(type_str(p, 1, buf, sizeof(buf)), "wall/nanoseconds");
    CHECK_STR(type_str(p, 2, buf, sizeof(buf)), "cpu/nanoseconds");
    CHECK_STR(type_str(p, 3, buf, sizeof(buf)), "off-cpu/nanoseconds");
    CHECK_EQ_U64(p->default_type, 1);
    CHECK_EQ_U64(p->period_type, 1);
    CHECK_EQ_U64(p->period, 1000000); /* 1000 Hz */
}

static void test_wall_main(bool user_fields, bool swap)
{
    struct recs *rs = calloc(1, sizeof(*rs));
    build_main(rs, user_fields);
    struct loaded l;
    bool ok = load(swap ? "wall-swap.data" : user_fields ? "wall-user.data" : "wall.data", rs,
                   (struct attrs_opts){.context_switch = true, .user_fields = user_fields, .swap = swap}, END,
                   "/dev/null", &l);
    CHECK(ok);
    free(rs);
    if (!ok)
        return;
    const struct profile *p = l.p;
    check_types(p);
    if (p->ntypes != 4) {
        unload(&l);
        return;
    }
    enum { N = 0, WALL = 1, CPU = 2, OFF = 3 };

    /* On-CPU samples: cpu = wall = period, no off-cpu, state on-cpu. */
    int bad = 0, on = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        const char *st = state_of(p, s);
        if (strcmp(st, "on-cpu") == 0) {
            on++;
            bad += value(p, s, OFF) != 0 || value(p, s, CPU) != value(p, s, WALL) || value(p, s, CPU) <= 0;
        } else if (strcmp(st, "preempted") == 0 || strcmp(st, "blocked") == 0) {
            bad += value(p, s, CPU) != 0 || value(p, s, OFF) != value(p, s, WALL);
        } else {
            bad++; /* every sample of a wall recording has a state */
        }
        bad += value(p, s, WALL) != value(p, s, CPU) + value(p, s, OFF);
    }
    CHECK_EQ_U64(bad, 0);
    struct sums s10 = sum(p, 10, "on-cpu");
    CHECK_EQ_U64(s10.nsamples, 1); /* same stack, cpu and labels: aggregated */
    CHECK_EQ_U64(s10.v[N], 2);
    CHECK_EQ_U64(s10.v[CPU], 1000000 + 999000);
    CHECK_EQ_U64(sum(p, 11, "on-cpu").v[CPU], 1000500);
    CHECK_EQ_U64(sum(p, 14, "on-cpu").v[CPU], 1000000);

    /* main: one preempted interval, its switch-out stack (kernel frames, then user). */
    const struct prof_sample *pre = only_sample(p, 10, "preempted");
    CHECK(pre != NULL);
    if (pre) {
        CHECK_EQ_U64(value(p, pre, N), 1);
        CHECK_EQ_U64(value(p, pre, OFF), 50000);
        CHECK_EQ_U64(value(p, pre, WALL), 50000);
        CHECK_EQ_U64(pre->cpu, 0);
        CHECK_EQ_U64(pre->pid, 10);
        CHECK_STR(p->strings[pre->comm], "main");
        CHECK_EQ_U64(pre->nlocs, 4);
        if (pre->nlocs == 4) {
            CHECK_EQ_U64(loc_address(p, pre, 0), K1);
            CHECK_EQ_U64(loc_address(p, pre, 1), K2 - 1); /* a return address */
            CHECK_EQ_U64(loc_address(p, pre, 2), 0x401500);
            CHECK_EQ_U64(loc_address(p, pre, 3), 0x402000 - 1);
        }
    }
    CHECK_EQ_U64(sum(p, 10, "blocked").nsamples, 0);

    /* worker: two blocked intervals on the same stack, aggregated; starts at the switch sample. */
    struct sums s11 = sum(p, 11, "blocked");
    CHECK_EQ_U64(s11.nsamples, 1);
    CHECK_EQ_U64(s11.v[N], 2);
    CHECK_EQ_U64(s11.v[OFF], 300001 + 7000);
    CHECK_EQ_U64(s11.v[WALL], 300001 + 7000);
    CHECK_EQ_U64(sum(p, 11, "preempted").nsamples, 0);
    const struct prof_sample *w11 = only_sample(p, 11, "blocked");
    if (w11) {
        CHECK_STR(p->strings[w11->comm], "worker");
        CHECK_EQ_U64(w11->cpu, 1);
        CHECK_EQ_U64(w11->nlocs, 2);
    }

    /* exiter: blocked, then exited: not charged. lostin: ran without a switch-in: not charged. */
    CHECK_EQ_U64(sum(p, 12, NULL).nsamples, 0);
    CHECK_EQ_U64(sum(p, 14, "blocked").nsamples, 0);
    CHECK_EQ_U64(sum(p, 14, NULL).nsamples, 1);

    /* sleeper: still blocked at the end, charged up to HEADER_SAMPLE_TIME's last time. */
    const struct prof_sample *s13 = only_sample(p, 13, "blocked");
    CHECK(s13 != NULL);
    if (s13) {
        CHECK_EQ_U64(value(p, s13, OFF), END - (T0 + 500000));
        CHECK_EQ_U64(value(p, s13, WALL), END - (T0 + 500000));
        CHECK_EQ_U64(value(p, s13, N), 1);
        CHECK_EQ_U64(s13->nlocs, 3);
        CHECK_STR(p->strings[s13->comm], "sleeper");
    }
    CHECK_EQ_U64(l.info.last_time, END);
    CHECK_EQ_U64(l.info.first_time, T0 + 2000);
    CHECK_EQ_U64((uint64_t)p->duration_nanos, END - (T0 + 2000));

    /* Totals: wall = cpu + off-cpu; the switch samples themselves are no samples. */
    struct sums all = sum(p, 0, NULL);
    CHECK_EQ_U64(all.v[CPU], 1000000 + 1000500 + 1000000 + 999000);
    CHECK_EQ_U64(all.v[OFF], 50000 + 300001 + 7000 + (END - (T0 + 500000)));
    CHECK_EQ_U64(all.v[WALL], all.v[CPU] + all.v[OFF]);
    CHECK_EQ_U64(all.v[N], 4 + 4);
    CHECK_EQ_U64(l.info.sample_records, 4 + 6);

    /* --sample-index names */
    struct hw_err err;
    CHECK_EQ_U64(load_pick_type(p, l.f, NULL, &err), WALL);
    CHECK_EQ_U64(load_pick_type(p, l.f, "wall", &err), WALL);
    CHECK_EQ_U64(load_pick_type(p, l.f, "cpu", &err), CPU);
    CHECK_EQ_U64(load_pick_type(p, l.f, "off-cpu", &err), OFF);
    CHECK_EQ_U64(load_pick_type(p, l.f, "samples", &err), N);
    CHECK(load_pick_type(p, l.f, "cycles", &err) == -1);
    CHECK(strstr(err.msg, "off-cpu") != NULL || strstr(err.msg, "context-switches") != NULL);
    unload(&l);
}

/* perf record -a --switch-events writes SWITCH_CPU_WIDE records: paired the same way. */
static void test_cpu_wide(void)
{
    const uint64_t off[] = {PERF_CONTEXT_KERNEL, K1, PERF_CONTEXT_USER, 0x401000};
    struct recs *rs = calloc(1, sizeof(*rs));
    comm(rs, 30, 30, "cw", T0);
    sample(rs, true, 30, 30, T0 + 1000, 1, 0, off, 4, false, NULL);
    sw_cpu_wide(rs, true, true, 30, 30, T0 + 1000, 1);
    sw_cpu_wide(rs, false, false, 30, 30, T0 + 4000, 0);
    sample(rs, true, 30, 30, T0 + 5000, 0, 0, off, 4, false, NULL);
    sw_cpu_wide(rs, true, false, 30, 30, T0 + 5000, 0);
    sw_cpu_wide(rs, false, false, 30, 30, T0 + 5500, 0);
    struct loaded l;
    bool ok = load("wall-cw.data", rs, (struct attrs_opts){.context_switch = true}, T0 + 6000, "/dev/null", &l);
    free(rs);
    CHECK(ok);
    if (!ok)
        return;
    const struct prof_sample *pre = only_sample(l.p, 30, "preempted"), *blk = only_sample(l.p, 30, "blocked");
    CHECK(pre != NULL && blk != NULL);
    if (pre && blk && l.p->ntypes == 4) {
        CHECK_EQ_U64(value(l.p, pre, 3), 3000);
        CHECK_EQ_U64(pre->cpu, 1);
        CHECK_EQ_U64(value(l.p, blk, 3), 500);
        CHECK_EQ_U64(blk->cpu, 0);
    }
    unload(&l);
}

/* Without HEADER_SAMPLE_TIME (or with a last time before the last record), a thread still off the
 * CPU is charged up to the last record. */
static void test_end_is_last_record(void)
{
    struct recs *rs = calloc(1, sizeof(*rs));
    build_main(rs, false);
    const uint64_t times[] = {0, T0 + 100000};
    for (size_t i = 0; i < 2; i++) {
        struct loaded l;
        bool ok = load("wall-end.data", rs, (struct attrs_opts){.context_switch = true}, times[i], "/dev/null", &l);
        CHECK(ok);
        if (!ok)
            continue;
        const struct prof_sample *s13 = only_sample(l.p, 13, "blocked");
        CHECK(s13 != NULL);
        if (s13 && l.p->ntypes == 4)
            CHECK_EQ_U64(value(l.p, s13, 3), 100000); /* 500000 .. 600000 */
        CHECK_EQ_U64(l.info.last_time, T0 + 600000);
        unload(&l);
    }
    free(rs);
}

/* Not a wall recording: no switch records asked for, or a switch event sampled at a frequency. The
 * old sample types, no state labels, switch records ignored. */
static void test_not_wall(void)
{
    struct recs *rs = calloc(1, sizeof(*rs));
    build_main(rs, false);
    struct loaded l;
    bool ok = load("nowall.data", rs, (struct attrs_opts){0}, END, "/dev/null", &l);
    CHECK(ok);
    if (ok) {
        char buf[128];
        CHECK_EQ_U64(l.p->ntypes, 3);
        if (l.p->ntypes == 3) {
            CHECK_STR(type_str(l.p, 0, buf, sizeof(buf)), "samples/count");
            CHECK_STR(type_str(l.p, 1, buf, sizeof(buf)), "cpu/nanoseconds");
            CHECK_STR(type_str(l.p, 2, buf, sizeof(buf)), "context-switches/count");
            CHECK_EQ_U64(l.p->default_type, 1);
            /* every sample counted once, switch samples at their period (1) */
            struct sums all = sum(l.p, 0, NULL);
            CHECK_EQ_U64(all.v[0], 10);
            CHECK_EQ_U64(all.v[1], 1000000 + 1000500 + 1000000 + 999000);
            CHECK_EQ_U64(all.v[2], 6);
        }
        int labelled = 0;
        for (size_t i = 0; i < l.p->nsamples; i++)
            labelled += l.p->samples[i].state != 0;
        CHECK_EQ_U64(labelled, 0);
        CHECK_EQ_U64(l.info.last_time, T0 + 600000); /* no end charged */
        unload(&l);
    }

    rs->n = 0;
    build_main(rs, false);
    /* the switch event at a frequency: its samples are not every switch */
    for (size_t i = 0; i < rs->n; i++) {
        struct rec *r = &rs->r[i];
        uint64_t id;
        uint32_t type;
        memcpy(&type, r->b, 4);
        memcpy(&id, r->b + 8, 8);
        if (type == PERF_RECORD_SAMPLE && id == SWITCH_ID) { /* add the PERIOD field after cpu */
            memmove(r->b + 56, r->b + 48, r->len - 48);
            uint64_t period = 4000;
            memcpy(r->b + 48, &period, 8);
            r->len += 8;
            rec_end(r);
        }
    }
    ok = load("nowall-freq.data", rs, (struct attrs_opts){.context_switch = true, .switch_freq = true}, END,
              "/dev/null", &l);
    CHECK(ok);
    if (ok) {
        char buf[128];
        CHECK_EQ_U64(l.p->ntypes, 3);
        if (l.p->ntypes == 3)
            CHECK_STR(type_str(l.p, 2, buf, sizeof(buf)), "context-switches/count");
        int labelled = 0;
        for (size_t i = 0; i < l.p->nsamples; i++)
            labelled += l.p->samples[i].state != 0;
        CHECK_EQ_U64(labelled, 0);
        unload(&l);
    }
    free(rs);
}

/* ---- user stack repair through the loader, on this very binary ---- */

/* Three functions of this binary. Their entry points are where the CFI rule is "cfa = sp + 8,
 * return address at cfa - 8" whatever the compiler flags, so a stack of return addresses
 * "entry + 1" unwinds through them one by one. */
__attribute__((noinline, used)) int wl_leaf(int x);
__attribute__((noinline, used)) int wl_mid(int x);
__attribute__((noinline, used)) int wl_outer(int x);

static volatile int wl_sink;

int wl_leaf(int x)
{
    wl_sink = x * 3;
    return wl_sink + 1;
}

int wl_mid(int x)
{
    wl_sink = wl_leaf(x + 7) * 5;
    return wl_sink + 2;
}

int wl_outer(int x)
{
    wl_sink = wl_mid(x ^ 0x55) - 11;
    return wl_sink + 3;
}

/* The executable mapping of this binary that holds addr: start, end, file offset and path. */
static bool self_mapping(uint64_t addr, uint64_t *start_addr, uint64_t *end_addr, uint64_t *pgoff, char *path,
                         size_t size)
{
    FILE *fp = fopen("/proc/self/maps", "r");
    if (!fp)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), fp)) {
        unsigned long long s, e, off;
        char perms[8];
        int pos = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &s, &e, perms, &off, &pos) < 4)
            continue;
        if (addr < s || addr >= e || perms[2] != 'x')
            continue;
        const char *p = line + pos;
        while (*p == ' ')
            p++;
        snprintf(path, size, "%.*s", (int)strcspn(p, "\n"), p);
        *start_addr = s;
        *end_addr = e;
        *pgoff = off;
        found = path[0] == '/';
    }
    fclose(fp);
    return found;
}

/* A frameless leaf (wl_leaf) called by wl_mid, called by wl_outer: the kernel's frame-pointer chain
 * lost wl_mid; the loader repairs it from the copied stack and the binary's CFI, for an on-CPU
 * sample and for an off-CPU one (kernel frames first). */
static void test_user_repair(void)
{
    uint64_t leaf = (uint64_t)(uintptr_t)&wl_leaf, mid = (uint64_t)(uintptr_t)&wl_mid,
             outer = (uint64_t)(uintptr_t)&wl_outer;
    uint64_t ms, me, pgoff;
    char path[PATH_MAX];
    if (!self_mapping(leaf, &ms, &me, &pgoff, path, sizeof(path)) || mid < ms || mid >= me || outer < ms ||
        outer >= me) {
        printf("test-wall-load: cannot find this binary's mapping; user repair part skipped\n");
        return;
    }
    wl_sink = wl_outer(1); /* used, so none of them is dropped */
    const uint64_t sp = 0x7ffd00001000ULL, bp = 0x7ffd00002000ULL;
    /* the stack: the return address into wl_mid, the one into wl_outer, then the end */
    const uint64_t stack[] = {mid + 1, outer + 1, 0};
    const struct user_state u = {.ip = leaf, .sp = sp, .bp = bp, .stack = stack, .nstack = 3};
    /* a short copy: only the leaf's return address; the kernel's chain continues from there */
    const struct user_state u_short = {.ip = leaf, .sp = sp, .bp = bp, .stack = stack, .nstack = 1};
    const uint64_t on_chain[] = {PERF_CONTEXT_USER, leaf, outer + 1};
    const uint64_t off_chain[] = {PERF_CONTEXT_KERNEL, K1, PERF_CONTEXT_USER, leaf, outer + 1};

    struct recs *rs = calloc(1, sizeof(*rs));
    comm(rs, 20, 20, "repair", T0);
    mmap2(rs, 20, ms, me - ms, pgoff, path, T0);
    sample(rs, false, 20, 20, T0 + 1000, 0, 1000000, on_chain, 3, true, &u);
    sample(rs, false, 20, 21, T0 + 1500, 0, 1000000, on_chain, 3, true, &u_short);
    sample(rs, true, 20, 20, T0 + 2000, 0, 0, off_chain, 5, true, &u);
    sw(rs, true, false, 20, 20, T0 + 2000, 0);
    sw(rs, false, false, 20, 20, T0 + 9000, 0);
    /* no user state copied (a kernel thread's ABI 0): the kernel's chain as it is */
    sample(rs, true, 20, 22, T0 + 3000, 1, 0, off_chain, 5, true, NULL);
    sw(rs, true, false, 20, 22, T0 + 3000, 1);
    sw(rs, false, false, 20, 22, T0 + 4000, 1);
    struct loaded l;
    bool ok = load("wall-repair.data", rs, (struct attrs_opts){.context_switch = true, .user_fields = true}, T0 + 10000,
                   NULL, &l);
    free(rs);
    CHECK(ok);
    if (!ok)
        return;
    const struct profile *p = l.p;
    const struct prof_sample *s = only_sample(p, 20, "on-cpu");
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(s->nlocs, 3);
        if (s->nlocs == 3) {
            CHECK_STR(loc_function(p, s, 0), "wl_leaf");
            CHECK_STR(loc_function(p, s, 1), "wl_mid");
            CHECK_STR(loc_function(p, s, 2), "wl_outer");
            CHECK_EQ_U64(loc_address(p, s, 0), leaf);
            CHECK_EQ_U64(loc_address(p, s, 1), mid); /* return address - 1 */
        }
    }
    s = only_sample(p, 21, "on-cpu");
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(s->nlocs, 3);
        if (s->nlocs == 3) {
            CHECK_STR(loc_function(p, s, 0), "wl_leaf");
            CHECK_STR(loc_function(p, s, 1), "wl_mid");
            CHECK_STR(loc_function(p, s, 2), "wl_outer");
        }
    }
    s = only_sample(p, 20, "blocked");
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(p->values[s->values_at + 3], 7000);
        CHECK_EQ_U64(s->nlocs, 4);
        if (s->nlocs == 4) {
            CHECK_EQ_U64(loc_address(p, s, 0), K1);
            CHECK_STR(loc_function(p, s, 1), "wl_leaf");
            CHECK_STR(loc_function(p, s, 2), "wl_mid");
            CHECK_STR(loc_function(p, s, 3), "wl_outer");
        }
    }
    s = only_sample(p, 22, "blocked");
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_U64(s->nlocs, 3); /* K1, wl_leaf, wl_outer: nothing to repair from */
        if (s->nlocs == 3) {
            CHECK_STR(loc_function(p, s, 1), "wl_leaf");
            CHECK_STR(loc_function(p, s, 2), "wl_outer");
        }
    }
    unload(&l);
}

/* perf record --call-graph dwarf: a kernel-mode sample's callchain holds kernel frames only, the
 * user part comes from the registers and stack. When no rule is found for the user ip (no mapping
 * holds it here), the user ip itself must still be a frame below the kernel ones. */
static void test_dwarf_kernel_sample(void)
{
    const uint64_t kchain[] = {PERF_CONTEXT_KERNEL, K1, K2};
    const uint64_t stack[] = {0x5100, 0x5200};
    const struct user_state u = {.ip = 0x5000, .sp = 0x7ffd00001000ULL, .bp = 0x7ffd00002000ULL, .stack = stack,
                                 .nstack = 2};
    struct recs *rs = calloc(1, sizeof(*rs));
    comm(rs, 40, 40, "dwarf", T0);
    sample(rs, true, 40, 40, T0 + 1000, 0, 1000000, kchain, 3, true, &u);
    struct loaded l;
    bool ok = load("dwarf.data", rs, (struct attrs_opts){.user_fields = true}, T0 + 2000, "/dev/null", &l);
    free(rs);
    CHECK(ok);
    if (!ok)
        return;
    CHECK_EQ_U64(l.p->nsamples, 1);
    if (l.p->nsamples == 1) {
        const struct prof_sample *s = &l.p->samples[0];
        CHECK_EQ_U64(s->nlocs, 3);
        if (s->nlocs == 3) {
            CHECK_EQ_U64(loc_address(l.p, s, 0), K1);
            CHECK_EQ_U64(loc_address(l.p, s, 2), 0x5000);
        }
    }
    unload(&l);
}

/* Records lost in the ring buffer (PERF_RECORD_LOST) and samples the PMU dropped
 * (PERF_RECORD_LOST_SAMPLES, e.g. PEBS) are both counted as lost. */
static void test_lost_counts(void)
{
    struct recs *rs = calloc(1, sizeof(*rs));
    build_main(rs, false);
    struct loaded base;
    bool ok = load("lost-base.data", rs, (struct attrs_opts){0}, END, "/dev/null", &base);
    CHECK(ok);
    uint64_t before = ok ? base.info.lost : 0;
    if (ok)
        unload(&base);
    struct rec *r = start(rs, PERF_RECORD_LOST, 0);
    rec_u64(r, CLOCK_ID);
    rec_u64(r, 12);
    trailer(r, 1, 1, T0 + 10, 0);
    rec_end(r);
    r = start(rs, PERF_RECORD_LOST_SAMPLES, 0);
    rec_u64(r, 5);
    trailer(r, 1, 1, T0 + 20, 0);
    rec_end(r);
    struct loaded l;
    ok = load("lost.data", rs, (struct attrs_opts){0}, END, "/dev/null", &l);
    CHECK(ok);
    if (ok) {
        CHECK_EQ_U64(l.info.lost, before + 12 + 5);
        unload(&l);
    }
    free(rs);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hwprof-wall-load-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_wall_main(false, false);
    test_wall_main(true, false);
    test_wall_main(false, true);
    test_cpu_wide();
    test_end_is_last_record();
    test_not_wall();
    test_lost_counts();
    test_user_repair();
    test_dwarf_kernel_sample(); /* last: under UBSan the bug it shows aborts the program */
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_done("test-wall-load");
}
