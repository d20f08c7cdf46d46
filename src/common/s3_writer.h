/*
 * s3_writer.h - writing one large object as a multipart upload whose parts
 * go up in parallel while the caller keeps producing data (pgBackRest's
 * "multipart write").  Shared by the server's base backup sink and the
 * program.  The caller's thread only copies bytes into the current part;
 * full parts are handed to upload threads, each with its own kept-alive
 * S3 connection.  Memory: at most (concurrency + 1) parts of part_size.
 */
#ifndef S3_WRITER_H
#define S3_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3_client.h"
#include "sg_config.h"
#include "sg_error.h"

typedef struct s3_writer s3_writer;

typedef struct s3_writer_options
{
	size_t		part_size;		/* bytes per part; 0: 16 MB (min 5 MB) */
	int			concurrency;	/* upload threads; 0: 4 */
	const s3_limits *limits;	/* may be NULL; limits->cancel aborts */
} s3_writer_options;

/*
 * Start writing key (relative to the storage prefix) with user metadata.
 * Nothing is sent until the first part fills or s3_writer_finish.
 */
extern s3_writer *s3_writer_open(const sg_storage *storage,
								 const char *secrets_directory,
								 const char *key,
								 const s3_meta *meta, int nmeta,
								 const s3_writer_options *options,
								 sg_error *err);

/* append data; false when an upload failed (the error is in err) */
extern bool s3_writer_write(s3_writer *w, const void *data, size_t len,
							sg_error *err);

/*
 * Upload what is left and complete the upload (a small object that fits in
 * one part is sent with a single PutObject).  True only when S3 holds the
 * whole object.  On failure the multipart upload is aborted.
 */
extern bool s3_writer_finish(s3_writer *w, sg_error *err);

/* abort the upload (best effort) and free w; safe after finish too */
extern void s3_writer_free(s3_writer *w);

/* bytes written so far, and the sha256 (hex) of all bytes once finished */
extern int64_t s3_writer_bytes(const s3_writer *w);
extern const char *s3_writer_sha256(const s3_writer *w);

/*
 * Abort every unfinished multipart upload under key_prefix (relative to the
 * storage prefix), e.g. those left by a backup whose process was killed.
 * *aborted receives how many.
 */
extern bool s3_abort_stale_uploads(s3_client *c, const char *key_prefix,
								   int *aborted, sg_error *err);

#endif							/* S3_WRITER_H */
