/*
 * backup_verify.h - checking a stored backup without restoring it
 * (`sgbackup verify`, sgbackup_verify()): the backup is completed, every
 * object is present and has the sha256 metadata.json recorded, every file
 * of every archive matches backup_manifest and the manifest has no file
 * the archives lack, and the WAL from the backup's start to its stop (or
 * to the newest archived segment, following the timeline history) has no
 * gap.  The archives are read and unpacked in memory only.
 */
#ifndef SG_BACKUP_VERIFY_H
#define SG_BACKUP_VERIFY_H

#include "backup_restore.h"

#define VERIFY_MAX_CHECKS 6

typedef struct verify_check
{
	const char *check;			/* "backup", "manifest", "objects", "files", "wal" */
	bool		ok;
	char		detail[1024];
} verify_check;

typedef struct verify_report
{
	char	   *name;			/* the backup checked (LATEST resolved) */
	verify_check checks[VERIFY_MAX_CHECKS];
	int			nchecks;
	bool		ok;				/* every check passed */
} verify_report;

/*
 * Run the checks of backup name (or "LATEST": the newest completed one).
 * False with err only when the checks could not run (the backups could not
 * be listed, no such backup); a failed check is a report with ok false.
 */
extern bool backup_verify(const restore_source *src, const char *name, bool to_latest,
						  verify_report *report, sg_error *err);
extern void verify_report_free(verify_report *report);

#endif							/* SG_BACKUP_VERIFY_H */
