/* compress.h - zstd streams for perf.data's compressed records (perf record -z): an encoder that cuts its output into pieces, a decoder with bounded output. The one user of libzstd. */
#ifndef HWPROF_COMPRESS_H
#define HWPROF_COMPRESS_H

#include <stddef.h>

#include "util.h"

/* Compression levels accepted by comp_encoder_new (zstd's: 1 fastest .. comp_level_max()). */
#define COMP_LEVEL_DEFAULT 1
int comp_level_max(void);

/* One zstd stream of many flushes: the pieces of all comp_encode calls, concatenated, decompress
 * to the inputs concatenated. */
struct comp_encoder;

/* Returns 0 with *out set, or -1 with err (a level out of range, out of memory). */
int comp_encoder_new(struct comp_encoder **out, int level, struct hw_err *err);

/* Called for each piece of compressed output (1..max bytes); returns 0, or -1 with err to stop. */
typedef int (*comp_emit_fn)(void *arg, const void *piece, size_t len, struct hw_err *err);

/* Compresses n bytes and flushes them: once the call returns, every byte given so far can be
 * decompressed from the pieces emitted so far. Pieces are at most max bytes. Returns 0, or -1 with
 * err (a compression error, or emit's). */
int comp_encode(struct comp_encoder *e, const void *src, size_t n, size_t max, comp_emit_fn emit,
                void *arg, struct hw_err *err);

void comp_encoder_free(struct comp_encoder *e);

/* The decoder of one zstd stream fed in pieces. */
struct comp_decoder;

int comp_decoder_new(struct comp_decoder **out, struct hw_err *err);

/* Decompresses from in[*in_pos .. in_len) (advancing *in_pos) into out[0 .. cap). Returns the
 * bytes written (0: it needs more input, or cap is 0), or -1 with err when the data is corrupt
 * (then comp_decoder_reset before feeding it the start of a new stream). */
long comp_decode(struct comp_decoder *d, const void *in, size_t in_len, size_t *in_pos, void *out,
                 size_t cap, struct hw_err *err);

/* Forgets the stream fed so far. Can't fail. */
void comp_decoder_reset(struct comp_decoder *d);

void comp_decoder_free(struct comp_decoder *d);

#endif
