/*
 * backup.h - taking base backups: one at a time, in a dynamic background
 * worker that survives the caller's disconnect, started by
 * sgbackup_start() or by the scheduler.
 */
#ifndef SGBACKUP_BACKUP_H
#define SGBACKUP_BACKUP_H

#include <stdbool.h>

extern void sgb_backup_state_request(void);
extern void sgb_backup_state_startup(void);

/*
 * Start a backup in a background worker and return its name (palloc'ed).
 * With wait, return when it is stored; ERROR if it failed.  ERROR when a
 * backup is already running.
 */
extern char *sgb_backup_start(bool fast, bool permanent, bool wait);

/* true when the named backup is running now (sgbackup.backups uses it) */
extern bool sgb_backup_is_running(void *arg, const char *name);

/*
 * What the running backup is waiting for, if anything (e.g. WAL archiving),
 * copied into buf; false when the named backup is not running or has no note.
 */
extern bool sgb_backup_running_note(const char *name, char *buf, size_t size);

#endif							/* SGBACKUP_BACKUP_H */
