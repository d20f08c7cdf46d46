/*
 * s3_writer.h - writing one large object as a multipart upload whose parts
 * go up in parallel while the caller keeps producing data (pgBackRest's
 * "multipart write").  Shared by the server's base backup sink and the
 * program.  The caller's thread only copies bytes into the current part;
 * full parts are handed to upload threads, each with its own kept-alive
 * S3 connection.
 *
 * Part sizes: S3 allows 10000 parts of at most 5 GiB in one upload, and an
 * object of at most 5 TiB.  Parts are at least part_size, and at least
 * the expected size divided by the part limit; past half of the part limit
 * the size doubles, and again at three quarters, and so on: each step adds
 * room for half the expected size again, so an object that grows to
 * several times what was expected, or whose size is not known, still
 * fits (without a size, 16 MiB parts growing this way hold 780 GiB).
 * Memory: the part being filled plus at most `concurrency` parts in
 * flight, fewer when parts are large, so that parts in flight stay within
 * S3_WRITER_MEMORY (at least one is always in flight).
 */
#ifndef SG_S3_WRITER_H
#define SG_S3_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3_client.h"
#include "config_storage.h"
#include "sg_error.h"

typedef struct s3_writer s3_writer;

#define S3_WRITER_MAX_PARTS 10000	/* S3's limit of parts in one upload */
#define S3_WRITER_MEMORY ((size_t) 256 * 1024 * 1024)	/* of parts in flight */

typedef struct s3_writer_options
{
	size_t		part_size;		/* smallest part; 0: 16 MiB (min 5 MiB) */
	int			concurrency;	/* upload threads; 0: 4 */
	const s3_limits *limits;	/* may be NULL; cancel or cancel_fn aborts */
	int64_t		expected_size;	/* bytes the object should have; 0: unknown */
	int			max_parts;		/* 0: S3_WRITER_MAX_PARTS (tests lower it) */
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

/*
 * The size of part number part_no (1 based) for these options; 0 when the
 * object cannot have that many parts.  The writer follows it exactly.
 */
extern size_t s3_writer_part_size(const s3_writer_options *options, int part_no);

/* bytes written so far, and the sha256 (hex) of all bytes once finished */
extern int64_t s3_writer_bytes(const s3_writer *w);
extern const char *s3_writer_sha256(const s3_writer *w);

#endif							/* SG_S3_WRITER_H */
