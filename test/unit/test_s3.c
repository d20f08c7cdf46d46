/*
 * test_s3.c - the S3 client against a real S3 server (the Ceph RADOS
 * Gateway started by scripts/rgw.sh, settings in SG_TEST_S3_*), including
 * gateway users that hold only an IAM policy (the StackGres guide's, and
 * one without s3:PutObject and s3:GetObject), plus retries, time-outs,
 * stores without batch delete and hostile replies against the scripted
 * fake server test/fake_s3.py.
 *
 * Every run works under its own prefix and deletes what it made.
 */
#include <libgen.h>
#include <malloc.h>
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
static char rgw_script[1024];

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
		unit_s3_show(&err);
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

	unit_s3_fill_random(data, len, 42);
	sg_buf_init(&out);
	ok = s3_put_object(c, "basic/obj 1+x", data, len, meta, 2, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "put object");
	memset(&info, 0, sizeof(info));
	ok = s3_get_object(c, "basic/obj 1+x", 0, 0, UNIT_MAX_BODY, &out, &info, &err);
	if (!ok)
		unit_s3_show(&err);
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
		unit_s3_show(&err);
	UNIT_OK(ok, "put %d tiny objects in %.2f s", n, now_s() - t0);
	UNIT_OK(count_under(c, "many/") == n, "all %d are listed", n);
	t0 = now_s();
	ok = s3_delete_objects(c, (const char *const *) keys, n, &err);
	if (!ok)
		unit_s3_show(&err);
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
			unit_s3_show(&err);
	}
	s3_client_free(c);
	return NULL;
}

/* is an upload with this id still listed by ListMultipartUploads? */
static bool
upload_listed(s3_client *c, const char *upload_id)
{
	s3_kv		query[] = {{"uploads", ""}, {"prefix", prefix}};
	s3_request	req = {"GET", .verb = "list uploads", .query = query, .nquery = 2};
	s3_response resp;
	sg_error	err;
	bool		listed;

	listed = s3_request_call(c, &req, &resp, &err) && resp.body.data &&
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

	unit_s3_fill_random(data, total, 7);
	mp = s3_multipart_create(c, "multi/big", meta, 1, &err);
	if (mp == NULL)
		unit_s3_show(&err);
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
		unit_s3_show(&err);
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

/* ---- IAM policies: what a user holding only a policy may do ---- */

/* the policy of the StackGres guide's backup user ("AWS S3" backup set-up) */
#define GUIDE_POLICY \
	"{\"Version\": \"2012-10-17\", \"Statement\": [" \
	"{\"Effect\": \"Allow\", \"Action\": [\"s3:ListBucket\", \"s3:GetBucketLocation\"]," \
	" \"Resource\": [\"arn:aws:s3:::%1$s\"]}," \
	"{\"Effect\": \"Allow\", \"Action\": [\"s3:PutObject\", \"s3:GetObject\", \"s3:DeleteObject\"]," \
	" \"Resource\": [\"arn:aws:s3:::%1$s/*\"]}]}"

/* the same without s3:PutObject and s3:GetObject */
#define NO_PUT_GET_POLICY \
	"{\"Version\": \"2012-10-17\", \"Statement\": [" \
	"{\"Effect\": \"Allow\", \"Action\": [\"s3:ListBucket\", \"s3:GetBucketLocation\"]," \
	" \"Resource\": [\"arn:aws:s3:::%1$s\"]}," \
	"{\"Effect\": \"Allow\", \"Action\": [\"s3:DeleteObject\"]," \
	" \"Resource\": [\"arn:aws:s3:::%1$s/*\"]}]}"

typedef struct policy_user
{
	char		uid[64];
	char		access_key[64];
	char		secret_key[64];
} policy_user;

static const char *
rgw_dir(void)
{
	const char *dir = getenv("SG_TEST_RGW_DIR");

	return dir ? dir : "/tmp/sgbackup-rgw";
}

/* a new gateway user whose only permissions are policy (scripts/rgw.sh) */
static bool
policy_user_make(policy_user *u, const char *name, const char *policy_format)
{
	char		path[] = "/tmp/sgtest-policyXXXXXX";
	char		cmd[2048];
	int			fd = mkstemp(path);
	FILE	   *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int			rc;

	snprintf(u->uid, sizeof(u->uid), "sgtest-%s-%d", name, (int) getpid());
	snprintf(u->access_key, sizeof(u->access_key), "SGTEST%s%d", name, (int) getpid());
	snprintf(u->secret_key, sizeof(u->secret_key), "secret/%s/%d/%ld", name,
			 (int) getpid(), (long) time(NULL));
	if (f == NULL)
		return false;
	fprintf(f, policy_format, bucket);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "bash '%s' policy-user '%s' '%s' '%s' '%s' '%s'",
			 rgw_script, u->uid, u->access_key, u->secret_key, path, rgw_dir());
	rc = system(cmd);
	unlink(path);
	return rc == 0;
}

static void
policy_user_remove(const policy_user *u)
{
	char		cmd[2048];

	snprintf(cmd, sizeof(cmd), "bash '%s' remove-user '%s' '%s'", rgw_script,
			 u->uid, rgw_dir());
	if (system(cmd) != 0)
		printf("# could not remove gateway user %s\n", u->uid);
}

/* a client of the test storage signing with another user's keys */
static s3_client *
client_of(const policy_user *u)
{
	sg_storage	s;
	s3_client  *c;

	setenv("AWS_ACCESS_KEY_ID", u->access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", u->secret_key, 1);
	unit_s3_storage(&s, http_endpoint, bucket);
	c = client_for(&s, NULL);
	sg_storage_free(&s);
	setenv("AWS_ACCESS_KEY_ID", access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
	return c;
}

/* "arn:aws:s3:::bucket/<prefix>/key" */
static const char *
object_arn(const char *key)
{
	static char arn[512];

	snprintf(arn, sizeof(arn), "arn:aws:s3:::%s/%s/%s", bucket, prefix, key);
	return arn;
}

/* err is a refused permission: the message says which action on which resource */
static void
expect_permission(const sg_error *err, const char *action, const char *resource,
				  const char *what)
{
	char		want[1024];

	snprintf(want, sizeof(want), "permission denied for %s on %s", action, resource);
	unit_s3_show(err);
	UNIT_OK(err->kind == SG_ERR_PERMISSION && err->http_status == 403,
			"%s is a refused permission", what);
	UNIT_STREQ(err->msg, want, "%s: the message names the action and the resource", what);
	UNIT_OK(strstr(err->detail, "403") != NULL, "%s: the detail gives the server's answer", what);
	UNIT_OK(strstr(err->hint, action) != NULL, "%s: the hint says what to allow", what);
}

static bool
count_upload(void *arg, const s3_upload_entry *e)
{
	(*(int *) arg)++;
	return true;
}

/* put n small objects "<dir>/<i>"; their keys into keys[] (malloc'ed) */
static bool
put_small(s3_client *c, const char *dir, int n, char **keys)
{
	sg_error	err;
	bool		ok = true;
	int			i;

	for (i = 0; i < n; i++)
	{
		char		key[128];

		snprintf(key, sizeof(key), "%s/%d", dir, i);
		keys[i] = sg_strdup(key);
		if (ok && !(ok = s3_put_object(c, key, "x", 1, NULL, 0, &err)))
			unit_s3_show(&err);
	}
	return ok;
}

static void
free_keys(char **keys, int n)
{
	for (int i = 0; i < n; i++)
		free(keys[i]);
}

/* archiving, backups, listing: what the guide's policy allows */
static void
guide_allows(s3_client *c, s3_client *admin)
{
	char	   *data = sg_malloc(PART_SIZE);
	s3_object_info info = {0};
	s3_multipart *mp;
	sg_buf		out;
	sg_error	err;
	bool		ok;

	unit_s3_fill_random(data, PART_SIZE, 3);
	sg_buf_init(&out);
	ok = s3_put_object(c, "guide/wal", data, 1000, NULL, 0, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "guide's policy: put an object (s3:PutObject)");
	ok = s3_head_object(c, "guide/wal", &info, &err) && info.exists;
	UNIT_OK(ok, "guide's policy: head an object (s3:GetObject)");
	s3_object_info_free(&info);
	ok = s3_head_object(c, "guide/missing", &info, &err) && !info.exists;
	UNIT_OK(ok, "guide's policy: head of a missing object says it is missing");
	ok = s3_get_object(c, "guide/wal", 0, 0, UNIT_MAX_BODY, &out, NULL, &err) &&
		out.len == 1000;
	UNIT_OK(ok, "guide's policy: get an object (s3:GetObject)");
	UNIT_OK(count_under(c, "guide/") == 1, "guide's policy: list (s3:ListBucket)");
	mp = s3_multipart_create(c, "guide/base.tar", NULL, 0, &err);
	ok = mp && s3_multipart_put_part(c, mp, 1, data, PART_SIZE, &err) &&
		s3_multipart_put_part(c, mp, 2, data, 10, &err) &&
		s3_multipart_complete(c, mp, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "guide's policy: a multipart upload (s3:PutObject)");
	s3_multipart_free(mp);
	s3_delete_object(admin, "guide/base.tar", &err);
	sg_buf_free(&out);
	free(data);
}

/* retention: the gateway refuses DeleteObjects under the guide's policy */
static void
guide_deletes(s3_client *c, s3_client *admin)
{
	char	   *keys[8];
	sg_error	err;
	bool		ok;

	ok = put_small(c, "guide/old", 5, keys);
	ok = ok && s3_delete_objects(c, (const char *const *) keys, 5, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "guide's policy: deleting 5 objects works (one by one when the batch is refused)");
	UNIT_OK(count_under(admin, "guide/old/") == 0, "guide's policy: they are really gone");
	free_keys(keys, 5);

	ok = put_small(c, "guide/older", 3, keys);
	ok = ok && s3_delete_objects(c, (const char *const *) keys, 3, &err);
	UNIT_OK(ok && count_under(admin, "guide/older/") == 0,
			"guide's policy: a second batch delete works too");
	free_keys(keys, 3);

	ok = s3_delete_object(c, "guide/wal", &err);
	UNIT_OK(ok && count_under(admin, "guide/") == 0,
			"guide's policy: delete one object (s3:DeleteObject)");
}

/* a dead backup's uploads: listing and aborting them is refused */
static void
guide_stale_uploads(s3_client *c, s3_client *admin)
{
	char		bucket_arn[256];
	s3_multipart *mp;
	sg_error	err;
	int			n = 0;
	bool		ok;

	snprintf(bucket_arn, sizeof(bucket_arn), "arn:aws:s3:::%s", bucket);
	mp = s3_multipart_create(c, "guide/stale", NULL, 0, &err);
	UNIT_OK(mp != NULL, "guide's policy: start a multipart upload");
	if (mp == NULL)
		return;

	sg_error_clear(&err);
	ok = s3_list_multipart_uploads(c, "guide/", count_upload, &n, &err);
	UNIT_OK(!ok, "guide's policy: listing unfinished uploads is refused");
	expect_permission(&err, "s3:ListBucketMultipartUploads", bucket_arn, "list uploads");
	UNIT_OK(strstr(err.hint, "s3:AbortMultipartUpload") &&
			strstr(err.hint, "AbortIncompleteMultipartUpload") &&
			strstr(err.hint, "DaysAfterInitiation"),
			"list uploads: the hint names both permissions and the lifecycle rule");

	sg_error_clear(&err);
	ok = s3_multipart_abort(c, mp, &err);
	UNIT_OK(!ok, "guide's policy: aborting an upload is refused");
	expect_permission(&err, "s3:AbortMultipartUpload", object_arn("guide/stale"), "abort");
	UNIT_OK(strstr(err.hint, "s3:ListBucketMultipartUploads") &&
			strstr(err.hint, "AbortIncompleteMultipartUpload"),
			"abort: the hint names both permissions and the lifecycle rule");

	sg_error_clear(&err);
	ok = s3_abort_stale_uploads(c, "guide/", &n, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_PERMISSION &&
			strstr(err.msg, "s3:ListBucketMultipartUploads") != NULL,
			"s3_abort_stale_uploads (base backup start) reports the refused permission: %s",
			err.msg);

	ok = s3_multipart_abort(admin, mp, &err);
	UNIT_OK(ok, "the bucket's owner aborts it");
	s3_multipart_free(mp);
}

static void
test_guide_policy(s3_client *admin)
{
	policy_user u;
	s3_client  *c;
	bool		ok;

	ok = policy_user_make(&u, "guide", GUIDE_POLICY);
	UNIT_OK(ok, "gateway user %s holds exactly the StackGres guide's policy", u.uid);
	if (!ok)
		return;
	c = client_of(&u);
	if (c)
	{
		guide_allows(c, admin);
		guide_deletes(c, admin);
		guide_stale_uploads(c, admin);
	}
	s3_client_free(c);
	policy_user_remove(&u);
}

/* without s3:PutObject and s3:GetObject: each refusal names what is missing */
static void
test_missing_permissions(s3_client *admin)
{
	policy_user u;
	s3_client  *c;
	s3_object_info info = {0};
	sg_buf		out;
	sg_error	err;
	bool		ok;

	ok = policy_user_make(&u, "noputget", NO_PUT_GET_POLICY);
	UNIT_OK(ok, "gateway user %s may list and delete only", u.uid);
	if (!ok)
		return;
	ok = s3_put_object(admin, "limited/x", "x", 1, NULL, 0, &err);
	sg_buf_init(&out);

	/* a fresh client each time: nothing it did before proves its keys */
	c = client_of(&u);
	sg_error_clear(&err);
	ok = c && s3_put_object(c, "limited/wal", "x", 1, NULL, 0, &err);
	UNIT_OK(c && !ok, "put without s3:PutObject fails");
	expect_permission(&err, "s3:PutObject", object_arn("limited/wal"), "put");
	UNIT_OK(strstr(err.hint, "arn:aws:s3:::") != NULL && strstr(err.hint, u.secret_key) == NULL,
			"put: the hint names the resource to allow and no secret: %s", err.hint);
	s3_client_free(c);

	c = client_of(&u);
	sg_error_clear(&err);
	ok = c && s3_head_object(c, "limited/x", &info, &err);
	UNIT_OK(c && !ok, "head without s3:GetObject fails");
	expect_permission(&err, "s3:GetObject", object_arn("limited/x"), "head (a reply without a body)");
	s3_client_free(c);

	c = client_of(&u);
	sg_error_clear(&err);
	ok = c && s3_get_object(c, "limited/x", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	UNIT_OK(c && !ok, "get without s3:GetObject fails");
	expect_permission(&err, "s3:GetObject", object_arn("limited/x"), "get");

	sg_error_clear(&err);
	ok = c && s3_multipart_create(c, "limited/base.tar", NULL, 0, &err) != NULL;
	UNIT_OK(c && !ok, "a multipart upload without s3:PutObject fails");
	expect_permission(&err, "s3:PutObject", object_arn("limited/base.tar"), "multipart create");
	UNIT_OK(c && count_under(c, "limited/") == 1, "listing is allowed (s3:ListBucket)");
	s3_client_free(c);

	s3_delete_object(admin, "limited/x", &err);
	sg_buf_free(&out);
	policy_user_remove(&u);
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
		UNIT_SKIP("HTTPS", "no HTTPS endpoint (SG_TEST_S3_HTTPS and SG_TEST_S3_CA_FILE unset)");
		return;
	}
	unit_s3_storage(&s, https, bucket);
	s.ca_file = sg_strdup(ca_file);
	c = client_for(&s, NULL);
	ok = c && put_get_small(c, "tls/a", &err);
	if (c && !ok)
		unit_s3_show(&err);
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
		unit_s3_show(&err);
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
	unit_s3_show(&err);
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
		unit_s3_show(&err);
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
		unit_s3_show(&err);
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
	unit_s3_show(&err);
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
	unit_s3_show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_CREDENTIALS && err.http_status == 403,
			"a wrong secret is CREDENTIALS");
	UNIT_OK(strstr(err.msg, bucket) != NULL && strstr(err.detail, "cred/x") != NULL,
			"the error names the bucket and the key");
	UNIT_OK(strstr(err.msg, wrong) == NULL && strstr(err.detail, wrong) == NULL &&
			strstr(err.hint, wrong) == NULL && strstr(err.detail, "Signature=") == NULL,
			"the secret is not in the error");
	ok = c && s3_list_objects(c, "", count_entry, &(counter) {0}, &err);
	UNIT_OK(!ok && err.kind == SG_ERR_CREDENTIALS, "list with a wrong secret is CREDENTIALS");
	sg_error_clear(&err);
	ok = c && s3_head_object(c, "cred/x", &(s3_object_info) {0}, &err);
	unit_s3_show(&err);
	UNIT_OK(!ok && err.kind == SG_ERR_CREDENTIALS,
			"head (a 403 without a body) with a wrong secret is CREDENTIALS");
	s3_client_free(c);

	setenv("AWS_ACCESS_KEY_ID", "SGTESTNOSUCHKEY", 1);
	c = client_for(&s, NULL);
	setenv("AWS_ACCESS_KEY_ID", access_key, 1);
	sg_error_clear(&err);
	ok = c && s3_put_object(c, "cred/x", "x", 1, NULL, 0, &err);
	unit_s3_show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_CREDENTIALS &&
			strstr(err.msg, "S3 refused the credentials") != NULL,
			"an unknown access key is CREDENTIALS");
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
	unit_s3_show(&err);
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
	unit_s3_show(&err);
	UNIT_OK(c && !ok && err.kind == SG_ERR_NETWORK && t0 < 5,
			"a closed port is NETWORK after %.1f s of retries", t0);
	UNIT_OK(strstr(err.detail, "127.0.0.1:1") && strstr(err.hint, "s3_endpoint"),
			"the error names the endpoint and the setting");
	s3_client_free(c);
	sg_storage_free(&s);
}

/* ---- bandwidth ---- */

#define BANDWIDTH_OBJECT (2 * 1024 * 1024)
#define BANDWIDTH_LIMIT (512 * 1024)

/* 2 MiB at 512 KiB/s each way take 4 s: at least 3 s, however slow the machine */
static void
test_bandwidth(void)
{
	sg_storage	s;
	s3_limits	limits = {.max_bandwidth = BANDWIDTH_LIMIT};
	s3_client  *c;
	char	   *data = sg_malloc(BANDWIDTH_OBJECT);
	sg_buf		out;
	sg_error	err;
	double		t0;
	double		put_s;
	double		get_s;
	bool		ok;

	unit_s3_fill_random(data, BANDWIDTH_OBJECT, 7);
	sg_buf_init(&out);
	unit_s3_storage(&s, http_endpoint, bucket);
	c = client_for(&s, &limits);
	t0 = now_s();
	ok = c && s3_put_object(c, "bandwidth/a", data, BANDWIDTH_OBJECT, NULL, 0, &err);
	put_s = now_s() - t0;
	if (c && !ok)
		unit_s3_show(&err);
	UNIT_OK(ok && put_s >= 3.0, "a 2 MiB put at 512 KiB/s takes %.1f s (at least 3)", put_s);
	t0 = now_s();
	ok = c && s3_get_object(c, "bandwidth/a", 0, 0, UNIT_MAX_BODY, &out, NULL, &err);
	get_s = now_s() - t0;
	if (c && !ok)
		unit_s3_show(&err);
	UNIT_OK(ok && get_s >= 3.0, "a 2 MiB get at 512 KiB/s takes %.1f s (at least 3)", get_s);
	UNIT_OK(ok && out.len == BANDWIDTH_OBJECT && memcmp(out.data, data, out.len) == 0,
			"the bytes got are those put");
	s3_client_free(c);
	sg_storage_free(&s);
	sg_buf_free(&out);
	free(data);
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
	unit_s3_show(&err);
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
	unit_s3_show(&err);
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
	unit_s3_show(&err);
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
		unit_s3_show(&err);
	UNIT_OK(ok && strcmp(out.data, "0123456789abcdefghij") == 0 && info.size == 20,
			"a download that breaks off resumes with a Range request (%s)", out.data);
	s3_object_info_free(&info);
	s3_client_free(c);
	stop_fake(pid);
	sg_storage_free(&s);
	sg_buf_free(&out);
}

/* ---- fake server: stores without batch delete, hostile replies ---- */

static s3_client *
fake_client(const char *mode, pid_t *pid)
{
	char		endpoint[64];
	sg_storage	s;
	s3_limits	limits = {0};
	s3_client  *c;
	int			port;

	*pid = start_fake(mode, &port);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", port);
	unit_s3_storage(&s, endpoint, bucket);
	limits.max_retries = 2;
	limits.total_timeout_s = 20;
	c = client_for(&s, &limits);
	sg_storage_free(&s);
	return c;
}

static void
test_no_batch_delete(const char *code)
{
	const char *keys[] = {"wal/1", "wal/2", "wal/3"};
	char		mode[32];
	sg_buf		out;
	sg_error	err;
	pid_t		pid;
	s3_client  *c;
	bool		ok;

	snprintf(mode, sizeof(mode), "nobatch:%s", code);
	c = fake_client(mode, &pid);
	sg_buf_init(&out);
	sg_error_clear(&err);
	ok = c && s3_delete_objects(c, keys, 3, &err);
	if (!ok)
		unit_s3_show(&err);
	UNIT_OK(ok, "batch delete answered %s: deleted one by one", code);
	ok = c && s3_delete_objects(c, keys, 3, &err);
	UNIT_OK(ok, "batch delete answered %s: a second call works", code);
	ok = c && s3_get_object(c, "stats", 0, 0, 1024, &out, NULL, &err);
	UNIT_STREQ(ok ? out.data : err.msg, "posts=1 deletes=6",
			   "batch delete answered %s: asked once, then one DELETE per key", code);
	s3_client_free(c);
	stop_fake(pid);
	sg_buf_free(&out);
}

/* what a child process reports back */
typedef struct child_result
{
	bool		ok;
	sg_error	err;
	long		grew_kb;		/* peak resident size during the call, beyond
								 * the size before it; -1 if unknown */
} child_result;

typedef bool (*client_call) (s3_client *c, sg_error *err);

/* a field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1 */
static long
status_kb(const char *field)
{
	FILE	   *f = fopen("/proc/self/status", "r");
	char		line[256];
	long		kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			kb = atol(line + strlen(field));
	if (f)
		fclose(f);
	return kb;
}

/* start counting the peak resident size (VmHWM) afresh */
static bool
reset_peak(void)
{
	FILE	   *f = fopen("/proc/self/clear_refs", "w");
	bool		ok = f && fputs("5", f) >= 0;

	if (f && fclose(f) != 0)
		ok = false;
	return ok;
}

/* call with a client of the fake server in mode, in a child process */
static child_result
in_child(const char *mode, client_call call)
{
	child_result r = {false, {0}, -1};
	int			fds[2];
	pid_t		pid;
	pid_t		fake;

	if (pipe(fds) != 0)
		return r;
	pid = fork();
	if (pid == 0)
	{
		s3_client  *c = fake_client(mode, &fake);
		long		before;

		close(fds[0]);
		sg_error_clear(&r.err);
		malloc_trim(0);
		before = reset_peak() ? status_kb("VmRSS:") : -1;
		r.ok = c && call(c, &r.err);
		if (before >= 0)
			r.grew_kb = status_kb("VmHWM:") - before;
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		s3_client_free(c);
		stop_fake(fake);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != sizeof(r))
		r.err.msg[0] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return r;
}

static bool
call_list(s3_client *c, sg_error *err)
{
	counter		k = {0};

	return s3_list_objects(c, "", count_entry, &k, err);
}

static bool
call_get(s3_client *c, sg_error *err)
{
	sg_buf		out;
	bool		ok;

	sg_buf_init(&out);
	ok = s3_get_object(c, "x", 0, 0, UNIT_MAX_BODY, &out, NULL, err);
	sg_buf_free(&out);
	return ok;
}

static bool
call_head(s3_client *c, sg_error *err)
{
	s3_object_info info = {0};
	bool		ok = s3_head_object(c, "x", &info, err);

	s3_object_info_free(&info);
	return ok;
}

static bool
call_delete_objects(s3_client *c, sg_error *err)
{
	const char *keys[] = {"a", "b"};

	return s3_delete_objects(c, keys, 2, err);
}

static bool
call_list_uploads(s3_client *c, sg_error *err)
{
	int			n = 0;

	return s3_list_multipart_uploads(c, "", count_upload, &n, err);
}

static bool
call_create_upload(s3_client *c, sg_error *err)
{
	s3_multipart *mp = s3_multipart_create(c, "x", NULL, 0, err);

	s3_multipart_free(mp);
	return mp != NULL;
}

/* the fake server sends 32 MiB where a few KiB are expected */
static void
test_huge_replies(void)
{
	child_result r;
	long		small_kb;

	/* what a small reply costs: the connection, libcurl's buffers */
	r = in_child("flaky", call_get);
	small_kb = r.grew_kb;
	UNIT_OK(r.ok && small_kb >= 0, "a small reply: the peak grows by %ld KiB", small_kb);

	r = in_child("huge-list", call_list);
	unit_s3_show(&r.err);
	UNIT_OK(!r.ok && r.err.kind == SG_ERR_SERVER && strstr(r.err.detail, "larger than"),
			"a 32 MiB listing is refused: %s", r.err.detail);
	UNIT_OK(r.grew_kb >= 0 && r.grew_kb < small_kb + 12 * 1024,
			"... holding about the 8 MiB limit at most (the peak grows by %ld KiB)",
			r.grew_kb);

	r = in_child("huge-error", call_get);
	unit_s3_show(&r.err);
	UNIT_OK(!r.ok && r.err.http_status == 400 && strstr(r.err.detail, "InvalidArgument"),
			"a 32 MiB error reply is reported with its code");
	UNIT_OK(r.grew_kb >= 0 && r.grew_kb < small_kb + 4 * 1024,
			"... keeping only its start (the peak grows by %ld KiB)", r.grew_kb);

	r = in_child("huge-headers", call_head);
	unit_s3_show(&r.err);
	UNIT_OK(!r.ok && r.err.kind == SG_ERR_SERVER && strstr(r.err.detail, "headers"),
			"1 MiB of reply headers is refused: %s", r.err.detail);
}

/* 200 OK with an <Error> body: the error is reported with its code */
static void
test_error_in_200(void)
{
	struct
	{
		const char *what;
		client_call call;
	}			calls[] = {
		{"a listing", call_list},
		{"a batch delete", call_delete_objects},
		{"a listing of uploads", call_list_uploads},
		{"starting a multipart upload", call_create_upload},
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
	{
		child_result r = in_child("error-in-200", calls[i].call);

		unit_s3_show(&r.err);
		UNIT_OK(!r.ok && r.err.kind == SG_ERR_SERVER &&
				strstr(r.err.detail, "InternalError") != NULL,
				"%s answered 200 with an error inside fails naming the error", calls[i].what);
	}
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
	char	   *path = sg_strdup(argv[0]);
	const char *dir = dirname(path);

	snprintf(fake_script, sizeof(fake_script), "%s/../fake_s3.py", dir);
	snprintf(rgw_script, sizeof(rgw_script), "%s/../../scripts/rgw.sh", dir);
	free(path);
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
	test_guide_policy(c);
	test_missing_permissions(c);
	test_bandwidth();
	UNIT_OK(access(fake_script, R_OK) == 0, "the fake S3 server %s is there", fake_script);
	if (access(fake_script, R_OK) == 0)
	{
		test_fake();
		test_no_batch_delete("501");
		test_no_batch_delete("405");
		test_no_batch_delete("400");
		test_huge_replies();
		test_error_in_200();
	}
	clean_up(c);
	s3_client_free(c);
	sg_storage_free(&s);
	return UNIT_DONE();
}
