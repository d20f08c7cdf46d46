/*
 * test_compress.c - unit tests for compress.c: round trips for zstd, lz4
 * and none on empty, small and 16 MB WAL-like inputs fed in odd-sized
 * pieces; output one byte past the limit refused; corrupt and truncated
 * input rejected; decompression bombs (4 GiB of zeros as zstd -19 and lz4
 * frames) stopped at the limit in little memory (measured in a child
 * process); frames readable by the zstd and lz4 command-line tools (and
 * theirs by us).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "compress.h"
#include "unit.h"
#include "unit_bomb.h"

#define WAL_SIZE (16 * 1024 * 1024)
#define BOMB_MAX_RSS_KB (32 * 1024) /* memory allowed to stop one */

static const sg_compression methods[] = {
	SG_COMPRESSION_ZSTD, SG_COMPRESSION_LZ4, SG_COMPRESSION_NONE
};
static const char *const method_names[] = {"zstd", "lz4", "none"};

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rng(void)
{
	return unit_rng(&rng_state);
}

/* 8 kB pages: some all zeros, some random, some repetitive text, some half full */
static char *
make_wal(size_t size)
{
	char	   *p = malloc(size);

	for (size_t off = 0; off < size; off += 8192)
	{
		size_t		n = size - off < 8192 ? size - off : 8192;
		int			kind = (int) (rng() % 4);

		memset(p + off, 0, n);
		for (size_t i = 0; i < n; i++)
		{
			if (kind == 1 || (kind == 3 && i < n / 2))
				p[off + i] = (char) rng();
			else if (kind == 2)
				p[off + i] = "INSERT INTO t VALUES (42, 'abc');"[i % 33];
		}
	}
	return p;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* compress in pieces of step bytes (0: all at once) */
static bool
compress_all(sg_compression m, int level, const char *in, size_t len,
			 size_t step, sg_buf *out, sg_error *err)
{
	sg_compressor *c = sg_compressor_new(m, level, err);
	bool		ok = c != NULL;

	for (size_t pos = 0; ok && pos < len;)
	{
		size_t		n = step == 0 || len - pos < step ? len - pos : step;

		ok = sg_compressor_feed(c, in + pos, n, out, err);
		pos += n;
	}
	ok = ok && sg_compressor_finish(c, out, err);
	sg_compressor_free(c);
	return ok;
}

/* sg_output_fn: append to an sg_buf */
static bool
append_out(void *arg, const void *data, size_t len, sg_error *err)
{
	sg_buf_append(arg, data, len);
	return true;
}

/* decompress in pieces of step bytes (0: all at once), output at most max */
static bool
decompress_max(sg_compression m, const char *in, size_t len, size_t step,
			   int64_t max, sg_buf *out, sg_error *err)
{
	sg_decompressor *d = sg_decompressor_new(m, max, err);
	bool		ok = d != NULL;

	for (size_t pos = 0; ok && pos < len;)
	{
		size_t		n = step == 0 || len - pos < step ? len - pos : step;

		ok = sg_decompressor_feed(d, in + pos, n, append_out, out, err);
		pos += n;
	}
	ok = ok && sg_decompressor_finish(d, err);
	sg_decompressor_free(d);
	return ok;
}

/* the same with a limit no test reaches */
static bool
decompress_all(sg_compression m, const char *in, size_t len, size_t step,
			   sg_buf *out, sg_error *err)
{
	return decompress_max(m, in, len, step, (int64_t) 1 << 40, out, err);
}

static void
round_trip(int mi, const char *what, const char *data, size_t len,
		   size_t cstep, size_t dstep)
{
	sg_compression m = methods[mi];
	sg_buf		z,
				back;
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	sg_buf_init(&z);
	sg_buf_init(&back);
	ok = compress_all(m, 0, data, len, cstep, &z, &err);
	UNIT_OK(ok, "%s: compress %s (%zu bytes, pieces of %zu)%s%s",
			method_names[mi], what, len, cstep, ok ? "" : ": ", ok ? "" : err.msg);
	ok = ok && decompress_max(m, z.data, z.len, dstep, (int64_t) len, &back, &err);
	UNIT_OK(ok && back.len == len && memcmp(back.data, data, len) == 0,
			"%s: %s decompresses to the original, its size the limit (%zu -> %zu bytes)%s%s",
			method_names[mi], what, len, z.len, ok ? "" : ": ", ok ? "" : err.msg);
	if (len > 0)
	{
		sg_buf_reset(&back);
		sg_error_clear(&err);
		ok = decompress_max(m, z.data, z.len, dstep, (int64_t) len - 1, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT && back.len <= len - 1,
				"%s: %s with a limit one byte short is refused, %zu bytes handed over (%s)",
				method_names[mi], what, back.len, err.msg);
	}
	sg_buf_free(&z);
	sg_buf_free(&back);
}

static void
test_round_trips(const char *wal)
{
	const char *small = "hello, world\n";

	for (int mi = 0; mi < 3; mi++)
	{
		round_trip(mi, "empty input", "", 0, 0, 0);
		round_trip(mi, "small input", small, strlen(small), 0, 1);
		/* output ending exactly where an output piece or buffer ends */
		round_trip(mi, "one output piece", wal, SG_DECOMPRESS_PIECE, 0, 0);
		round_trip(mi, "512 kB less a byte", wal, 524287, 0, 0);
		round_trip(mi, "16 MB WAL", wal, WAL_SIZE, 0, 0);
		round_trip(mi, "16 MB WAL in odd pieces", wal, WAL_SIZE, 7777, 3001);
		round_trip(mi, "16 MB WAL in 1 MB pieces", wal, WAL_SIZE, 1 << 20, 65536);
	}
}

/* damaged frames: a flipped byte, garbage, truncation */
static void
test_damage(const char *wal)
{
	for (int mi = 0; mi < 2; mi++)
	{
		sg_compression m = methods[mi];
		sg_buf		z,
					back;
		sg_error	err;
		bool		ok;

		sg_error_clear(&err);
		sg_buf_init(&z);
		sg_buf_init(&back);
		compress_all(m, 0, wal, 1 << 20, 0, &z, &err);

		z.data[z.len / 2] ^= 0x55;
		ok = decompress_all(m, z.data, z.len, 4096, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT,
				"%s: a flipped byte is rejected as corrupt (%s)", method_names[mi], err.msg);
		z.data[z.len / 2] ^= 0x55;

		sg_buf_reset(&back);
		sg_error_clear(&err);
		ok = decompress_all(m, z.data, z.len - 7, 4096, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT,
				"%s: truncated input is rejected (%s)", method_names[mi], err.msg);

		sg_buf_reset(&back);
		sg_error_clear(&err);
		ok = decompress_all(m, z.data, 3, 0, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT,
				"%s: a frame cut inside its header is rejected (%s)", method_names[mi], err.msg);

		sg_buf_reset(&back);
		sg_error_clear(&err);
		ok = decompress_all(m, "", 0, 0, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT,
				"%s: empty input is not a frame (%s)", method_names[mi], err.msg);

		sg_buf_reset(&back);
		sg_error_clear(&err);
		ok = decompress_all(m, "this is not compressed data", 27, 0, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT,
				"%s: garbage is rejected as corrupt (%s)", method_names[mi], err.msg);

		sg_buf_reset(&back);
		sg_error_clear(&err);
		sg_buf_append(&z, "junk", 4);
		ok = decompress_all(m, z.data, z.len, 0, &back, &err);
		UNIT_OK(!ok && err.kind == SG_ERR_CORRUPT,
				"%s: trailing garbage is rejected (%s)", method_names[mi], err.msg);

		sg_buf_free(&z);
		sg_buf_free(&back);
	}
}

/* a pledged size that does not match what is fed fails */
static void
test_pledge(const char *wal)
{
	for (int mi = 0; mi < 2; mi++)
	{
		sg_error	err;
		sg_buf		z,
					back;
		sg_compressor *c = sg_compressor_new(methods[mi], 0, &err);
		bool		ok;

		sg_buf_init(&z);
		sg_buf_init(&back);
		ok = sg_compressor_pledge(c, 100000, &err) &&
			sg_compressor_feed(c, wal, 100000, &z, &err) &&
			sg_compressor_finish(c, &z, &err);
		sg_compressor_free(c);
		ok = ok && decompress_all(methods[mi], z.data, z.len, 0, &back, &err);
		UNIT_OK(ok && back.len == 100000 && memcmp(back.data, wal, 100000) == 0,
				"%s: pledged size round trip", method_names[mi]);

		sg_buf_reset(&z);
		c = sg_compressor_new(methods[mi], 0, &err);
		ok = sg_compressor_pledge(c, 100000, &err) &&
			sg_compressor_feed(c, wal, 99999, &z, &err) &&
			sg_compressor_finish(c, &z, &err);
		sg_compressor_free(c);
		UNIT_OK(!ok, "%s: fewer bytes than pledged fail (%s)", method_names[mi], err.msg);
		sg_buf_free(&z);
		sg_buf_free(&back);
	}
}

/* ---------------------------------------------------------------- */
/* decompression bombs */

/* sg_output_fn: count, keep nothing */
static bool
count_out(void *arg, const void *data, size_t len, sg_error *err)
{
	*(int64_t *) arg += (int64_t) len;
	return true;
}

/* a bomb to decompress, and what decompressing it did */
typedef struct bomb_call
{
	sg_compression method;
	const sg_buf *bomb;
	int64_t		limit;
} bomb_call;

typedef struct bomb_run
{
	bool		ok;				/* feed and finish succeeded */
	bool		over_limit;
	sg_error	err;
	int64_t		handed;			/* bytes handed to the output function */
	long		growth_kb;		/* peak resident memory above the start */
} bomb_run;

/* for unit_in_child: feed the whole bomb at once */
static void
decompress_bomb(void *arg, void *result)
{
	bomb_call  *call = arg;
	bomb_run   *run = result;
	long		before = unit_peak_rss_kb();
	sg_decompressor *d = sg_decompressor_new(call->method, call->limit, &run->err);

	run->ok = d != NULL &&
		sg_decompressor_feed(d, call->bomb->data, call->bomb->len, count_out,
							 &run->handed, &run->err) &&
		sg_decompressor_finish(d, &run->err);
	run->over_limit = d != NULL && sg_decompressor_over_limit(d);
	sg_decompressor_free(d);
	run->growth_kb = unit_peak_rss_kb() - before;
}

/* 4 GiB of zeros, fed all at once with a 16 MiB limit: stops at the limit */
static void
test_bomb(int mi, int level)
{
	sg_buf		bomb;
	bomb_call	call = {methods[mi], &bomb, WAL_SIZE};
	bomb_run	run;
	bool		ran;

	sg_buf_init(&bomb);
	UNIT_OK(unit_make_bomb(methods[mi], level, &bomb),
			"%s: 4 GiB of zeros compress to %zu bytes at level %d",
			method_names[mi], bomb.len, level);
	ran = unit_in_child(decompress_bomb, &call, &run, sizeof(run));
	UNIT_OK(ran && !run.ok && run.err.kind == SG_ERR_CORRUPT && run.over_limit,
			"%s: the bomb is refused as corrupt at the limit (%s)", method_names[mi], run.err.msg);
	UNIT_OK(ran && run.handed == WAL_SIZE,
			"%s: exactly the limit, %lld bytes, is handed over before it stops",
			method_names[mi], (long long) run.handed);
	UNIT_OK(ran && run.growth_kb < BOMB_MAX_RSS_KB,
			"%s: stopping the bomb takes %ld kB of memory at the peak (limit %d kB)",
			method_names[mi], run.growth_kb, BOMB_MAX_RSS_KB);
	printf("# %s bomb of %zu bytes: peak memory %ld kB while decompressing\n",
		   method_names[mi], bomb.len, run.growth_kb);
	sg_buf_free(&bomb);
}

/*
 * 1 MiB of wal as a zstd frame that does not record its size and asks for
 * a 32 MiB window, as a stream compressed with --long=25 would
 */
static size_t
wide_window_frame(const char *wal, char *frame, size_t cap)
{
	ZSTD_CCtx  *zc = ZSTD_createCCtx();
	ZSTD_inBuffer in = {wal, 1 << 20, 0};
	ZSTD_outBuffer out = {frame, cap, 0};
	size_t		r;

	ZSTD_CCtx_setParameter(zc, ZSTD_c_windowLog, 25);
	r = ZSTD_compressStream2(zc, &out, &in, ZSTD_e_continue);
	while (!ZSTD_isError(r) && (r = ZSTD_compressStream2(zc, &out, &in, ZSTD_e_end)) > 0 &&
		   !ZSTD_isError(r))
		;
	ZSTD_freeCCtx(zc);
	return ZSTD_isError(r) ? 0 : out.pos;
}

/* the window a zstd frame asks for is bounded by the limit */
static void
test_window(const char *wal)
{
	size_t		cap = ZSTD_compressBound(1 << 20);
	char	   *frame = malloc(cap);
	size_t		n = wide_window_frame(wal, frame, cap);
	sg_buf		back;
	sg_error	err;
	bool		ok;

	sg_buf_init(&back);
	sg_error_clear(&err);
	ok = n > 0 && decompress_max(SG_COMPRESSION_ZSTD, frame, n, 0, 1 << 20, &back, &err);
	UNIT_OK(n > 0 && !ok && err.kind == SG_ERR_CORRUPT,
			"zstd: a frame asking for a 32 MiB window is refused under a 1 MiB limit (%s)", err.msg);
	sg_buf_reset(&back);
	ok = n > 0 && decompress_max(SG_COMPRESSION_ZSTD, frame, n, 0, 32 << 20, &back, &err);
	UNIT_OK(ok && back.len == 1 << 20 && memcmp(back.data, wal, 1 << 20) == 0,
			"zstd: the same frame decompresses under a 32 MiB limit%s%s",
			ok ? "" : ": ", ok ? "" : err.msg);
	sg_buf_free(&back);
	free(frame);
}

static bool
read_file(const char *path, sg_buf *out)
{
	FILE	   *f = fopen(path, "rb");
	char		chunk[65536];
	size_t		n;

	if (f == NULL)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sg_buf_append(out, chunk, n);
	fclose(f);
	return true;
}

/* our frames through the command-line tool, and the tool's through us */
static void
test_cli(int mi, const char *tool, const char *wal)
{
	char		cpath[128],
				ppath[128],
				cmd[512];
	sg_buf		z,
				back;
	sg_error	err;
	bool		ok;

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0)
	{
		UNIT_OK(1, "# SKIP %s command-line tool not installed", tool);
		return;
	}
	snprintf(cpath, sizeof(cpath), "/tmp/sgb-test-compress-%d%s", (int) getpid(),
			 sg_compression_suffix(methods[mi]));
	snprintf(ppath, sizeof(ppath), "/tmp/sgb-test-compress-%d.out", (int) getpid());
	sg_buf_init(&z);
	sg_buf_init(&back);

	ok = compress_all(methods[mi], 0, wal, WAL_SIZE, 100000, &z, &err) &&
		unit_write_file(cpath, z.data, z.len);
	snprintf(cmd, sizeof(cmd), "%s -d -q -c < %s > %s", tool, cpath, ppath);
	ok = ok && system(cmd) == 0 && read_file(ppath, &back);
	UNIT_OK(ok && back.len == WAL_SIZE && memcmp(back.data, wal, WAL_SIZE) == 0,
			"%s: `%s -d` reads our frame", method_names[mi], tool);

	sg_buf_reset(&z);
	sg_buf_reset(&back);
	snprintf(cmd, sizeof(cmd), "%s -q -c < %s > %s", tool, ppath, cpath);
	ok = system(cmd) == 0 && read_file(cpath, &z) &&
		decompress_all(methods[mi], z.data, z.len, 5000, &back, &err);
	UNIT_OK(ok && back.len == WAL_SIZE && memcmp(back.data, wal, WAL_SIZE) == 0,
			"%s: we read a frame written by `%s`", method_names[mi], tool);

	unlink(cpath);
	unlink(ppath);
	sg_buf_free(&z);
	sg_buf_free(&back);
}

/* report speed at the default level (informational) */
static void
test_speed(const char *wal)
{
	for (int mi = 0; mi < 2; mi++)
	{
		sg_buf		z,
					back;
		sg_error	err;
		double		t0,
					t1,
					t2;
		bool		ok;

		sg_buf_init(&z);
		sg_buf_init(&back);
		/* the second round reuses warm buffers, as a long-lived archiver does */
		for (int round = 0; round < 2; round++)
		{
			sg_buf_reset(&z);
			sg_buf_reset(&back);
			t0 = now();
			ok = compress_all(methods[mi], 0, wal, WAL_SIZE, 1 << 20, &z, &err);
			t1 = now();
			ok = ok && decompress_all(methods[mi], z.data, z.len, 65536, &back, &err);
			t2 = now();
		}
		UNIT_OK(ok, "%s: default level speed measured", method_names[mi]);
		printf("# %s default level: ratio %.2f, compress %.0f MB/s, decompress %.0f MB/s\n",
			   method_names[mi], (double) WAL_SIZE / z.len,
			   WAL_SIZE / 1048576.0 / (t1 - t0), WAL_SIZE / 1048576.0 / (t2 - t1));
		sg_buf_free(&z);
		sg_buf_free(&back);
	}
}

int
main(void)
{
	char	   *wal = make_wal(WAL_SIZE);

	UNIT_STREQ(sg_compression_suffix(SG_COMPRESSION_ZSTD), ".zst", "zstd suffix");
	UNIT_STREQ(sg_compression_suffix(SG_COMPRESSION_LZ4), ".lz4", "lz4 suffix");
	UNIT_STREQ(sg_compression_suffix(SG_COMPRESSION_NONE), "", "no suffix for none");

	test_round_trips(wal);
	test_damage(wal);
	test_pledge(wal);
	test_bomb(0, 19);
	test_bomb(1, 0);
	test_window(wal);
	test_cli(0, "zstd", wal);
	test_cli(1, "lz4", wal);
	test_speed(wal);
	free(wal);
	return UNIT_DONE();
}
