/* test-compress.c - zstd streams: flushed pieces decompress to what was given so far, bounded output, corrupt input is an error. */
#include "check.h"
#include "compress.h"

#include <stdlib.h>
#include <string.h>

/* Pieces collected by the encoder callback. */
struct pieces {
    unsigned char buf[1 << 20];
    size_t len;
    size_t n;
    size_t max_seen;
};

static int collect(void *arg, const void *piece, size_t len, struct hw_err *err)
{
    struct pieces *p = arg;
    if (p->len + len > sizeof(p->buf))
        return hw_errf(err, "test buffer full");
    memcpy(p->buf + p->len, piece, len);
    p->len += len;
    p->n++;
    if (len > p->max_seen)
        p->max_seen = len;
    return 0;
}

static int refuse(void *arg, const void *piece, size_t len, struct hw_err *err)
{
    (void)arg;
    (void)piece;
    (void)len;
    return hw_errf(err, "emit refused");
}

/* Decompresses in[0..n) with output steps of at most step bytes into out (cap bytes). Returns the
 * bytes produced, or -1 on a decoding error. */
static long decode_all(struct comp_decoder *d, const void *in, size_t n, unsigned char *out,
                       size_t cap, size_t step, long *calls)
{
    size_t pos = 0, got = 0;
    struct hw_err err;
    for (;;) {
        size_t room = cap - got < step ? cap - got : step;
        long r = comp_decode(d, in, n, &pos, out + got, room, &err);
        (*calls)++;
        if (r < 0)
            return -1;
        got += (size_t)r;
        if (r == 0 && pos == n)
            return (long)got;
        if (*calls > 100000)
            return -2; /* no progress */
    }
}

/* Records-like input: repetitive, so it compresses. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i % 97) ^ (i / 4096) ^ seed);
}

static void test_roundtrip(void)
{
    static unsigned char src[3][200000], out[700000];
    static struct pieces pc;
    struct comp_encoder *e;
    struct comp_decoder *d;
    struct hw_err err;

    CHECK(comp_encoder_new(&e, COMP_LEVEL_DEFAULT, &err) == 0);
    CHECK(comp_decoder_new(&d, &err) == 0);
    if (!e || !d)
        return;
    size_t offsets[4] = {0};
    for (int k = 0; k < 3; k++) {
        fill(src[k], sizeof(src[k]), (unsigned)k * 31);
        CHECK(comp_encode(e, src[k], sizeof(src[k]), 4000, collect, &pc, &err) == 0);
        offsets[k + 1] = pc.len;
    }
    CHECK(pc.max_seen <= 4000); /* no piece larger than asked */
    CHECK(pc.n >= 3);
    CHECK(pc.len < sizeof(src) / 4); /* it compresses */
    /* after each call, what was given so far decompresses from what was emitted so far */
    long calls = 0;
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        long got = decode_all(d, pc.buf + offsets[k], offsets[k + 1] - offsets[k], out + total,
                              sizeof(out) - total, 65536, &calls);
        CHECK_EQ_U64(got, sizeof(src[k]));
        if (got > 0)
            CHECK(memcmp(out + total, src[k], sizeof(src[k])) == 0);
        total += got > 0 ? (size_t)got : 0;
    }
    CHECK(calls >= 3 * (sizeof(src[0]) / 65536)); /* the output was bounded per call */

    /* an emit that fails stops the encoder with its error */
    CHECK(comp_encode(e, src[0], 1000, 4000, refuse, NULL, &err) == -1);
    CHECK(strstr(err.msg, "emit refused") != NULL);
    comp_encoder_free(e);
    comp_decoder_free(d);
}

static void test_corrupt_and_reset(void)
{
    static unsigned char src[50000], out[60000];
    static struct pieces pc;
    struct comp_encoder *e;
    struct comp_decoder *d;
    struct hw_err err;
    long calls = 0;

    CHECK(comp_encoder_new(&e, 3, &err) == 0);
    CHECK(comp_decoder_new(&d, &err) == 0);
    if (!e || !d)
        return;
    fill(src, sizeof(src), 7);
    CHECK(comp_encode(e, src, sizeof(src), 60000, collect, &pc, &err) == 0);
    unsigned char garbage[64];
    memset(garbage, 0xa5, sizeof(garbage));
    CHECK(decode_all(d, garbage, sizeof(garbage), out, sizeof(out), sizeof(out), &calls) == -1);
    size_t pos = 0;
    CHECK(comp_decode(d, garbage, sizeof(garbage), &pos, out, sizeof(out), &err) == -1);
    CHECK(err.msg[0] != 0 && strchr(err.msg, '\n') == NULL);
    /* after a reset the same decoder reads a stream from its start */
    comp_decoder_reset(d);
    CHECK_EQ_U64(decode_all(d, pc.buf, pc.len, out, sizeof(out), sizeof(out), &calls), sizeof(src));
    CHECK(memcmp(out, src, sizeof(src)) == 0);
    /* a zero-byte output window produces nothing and consumes nothing */
    pos = 0;
    CHECK(comp_decode(d, pc.buf, pc.len, &pos, out, 0, &err) == 0 && pos == 0);
    comp_encoder_free(e);
    comp_decoder_free(d);
}

static void test_levels(void)
{
    struct comp_encoder *e = (struct comp_encoder *)1;
    struct hw_err err;
    CHECK(comp_level_max() >= 19);
    CHECK(comp_encoder_new(&e, 0, &err) == -1 && e == NULL);
    CHECK(strstr(err.msg, "out of range") != NULL);
    CHECK(comp_encoder_new(&e, comp_level_max() + 1, &err) == -1);
    CHECK(comp_encoder_new(&e, comp_level_max(), &err) == 0);
    comp_encoder_free(e);
    comp_encoder_free(NULL);
    comp_decoder_free(NULL);
}

int main(void)
{
    test_roundtrip();
    test_corrupt_and_reset();
    test_levels();
    return check_done("test-compress");
}
