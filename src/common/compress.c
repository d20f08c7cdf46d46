/*
 * compress.c - streaming compression and decompression of stored objects
 * (see compress.h): zstd frames through ZSTD_compressStream2 and
 * ZSTD_decompressStream, lz4 frames through the LZ4F API, or a plain copy.
 * Output goes straight into the caller's sg_buf, a piece at a time, so
 * memory stays proportional to the data, not to a worst-case bound.
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
	bool		frame_done;		/* the last frame seen ended cleanly */
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

sg_decompressor *
sg_decompressor_new(sg_compression method, sg_error *err)
{
	sg_decompressor *d = sg_malloc(sizeof(sg_decompressor));
	bool		ok = true;

	memset(d, 0, sizeof(*d));
	d->method = method;
	if (method == SG_COMPRESSION_ZSTD)
	{
		d->zd = ZSTD_createDCtx();
		if (d->zd == NULL)
			ok = sg_error_set(err, SG_ERR_INTERNAL,
							  "could not create zstd decompression context");
	}
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
	return d;
}

static bool
zstd_decompress(sg_decompressor *d, const void *in, size_t len,
				sg_buf *out, sg_error *err)
{
	ZSTD_inBuffer input = {in, len, 0};
	ZSTD_outBuffer output;

	do
	{
		size_t		r;

		output.size = buf_room(out, OUT_STEP);
		output.dst = out->data + out->len;
		output.pos = 0;
		r = ZSTD_decompressStream(d->zd, &output, &input);
		if (ZSTD_isError(r))
			return sg_error_set(err, SG_ERR_CORRUPT,
								"corrupt zstd data: %s", ZSTD_getErrorName(r));
		buf_grew(out, output.pos);
		d->frame_done = (r == 0);
	} while (input.pos < input.size || output.pos == output.size);
	return true;
}

static bool
lz4_decompress(sg_decompressor *d, const char *in, size_t len,
			   sg_buf *out, sg_error *err)
{
	size_t		room;
	size_t		produced;

	do
	{
		size_t		consumed = len;
		size_t		r;

		room = buf_room(out, OUT_STEP);
		produced = room;
		r = LZ4F_decompress(d->ld, out->data + out->len, &produced,
							in, &consumed, NULL);
		if (LZ4F_isError(r))
			return sg_error_set(err, SG_ERR_CORRUPT,
								"corrupt lz4 data: %s", LZ4F_getErrorName(r));
		buf_grew(out, produced);
		in += consumed;
		len -= consumed;
		d->frame_done = (r == 0);
	} while (len > 0 || produced == room);
	return true;
}

bool
sg_decompressor_feed(sg_decompressor *d, const void *in, size_t len,
					 sg_buf *out, sg_error *err)
{
	if (len == 0)
		return true;
	switch (d->method)
	{
		case SG_COMPRESSION_ZSTD:
			return zstd_decompress(d, in, len, out, err);
		case SG_COMPRESSION_LZ4:
			return lz4_decompress(d, in, len, out, err);
		case SG_COMPRESSION_NONE:
			sg_buf_append(out, in, len);
			return true;
	}
	return sg_error_set(err, SG_ERR_INTERNAL, "unknown compression method");
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
	free(d);
}
