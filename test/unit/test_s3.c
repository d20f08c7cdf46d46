/*
 * test_s3.c - the S3 client against a real S3 server (the Ceph RADOS
 * Gateway started by scripts/rgw.sh, settings in SG_TEST_S3_*), plus
 * retries and time-outs against the scripted fake server test/fake_s3.py.
 *
 * Every run works under its own prefix and deletes what it made.
 */
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "s3_client.h"
#include "s3_request.h"			/* raw requests: ListMultipartUploads */
#include "unit.h"
#include "unit_s3.h"

static char fake_script[1024];

static s3_client *
client_for(const sg_storage *s, const s3_limits *limits)
{
	sg_error	err;
	s3_client  *c;

	sg_error_clear(&err);
	c = s3_client_new(s, NULL, limits, &err);
	if (c == NULL)
		printf("# s3_client_new: %s (%s) %s\n", err.msg, err.detail, err.hint);
	return c;
}

static void
show(const sg_error *err)
{
	printf("# error kind %d status %d: %s\n#   detail: %s\n#   hint: %s\n",
		   err->kind, err->http_status, err->msg, err->detail, err->hint);
}

static void
fill_random(char *buf, size_t len, unsigned int seed)
{
	size_t		i;

	for (i = 0; i < len; i++)
		buf[i] = (char) (rand_r(&seed) & 0xff);
}

/* ---- list helpers ---- */

typedef struct counter
{
	int			n;
	int			stop_after;		/* 0: never */
	int64_t		bytes;
	char		last_key[256];
	char		storage_class[32];
} counter;

static bool
count_entry(void *arg, const s3_list_entry *e)
{
	counter    *k = arg;

	k->n++;
	k->bytes += e->size;
	snprintf(k->last_key, sizeof(k->last_key), "%s", e->key);
	snprintf(k->storage_class, sizeof(k->storage_class), "%s", e->storage_class);
	return k->stop_after == 0 || k->n < k->stop_after;
}

static int
count_under(s3_client *c, const char *key_prefix)
{
	counter		k = {0};
	sg_error	err;

	if (!s3_list_objects(c, key_prefix, count_entry, &k, &err))
	{
		show(&err);
		return -1;
	}
	return k.n;
}

/* ---- the tests against the gateway ---- */

static void
test_basic(s3_client *c)
{
	size_t		len = 300 * 1000 + 7;
	char	   *data = sg_malloc(len);
	s3_meta		meta[] = {{"sgbackup-sha256", "abc123"}, {"size", "300007"}};
	s3_object_info info;
	sg_buf		out;
	sg_error	err;
	bool		ok;

	fill_random(data, len, 42);
	sg_buf_init(&out);
	ok = s3_put_object(c, "basic/obj 1+x", data, len, meta, 2, &err);
	if (!ok)
		show(&err);
	UNIT_OK(ok, "put object");
	memset(&info, 0, sizeof(info));
	ok = s3_get_object(c, "basic/obj 1+x", 0, 0, UNIT_MAX_BODY, &out, &info, &err);
	if (!ok)
		show(&err);
	UNIT_OK(ok && out.len == len && memcmp(out.data, data, len) == 0,
			"get object returns the same bytes");
	UNIT_OK(info.exists && info.size == (int64_t) len, "get fills info size");
	UNIT_STREQ(s3_object_info_meta(&info, "sgbackup-sha256"), "abc123", "get fills metadata");
	s3_object_info_free(&info);

	ok = s3_get_object(c, "basic/obj 1+x", 1000, 500, UNIT_MAX_BODY, &out, &info, &err);
	UNIT_OK(ok && out.len == 500 && memcmp(out.data, data + 1000, 500) == 0,
			"range get returns bytes [1000, 1500)");
	UNIT_OK(info.size == (int64_t) len, "range get reports the whole size (%lld)",
			(long long) info.size);
	s3_object_info_free(&info);

	ok = s3_get_object(c, "basic/obj 1+x", len - 10, 0, UNIT_MAX_BODY, &out, NULL, &err);
	UNIT_OK(ok && out.len == 10 && memcmp(out.data, data + len - 10, 10) == 0,
			"open-ended range get returns the tail");

	ok = s3_head_object(c, "basic/obj 1+x", &info, &err);
	UNIT_OK(ok && info.exists && info.size == (int64_t) len, "head gives the size");
	UNIT_STREQ(s3_object_info_meta(&info, "sgbackup-sha256"), "abc123", "head metadata 1");
	UNIT_STREQ(s3_object_info_meta(&info, "size"), "300007", "head metadata 2");
	UNIT_OK(strlen(info.etag) == 32 && info.last_modified[0], "head gives etag %s and date",
			info.etag);
	s3_object_info_free(&info);

	ok = s3_head_object(c, "basic/missing", &info, &err);
	UNIT_OK(ok && !info.exists, "head of a missing key: exists is false");

	sg_error_clear(&err);
	ok = s3_get_object(c, "basic/missing", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_NOT_FOUND && err.http_status == 404,
			"get of a missing key is NOT_FOUND");
	UNIT_OK(strstr(err.msg, "basic/missing") != NULL, "message names the key: %s", err.msg);

	ok = s3_delete_object(c, "basic/obj 1+x", &err);
	UNIT_OK(ok, "delete");
	ok = s3_head_object(c, "basic/obj 1+x", &info, &err);
	UNIT_OK(ok && !info.exists, "deleted object is gone");
	ok = s3_delete_object(c, "basic/obj 1+x", &err);
	UNIT_OK(ok, "deleting a missing object succeeds");

	ok = s3_put_object(c, "basic/empty", "", 0, NULL, 0, &err);
	UNIT_OK(ok, "put an empty object");
	ok = s3_get_object(c, "basic/empty", 0, 0, UNIT_MAX_BODY, &out, &info, &err);
	UNIT_OK(ok && out.len == 0 && info.size == 0, "get an empty object");
	s3_delete_object(c, "basic/empty", &err);

	sg_buf_free(&out);
	free(data);
}

static void
test_list(s3_client *c)
{
	counter		k = {0};
	sg_error	err;
	char		key[64];
	int			i;
	bool		ok = true;

	for (i = 0; i < 25 && ok; i++)
	{
		snprintf(key, sizeof(key), "list/%03d", i);
		ok = s3_put_object(c, key, key, strlen(key), NULL, 0, &err);
	}
	UNIT_OK(ok, "put 25 objects for listing");
	s3_client_set_list_page_size(c, 7);
	ok = s3_list_objects(c, "list/", count_entry, &k, &err);
	UNIT_OK(ok && k.n == 25 && k.bytes == 25 * 8, "list with 7 keys a page finds 25 (%d)", k.n);
	UNIT_STREQ(k.last_key, "list/024", "list keys are relative to the prefix");
	memset(&k, 0, sizeof(k));
	k.stop_after = 10;
	ok = s3_list_objects(c, "list/", count_entry, &k, &err);
	UNIT_OK(ok && k.n == 10, "list stops when the callback says so");
	s3_client_set_list_page_size(c, 0);
	UNIT_OK(count_under(c, "list/00") == 10, "list a narrower prefix");
}

static void
test_delete_many(s3_client *c)
{
	int			n = 1100;
	char	  **keys = sg_malloc(n * sizeof(char *));
	sg_error	err;
	double		t0 = now_s();
	bool		ok = true;
	int			i;

	for (i = 0; i < n; i++)
	{
		char		key[64];

		snprintf(key, sizeof(key), "many/%04d", i);
		keys[i] = sg_strdup(key);
		if (ok)
			ok = s3_put_object(c, keys[i], "x", 1, NULL, 0, &err);
	}
	if (!ok)
		show(&err);
	UNIT_OK(ok, "put %d tiny objects in %.2f s", n, now_s() - t0);
	UNIT_OK(count_under(c, "many/") == n, "all %d are listed", n);
	t0 = now_s();
	ok = s3_delete_objects(c, (const char *const *) keys, n, &err);
	if (!ok)
		show(&err);
	UNIT_OK(ok, "delete_objects of %d keys (2 batches) in %.2f s", n, now_s() - t0);
	UNIT_OK(count_under(c, "many/") == 0, "none is left");
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* ---- multipart ---- */

#define PART_SIZE (5 * 1024 * 1024)

typedef struct part_job
{
	const sg_storage *storage;
	s3_multipart *mp;
	const char *data;
	int			parts[2];
	int			nparts;
	size_t		total;
	bool		ok;
} part_job;

static void *
upload_parts(void *arg)
{
	part_job   *job = arg;
	s3_client  *c = client_for(job->storage, NULL);
	sg_error	err;
	int			i;

	job->ok = c != NULL;
	for (i = 0; i < job->nparts && job->ok; i++)
	{
		int			p = job->parts[i];
		size_t		off = (size_t) (p - 1) * PART_SIZE;
		size_t		len = job->total - off < PART_SIZE ? job->total - off : PART_SIZE;

		job->ok = s3_multipart_put_part(c, job->mp, p, job->data + off, len, &err);
		if (!job->ok)
			show(&err);
	}
	s3_client_free(c);
	return NULL;
}

/* is an upload with this id still listed by ListMultipartUploads? */
static bool
upload_listed(s3_client *c, const char *upload_id)
{
	s3_kv		query[] = {{"uploads", ""}, {"prefix", prefix}};
	s3_request	req;
	s3_response resp;
	sg_error	err;
	bool		listed;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.query = query;
	req.nquery = 2;
	req.what = "list uploads";
	s3_response_init(&resp);
	listed = s3_request_send(c, &req, &resp, &err) &&
		strstr(resp.body.data, upload_id) != NULL;
	s3_response_free(&resp);
	return listed;
}

static void
test_multipart(s3_client *c, const sg_storage *storage)
{
	size_t		total = 2 * PART_SIZE + 1000 * 1000;
	char	   *data = sg_malloc(total);
	s3_meta		meta[] = {{"kind", "multi"}};
	part_job	a = {0};
	part_job	b = {0};
	pthread_t	ta;
	pthread_t	tb;
	s3_multipart *mp;
	s3_object_info info;
	sg_buf		out;
	sg_error	err;
	bool		ok;

	fill_random(data, total, 7);
	mp = s3_multipart_create(c, "multi/big", meta, 1, &err);
	if (mp == NULL)
		show(&err);
	UNIT_OK(mp != NULL && s3_multipart_upload_id(mp)[0], "create multipart upload");
	if (mp == NULL)
		return;
	a = (part_job) {storage, mp, data, {1, 3}, 2, total, false};
	b = (part_job) {storage, mp, data, {2, 0}, 1, total, false};
	pthread_create(&ta, NULL, upload_parts, &a);
	pthread_create(&tb, NULL, upload_parts, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	UNIT_OK(a.ok && b.ok, "3 parts uploaded from 2 threads");
	ok = s3_multipart_complete(c, mp, &err);
	if (!ok)
		show(&err);
	UNIT_OK(ok, "complete multipart upload");
	s3_multipart_free(mp);

	sg_buf_init(&out);
	ok = s3_get_object(c, "multi/big", 0, 0, UNIT_MAX_BODY, &out, &info, &err);
	UNIT_OK(ok && out.len == total && memcmp(out.data, data, total) == 0,
			"multipart object reads back the same %zu bytes", total);
	UNIT_STREQ(s3_object_info_meta(&info, "kind"), "multi", "multipart metadata");
	s3_object_info_free(&info);
	s3_delete_object(c, "multi/big", &err);

	/* abort leaves nothing */
	mp = s3_multipart_create(c, "multi/aborted", NULL, 0, &err);
	ok = mp && s3_multipart_put_part(c, mp, 1, data, PART_SIZE, &err);
	UNIT_OK(ok && upload_listed(c, s3_multipart_upload_id(mp)),
			"an upload in progress is listed");
	ok = ok && s3_multipart_abort(c, mp, &err);
	UNIT_OK(ok, "abort multipart upload");
	ok = s3_head_object(c, "multi/aborted", &info, &err);
	UNIT_OK(ok && !info.exists, "aborted upload left no object");
	UNIT_OK(mp && !upload_listed(c, s3_multipart_upload_id(mp)),
			"aborted upload is no longer listed");
	ok = mp && s3_multipart_abort(c, mp, &err);
	UNIT_OK(ok, "aborting again is not an error");
	s3_multipart_free(mp);

	/* completing with no part fails */
	mp = s3_multipart_create(c, "multi/none", NULL, 0, &err);
	ok = mp && s3_multipart_complete(c, mp, &err);
	UNIT_OK(mp && !ok, "complete with no part fails: %s", err.msg);
	if (mp)
		s3_multipart_abort(c, mp, &err);
	s3_multipart_free(mp);
	sg_buf_free(&out);
	free(data);
}

/* ---- TLS, addressing, storage class ---- */

static bool
put_get_small(s3_client *c, const char *key, sg_error *err)
{
	sg_buf		out;
	bool		ok;

	sg_buf_init(&out);
	ok = s3_put_object(c, key, "tls", 3, NULL, 0, err) &&
		s3_get_object(c, key, 0, 0, UNIT_MAX_BODY, &out, NULL, err) &&
		out.len == 3 && memcmp(out.data, "tls", 3) == 0 &&
		s3_delete_object(c, key, err);
	sg_buf_free(&out);
	return ok;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE	   *f = fopen(path, "w");

	if (f)
	{
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void
test_https(void)
{
	const char *https = getenv("SG_TEST_S3_HTTPS");
	const char *ca_file = getenv("SG_TEST_S3_CA_FILE");
	sg_storage	s;
	s3_limits	limits = {0};
	s3_client  *c;
	sg_error	err;
	char		secrets[] = "/tmp/sgtest-secretsXXXXXX";
	char		path[256];
	FILE	   *f;
	sg_buf		pem;
	bool		ok;

	if (https == NULL || ca_file == NULL)
	{
		UNIT_OK(1, "# SKIP no HTTPS endpoint");
		return;
	}
	unit_s3_storage(&s, https, bucket);
	s.ca_file = sg_strdup(ca_file);
	c = client_for(&s, NULL);
	ok = c && put_get_small(c, "tls/a", &err);
	if (c && !ok)
		show(&err);
	UNIT_OK(ok, "HTTPS with the CA file works");
	s3_client_free(c);

	/* the CA as a secret key selector */
	free(s.ca_file);
	s.ca_file = NULL;
	sg_buf_init(&pem);
	f = fopen(ca_file, "r");
	if (f)
	{
		char		buf[4096];
		size_t		n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			sg_buf_append(&pem, buf, n);
		fclose(f);
	}
	ok = mkdtemp(secrets) != NULL;
	snprintf(path, sizeof(path), "%s/s3-tls", secrets);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/s3-tls/ca.crt", secrets);
	write_file(path, pem.data, pem.len);
	s.ca_certificate.name = sg_strdup("s3-tls");
	s.ca_certificate.key = sg_strdup("ca.crt");
	sg_error_clear(&err);
	c = s3_client_new(&s, secrets, NULL, &err);
	ok = c && put_get_small(c, "tls/b", &err);
	if (!ok)
		show(&err);
	UNIT_OK(ok, "HTTPS with the caCertificate secret key selector works");
	s3_client_free(c);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s3-tls", secrets);
	rmdir(path);
	rmdir(secrets);
	sg_buf_free(&pem);

	/* without it: refused, no downgrade, no retries */
	free(s.ca_certificate.name);
	free(s.ca_certificate.key);
	s.ca_certificate.name = s.ca_certificate.key = NULL;
	limits.total_timeout_s = 20;
	c = client_for(&s, &limits);
	sg_error_clear(&err);
	ok = c && s3_put_object(c, "tls/c", "x", 1, NULL, 0, &err);
	show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_CONFIG && strstr(err.detail, "certificate"),
			"HTTPS without the CA file fails verification");
	UNIT_OK(strstr(err.hint, "s3_ca_file") != NULL, "the hint names s3_ca_file");
	s3_client_free(c);
	sg_storage_free(&s);
}

static void
test_virtual_hosted(void)
{
	char		endpoint[256];
	const char *port = strrchr(http_endpoint, ':');
	sg_storage	s;
	s3_client  *c;
	sg_error	err;
	bool		ok;

	snprintf(endpoint, sizeof(endpoint), "http://localhost%s", port);
	unit_s3_storage(&s, endpoint, bucket);
	s.force_path_style = false;
	c = client_for(&s, NULL);
	ok = c && put_get_small(c, "vhost/a", &err);
	if (c && !ok)
		show(&err);
	UNIT_OK(ok, "virtual-hosted addressing via %s.localhost works", bucket);
	s3_client_free(c);
	sg_storage_free(&s);
}

static void
test_storage_class(void)
{
	sg_storage	s;
	s3_client  *c;
	s3_object_info info = {0};
	counter		k = {0};
	sg_error	err;
	bool		ok;

	unit_s3_storage(&s, http_endpoint, bucket);
	s.storage_class = sg_strdup("STANDARD_IA");
	c = client_for(&s, NULL);
	ok = c && s3_put_object(c, "class/ia", "ia", 2, NULL, 0, &err);
	if (c && !ok)
		show(&err);
	UNIT_OK(ok, "put with storage class STANDARD_IA");
	ok = ok && s3_head_object(c, "class/ia", &info, &err);
	UNIT_STREQ(info.storage_class, "STANDARD_IA", "head shows the storage class");
	ok = ok && s3_list_objects(c, "class/", count_entry, &k, &err);
	UNIT_STREQ(k.storage_class, "STANDARD_IA", "list shows the storage class");
	if (c)
		s3_delete_object(c, "class/ia", &err);
	s3_object_info_free(&info);
	s3_client_free(c);
	free(s.storage_class);
	s.storage_class = sg_strdup("NO_SUCH_CLASS");
	c = client_for(&s, NULL);
	ok = c && s3_put_object(c, "class/bad", "x", 1, NULL, 0, &err);
	show(&err);
	UNIT_OK(c && !ok && err.http_status == 400, "an unknown storage class is refused");
	s3_client_free(c);
	sg_storage_free(&s);
}

/* ---- failures ---- */

static void
test_wrong_secret(void)
{
	const char *wrong = "WRONGsecretKEYvalue0123456789";
	sg_storage	s;
	s3_client  *c;
	sg_error	err;
	bool		ok;

	setenv("AWS_SECRET_ACCESS_KEY", wrong, 1);
	unit_s3_storage(&s, http_endpoint, bucket);
	c = client_for(&s, NULL);
	setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
	sg_error_clear(&err);
	ok = c && s3_put_object(c, "cred/x", "x", 1, NULL, 0, &err);
	show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_CREDENTIALS && err.http_status == 403,
			"a wrong secret is CREDENTIALS");
	UNIT_OK(strstr(err.msg, bucket) != NULL && strstr(err.detail, "cred/x") != NULL,
			"the error names the bucket and the key");
	UNIT_OK(strstr(err.msg, wrong) == NULL && strstr(err.detail, wrong) == NULL &&
			strstr(err.hint, wrong) == NULL && strstr(err.detail, "Signature=") == NULL,
			"the secret is not in the error");
	ok = c && s3_list_objects(c, "", count_entry, &(counter) {0}, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CREDENTIALS, "list with a wrong secret is CREDENTIALS");
	s3_client_free(c);
	sg_storage_free(&s);
}

static void
test_no_bucket(void)
{
	sg_storage	s;
	s3_client  *c;
	sg_buf		out;
	sg_error	err;
	bool		ok;

	unit_s3_storage(&s, http_endpoint, bucket);
	free(s.bucket);
	s.bucket = sg_strdup("sgbackup-no-such-bucket");
	c = client_for(&s, NULL);
	sg_buf_init(&out);
	ok = c && s3_get_object(c, "x", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_NOT_FOUND &&
			strstr(err.msg, "sgbackup-no-such-bucket"),
			"a missing bucket is NOT_FOUND naming the bucket");
	ok = c && s3_put_object(c, "x", "x", 1, NULL, 0, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_NOT_FOUND, "put to a missing bucket is NOT_FOUND");
	ok = c && s3_delete_object(c, "x", &err);
	UNIT_OK(!ok && err.kind == SG_ERR_NOT_FOUND, "delete in a missing bucket is NOT_FOUND");
	sg_buf_free(&out);
	s3_client_free(c);
	sg_storage_free(&s);
}

static void
test_closed_port(void)
{
	sg_storage	s;
	s3_limits	limits = {0};
	s3_client  *c;
	sg_error	err;
	double		t0;
	bool		ok;

	unit_s3_storage(&s, "http://127.0.0.1:1", bucket);
	limits.total_timeout_s = 3;
	c = client_for(&s, &limits);
	t0 = now_s();
	ok = c && s3_put_object(c, "x", "x", 1, NULL, 0, &err);
	t0 = now_s() - t0;
	show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_NETWORK && t0 < 5,
			"a closed port is NETWORK after %.1f s of retries", t0);
	UNIT_OK(strstr(err.detail, "127.0.0.1:1") && strstr(err.hint, "s3_endpoint"),
			"the error names the endpoint and the setting");
	s3_client_free(c);
	sg_storage_free(&s);
}

/* ---- fake server: retries, hangs, cancel ---- */

static pid_t
start_fake(const char *mode, int *port)
{
	int			fds[2];
	pid_t		pid;
	char		line[32] = "";
	FILE	   *f;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0)
	{
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("python3", "python3", fake_script, mode, (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		*port = 0;
	else
		*port = atoi(line);
	if (f)
		fclose(f);
	return pid;
}

static void
stop_fake(pid_t pid)
{
	if (pid > 0)
	{
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static volatile int cancel_flag;

static void *
cancel_later(void *arg)
{
	struct timespec ts = {0, 500 * 1000 * 1000};

	nanosleep(&ts, NULL);
	cancel_flag = 1;
	return NULL;
}

static void
test_fake(void)
{
	char		endpoint[64];
	sg_storage	s;
	s3_limits	limits = {0};
	s3_client  *c;
	sg_buf		out;
	sg_error	err;
	s3_object_info info;
	pthread_t	th;
	double		t0;
	int			port;
	pid_t		pid;
	bool		ok;

	if (access(fake_script, R_OK) != 0)
	{
		UNIT_OK(1, "# SKIP %s not found", fake_script);
		return;
	}
	sg_buf_init(&out);
	pid = start_fake("flaky", &port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	unit_s3_storage(&s, endpoint, bucket);
	c = client_for(&s, NULL);
	ok = c && s3_get_object(c, "x", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	UNIT_OK(ok && strcmp(out.data, "attempt 3") == 0,
			"503 twice then 200: the third attempt succeeds (%s)", out.data);
	s3_client_free(c);
	stop_fake(pid);

	pid = start_fake("flaky", &port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	free(s.endpoint);
	s.endpoint = sg_strdup(endpoint);
	limits.max_retries = 1;
	c = client_for(&s, &limits);
	ok = c && s3_get_object(c, "x", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	show(&err);
	UNIT_OK(!ok && err.kind == SG_ERR_SERVER && err.http_status == 503 &&
			strstr(err.detail, "SlowDown"), "with max_retries 1 the 503 is reported");
	s3_client_free(c);
	stop_fake(pid);

	pid = start_fake("hang", &port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	free(s.endpoint);
	s.endpoint = sg_strdup(endpoint);
	limits.max_retries = 0;
	limits.low_speed_time_s = 1;
	limits.total_timeout_s = 3;
	c = client_for(&s, &limits);
	t0 = now_s();
	ok = c && s3_get_object(c, "x", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	t0 = now_s() - t0;
	show(&err);
	UNIT_OK(!ok && err.kind == SG_ERR_NETWORK && t0 < 6,
			"a hung server times out after %.1f s", t0);
	s3_client_free(c);

	limits.low_speed_time_s = 30;
	limits.total_timeout_s = 60;
	limits.cancel = &cancel_flag;
	c = client_for(&s, &limits);
	pthread_create(&th, NULL, cancel_later, NULL);
	t0 = now_s();
	ok = c && s3_put_object(c, "x", "x", 1, NULL, 0, &err);
	t0 = now_s() - t0;
	pthread_join(th, NULL);
	show(&err);
	UNIT_OK(!ok && t0 < 2 && strstr(err.msg, "cancelled"),
			"cancel stops a hung request after %.1f s", t0);
	s3_client_free(c);
	stop_fake(pid);

	pid = start_fake("cut", &port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	free(s.endpoint);
	s.endpoint = sg_strdup(endpoint);
	c = client_for(&s, NULL);
	memset(&info, 0, sizeof(info));
	ok = c && s3_get_object(c, "x", 0, 0, UNIT_MAX_BODY, &out, &info, &err);
	if (!ok)
		show(&err);
	UNIT_OK(ok && strcmp(out.data, "0123456789abcdefghij") == 0 && info.size == 20,
			"a download that breaks off resumes with a Range request (%s)", out.data);
	s3_object_info_free(&info);
	s3_client_free(c);
	stop_fake(pid);
	sg_storage_free(&s);
	sg_buf_free(&out);
}

/* delete whatever this run left under its prefix */
static void
clean_up(s3_client *c)
{
	int			n = unit_s3_delete_all(c);

	UNIT_OK(count_under(c, "") == 0, "cleaned up %d leftover objects", n);
}

int
main(int argc, char **argv)
{
	sg_storage	s;
	s3_client  *c;
	sg_error	err;
	char	   *dir = sg_strdup(argv[0]);

	snprintf(fake_script, sizeof(fake_script), "%s/../fake_s3.py", dirname(dir));
	free(dir);
	if (!unit_s3_setup("test-s3"))
		return 0;

	UNIT_OK(s3_global_init(&err), "global init");
	unit_s3_storage(&s, http_endpoint, bucket);
	c = client_for(&s, NULL);
	UNIT_OK(c != NULL, "client for %s", http_endpoint);
	if (c == NULL)
		return UNIT_DONE();
	test_basic(c);
	test_list(c);
	test_delete_many(c);
	test_multipart(c, &s);
	test_https();
	test_virtual_hosted();
	test_storage_class();
	test_wrong_secret();
	test_no_bucket();
	test_closed_port();
	test_fake();
	clean_up(c);
	s3_client_free(c);
	sg_storage_free(&s);
	return UNIT_DONE();
}
