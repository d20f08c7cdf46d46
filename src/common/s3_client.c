/*
 * s3_client.c - the S3 client (see s3_client.h): making a client
 * (credentials, CA bundle, addressing, region) and the single-object
 * operations: put, get, head, delete, batch delete (one object at a time
 * where the batch is refused or missing) and listing.
 * Requests themselves are sent by s3_request.c; multipart uploads live in
 * s3_multipart.c.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "s3_request.h"
#include "s3_xml.h"

#define DELETE_BATCH 1000

/* ---- set-up ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void
global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
}

bool
s3_global_init(sg_error *err)
{
	pthread_once(&global_once, global_init_once);
	if (global_rc != CURLE_OK)
		return sg_error_set(err, SG_ERR_INTERNAL, "could not initialize libcurl: %s",
							curl_easy_strerror(global_rc));
	return true;
}

static bool
is_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* a bucket name usable as a DNS label (else path style is needed) */
static bool
dns_compatible(const char *bucket, bool https)
{
	const char *p;

	for (p = bucket; *p; p++)
		if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) ||
			  *p == '-' || (*p == '.' && !https)))
			return false;
	return true;
}

/* an IP address literal ("127.0.0.1:7480", "[::1]:80") cannot take a bucket */
static bool
is_ip_literal(const char *authority)
{
	const char *p;

	if (authority[0] == '[')
		return true;
	for (p = authority; *p && *p != ':'; p++)
		if (!isdigit((unsigned char) *p) && *p != '.')
			return false;
	return true;
}

/*
 * Scheme, Host header and base path from the endpoint (or AWS's for the
 * region), for path-style or virtual-hosted addressing.
 */
static bool
set_addressing(s3_client *c, sg_error *err)
{
	const sg_storage *s = &c->storage;
	char	   *authority;
	char	   *path = NULL;
	sg_buf		b;

	free(c->scheme);
	free(c->host);
	free(c->base_path);
	free(c->authority);
	free(c->endpoint_path);
	free(c->endpoint);
	if (is_empty(s->endpoint))
	{
		c->scheme = sg_strdup("https");
		sg_buf_init(&b);
		if (c->region == NULL)
			sg_buf_append_str(&b, "s3.amazonaws.com");	/* global, to discover */
		else
			sg_buf_printf(&b, "s3.%s.amazonaws.com", c->region);
		authority = b.data;
	}
	else
	{
		const char *sep = strstr(s->endpoint, "://");
		const char *rest;
		const char *slash;
		char	   *p;

		if (sep == NULL)
			return sg_error_set(err, SG_ERR_CONFIG, "invalid S3 endpoint \"%s\"", s->endpoint);
		c->scheme = strndup(s->endpoint, sep - s->endpoint);
		for (p = c->scheme; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		rest = sep + 3;
		slash = strchr(rest, '/');
		authority = slash ? strndup(rest, slash - rest) : sg_strdup(rest);
		if (slash)
		{
			size_t		len;

			path = sg_strdup(slash);
			len = strlen(path);
			while (len > 0 && path[len - 1] == '/')
				path[--len] = '\0';
		}
		if (strcmp(c->scheme, "http") != 0 && strcmp(c->scheme, "https") != 0)
		{
			free(authority);
			free(path);
			return sg_error_set(err, SG_ERR_CONFIG, "invalid S3 endpoint \"%s\"", s->endpoint);
		}
	}

	sg_buf_init(&b);
	sg_buf_printf(&b, "%s://%s", c->scheme, authority);
	c->endpoint = b.data;
	c->authority = sg_strdup(authority);
	c->endpoint_path = sg_strdup(path ? path : "");

	sg_buf_init(&b);
	if (!s->force_path_style && !is_ip_literal(authority) &&
		dns_compatible(s->bucket, strcmp(c->scheme, "https") == 0))
	{
		sg_buf_printf(&b, "%s.%s", s->bucket, authority);
		c->host = b.data;
		c->base_path = sg_strdup(path ? path : "");
	}
	else
	{
		c->host = sg_strdup(authority);
		sg_buf_printf(&b, "%s/%s", path ? path : "", s->bucket);
		c->base_path = b.data;
	}
	free(authority);
	free(path);
	return true;
}

/*
 * For AWS without a region: ask the global endpoint GetBucketLocation once
 * (signed for us-east-1); an error reply may still name the region in
 * x-amz-bucket-region.  Falls back to us-east-1.
 */
static void
discover_region(s3_client *c)
{
	s3_kv		query[] = {{"location", ""}};
	s3_request	req;
	s3_response resp;
	sg_error	err;
	char	   *region = NULL;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.query = query;
	req.nquery = 1;
	req.no_retry = true;
	req.what = "find the region of the bucket";
	req.action = "s3:GetBucketLocation";
	s3_response_init(&resp);
	sg_error_clear(&err);
	free(c->region);
	c->region = NULL;
	set_addressing(c, &err);
	c->region = sg_strdup("us-east-1");
	if (s3_request_send(c, &req, &resp, &err))
	{
		if (resp.status == 200)
			region = s3_xml_location(resp.body.data, resp.body.len);
		if ((region == NULL || region[0] == '\0') &&
			s3_response_header(&resp, "x-amz-bucket-region"))
		{
			free(region);
			region = sg_strdup(s3_response_header(&resp, "x-amz-bucket-region"));
		}
	}
	s3_response_free(&resp);
	if (region && strcmp(region, "EU") == 0)
	{
		free(region);
		region = sg_strdup("eu-west-1");	/* the old name */
	}
	if (region && region[0])
	{
		free(c->region);
		c->region = region;
	}
	else
		free(region);
	set_addressing(c, &err);
}

static void
set_limits(s3_client *c, const s3_limits *limits)
{
	if (limits)
		c->limits = *limits;
	if (c->limits.connect_timeout_s <= 0)
		c->limits.connect_timeout_s = 10;
	if (c->limits.low_speed_time_s <= 0)
		c->limits.low_speed_time_s = 30;
	if (c->limits.total_timeout_s <= 0)
		c->limits.total_timeout_s = 300;
	if (c->limits.max_retries <= 0)
		c->limits.max_retries = 10;
}

s3_client *
s3_client_new(const sg_storage *storage, const char *secrets_directory,
			  const s3_limits *limits, sg_error *err)
{
	s3_client  *c;
	struct timespec ts;

	if (!s3_global_init(err))
		return NULL;
	if (storage->bucket == NULL || storage->bucket[0] == '\0')
	{
		sg_error_set(err, SG_ERR_CONFIG, "no S3 bucket is configured");
		sg_error_hint(err, "Set sgbackup.s3_bucket or spec.s3.bucket.");
		return NULL;
	}

	c = sg_malloc(sizeof(s3_client));
	memset(c, 0, sizeof(*c));
	sg_storage_copy(&c->storage, storage);
	set_limits(c, limits);
	c->secrets_directory = sg_strdup(secrets_directory);
	clock_gettime(CLOCK_REALTIME, &ts);
	c->seed = (unsigned int) (ts.tv_nsec ^ getpid() ^ (uintptr_t) c);

	if (!s3_credentials_load(&c->storage, secrets_directory, &c->cred, err))
		goto fail;
	if (c->storage.ca_certificate.name &&
		!s3_read_selector(secrets_directory, &c->storage.ca_certificate,
						  "spec.s3Compatible.awsCredentials.secretKeySelectors.caCertificate",
						  &c->ca_pem, err))
		goto fail;

	c->curl = curl_easy_init();
	if (c->curl == NULL)
	{
		sg_error_set(err, SG_ERR_INTERNAL, "could not create a libcurl handle");
		goto fail;
	}

	c->region = sg_strdup(is_empty(c->storage.region) ? "us-east-1" : c->storage.region);
	if (is_empty(c->storage.region) && is_empty(c->storage.endpoint))
		discover_region(c);
	else if (!set_addressing(c, err))
		goto fail;
	return c;

fail:
	s3_client_free(c);
	return NULL;
}

void
s3_client_free(s3_client *c)
{
	if (c == NULL)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	s3_credentials_free(&c->cred);
	sg_storage_free(&c->storage);
	free(c->secrets_directory);
	free(c->region);
	free(c->scheme);
	free(c->host);
	free(c->base_path);
	free(c->authority);
	free(c->endpoint_path);
	free(c->endpoint);
	if (c->ca_pem)
		free(c->ca_pem);
	free(c);
}

const sg_storage *
s3_client_storage(const s3_client *c)
{
	return &c->storage;
}

const char *
s3_client_region(const s3_client *c)
{
	return c->region;
}

void
s3_client_set_list_page_size(s3_client *c, int max_keys)
{
	c->list_page_size = max_keys;
}

/* ---- object info ---- */

void
s3_object_info_free(s3_object_info *info)
{
	int			i;

	for (i = 0; i < info->nmeta; i++)
	{
		free(info->meta_name[i]);
		free(info->meta_value[i]);
	}
	memset(info, 0, sizeof(*info));
}

const char *
s3_object_info_meta(const s3_object_info *info, const char *name)
{
	int			i;

	for (i = 0; i < info->nmeta; i++)
		if (strcasecmp(info->meta_name[i], name) == 0)
			return info->meta_value[i];
	return NULL;
}

static void
copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* size, etag, dates, storage class and metadata from a reply's headers */
static void
fill_info(const s3_response *resp, s3_object_info *info)
{
	const char *range = s3_response_header(resp, "content-range");
	const char *length = s3_response_header(resp, "content-length");
	const char *slash = range ? strrchr(range, '/') : NULL;
	size_t		len;
	int			i;

	memset(info, 0, sizeof(*info));	/* an output: never freed here */
	info->exists = true;
	if (slash && slash[1] != '*')
		info->size = strtoll(slash + 1, NULL, 10);
	else if (length)
		info->size = strtoll(length, NULL, 10);
	copy_field(info->etag, sizeof(info->etag), s3_response_header(resp, "etag"));
	len = strlen(info->etag);
	if (len >= 2 && info->etag[0] == '"' && info->etag[len - 1] == '"')
	{
		memmove(info->etag, info->etag + 1, len - 2);
		info->etag[len - 2] = '\0';
	}
	copy_field(info->last_modified, sizeof(info->last_modified),
			   s3_response_header(resp, "last-modified"));
	copy_field(info->storage_class, sizeof(info->storage_class),
			   s3_response_header(resp, "x-amz-storage-class"));
	for (i = 0; i < resp->nheaders && info->nmeta < S3_MAX_META; i++)
	{
		if (strncmp(resp->header_name[i], "x-amz-meta-", 11) != 0)
			continue;
		info->meta_name[info->nmeta] = sg_strdup(resp->header_name[i] + 11);
		info->meta_value[info->nmeta] = sg_strdup(resp->header_value[i]);
		info->nmeta++;
	}
}

/* ---- requests shared with s3_multipart.c ---- */

/* headers for a new object: storage class and user metadata (names malloc'ed) */
int
s3_object_headers(const s3_client *c, const s3_meta *meta, int nmeta,
			   s3_kv *out, char **names)
{
	int			n = 0;
	int			i;
	const char *sc = c->storage.storage_class;

	if (!is_empty(sc) && strcmp(sc, "STANDARD") != 0)
		out[n++] = (s3_kv) {"x-amz-storage-class", sc};
	for (i = 0; i < nmeta && i < S3_MAX_META; i++)
	{
		sg_buf		name;

		sg_buf_init(&name);
		sg_buf_printf(&name, "x-amz-meta-%s", meta[i].name);
		names[i] = name.data;
		out[n++] = (s3_kv) {names[i], meta[i].value};
	}
	return n;
}

/* ---- put, get, head, delete ---- */

bool
s3_put_object(s3_client *c, const char *key, const void *data, size_t len,
			  const s3_meta *meta, int nmeta, sg_error *err)
{
	s3_kv		headers[S3_MAX_META + 3];
	char	   *names[S3_MAX_META] = {0};
	char		md5[25];
	int			n;
	s3_request	req;
	s3_response resp;
	bool		ok;
	int			i;

	s3_md5_base64(data, len, md5);
	headers[0] = (s3_kv) {"Content-MD5", md5};
	headers[1] = (s3_kv) {"Content-Type", "application/octet-stream"};
	n = 2 + s3_object_headers(c, meta, nmeta, headers + 2, names);

	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.key = key;
	req.headers = headers;
	req.nheaders = n;
	req.body = data;
	req.body_len = len;
	req.what = s3_describe(c, "upload", key, "to");
	req.action = "s3:PutObject";
	s3_response_init(&resp);
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	s3_response_free(&resp);
	free((char *) req.what);
	for (i = 0; i < S3_MAX_META; i++)
		free(names[i]);
	return ok;
}

/* hands the body to the caller's write_fn, filling info first */
typedef struct stream_state
{
	s3_write_fn write_fn;
	void	   *arg;
	s3_object_info *info;		/* may be NULL */
	const s3_response *resp;
	bool		info_filled;
} stream_state;

static bool
stream_write(void *arg, const void *data, size_t len)
{
	stream_state *st = arg;

	if (st->info && !st->info_filled)
	{
		fill_info(st->resp, st->info);
		st->info_filled = true;
	}
	return st->write_fn(st->arg, data, len);
}

bool
s3_get_object_stream(s3_client *c, const char *key, int64_t offset,
					 int64_t length, s3_write_fn write_fn, void *arg,
					 s3_object_info *info, sg_error *err)
{
	s3_request	req;
	s3_response resp;
	stream_state st = {write_fn, arg, info, &resp, false};
	bool		ok;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.key = key;
	req.range_offset = offset;
	req.range_length = length;
	req.write_fn = stream_write;
	req.write_arg = &st;
	req.what = s3_describe(c, "download", key, "from");
	req.action = "s3:GetObject";
	s3_response_init(&resp);
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status != 200 && resp.status != 206)
		ok = s3_response_error(c, &req, &resp, err);
	if (ok && info && !st.info_filled)
		fill_info(&resp, info);		/* an empty body: no write came */
	s3_response_free(&resp);
	free((char *) req.what);
	return ok;
}

/* an in-memory body with a limit */
typedef struct bounded_buf
{
	sg_buf	   *out;
	size_t		max_bytes;
	bool		too_big;
} bounded_buf;

static bool
append_bounded(void *arg, const void *data, size_t len)
{
	bounded_buf *b = arg;

	if (len > b->max_bytes - b->out->len)
	{
		b->too_big = true;
		return false;
	}
	sg_buf_append(b->out, data, len);
	return true;
}

bool
s3_get_object(s3_client *c, const char *key, int64_t offset, int64_t length,
			  size_t max_bytes, sg_buf *out, s3_object_info *info, sg_error *err)
{
	bounded_buf b = {out, max_bytes, false};
	bool		ok;

	sg_buf_reset(out);
	ok = s3_get_object_stream(c, key, offset, length, append_bounded, &b,
							  info, err);
	if (!ok && b.too_big)
	{
		char	   *full = s3_full_key(c, key);

		sg_error_set(err, SG_ERR_CORRUPT,
					 "object \"%s\" in bucket \"%s\" is larger than %zu bytes",
					 full, c->storage.bucket, max_bytes);
		sg_error_detail(err, "sgbackup reads objects of this kind into memory and refuses larger ones.");
		sg_error_hint(err, "The object was not written by sgbackup, or it was damaged or replaced.");
		free(full);
	}
	return ok;
}

bool
s3_head_object(s3_client *c, const char *key, s3_object_info *info,
			   sg_error *err)
{
	s3_request	req;
	s3_response resp;
	bool		ok;

	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.key = key;
	req.what = s3_describe(c, "look up", key, "in");
	req.action = "s3:GetObject";
	s3_response_init(&resp);
	memset(info, 0, sizeof(*info));
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status == 200)
		fill_info(&resp, info);
	else if (ok && resp.status != 404)
		ok = s3_response_error(c, &req, &resp, err);
	s3_response_free(&resp);
	free((char *) req.what);
	return ok;
}

bool
s3_delete_object(s3_client *c, const char *key, sg_error *err)
{
	s3_request	req;
	s3_response resp;
	bool		ok;
	s3_xml_error xe;

	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.key = key;
	req.what = s3_describe(c, "delete", key, "from");
	req.action = "s3:DeleteObject";
	s3_response_init(&resp);
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status == 404)
	{
		/* a missing object is fine; a missing bucket is not */
		s3_xml_parse_error(resp.body.data, resp.body.len, &xe);
		if (strcmp(xe.code, "NoSuchBucket") == 0)
			ok = s3_response_error(c, &req, &resp, err);
	}
	else if (ok && resp.status != 204 && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	s3_response_free(&resp);
	free((char *) req.what);
	return ok;
}

/* ---- batch delete ---- */

/* err for a DeleteResult that lists failed keys: the first one is named */
static bool
keys_failed(const s3_client *c, const s3_request *req, int nerrors,
			const s3_xml_error *xe, sg_error *err)
{
	if (strcmp(xe->code, "AccessDenied") == 0)
	{
		char	   *arn = s3_object_arn(c, xe->key);

		s3_permission_error(c, "s3:DeleteObject", arn, err);
		free(arn);
	}
	else
		sg_error_set(err, SG_ERR_SERVER, "could not %s", req->what);
	sg_error_detail(err, "%d of them failed; \"%s\": %s: %s",
					nerrors, xe->key, xe->code, xe->message);
	err->http_status = 200;
	return false;
}

/* one DeleteObjects request (POST ?delete) */
static bool
delete_batch(s3_client *c, const char *const *keys, int nkeys, sg_error *err)
{
	s3_kv		query[] = {{"delete", ""}};
	s3_kv		headers[2];
	char		md5[25];
	char	  **full = sg_malloc(nkeys * sizeof(char *));
	sg_buf		body;
	sg_buf		what;
	s3_request	req;
	s3_response resp;
	s3_xml_error xe;
	int			nerrors;
	bool		ok;
	int			i;

	for (i = 0; i < nkeys; i++)
		full[i] = s3_full_key(c, keys[i]);
	sg_buf_init(&body);
	s3_xml_delete_request((const char *const *) full, nkeys, &body);
	s3_md5_base64(body.data, body.len, md5);
	headers[0] = (s3_kv) {"Content-MD5", md5};
	headers[1] = (s3_kv) {"Content-Type", "application/xml"};

	sg_buf_init(&what);
	sg_buf_printf(&what, "delete %d objects from bucket \"%s\"", nkeys, c->storage.bucket);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = query;
	req.nquery = 1;
	req.headers = headers;
	req.nheaders = 2;
	req.body = body.data;
	req.body_len = body.len;
	req.what = what.data;
	req.action = "s3:DeleteObject";
	s3_response_init(&resp);
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	else if (ok)
	{
		nerrors = s3_xml_parse_delete_result(resp.body.data, resp.body.len, &xe);
		if (nerrors < 0)
			ok = s3_reply_unexpected(c, &req, &resp, "DeleteResult", err);
		else if (nerrors > 0)
			ok = keys_failed(c, &req, nerrors, &xe, err);
	}
	s3_response_free(&resp);
	sg_buf_free(&what);
	sg_buf_free(&body);
	for (i = 0; i < nkeys; i++)
		free(full[i]);
	free(full);
	return ok;
}

/*
 * A batch delete this store will not do: refused (the RADOS Gateway refuses
 * it under a policy that allows s3:DeleteObject on the objects only) or not
 * implemented (501, or 400 or 405 from some S3-compatible stores).
 */
static bool
batch_unavailable(const sg_error *err)
{
	return (err->kind == SG_ERR_PERMISSION && err->http_status == 403) ||
		err->http_status == 501 || err->http_status == 405 ||
		(err->http_status == 400 && err->kind == SG_ERR_SERVER);
}

static bool
delete_each(s3_client *c, const char *const *keys, int nkeys, sg_error *err)
{
	for (int i = 0; i < nkeys; i++)
		if (!s3_delete_object(c, keys[i], err))
			return false;
	return true;
}

bool
s3_delete_objects(s3_client *c, const char *const *keys, int nkeys,
				  sg_error *err)
{
	int			done;

	for (done = 0; done < nkeys; done += DELETE_BATCH)
	{
		int			n = nkeys - done < DELETE_BATCH ? nkeys - done : DELETE_BATCH;

		if (!c->batch_delete_refused)
		{
			if (delete_batch(c, keys + done, n, err))
				continue;
			if (!batch_unavailable(err))
				return false;
			c->batch_delete_refused = true;
		}
		if (!delete_each(c, keys + done, n, err))
			return false;
	}
	return true;
}

/* ---- listing ---- */

/* one ListObjectsV2 page; *more and *token say where the next starts */
static bool
list_page(s3_client *c, const char *prefix, const char *start_after,
		  char **token, s3_list_fn fn, void *arg, bool *more, sg_error *err)
{
	s3_kv		query[5];
	int			nquery = 0;
	char		max_keys[16];
	s3_request	req;
	s3_response resp;
	s3_xml_list list;
	size_t		skip = strlen(c->storage.prefix ? c->storage.prefix : "");
	bool		ok;
	int			i;

	query[nquery++] = (s3_kv) {"list-type", "2"};
	query[nquery++] = (s3_kv) {"prefix", prefix};
	if (c->list_page_size > 0)
	{
		snprintf(max_keys, sizeof(max_keys), "%d", c->list_page_size);
		query[nquery++] = (s3_kv) {"max-keys", max_keys};
	}
	if (*token)
		query[nquery++] = (s3_kv) {"continuation-token", *token};
	else if (start_after)
		query[nquery++] = (s3_kv) {"start-after", start_after};
	if (skip > 0)
		skip++;					/* the '/' after the prefix */

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.query = query;
	req.nquery = nquery;
	req.what = s3_describe_full(c, "list", prefix, "in");
	req.action = "s3:ListBucket";
	s3_response_init(&resp);
	*more = false;
	ok = s3_request_send(c, &req, &resp, err);
	if (ok && resp.status != 200)
		ok = s3_response_error(c, &req, &resp, err);
	else if (ok && !s3_xml_parse_list(resp.body.data, resp.body.len, &list))
		ok = s3_reply_unexpected(c, &req, &resp, "ListBucketResult", err);
	else if (ok)
	{
		*more = list.truncated && list.next_token;
		for (i = 0; i < list.nitems; i++)
		{
			s3_list_entry e;
			const char *key = list.items[i].key;

			e.key = strlen(key) >= skip ? key + skip : key;
			e.size = list.items[i].size;
			e.etag = list.items[i].etag ? list.items[i].etag : "";
			e.last_modified = list.items[i].last_modified ? list.items[i].last_modified : "";
			e.storage_class = list.items[i].storage_class ? list.items[i].storage_class : "";
			if (!fn(arg, &e))
			{
				*more = false;
				break;
			}
		}
		free(*token);
		*token = list.next_token;
		list.next_token = NULL;
		s3_xml_list_free(&list);
	}
	s3_response_free(&resp);
	free((char *) req.what);
	return ok;
}

bool
s3_list_objects_after(s3_client *c, const char *key_prefix,
					  const char *start_after, s3_list_fn fn, void *arg,
					  sg_error *err)
{
	char	   *prefix = s3_full_key(c, key_prefix ? key_prefix : "");
	char	   *after = start_after ? s3_full_key(c, start_after) : NULL;
	char	   *token = NULL;
	bool		more = true;
	bool		ok = true;

	while (ok && more)
		ok = list_page(c, prefix, after, &token, fn, arg, &more, err);
	free(token);
	free(after);
	free(prefix);
	return ok;
}

bool
s3_list_objects(s3_client *c, const char *key_prefix, s3_list_fn fn,
				void *arg, sg_error *err)
{
	return s3_list_objects_after(c, key_prefix, NULL, fn, arg, err);
}
