/*
 * unit_s3.h - the test gateway for the C unit tests that talk to S3:
 * scripts/rgw.sh exports its settings as SG_TEST_S3_*; this loads them,
 * puts the test credentials in the environment (the client's credential
 * chain reads them there), picks a prefix of this run's own, and makes
 * storage specs for the gateway, and clears the prefix afterwards.
 */
#ifndef UNIT_S3_H
#define UNIT_S3_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <string.h>

#include "s3_client.h"
#include "sg_buf.h"
#include "config_storage.h"
#include "store.h"

static const char *http_endpoint;
static const char *bucket;
static const char *access_key;
static const char *secret_key;
static const char *region;
static char prefix[128];

/* load the gateway's settings; false when there is no gateway */
static inline bool
unit_gateway_setup(const char *test_name)
{
	http_endpoint = getenv("SG_TEST_S3_HTTP");
	bucket = getenv("SG_TEST_S3_BUCKET");
	access_key = getenv("SG_TEST_S3_ACCESS_KEY");
	secret_key = getenv("SG_TEST_S3_SECRET_KEY");
	region = getenv("SG_TEST_S3_REGION");
	if (http_endpoint == NULL || http_endpoint[0] == '\0' || bucket == NULL ||
		access_key == NULL || secret_key == NULL)
		return false;
	if (region == NULL)
		region = "us-east-1";
	setenv("AWS_ACCESS_KEY_ID", access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
	unsetenv("AWS_SESSION_TOKEN");
	snprintf(prefix, sizeof(prefix), "%s/%d-%ld", test_name, (int) getpid(),
			 (long) time(NULL));
	return true;
}

/* load the gateway's settings; without a gateway print a TAP skip and return false */
static inline bool
unit_s3_setup(const char *test_name)
{
	if (unit_gateway_setup(test_name))
		return true;
	printf("1..0 # SKIP no S3 server\n");
	return false;
}

/* a storage spec for bucket_name at endpoint, under this run's prefix */
static inline void
unit_s3_storage(sg_storage *s, const char *endpoint, const char *bucket_name)
{
	sg_storage_init(s);
	s->type = sg_strdup("s3Compatible");
	s->bucket = sg_strdup(bucket_name);
	s->prefix = sg_strdup(prefix);
	s->region = sg_strdup(region);
	s->endpoint = sg_strdup(endpoint);
	s->force_path_style = true;
}

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline bool
unit_s3_collect_key(void *arg, const s3_list_entry *e)
{
	sg_buf	   *keys = arg;

	sg_buf_append(keys, e->key, strlen(e->key) + 1);
	return true;
}

/* delete every object under this run's prefix; how many, or -1 on failure */
static inline int
unit_s3_delete_all(s3_client *c)
{
	sg_buf		keys;
	const char **ptrs = NULL;
	int			n = 0;
	sg_error	err;
	bool		ok;

	sg_buf_init(&keys);
	ok = s3_list_objects(c, "", unit_s3_collect_key, &keys, &err);
	for (size_t off = 0; ok && off < keys.len; off += strlen(keys.data + off) + 1)
	{
		ptrs = sg_realloc(ptrs, sizeof(char *) * (n + 1));
		ptrs[n++] = keys.data + off;
	}
	if (ok && n > 0)
		ok = s3_delete_objects(c, ptrs, n, &err);
	free(ptrs);
	sg_buf_free(&keys);
	return ok ? n : -1;
}

/* an sg_error as TAP comments */
static inline void
unit_s3_show(const sg_error *err)
{
	printf("# error kind %d status %d: %s\n#   detail: %s\n#   hint: %s\n",
		   err->kind, err->http_status, err->msg, err->detail, err->hint);
}

/* len bytes of noise, the same for the same seed */
static inline void
unit_s3_fill_random(char *buf, size_t len, unsigned int seed)
{
	size_t		i;

	for (i = 0; i < len; i++)
		buf[i] = (char) (rand_r(&seed) & 0xff);
}

/*
 * Stores for the tests that run over both kinds (test_wal_store,
 * test_catalog_s3, test_catalog): a local store in a temporary directory,
 * always, and the gateway's bucket under this run's prefix when there is
 * one (else the tests say UNIT_SKIP with UNIT_NO_GATEWAY).
 */
#define UNIT_NO_GATEWAY "no S3 gateway (SG_TEST_S3_* are not set)"

static char unit_local_root[256];

/* the gateway's bucket over endpoint (NULL: the http one), trusting ca_file */
static inline sg_store *
unit_gateway_store(const char *endpoint, const char *ca_file, sg_error *err)
{
	sg_storage	s;
	sg_store   *st;

	unit_s3_storage(&s, endpoint ? endpoint : http_endpoint, bucket);
	s.ca_file = sg_strdup(ca_file);
	sg_error_clear(err);
	st = sg_store_s3_new(&s, NULL, NULL, err);
	sg_storage_free(&s);
	return st;
}

/* a local store in a new directory under /tmp, whose path is unit_local_root */
static inline sg_store *
unit_local_store(const char *test_name, sg_error *err)
{
	snprintf(unit_local_root, sizeof(unit_local_root), "/tmp/sgb-%s-XXXXXX", test_name);
	sg_error_clear(err);
	if (mkdtemp(unit_local_root) == NULL)
	{
		sg_error_set(err, SG_ERR_IO, "could not create a directory under /tmp");
		return NULL;
	}
	return sg_store_local_new(unit_local_root, err);
}

/* rm -rf dir (a directory the test made under /tmp) */
static inline void
unit_rm_rf(const char *dir)
{
	char		cmd[600];

	if (strncmp(dir, "/tmp/", 5) != 0 || strchr(dir, '\'') != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

static inline bool
unit_collect_store_key(void *arg, const sg_store_entry *e)
{
	sg_buf	   *keys = arg;

	sg_buf_append(keys, e->key, strlen(e->key) + 1);
	return true;
}

/* delete every object of st; how many, or -1 on failure */
static inline int
unit_store_clear(sg_store *st)
{
	sg_buf		keys;
	const char **ptrs = NULL;
	size_t		n = 0,
				cap = 0;
	sg_error	err;
	bool		ok;

	sg_buf_init(&keys);
	ok = sg_store_list(st, "", NULL, unit_collect_store_key, &keys, &err);
	for (size_t off = 0; ok && off < keys.len; off += strlen(keys.data + off) + 1)
	{
		ptrs = sg_array_grow(ptrs, sizeof(*ptrs), n, &cap, 64);
		ptrs[n++] = keys.data + off;
	}
	ok = ok && sg_store_delete(st, ptrs, (int) n, &err);
	free(ptrs);
	sg_buf_free(&keys);
	return ok ? (int) n : -1;
}

#endif							/* UNIT_S3_H */
