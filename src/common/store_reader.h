/*
 * store_reader.h - reading one large object (a base backup archive) in
 * order while several ranged GETs fetch it ahead, so that a restore is not
 * held to the speed of one HTTP stream.
 *
 * The object is cut into chunks of chunk_size bytes.  `concurrency`
 * threads, each with its own store (store.h: one store per thread), fetch
 * the chunks with sg_store_get_range, at most `window` chunks ahead of the
 * reader (counting the one it holds), so memory stays within window *
 * chunk_size whatever the object's size.  The caller's thread gets the
 * chunks in order and hashes them (sha256).
 *
 * The size is known beforehand (the backup's metadata, or a head); an
 * object shorter or longer than that is SG_ERR_CORRUPT.  The first failure
 * of any thread ends the reading: every later read returns it.  The
 * caller's cancel flag and cancel_fn (s3_limits) are polled by the reading
 * thread only, while it waits; the threads' stores stop at once when the
 * reader fails, is cancelled or is freed.  limits->max_bandwidth applies
 * to each thread's connection (s3_client.h): give each its share.
 */
#ifndef SG_STORE_READER_H
#define SG_STORE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

typedef struct sg_store_reader_options
{
	int			concurrency;	/* threads fetching ranges; 0: 4 */
	size_t		chunk_size;		/* bytes per ranged GET; 0: 8 MiB */
	int			window;			/* chunks fetched ahead of the reader at
								 * most; 0: 2 * concurrency (memory: window
								 * * chunk_size) */
} sg_store_reader_options;

typedef struct sg_store_reader sg_store_reader;

/*
 * Open a reader of object key of size bytes: the threads start fetching
 * at once, each with its own store opened with sg_store_open(storage,
 * secrets_directory, limits) (limits may be NULL; options too).  NULL
 * with err when a store cannot be opened or no thread started.
 */
extern sg_store_reader *sg_store_reader_open(const sg_storage *storage,
											 const char *secrets_directory,
											 const s3_limits *limits,
											 const char *key, int64_t size,
											 const sg_store_reader_options *options,
											 sg_error *err);

/*
 * The next bytes in order: *data points into the reader's buffer, valid
 * until the next call (or free).  Returns how many, 0 at the end of the
 * object, -1 on failure with err set: the first failure of any thread (a
 * short, long or missing object, a network error after the client's
 * retries) or cancellation.
 */
extern ssize_t sg_store_reader_read(sg_store_reader *r, const void **data,
									sg_error *err);

/* the sha256 (hex) of all bytes read, once read returned 0; else NULL */
extern const char *sg_store_reader_sha256(const sg_store_reader *r);

/* bytes read so far */
extern int64_t sg_store_reader_bytes(const sg_store_reader *r);

/* stop and join every thread, free everything; at any time (early stop) */
extern void sg_store_reader_free(sg_store_reader *r);

#endif							/* SG_STORE_READER_H */
