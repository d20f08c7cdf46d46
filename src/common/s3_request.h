/*
 * s3_request.h - one signed S3 HTTP request over libcurl, with retries,
 * and the mapping of failed requests to sg_error.
 *
 * Internal to the S3 client: it also holds the definition of struct
 * s3_client, shared by s3_client.c, s3_multipart.c and s3_request.c.
 */
#ifndef SG_S3_REQUEST_H
#define SG_S3_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "s3_client.h"
#include "s3_cred.h"
#include "s3_sign.h"

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

typedef struct s3_request
{
	const char *method;			/* "GET", "PUT", "POST", "HEAD", "DELETE" */
	const char *key;			/* relative to the prefix; NULL: the bucket */
	const s3_kv *query;			/* not encoded */
	int			nquery;
	const s3_kv *headers;		/* extra headers; content-md5, x-amz-* signed */
	int			nheaders;
	const void *body;			/* request body (sha256 signed), or NULL */
	size_t		body_len;
	int64_t		range_offset;	/* Range sent when offset or length > 0 */
	int64_t		range_length;	/* 0: to the end */
	s3_write_fn write_fn;		/* 2xx bodies go here rather than resp->body */
	void	   *write_arg;
	bool		no_retry;		/* one attempt only */
	const char *what;			/* for messages: upload "k" to bucket "b" */
	const char *action;			/* the IAM action it needs: "s3:PutObject" */
	size_t		max_body;		/* 2xx body read into memory: at most this
								 * (0: S3_REPLY_MAX) */
	const char *other_bucket;	/* path style, about this bucket instead */
} s3_request;

/* the largest 2xx reply read into memory: XML documents (listings, results) */
#define S3_REPLY_MAX ((size_t) 8 * 1024 * 1024)

typedef struct s3_response
{
	long		status;			/* HTTP status of the last attempt */
	sg_buf		body;			/* body, unless streamed to write_fn */
	int			nheaders;
	char	  **header_name;	/* lower case */
	char	  **header_value;
	int			attempts;
	int64_t		delivered;		/* bytes given to write_fn */
} s3_response;

extern void s3_response_init(s3_response *resp);
extern void s3_response_free(s3_response *resp);
/* value of a response header (name in lower case), or NULL */
extern const char *s3_response_header(const s3_response *resp, const char *name);

/*
 * Send req, retrying 5xx (but 501), 408, 429 and connection failures.  True
 * when an HTTP reply came back (any status: see s3_response_error); false
 * with err filled when none did (network, TLS, cancelled, writer stopped,
 * a reply larger than allowed).  Of an error reply only the start is kept
 * (64 KiB): enough for its code and message.
 */
extern bool s3_request_send(s3_client *c, const s3_request *req,
							s3_response *resp, sg_error *err);

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
extern bool s3_response_error(s3_client *c, const s3_request *req,
							  const s3_response *resp, sg_error *err);

/*
 * Fill err for a 2xx reply whose body is not the expected document (named
 * for the message, e.g. "ListBucketResult"); an <Error> inside is reported
 * with its code.  False.
 */
extern bool s3_reply_unexpected(const s3_client *c, const s3_request *req,
								const s3_response *resp, const char *document,
								sg_error *err);

/* the IAM resource of an object: "arn:aws:s3:::bucket/full/key" (malloc'ed) */
extern char *s3_object_arn(const s3_client *c, const char *full_key);

/* fill err for refused action on resource (SG_ERR_PERMISSION); false */
extern bool s3_permission_error(const s3_client *c, const char *action,
								const char *resource, sg_error *err);

/* the full object key: prefix + "/" + key (malloc'ed) */
extern char *s3_full_key(const s3_client *c, const char *key);

/*
 * Headers of a new object into out (room for S3_MAX_META + 1): storage
 * class and x-amz-meta-*; names[] (S3_MAX_META, zeroed) receives malloc'ed
 * header names to free.  Returns the number of headers.
 */
extern int	s3_object_headers(const s3_client *c, const s3_meta *meta, int nmeta,
							  s3_kv *out, char **names);

/* what an operation does, for messages: upload "p/k" to bucket "b" (malloc'ed) */
extern char *s3_describe(const s3_client *c, const char *verb, const char *key,
						 const char *preposition);
/* the same for a key that already holds the prefix */
extern char *s3_describe_full(const s3_client *c, const char *verb,
							  const char *full_key, const char *preposition);

#endif							/* SG_S3_REQUEST_H */
