/*
 * wal_store.h - storing and fetching WAL files (segments, .history,
 * .backup, .partial) as objects under <prefix>/wal/.  The archive module's
 * upload threads and `sgbackup wal-push` / `wal-fetch` share this code.
 *
 * Object "wal/<FILENAME>" holds the file compressed as a single zstd or
 * lz4 frame (or as is), with user metadata:
 *   sgbackup-compression  zstd | lz4 | none
 *   sgbackup-size         bytes of the original file
 *   sgbackup-sha256       hex sha256 of the original file
 * and Content-MD5 on upload, so S3 checks the stored bytes and any client
 * can check the content.
 */
#ifndef SG_WAL_STORE_H
#define SG_WAL_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "config_storage.h"
#include "sg_error.h"
#include "timeline.h"

/*
 * A history file has one line of a few dozen bytes per ancestor timeline:
 * anything larger than this is not one.
 */
#define WAL_HISTORY_MAX_BYTES	(1024 * 1024)

typedef enum wal_push_outcome
{
	WAL_PUSH_STORED,			/* uploaded now */
	WAL_PUSH_ALREADY_STORED		/* identical copy was already there */
} wal_push_outcome;

typedef struct wal_push_result
{
	wal_push_outcome outcome;
	int64_t		original_bytes;
	int64_t		stored_bytes;
} wal_push_result;

/*
 * Store the file at path under wal/<name>.  True only when the store holds it
 * durably.  A different object already stored under that name is
 * SG_ERR_CONFLICT and is never overwritten.
 */
extern bool wal_push(sg_store *st, const char *path, const char *name,
					 sg_compression method, int level,
					 wal_push_result *result, sg_error *err);

/*
 * Fetch wal/<name> into dest: as the object arrives, decompress it, hash it
 * and write it to a temporary file next to dest; verify size and sha256,
 * fsync, rename over dest, fsync the directory.  Memory stays bounded
 * whatever the object holds: content past the size in its metadata stops
 * the fetch, and metadata claiming more than a WAL file can hold (1 GiB
 * for a segment, 16 MiB for a .history or .backup file) is refused.
 * Returns 1 when stored and written, 0 when there is no such object
 * (err->kind SG_ERR_NOT_FOUND), -1 on any other error; on any error no
 * temporary file remains and dest is untouched.
 */
extern int	wal_fetch(sg_store *st, const char *name, const char *dest,
					  sg_error *err);

/*
 * Fetch wal/<name> into memory (for small files such as .history),
 * verified like wal_fetch.  An object whose content is larger than
 * max_bytes is refused.  Returns 1, 0 (not stored) or -1 like wal_fetch.
 */
extern int	wal_fetch_mem(sg_store *st, const char *name, size_t max_bytes,
						  sg_buf *out, sg_error *err);

/*
 * Fetch and parse the history file of timeline tli (above 1) into out
 * (free with timeline_history_free).  Returns 1, 0 when it is not stored,
 * -1 on any other error, including a damaged file (SG_ERR_CORRUPT).
 */
extern int	wal_fetch_history(sg_store *st, uint32_t tli, timeline_history *out,
							  sg_error *err);

/* the objects under wal/: names without the "wal/", and the newest one's time */
typedef struct wal_listing
{
	char	  **names;
	int			n;
	size_t		cap;
	char		newest_time[40];	/* "YYYY-MM-DDTHH:MM:SS.mmmZ", "" if none */
} wal_listing;

/* list wal/ into out (zeroed first; free with wal_listing_free) */
extern bool wal_list(sg_store *st, wal_listing *out, sg_error *err);
extern void wal_listing_free(wal_listing *l);

/* true when name looks like a WAL file the archiver hands out */
extern bool wal_name_valid(const char *name);

#endif							/* SG_WAL_STORE_H */
