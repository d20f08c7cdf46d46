/*
 * backup_worker.h - taking base backups: one at a time, in a dynamic background
 * worker that survives the caller's disconnect, started by
 * sgbackup_start() or by the scheduler.
 */
#ifndef SGBACKUP_BACKUP_WORKER_H
#define SGBACKUP_BACKUP_WORKER_H

#include <stdbool.h>

/*
 * Start a backup in a background worker and return its name (palloc'ed).
 * With wait, return when it is stored; ERROR if it failed.  ERROR when a
 * backup is already running.
 */
extern char *sgb_backup_start(bool fast, bool permanent, bool wait);

/*
 * The two halves of sgb_backup_start, so that a caller can wait without
 * holding a transaction: launch needs catalog access (a transaction) and
 * allocates *handle and the name in CurrentMemoryContext; wait needs none.
 */
struct BackgroundWorkerHandle;
extern char *sgb_backup_launch(bool fast, bool permanent,
							   struct BackgroundWorkerHandle **handle);
extern void sgb_backup_wait(const char *name, struct BackgroundWorkerHandle *handle);

/*
 * The base backup target's part of the one-at-a-time rule: claim the slot
 * for the backup NAME it streams (taking over sgbackup_start's claim for
 * that name, or claiming it for a backup started by another client);
 * ERROR when another backup runs.  Released at the end of the backup and
 * on any exit of the process (prepare registers that, before the backup
 * starts).
 */
extern void sgb_backup_target_prepare(void);
extern void sgb_backup_target_claim(const char *name);
extern void sgb_backup_target_release(const char *name, bool completed,
									  const char *error);

/* what the named running backup waits for, shown in sgbackup.backups */
extern void sgb_backup_set_note(const char *name, const char *note);

/* true when the named backup is running now (sgbackup.backups uses it) */
extern bool sgb_backup_is_running(void *arg, const char *name);

/*
 * What the running backup is waiting for, if anything (e.g. WAL archiving),
 * copied into buf; false when the named backup is not running or has no note.
 */
extern bool sgb_backup_running_note(const char *name, char *buf, size_t size);

#endif							/* SGBACKUP_BACKUP_WORKER_H */
