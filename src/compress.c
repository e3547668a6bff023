/* compress.c - zstd streams for perf.data's compressed records: flushed encoder pieces, bounded decoder output (libzstd). */
#include "compress.h"

#include <stdlib.h>
#include <zstd.h>

struct comp_encoder {
    ZSTD_CCtx *cctx;
    unsigned char *piece; /* one piece of output, filled up to its max */
    size_t cap;
};

struct comp_decoder {
    ZSTD_DCtx *dctx;
};

int comp_level_max(void)
{
    return ZSTD_maxCLevel();
}

int comp_encoder_new(struct comp_encoder **out, int level, struct hw_err *err)
{
    *out = NULL;
    if (level < 1 || level > ZSTD_maxCLevel())
        return hw_errf(err, "compression level %d is out of range (1 to %d)", level,
                       ZSTD_maxCLevel());
    struct comp_encoder *e = calloc(1, sizeof(*e));
    if (!e)
        return hw_err_oom(err);
    e->cctx = ZSTD_createCCtx();
    if (!e->cctx) {
        free(e);
        return hw_err_oom(err);
    }
    size_t r = ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_compressionLevel, level);
    if (ZSTD_isError(r)) {
        comp_encoder_free(e);
        return hw_errf(err, "cannot set compression level %d: %s", level, ZSTD_getErrorName(r));
    }
    *out = e;
    return 0;
}

int comp_encode(struct comp_encoder *e, const void *src, size_t n, size_t max, comp_emit_fn emit,
                void *arg, struct hw_err *err)
{
    if (max == 0)
        return hw_errf(err, "internal error: compressed pieces of 0 bytes");
    if (e->cap < max) {
        unsigned char *p = realloc(e->piece, max);
        if (!p)
            return hw_err_oom(err);
        e->piece = p;
        e->cap = max;
    }
    ZSTD_inBuffer in = {src, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {e->piece, max, 0};
        size_t left = ZSTD_compressStream2(e->cctx, &out, &in, ZSTD_e_flush);
        if (ZSTD_isError(left))
            return hw_errf(err, "compression failed: %s", ZSTD_getErrorName(left));
        if (out.pos > 0 && emit(arg, e->piece, out.pos, err) < 0)
            return -1;
        if (left == 0 && in.pos == in.size)
            return 0;
    }
}

void comp_encoder_free(struct comp_encoder *e)
{
    if (!e)
        return;
    ZSTD_freeCCtx(e->cctx);
    free(e->piece);
    free(e);
}

int comp_decoder_new(struct comp_decoder **out, struct hw_err *err)
{
    *out = NULL;
    struct comp_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return hw_err_oom(err);
    d->dctx = ZSTD_createDCtx();
    if (!d->dctx) {
        free(d);
        return hw_err_oom(err);
    }
    *out = d;
    return 0;
}

long comp_decode(struct comp_decoder *d, const void *in, size_t in_len, size_t *in_pos, void *out,
                 size_t cap, struct hw_err *err)
{
    ZSTD_inBuffer ib = {in, in_len, *in_pos};
    ZSTD_outBuffer ob = {out, cap, 0};
    if (cap == 0)
        return 0;
    size_t r = ZSTD_decompressStream(d->dctx, &ob, &ib);
    *in_pos = ib.pos;
    if (ZSTD_isError(r))
        return hw_errf(err, "%s", ZSTD_getErrorName(r));
    return (long)ob.pos;
}

void comp_decoder_reset(struct comp_decoder *d)
{
    ZSTD_DCtx_reset(d->dctx, ZSTD_reset_session_only);
}

void comp_decoder_free(struct comp_decoder *d)
{
    if (!d)
        return;
    ZSTD_freeDCtx(d->dctx);
    free(d);
}
