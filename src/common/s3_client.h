/*
 * s3_client.h - a small S3 client for sgbackup (libcurl + OpenSSL +
 * libxml2), shared by the server and the sgbackup program.
 *
 * One s3_client is used by one thread at a time; it keeps its HTTP
 * connection alive between requests.  Threads each make their own client.
 * Every request is signed with AWS Signature V4 (s3_sign.h), retried on
 * 5xx, 408, 429 and connection failures with exponential back-off and
 * jitter inside a total time limit, and never hangs (connect and low-speed
 * time-outs).  Keys given to the functions are relative to the configured
 * prefix: key "wal/0001" is stored as "<prefix>/wal/0001".
 *
 * Errors: an action the credentials' policy does not allow is
 * SG_ERR_PERMISSION, "permission denied for s3:PutObject on
 * arn:aws:s3:::bucket/prefix/wal/0001", with a hint saying which policy
 * statement to add; keys S3 does not accept are SG_ERR_CREDENTIALS (see
 * response_error in s3_client.c for how the two are told apart).
 * Replies read into memory are bounded: 8 MiB for an XML document, 64 KiB
 * kept of an error reply, 64 KiB of headers.
 *
 * The IAM action each function needs: put, and the multipart create, part
 * and complete, s3:PutObject; get and head s3:GetObject; delete and batch
 * delete s3:DeleteObject; listing s3:ListBucket; listing unfinished uploads
 * s3:ListBucketMultipartUploads; abort s3:AbortMultipartUpload; finding
 * the region (AWS without a region) s3:GetBucketLocation.
 */
#ifndef SG_S3_CLIENT_H
#define SG_S3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"
#include "config_storage.h"
#include "sg_error.h"

typedef struct s3_client s3_client;

/* limits for requests; zero fields take the defaults shown */
typedef struct s3_limits
{
	int			connect_timeout_s;	/* 10 */
	int			low_speed_time_s;	/* 30: abort when below 1 KB/s this long */
	int			total_timeout_s;	/* 300: give up retrying after this */
	int			max_retries;	/* 10 */
	int64_t		max_bandwidth;	/* bytes per second each way, per
								 * client: 0 for no limit */
	volatile int *cancel;		/* when non-NULL and *cancel != 0, stop early */
	/* when non-NULL and cancel_fn(cancel_arg) returns true, stop early */
	bool		(*cancel_fn) (void *cancel_arg);
	void	   *cancel_arg;
} s3_limits;

/*
 * user metadata and a few system fields of a stored object; functions
 * taking one overwrite it (without freeing): free it after each use
 */
#define S3_MAX_META 8
typedef struct s3_object_info
{
	bool		exists;
	int64_t		size;
	char		etag[80];		/* without quotes */
	char		last_modified[40];	/* as sent by the server */
	char		storage_class[32];	/* x-amz-storage-class; "" for STANDARD */
	int			nmeta;
	char	   *meta_name[S3_MAX_META];	/* lower case, without x-amz-meta- */
	char	   *meta_value[S3_MAX_META];
} s3_object_info;

extern void s3_object_info_free(s3_object_info *info);
/* value of user metadata "name" (without x-amz-meta-), or NULL */
extern const char *s3_object_info_meta(const s3_object_info *info, const char *name);

/* name/value pair: user metadata (name without x-amz-meta-) */
typedef struct s3_meta
{
	const char *name;
	const char *value;
} s3_meta;

/* call once per process before any thread makes a client */
extern bool s3_global_init(sg_error *err);

/*
 * Make a client for storage (copied).  Loads the credentials (s3_cred.h)
 * from secrets_directory (may be NULL) and the environment; fails with a
 * clear message when none are found.  Never prints a secret.
 */
extern s3_client *s3_client_new(const sg_storage *storage,
								 const char *secrets_directory,
								 const s3_limits *limits, sg_error *err);
extern void s3_client_free(s3_client *c);

/*
 * Put one object in a single request with Content-MD5, storage class and
 * user metadata.  True only when S3 answered 200.
 */
extern bool s3_put_object(s3_client *c, const char *key,
						  const void *data, size_t len,
						  const s3_meta *meta, int nmeta, sg_error *err);

/*
 * Get an object, or its bytes [offset, offset+length) when length > 0,
 * into memory.  A body of more than max_bytes is refused with
 * SG_ERR_CORRUPT (memory stays bounded whatever the bucket holds).
 * A missing object is false with err->kind == SG_ERR_NOT_FOUND.
 * info (may be NULL) receives size, etag and metadata.
 */
extern bool s3_get_object(s3_client *c, const char *key,
						  int64_t offset, int64_t length, size_t max_bytes,
						  sg_buf *out, s3_object_info *info, sg_error *err);

/*
 * The same, streaming the body to write_fn (return false to abort).  When
 * info is given it is filled from the reply's headers before the first
 * call of write_fn, so write_fn may look at the object's metadata.
 */
typedef bool (*s3_write_fn) (void *arg, const void *data, size_t len);
extern bool s3_get_object_stream(s3_client *c, const char *key,
								 int64_t offset, int64_t length,
								 s3_write_fn write_fn, void *arg,
								 s3_object_info *info, sg_error *err);

/*
 * HEAD: true with info->exists false for a missing object.  A 403 reply to
 * HEAD has no body, so no error code: it is taken as a refused s3:GetObject
 * when S3 accepts the credentials otherwise, else as refused credentials.
 */
extern bool s3_head_object(s3_client *c, const char *key,
						   s3_object_info *info, sg_error *err);

/* DELETE one object (a missing one is success) */
extern bool s3_delete_object(s3_client *c, const char *key, sg_error *err);

/*
 * DeleteObjects in batches of up to 1000; fails if any key failed.  Where
 * the batch request is refused (403 AccessDenied: the RADOS Gateway refuses
 * it under a policy that allows s3:DeleteObject on the objects only) or not
 * implemented (501, or 400 or 405 from some S3-compatible stores), deletes
 * one object at a time, and so does every later call on this client.
 */
extern bool s3_delete_objects(s3_client *c, const char *const *keys, int nkeys,
							  sg_error *err);

/* one entry of a listing; key is relative to the configured prefix */
typedef struct s3_list_entry
{
	const char *key;
	int64_t		size;
	const char *etag;
	const char *last_modified;
	const char *storage_class;	/* as listed ("STANDARD", ...) or "" */
} s3_list_entry;

/* called for each object; return false to stop listing (not an error) */
typedef bool (*s3_list_fn) (void *arg, const s3_list_entry *entry);

/* ListObjectsV2 of every key under key_prefix, following continuation tokens */
extern bool s3_list_objects(s3_client *c, const char *key_prefix,
							s3_list_fn fn, void *arg, sg_error *err);
/* the same, from the first key after start_after (relative to the prefix) */
extern bool s3_list_objects_after(s3_client *c, const char *key_prefix,
								  const char *start_after, s3_list_fn fn,
								  void *arg, sg_error *err);

/* multipart upload */
typedef struct s3_multipart s3_multipart;
extern s3_multipart *s3_multipart_create(s3_client *c, const char *key,
										 const s3_meta *meta, int nmeta,
										 sg_error *err);
/*
 * Upload part number part_no (1..10000).  Parts of one upload may be sent
 * from several threads, each with its own s3_client (the s3_multipart
 * records etags under a lock).
 */
extern bool s3_multipart_put_part(s3_client *c, s3_multipart *mp, int part_no,
								  const void *data, size_t len, sg_error *err);
/* complete; checks the 200 reply's body for an error */
extern bool s3_multipart_complete(s3_client *c, s3_multipart *mp, sg_error *err);
/* abort (best effort) */
extern bool s3_multipart_abort(s3_client *c, s3_multipart *mp, sg_error *err);
extern void s3_multipart_free(s3_multipart *mp);
extern const char *s3_multipart_upload_id(const s3_multipart *mp);
/* an s3_multipart for an upload found by listing, e.g. to abort it */
extern s3_multipart *s3_multipart_attach(const char *key, const char *upload_id);

/* one unfinished multipart upload; key is relative to the configured prefix */
typedef struct s3_upload_entry
{
	const char *key;
	const char *upload_id;
	const char *initiated;		/* as sent by the server */
} s3_upload_entry;

/* called for each upload (may use the client); return false to stop */
typedef bool (*s3_upload_fn) (void *arg, const s3_upload_entry *entry);

/*
 * ListMultipartUploads of every unfinished upload whose key starts with
 * key_prefix, following the key and upload id markers
 */
extern bool s3_list_multipart_uploads(s3_client *c, const char *key_prefix,
									  s3_upload_fn fn, void *arg, sg_error *err);

/*
 * Abort every unfinished multipart upload under key_prefix (relative to the
 * storage prefix), e.g. those left by a backup whose process was killed.
 * *aborted receives how many.
 */
extern bool s3_abort_stale_uploads(s3_client *c, const char *key_prefix,
								   int *aborted, sg_error *err);

/* the storage this client was made for (bucket, prefix, ...) */
extern const sg_storage *s3_client_storage(const s3_client *c);

/* the region requests are signed for (given, discovered or us-east-1) */
extern const char *s3_client_region(const s3_client *c);

/* for tests: max-keys of each ListObjectsV2 page (0: the server's 1000) */
extern void s3_client_set_list_page_size(s3_client *c, int max_keys);

#endif							/* SG_S3_CLIENT_H */
