/*
 * compress.h - streaming compression for stored objects: zstd frames,
 * lz4 frames, or none.  Frames are the standard formats, so the zstd and
 * lz4 command-line tools can read what sgbackup stores.
 */
#ifndef SG_COMPRESS_H
#define SG_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"
#include "config_storage.h"
#include "sg_error.h"

typedef struct sg_compressor sg_compressor;
typedef struct sg_decompressor sg_decompressor;

/* level 0 means the method's fast default (zstd 1, lz4 0) */
extern sg_compressor *sg_compressor_new(sg_compression method, int level,
										sg_error *err);
/*
 * optional, before the first feed: the total number of bytes that will be
 * fed; the frame records it and compression fails if a different amount
 * arrives
 */
extern bool sg_compressor_pledge(sg_compressor *c, int64_t size, sg_error *err);
/* compress len bytes of in, appending output to out */
extern bool sg_compressor_feed(sg_compressor *c, const void *in, size_t len,
							   sg_buf *out, sg_error *err);
/* end the frame, appending the rest to out */
extern bool sg_compressor_finish(sg_compressor *c, sg_buf *out, sg_error *err);
extern void sg_compressor_free(sg_compressor *c);

/*
 * Receives decompressed output a piece at a time (at most
 * SG_DECOMPRESS_PIECE bytes); returns false, with err set, to stop.
 */
#define SG_DECOMPRESS_PIECE (256 * 1024)
typedef bool (*sg_output_fn) (void *arg, const void *data, size_t len,
							  sg_error *err);

/*
 * A decompressor whose output may not pass max_bytes, whatever the ratio:
 * the byte past it is SG_ERR_CORRUPT and never reaches the output
 * function.  Its memory is bounded whatever the input: one piece, the
 * library's state, and for zstd a window of at most max_bytes rounded up
 * to a power of two (at least 8 MiB, at most 128 MiB); a frame asking for
 * more is SG_ERR_CORRUPT.
 */
extern sg_decompressor *sg_decompressor_new(sg_compression method,
											int64_t max_bytes, sg_error *err);
/* decompress len bytes of in, handing the output to fn; corrupt input is SG_ERR_CORRUPT */
extern bool sg_decompressor_feed(sg_decompressor *d, const void *in, size_t len,
								 sg_output_fn fn, void *arg, sg_error *err);
/* true when the frame ended cleanly (no truncated input) */
extern bool sg_decompressor_finish(sg_decompressor *d, sg_error *err);
/* true once a feed failed because the output would pass max_bytes */
extern bool sg_decompressor_over_limit(const sg_decompressor *d);
extern void sg_decompressor_free(sg_decompressor *d);

/* object name suffix: ".zst", ".lz4" or "" */
extern const char *sg_compression_suffix(sg_compression c);

#endif							/* SG_COMPRESS_H */
