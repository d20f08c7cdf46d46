/*
 * s3_client.c - the S3 client itself (see s3_client.h): its state (struct
 * s3_client, private to this file), making one (credentials, CA bundle,
 * addressing, region), and the request path every operation goes through
 * (s3_request.h): URL and headers, SigV4, retries with exponential
 * back-off and jitter inside the total time limit, cancellation, the
 * bandwidth limit, limits on what a reply may make us hold in memory, and
 * the mapping of failures to sg_error (a refused permission names the IAM
 * action and resource).
 *
 * The curl handle is reset but kept between requests, so its connection
 * stays alive.  TLS certificates are always verified.  The operations
 * themselves live in s3_object.c and s3_multipart.c.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "s3_cred.h"
#include "s3_request.h"

#define ERROR_BODY_MAX ((size_t) 64 * 1024)	/* keep this much of an error reply */
#define HEADERS_MAX ((size_t) 64 * 1024)	/* the header lines of one reply */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000

/* one client: used by one thread at a time */
struct s3_client
{
	sg_storage	storage;		/* our copy */
	s3_limits	limits;			/* defaults filled in */
	s3_credentials cred;
	char	   *secrets_directory;
	char	   *region;
	char	   *scheme;			/* "http" or "https" */
	char	   *host;			/* Host header: "bucket.host:port" or "host:port" */
	char	   *base_path;		/* "" or "/bucket" (path style), not encoded */
	char	   *authority;		/* "host:port" of the endpoint, without the bucket */
	char	   *endpoint_path;	/* "" or the endpoint's own path, not encoded */
	char	   *endpoint;		/* scheme://host, for messages */
	char	   *ca_pem;			/* CA bundle from the caCertificate selector */
	CURL	   *curl;			/* kept between requests: keep-alive */
	unsigned int seed;			/* for back-off jitter */
	int			list_page_size; /* max-keys of ListObjectsV2, 0 for default */
	bool		credentials_accepted;	/* S3 has accepted them (a 2xx or 404 reply) */
	bool		batch_delete_refused;	/* DeleteObjects refused: delete one by one */
};

static void response_init(s3_client *c, const s3_request *req,
						  s3_response *resp);
static bool request_send(s3_client *c, const s3_request *req,
						 s3_response *resp, sg_error *err);

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

/* free what set_addressing made (and forget it) */
static void
free_addressing(s3_client *c)
{
	free(c->scheme);
	free(c->host);
	free(c->base_path);
	free(c->authority);
	free(c->endpoint_path);
	free(c->endpoint);
	c->scheme = c->host = c->base_path = NULL;
	c->authority = c->endpoint_path = c->endpoint = NULL;
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

	free_addressing(c);
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
	req.verb = "find the region of the bucket";
	req.action = "s3:GetBucketLocation";
	response_init(c, &req, &resp);
	sg_error_clear(&err);
	free(c->region);
	c->region = NULL;
	set_addressing(c, &err);
	c->region = sg_strdup("us-east-1");
	if (request_send(c, &req, &resp, &err))
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
	free_addressing(c);
	if (c->ca_pem)
		free(c->ca_pem);
	free(c);
}

/* state of one request across its attempts, seen by the curl callbacks */
typedef struct transfer
{
	s3_client  *c;
	const s3_request *req;
	s3_response *resp;
	size_t		read_pos;		/* of req->body */
	bool		resuming;		/* this attempt continues a partial body */
	bool		writer_stopped;
	bool		bad_resume;
	bool		range_ignored;	/* a 200 with more than the range asked for */
	bool		cancelled;
	double		attempt_start;	/* when this attempt began (now_s) */
	size_t		header_bytes;	/* of this reply */
	bool		headers_too_big;	/* more than HEADERS_MAX */
	bool		body_too_big;	/* a 2xx body of more than req->max_body */
	bool		error_cut;		/* the rest of an error reply was not read */
	char		errbuf[CURL_ERROR_SIZE];
} transfer;

static char *describe(const s3_client *c, const s3_request *req);

/* an empty response to req, with what it does for messages */
static void
response_init(s3_client *c, const s3_request *req, s3_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	sg_buf_init(&resp->body);
	resp->what = describe(c, req);
}

static void
response_clear_headers(s3_response *resp)
{
	int			i;

	for (i = 0; i < resp->nheaders; i++)
	{
		free(resp->header_name[i]);
		free(resp->header_value[i]);
	}
	free(resp->header_name);
	free(resp->header_value);
	resp->header_name = resp->header_value = NULL;
	resp->nheaders = 0;
}

void
s3_response_free(s3_response *resp)
{
	response_clear_headers(resp);
	sg_buf_free(&resp->body);
	free(resp->what);
	resp->what = NULL;
}

const char *
s3_response_header(const s3_response *resp, const char *name)
{
	int			i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->header_name[i], name) == 0)
			return resp->header_value[i];
	return NULL;
}

char *
s3_full_key(const s3_client *c, const char *key)
{
	sg_buf		b;

	sg_buf_init(&b);
	if (c->storage.prefix && c->storage.prefix[0])
	{
		sg_buf_append_str(&b, c->storage.prefix);
		sg_buf_append_str(&b, "/");
	}
	sg_buf_append_str(&b, key);
	return b.data;
}

/* "aws", or "aws-cn" / "aws-us-gov" for those regions */
static const char *
arn_partition(const s3_client *c)
{
	if (strncmp(c->region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(c->region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

char *
s3_object_arn(const s3_client *c, const char *full_key)
{
	sg_buf		b;

	sg_buf_init(&b);
	sg_buf_printf(&b, "arn:%s:s3:::%s/%s", arn_partition(c), c->storage.bucket,
				  full_key);
	return b.data;
}

/* the ARN of the bucket, or of all its objects (the ARN followed by "/" and "*") */
static void
bucket_arn(const s3_client *c, bool objects, sg_buf *out)
{
	sg_buf_printf(out, "arn:%s:s3:::%s%s", arn_partition(c), c->storage.bucket,
				  objects ? "/*" : "");
}

const char *
s3_relative_key(const s3_client *c, const char *full_key)
{
	size_t		skip = strlen(c->storage.prefix ? c->storage.prefix : "");

	if (skip > 0)
		skip++;					/* the '/' after the prefix */
	return strlen(full_key) >= skip ? full_key + skip : full_key;
}

/*
 * What req does, for messages: upload "p/k" to bucket "b"; or its verb
 * alone when it has no preposition (malloc'ed)
 */
static char *
describe(const s3_client *c, const s3_request *req)
{
	char	   *full = req->key ? s3_full_key(c, req->key) : NULL;
	sg_buf		b;

	sg_buf_init(&b);
	if (req->preposition)
		sg_buf_printf(&b, "%s \"%s\" %s bucket \"%s\"", req->verb,
					  full ? full : req->full_key ? req->full_key : "",
					  req->preposition, c->storage.bucket);
	else
		sg_buf_append_str(&b, req->verb ? req->verb : req->method);
	free(full);
	return b.data;
}

/* ---- curl callbacks ---- */

static size_t
header_cb(char *data, size_t size, size_t nitems, void *arg)
{
	transfer   *t = arg;
	s3_response *resp = t->resp;
	size_t		len = size * nitems;
	size_t		name_len;
	const char *colon;
	const char *value;
	const char *end = data + len;
	size_t		j;
	int			i;

	/* a status line starts a new reply (after "100 Continue", say) */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
	{
		response_clear_headers(resp);
		t->header_bytes = len;
		return len;
	}
	t->header_bytes += len;
	if (t->header_bytes > HEADERS_MAX)
	{
		t->headers_too_big = true;
		return 0;
	}
	colon = memchr(data, ':', len);
	if (colon == NULL)
		return len;
	name_len = colon - data;
	value = colon + 1;
	while (value < end && (*value == ' ' || *value == '\t'))
		value++;
	while (end > value && (end[-1] == '\r' || end[-1] == '\n' ||
						   end[-1] == ' ' || end[-1] == '\t'))
		end--;

	i = resp->nheaders++;
	resp->header_name = sg_realloc(resp->header_name, resp->nheaders * sizeof(char *));
	resp->header_value = sg_realloc(resp->header_value, resp->nheaders * sizeof(char *));
	resp->header_name[i] = sg_malloc(name_len + 1);
	for (j = 0; j < name_len; j++)
		resp->header_name[i][j] = (char) tolower((unsigned char) data[j]);
	resp->header_name[i][name_len] = '\0';
	resp->header_value[i] = sg_malloc(end - value + 1);
	memcpy(resp->header_value[i], value, end - value);
	resp->header_value[i][end - value] = '\0';
	return len;
}

/*
 * A 200 to a request with a Range is the whole object: right only when the
 * range starts at 0 and covers it
 */
static bool
range_ignored(const transfer *t, long status)
{
	const s3_request *req = t->req;
	const char *length = s3_response_header(t->resp, "content-length");

	if (status != 200 || (req->range_offset == 0 && req->range_length == 0))
		return false;
	return req->range_offset > 0 || length == NULL ||
		strtoll(length, NULL, 10) > req->range_length;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	transfer   *t = arg;
	size_t		len = size * nmemb;
	long		status = 0;

	curl_easy_getinfo(t->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (t->req->write_fn && status >= 200 && status < 300)
	{
		if (t->resuming && status != 206)
		{
			t->bad_resume = true;
			return 0;
		}
		if (range_ignored(t, status))
		{
			t->range_ignored = true;
			return 0;
		}
		if (!t->req->write_fn(t->req->write_arg, data, len))
		{
			t->writer_stopped = true;
			return 0;
		}
		t->resp->delivered += len;
		return len;
	}
	if (status >= 300)
	{
		/* the start of an error reply holds its code and message */
		size_t		room = ERROR_BODY_MAX - t->resp->body.len;

		sg_buf_append(&t->resp->body, data, len < room ? len : room);
		if (len < room)
			return len;
		t->error_cut = true;	/* stop reading: the rest may never end */
		return 0;
	}
	if (len > (t->req->max_body ? t->req->max_body : S3_REPLY_MAX) - t->resp->body.len)
	{
		t->body_too_big = true;
		return 0;
	}
	sg_buf_append(&t->resp->body, data, len);
	return len;
}

static size_t
read_cb(char *buffer, size_t size, size_t nitems, void *arg)
{
	transfer   *t = arg;
	size_t		left = t->req->body_len - t->read_pos;
	size_t		n = size * nitems;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buffer, (const char *) t->req->body + t->read_pos, n);
	t->read_pos += n;
	return n;
}

static int
seek_cb(void *arg, curl_off_t offset, int origin)
{
	transfer   *t = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t) offset > t->req->body_len)
		return CURL_SEEKFUNC_FAIL;
	t->read_pos = (size_t) offset;
	return CURL_SEEKFUNC_OK;
}

static bool cancelled(const s3_client *c);
static double now_s(void);

/*
 * Wait until this attempt's bytes (the larger direction) are within the
 * client's bandwidth; false when cancelled meanwhile.  libcurl's own
 * limits (set too) let a short transfer through at full speed: curl 7.88
 * sent 2 MiB at 512 KiB/s over loopback in 0.4 s.
 */
static bool
pace(transfer *t, curl_off_t bytes)
{
	double		due = t->attempt_start +
		(double) bytes / (double) t->c->limits.max_bandwidth;

	while (now_s() < due)
	{
		struct timespec ts = {0, 20 * 1000 * 1000};

		if (cancelled(t->c))
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			curl_off_t ultotal, curl_off_t ulnow)
{
	transfer   *t = arg;

	if (cancelled(t->c) ||
		(t->c->limits.max_bandwidth > 0 && !pace(t, dlnow > ulnow ? dlnow : ulnow)))
	{
		t->cancelled = true;
		return 1;
	}
	return 0;
}

/* ---- building the request ---- */

/* the Host header of req */
static const char *
request_host(const s3_client *c, const s3_request *req)
{
	return req->other_bucket ? c->authority : c->host;
}

/* path (not encoded) and URL of req */
static void
build_url(s3_client *c, const s3_request *req, sg_buf *path, sg_buf *url)
{
	int			i;

	if (req->other_bucket)
		sg_buf_printf(path, "%s/%s", c->endpoint_path, req->other_bucket);
	else
	{
		sg_buf_append_str(path, c->base_path);
		sg_buf_append_str(path, "/");
	}
	if (req->key && !req->other_bucket)
	{
		char	   *full = s3_full_key(c, req->key);

		sg_buf_append_str(path, full);
		free(full);
	}

	sg_buf_printf(url, "%s://%s", c->scheme, request_host(c, req));
	s3_uri_encode(url, path->data, false);
	for (i = 0; i < req->nquery; i++)
	{
		sg_buf_append_str(url, i == 0 ? "?" : "&");
		s3_uri_encode(url, req->query[i].name, true);
		if (req->query[i].value[0])
		{
			sg_buf_append_str(url, "=");
			s3_uri_encode(url, req->query[i].value, true);
		}
	}
}

static bool
header_is_signed(const char *name)
{
	return strcasecmp(name, "content-md5") == 0 ||
		strncasecmp(name, "x-amz-", 6) == 0;
}

static struct curl_slist *
add_header(struct curl_slist *list, const char *name, const char *value)
{
	sg_buf		line;
	struct curl_slist *out;

	sg_buf_init(&line);
	sg_buf_printf(&line, "%s: %s", name, value);
	out = curl_slist_append(list, line.data);
	sg_buf_free(&line);
	if (out == NULL)
		abort();				/* out of memory */
	return out;
}

/*
 * The header list of one attempt, signed now.  etag is sent as If-Match
 * when resuming a download, so the rest comes from the same object.
 */
static struct curl_slist *
build_headers(s3_client *c, const s3_request *req, const char *path,
			  const char *payload_hash, int64_t delivered, const char *etag)
{
	s3_kv		sign[64];
	int			nsign = 0;
	char		amz_date[17];
	s3_sign_request sreq;
	s3_sign_key skey;
	sg_buf		auth;
	struct curl_slist *list = NULL;
	int			i;

	s3_amz_date_now(amz_date);
	sign[nsign++] = (s3_kv) {"host", request_host(c, req)};
	sign[nsign++] = (s3_kv) {"x-amz-date", amz_date};
	sign[nsign++] = (s3_kv) {"x-amz-content-sha256", payload_hash};
	if (c->cred.session_token)
		sign[nsign++] = (s3_kv) {"x-amz-security-token", c->cred.session_token};
	for (i = 0; i < req->nheaders && nsign < 64; i++)
		if (header_is_signed(req->headers[i].name))
			sign[nsign++] = req->headers[i];

	memset(&sreq, 0, sizeof(sreq));
	sreq.method = req->method;
	sreq.path = path;
	sreq.query = req->query;
	sreq.nquery = req->nquery;
	sreq.headers = sign;
	sreq.nheaders = nsign;
	sreq.payload_hash = payload_hash;
	skey.access_key = c->cred.access_key;
	skey.secret_key = c->cred.secret_key;
	skey.region = c->region;
	skey.service = "s3";
	skey.amz_date = amz_date;
	sg_buf_init(&auth);
	s3_authorization(&sreq, &skey, &auth);

	for (i = 0; i < nsign; i++)
		list = add_header(list, sign[i].name, sign[i].value);
	for (i = 0; i < req->nheaders; i++)
		if (!header_is_signed(req->headers[i].name))
			list = add_header(list, req->headers[i].name, req->headers[i].value);
	list = add_header(list, "Authorization", auth.data);
	sg_buf_free(&auth);
	list = curl_slist_append(list, "Expect:");	/* no 100-continue wait */

	if (req->range_offset > 0 || req->range_length > 0 || delivered > 0)
	{
		char		range[80];
		int64_t		start = req->range_offset + delivered;

		if (req->range_length > 0)
			snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long) start,
					 (long long) (req->range_offset + req->range_length - 1));
		else
			snprintf(range, sizeof(range), "bytes=%lld-", (long long) start);
		list = add_header(list, "Range", range);
	}
	if (delivered > 0 && etag && etag[0])
		list = add_header(list, "If-Match", etag);
	return list;
}

/* below this many bytes per second for low_speed_time_s, give up */
static long
low_speed_limit(const s3_client *c)
{
	int64_t		bw = c->limits.max_bandwidth;

	return bw > 0 && bw < 2048 ? (long) (bw / 2) : 1024L;
}

static void
set_options(s3_client *c, const s3_request *req, transfer *t, const char *url,
			struct curl_slist *headers)
{
	CURL	   *h = c->curl;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long) c->limits.connect_timeout_s);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, low_speed_limit(c));
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long) c->limits.low_speed_time_s);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 60L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 20L);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	if (c->limits.max_bandwidth > 0)
	{
		curl_off_t	speed = (curl_off_t) c->limits.max_bandwidth;

		curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, speed);
		curl_easy_setopt(h, CURLOPT_MAX_RECV_SPEED_LARGE, speed);
	}
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_pem)
	{
		struct curl_blob blob;

		blob.data = c->ca_pem;
		blob.len = strlen(c->ca_pem);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	else if (c->storage.ca_file && c->storage.ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, c->storage.ca_file);

	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	if (c->limits.cancel || c->limits.cancel_fn || c->limits.max_bandwidth > 0)
	{
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
	}

	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "PUT") == 0 || strcmp(req->method, "POST") == 0)
	{
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, t);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, t);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) req->body_len);
		if (strcmp(req->method, "POST") == 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
	}
	else
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
}

/* ---- retries ---- */

/* 501 Not Implemented will not change: a store without the feature */
static bool
status_retryable(long status)
{
	return (status >= 500 && status != 501) || status == 408 || status == 429;
}

static bool
curl_retryable(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_WEIRD_SERVER_REPLY:
			return true;
		default:
			return false;
	}
}

static bool
curl_tls_failure(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION ||
		rc == CURLE_SSL_CACERT_BADFILE ||
		rc == CURLE_SSL_CERTPROBLEM ||
		rc == CURLE_SSL_INVALIDCERTSTATUS ||
		rc == CURLE_SSL_ISSUER_ERROR;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool
cancelled(const s3_client *c)
{
	return (c->limits.cancel && *c->limits.cancel) ||
		(c->limits.cancel_fn && c->limits.cancel_fn(c->limits.cancel_arg));
}

/*
 * Sleep before attempt number "attempt" (1 for the first retry): half
 * the exponential delay plus random jitter up to the other half.  False
 * when that would pass the deadline or when cancelled while waiting.
 */
static bool
backoff(s3_client *c, int attempt, double deadline)
{
	long		delay = BACKOFF_FIRST_MS;
	long		ms;
	double		until;

	while (--attempt > 0 && delay < BACKOFF_MAX_MS)
		delay *= 2;
	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	ms = delay / 2 + rand_r(&c->seed) % (delay / 2 + 1);
	until = now_s() + ms / 1000.0;
	if (until > deadline)
		return false;
	while (now_s() < until)
	{
		struct timespec ts = {0, 50 * 1000 * 1000};

		if (cancelled(c))
			return false;
		nanosleep(&ts, NULL);
	}
	return !cancelled(c);
}

/* err for a request that got no HTTP reply */
static bool
transport_error(s3_client *c, const s3_request *req, const transfer *t,
				CURLcode rc, double started, sg_error *err)
{
	const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	double		elapsed = now_s() - started;
	const char *what = t->resp->what;

	err->http_status = (int) t->resp->status;

	if (t->cancelled || cancelled(c))
	{
		sg_error_set(err, SG_ERR_NETWORK, "could not %s: cancelled", what);
		sg_error_detail(err, "The operation was cancelled before it finished.");
		return false;
	}
	if (t->writer_stopped)
	{
		sg_error_set(err, SG_ERR_IO, "could not %s", what);
		sg_error_detail(err, "Writing the received data failed.");
		return false;
	}
	if (t->body_too_big || t->headers_too_big)
	{
		sg_error_set(err, SG_ERR_SERVER, "could not %s: the reply is too large", what);
		if (t->headers_too_big)
			sg_error_detail(err, "The headers of the reply of %s are larger than %zu bytes; those of an S3 reply are far smaller.",
							c->endpoint, HEADERS_MAX);
		else
			sg_error_detail(err, "The reply of %s is larger than %zu bytes, the most sgbackup reads into memory for a reply of this kind.",
							c->endpoint, req->max_body ? req->max_body : S3_REPLY_MAX);
		sg_error_hint(err, "Check that sgbackup.s3_endpoint (spec.s3Compatible.endpoint) is an S3 service.");
		return false;
	}
	if (t->bad_resume)
	{
		sg_error_set(err, SG_ERR_SERVER, "could not %s", what);
		sg_error_detail(err, "The transfer broke off and %s ignored the byte range asked for to resume it.",
						c->endpoint);
		return false;
	}
	if (t->range_ignored)
	{
		char		range[64];

		if (req->range_length > 0)
			snprintf(range, sizeof(range), "bytes %lld to %lld",
					 (long long) req->range_offset,
					 (long long) (req->range_offset + req->range_length - 1));
		else
			snprintf(range, sizeof(range), "the bytes from %lld",
					 (long long) req->range_offset);
		sg_error_set(err, SG_ERR_SERVER, "could not %s", what);
		sg_error_detail(err, "%s sent the whole object in reply to a request for %s.",
						c->endpoint, range);
		sg_error_hint(err, "Check that sgbackup.s3_endpoint (spec.s3Compatible.endpoint) is an S3 service that supports Range requests.");
		return false;
	}
	if (curl_tls_failure(rc))
	{
		sg_error_set(err, SG_ERR_CONFIG, "could not %s", what);
		sg_error_detail(err, "The TLS certificate of %s could not be verified: %s.",
						c->endpoint, why);
		sg_error_hint(err, "Set sgbackup.s3_ca_file (or the caCertificate secret key selector) to the PEM bundle of the certificate authority that signed the endpoint's certificate.");
		return false;
	}
	sg_error_set(err, SG_ERR_NETWORK, "could not %s", what);
	sg_error_detail(err, "Could not talk to %s: %s (%d attempt%s in %.1f s).",
					c->endpoint, why, t->resp->attempts,
					t->resp->attempts == 1 ? "" : "s", elapsed);
	sg_error_hint(err, "Check sgbackup.s3_endpoint (spec.s3Compatible.endpoint) and that the S3 service is up and reachable from here.");
	return false;
}

/*
 * Send req, retrying 5xx (but 501), 408, 429 and connection failures.  True
 * when an HTTP reply came back (any status); false with err filled when
 * none did (network, TLS, cancelled, writer stopped, a reply larger than
 * allowed).  Of an error reply only the start is kept (64 KiB): enough for
 * its code and message.
 */
static bool
request_send(s3_client *c, const s3_request *req, s3_response *resp,
			 sg_error *err)
{
	char		payload_hash[65];
	sg_buf		path;
	sg_buf		url;
	char		etag[128] = "";
	double		started = now_s();
	double		deadline = started + c->limits.total_timeout_s;
	transfer	t;
	CURLcode	rc;
	bool		ok = false;

	s3_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0,
				  payload_hash);
	sg_buf_init(&path);
	sg_buf_init(&url);
	build_url(c, req, &path, &url);
	memset(&t, 0, sizeof(t));
	t.c = c;
	t.req = req;
	t.resp = resp;

	for (;;)
	{
		struct curl_slist *headers;

		resp->attempts++;
		resp->status = 0;
		response_clear_headers(resp);
		sg_buf_reset(&resp->body);
		t.read_pos = 0;
		t.resuming = resp->delivered > 0;
		t.errbuf[0] = '\0';
		t.header_bytes = 0;
		t.error_cut = false;
		t.attempt_start = now_s();

		headers = build_headers(c, req, path.data, payload_hash,
								resp->delivered, etag);
		set_options(c, req, &t, url.data, headers);
		rc = cancelled(c) ? CURLE_ABORTED_BY_CALLBACK : curl_easy_perform(c->curl);
		curl_slist_free_all(headers);
		if (rc == CURLE_WRITE_ERROR && t.error_cut)
			rc = CURLE_OK;		/* an error reply, of which we keep the start */
		if (rc == CURLE_OK)
			curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
		/* S3 checks the signature first: such a reply proves the keys */
		if (rc == CURLE_OK && (resp->status < 300 || resp->status == 404))
			c->credentials_accepted = true;
		if (resp->delivered > 0 && etag[0] == '\0' && s3_response_header(resp, "etag"))
			snprintf(etag, sizeof(etag), "%s", s3_response_header(resp, "etag"));

		if (rc == CURLE_OK && !status_retryable(resp->status))
		{
			ok = true;
			break;
		}
		if (rc != CURLE_OK && (!curl_retryable(rc) || t.cancelled))
			break;
		if (req->no_retry || resp->attempts > c->limits.max_retries ||
			!backoff(c, resp->attempts, deadline))
		{
			/* the caller reports the status, unless we were cancelled */
			ok = (rc == CURLE_OK && !cancelled(c));
			break;
		}
	}
	if (!ok)
		transport_error(c, req, &t, rc, started, err);
	sg_buf_free(&path);
	sg_buf_free(&url);
	return ok;
}

/* ---- HTTP errors ---- */

static bool
code_is(const s3_xml_error *xe, const char *code)
{
	return strcmp(xe->code, code) == 0;
}

/* codes S3 gives keys it does not accept (AWS; the RADOS Gateway says AccessDenied) */
static bool
keys_refused(const s3_xml_error *xe)
{
	return code_is(xe, "InvalidAccessKeyId") ||
		code_is(xe, "SignatureDoesNotMatch") ||
		code_is(xe, "InvalidToken") ||
		code_is(xe, "ExpiredToken") ||
		code_is(xe, "TokenRefreshRequired");
}

static bool
sends_storage_class(const s3_request *req)
{
	int			i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, "x-amz-storage-class") == 0)
			return true;
	return false;
}

/* the server's message without its final period */
static void
trimmed_message(const s3_xml_error *xe, char *out, size_t size)
{
	size_t		len;

	snprintf(out, size, "%s", xe->message);
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '.' || out[len - 1] == ' '))
		out[--len] = '\0';
}

/*
 * The detail of a failed request: "Trying to <what>, <endpoint> answered
 * HTTP 403 (AccessDenied): message.", then the sentence more (may be NULL).
 */
static void
describe_reply(const s3_client *c, const s3_request *req,
			   const s3_response *resp, const s3_xml_error *xe,
			   const char *more, sg_error *err)
{
	char		retried[64] = "";
	char		message[sizeof(xe->message)];

	trimmed_message(xe, message, sizeof(message));
	if (resp->attempts > 1)
		snprintf(retried, sizeof(retried), " after %d attempts", resp->attempts);
	if (xe->code[0])
		sg_error_detail(err, "Trying to %s, %s answered HTTP %ld (%s)%s%s%s.%s%s",
						resp->what, c->endpoint, resp->status, xe->code, retried,
						message[0] ? ": " : "", message,
						more ? " " : "", more ? more : "");
	else
		sg_error_detail(err, "Trying to %s, %s answered HTTP %ld%s.%s%s",
						resp->what, c->endpoint, resp->status, retried,
						more ? " " : "", more ? more : "");
}

/*
 * Whether S3 accepts the client's credentials at all, whatever a policy
 * allows: a HEAD of a bucket that does not exist (path style) gets 404
 * with valid credentials and 403 with refused ones.  1: accepted,
 * 0: refused, -1: no telling (no reply, another status).
 */
static int
probe_credentials(s3_client *c)
{
	char		name[48];
	s3_request	req;
	s3_response resp;
	sg_error	err;
	int			verdict = -1;

	if (c->credentials_accepted)
		return 1;
	snprintf(name, sizeof(name), "sgbackup-probe-%08x%08x",
			 (unsigned int) rand_r(&c->seed), (unsigned int) rand_r(&c->seed));
	memset(&req, 0, sizeof(req));
	req.method = "HEAD";
	req.other_bucket = name;
	req.verb = "check the credentials";
	response_init(c, &req, &resp);
	sg_error_clear(&err);
	if (request_send(c, &req, &resp, &err))
		verdict = resp.status == 404 ? 1 : resp.status == 403 ? 0 : -1;
	s3_response_free(&resp);
	return verdict;
}

static bool
is_bucket_action(const char *action)
{
	return strcmp(action, "s3:ListBucket") == 0 ||
		strcmp(action, "s3:ListBucketMultipartUploads") == 0 ||
		strcmp(action, "s3:GetBucketLocation") == 0;
}

/* which policy statement to add for action */
static void
permission_hint(const s3_client *c, const char *action, sg_error *err)
{
	sg_buf		bucket;
	sg_buf		objects;

	sg_buf_init(&bucket);
	sg_buf_init(&objects);
	bucket_arn(c, false, &bucket);
	bucket_arn(c, true, &objects);
	if (strcmp(action, "s3:ListBucketMultipartUploads") == 0 ||
		strcmp(action, "s3:AbortMultipartUpload") == 0)
		sg_error_hint(err, "Allow \"s3:ListBucketMultipartUploads\" on \"%s\" and \"s3:AbortMultipartUpload\" on \"%s\" in the IAM policy of the user or role whose credentials sgbackup uses, or give the bucket a lifecycle rule that removes unfinished uploads instead: AbortIncompleteMultipartUpload with DaysAfterInitiation (for example 7).",
					  bucket.data, objects.data);
	else if (strcmp(action, "s3:GetObject") == 0)
		sg_error_hint(err, "Allow \"s3:GetObject\" on \"%s\" in the IAM policy of the user or role whose credentials sgbackup uses.  S3 also answers 403 for a missing object when \"s3:ListBucket\" on \"%s\" is not allowed.",
					  objects.data, bucket.data);
	else
		sg_error_hint(err, "Allow \"%s\" on \"%s\" in the IAM policy of the user or role whose credentials sgbackup uses.",
					  action, is_bucket_action(action) ? bucket.data : objects.data);
	sg_buf_free(&bucket);
	sg_buf_free(&objects);
}

bool
s3_permission_error(const s3_client *c, const char *action,
					const char *resource, sg_error *err)
{
	sg_error_set(err, SG_ERR_PERMISSION, "permission denied for %s on %s",
				 action, resource);
	permission_hint(c, action, err);
	return false;
}

/* req's resource: the object's ARN, or the bucket's */
static char *
request_arn(const s3_client *c, const s3_request *req)
{
	char	   *full;
	char	   *arn;
	sg_buf		b;

	if (req->key == NULL)
	{
		sg_buf_init(&b);
		bucket_arn(c, false, &b);
		return b.data;
	}
	full = s3_full_key(c, req->key);
	arn = s3_object_arn(c, full);
	free(full);
	return arn;
}

static void
permission_denied(s3_client *c, const s3_request *req, const s3_response *resp,
				  const s3_xml_error *xe, sg_error *err)
{
	char	   *arn = request_arn(c, req);
	char		more[256];

	s3_permission_error(c, req->action, arn, err);
	if (xe->code[0])
		snprintf(more, sizeof(more), "The credentials came from %s.", c->cred.source);
	else
		snprintf(more, sizeof(more), "A reply to %s has no body to say why; the credentials (from %s) are valid, so this is a refused permission.",
				 req->method, c->cred.source);
	describe_reply(c, req, resp, xe, more, err);
	free(arn);
}

static void
credentials_refused(const s3_client *c, const s3_request *req,
					const s3_response *resp, const s3_xml_error *xe,
					bool probed, sg_error *err)
{
	sg_error_set(err, SG_ERR_CREDENTIALS,
				 "S3 refused the credentials for bucket \"%s\"", c->storage.bucket);
	describe_reply(c, req, resp, xe,
				   probed ? "S3 also refused a request that needs no permission, so it does not accept these keys." : NULL,
				   err);
	if (code_is(xe, "RequestTimeTooSkewed"))
		sg_error_hint(err, "Check that this machine's clock is right.");
	else
		sg_error_hint(err, "Check the access key and secret key selectors (or AWS_* variables) and that they may use this bucket; the credentials came from %s.",
					  c->cred.source);
}

/*
 * A 403: a refused permission or refused credentials (see response_error).
 */
static void
forbidden(s3_client *c, const s3_request *req, const s3_response *resp,
		  const s3_xml_error *xe, sg_error *err)
{
	bool		no_code = xe->code[0] == '\0' && strcmp(req->method, "HEAD") == 0;
	int			verdict;

	if (req->action == NULL || keys_refused(xe) ||
		!(code_is(xe, "AccessDenied") || no_code))
	{
		credentials_refused(c, req, resp, xe, false, err);
		return;
	}
	verdict = probe_credentials(c);
	if (verdict == 1 || (verdict == -1 && !no_code))
		permission_denied(c, req, resp, xe, err);
	else
		credentials_refused(c, req, resp, xe, true, err);
}

/*
 * Fill err for a reply whose status is not the expected one; false.
 *
 * A 403 AccessDenied is a refused permission (SG_ERR_PERMISSION naming
 * req->action and its resource) when the credentials are valid, and
 * SG_ERR_CREDENTIALS otherwise: some stores (the RADOS Gateway) answer
 * AccessDenied for a wrong secret too.  Unless the client's credentials
 * were accepted before, one request about a bucket that does not exist
 * tells (404 for valid credentials, 403 for refused ones).  A 403 to HEAD
 * has no body, so no code: it is a refused permission only when the
 * credentials are known to be valid.  InvalidAccessKeyId,
 * SignatureDoesNotMatch and token errors are SG_ERR_CREDENTIALS.
 */
static bool
response_error(s3_client *c, const s3_request *req,
			   const s3_response *resp, sg_error *err)
{
	s3_xml_error xe;
	const char *bucket = c->storage.bucket;

	s3_xml_parse_error(resp->body.data, resp->body.len, &xe);
	if (resp->status == 403 || keys_refused(&xe))
		forbidden(c, req, resp, &xe, err);
	else if (code_is(&xe, "NoSuchBucket"))
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "bucket \"%s\" does not exist", bucket);
		describe_reply(c, req, resp, &xe, NULL, err);
		sg_error_hint(err, "Check sgbackup.s3_bucket (spec.s3.bucket) and sgbackup.s3_endpoint, or create the bucket.");
	}
	else if (resp->status == 404 && (xe.code[0] == '\0' || code_is(&xe, "NoSuchKey")))
	{
		sg_error_set(err, SG_ERR_NOT_FOUND, "could not %s: the object does not exist",
					 resp->what);
		describe_reply(c, req, resp, &xe, NULL, err);
	}
	else if (code_is(&xe, "InvalidStorageClass"))
	{
		sg_error_set(err, SG_ERR_CONFIG, "could not %s: storage class \"%s\" is not accepted",
					 resp->what, c->storage.storage_class ? c->storage.storage_class : "STANDARD");
		describe_reply(c, req, resp, &xe, NULL, err);
		sg_error_hint(err, "Check sgbackup.s3_storage_class (spec.s3.storageClass).");
	}
	else if (resp->status == 301 || code_is(&xe, "AuthorizationHeaderMalformed") ||
			 code_is(&xe, "PermanentRedirect"))
	{
		const char *region = s3_response_header(resp, "x-amz-bucket-region");

		sg_error_set(err, SG_ERR_CONFIG, "could not %s: wrong region \"%s\"",
					 resp->what, c->region);
		describe_reply(c, req, resp, &xe, NULL, err);
		if (region)
			sg_error_hint(err, "Set sgbackup.s3_region (spec.s3.region) to \"%s\".", region);
		else
			sg_error_hint(err, "Set sgbackup.s3_region (spec.s3.region) to the bucket's region.");
	}
	else
	{
		sg_error_set(err, SG_ERR_SERVER, "could not %s", resp->what);
		describe_reply(c, req, resp, &xe, NULL, err);
		if (resp->status == 400 && sends_storage_class(req))
			sg_error_hint(err, "Check that the service knows storage class \"%s\" (sgbackup.s3_storage_class, spec.s3.storageClass).",
						  c->storage.storage_class);
	}
	err->http_status = (int) resp->status;
	return false;
}

static bool
reply_unexpected(const s3_client *c, const s3_request *req,
				 const s3_response *resp, sg_error *err)
{
	s3_xml_error xe;
	char		message[sizeof(xe.message)];

	sg_error_set(err, SG_ERR_SERVER, "could not %s", resp->what);
	if (s3_xml_parse_error(resp->body.data, resp->body.len, &xe) && xe.code[0])
	{
		trimmed_message(&xe, message, sizeof(message));
		sg_error_detail(err, "%s answered HTTP %ld with error %s%s%s.", c->endpoint,
						resp->status, xe.code, message[0] ? ": " : "", message);
	}
	else
		sg_error_detail(err, "The reply of %s is not a %s.", c->endpoint, req->document);
	err->http_status = (int) resp->status;
	return false;
}

/* 200, or one of req->expect */
static bool
status_expected(const s3_request *req, long status)
{
	int			i;

	if (req->expect[0] == 0)
		return status == 200;
	for (i = 0; i < S3_MAX_EXPECT && req->expect[i]; i++)
		if (req->expect[i] == status)
			return true;
	return false;
}

/* a 404 about the object, not the bucket */
static bool
missing_object(const s3_response *resp)
{
	s3_xml_error xe;

	s3_xml_parse_error(resp->body.data, resp->body.len, &xe);
	return resp->status == 404 && !code_is(&xe, "NoSuchBucket");
}

bool
s3_request_call(s3_client *c, const s3_request *req, s3_response *resp,
				sg_error *err)
{
	response_init(c, req, resp);
	if (!request_send(c, req, resp, err))
		return false;
	if (!status_expected(req, resp->status) &&
		!(req->missing_ok && missing_object(resp)))
		return response_error(c, req, resp, err);
	if (req->read && !req->read(resp->body.data, resp->body.len, req->read_out))
		return reply_unexpected(c, req, resp, err);
	return true;
}

/* ---- what the client remembers for its operations ---- */

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

int
s3_client_list_page_size(const s3_client *c)
{
	return c->list_page_size;
}

bool
s3_client_batch_refused(const s3_client *c)
{
	return c->batch_delete_refused;
}

void
s3_client_refuse_batch(s3_client *c)
{
	c->batch_delete_refused = true;
}
