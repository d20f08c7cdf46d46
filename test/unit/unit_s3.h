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

static const char *http_endpoint;
static const char *bucket;
static const char *access_key;
static const char *secret_key;
static const char *region;
static char prefix[128];

/* load the gateway's settings; without a gateway print a TAP skip and return false */
static bool
unit_s3_setup(const char *test_name)
{
	http_endpoint = getenv("SG_TEST_S3_HTTP");
	bucket = getenv("SG_TEST_S3_BUCKET");
	access_key = getenv("SG_TEST_S3_ACCESS_KEY");
	secret_key = getenv("SG_TEST_S3_SECRET_KEY");
	region = getenv("SG_TEST_S3_REGION");
	if (http_endpoint == NULL || bucket == NULL || access_key == NULL || secret_key == NULL)
	{
		printf("1..0 # SKIP no S3 server\n");
		return false;
	}
	if (region == NULL)
		region = "us-east-1";
	setenv("AWS_ACCESS_KEY_ID", access_key, 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
	unsetenv("AWS_SESSION_TOKEN");
	snprintf(prefix, sizeof(prefix), "%s/%d-%ld", test_name, (int) getpid(),
			 (long) time(NULL));
	return true;
}

/* a storage spec for bucket_name at endpoint, under this run's prefix */
static void
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool
unit_s3_collect_key(void *arg, const s3_list_entry *e)
{
	sg_buf	   *keys = arg;

	sg_buf_append(keys, e->key, strlen(e->key) + 1);
	return true;
}

/* delete every object under this run's prefix; how many, or -1 on failure */
static int
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
static void
unit_s3_show(const sg_error *err)
{
	printf("# error kind %d status %d: %s\n#   detail: %s\n#   hint: %s\n",
		   err->kind, err->http_status, err->msg, err->detail, err->hint);
}

/* len bytes of noise, the same for the same seed */
static void
unit_s3_fill_random(char *buf, size_t len, unsigned int seed)
{
	size_t		i;

	for (i = 0; i < len; i++)
		buf[i] = (char) (rand_r(&seed) & 0xff);
}

#endif							/* UNIT_S3_H */
