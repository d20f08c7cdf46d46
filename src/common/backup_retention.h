/*
 * backup_retention.h - retention over the backup catalog (backup_catalog.h): the
 * plan of what to delete, made without I/O of its own so that unit tests
 * can check it, and carrying it out.  sg_retention_run lists the backups
 * and the WAL, makes the plan and executes it; it is shared by
 * sgbackup_apply_retention(), the scheduler and `sgbackup retention`.
 */
#ifndef SG_BACKUP_RETENTION_H
#define SG_BACKUP_RETENTION_H

#include "backup_catalog.h"
#include "sg_buf.h"

/* the retention plan: what to delete */
typedef struct retention_plan
{
	char	  **backups;		/* backup names to delete */
	int			nbackups;
	char	  **wal;			/* WAL object keys ("wal/<name>") to delete */
	int			nwal;
} retention_plan;

/*
 * How the plan reads a timeline history file, wal/<name> such as
 * "00000002.history", into out.  Returns 1 when read, 0 when it is not
 * stored or cannot be read (its timeline is then unknown), -1 on an error
 * that stops retention (err set).
 */
typedef int (*history_read_fn) (void *arg, const char *name, sg_buf *out,
								sg_error *err);

/*
 * Keep the newest `keep` (at least 1) completed managed backups in the
 * order of backup_order_cmp; plan deleting older completed managed
 * backups, failed backups older than the newest completed one, and the WAL
 * that no kept, permanent or running backup needs, timeline by timeline
 * (backup_retention.c says which; the history files of the listing are read with
 * read_history, one at a time).  .history files are never deleted.
 * wal_names are object names under wal/ (without the "wal/").  False when
 * read_history fails; the plan is then empty.
 */
extern bool retention_make_plan(const backup_info *backups, int nbackups,
								char *const *wal_names, int nwal, int keep,
								history_read_fn read_history, void *arg,
								retention_plan *plan, sg_error *err);
extern void retention_plan_free(retention_plan *plan);

/*
 * Carry out a plan: delete every object of each backup (metadata.json
 * first, so that a half-deleted backup is never listed as completed), then
 * the WAL, in batches of up to 1000 keys.
 */
extern bool retention_execute(sg_store *st, const retention_plan *plan,
							  sg_error *err);

/*
 * List wal/ and the backups, make the plan (reading the history files with
 * wal_fetch_mem) and carry it out.  On success plan holds what was deleted
 * (free with retention_plan_free).
 */
extern bool sg_retention_run(sg_store *st, int keep,
							 backup_running_fn is_running, void *arg,
							 retention_plan *plan, sg_error *err);

#endif							/* SG_BACKUP_RETENTION_H */
