/*
 * unpack.h - unpacking one archive of a base backup (base.tar.zst,
 * <oid>.tar.lz4, ...) as it is downloaded: the bytes come from a
 * sg_store_reader (parallel ranged GETs), libarchive undoes the compression
 * and reads the tar stream, and every regular file is checked against
 * backup_manifest (size and checksum) as it is written.  The same code
 * checks an archive without writing anything (sgbackup verify).
 *
 * What a hostile or broken archive cannot do: write outside the target
 * directory (absolute paths, "..", symlinks other than the tablespace
 * links pg_tblspc/<oid>, hard links and devices are refused; files are
 * created with O_EXCL | O_NOFOLLOW), fill the disk beyond what the
 * manifest lists (a file longer than its manifest entry stops the unpack
 * at that byte), or smuggle a file the manifest does not list.
 */
#ifndef SG_UNPACK_H
#define SG_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"
#include "sg_error.h"
#include "store_reader.h"

/* the file held back until the restore is complete (see unpack_options) */
#define UNPACK_HELD_BACK "global/pg_control"
#define UNPACK_HELD_SUFFIX ".sgbackup-restore"

/*
 * A tablespace link pg_tblspc/<oid> -> target met in the base archive:
 * the callback returns the directory the link must point to (target, or
 * its --tablespace-mapping), malloc'ed, or NULL with err set to stop.
 */
typedef char *(*unpack_tablespace_fn) (void *arg, const char *oid,
									   const char *target, sg_error *err);

/* called now and then with the bytes written so far by this unpack */
typedef void (*unpack_progress_fn) (void *arg, int64_t bytes, int64_t files);

typedef struct unpack_options
{
	const char *dest;			/* directory to write into; NULL: check only */
	const char *manifest_prefix;	/* "" for base, "pg_tblspc/<oid>/" */
	backup_manifest *manifest;	/* every file is checked against it */
	unpack_tablespace_fn tablespace_fn; /* base archive only; may be NULL */
	void	   *tablespace_arg;
	unpack_progress_fn progress_fn; /* may be NULL */
	void	   *progress_arg;
} unpack_options;

typedef struct unpack_stats
{
	int64_t		bytes;			/* bytes of file content */
	int64_t		files;			/* regular files */
	bool		read_failed;	/* the error was the reader's (the object's) */
} unpack_stats;

/*
 * Unpack the archive object `name` (its compression is told by its
 * suffix: .tar.zst, .tar.lz4, .tar.gz or .tar) read through r.  With
 * o->dest the files and directories are created under it (it exists);
 * UNPACK_HELD_BACK is written as UNPACK_HELD_BACK UNPACK_HELD_SUFFIX so
 * that a half-restored directory cannot start.  Files are not fsynced here
 * (the caller syncs the file system once at the end).
 */
extern bool unpack_archive(sg_store_reader *r, const char *name,
						   const unpack_options *o, unpack_stats *stats,
						   sg_error *err);

#endif							/* SG_UNPACK_H */
