/* test-decode-wall.c - decode.c on the records of wall-clock recordings: user registers and stack, skipped RAW/branch fields, SWITCH records. */
#include "dectest.h"
#include "perf_regs.h"

#include <stdbool.h>
#include <stdlib.h>

/* hwprof record --wall: hwprof's format plus REGS_USER (bp, sp, ip) and STACK_USER. */
static const uint64_t WALL_ST = REC_ST | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;

static struct dec_format fmt_user(uint64_t st, uint64_t regs_mask, bool hw_index)
{
    struct dec_format f = fmt_of(st, 0, true);
    f.regs_user_mask = regs_mask;
    f.branch_hw_index = hw_index;
    return f;
}

/* The head of a WALL_ST sample up to and including a 2-entry callchain. */
static void rec_wall_head(struct rec *w)
{
    rec_begin(w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL);
    rec_u64(w, 0x55);                  /* identifier */
    rec_u64(w, 0xffffffff81000010ULL); /* ip */
    rec_u32x2(w, 30, 31);
    rec_u64(w, 4000); /* time */
    rec_u32x2(w, 1, 0);
    rec_u64(w, 1); /* period */
    rec_u64(w, 2); /* callchain */
    rec_u64(w, (uint64_t)PERF_CONTEXT_KERNEL);
    rec_u64(w, 0xffffffff81000010ULL);
}

/* REGS_USER in mask bit order and STACK_USER (size, bytes, dyn_size): the stack points into the
 * record, its size is the dynamic size; every strict prefix is an error. */
static void test_user_regs_stack(void)
{
    struct dec_format f = fmt_user(WALL_ST, PERF_REGS_UNWIND_MASK, false);
    struct rec w;
    rec_wall_head(&w);
    rec_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    rec_u64(&w, 0x7ffd0040); /* bit 6: bp */
    rec_u64(&w, 0x7ffd0000); /* bit 7: sp */
    rec_u64(&w, 0x401000);   /* bit 8: ip */
    rec_u64(&w, 64);         /* stack size */
    size_t stack_off = w.len;
    for (uint64_t i = 0; i < 8; i++)
        rec_u64(&w, 0x1000 + i);
    rec_u64(&w, 40); /* dyn_size: only 40 bytes were valid */
    size_t full = rec_end(&w);

    struct dec_sample *s = malloc(sizeof(*s));
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_callchain, 2);
    CHECK_EQ_U64(s->period, 1);
    CHECK_EQ_U64(s->user_abi, PERF_SAMPLE_REGS_ABI_64);
    CHECK_EQ_U64(s->nr_user_regs, 3);
    CHECK_EQ_U64(s->user_regs[0], 0x7ffd0040);
    CHECK_EQ_U64(s->user_regs[2], 0x401000);
    uint64_t bp = 0, sp = 0, ip = 0;
    CHECK_EQ_U64(perf_regs_get(f.regs_user_mask, s->user_regs, s->nr_user_regs, PERF_REGS_BP, &bp),
                 0);
    CHECK_EQ_U64(perf_regs_get(f.regs_user_mask, s->user_regs, s->nr_user_regs, PERF_REGS_SP, &sp),
                 0);
    CHECK_EQ_U64(perf_regs_get(f.regs_user_mask, s->user_regs, s->nr_user_regs, PERF_REGS_IP, &ip),
                 0);
    CHECK_EQ_U64(bp, 0x7ffd0040);
    CHECK_EQ_U64(sp, 0x7ffd0000);
    CHECK_EQ_U64(ip, 0x401000);
    CHECK(s->user_stack == w.b + stack_off);
    CHECK_EQ_U64(s->user_stack_size, 40);
    uint64_t word;
    memcpy(&word, s->user_stack + 32, 8);
    CHECK_EQ_U64(word, 0x1004);
    check_sample_truncations(&f, &w, full);

    /* dyn_size larger than the copy (corrupt): clamped to the bytes that are there. */
    memcpy(w.b + full - 8, &(uint64_t){1000}, 8);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_stack_size, 64);

    /* A kernel thread: ABI 0 and no registers, stack size 0 and no data nor dyn_size. */
    rec_wall_head(&w);
    rec_u64(&w, PERF_SAMPLE_REGS_ABI_NONE);
    rec_u64(&w, 0);
    full = rec_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_abi, 0);
    CHECK_EQ_U64(s->nr_user_regs, 0);
    CHECK(s->user_stack == NULL);
    CHECK_EQ_U64(s->user_stack_size, 0);
    check_sample_truncations(&f, &w, full);

    /* Another mask: registers come in ascending bit order whatever their meaning. */
    uint64_t mask = (1ULL << 0) | (1ULL << PERF_REGS_SP) | (1ULL << 20) | (1ULL << 63);
    f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_REGS_USER, mask, false);
    rec_begin(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    rec_u64(&w, 0x401000);
    rec_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    for (uint64_t i = 0; i < 4; i++)
        rec_u64(&w, 100 + i);
    full = rec_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_user_regs, 4);
    CHECK(perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_SP, &sp) == 0 && sp == 101);
    CHECK(perf_regs_get(mask, s->user_regs, s->nr_user_regs, 63, &sp) == 0 && sp == 103);
    CHECK(perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_BP, &sp) == -1);
    check_sample_truncations(&f, &w, full);

    /* The decoded user state does not leak into the next sample without it. */
    struct dec_format plain = fmt_of(PERF_SAMPLE_IP, 0, false);
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 1);
    full = rec_end(&w);
    CHECK_EQ_U64(dec_sample(&plain, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_abi, 0);
    CHECK_EQ_U64(s->nr_user_regs, 0);
    CHECK(s->user_stack == NULL);
    CHECK_EQ_U64(s->user_stack_size, 0);
    free(s);
}

/* RAW and BRANCH_STACK (with and without hw_idx) come between CALLCHAIN and REGS_USER: they are
 * skipped by their sizes, so the registers and stack after them decode right. */
static void test_raw_branch_skip(void)
{
    uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW |
                  PERF_SAMPLE_BRANCH_STACK | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
    struct dec_sample *s = malloc(sizeof(*s));
    for (int hw_index = 0; hw_index <= 1; hw_index++) {
        struct dec_format f = fmt_user(st, PERF_REGS_UNWIND_MASK, hw_index);
        struct rec w;
        rec_begin(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
        rec_u64(&w, 0x401000);
        rec_u64(&w, 1); /* callchain */
        rec_u64(&w, 0x401000);
        rec_u32(&w, 12); /* raw: size, then 12 bytes (size + 4 is a multiple of 8) */
        for (int i = 0; i < 12; i++)
            rec_u8(&w, 0xc0);
        rec_u64(&w, 2); /* branch stack nr */
        if (hw_index)
            rec_u64(&w, 1);
        for (int i = 0; i < 6; i++) /* 2 x {from, to, flags} */
            rec_u64(&w, 0xb0000 + (uint64_t)i);
        rec_u64(&w, PERF_SAMPLE_REGS_ABI_64);
        rec_u64(&w, 0xb9);
        rec_u64(&w, 0x5b);
        rec_u64(&w, 0x19);
        rec_u64(&w, 16); /* stack */
        size_t stack_off = w.len;
        rec_u64(&w, 0xaaaa);
        rec_u64(&w, 0xbbbb);
        rec_u64(&w, 16);
        size_t full = rec_end(&w);

        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
        CHECK_EQ_U64(s->nr_callchain, 1);
        CHECK_EQ_U64(s->nr_user_regs, 3);
        CHECK_EQ_U64(s->user_regs[0], 0xb9);
        CHECK_EQ_U64(s->user_regs[1], 0x5b);
        CHECK_EQ_U64(s->user_regs[2], 0x19);
        CHECK(s->user_stack == w.b + stack_off);
        CHECK_EQ_U64(s->user_stack_size, 16);
        check_sample_truncations(&f, &w, full);

        /* The same bytes read with the other hw_idx setting land elsewhere: the flag matters. */
        struct dec_format other = fmt_user(st, PERF_REGS_UNWIND_MASK, !hw_index);
        int rc = dec_sample(&other, w.b, full, s, &err);
        CHECK(rc == -1 || s->user_regs[0] != 0xb9);
    }

    /* RAW alone, with an empty payload and size 4 (the kernel's smallest). */
    struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER,
                                   1ULL << PERF_REGS_IP, false);
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 1);
    rec_u32(&w, 4);
    rec_u32(&w, 0xdddd);
    rec_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    rec_u64(&w, 0x777);
    size_t full = rec_end(&w);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_user_regs, 1);
    CHECK_EQ_U64(s->user_regs[0], 0x777);
    check_sample_truncations(&f, &w, full);

    /* Fields after STACK_USER (WEIGHT here) are ignored, not an error. */
    f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_STACK_USER | PERF_SAMPLE_WEIGHT, 0, false);
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 1);
    rec_u64(&w, 8);
    rec_u64(&w, 0x1234);
    rec_u64(&w, 8);
    rec_u64(&w, 99); /* weight */
    full = rec_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_stack_size, 8);
    free(s);
}

/* Sizes and counts larger than the record (some overflowing when multiplied) are errors with one
 * line, never reads past len. */
static void test_user_hostile(void)
{
    struct dec_sample *s = malloc(sizeof(*s));
    const uint64_t huge[] = {UINT64_MAX, 1ULL << 63, (1ULL << 61) + 1, 1ULL << 32, 3};

    /* RAW size past the end */
    const uint32_t raw_sizes[] = {UINT32_MAX, 1U << 31, 20};
    for (size_t i = 0; i < HW_ARRAY_SIZE(raw_sizes); i++) {
        struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_RAW, 0, false);
        struct rec w;
        rec_begin(&w, PERF_RECORD_SAMPLE, 0);
        rec_u64(&w, 1);
        rec_u32(&w, raw_sizes[i]);
        rec_u32(&w, 0);
        rec_u64(&w, 0); /* 12 bytes after the size */
        size_t full = rec_end(&w);
        void *p = dup_n(w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        free(p);
    }
    /* branch stack entries past the end (24 bytes each) */
    for (size_t i = 0; i < HW_ARRAY_SIZE(huge); i++) {
        for (int hw_index = 0; hw_index <= 1; hw_index++) {
            struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_BRANCH_STACK, 0, hw_index);
            struct rec w;
            rec_begin(&w, PERF_RECORD_SAMPLE, 0);
            rec_u64(&w, 1);
            rec_u64(&w, huge[i]);
            for (int k = 0; k < 6; k++) /* 48 bytes: 2 entries, or hw_idx + 1 entry and change */
                rec_u64(&w, 0);
            size_t full = rec_end(&w);
            void *p = dup_n(w.b, full);
            struct hw_err err = {{0}};
            CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
            CHECK(one_line(&err));
            free(p);
        }
    }
    /* user stack size past the end */
    for (size_t i = 0; i < HW_ARRAY_SIZE(huge); i++) {
        struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_STACK_USER, 0, false);
        struct rec w;
        rec_begin(&w, PERF_RECORD_SAMPLE, 0);
        rec_u64(&w, 1);
        rec_u64(&w, huge[i] == 3 ? 24 : huge[i]); /* 3: the bytes are there but not dyn_size */
        rec_u64(&w, 0);
        rec_u64(&w, 0);
        rec_u64(&w, 0);
        size_t full = rec_end(&w);
        void *p = dup_n(w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        free(p);
    }
    /* a full 64-register mask: 64 registers decode when present, fewer bytes are an error */
    struct dec_format f = fmt_user(PERF_SAMPLE_REGS_USER, UINT64_MAX, false);
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    for (uint64_t i = 0; i < 64; i++)
        rec_u64(&w, i * 11);
    size_t full = rec_end(&w);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_user_regs, DEC_MAX_REGS);
    CHECK_EQ_U64(s->user_regs[63], 63 * 11);
    check_sample_truncations(&f, &w, full);
    free(s);
}

static void test_switch(void)
{
    for (size_t fi = 0; fi <= HW_ARRAY_SIZE(trailer_formats); fi++) {
        bool id_all = fi < HW_ARRAY_SIZE(trailer_formats);
        struct dec_format f = fmt_of(id_all ? trailer_formats[fi].st : REC_ST, 0, id_all);
        const struct {
            uint16_t misc;
            bool out, preempt;
        } cases[] = {
            {0, false, false},
            {PERF_RECORD_MISC_SWITCH_OUT, true, false},
            {PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_SWITCH_OUT_PREEMPT, true, true},
            {PERF_RECORD_MISC_SWITCH_OUT_PREEMPT, false,
             false}, /* preempt means nothing on a switch-in */
            {PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_USER, true, false},
        };
        for (size_t ci = 0; ci < HW_ARRAY_SIZE(cases); ci++) {
            /* SWITCH: no body, the trailer names the task */
            struct rec w;
            rec_begin(&w, PERF_RECORD_SWITCH, cases[ci].misc);
            rec_trailer_of(&w, &f);
            size_t full = rec_end(&w);
            struct dec_switch sw;
            struct hw_err err = {{0}};
            CHECK_EQ_U64(dec_switch(w.b, full, &sw, &err), 0);
            CHECK(sw.out == cases[ci].out);
            CHECK(sw.preempt == cases[ci].preempt);
            CHECK(!sw.cpu_wide);
            CHECK_EQ_U64(sw.next_prev_pid, 0);
            if (id_all)
                check_trailer(&f, &w, full);
            int bad = 0;
            for (size_t len = 0; len < full; len++) {
                void *p = dup_n(w.b, len);
                memset(&err, 0, sizeof(err));
                int rc = dec_switch(p, len, &sw, &err);
                if (len >= 8 ? rc != 0 || sw.out != cases[ci].out : rc != -1 || !one_line(&err))
                    bad++;
                free(p);
            }
            CHECK_EQ_U64(bad, 0);

            /* SWITCH_CPU_WIDE: next_prev_pid/tid, then the trailer */
            rec_begin(&w, PERF_RECORD_SWITCH_CPU_WIDE, cases[ci].misc);
            rec_u32x2(&w, 700, 701);
            rec_trailer_of(&w, &f);
            full = rec_end(&w);
            CHECK_EQ_U64(dec_switch(w.b, full, &sw, &err), 0);
            CHECK(sw.out == cases[ci].out);
            CHECK(sw.preempt == cases[ci].preempt);
            CHECK(sw.cpu_wide);
            CHECK_EQ_U64(sw.next_prev_pid, 700);
            CHECK_EQ_U64(sw.next_prev_tid, 701);
            if (id_all)
                check_trailer(&f, &w, full);
            bad = 0;
            for (size_t len = 0; len < full; len++) {
                void *p = dup_n(w.b, len);
                memset(&err, 0, sizeof(err));
                int rc = dec_switch(p, len, &sw, &err);
                if (len >= 16 ? rc != 0 || sw.next_prev_tid != 701 : rc != -1 || !one_line(&err))
                    bad++;
                free(p);
            }
            CHECK_EQ_U64(bad, 0);
        }
    }
    /* Other types are refused, and a switch record is not a sample. */
    struct rec w;
    rec_begin(&w, PERF_RECORD_EXIT, 0);
    rec_u32x2(&w, 1, 1);
    rec_u32x2(&w, 1, 1);
    rec_u64(&w, 1);
    size_t full = rec_end(&w);
    struct dec_switch sw;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_switch(w.b, full, &sw, &err), (uint64_t)-1);
    CHECK(one_line(&err));
    CHECK(strstr(err.msg, "EXIT") != NULL);
    rec_begin(&w, PERF_RECORD_SWITCH, PERF_RECORD_MISC_SWITCH_OUT);
    full = rec_end(&w);
    struct dec_sample *s = malloc(sizeof(*s));
    struct dec_format f = fmt_of(REC_ST, 0, false);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), (uint64_t)-1);
    CHECK(one_line(&err));
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_task(w.b, full, &(struct dec_task){0}, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "SWITCH") != NULL);
    free(s);
}

/* The user-register mask and the branch hw_idx flag come from the attr. */
static void test_format_from_attr_user(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.sample_type = WALL_ST;
    attr.sample_regs_user = PERF_REGS_UNWIND_MASK;
    attr.sample_stack_user = 512;
    struct dec_format f;
    memset(&f, 0xff, sizeof(f));
    dec_format_from_attr(&f, &attr);
    CHECK_EQ_U64(f.sample_type, WALL_ST);
    CHECK_EQ_U64(f.regs_user_mask, PERF_REGS_UNWIND_MASK);
    CHECK(!f.branch_hw_index);
    attr.branch_sample_type = PERF_SAMPLE_BRANCH_ANY | PERF_SAMPLE_BRANCH_HW_INDEX;
    dec_format_from_attr(&f, &attr);
    CHECK(f.branch_hw_index);
    attr.branch_sample_type = PERF_SAMPLE_BRANCH_ANY;
    dec_format_from_attr(&f, &attr);
    CHECK(!f.branch_hw_index);
}

/* Random bytes under random formats that include the fields after CALLCHAIN, random register masks
 * and hw_idx: 0 or -1, never an over-read, and what a sample points at lies within the record. */
static void test_fuzz_user(void)
{
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    const uint64_t tail =
        PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
    struct dec_sample *s = malloc(sizeof(*s));
    int bad = 0, ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint64_t st =
            (xorshift(&rng) & (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_CALLCHAIN)) |
            (xorshift(&rng) & tail);
        uint64_t mask = xorshift(&rng);
        if (iter % 2)
            mask &= 0x1ff; /* few registers, so some records are long enough */
        struct dec_format f = fmt_user(st, mask, xorshift(&rng) & 1);
        size_t len = xorshift(&rng) % 300;
        unsigned char *p = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = xorshift(&rng);
            p[i] = (r & 3) ? (uint8_t)(r >> 8) % 4 : (uint8_t)(r >> 8);
        }
        if (len >= 8) {
            uint32_t t = (xorshift(&rng) & 7) ? PERF_RECORD_SAMPLE : PERF_RECORD_SWITCH;
            memcpy(p, &t, 4);
        }
        struct hw_err err;
        int rc = dec_sample(&f, p, len, s, &err);
        if (rc == 0) {
            ok++;
            if (s->nr_user_regs > DEC_MAX_REGS)
                bad++;
            if (s->user_stack &&
                (s->user_stack < p || s->user_stack + s->user_stack_size > p + len))
                bad++;
            if (!s->user_stack && s->user_stack_size)
                bad++;
        }
        struct dec_switch sw;
        if (dec_switch(p, len, &sw, &err) > 0)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(ok > 100); /* the random records do decode sometimes */
    free(s);
}

int main(void)
{
    test_user_regs_stack();
    test_raw_branch_skip();
    test_user_hostile();
    test_switch();
    test_format_from_attr_user();
    test_fuzz_user();
    return check_done("test-decode-wall");
}
