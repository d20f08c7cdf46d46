/*
 * store.h - where sgbackup keeps its objects (WAL files and backups): a
 * small interface over an S3 bucket (store_s3.c) or a local directory
 * (store_local.c), so that wal_store, backup_catalog and backup_retention
 * work the same over either.
 *
 * Keys are relative to the store's root (the S3 prefix, or the directory):
 * "wal/000000010000000000000001", "backups/<name>/metadata.json".  Each
 * object carries user metadata (name/value pairs, as S3's x-amz-meta-*).
 * One sg_store is used by one thread at a time; threads open their own.
 * Errors: a missing object is SG_ERR_NOT_FOUND; other kinds as sg_error.h.
 */
#ifndef SG_STORE_H
#define SG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_storage.h"
#include "s3_client.h"
#include "sg_buf.h"
#include "sg_error.h"

typedef struct sg_store sg_store;

/* user metadata of an object: name (lower case) and value */
typedef struct sg_store_meta
{
	const char *name;
	const char *value;
} sg_store_meta;

/*
 * What head and get tell of an object; functions taking one overwrite it
 * (without freeing it): free it after each use
 */
#define SG_STORE_MAX_META 8
typedef struct sg_store_info
{
	bool		exists;
	int64_t		size;			/* bytes as stored */
	char		etag[80];		/* the store's checksum of the bytes: S3's ETag, or an md5 */
	int			nmeta;
	char	   *meta_name[SG_STORE_MAX_META];
	char	   *meta_value[SG_STORE_MAX_META];
} sg_store_info;

extern void sg_store_info_free(sg_store_info *info);
/* value of user metadata "name", or NULL */
extern const char *sg_store_info_meta(const sg_store_info *info, const char *name);

/* one entry of a listing */
typedef struct sg_store_entry
{
	const char *key;
	int64_t		size;
	const char *last_modified;	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) */
} sg_store_entry;

/* called for each object of a listing; return false to stop (not an error) */
typedef bool (*sg_store_list_fn) (void *arg, const sg_store_entry *entry);
/* called with the bytes of an object as they come; return false to stop */
typedef bool (*sg_store_write_fn) (void *arg, const void *data, size_t len);

/* options of a writer for one large object */
typedef struct sg_store_writer_options
{
	size_t		part_size;		/* S3: smallest part; 0: 16 MiB */
	int			concurrency;	/* S3: upload threads; 0: 4 */
	int64_t		expected_size;	/* bytes the object should have; 0: unknown */
	int			max_parts;		/* S3: 0 for S3's limit (tests lower it) */
} sg_store_writer_options;

typedef struct sg_store_writer sg_store_writer;

/* the operations of one kind of store (store_s3.c, store_local.c) */
typedef struct sg_store_ops
{
	bool		(*put) (sg_store *st, const char *key, const void *data, size_t len,
						const sg_store_meta *meta, int nmeta, sg_error *err);
	bool		(*get) (sg_store *st, const char *key, size_t max_bytes, sg_buf *out,
						sg_store_info *info, sg_error *err);
	bool		(*get_stream) (sg_store *st, const char *key, sg_store_write_fn fn,
							   void *arg, sg_store_info *info, sg_error *err);
	bool		(*get_range) (sg_store *st, const char *key, int64_t offset,
							  size_t len, sg_buf *out, sg_error *err);
	int			(*head) (sg_store *st, const char *key, sg_store_info *info,
						 sg_error *err);
	bool		(*list) (sg_store *st, const char *prefix, const char *start_after,
						 sg_store_list_fn fn, void *arg, sg_error *err);
	bool		(*delete) (sg_store *st, const char *const *keys, int nkeys,
						   sg_error *err);
	sg_store_writer *(*writer_open) (sg_store *st, const char *key,
									 const sg_store_meta *meta, int nmeta,
									 const sg_store_writer_options *options,
									 sg_error *err);
	bool		(*abort_stale) (sg_store *st, const char *prefix, int *aborted,
								sg_error *err);
	void		(*free) (sg_store *st);
} sg_store_ops;

/* every store starts with this */
struct sg_store
{
	const sg_store_ops *ops;
	char	   *description;	/* for messages: bucket "b" under "p", directory "/d" */
};

/* a writer starts with this; its functions come from its store */
typedef struct sg_store_writer_ops
{
	bool		(*write) (sg_store_writer *w, const void *data, size_t len, sg_error *err);
	bool		(*finish) (sg_store_writer *w, sg_error *err);
	void		(*free) (sg_store_writer *w);
	int64_t		(*bytes) (const sg_store_writer *w);
	const char *(*sha256) (const sg_store_writer *w);
} sg_store_writer_ops;

struct sg_store_writer
{
	const sg_store_writer_ops *ops;
};

/*
 * Open the store storage describes: the directory repository_path when it
 * is set, else the bucket (credentials from secrets_directory, may be
 * NULL, and the environment; limits may be NULL).  NULL with err on failure.
 */
extern sg_store *sg_store_open(const sg_storage *storage,
							   const char *secrets_directory,
							   const s3_limits *limits, sg_error *err);
/* the two kinds, for callers and tests that want one */
extern sg_store *sg_store_s3_new(const sg_storage *storage,
								 const char *secrets_directory,
								 const s3_limits *limits, sg_error *err);
extern sg_store *sg_store_local_new(const char *root, sg_error *err);
extern void sg_store_free(sg_store *st);
/* the S3 client of a store of sg_store_s3_new (tests tune it), else NULL */
extern s3_client *sg_store_s3_client(sg_store *st);
/* bucket "b" under prefix "p", or directory "/d", for messages */
extern const char *sg_store_description(const sg_store *st);

/* put one object (replacing one of the same key) with its metadata */
extern bool sg_store_put(sg_store *st, const char *key, const void *data, size_t len,
						 const sg_store_meta *meta, int nmeta, sg_error *err);

/*
 * Get a whole object into out; more than max_bytes is refused with
 * SG_ERR_CORRUPT.  info (may be NULL) receives its size and metadata.
 */
extern bool sg_store_get(sg_store *st, const char *key, size_t max_bytes,
						 sg_buf *out, sg_store_info *info, sg_error *err);

/*
 * The same, streaming the bytes to fn.  info, when given, is filled before
 * the first call of fn, so that fn may look at the metadata.
 */
extern bool sg_store_get_stream(sg_store *st, const char *key,
								sg_store_write_fn fn, void *arg,
								sg_store_info *info, sg_error *err);

/*
 * Bytes [offset, offset+len) of an object into out (reset first): fewer
 * only where the object ends, none from its end on.  S3 asks for the range
 * (Range: bytes=a-b), the local store preads the file; a missing object is
 * SG_ERR_NOT_FOUND.  out never holds more than len bytes.
 */
extern bool sg_store_get_range(sg_store *st, const char *key, int64_t offset,
							   size_t len, sg_buf *out, sg_error *err);

/* 1 found (info filled), 0 not found, -1 error (err set) */
extern int	sg_store_head(sg_store *st, const char *key, sg_store_info *info,
						  sg_error *err);

/*
 * Every key starting with prefix, in byte order of the key as S3 lists,
 * from the first key after start_after when it is not NULL.
 */
extern bool sg_store_list(sg_store *st, const char *prefix, const char *start_after,
						  sg_store_list_fn fn, void *arg, sg_error *err);

/* delete these objects (missing ones are success) */
extern bool sg_store_delete(sg_store *st, const char *const *keys, int nkeys,
							sg_error *err);

/*
 * Write one large object as it is produced: S3 uploads parts in parallel
 * (s3_writer.h), the local store writes a temporary file renamed into
 * place by finish.  Nothing is visible under key before finish succeeds.
 */
extern sg_store_writer *sg_store_writer_open(sg_store *st, const char *key,
											 const sg_store_meta *meta, int nmeta,
											 const sg_store_writer_options *options,
											 sg_error *err);
extern bool sg_store_writer_write(sg_store_writer *w, const void *data, size_t len,
								  sg_error *err);
/* true only when the whole object is stored */
extern bool sg_store_writer_finish(sg_store_writer *w, sg_error *err);
/* abandon what is unfinished and free w; safe after finish too */
extern void sg_store_writer_free(sg_store_writer *w);
/* bytes written so far, and the sha256 (hex) of all of them once finished */
extern int64_t sg_store_writer_bytes(const sg_store_writer *w);
extern const char *sg_store_writer_sha256(const sg_store_writer *w);

/*
 * Remove what writers killed midway left under prefix: S3 aborts the
 * unfinished multipart uploads, the local store removes its temporary
 * files.  *aborted receives how many.
 */
extern bool sg_store_abort_stale(sg_store *st, const char *prefix, int *aborted,
								 sg_error *err);

/*
 * write all len bytes to fd (path names it in the error), retrying after
 * EINTR; a write that writes nothing is a full disk
 */
extern bool sg_write_all(int fd, const void *data, size_t len, const char *path,
						 sg_error *err);

/*
 * mkdir -p (mode 0700) of the directories of path after its first from
 * bytes (those are taken to exist), and of path itself when whole
 */
extern bool sg_make_dirs(const char *path, size_t from, bool whole, sg_error *err);

/* fsync the directory holding the file path (after a rename into it) */
extern bool sg_fsync_parent(const char *path, sg_error *err);

/* for the implementations: the description, a malloc'ed text taken over */
extern void sg_store_set_description(sg_store *st, char *text);

#endif							/* SG_STORE_H */
