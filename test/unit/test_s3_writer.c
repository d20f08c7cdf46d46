/*
 * test_s3_writer.c - the parallel multipart writer (s3_writer.h) and the
 * listing and aborting of unfinished uploads, against a real S3 server
 * (the Ceph RADOS Gateway started by scripts/rgw.sh, settings in
 * SG_TEST_S3_*).  Prints the throughput of a 200 MB write with 1 and 4
 * upload threads as a TAP comment.
 *
 * Every run works under its own prefix and deletes what it made.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3_client.h"
#include "s3_writer.h"
#include "unit.h"
#include "unit_s3.h"

#define MB (1024 * 1024)


static void
sha256_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[32];
	unsigned int n = 0;
	unsigned int i;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static bool
count_upload(void *arg, const s3_upload_entry *e)
{
	(*(int *) arg)++;
	return true;
}

/* unfinished uploads under key_prefix (relative to the run's prefix); -1 on error */
static int
uploads_under(s3_client *c, const char *key_prefix)
{
	sg_error	err;
	int			n = 0;

	if (!s3_list_multipart_uploads(c, key_prefix, count_upload, &n, &err))
	{
		unit_s3_show(&err);
		return -1;
	}
	return n;
}

static bool
exists(s3_client *c, const char *key)
{
	s3_object_info info;
	sg_error	err;
	bool		found;

	memset(&info, 0, sizeof(info));
	found = s3_head_object(c, key, &info, &err) && info.exists;
	s3_object_info_free(&info);
	return found;
}

/* write data in odd-sized chunks; false at the first failed write */
static bool
write_chunks(s3_writer *w, const char *data, size_t len, sg_error *err)
{
	static const size_t sizes[] = {1, 4097, 1000003, 77777, 3 * MB + 5, 12345};
	size_t		off = 0;
	int			i = 0;

	while (off < len)
	{
		size_t		n = sizes[i++ % 6];

		if (n > len - off)
			n = len - off;
		if (!s3_writer_write(w, data + off, n, err))
			return false;
		off += n;
	}
	return true;
}

/*
 * write data to key with the given part size and threads, check the stored
 * object, its sha256 and whether it went up in parts (etag "...-N")
 */
static void
write_and_check_with(s3_client *c, const sg_storage *s, const char *key,
					 const char *data, size_t len, const s3_writer_options *o,
					 int want_parts)
{
	s3_meta		meta[] = {{"sgbackup-kind", "writer-test"}};
	char		want_sha[65];
	char		suffix[16];
	s3_writer  *w;
	s3_object_info info;
	sg_buf		out;
	sg_error	err;
	bool		ok;
	const char *dash;

	sha256_hex(data, len, want_sha);
	sg_error_clear(&err);
	w = s3_writer_open(s, NULL, key, meta, 1, o, &err);
	ok = w && write_chunks(w, data, len, &err) && s3_writer_finish(w, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "%s: %zu bytes written", key, len);
	if (w == NULL)
		return;
	UNIT_OK(s3_writer_bytes(w) == (int64_t) len, "%s: bytes counted", key);
	UNIT_STREQ(s3_writer_sha256(w), want_sha, "%s: sha256", key);
	s3_writer_free(w);

	sg_buf_init(&out);
	memset(&info, 0, sizeof(info));
	ok = s3_get_object(c, key, 0, 0, UNIT_MAX_BODY, &out, &info, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok && out.len == len && memcmp(out.data, data, len) == 0,
			"%s: stored object equals the data (%zu bytes)", key, out.len);
	UNIT_STREQ(s3_object_info_meta(&info, "sgbackup-kind"), "writer-test",
			   "%s: metadata stored", key);
	dash = strchr(info.etag, '-');
	snprintf(suffix, sizeof(suffix), "-%d", want_parts);
	if (want_parts == 0)
		UNIT_OK(dash == NULL, "%s: single PUT (etag %s)", key, info.etag);
	else
		UNIT_STREQ(dash, suffix, "%s: %d parts (etag %s)", key, want_parts, info.etag);
	UNIT_OK(uploads_under(c, key) == 0, "%s: no upload left", key);
	s3_object_info_free(&info);
	sg_buf_free(&out);
}

static void
write_and_check(s3_client *c, const sg_storage *s, const char *key,
				const char *data, size_t len, size_t part_size,
				int concurrency, int want_parts)
{
	s3_writer_options o = {part_size, concurrency, NULL, 0, 0};

	write_and_check_with(c, s, key, data, len, &o, want_parts);
}

/* the sum of the sizes of parts 1..max_parts */
static double
capacity(const s3_writer_options *o)
{
	double		total = 0;
	int			n = o->max_parts ? o->max_parts : S3_WRITER_MAX_PARTS;

	for (int i = 1; i <= n; i++)
		total += (double) s3_writer_part_size(o, i);
	return total;
}

/* how many parts an object of len bytes takes */
static int
parts_for(const s3_writer_options *o, double len)
{
	double		total = 0;
	int			n = 0;

	while (total < len && s3_writer_part_size(o, n + 1) > 0)
		total += (double) s3_writer_part_size(o, ++n);
	return n;
}

/* part sizes: S3's 10000 parts reach 5 TiB objects; no memory is spent here */
static void
test_part_sizes(void)
{
	double		tib = 1024.0 * 1024 * 1024 * 1024;
	s3_writer_options none = {0};
	s3_writer_options one_tib = {0, 4, NULL, (int64_t) 1 << 40, 0};
	s3_writer_options five_tib = {0, 4, NULL, (int64_t) 5 << 40, 0};
	s3_writer_options eight = {5 * MB, 2, NULL, 0, 8};

	UNIT_OK(s3_writer_part_size(&none, 1) == 16 * MB &&
			s3_writer_part_size(&none, 5000) == 16 * MB &&
			s3_writer_part_size(&none, 5001) == 32 * MB &&
			s3_writer_part_size(&none, 10001) == 0,
			"unknown size: 16 MiB parts, doubled past part 5000, none past 10000");
	printf("# unknown size: %d parts hold %.0f GiB; the last part is %zu MiB\n",
		   S3_WRITER_MAX_PARTS, capacity(&none) / (1024.0 * 1024 * 1024),
		   s3_writer_part_size(&none, S3_WRITER_MAX_PARTS) / MB);
	printf("# 1 TiB archive: parts of %zu bytes (%zu MiB) up to part 5000, %zu MiB up to 7500; "
		   "1 TiB takes %d parts; all 10000 hold %.2f TiB\n",
		   s3_writer_part_size(&one_tib, 1), s3_writer_part_size(&one_tib, 1) / MB,
		   s3_writer_part_size(&one_tib, 5001) / MB, parts_for(&one_tib, tib),
		   capacity(&one_tib) / tib);
	UNIT_OK(s3_writer_part_size(&one_tib, 1) == 105 * MB,
			"1 TiB expected: parts of 105 MiB (%zu)", s3_writer_part_size(&one_tib, 1));
	UNIT_OK(capacity(&one_tib) >= 3 * tib, "1 TiB expected: room for 3 TiB and more");
	UNIT_OK(capacity(&five_tib) >= 5 * tib, "5 TiB expected: room for S3's largest object");
	UNIT_OK(s3_writer_part_size(&five_tib, S3_WRITER_MAX_PARTS) == (size_t) 5 * 1024 * MB,
			"no part is larger than S3's 5 GiB");
	UNIT_OK(capacity(&eight) == 100.0 * MB, "8 parts from 5 MiB hold 100 MiB (%.0f MiB)",
			capacity(&eight) / MB);
}

/* a lowered part limit: the sizes grow so that the object fits, or it fails cleanly */
static void
test_part_limit(s3_client *c, const sg_storage *s)
{
	size_t		len = 100 * MB;
	char	   *data = sg_malloc(len + MB);
	s3_writer_options grow = {5 * MB, 3, NULL, 0, 8};
	s3_writer_options sized = {5 * MB, 3, NULL, (int64_t) len, 8};
	s3_writer  *w;
	sg_error	err;
	bool		ok;

	unit_s3_fill_random(data, len + MB, 5);
	write_and_check_with(c, s, "limit/grow", data, len, &grow, 8);
	write_and_check_with(c, s, "limit/sized", data, len, &sized, 6);
	sg_error_clear(&err);
	w = s3_writer_open(s, NULL, "limit/too-big", NULL, 0, &grow, &err);
	ok = w && write_chunks(w, data, len + MB, &err) && s3_writer_finish(w, &err);
	UNIT_OK(!ok && strstr(err.msg, "does not fit in 8 parts") != NULL,
			"past the part limit: a clear error (%s)", err.msg);
	s3_writer_free(w);
	UNIT_OK(!exists(c, "limit/too-big") && uploads_under(c, "limit/too-big") == 0,
			"past the part limit: no object, no upload left");
	free(data);
}

static void
test_writes(s3_client *c, const sg_storage *s)
{
	size_t		big = 60 * MB;
	char	   *data = sg_malloc(big);

	unit_s3_fill_random(data, big, 11);
	write_and_check(c, s, "w/big", data, big, 5 * MB, 3, 12);
	write_and_check(c, s, "w/odd", data, 11 * MB + 17, 5 * MB, 3, 3);
	write_and_check(c, s, "w/small", data, 100 * 1000 + 3, 5 * MB, 3, 0);
	write_and_check(c, s, "w/one-part", data, 5 * MB, 5 * MB, 3, 0);
	write_and_check(c, s, "w/empty", data, 0, 0, 0, 0);
	/* part size below the minimum is raised to 5 MB */
	write_and_check(c, s, "w/min-part", data, 6 * MB, 1000, 2, 2);
	free(data);
}

static void
test_misuse(const sg_storage *s)
{
	s3_writer  *w;
	sg_error	err;
	bool		ok;

	w = s3_writer_open(s, NULL, "w/misuse", NULL, 0, NULL, &err);
	ok = w && s3_writer_write(w, "abc", 3, &err) && s3_writer_finish(w, &err);
	UNIT_OK(ok, "default options: small object written");
	UNIT_STREQ(w ? s3_writer_sha256(w) : NULL,
			   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			   "sha256 of \"abc\"");
	ok = w && !s3_writer_write(w, "x", 1, &err);
	UNIT_OK(ok && strstr(err.msg, "after it was finished"), "write after finish fails: %s",
			err.msg);
	ok = w && !s3_writer_finish(w, &err);
	UNIT_OK(ok, "second finish fails: %s", err.msg);
	s3_writer_free(w);

	access_key = getenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_ACCESS_KEY_ID");
	w = s3_writer_open(s, NULL, "w/no-credentials", NULL, 0, NULL, &err);
	setenv("AWS_ACCESS_KEY_ID", access_key, 1);
	UNIT_OK(w == NULL && err.kind == SG_ERR_CREDENTIALS,
			"open without credentials fails: %s", err.msg);
	s3_writer_free(w);
}

/* a writer that must fail; check the error and that nothing is left */
static void
expect_failure(s3_client *c, const sg_storage *s, const char *key,
			   const char *what, bool wrong_secret_after_open,
			   sg_error_kind want_kind)
{
	size_t		len = 30 * MB;
	char	   *data = sg_malloc(len);
	s3_writer_options o = {5 * MB, 3, NULL};
	s3_writer  *w;
	sg_error	err;
	bool		wrote;
	bool		finished = false;
	bool		opened;

	unit_s3_fill_random(data, len, 5);
	sg_error_clear(&err);
	w = s3_writer_open(s, NULL, key, NULL, 0, &o, &err);
	opened = w != NULL;
	if (wrong_secret_after_open)
		setenv("AWS_SECRET_ACCESS_KEY", "wrong/secret/key/0000000000000000000000", 1);
	wrote = w && write_chunks(w, data, len, &err);
	if (w && wrote)
		finished = s3_writer_finish(w, &err);
	else if (w)
	{
		sg_error	again;

		UNIT_OK(!s3_writer_write(w, "x", 1, &again) &&
				strcmp(again.msg, err.msg) == 0,
				"%s: a later write fails with the same error", what);
		UNIT_OK(!s3_writer_finish(w, &again) && strcmp(again.msg, err.msg) == 0,
				"%s: finish fails with the same error", what);
	}
	setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
	unit_s3_show(&err);
	UNIT_OK(opened && !finished, "%s: the write fails (%s)", what,
			wrote ? "at finish" : "in write");
	UNIT_OK(err.kind == want_kind, "%s: error kind %d", what, err.kind);
	UNIT_OK(strstr(err.msg, key) != NULL || strstr(err.detail, key) != NULL,
			"%s: the message or detail names the key", what);
	UNIT_OK(strstr(err.msg, "wrong/secret") == NULL && strstr(err.detail, "wrong/secret") == NULL,
			"%s: no secret in the message", what);
	s3_writer_free(w);
	UNIT_OK(!exists(c, key), "%s: no object", what);
	UNIT_OK(uploads_under(c, key) == 0, "%s: no upload left", what);
	free(data);
}

static void
test_failures(s3_client *c, const sg_storage *s)
{
	sg_storage	nob;

	setenv("AWS_SECRET_ACCESS_KEY", "wrong/secret/key/0000000000000000000000", 1);
	expect_failure(c, s, "f/wrong-secret", "wrong secret", false, SG_ERR_CREDENTIALS);
	setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
	/* the upload is created, its parts are refused */
	expect_failure(c, s, "f/wrong-secret-parts", "parts refused", true, SG_ERR_CREDENTIALS);

	unit_s3_storage(&nob, http_endpoint, "sgbackup-no-such-bucket");
	expect_failure(c, &nob, "f/no-bucket", "no bucket", false, SG_ERR_NOT_FOUND);
	sg_storage_free(&nob);
}

static void
test_free_aborts(s3_client *c, const sg_storage *s)
{
	size_t		len = 17 * MB;
	char	   *data = sg_malloc(len);
	s3_writer_options o = {5 * MB, 2, NULL};
	s3_writer  *w;
	sg_error	err;
	bool		ok;

	unit_s3_fill_random(data, len, 3);
	w = s3_writer_open(s, NULL, "a/freed", NULL, 0, &o, &err);
	ok = w && s3_writer_write(w, data, len, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "free before finish: 17 MB written");
	UNIT_OK(uploads_under(c, "a/freed") == 1, "free before finish: the upload is listed");
	s3_writer_free(w);
	UNIT_OK(uploads_under(c, "a/freed") == 0, "free before finish: no upload left");
	UNIT_OK(!exists(c, "a/freed"), "free before finish: no object");
	free(data);
}

static bool
abort_first(void *arg, const s3_upload_entry *e)
{
	s3_client  *c = arg;
	s3_multipart *mp = s3_multipart_attach(e->key, e->upload_id);
	sg_error	err;

	s3_multipart_abort(c, mp, &err);
	s3_multipart_free(mp);
	return false;
}

static void
test_stale(s3_client *c)
{
	const char *keys[] = {"stale/x/one", "stale/x/one", "stale/x/two", "stale/y"};
	s3_multipart *mp;
	sg_error	err;
	int			aborted = -1;
	int			made = 0;
	int			i;
	bool		ok;

	for (i = 0; i < 4; i++)
	{
		mp = s3_multipart_create(c, keys[i], NULL, 0, &err);
		if (mp && s3_multipart_put_part(c, mp, 1, "left behind", 11, &err))
			made++;
		else
			unit_s3_show(&err);
		s3_multipart_free(mp);
	}
	UNIT_OK(made == 4, "4 uploads left behind");
	UNIT_OK(uploads_under(c, "stale/") == 4, "4 uploads listed");
	s3_client_set_list_page_size(c, 1);
	UNIT_OK(uploads_under(c, "stale/") == 4, "4 uploads listed one per page");
	UNIT_OK(uploads_under(c, "stale/x/") == 3, "3 uploads listed under stale/x/");
	ok = s3_list_multipart_uploads(c, "stale/", abort_first, c, &err);
	UNIT_OK(ok && uploads_under(c, "stale/") == 3, "the callback stops the listing");
	s3_client_set_list_page_size(c, 0);

	ok = s3_abort_stale_uploads(c, "stale/x/", &aborted, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok && aborted == 2, "abort stale under stale/x/: %d aborted", aborted);
	UNIT_OK(uploads_under(c, "stale/") == 1, "the other upload is kept");
	ok = s3_abort_stale_uploads(c, "stale/", &aborted, &err);
	UNIT_OK(ok && aborted == 1 && uploads_under(c, "stale/") == 0,
			"abort stale under stale/: %d aborted, none listed", aborted);
	ok = s3_abort_stale_uploads(c, "stale/", &aborted, &err);
	UNIT_OK(ok && aborted == 0, "nothing to abort: %d", aborted);
}

typedef struct canceller
{
	volatile int *flag;
	double		after_s;
	double		at;
} canceller;

static void *
cancel_later(void *arg)
{
	canceller  *k = arg;

	usleep((useconds_t) (k->after_s * 1e6));
	k->at = now_s();
	*k->flag = 1;
	return NULL;
}

static void
test_cancel(s3_client *c, const sg_storage *s)
{
	volatile int flag = 0;
	s3_limits	limits = {0};
	s3_writer_options o = {8 * MB, 3, &limits};
	canceller	k = {&flag, 0.5, 0};
	size_t		chunk = MB;
	char	   *data = sg_malloc(chunk);
	pthread_t	t;
	s3_writer  *w;
	sg_error	err;
	int64_t		written = 0;
	double		stopped;
	bool		ok = true;

	limits.cancel = &flag;
	unit_s3_fill_random(data, chunk, 9);
	w = s3_writer_open(s, NULL, "c/cancelled", NULL, 0, &o, &err);
	UNIT_OK(w != NULL, "cancel: writer opened");
	if (w == NULL)
		return;
	pthread_create(&t, NULL, cancel_later, &k);
	/* far more than can go up in half a second */
	while (ok && written < (int64_t) 4000 * MB)
	{
		ok = s3_writer_write(w, data, chunk, &err);
		written += chunk;
	}
	stopped = now_s();
	pthread_join(t, NULL);
	UNIT_OK(!ok, "cancel: write fails after %.0f MB", written / (double) MB);
	unit_s3_show(&err);
	UNIT_OK(strstr(err.msg, "cancelled") != NULL, "cancel: the message says cancelled");
	UNIT_OK(stopped - k.at < 2.0, "cancel: stopped %.2f s after the flag was set",
			stopped - k.at);
	UNIT_OK(!s3_writer_finish(w, &err), "cancel: finish fails");
	s3_writer_free(w);
	UNIT_OK(uploads_under(c, "c/") == 0, "cancel: no upload left");
	UNIT_OK(!exists(c, "c/cancelled"), "cancel: no object");
	free(data);
}

static void
measure(s3_client *c, const sg_storage *s, const char *data, size_t len,
		int concurrency)
{
	s3_writer_options o = {16 * MB, concurrency, NULL};
	s3_writer  *w;
	sg_error	err;
	double		t0 = now_s();
	double		t;
	size_t		off;
	bool		ok;

	w = s3_writer_open(s, NULL, "t/throughput", NULL, 0, &o, &err);
	ok = w != NULL;
	for (off = 0; ok && off < len; off += MB)
		ok = s3_writer_write(w, data + off, MB, &err);
	ok = ok && s3_writer_finish(w, &err);
	t = now_s() - t0;
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "throughput run with %d thread(s)", concurrency);
	printf("# 200 MB, 16 MB parts, concurrency %d: %.2f s, %.1f MB/s\n",
		   concurrency, t, len / (double) MB / t);
	s3_writer_free(w);
	s3_delete_object(c, "t/throughput", &err);
}

static void
test_throughput(s3_client *c, const sg_storage *s)
{
	size_t		len = 200 * MB;
	char	   *data = sg_malloc(len);

	unit_s3_fill_random(data, len, 1);
	measure(c, s, data, len, 1);
	measure(c, s, data, len, 4);
	free(data);
}

static void
clean_up(s3_client *c)
{
	int			aborted = 0;
	sg_error	err;
	int			n;

	s3_abort_stale_uploads(c, "", &aborted, &err);
	n = unit_s3_delete_all(c);
	printf("# cleaned up %d objects and %d uploads\n", n, aborted);
}

int
main(void)
{
	sg_storage	s;
	s3_client  *c;
	sg_error	err;

	if (!unit_s3_setup("test-s3-writer"))
		return 0;

	UNIT_OK(s3_global_init(&err), "global init");
	unit_s3_storage(&s, http_endpoint, bucket);
	c = s3_client_new(&s, NULL, NULL, &err);
	UNIT_OK(c != NULL, "client for %s", http_endpoint);
	if (c == NULL)
	{
		unit_s3_show(&err);
		return UNIT_DONE();
	}
	test_part_sizes();
	test_writes(c, &s);
	test_part_limit(c, &s);
	test_misuse(&s);
	test_failures(c, &s);
	test_free_aborts(c, &s);
	test_stale(c);
	test_cancel(c, &s);
	test_throughput(c, &s);
	clean_up(c);
	s3_client_free(c);
	sg_storage_free(&s);
	return UNIT_DONE();
}
