/*
 * backup_wal.h - a completed backup always has its WAL: before the base
 * backup target writes metadata.json it confirms that every WAL segment
 * from the backup's start to its stop is stored under wal/ of the same
 * bucket and prefix as the backup.
 */
#ifndef SGBACKUP_BACKUP_WAL_H
#define SGBACKUP_BACKUP_WAL_H

#include "access/xlogdefs.h"

#include "store.h"

/* how long to wait for a segment the server says it archived */
#define SGB_BACKUP_WAL_WAIT_MS 10000

/*
 * ERROR naming the first missing segment and the fix unless every segment
 * from start to stop is stored (waits up to SGB_BACKUP_WAL_WAIT_MS, saying
 * what it waits for in sgbackup.backups; honours cancel and shutdown).
 */
extern void sgb_backup_check_wal(sg_store *st, const char *name,
								 XLogRecPtr start, TimeLineID start_tli,
								 XLogRecPtr stop, TimeLineID stop_tli);

#endif							/* SGBACKUP_BACKUP_WAL_H */
