/*
 * compress.c - streaming compression and decompression of stored objects
 * (see compress.h): zstd frames through ZSTD_compressStream2 and
 * ZSTD_decompressStream, lz4 frames through the LZ4F API, or a plain copy.
 * Compressed output goes straight into the caller's sg_buf, a piece at a
 * time, so memory stays proportional to the data, not to a worst-case
 * bound.  Decompressed output goes to the caller's function in pieces of a
 * fixed size and stops at the caller's limit, so a small frame that
 * expands to gigabytes (a "bomb") costs no more memory than any other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>
#include <zstd.h>

#include "compress.h"

/* room asked of the output buffer before each library call */
#define OUT_STEP	(256 * 1024)

/* lz4 input is handed over in pieces of this size to bound the output room */
#define LZ4_IN_STEP	(1024 * 1024)

/*
 * zstd frames may ask for a window (memory kept while decoding) of at most
 * the output limit, rounded up to a power of two, within these bounds: 8
 * MiB is what zstd -19 asks for when it does not know the input's size,
 * 128 MiB is libzstd's own default limit.
 */
#define WINDOW_LOG_MIN	23
#define WINDOW_LOG_MAX	27

struct sg_compressor
{
	sg_compression method;
	int			level;
	int64_t		pledged;		/* content size if known, else -1 */
	bool		started;		/* lz4: frame header written */
	ZSTD_CCtx  *zc;
	LZ4F_cctx  *lc;
	LZ4F_preferences_t lprefs;
};

struct sg_decompressor
{
	sg_compression method;
	int64_t		max_bytes;		/* output limit */
	int64_t		total;			/* output handed over so far */
	bool		frame_done;		/* the last frame seen ended cleanly */
	bool		over_limit;		/* the output would have passed max_bytes */
	char	   *piece;			/* output buffer of SG_DECOMPRESS_PIECE bytes */
	ZSTD_DCtx  *zd;
	LZ4F_dctx  *ld;
};

/* free room at the end of out (sg_buf keeps one byte for the NUL) */
static size_t
buf_room(sg_buf *out, size_t want)
{
	sg_buf_reserve(out, want);
	return out->cap - out->len - 1;
}

/* account for n bytes written at the end of out */
static void
buf_grew(sg_buf *out, size_t n)
{
	out->len += n;
	out->data[out->len] = '\0';
}

const char *
sg_compression_suffix(sg_compression c)
{
	switch (c)
	{
		case SG_COMPRESSION_ZSTD:
			return ".zst";
		case SG_COMPRESSION_LZ4:
			return ".lz4";
		case SG_COMPRESSION_NONE:
			break;
	}
	return "";
}

/* ---------------------------------------------------------------- */
/* compression */

static bool
zstd_setup(sg_compressor *c, sg_error *err)
{
	size_t		r;

	c->zc = ZSTD_createCCtx();
	if (c->zc == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
							"could not create zstd compression context");
	r = ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, c->level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(c->zc, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(r))
		return sg_error_set(err, SG_ERR_CONFIG,
							"invalid zstd compression level %d: %s",
							c->level, ZSTD_getErrorName(r));
	return true;
}

static bool
lz4_setup(sg_compressor *c, sg_error *err)
{
	LZ4F_errorCode_t r;

	r = LZ4F_createCompressionContext(&c->lc, LZ4F_VERSION);
	if (LZ4F_isError(r))
		return sg_error_set(err, SG_ERR_INTERNAL,
							"could not create lz4 compression context: %s",
							LZ4F_getErrorName(r));
	memset(&c->lprefs, 0, sizeof(c->lprefs));
	c->lprefs.frameInfo.blockSizeID = LZ4F_max1MB;
	c->lprefs.frameInfo.blockMode = LZ4F_blockLinked;
	c->lprefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	c->lprefs.compressionLevel = c->level;
	return true;
}

sg_compressor *
sg_compressor_new(sg_compression method, int level, sg_error *err)
{
	sg_compressor *c = sg_malloc(sizeof(sg_compressor));
	bool		ok = true;

	memset(c, 0, sizeof(*c));
	c->method = method;
	c->pledged = -1;
	if (method == SG_COMPRESSION_ZSTD)
	{
		c->level = level != 0 ? level : 1;
		ok = zstd_setup(c, err);
	}
	else if (method == SG_COMPRESSION_LZ4)
	{
		c->level = level;
		ok = lz4_setup(c, err);
	}
	else if (method != SG_COMPRESSION_NONE)
		ok = sg_error_set(err, SG_ERR_INTERNAL,
						  "unknown compression method %d", (int) method);
	if (!ok)
	{
		sg_compressor_free(c);
		return NULL;
	}
	return c;
}

/*
 * Tell the compressor how many bytes will be fed in all, before the first
 * feed.  The frame then records the content size, and zstd fails if a
 * different amount arrives.
 */
bool
sg_compressor_pledge(sg_compressor *c, int64_t size, sg_error *err)
{
	if (c->method == SG_COMPRESSION_ZSTD)
	{
		size_t		r = ZSTD_CCtx_setPledgedSrcSize(c->zc, (unsigned long long) size);

		if (ZSTD_isError(r))
			return sg_error_set(err, SG_ERR_INTERNAL,
								"could not set zstd content size: %s",
								ZSTD_getErrorName(r));
	}
	c->pledged = size;
	return true;
}

/* run zstd over in with the given directive until it is all consumed */
static bool
zstd_run(sg_compressor *c, const void *in, size_t len, ZSTD_EndDirective mode,
		 sg_buf *out, sg_error *err)
{
	ZSTD_inBuffer input = {in, len, 0};

	for (;;)
	{
		ZSTD_outBuffer output;
		size_t		r;

		output.size = buf_room(out, OUT_STEP);
		output.dst = out->data + out->len;
		output.pos = 0;
		r = ZSTD_compressStream2(c->zc, &output, &input, mode);
		if (ZSTD_isError(r))
			return sg_error_set(err, SG_ERR_INTERNAL,
								"zstd compression failed: %s",
								ZSTD_getErrorName(r));
		buf_grew(out, output.pos);
		if (mode == ZSTD_e_end ? r == 0 : input.pos == input.size)
			return true;
	}
}

static bool
lz4_begin(sg_compressor *c, sg_buf *out, sg_error *err)
{
	size_t		r;

	if (c->pledged >= 0)
		c->lprefs.frameInfo.contentSize = (unsigned long long) c->pledged;
	r = LZ4F_compressBegin(c->lc, out->data + out->len,
						   buf_room(out, LZ4F_HEADER_SIZE_MAX), &c->lprefs);
	if (LZ4F_isError(r))
		return sg_error_set(err, SG_ERR_INTERNAL,
							"lz4 compression failed: %s", LZ4F_getErrorName(r));
	buf_grew(out, r);
	c->started = true;
	return true;
}

static bool
lz4_feed(sg_compressor *c, const char *in, size_t len, sg_buf *out, sg_error *err)
{
	if (!c->started && !lz4_begin(c, out, err))
		return false;
	while (len > 0)
	{
		size_t		n = len < LZ4_IN_STEP ? len : LZ4_IN_STEP;
		size_t		bound = LZ4F_compressBound(n, &c->lprefs);
		size_t		r;

		r = LZ4F_compressUpdate(c->lc, out->data + out->len,
								buf_room(out, bound), in, n, NULL);
		if (LZ4F_isError(r))
			return sg_error_set(err, SG_ERR_INTERNAL,
								"lz4 compression failed: %s", LZ4F_getErrorName(r));
		buf_grew(out, r);
		in += n;
		len -= n;
	}
	return true;
}

static bool
lz4_finish(sg_compressor *c, sg_buf *out, sg_error *err)
{
	size_t		r;

	if (!c->started && !lz4_begin(c, out, err))
		return false;
	r = LZ4F_compressEnd(c->lc, out->data + out->len,
						 buf_room(out, LZ4F_compressBound(0, &c->lprefs)), NULL);
	if (LZ4F_isError(r))
		return sg_error_set(err, SG_ERR_INTERNAL,
							"lz4 compression failed: %s", LZ4F_getErrorName(r));
	buf_grew(out, r);
	return true;
}

bool
sg_compressor_feed(sg_compressor *c, const void *in, size_t len,
				   sg_buf *out, sg_error *err)
{
	switch (c->method)
	{
		case SG_COMPRESSION_ZSTD:
			return len == 0 || zstd_run(c, in, len, ZSTD_e_continue, out, err);
		case SG_COMPRESSION_LZ4:
			return lz4_feed(c, in, len, out, err);
		case SG_COMPRESSION_NONE:
			sg_buf_append(out, in, len);
			return true;
	}
	return sg_error_set(err, SG_ERR_INTERNAL, "unknown compression method");
}

bool
sg_compressor_finish(sg_compressor *c, sg_buf *out, sg_error *err)
{
	switch (c->method)
	{
		case SG_COMPRESSION_ZSTD:
			return zstd_run(c, NULL, 0, ZSTD_e_end, out, err);
		case SG_COMPRESSION_LZ4:
			return lz4_finish(c, out, err);
		case SG_COMPRESSION_NONE:
			return true;
	}
	return sg_error_set(err, SG_ERR_INTERNAL, "unknown compression method");
}

void
sg_compressor_free(sg_compressor *c)
{
	if (c == NULL)
		return;
	ZSTD_freeCCtx(c->zc);
	if (c->lc)
		LZ4F_freeCompressionContext(c->lc);
	free(c);
}

/* ---------------------------------------------------------------- */
/* decompression */

/* the smallest window log that holds max_bytes, within the bounds above */
static int
window_log(int64_t max_bytes)
{
	int			log = WINDOW_LOG_MIN;

	while (log < WINDOW_LOG_MAX && ((int64_t) 1 << log) < max_bytes)
		log++;
	return log;
}

static bool
zstd_dsetup(sg_decompressor *d, sg_error *err)
{
	size_t		r;

	d->zd = ZSTD_createDCtx();
	if (d->zd == NULL)
		return sg_error_set(err, SG_ERR_INTERNAL,
							"could not create zstd decompression context");
	r = ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax, window_log(d->max_bytes));
	if (ZSTD_isError(r))
		return sg_error_set(err, SG_ERR_INTERNAL,
							"could not limit the zstd window: %s",
							ZSTD_getErrorName(r));
	return true;
}

sg_decompressor *
sg_decompressor_new(sg_compression method, int64_t max_bytes, sg_error *err)
{
	sg_decompressor *d = sg_malloc(sizeof(sg_decompressor));
	bool		ok = true;

	memset(d, 0, sizeof(*d));
	d->method = method;
	d->max_bytes = max_bytes > 0 ? max_bytes : 0;
	if (method == SG_COMPRESSION_ZSTD)
		ok = zstd_dsetup(d, err);
	else if (method == SG_COMPRESSION_LZ4)
	{
		LZ4F_errorCode_t r = LZ4F_createDecompressionContext(&d->ld, LZ4F_VERSION);

		if (LZ4F_isError(r))
			ok = sg_error_set(err, SG_ERR_INTERNAL,
							  "could not create lz4 decompression context: %s",
							  LZ4F_getErrorName(r));
	}
	else if (method != SG_COMPRESSION_NONE)
		ok = sg_error_set(err, SG_ERR_INTERNAL,
						  "unknown compression method %d", (int) method);
	if (!ok)
	{
		sg_decompressor_free(d);
		return NULL;
	}
	if (method != SG_COMPRESSION_NONE)
		d->piece = sg_malloc(SG_DECOMPRESS_PIECE);
	return d;
}

/*
 * Output room for the next library call: one byte more than the limit
 * allows, so that data going on past the limit shows without being kept.
 */
static size_t
piece_room(const sg_decompressor *d)
{
	int64_t		left = d->max_bytes - d->total;

	return left < SG_DECOMPRESS_PIECE ? (size_t) left + 1 : SG_DECOMPRESS_PIECE;
}

/* hand n bytes of output to fn, unless they pass the limit */
static bool
emit(sg_decompressor *d, const void *data, size_t n, sg_output_fn fn,
	 void *arg, sg_error *err)
{
	if (n == 0)
		return true;
	if ((int64_t) n > d->max_bytes - d->total)
	{
		d->over_limit = true;
		return sg_error_set(err, SG_ERR_CORRUPT,
							"%s data decompresses to more than %lld bytes",
							sg_compression_name(d->method), (long long) d->max_bytes);
	}
	d->total += (int64_t) n;
	return fn(arg, data, n, err);
}

/*
 * Both libraries return 0 once a frame is decoded and flushed; only more
 * input goes on from there (another call would start the next frame).
 */
static bool
zstd_decompress(sg_decompressor *d, const void *in, size_t len,
				sg_output_fn fn, void *arg, sg_error *err)
{
	ZSTD_inBuffer input = {in, len, 0};
	ZSTD_outBuffer output;
	size_t		r;

	do
	{
		output.dst = d->piece;
		output.size = piece_room(d);
		output.pos = 0;
		r = ZSTD_decompressStream(d->zd, &output, &input);
		if (ZSTD_isError(r))
			return sg_error_set(err, SG_ERR_CORRUPT,
								"corrupt zstd data: %s", ZSTD_getErrorName(r));
		if (!emit(d, d->piece, output.pos, fn, arg, err))
			return false;
		d->frame_done = (r == 0);
	} while (input.pos < input.size || (r != 0 && output.pos == output.size));
	return true;
}

static bool
lz4_decompress(sg_decompressor *d, const char *in, size_t len,
			   sg_output_fn fn, void *arg, sg_error *err)
{
	size_t		room;
	size_t		produced;
	size_t		r;

	do
	{
		size_t		consumed = len;

		room = piece_room(d);
		produced = room;
		r = LZ4F_decompress(d->ld, d->piece, &produced, in, &consumed, NULL);
		if (LZ4F_isError(r))
			return sg_error_set(err, SG_ERR_CORRUPT,
								"corrupt lz4 data: %s", LZ4F_getErrorName(r));
		if (!emit(d, d->piece, produced, fn, arg, err))
			return false;
		in += consumed;
		len -= consumed;
		d->frame_done = (r == 0);
	} while (len > 0 || (r != 0 && produced == room));
	return true;
}

/* no compression: the input itself, in pieces */
static bool
copy_pieces(sg_decompressor *d, const char *in, size_t len,
			sg_output_fn fn, void *arg, sg_error *err)
{
	while (len > 0)
	{
		size_t		n = len < SG_DECOMPRESS_PIECE ? len : SG_DECOMPRESS_PIECE;

		if (!emit(d, in, n, fn, arg, err))
			return false;
		in += n;
		len -= n;
	}
	return true;
}

bool
sg_decompressor_feed(sg_decompressor *d, const void *in, size_t len,
					 sg_output_fn fn, void *arg, sg_error *err)
{
	if (len == 0)
		return true;
	switch (d->method)
	{
		case SG_COMPRESSION_ZSTD:
			return zstd_decompress(d, in, len, fn, arg, err);
		case SG_COMPRESSION_LZ4:
			return lz4_decompress(d, in, len, fn, arg, err);
		case SG_COMPRESSION_NONE:
			return copy_pieces(d, in, len, fn, arg, err);
	}
	return sg_error_set(err, SG_ERR_INTERNAL, "unknown compression method");
}

bool
sg_decompressor_over_limit(const sg_decompressor *d)
{
	return d->over_limit;
}

bool
sg_decompressor_finish(sg_decompressor *d, sg_error *err)
{
	if (d->method == SG_COMPRESSION_NONE || d->frame_done)
		return true;
	return sg_error_set(err, SG_ERR_CORRUPT, "%s data is truncated",
						d->method == SG_COMPRESSION_ZSTD ? "zstd" : "lz4");
}

void
sg_decompressor_free(sg_decompressor *d)
{
	if (d == NULL)
		return;
	ZSTD_freeDCtx(d->zd);
	if (d->ld)
		LZ4F_freeDecompressionContext(d->ld);
	free(d->piece);
	free(d);
}
