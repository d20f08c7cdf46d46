/*
 * test_store_reader.c - tests for sg_store_get_range (store.h) and the
 * parallel reader of store_reader.h, over the local store and, when there
 * is one, the gateway (SG_TEST_S3_*).
 *
 * Ranges: first, middle, last and past the end, a missing and an empty
 * object, the output reset, a zero length.  The reader: random objects of
 * 0, 1, chunk - 1, chunk, chunk + 1 and several chunks with 64 KiB chunks
 * and 1 to 8 threads, small windows, and ~40 MB, read back byte for byte
 * with the right sha256; a missing object; one shorter than the size given
 * (by a byte and by many chunks: the message names where it ends) and one
 * longer; cancellation (between reads, and while the reader waits, with
 * the gateway's transfers slowed down) returns -1 at
 * once and free joins at once; free at any time; a closed port; peak memory
 * within window * chunk_size (measured in a child, with a small window
 * against a large one).  A small server here answers every request with
 * the whole object (HTTP 200), as a server ignoring Range would: the
 * ranges that do not cover the object are refused, not misread.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "s3_sign.h"
#include "store_reader.h"
#include "unit.h"
#include "unit_s3.h"
/* for unit_in_child and unit_peak_rss_kb; its bombs are not used here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "unit_bomb.h"
#pragma GCC diagnostic pop

#define CHUNK ((size_t) 64 * 1024)
#define BIG_SIZE ((size_t) 40 * 1000 * 1000)

/* a store to test over: the one the test writes with, and its settings */
typedef struct place
{
	const char *name;			/* "local" or "gateway" */
	sg_store   *store;
	sg_storage	storage;		/* what the readers open */
} place;

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static char big_sha256[65];		/* of trip/big, for the memory test */

static char *
random_bytes(size_t len)
{
	char	   *p = sg_malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		p[i] = (char) unit_rng(&rng_state);
	return p;
}

static bool
put(const place *pl, const char *key, const char *data, size_t len)
{
	sg_error	err;
	bool		ok;

	sg_error_clear(&err);
	ok = sg_store_put(pl->store, key, data, len, NULL, 0, &err);
	if (!ok)
		unit_s3_show(&err);
	return ok;
}

/* read r to its end (or failure) into got; the last return of read */
static ssize_t
read_all(sg_store_reader *r, sg_buf *got, size_t *largest, sg_error *err)
{
	const void *data;
	ssize_t		n;

	while ((n = sg_store_reader_read(r, &data, err)) > 0)
	{
		sg_buf_append(got, data, (size_t) n);
		if (largest && (size_t) n > *largest)
			*largest = (size_t) n;
	}
	return n;
}

static sg_store_reader *
open_reader(const place *pl, const s3_limits *limits, const char *key,
			int64_t size, int concurrency, size_t chunk, int window,
			sg_error *err)
{
	sg_store_reader_options o = {concurrency, chunk, window};

	sg_error_clear(err);
	return sg_store_reader_open(&pl->storage, NULL, limits, key, size, &o, err);
}

/* ---- sg_store_get_range ---- */

static void
range_is(const place *pl, const char *key, int64_t offset, size_t len,
		 const char *want, size_t want_len)
{
	sg_buf		out;
	sg_error	err;
	bool		ok;

	sg_buf_init(&out);
	sg_buf_append_str(&out, "left over");
	sg_error_clear(&err);
	ok = sg_store_get_range(pl->store, key, offset, len, &out, &err);
	UNIT_OK(ok && out.len == want_len && memcmp(out.data, want, want_len) == 0,
			"%s: range of %zu bytes from %lld of %s: %zu bytes%s%s", pl->name, len,
			(long long) offset, key, want_len, ok ? "" : ": ", ok ? "" : err.msg);
	if (ok && out.len != want_len)
		printf("# got %zu bytes\n", out.len);
	sg_buf_free(&out);
}

static void
range_fails(const place *pl, const char *key, int64_t offset, size_t len,
			sg_error_kind kind, const char *why)
{
	sg_buf		out;
	sg_error	err;
	bool		ok;

	sg_buf_init(&out);
	sg_error_clear(&err);
	ok = sg_store_get_range(pl->store, key, offset, len, &out, &err);
	UNIT_OK(!ok && err.kind == kind && out.len == 0,
			"%s: range of %zu bytes from %lld of %s fails: %s (%s)", pl->name, len,
			(long long) offset, key, why, err.msg);
	if (ok || err.kind != kind)
		unit_s3_show(&err);
	sg_buf_free(&out);
}

static void
test_ranges(const place *pl)
{
	char	   *data = random_bytes(1000);

	UNIT_OK(put(pl, "range/obj", data, 1000) && put(pl, "range/empty", "", 0),
			"%s: put a 1000-byte and an empty object", pl->name);
	range_is(pl, "range/obj", 0, 100, data, 100);
	range_is(pl, "range/obj", 450, 100, data + 450, 100);
	range_is(pl, "range/obj", 900, 100, data + 900, 100);
	range_is(pl, "range/obj", 950, 100, data + 950, 50);
	range_is(pl, "range/obj", 999, 1, data + 999, 1);
	range_is(pl, "range/obj", 1000, 10, "", 0);
	range_is(pl, "range/obj", 5000, 10, "", 0);
	range_is(pl, "range/obj", 0, 1000, data, 1000);
	range_is(pl, "range/obj", 0, 1 << 20, data, 1000);
	range_is(pl, "range/obj", 10, 0, "", 0);
	range_is(pl, "range/empty", 0, 10, "", 0);
	range_fails(pl, "range/missing", 0, 10, SG_ERR_NOT_FOUND, "a missing object");
	range_fails(pl, "range/missing", 0, 0, SG_ERR_NOT_FOUND, "a missing object, no byte asked");
	range_fails(pl, "range/obj", -1, 10, SG_ERR_INTERNAL, "a negative offset");
	free(data);
}

/* ---- the reader: round trips ---- */

static void
round_trip(const place *pl, const char *key, const char *data, size_t size,
		   int concurrency, size_t chunk, int window)
{
	sg_store_reader *r;
	sg_buf		got;
	sg_error	err;
	char		want[65];
	size_t		largest = 0;
	ssize_t		n;
	const void *p;

	r = open_reader(pl, NULL, key, (int64_t) size, concurrency, chunk, window, &err);
	UNIT_OK(r != NULL, "%s: open a reader of %zu bytes%s%s", pl->name, size,
			r ? "" : ": ", r ? "" : err.msg);
	if (r == NULL)
		return;
	sg_buf_init(&got);
	n = read_all(r, &got, &largest, &err);
	s3_sha256_hex(data, size, want);
	UNIT_OK(n == 0 && got.len == size && memcmp(got.data, data, size) == 0 &&
			sg_store_reader_bytes(r) == (int64_t) size && largest <= chunk,
			"%s: %zu bytes in chunks of %zu, %d threads, window %d: the same bytes back%s%s",
			pl->name, size, chunk, concurrency, window, n < 0 ? ": " : "",
			n < 0 ? err.msg : "");
	UNIT_STREQ(sg_store_reader_sha256(r), want, "%s: %zu bytes, %d threads: their sha256",
			   pl->name, size, concurrency);
	UNIT_OK(sg_store_reader_read(r, &p, &err) == 0 && sg_store_reader_read(r, &p, &err) == 0,
			"%s: %zu bytes, %d threads: read after the end returns 0 again",
			pl->name, size, concurrency);
	sg_store_reader_free(r);
	sg_buf_free(&got);
}

static void
test_round_trips(const place *pl)
{
	size_t		sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 123};
	char	   *data = random_bytes(5 * CHUNK + 123);
	char	   *big;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
	{
		char		key[64];

		snprintf(key, sizeof(key), "trip/%zu", sizes[i]);
		if (!put(pl, key, data, sizes[i]))
		{
			UNIT_OK(false, "%s: put %s", pl->name, key);
			continue;
		}
		for (int c = 1; c <= 8; c++)
			round_trip(pl, key, data, sizes[i], c, CHUNK, 0);
	}
	/* windows smaller than the threads: the threads wait for the reader */
	round_trip(pl, "trip/327803", data, 5 * CHUNK + 123, 8, CHUNK, 1);
	round_trip(pl, "trip/327803", data, 5 * CHUNK + 123, 8, CHUNK, 3);
	round_trip(pl, "trip/327803", data, 5 * CHUNK + 123, 2, 1000, 5);
	free(data);

	big = random_bytes(BIG_SIZE);
	s3_sha256_hex(big, BIG_SIZE, big_sha256);
	UNIT_OK(put(pl, "trip/big", big, BIG_SIZE), "%s: put %zu bytes", pl->name, BIG_SIZE);
	round_trip(pl, "trip/big", big, BIG_SIZE, 1, CHUNK, 0);
	round_trip(pl, "trip/big", big, BIG_SIZE, 4, CHUNK, 0);
	round_trip(pl, "trip/big", big, BIG_SIZE, 8, 4 * CHUNK, 3);
	free(big);
}

/* ---- the reader: failures ---- */

/*
 * Read key as an object of size: the read fails with kind and a message
 * containing want_msg, after giving only true bytes of data
 */
static void
read_fails(const place *pl, const s3_limits *limits, const char *key,
		   int64_t size, const char *data, int concurrency, size_t chunk,
		   sg_error_kind kind, const char *want_msg, const char *why)
{
	sg_store_reader *r;
	sg_buf		got;
	sg_error	err;
	sg_error	again;
	ssize_t		n;
	const void *p;

	r = open_reader(pl, limits, key, size, concurrency, chunk, 0, &err);
	UNIT_OK(r != NULL, "%s: open a reader of %s%s%s", pl->name, key, r ? "" : ": ",
			r ? "" : err.msg);
	if (r == NULL)
		return;
	sg_buf_init(&got);
	n = read_all(r, &got, NULL, &err);
	UNIT_OK(n == -1 && err.kind == kind && strstr(err.msg, want_msg) != NULL,
			"%s: %s: read fails (%s)", pl->name, why, err.msg);
	if (n != -1 || err.kind != kind || strstr(err.msg, want_msg) == NULL)
		unit_s3_show(&err);
	UNIT_OK(got.len <= (size_t) size && (data == NULL || memcmp(got.data, data, got.len) == 0),
			"%s: %s: the %zu bytes given before are right", pl->name, why, got.len);
	sg_error_clear(&again);
	UNIT_OK(sg_store_reader_read(r, &p, &again) == -1 && strcmp(again.msg, err.msg) == 0 &&
			sg_store_reader_sha256(r) == NULL,
			"%s: %s: the next read fails the same, no sha256", pl->name, why);
	sg_store_reader_free(r);
	sg_buf_free(&got);
}

static void
test_failures(const place *pl)
{
	size_t		size = 3 * CHUNK + 500;
	char	   *data = random_bytes(size);
	char		want[128];

	UNIT_OK(put(pl, "short/obj", data, size), "%s: put %zu bytes", pl->name, size);
	read_fails(pl, NULL, "short/missing", 100000, NULL, 4, CHUNK, SG_ERR_NOT_FOUND, "",
			   "a missing object");
	read_fails(pl, NULL, "short/missing", 0, NULL, 1, CHUNK, SG_ERR_NOT_FOUND, "",
			   "a missing object of size 0");
	snprintf(want, sizeof(want), "object \"short/obj\" ended at %zu bytes, expected %zu",
			 size, size + 1);
	read_fails(pl, NULL, "short/obj", size + 1, data, 4, CHUNK, SG_ERR_CORRUPT, want,
			   "an object one byte short");
	snprintf(want, sizeof(want), "object \"short/obj\" ended at %zu bytes, expected %zu",
			 size, size + 20 * CHUNK);
	read_fails(pl, NULL, "short/obj", size + 20 * CHUNK, data, 8, CHUNK, SG_ERR_CORRUPT, want,
			   "an object 20 chunks short");
	read_fails(pl, NULL, "short/obj", size - 1, data, 4, CHUNK, SG_ERR_CORRUPT,
			   "is larger than the", "an object one byte longer");
	read_fails(pl, NULL, "short/obj", 0, data, 2, CHUNK, SG_ERR_CORRUPT,
			   "is larger than the 0 bytes expected", "a non-empty object read as empty");
	free(data);
}

/* a store that cannot be reached: the error of the client's retries */
static void
test_closed_port(void)
{
	place		pl = {"closed port"};
	s3_limits	limits = {.connect_timeout_s = 1, .total_timeout_s = 2, .max_retries = 1};

	unit_s3_storage(&pl.storage, "http://127.0.0.1:1", "closed");
	read_fails(&pl, &limits, "x", 1000, NULL, 2, CHUNK, SG_ERR_NETWORK, "could not download",
			   "a closed port");
	sg_storage_free(&pl.storage);
}

/* ---- cancellation and early free ---- */

/* cancel_fn of the tests: true from cancel_at on (now_s) */
static double cancel_at;

static bool
cancel_asked(void *arg)
{
	return now_s() >= cancel_at;
}

/*
 * Free r, measuring how long it takes; the threads may be in the middle of
 * transfers that would take seconds more
 */
static double
timed_free(sg_store_reader *r)
{
	double		start = now_s();

	sg_store_reader_free(r);
	return now_s() - start;
}

/*
 * slow: the gateway's transfers at 128 KiB/s per thread, so that a chunk
 * of 256 KiB takes two seconds and the threads are inside them
 */
static void
test_cancel(const place *pl, bool slow)
{
	size_t		size = 40 * CHUNK;
	size_t		chunk = slow ? 4 * CHUNK : CHUNK;
	char	   *data = random_bytes(size);
	s3_limits	limits = {.cancel_fn = cancel_asked, .max_bandwidth = slow ? 128 * 1024 : 0};
	sg_store_reader *r;
	sg_error	err;
	const void *p;
	ssize_t		n;
	double		start;
	double		took;

	UNIT_OK(put(pl, "cancel/obj", data, size), "%s: put %zu bytes", pl->name, size);

	/* between reads */
	cancel_at = HUGE_VAL;
	r = open_reader(pl, &limits, "cancel/obj", (int64_t) size, 4, chunk, 0, &err);
	n = r ? sg_store_reader_read(r, &p, &err) : -1;
	UNIT_OK(n == (ssize_t) chunk && memcmp(p, data, chunk) == 0,
			"%s: the first chunk is read (%s)", pl->name, n < 0 ? err.msg : "ok");
	cancel_at = 0;
	start = now_s();
	n = r ? sg_store_reader_read(r, &p, &err) : 0;
	took = now_s() - start;
	UNIT_OK(n == -1 && strstr(err.msg, "cancelled") != NULL && took < 0.2,
			"%s: cancelled between reads: the next read fails at once (%.3f s: %s)",
			pl->name, took, err.msg);
	if (r)
	{
		took = timed_free(r);
		UNIT_OK(took < 1.0, "%s: free after cancel joins the threads at once (%.3f s)",
				pl->name, took);
	}

	/* 0.3 s later, while read waits */
	cancel_at = HUGE_VAL;
	r = open_reader(pl, &limits, "cancel/obj", (int64_t) size, 4, chunk, 0, &err);
	n = r ? sg_store_reader_read(r, &p, &err) : -1;
	UNIT_OK(n > 0, "%s: a first chunk is read", pl->name);
	start = now_s();
	cancel_at = start + 0.3;
	while (r && (n = sg_store_reader_read(r, &p, &err)) > 0)
		;
	took = now_s() - start;
	if (slow)
		UNIT_OK(n == -1 && strstr(err.msg, "cancelled") != NULL && took < 0.3 + 0.4,
				"%s: cancelled while read waits for a slow chunk: read fails within 0.4 s (%.3f s after it began waiting, cancel at 0.3 s: %s)",
				pl->name, took, err.msg);
	else
		UNIT_OK((n == -1 && strstr(err.msg, "cancelled") != NULL) ||
				(n == 0 && sg_store_reader_bytes(r) == (int64_t) size),
				"%s: cancelled 0.3 s later: the read fails or had ended (%s)",
				pl->name, n == 0 ? "ended" : err.msg);
	if (r)
	{
		took = timed_free(r);
		UNIT_OK(took < 1.0, "%s: free with transfers in flight joins at once (%.3f s)",
				pl->name, took);
	}
	free(data);
}

/* free at any time: right after open, after one read, while transfers run */
static void
test_early_free(const place *pl, bool slow)
{
	s3_limits	limits = {.max_bandwidth = slow ? 128 * 1024 : 0};
	size_t		chunk = slow ? 4 * CHUNK : CHUNK;
	sg_store_reader *r;
	sg_error	err;
	const void *p;
	struct timespec ts = {0, 200 * 1000 * 1000};
	double		took;
	ssize_t		n;

	r = open_reader(pl, &limits, "cancel/obj", 40 * CHUNK, 8, chunk, 0, &err);
	took = r ? timed_free(r) : 99;
	UNIT_OK(took < 1.0, "%s: free right after open (%.3f s)", pl->name, took);

	r = open_reader(pl, &limits, "cancel/obj", 40 * CHUNK, 8, chunk, 0, &err);
	nanosleep(&ts, NULL);
	took = r ? timed_free(r) : 99;
	UNIT_OK(took < 1.0, "%s: free while the threads fetch, nothing read (%.3f s)",
			pl->name, took);

	r = open_reader(pl, &limits, "cancel/obj", 40 * CHUNK, 8, chunk, 0, &err);
	n = r ? sg_store_reader_read(r, &p, &err) : -1;
	took = r ? timed_free(r) : 99;
	UNIT_OK(n == (ssize_t) chunk && took < 1.0,
			"%s: free after reading one chunk of many (%.3f s)", pl->name, took);
}

/* ---- memory ---- */

typedef struct memory_call
{
	const place *pl;
	int			window;
	size_t		chunk;
} memory_call;

typedef struct memory_run
{
	bool		ok;
	long		growth_kb;
	char		msg[256];
} memory_run;

/* in a child: read the big object, how much the peak memory grew */
static void
read_measured(void *arg, void *result)
{
	memory_call *call = arg;
	memory_run *run = result;
	long		before = unit_peak_rss_kb();
	sg_store_reader *r;
	sg_error	err;
	const void *p;
	ssize_t		n = -1;

	r = open_reader(call->pl, NULL, "trip/big", BIG_SIZE, 4, call->chunk,
					call->window, &err);
	while (r && (n = sg_store_reader_read(r, &p, &err)) > 0)
		;
	run->ok = n == 0 && sg_store_reader_sha256(r) != NULL &&
		strcmp(sg_store_reader_sha256(r), big_sha256) == 0;
	snprintf(run->msg, sizeof(run->msg), "%s", n == 0 ? "read" : err.msg);
	sg_store_reader_free(r);
	run->growth_kb = unit_peak_rss_kb() - before;
}

static void
test_memory(const place *pl)
{
	memory_call small = {pl, 2, 16 * CHUNK};
	memory_call large = {pl, 16, 16 * CHUNK};
	memory_run	s_run;
	memory_run	l_run;
	long		bound_kb = (long) (small.window * small.chunk / 1024) + 4096;

	UNIT_OK(unit_in_child(read_measured, &small, &s_run, sizeof(s_run)) && s_run.ok &&
			s_run.growth_kb < bound_kb,
			"%s: %zu bytes read with window 2 of %zu bytes: peak memory grew %ld kB (< %ld): %s",
			pl->name, BIG_SIZE, small.chunk, s_run.growth_kb, bound_kb, s_run.msg);
	UNIT_OK(unit_in_child(read_measured, &large, &l_run, sizeof(l_run)) && l_run.ok &&
			l_run.growth_kb > bound_kb,
			"%s: the same with window 16: peak memory grew %ld kB (> %ld: the measure bites): %s",
			pl->name, l_run.growth_kb, bound_kb, l_run.msg);
}

/* ---- a server that ignores Range ---- */

static const char whole_body[] = "0123456789";
static int whole_fd = -1;

/* answer each request with 200 and the whole object, until shut down */
static void *
serve_whole(void *arg)
{
	int			fd;

	while ((fd = accept(whole_fd, NULL, NULL)) >= 0)
	{
		char		req[8192];
		size_t		got = 0;
		ssize_t		n;
		char		reply[256];
		int			len;

		while (got < sizeof(req) - 1 &&
			   (n = read(fd, req + got, sizeof(req) - 1 - got)) > 0)
		{
			got += (size_t) n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		len = snprintf(reply, sizeof(reply),
					   "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nETag: \"e\"\r\nConnection: close\r\n\r\n%s",
					   strlen(whole_body), whole_body);
		if (write(fd, reply, (size_t) len) != len)
			printf("# the server could not answer\n");
		close(fd);
	}
	return NULL;
}

static void
test_range_ignored(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t	alen = sizeof(addr);
	place		pl = {"range ignored"};
	pthread_t	thread;
	char		endpoint[64];
	sg_error	err;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	whole_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (whole_fd < 0 || bind(whole_fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(whole_fd, 16) != 0 ||
		getsockname(whole_fd, (struct sockaddr *) &addr, &alen) != 0 ||
		pthread_create(&thread, NULL, serve_whole, NULL) != 0)
	{
		UNIT_OK(false, "start a server on 127.0.0.1");
		return;
	}
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", ntohs(addr.sin_port));
	unit_s3_storage(&pl.storage, endpoint, "whole");
	sg_error_clear(&err);
	pl.store = sg_store_s3_new(&pl.storage, NULL, NULL, &err);
	UNIT_OK(pl.store != NULL, "a store over the server%s%s", pl.store ? "" : ": ", err.msg);
	if (pl.store)
	{
		range_is(&pl, "obj", 0, 100, whole_body, 10);
		range_is(&pl, "obj", 0, 10, whole_body, 10);
		range_fails(&pl, "obj", 0, 4, SG_ERR_SERVER, "200 with more than the range");
		range_fails(&pl, "obj", 3, 4, SG_ERR_SERVER, "200 to a range not at 0");
		range_fails(&pl, "obj", 3, 100, SG_ERR_SERVER, "200 to a range not at 0 past the end");
		round_trip(&pl, "obj", whole_body, 10, 2, CHUNK, 0);
		read_fails(&pl, NULL, "obj", 10, NULL, 2, 4, SG_ERR_SERVER, "could not download",
				   "the reader in chunks smaller than the object");
		sg_store_free(pl.store);
	}
	shutdown(whole_fd, SHUT_RDWR);
	pthread_join(thread, NULL);
	close(whole_fd);
	sg_storage_free(&pl.storage);
}

/* ---- the two stores ---- */

static void
test_place(place *pl, bool slow)
{
	test_ranges(pl);
	test_round_trips(pl);
	test_failures(pl);
	test_cancel(pl, slow);
	test_early_free(pl, slow);
	test_memory(pl);
}

static void
test_local(void)
{
	place		pl = {"local"};
	sg_error	err;

	pl.store = unit_local_store("unit-reader", &err);
	UNIT_OK(pl.store != NULL, "local store%s%s", pl.store ? "" : ": ",
			pl.store ? "" : err.msg);
	if (pl.store == NULL)
		return;
	sg_storage_init(&pl.storage);
	pl.storage.repository_path = sg_strdup(unit_local_root);
	test_place(&pl, false);
	sg_store_free(pl.store);
	sg_storage_free(&pl.storage);
	unit_rm_rf(unit_local_root);
}

static void
test_gateway(void)
{
	place		pl = {"gateway"};
	sg_error	err;

	if (!unit_gateway_setup("unit-reader"))
	{
		UNIT_SKIP("the reader over S3", UNIT_NO_GATEWAY);
		return;
	}
	pl.store = unit_gateway_store(NULL, NULL, &err);
	UNIT_OK(pl.store != NULL, "store for %s%s%s", http_endpoint, pl.store ? "" : ": ",
			pl.store ? "" : err.msg);
	if (pl.store == NULL)
		return;
	unit_s3_storage(&pl.storage, http_endpoint, bucket);
	test_place(&pl, true);
	UNIT_OK(unit_store_clear(pl.store) >= 0, "deleted the test objects");
	sg_store_free(pl.store);
	sg_storage_free(&pl.storage);
}

int
main(void)
{
	alarm(900);					/* a reader that hangs fails the test */
	test_local();
	test_gateway();
	/* the client needs credentials, though the servers below check none */
	if (getenv("AWS_ACCESS_KEY_ID") == NULL)
	{
		setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
		setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret", 1);
	}
	if (prefix[0] == '\0')
		snprintf(prefix, sizeof(prefix), "unit-reader");
	test_closed_port();
	test_range_ignored();
	return UNIT_DONE();
}
