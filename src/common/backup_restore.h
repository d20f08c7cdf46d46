/*
 * backup_restore.h - bringing a whole base backup out of the store: its
 * manifest, then every archive (the base archive first, so that the
 * tablespace links are known before the tablespaces), each downloaded with
 * parallel ranged reads, unpacked and checked file by file (unpack.h), and
 * each object's bytes checked against the sha256 metadata.json recorded.
 * `sgbackup restore` writes the files; `sgbackup verify` and
 * sgbackup_verify() run the same code without writing anything.
 */
#ifndef SG_BACKUP_RESTORE_H
#define SG_BACKUP_RESTORE_H

#include "backup_meta.h"
#include "config_storage.h"
#include "manifest.h"
#include "s3_client.h"
#include "store.h"
#include "unpack.h"

/* a backup_manifest larger than this is refused */
#define BACKUP_MANIFEST_MAX ((size_t) 1 << 30)

typedef struct restore_source
{
	const sg_storage *storage;	/* for the reader threads' own stores */
	const char *secrets_directory;
	const s3_limits *limits;	/* may be NULL */
	sg_store   *store;			/* this thread's store */
	int			concurrency;	/* parallel ranged reads of one object */
} restore_source;

/*
 * Fetch and parse backups/<name>/backup_manifest (its own checksum
 * checked).  With text non-NULL the raw text is also returned (restore
 * writes it into PGDATA).
 */
extern bool backup_fetch_manifest(const restore_source *src, const backup_info *b,
								  backup_manifest **out, sg_buf *text, sg_error *err);

/*
 * Unpack (pgdata set) or check (pgdata NULL) every archive of b.  The
 * tablespace archives go to the directories tablespace_fn returned for
 * their links (restore), and are only checked when pgdata is NULL.  Ends
 * with the check that every file of the manifest was met.
 */
typedef struct restore_options
{
	const char *pgdata;
	unpack_tablespace_fn tablespace_fn;
	void	   *tablespace_arg;
	unpack_progress_fn progress_fn; /* bytes and files over all archives */
	void	   *progress_arg;
	/*
	 * verify: when set, a file that does not match the manifest is recorded
	 * here (the first one) and reading goes on, so that the objects are still
	 * checked whole; the function's own err is then only about the objects
	 */
	sg_error   *files_err;
} restore_options;

extern bool backup_unpack_all(const restore_source *src, const backup_info *b,
							  backup_manifest *m, const restore_options *o,
							  unpack_stats *total, sg_error *err);

#endif							/* SG_BACKUP_RESTORE_H */
