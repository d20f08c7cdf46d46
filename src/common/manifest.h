/*
 * manifest.h - PostgreSQL's backup_manifest (versions 1 and 2, written by
 * PostgreSQL 13 to 18): reading it, and checking each file of a base
 * backup against it as the file is unpacked (sgbackup restore and verify).
 *
 * A parsed manifest is read-only but for the "seen" mark each successful
 * manifest_check_end sets on its file, so several threads may look files
 * up and check different files at once.  Which files on disk may be
 * missing from the manifest (backup_manifest itself, pg_wal/...,
 * recovery.signal) is the caller's decision.
 */
#ifndef SG_MANIFEST_H
#define SG_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_error.h"

typedef struct backup_manifest backup_manifest;
typedef struct manifest_file manifest_file;		/* one entry of "Files" */

/*
 * Parse the text of a backup_manifest (len bytes, need not end in NUL; the
 * caller bounds len).  Checks the JSON, every field, and the
 * Manifest-Checksum (SHA-256 of the text up to and including the newline
 * that ends the line before the checksum's line); anything wrong is
 * SG_ERR_CORRUPT with a message saying what.
 */
extern bool manifest_parse(const char *text, size_t len, backup_manifest **out,
						   sg_error *err);
extern void manifest_free(backup_manifest *m);

/* 1 (PostgreSQL 13-16) or 2 (17-18) */
extern int	manifest_version(const backup_manifest *m);
/* 0 for version 1, which does not record it */
extern uint64_t manifest_system_identifier(const backup_manifest *m);

extern int	manifest_nfiles(const backup_manifest *m);
/*
 * The entry for path, as the manifest names it relative to the data
 * directory ("base/1/1259", "pg_tblspc/16385/PG_15_202209061/5/16386");
 * Encoded-Path entries are found by their decoded name.  NULL if none.
 */
extern const manifest_file *manifest_find(const backup_manifest *m,
										  const char *path);
extern const char *manifest_file_path(const manifest_file *f);
extern int64_t manifest_file_size(const manifest_file *f);
/* "NONE", "CRC32C", "SHA224", "SHA256", "SHA384" or "SHA512" */
extern const char *manifest_file_algorithm(const manifest_file *f);

/* the WAL the backup needs: one range per timeline, newest first */
extern int	manifest_nwal_ranges(const backup_manifest *m);
extern void manifest_wal_range(const backup_manifest *m, int i, uint32_t *tli,
							   uint64_t *start, uint64_t *end);

/*
 * Checking one file's content as it arrives.  One checker per thread, used
 * for file after file: zero it (or manifest_check_init) once, then
 * begin / update... / end for each file, and manifest_check_free at the
 * end.  The digest state is allocated on first need and kept for the next
 * files, so there is no allocation per file.
 */
typedef struct manifest_check
{
	const manifest_file *file;	/* the file being checked, NULL between */
	uint64_t	bytes;			/* content bytes so far */
	uint32_t	crc;			/* CRC32C state */
	bool		failed;			/* a digest call failed (reported at end) */
	struct evp_md_ctx_st *md;	/* OpenSSL EVP_MD_CTX for SHA-2, kept */
} manifest_check;

extern void manifest_check_init(manifest_check *c);
extern void manifest_check_begin(manifest_check *c, const manifest_file *f);
extern void manifest_check_update(manifest_check *c, const void *data,
								  size_t len);
/*
 * Size and checksum equal to the manifest's: true, and the file is marked
 * seen.  Otherwise false with SG_ERR_CORRUPT naming the file, the
 * expected and the actual value.
 */
extern bool manifest_check_end(manifest_check *c, sg_error *err);
extern void manifest_check_free(manifest_check *c);

/*
 * How many files of the manifest never passed a manifest_check_end, and
 * (if first is not NULL) the path of the first of them, or NULL.
 */
extern int	manifest_unseen(const backup_manifest *m, const char **first);

#endif							/* SG_MANIFEST_H */
