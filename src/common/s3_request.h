/*
 * s3_request.h - the small internal API the S3 operations (s3_object.c,
 * s3_multipart.c) are written over: one call, s3_request_call, sends a
 * signed request (with retries) and checks its reply, filling sg_error for
 * every failure; and the shared paging loop of the two listings.
 *
 * The client itself (struct s3_client: its connection, credentials and
 * addressing) stays private to s3_client.c, which implements this API;
 * the paging loop is in s3_object.c.
 */
#ifndef SG_S3_REQUEST_H
#define SG_S3_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "s3_client.h"
#include "s3_sign.h"
#include "s3_xml.h"

/* reads a 2xx body into out; false when it is not the expected document */
typedef bool (*s3_read_fn) (const char *body, size_t len, void *out);

#define S3_MAX_EXPECT 4

typedef struct s3_request
{
	const char *method;			/* "GET", "PUT", "POST", "HEAD", "DELETE" */
	const char *key;			/* relative to the prefix; NULL: the bucket */
	const char *full_key;		/* with key NULL: the prefix a bucket
								 * request is about, for messages */
	const char *verb;			/* for messages, with preposition: */
	const char *preposition;	/* upload "p/k" to bucket "b" */
	const char *action;			/* the IAM action it needs: "s3:PutObject" */
	const s3_kv *query;			/* not encoded */
	int			nquery;
	const s3_kv *headers;		/* extra headers; content-md5, x-amz-* signed */
	int			nheaders;
	const void *body;			/* request body (sha256 signed), or NULL */
	size_t		body_len;
	int64_t		range_offset;	/* Range sent when offset or length > 0; a
								 * 200 to it (the whole object) is refused
								 * unless the range starts at 0 and covers it */
	int64_t		range_length;	/* 0: to the end */
	s3_write_fn write_fn;		/* 2xx bodies go here rather than resp->body */
	void	   *write_arg;
	bool		no_retry;		/* one attempt only */
	size_t		max_body;		/* 2xx body read into memory: at most this
								 * (0: S3_REPLY_MAX) */
	long		expect[S3_MAX_EXPECT];	/* statuses of success; none: 200 */
	bool		missing_ok;		/* a missing object (not bucket) is success */
	s3_read_fn	read;			/* reads a 200 body into read_out, or NULL */
	void	   *read_out;
	const char *document;		/* what read wants, for messages:
								 * "ListBucketResult" */
	const char *other_bucket;	/* path style, about this bucket instead */
} s3_request;

/* the largest 2xx reply read into memory: XML documents (listings, results) */
#define S3_REPLY_MAX ((size_t) 8 * 1024 * 1024)

typedef struct s3_response
{
	char	   *what;			/* upload "p/k" to bucket "b", for messages */
	long		status;			/* HTTP status of the last attempt */
	sg_buf		body;			/* body, unless streamed to write_fn */
	int			nheaders;
	char	  **header_name;	/* lower case */
	char	  **header_value;
	int			attempts;
	int64_t		delivered;		/* bytes given to write_fn */
} s3_response;

/*
 * Send req and check its reply: true when the status is one of req->expect
 * and req->read (if any) accepts the body.  Otherwise false with err filled
 * (s3_client.h says how refused permissions and credentials are told
 * apart); an <Error> inside a 200 reply is reported with its code.  resp
 * is initialized here and always to be freed with s3_response_free.
 */
extern bool s3_request_call(s3_client *c, const s3_request *req,
							s3_response *resp, sg_error *err);
extern void s3_response_free(s3_response *resp);
/* value of a response header (name in lower case), or NULL */
extern const char *s3_response_header(const s3_response *resp, const char *name);

/* the full object key: prefix + "/" + key (malloc'ed) */
extern char *s3_full_key(const s3_client *c, const char *key);
/* a listed full key relative to the prefix (points into full_key) */
extern const char *s3_relative_key(const s3_client *c, const char *full_key);
/* the IAM resource of an object: "arn:aws:s3:::bucket/full/key" (malloc'ed) */
extern char *s3_object_arn(const s3_client *c, const char *full_key);
/* fill err for refused action on resource (SG_ERR_PERMISSION); false */
extern bool s3_permission_error(const s3_client *c, const char *action,
								const char *resource, sg_error *err);

/*
 * Headers of a new object into out (room for S3_MAX_META + 1): storage
 * class and x-amz-meta-*; names[] (S3_MAX_META, zeroed) receives malloc'ed
 * header names to free.  Returns the number of headers.
 */
extern int	s3_object_headers(const s3_client *c, const s3_meta *meta, int nmeta,
							  s3_kv *out, char **names);

/* what the client remembers for its operations */
extern int	s3_client_list_page_size(const s3_client *c);
extern bool s3_client_batch_refused(const s3_client *c);
extern void s3_client_refuse_batch(s3_client *c);

/* what a listing is: ListObjectsV2 or ListMultipartUploads */
typedef struct s3_listing
{
	s3_xml_list_kind kind;
	const char *verb;			/* for messages: "list" */
	const char *action;			/* "s3:ListBucket" */
	s3_kv		select;			/* the query naming the listing */
	const char *page_size_name; /* "max-keys" */
	const char *marker_name[S3_XML_MARKERS];	/* query names of the
												 * list's next markers */
	s3_kv		start;			/* on the first page only, or {NULL} */
	s3_list_fn	objects_fn;		/* gets each entry, by kind */
	s3_upload_fn uploads_fn;
} s3_listing;

/*
 * Give every entry whose full key starts with prefix (with keys relative
 * to the client's prefix) and arg to l's function, page after page while
 * the markers move forward; false from it stops the listing
 */
extern bool s3_list_pages(s3_client *c, const s3_listing *l, const char *prefix,
						  void *arg, sg_error *err);

#endif							/* SG_S3_REQUEST_H */
